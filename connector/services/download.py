"""Consumer side of the data plane: fetch a started transfer's data to a file.

Resumes a partial file with `Range` + `If-Range`, checks the whole file against the
provider's `Repr-Digest` (SHA-256) at the end, and fetches the signed licence of a print.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from connector.dsp import messages as m
from connector.store.tables import TransferRow
from hinterland.errors import Conflict, InputError, PermissionDenied

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Downloaded:
    """Where the data went, its digest and size, and the licence (for prints)."""

    path: Path
    sha256: str
    size: int
    licence: dict[str, Any] | None


def _digest_of(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


async def download(row: TransferRow, dest: Path, client: httpx.AsyncClient) -> Downloaded:
    """Fetch the data of consumer transfer `row` into `dest` (resuming a partial file)."""
    if row.state != "STARTED" or not row.data_address:
        raise Conflict(f"transfer {row.pid} is {row.state}; nothing to download")
    address = m.DataAddress.model_validate(row.data_address)
    token = address.property("authorization")
    if not address.endpoint or not token:
        raise InputError("the provider's data address has no endpoint or token")
    headers = {"Authorization": f"Bearer {token}"}
    have = await asyncio.to_thread(lambda: dest.stat().st_size if dest.exists() else 0)
    etag = None
    if have:
        head = await client.head(address.endpoint, headers=headers)
        etag = head.headers.get("etag")
        if etag:
            headers |= {"Range": f"bytes={have}-", "If-Range": etag}
    async with client.stream("GET", address.endpoint, headers=headers) as response:
        if response.status_code in (401, 403, 404):
            body = (await response.aread()).decode("utf-8", "replace")[:500]
            raise PermissionDenied(f"the provider refused the download: {body}")
        if response.status_code == 416:
            pass  # we already have the whole file
        elif response.status_code not in (200, 206):
            raise Conflict(f"the provider answered {response.status_code}")
        else:
            mode = "ab" if response.status_code == 206 else "wb"
            handle = await asyncio.to_thread(dest.open, mode)
            try:
                async for chunk in response.aiter_bytes(CHUNK):
                    await asyncio.to_thread(handle.write, chunk)
            finally:
                await asyncio.to_thread(handle.close)
        digest_header = response.headers.get("repr-digest", "")
        link = response.headers.get("link", "")
    sha256, size = await asyncio.to_thread(_digest_of, dest)
    if digest_header.startswith("sha-256=:"):
        expected = base64.b64decode(digest_header.removeprefix("sha-256=:").rstrip(":")).hex()
        if expected != sha256:
            raise Conflict(f"the downloaded file's SHA-256 {sha256} differs from {expected}")
    licence = None
    if 'rel="license"' in link:
        url = link.split(";", 1)[0].strip().strip("<>")
        reply = await client.get(url, headers={"Authorization": f"Bearer {token}"})
        if reply.status_code == 200:
            licence = reply.json()
    return Downloaded(dest, sha256, size, licence)
