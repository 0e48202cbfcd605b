"""In-process signals: wake the worker at once, let callers wait for a state change.

This is what makes the happy path event-driven: a handler commits, then signals; the worker
runs immediately instead of on its next poll. Polling remains only as the fallback that
picks up work after a restart or from another replica.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

Hint = tuple[str, str, str, str]
"""(kind, pid, role, state) of a process that changed."""


class Signals:
    """A wake-up event for the worker and wake-ups for state waiters."""

    def __init__(self) -> None:
        self.wake = asyncio.Event()
        self._hints: set[Hint] = set()
        self._waiters: dict[asyncio.Event, Callable[[Hint, Any], bool] | None] = {}

    async def notify(self, hint: Hint | None = None, row: Any = None) -> None:
        """Something changed (process `hint` = (kind, pid, role, state), if known, and its
        row as committed, if at hand): wake the worker and every waiter interested in it
        (all of them without a hint)."""
        if hint is not None:
            self._hints.add(hint)
        self.wake.set()
        for event, wants in self._waiters.items():
            if hint is None or wants is None or wants(hint, row):
                event.set()

    def take_hints(self) -> set[tuple[str, str, str, str]]:
        """The processes changed since the last call (the worker looks at these first)."""
        hints, self._hints = self._hints, set()
        return hints

    @contextlib.contextmanager
    def watching(self, wants: Callable[[Hint, Any], bool]) -> Iterator[asyncio.Event]:
        """An event set whenever a change `wants(hint, row)` is notified, for the block."""
        event = asyncio.Event()
        self._waiters[event] = wants
        try:
            yield event
        finally:
            del self._waiters[event]

    async def wait_until(
        self, done: Callable[[], Awaitable[bool]], *, within: float, poll: float = 0.5,
        wants: Callable[[Hint, Any], bool] | None = None,
    ) -> bool:
        """Wait until `done()` is true (re-checked after each change `wants(hint, row)`, by
        default every change, and every `poll` s for changes made by other replicas). False
        on timeout. A change notified while `done()` runs is not lost."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        changed = asyncio.Event()
        self._waiters[changed] = wants
        try:
            while True:
                changed.clear()
                if await done():
                    return True
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return False
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), min(poll, remaining))
        finally:
            del self._waiters[changed]
