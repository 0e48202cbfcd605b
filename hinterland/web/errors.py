"""Map the error tree to HTTP responses, once, at the API edge.

Every `HinterlandError` becomes a JSON body `{"error": code, "message": reason}` with the
status below; request validation errors become 400 naming the field; anything unexpected
becomes a 500 whose body says only that an error was logged (never a stack trace).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from hinterland import errors

logger = logging.getLogger("hinterland.web")

# Most specific first: the first matching class wins.
STATUS_BY_ERROR: tuple[tuple[type[errors.HinterlandError], int], ...] = (
    (errors.LimitExceeded, 413),
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
)


def status_for(error: errors.HinterlandError) -> int:
    """The HTTP status of an error of the tree."""
    for cls, status in STATUS_BY_ERROR:
        if isinstance(error, cls):
            return status
    return 500


def error_body(error: errors.HinterlandError) -> dict[str, str]:
    """The JSON body for an error of the tree."""
    return {"error": error.code, "message": error.message}


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
    app.add_exception_handler(Exception, _unexpected_error)
