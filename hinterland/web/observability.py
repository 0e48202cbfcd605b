"""Request ids, access logs, Prometheus metrics and health endpoints for every server.

`install_observability(app, readiness_checks)` adds:

- a pure-ASGI middleware (streaming-safe) that assigns or propagates `X-Request-ID`,
  logs one access line per request and records request count and latency;
- `GET /healthz` (the process is alive), `GET /readyz` (every readiness check passes:
  database reachable, keys usable...), `GET /metrics` (Prometheus text format).

Each app gets its own `Metrics` registry, so several servers can live in one process.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from pydantic import SecretStr
from starlette.routing import Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hinterland.web.apikey import require_key
from hinterland.web.logging import register_secret, request_id_var
from hinterland.web.routes import label_plain_routes

logger = logging.getLogger("hinterland.access")

ReadinessCheck = Callable[[], Awaitable[None]]
"""An async check that raises (any exception) when the server is not ready."""


@dataclass
class Metrics:
    """The metrics every Hinterland server exposes; components add their own labels."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.requests = Counter(
            "hinterland_http_requests", "HTTP requests", ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "hinterland_http_request_seconds", "HTTP request latency", ["method", "route"],
            registry=self.registry,
        )
        self.negotiations = Counter(
            "hinterland_negotiation_transitions", "Contract negotiation transitions",
            ["state"], registry=self.registry,
        )
        self.transfers = Counter(
            "hinterland_transfer_transitions", "Transfer process transitions", ["state"],
            registry=self.registry,
        )
        self.policy_decisions = Counter(
            "hinterland_policy_decisions", "Policy decisions", ["scope", "result"],
            registry=self.registry,
        )
        self.verifications = Counter(
            "hinterland_verifications", "Credential verifications", ["result"],
            registry=self.registry,
        )


class RequestContextMiddleware:
    """Assign a request id, time the request, log it and count it.

    With the app's `router`, the plain routes and mounts registered on it (FastAPI's
    `/openapi.json` and `/docs` among them) are made to label themselves before a request
    is handled, once more whenever routes were added since.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics, router: Router | None = None) -> None:
        self.app = app
        self.metrics = metrics
        self.router = router
        self._labelled = -1  # how many routes the router had when last labelled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.router is not None and len(self.router.routes) != self._labelled:
            label_plain_routes(self.router.routes)
            self._labelled = len(self.router.routes)
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if 0 < len(incoming) <= 128 and incoming.isprintable() else ""
        request_id = request_id or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers") or [])
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route_path = _route_template(scope)
            method = scope.get("method", "")
            self.metrics.requests.labels(method, route_path, str(status)).inc()
            self.metrics.latency.labels(method, route_path).observe(elapsed)
            logger.info(
                "%s %s %s", method, scope.get("path", ""), status,
                extra={"method": method, "path": scope.get("path", ""), "status": status,
                       "duration_ms": round(elapsed * 1000, 2)},
            )
            request_id_var.reset(token)


def _route_template(scope: Scope) -> str:
    """The matched route's path template including the prefix it was included or mounted
    under; 'unmatched' for 404s, so arbitrary paths never become metric labels.

    Routes keep only their own path (FastAPI includes routers, Starlette mounts apps,
    without rewriting it), so the prefix is the literal part of the request path before
    the tail that the route's own pattern matches.
    """
    route = scope.get("route")
    template = getattr(route, "path", None)
    if not template:
        return "unmatched"
    pattern = getattr(route, "path_regex", None)
    path = str(scope.get("path", ""))
    if pattern is not None:
        for index, char in enumerate(path):
            if char == "/" and pattern.match(path[index:]):
                return path[:index] + str(template)
    return str(template)


def install_observability(
    app: FastAPI,
    readiness_checks: Sequence[tuple[str, ReadinessCheck]] = (),
    metrics_api_key: SecretStr | None = None,
) -> Metrics:
    """Add request ids, access logs, metrics and health endpoints to an app. With
    `metrics_api_key`, `/metrics` answers only requests that carry it."""
    if metrics_api_key is not None:
        register_secret(metrics_api_key.get_secret_value())
    metrics = Metrics()
    app.state.metrics = metrics

    @app.get("/healthz", tags=["operations"], include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/readyz", tags=["operations"], include_in_schema=False)
    async def readyz() -> JSONResponse:
        results: dict[str, str] = {}
        ready = True
        for name, check in readiness_checks:
            try:
                await check()
                results[name] = "ok"
            except Exception as exc:  # a failing check of any kind means "not ready"
                ready = False
                results[name] = f"failed: {type(exc).__name__}"
        body = {"status": "ready" if ready else "not ready", "checks": results}
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    async def metrics_endpoint(request: Request) -> Response:
        if metrics_api_key is not None:
            require_key(request.headers, metrics_api_key, "metrics_api_key")
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(RequestContextMiddleware, metrics=metrics, router=app.router)
    return metrics


def database_check(engine: object) -> ReadinessCheck:
    """A readiness check that runs `SELECT 1` on an async SQLAlchemy engine."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import AsyncEngine

    assert isinstance(engine, AsyncEngine)

    async def check() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    return check
