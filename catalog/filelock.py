"""A cross-process lock on a file (`flock`), awaited without polling.

SQLite makes a second writer wait by sleeping and retrying (1, 2, 5, 10, ... ms). With two
catalog workers on one SQLite file, those sleeps, not the work, bounded ingest throughput.
Writers that first queue on this lock are woken the moment the holder releases it, and
their `BEGIN IMMEDIATE` then finds the database free (ADR catalog-0005). It plays the part
of the advisory lock on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: SQLite's own waiting only
    fcntl = None  # type: ignore[assignment]


class FileLock:
    """An exclusive lock on `path` shared by every process that opens the same file.

    One holder per process at a time: callers serialize within the process themselves
    (the store's asyncio lock).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def _open(self) -> int:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            weakref.finalize(self, os.close, self._fd)
        return self._fd

    @contextmanager
    def hold_blocking(self) -> Iterator[None]:
        """Hold the lock for the block, waiting in this thread (for a writer thread)."""
        if fcntl is None:
            yield
            return
        fd = self._open()
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        """Hold the lock for the block (waiting in a thread, so the event loop runs on)."""
        if fcntl is None:
            yield
            return
        fd = self._open()
        waiting = asyncio.get_running_loop().run_in_executor(None, fcntl.flock, fd, fcntl.LOCK_EX)
        try:
            await asyncio.shield(waiting)
        except asyncio.CancelledError:
            # The thread may still get the lock: give it back as soon as it does.
            def give_back(done: asyncio.Future[None]) -> None:
                if not done.cancelled() and done.exception() is None:
                    fcntl.flock(fd, fcntl.LOCK_UN)

            waiting.add_done_callback(give_back)
            raise
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


__all__ = ["FileLock"]
