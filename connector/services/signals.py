"""In-process signals: wake the worker at once, let callers wait for a state change.

This is what makes the happy path event-driven: a handler commits, then signals; the worker
runs immediately instead of on its next poll. Polling remains only as the fallback that
picks up work after a restart or from another replica.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable


class Signals:
    """A wake-up event for the worker and a condition for state waiters."""

    def __init__(self) -> None:
        self.wake = asyncio.Event()
        self._changed = asyncio.Condition()
        self._hints: set[tuple[str, str, str, str]] = set()

    async def notify(self, hint: tuple[str, str, str, str] | None = None) -> None:
        """Something changed (process `hint` = (kind, pid, role, state), if known): wake
        the worker and every waiter."""
        if hint is not None:
            self._hints.add(hint)
        self.wake.set()
        async with self._changed:
            self._changed.notify_all()

    def take_hints(self) -> set[tuple[str, str, str, str]]:
        """The processes changed since the last call (the worker looks at these first)."""
        hints, self._hints = self._hints, set()
        return hints

    async def wait_until(
        self, done: Callable[[], Awaitable[bool]], *, within: float, poll: float = 0.5
    ) -> bool:
        """Wait until `done()` is true (re-checked after each change, and every `poll` s
        for changes made by other replicas). False on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            if await done():
                return True
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), min(poll, remaining))
