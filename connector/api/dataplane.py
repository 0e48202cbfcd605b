"""The data plane: HTTP pull of a started transfer's data with its bearer token.

- only the transfer's own token opens it (we store the token's SHA-256), and only while
  the transfer is STARTED and the token has not expired;
- the agreement's usage policy is re-checked (monitor scope) on every access;
- files stream in 1 MiB chunks in constant memory, with `Range` (resume), `ETag`,
  `If-None-Match`/`If-Range` and `Repr-Digest` (RFC 9530, SHA-256 of the whole file);
- while streaming, a suspension or termination made in this process stops the download at
  the next chunk; one made by another replica is read from the database within 0.25 s;
- every access, allowed or not, goes into the audit log.
"""

from __future__ import annotations

import asyncio
import base64
import mmap
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, BinaryIO

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from connector.api.state import ConnectorState, connector_state
from connector.enforcement import Caller
from connector.licence import licence_id, signed_licence
from connector.services.transfer import token_hash
from connector.store.tables import AgreementRow, AssetRow, TransferRow
from hinterland.errors import (
    AuthenticationError,
    HinterlandError,
    InputError,
    NotFound,
    PermissionDenied,
)
from hinterland.web.errors import error_body, status_for

CHUNK = 1024 * 1024
RECHECK_SECONDS = 0.25  # longest a stream runs on after another replica stopped it
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(InputError):
    """The requested byte range lies outside the file."""

    code = "range_not_satisfiable"


def _error(exc: HinterlandError, headers: dict[str, str] | None = None) -> JSONResponse:
    status = 416 if isinstance(exc, RangeNotSatisfiable) else status_for(exc)
    return JSONResponse(error_body(exc), status_code=status, headers=headers)


async def _open_transfer(
    state: ConnectorState, request: Request, pid: str
) -> tuple[TransferRow, AgreementRow, AssetRow]:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or len(token) > 512:
        raise AuthenticationError("the data plane needs 'Authorization: Bearer <transfer token>'")
    services = state.services
    found = await services.transfers.by_token_hash_with(token_hash(token.strip()))
    if found is None or found[0].pid != pid:
        raise AuthenticationError("this token does not open this transfer")
    row, agreement, asset = found
    if row.token_expires is not None and row.token_expires < services.clock():
        raise AuthenticationError("the transfer token has expired")
    if row.state != "STARTED":
        raise PermissionDenied(f"transfer {pid} is {row.state}; data is not available")
    if agreement is None:
        raise NotFound(f"no agreement {row.agreement_id!r}")
    if asset is None:
        raise NotFound(f"no asset {agreement.asset_id!r}")
    decision = await services.gate.usage(
        agreement.policy,
        Caller(row.counterparty, row.claims),
        action=str(row.params.get("action", "use")),
        params=row.params,
        consume=False,
    )
    await services.audit.record(
        "dataplane.access",
        {
            "transfer": pid,
            "agreement": agreement.id,
            "caller": row.counterparty,
            "range": request.headers.get("range"),
            "allowed": decision.allowed,
            "reason": decision.reason,
        },
    )
    if not decision.allowed:
        raise PermissionDenied(decision.reason)
    return row, agreement, asset


def _parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) byte of a single `bytes=` range, None for the whole file."""
    if not header:
        return None
    match = RANGE.match(header.strip())
    if match is None or (not match.group(1) and not match.group(2)):
        return None  # unsupported forms (several ranges...) get the whole file (RFC 9110)
    first_text, last_text = match.groups()
    if first_text:
        first = int(first_text)
        last = min(int(last_text), size - 1) if last_text else size - 1
    else:
        length = int(last_text)
        if length == 0:
            raise RangeNotSatisfiable("an empty suffix range selects nothing")
        first, last = max(0, size - length), size - 1
    if first >= size or first > last:
        raise RangeNotSatisfiable(f"range {header} is outside the file of {size} bytes")
    return first, last


class _Mapped:
    """A read-only memory map of an asset file, handed out in chunk slices.

    Asset files are written once under their SHA-256 and never changed, so mapping them is
    safe. Sending a slice copies straight from the page cache into the socket (no read()
    into a bytes object first: about a third of the data plane's CPU). The kernel reads
    ahead of the chunk being sent, and pages two chunks behind are dropped from the map,
    so the process's resident memory stays a few MiB whatever the file size (the page
    cache keeps the data; a slice still queued re-reads it from there if it must).
    """

    def __init__(self, handle: BinaryIO) -> None:
        self.map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        self.view = memoryview(self.map)
        self.dropped = 0  # pages before this offset are out of the map already
        self._advise("MADV_SEQUENTIAL", 0, len(self.map))

    def chunk(self, position: int, size: int) -> memoryview:
        page = (position // mmap.PAGESIZE) * mmap.PAGESIZE
        behind = page - 2 * CHUNK
        if behind > self.dropped:
            self._advise("MADV_DONTNEED", self.dropped, behind - self.dropped)
            self.dropped = behind
        ahead = page
        self._advise("MADV_WILLNEED", ahead, min(2 * CHUNK, len(self.map) - ahead))
        return self.view[position : position + size]

    def _advise(self, advice: str, start: int, length: int) -> None:
        if _ADVICE and length > 0:  # Linux; elsewhere the kernel's defaults
            self.map.madvise(getattr(mmap, advice), start, length)


_ADVICE = all(hasattr(mmap, name) for name in ("MADV_SEQUENTIAL", "MADV_WILLNEED", "MADV_DONTNEED"))


async def _stream(
    state: ConnectorState, pid: str, path: Path, first: int, last: int
) -> AsyncIterator[bytes | memoryview]:
    """The file's bytes `first..last` in chunks, while the transfer stays STARTED.

    A suspension or termination made in this process stops the stream at the next chunk
    (the state change is signalled); one made by another replica is read from the
    database at least every `RECHECK_SECONDS`.
    """
    loop = asyncio.get_running_loop()
    services = state.services
    handle = await asyncio.to_thread(path.open, "rb")
    try:
        if last < first:
            return
        mapped = _Mapped(handle)  # unmapped when the last slice handed out is released
        with services.signals.watching(
            lambda hint, _row: hint[0] == "transfer" and hint[1] == pid
        ) as changed:
            position, checked = first, loop.time()
            while position <= last:
                if changed.is_set() or loop.time() - checked >= RECHECK_SECONDS:
                    changed.clear()
                    checked = loop.time()
                    row = await services.transfers.get(pid)
                    if row.state != "STARTED":
                        await services.audit.record(
                            "dataplane.stopped",
                            {"transfer": pid, "state": row.state, "at": position},
                        )
                        return  # the client sees a short body: the download stopped
                size = min(CHUNK, last - position + 1)
                chunk = mapped.chunk(position, size)
                if not chunk:
                    return
                position += len(chunk)
                yield chunk
    finally:
        await asyncio.to_thread(handle.close)


def data_router() -> APIRouter:
    """The data-plane routes (mounted under `/data`)."""
    router = APIRouter(tags=["data plane"])

    @router.api_route("/transfers/{pid}", methods=["GET", "HEAD"], summary="Fetch the data")
    async def fetch(request: Request, pid: str) -> Response:
        state = connector_state(request)
        try:
            row, _agreement, asset = await _open_transfer(state, request, pid)
            if not asset.sha256 or asset.size is None:
                raise NotFound(f"asset {asset.id} has no content")
            path = state.settings.asset_dir() / asset.sha256
            size, sha256 = asset.size, asset.sha256
            variant = row.params.get("variant")
            if isinstance(variant, dict):  # a 3MF stamped with this print's licence
                path = state.settings.asset_dir() / "licensed" / str(variant["file"])
                size, sha256 = int(variant["size"]), str(variant["sha256"])
            etag = f'"{sha256}"'
            headers: dict[str, Any] = {
                "ETag": etag,
                "Accept-Ranges": "bytes",
                "Repr-Digest": "sha-256=:" + base64.b64encode(bytes.fromhex(sha256)).decode() + ":",
                "Content-Type": asset.media_type,
                "Cache-Control": "no-store",
            }
            if row.params.get("action") == "print":
                base = state.services.data_base.rstrip("/")
                headers["Link"] = f'<{base}/transfers/{pid}/licence>; rel="license"'
                headers["Hinterland-Licence"] = licence_id(row)
            if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
                return Response(status_code=304, headers=headers)
            wanted = request.headers.get("range")
            if_range = request.headers.get("if-range")
            if if_range is not None and if_range.strip() != etag:
                wanted = None  # the file changed since the client's partial copy
            span = _parse_range(wanted, size)
        except RangeNotSatisfiable as exc:
            return _error(exc, {"Content-Range": f"bytes */{size}"})
        except HinterlandError as exc:
            return _error(exc)
        first, last = span if span else (0, size - 1)
        headers["Content-Length"] = str(last - first + 1)
        status = 200
        if span:
            status = 206
            headers["Content-Range"] = f"bytes {first}-{last}/{size}"
        if request.method == "HEAD":
            return Response(status_code=status, headers=headers)
        return StreamingResponse(
            _stream(state, pid, path, first, last),
            status_code=status,
            headers=headers,
            media_type=asset.media_type,
        )

    @router.get("/transfers/{pid}/licence", summary="The signed licence of a print")
    async def licence(request: Request, pid: str) -> Response:
        state = connector_state(request)
        try:
            row, agreement, asset = await _open_transfer(state, request, pid)
            assert state.key is not None
            document = await asyncio.to_thread(
                signed_licence,
                state.key,
                issuer=state.services.did,
                transfer=row,
                agreement=agreement,
                asset=asset,
            )
        except HinterlandError as exc:
            return _error(exc)
        return JSONResponse(document, media_type="application/vc+ld+json")

    return router
