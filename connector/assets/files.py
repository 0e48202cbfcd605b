"""Uploads streamed to disk in constant memory, named by their SHA-256.

A file is written to a temporary name in the asset directory, hashed as it arrives, and
renamed to its digest when complete, so a crash never leaves a half file under a real
name and identical uploads share one file.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from hinterland.errors import InputError, LimitExceeded

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class StoredFile:
    """A file in the asset directory."""

    path: Path
    sha256: str
    size: int


async def store_stream(
    chunks: AsyncIterator[bytes], directory: Path, *, max_bytes: int
) -> StoredFile:
    """Write `chunks` to `directory`, returning the file named by its SHA-256.

    Raises `LimitExceeded` past `max_bytes` (nothing is kept) and `InputError` for an
    empty upload.
    """
    temp = directory / f".upload-{uuid.uuid4().hex}"
    handle = await asyncio.to_thread(_open_temp, directory, temp)
    digest = hashlib.sha256()
    size = 0
    try:
        with handle:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise LimitExceeded(f"upload larger than {max_bytes} bytes")
                digest.update(chunk)
                await asyncio.to_thread(handle.write, chunk)
            await asyncio.to_thread(_sync, handle)
        if size == 0:
            raise InputError("the upload is empty")
        final = directory / digest.hexdigest()
        await asyncio.to_thread(os.replace, temp, final)
        return StoredFile(final, digest.hexdigest(), size)
    finally:
        await asyncio.to_thread(temp.unlink, missing_ok=True)


def _open_temp(directory: Path, temp: Path) -> BinaryIO:
    directory.mkdir(parents=True, exist_ok=True)
    return temp.open("wb")


def _sync(handle: BinaryIO) -> None:
    handle.flush()
    os.fsync(handle.fileno())


async def iter_file(path: Path) -> AsyncIterator[bytes]:
    """Read a local file in 1 MiB chunks (used for imports from disk)."""
    handle = await asyncio.to_thread(path.open, "rb")
    with handle:
        while True:
            chunk = await asyncio.to_thread(handle.read, CHUNK)
            if not chunk:
                return
            yield chunk


def guess_media_type(file_name: str) -> str:
    """A media type from the file extension (opaque files are octet streams)."""
    suffix = Path(file_name).suffix.lower()
    return {
        ".stl": "model/stl", ".3mf": "model/3mf", ".json": "application/json",
        ".csv": "text/csv", ".pdf": "application/pdf", ".step": "model/step",
        ".stp": "model/step",
    }.get(suffix, "application/octet-stream")
