"""The outbox: outbound DSP messages persisted before sending, retried with backoff.

Rows are claimed with a lease (one conditional UPDATE each), so replicas sharing a
database never send the same message concurrently; a crashed sender's lease simply expires.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar, cast

from sqlalchemy import Table, and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import aliased

from connector.store.processes import Clock, mark_delivered, run_write
from connector.store.tables import OutboxRow
from hinterland.db.engine import session_factory

PENDING, SENT, DEAD = "pending", "sent", "dead"
T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff: `base * factor**attempt`, capped, and a maximum attempt count."""

    base: float = 0.5
    factor: float = 2.0
    cap: float = 60.0
    max_attempts: int = 12

    def delay(self, attempts: int) -> float:
        """Seconds to wait after `attempts` failed attempts."""
        return float(min(self.cap, self.base * self.factor ** max(0, attempts - 1)))


class OutboxStore:
    """Claim due messages, and record each attempt's outcome."""

    def __init__(
        self, engine: AsyncEngine, *, clock: Clock = time.time, backoff: Backoff | None = None
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.backoff = backoff or Backoff()

    async def claim_due(self, owner: str, *, seconds: float, limit: int = 20) -> list[OutboxRow]:
        """Lease up to `limit` pending messages that are due, oldest first.

        Messages of one process are sent in order: a message is only due when no older
        pending message of the same process exists.
        """
        now = self.clock()
        t = OutboxRow
        older = aliased(OutboxRow)
        async with session_factory(self.engine)() as session:
            rows = (
                await session.execute(
                    select(t)
                    .where(
                        t.status == PENDING,
                        t.next_attempt <= now,
                        or_(t.lease_until.is_(None), t.lease_until < now),
                        ~exists().where(
                            older.process == t.process,
                            older.pid == t.pid,
                            older.status == PENDING,
                            older.id < t.id,
                        ),
                    )
                    .order_by(t.id)
                    .limit(limit)
                )
            ).scalars().all()
        claimed: list[OutboxRow] = []
        for row in rows:

            async def work(session: AsyncSession, row_id: int = row.id) -> bool:
                result = await session.execute(
                    update(t)
                    .where(
                        t.id == row_id,
                        t.status == PENDING,
                        or_(t.lease_until.is_(None), t.lease_until < now),
                    )
                    .values(lease_owner=owner, lease_until=now + seconds)
                    .execution_options(synchronize_session=False)
                )
                return bool(result.rowcount == 1)  # type: ignore[attr-defined]

            if await run_write(self.engine, work):
                claimed.append(row)
        return claimed

    async def mark_sent(
        self, row_id: int, owner: str,
        also: Callable[[AsyncSession], Awaitable[T]] | None = None,
    ) -> T | None:
        """The counterparty acknowledged the message; `also` (e.g. recording what the
        acknowledgement told us) runs in the same transaction, its result is returned."""
        return await self._finish(
            row_id, owner, status=SENT, error=None, next_attempt=None, also=also
        )

    async def mark_sent_many(self, row_ids: Sequence[int], owner: str) -> None:
        """Several acknowledged messages at once, in one transaction."""
        if row_ids:
            await run_write(self.engine, lambda s: mark_delivered(s, row_ids, owner))

    async def mark_failed(self, row_id: int, owner: str, error: str, *, permanent: bool) -> str:
        """Record a failed attempt; returns the new status (`pending` again, or `dead`)."""
        async with session_factory(self.engine)() as session:
            row = await session.get(OutboxRow, row_id)
        attempts = (row.attempts if row else 0) + 1
        dead = permanent or attempts >= self.backoff.max_attempts
        status = DEAD if dead else PENDING
        await self._finish(
            row_id,
            owner,
            status=status,
            error=error[:2000],
            next_attempt=self.clock() + self.backoff.delay(attempts),
            attempts=attempts,
        )
        return status

    async def _finish(
        self,
        row_id: int,
        owner: str,
        *,
        status: str,
        error: str | None,
        next_attempt: float | None,
        attempts: int | None = None,
        also: Callable[[AsyncSession], Awaitable[T]] | None = None,
    ) -> T | None:
        values: dict[str, object] = {"status": status, "lease_owner": None, "lease_until": None}
        if error is not None:
            values["last_error"] = error
        if next_attempt is not None:
            values["next_attempt"] = next_attempt
        if attempts is not None:
            values["attempts"] = attempts
        else:
            values["attempts"] = cast(Table, OutboxRow.__table__).c.attempts + 1

        table = cast(Table, OutboxRow.__table__)  # a Core UPDATE: no ORM bookkeeping

        async def work(session: AsyncSession) -> T | None:
            await session.execute(
                update(table)
                .where(and_(table.c.id == row_id, table.c.lease_owner == owner))
                .values(**values)
            )
            return None if also is None else await also(session)

        return await run_write(self.engine, work)

    async def pending(self, *, pid: str | None = None) -> Sequence[OutboxRow]:
        """Messages not yet acknowledged (all, or of one process)."""
        query = select(OutboxRow).where(OutboxRow.status == PENDING).order_by(OutboxRow.id)
        if pid is not None:
            query = query.where(OutboxRow.pid == pid)
        async with session_factory(self.engine)() as session:
            return (await session.execute(query)).scalars().all()

    async def all_for(self, pid: str) -> Sequence[OutboxRow]:
        """Every message of one process, in order."""
        async with session_factory(self.engine)() as session:
            return (
                await session.execute(
                    select(OutboxRow).where(OutboxRow.pid == pid).order_by(OutboxRow.id)
                )
            ).scalars().all()
