"""The SQLite writers' file lock excludes other holders, wakes a waiter on release and is
given back when a waiter is cancelled."""

from __future__ import annotations

import asyncio
from pathlib import Path

from catalog.filelock import FileLock


async def test_a_second_holder_waits_until_the_first_releases(tmp_path: Path) -> None:
    first, second = FileLock(tmp_path / "w.lock"), FileLock(tmp_path / "w.lock")
    order: list[str] = []

    async def take() -> None:
        async with second.hold():
            order.append("second")

    async with first.hold():
        waiter = asyncio.create_task(take())
        await asyncio.sleep(0.2)
        assert not waiter.done()
        order.append("first done")
    await asyncio.wait_for(waiter, 5)
    assert order == ["first done", "second"]


async def test_a_cancelled_waiter_gives_the_lock_back(tmp_path: Path) -> None:
    first, second, third = (FileLock(tmp_path / "w.lock") for _ in range(3))

    async def take(lock: FileLock) -> None:
        async with lock.hold():
            pass

    async with first.hold():
        cancelled = asyncio.create_task(take(second))
        await asyncio.sleep(0.2)
        cancelled.cancel()
        await asyncio.sleep(0.05)
        assert cancelled.cancelled()
    await asyncio.sleep(0.2)  # the cancelled waiter's thread gets the lock, then frees it
    await asyncio.wait_for(take(third), 5)
