"""Map the error tree to HTTP responses, once, at the API edge.

Every `HinterlandError` becomes a JSON body `{"error": code, "message": reason}` with the
status below (a rejected description adds its full verification `report`); request
validation errors become 400 naming the field; routing errors (404, 405) get the same
JSON shape; anything unexpected becomes a 500 whose body says only that an error was
logged (never a stack trace).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from hinterland import errors

logger = logging.getLogger("hinterland.web")

# Most specific first: the first matching class wins.
STATUS_BY_ERROR: tuple[tuple[type[errors.HinterlandError], int], ...] = (
    (errors.DescriptionRejected, 422),
    (errors.LimitExceeded, 413),
    # well-formed JSON whose JSON-LD cannot be trusted (remote context, dropped term)
    (errors.JsonLdError, 422),
    (errors.IllegalTransition, 400),
    (errors.InputError, 400),
    (errors.KeyMaterialError, 400),
    (errors.DidResolutionError, 422),
    (errors.AuthenticationError, 401),
    (errors.PermissionDenied, 403),
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.ConfigurationError, 500),
    (errors.StorageError, 503),
    (errors.Busy, 503),
)


def status_for(error: errors.HinterlandError) -> int:
    """The HTTP status of an error of the tree."""
    for cls, status in STATUS_BY_ERROR:
        if isinstance(error, cls):
            return status
    return 500


def error_body(error: errors.HinterlandError) -> dict[str, object]:
    """The JSON body for an error of the tree (with the report of a rejected description)."""
    body: dict[str, object] = {"error": error.code, "message": error.message}
    if isinstance(error, errors.DescriptionRejected):
        body["report"] = error.report
    return body


async def _hinterland_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.HinterlandError)
    status = status_for(exc)
    if status >= 500:
        logger.error("request failed: %s", exc.code)
    return JSONResponse(error_body(exc), status_code=status)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for item in exc.errors():
        where = ".".join(str(part) for part in item.get("loc", ()))
        problems.append(f"{where}: {item.get('msg', 'invalid')}")
    message = "invalid request: " + "; ".join(problems) if problems else "invalid request"
    return JSONResponse({"error": "invalid_input", "message": message}, status_code=400)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse(
        {"error": "http_error", "message": str(exc.detail)},
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


async def _unexpected_error(_request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unexpected error", exc_info=exc)
    return JSONResponse(
        {"error": "internal_error", "message": "internal error; it has been logged"},
        status_code=500,
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the mapping on an app."""
    app.add_exception_handler(errors.HinterlandError, _hinterland_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
