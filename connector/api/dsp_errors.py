"""DSP error bodies at the API edge: ContractNegotiationError, TransferError, CatalogError.

Errors of the tree map to the same statuses as everywhere (`hinterland.web.errors`), but
DSP endpoints answer with the protocol's error message, whose `reason` a person can read.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import Request
from fastapi.responses import JSONResponse

from connector.dsp import messages as m
from hinterland.errors import HinterlandError, LimitExceeded, ProtocolMessageError
from hinterland.web.errors import status_for

Kind = Literal["negotiation", "transfer", "catalog"]


def dsp_error(
    kind: Kind, error: HinterlandError, *, provider_pid: str = "", consumer_pid: str = ""
) -> JSONResponse:
    """The DSP error response for `error`."""
    status = status_for(error)
    reason = [error.message]
    body: m.DspModel
    if kind == "catalog":
        body = m.CatalogError(code=error.code, reason=reason)
    elif kind == "negotiation":
        body = m.ContractNegotiationError(
            providerPid=provider_pid, consumerPid=consumer_pid, code=error.code, reason=reason
        )
    else:
        body = m.TransferError(
            providerPid=provider_pid, consumerPid=consumer_pid, code=error.code, reason=reason
        )
    return JSONResponse(body.to_json(), status_code=status)


async def read_json(request: Request, max_bytes: int) -> Any:
    """The request body as JSON, refusing oversize bodies before reading them whole."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise LimitExceeded(f"message larger than {max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise LimitExceeded(f"message larger than {max_bytes} bytes")
        chunks.append(chunk)
    try:
        return json.loads(b"".join(chunks))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolMessageError(f"the body is not JSON: {exc}") from None
