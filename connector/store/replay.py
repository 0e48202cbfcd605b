"""Replay marks of identity tokens that commit with the first write of their request.

A DSP request's token id (`jti`) must be on record before the request has any effect, so
that the same token is refused a second time (also by another replica). Writing it in a
transaction of its own cost every request a commit; instead the route defers the mark
(`defer`), `run_write` inserts it at the start of the request's first write transaction,
and the route settles it (`settle`) whatever became of the request, so a request that
wrote nothing, or failed, is on record too. A replayed token collides on the primary key,
which aborts that transaction: the replay never has an effect.

A handler with a side effect outside `run_write` (spending a usage count) first commits
the mark on its own (`connector.store.processes.settle_replay`). The mark belongs to the
task that deferred it and is never written by another.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import Table, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from connector.store.tables import SeenTokenRow
from hinterland.errors import AuthenticationError

REPLAYED = "the identity token was already used (replay)"
_SEEN = cast(Table, SeenTokenRow.__table__)


@dataclass
class ReplayMark:
    """The record of one accepted token, not yet written."""

    key: str
    issuer: str
    expires_at: float
    task: asyncio.Task[object] | None = field(default_factory=asyncio.current_task)
    written: bool = False


_pending: ContextVar[ReplayMark | None] = ContextVar("hinterland_replay_mark", default=None)


def defer(mark: ReplayMark) -> Token[ReplayMark | None]:
    """Have the current request's first write transaction record `mark`."""
    return _pending.set(mark)


def forget() -> None:
    """Drop the deferred mark (at the end of the request, once it is settled)."""
    _pending.set(None)


def pending() -> ReplayMark | None:
    """The current task's mark if it still has to be written."""
    mark = _pending.get()
    if mark is None or mark.written or mark.task is not asyncio.current_task():
        return None
    return mark


async def write_in(session: AsyncSession, mark: ReplayMark) -> None:
    """Insert `mark` in `session`'s transaction; `AuthenticationError` on a replay."""
    try:
        await session.execute(
            insert(_SEEN).values(jti=mark.key, issuer=mark.issuer, expires_at=mark.expires_at)
        )
    except IntegrityError:
        raise AuthenticationError(REPLAYED) from None
