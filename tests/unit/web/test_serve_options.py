"""How `hinterland.web.workers.serve` configures uvicorn."""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn

from hinterland.web import workers


def test_one_access_line_per_request_comes_from_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(options))
    workers.serve("catalog.asgi:app", host="127.0.0.1", port=0, workers=1, log_level="info")
    assert seen["access_log"] is False  # the app's middleware writes them, with request ids
    assert seen["log_config"] is None
