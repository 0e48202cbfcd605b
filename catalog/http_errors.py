"""Map the Hinterland error tree to HTTP at the catalog's edge: every bad input is a 4xx
with a JSON body naming the problem, never a stack trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from hinterland.errors import (
    AuthenticationError,
    Conflict,
    DescriptionRejected,
    DidResolutionError,
    HinterlandError,
    InputError,
    JsonLdError,
    LimitExceeded,
    NotFound,
    PermissionDenied,
    StorageError,
)

log = logging.getLogger("catalog")

_STATUS: list[tuple[type[HinterlandError], int]] = [
    (DescriptionRejected, 422),
    (LimitExceeded, 413),
    (JsonLdError, 422),
    (InputError, 400),
    (DidResolutionError, 422),
    (AuthenticationError, 401),
    (PermissionDenied, 403),
    (NotFound, 404),
    (Conflict, 409),
    (StorageError, 503),
]


def status_of(error: HinterlandError) -> int:
    """The HTTP status of one of our errors."""
    for kind, status in _STATUS:
        if isinstance(error, kind):
            return status
    return 500


def error_body(error: HinterlandError) -> dict[str, object]:
    """The JSON body: machine code, human message and, for rejections, the report."""
    body: dict[str, object] = {"error": error.code, "message": str(error)}
    if isinstance(error, DescriptionRejected):
        body["report"] = error.report
    return body


def install(app: FastAPI) -> None:
    """Register the handlers on an app."""

    @app.exception_handler(HinterlandError)
    async def _hinterland(request: Request, error: HinterlandError) -> JSONResponse:
        status = status_of(error)
        if status >= 500:
            log.error("request %s %s failed: %s", request.method, request.url.path, error)
        return JSONResponse(error_body(error), status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, error: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in error.errors()
        )
        return JSONResponse(
            {"error": "invalid_input", "message": f"invalid request: {problems}"}, status_code=400
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"error": "http_error", "message": str(error.detail)}, status_code=error.status_code
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(
            {"error": "internal_error", "message": "the catalog hit an unexpected error"},
            status_code=500,
        )
