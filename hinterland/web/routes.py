"""Routes that name themselves in the ASGI scope, so access logs and metrics can label a
request by its route's path template.

FastAPI's own routes put themselves in `scope["route"]`; Starlette's plain routes and
mounts do not, and FastAPI registers its `/openapi.json` and `/docs` as plain routes.
Without a route in the scope a request would be counted as "unmatched", like a 404.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route
from starlette.types import Receive, Scope, Send


class LabelledRoute(Route):
    """A Starlette route that puts itself in the scope before handling the request."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = self
        await super().handle(scope, receive, send)


class LabelledMount(Mount):
    """A mount that puts itself in the scope; a route of the mounted app that labels
    itself (a FastAPI route) replaces it with the more specific label."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = self
        await super().handle(scope, receive, send)


def label_plain_routes(routes: list[BaseRoute]) -> None:
    """Make every plain `Route` and `Mount` in `routes` label itself (in place: they keep
    their paths, endpoints and order). Subclasses are left alone: they may handle
    requests their own way."""
    for route in routes:
        if type(route) is Route:
            route.__class__ = LabelledRoute
        elif type(route) is Mount:
            route.__class__ = LabelledMount
