"""Our credential service: `POST /presentations/query` (DCP style).

The caller proves who it is with its self-issued ID token (audience: our DID); it gets our
credentials in a presentation signed by us. Credentials such as a membership are meant to
be shown to partners, so any authenticated caller may ask.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from connector.api.dsp_errors import read_json
from connector.api.state import connector_state
from connector.credentials import presentation_response
from hinterland.errors import HinterlandError, InputError
from hinterland.web.errors import error_body, status_for


def credential_router() -> APIRouter:
    """The credential service route."""
    router = APIRouter(tags=["credential service"])

    @router.post("/presentations/query", summary="PresentationQueryMessage")
    async def query(request: Request) -> JSONResponse:
        state = connector_state(request)
        try:
            await state.verifier.verify(request.headers.get("authorization"))
            body: Any = await read_json(request, 100_000)
            if not isinstance(body, dict) or body.get("type") != "PresentationQueryMessage":
                raise InputError("expected a PresentationQueryMessage")
            scope = body.get("scope") or []
            if not isinstance(scope, list) or not all(isinstance(s, str) for s in scope):
                raise InputError("scope must be a list of strings")
            assert state.key is not None
            answer = presentation_response(
                state.key, state.services.did, state.own_credentials, scope
            )
        except HinterlandError as exc:
            return JSONResponse(error_body(exc), status_code=status_for(exc))
        return JSONResponse(answer)

    return router
