"""A tiny ASGI app for the worker tests: it answers with the id of the process serving it."""

from __future__ import annotations

import os
from typing import Any


def app_factory() -> Any:
    """The ASGI app (a factory, as `hinterland.web.workers.serve` expects)."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = str(os.getpid()).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    return app
