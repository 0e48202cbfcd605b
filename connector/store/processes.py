"""Negotiations and transfers: create, read, and move them through the state machine.

A transition and the outbound messages it causes are written in one transaction (the
outbox pattern), guarded by the row's `version` so two writers never both apply a step.
Re-delivered messages are recognised as duplicates and change nothing (idempotency).
Row leases (`claim`) make sure only one replica works on a process at a time.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, cast

from sqlalchemy import Table, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from connector.dsp.messages import NegotiationState, TransferState
from connector.statemachine import (
    NEGOTIATION_TERMINAL,
    TRANSFER_TERMINAL,
    NegotiationEvent,
    Role,
    TransferEvent,
    is_duplicate_negotiation,
    is_duplicate_transfer,
    next_negotiation_state,
    next_transfer_state,
)
from connector.store import replay
from connector.store.tables import (
    AgreementRow,
    AssetRow,
    NegotiationRow,
    OutboxRow,
    TransferRow,
)
from hinterland.db.base import Base
from hinterland.db.engine import session_factory
from hinterland.errors import Conflict, NotFound, StorageError

Clock = Callable[[], float]
_OUTBOX = cast(Table, OutboxRow.__table__)
T = TypeVar("T")
RowT = TypeVar("RowT", NegotiationRow, TransferRow)


@dataclass(frozen=True)
class Outbound:
    """A message to send once the transaction commits: POST `body` to `url` for `audience`."""

    url: str
    audience: str
    body: dict[str, Any]


@dataclass(frozen=True)
class Transition(Generic[RowT]):
    """The outcome of applying a message: the row after it, and whether anything changed."""

    row: RowT
    changed: bool
    previous: str | None


async def run_write(
    engine: AsyncEngine, work: Callable[[AsyncSession], Awaitable[T]], *, attempts: int = 8
) -> T:
    """Run `work` in a transaction, retrying lost optimistic races and SQLite lock waits.

    The first write of a request that deferred its token's replay mark records the mark in
    the same transaction (`connector.store.replay`); `AuthenticationError` on a replay."""
    factory = session_factory(engine)
    delay = 0.005
    mark = replay.pending()
    for attempt in range(attempts):
        try:
            async with factory() as session, session.begin():
                if mark is not None:
                    await replay.write_in(session, mark)
                result = await work(session)
            if mark is not None:
                mark.written = True
            return result
        except (_Retry, OperationalError) as exc:
            if isinstance(exc, OperationalError) and "locked" not in str(exc).lower():
                raise StorageError(f"database error: {exc.orig}") from exc
            if attempt == attempts - 1:
                raise Conflict("the process was changed concurrently; try again") from exc
            import asyncio

            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.2)
    raise AssertionError("unreachable")


async def settle_replay(engine: AsyncEngine) -> None:
    """Commit the current request's deferred token replay mark now, if it is still pending
    (before a side effect outside `run_write`); `AuthenticationError` on a replay."""
    if replay.pending() is not None:
        await run_write(engine, _nothing)  # run_write writes the mark


async def _nothing(session: AsyncSession) -> None:
    return None


class _Retry(Exception):
    """Internal: an optimistic update lost a race; re-read and try again."""


async def mark_delivered(session: AsyncSession, row_ids: Sequence[int], owner: str) -> None:
    """Mark outbox messages `owner` delivered (the counterparty acknowledged them) as sent,
    in `session`'s transaction."""
    await session.execute(
        update(_OUTBOX)
        .where(_OUTBOX.c.id.in_(list(row_ids)), _OUTBOX.c.lease_owner == owner)
        .values(status="sent", lease_owner=None, lease_until=None,
                attempts=_OUTBOX.c.attempts + 1)
    )


async def _enqueue(
    session: AsyncSession, process: str, pid: str, now: float, out: Outbound,
    lease: tuple[str, float] | None = None,
) -> OutboxRow:
    """Queue `out` in `session`'s transaction (a Core INSERT: no unit of work to flush);
    returns a detached row for `ready`."""
    values: dict[str, Any] = {
        "process": process,
        "pid": pid,
        "url": out.url,
        "audience": out.audience,
        "body": out.body,
        "status": "pending",
        "attempts": 0,
        "next_attempt": now,
        "created_at": now,
        # leased: this replica sends it right after the commit
        "lease_owner": lease[0] if lease is not None else None,
        "lease_until": now + lease[1] if lease is not None else None,
    }
    result = await session.execute(insert(_OUTBOX).values(**values))
    row_id = result.inserted_primary_key[0]  # type: ignore[attr-defined]
    return OutboxRow(id=row_id, last_error=None, **values)


class InTransactionAudit(Protocol):
    """An audit log that can append inside the caller's transaction."""

    async def append_in(
        self, session: AsyncSession, kind: str, data: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Append one event in `session`'s transaction."""
        ...


_INITIAL_EVENT = {
    ("negotiation", "REQUESTED"): "ContractRequestMessage",
    ("negotiation", "OFFERED"): "ContractOfferMessage",
    ("transfer", "REQUESTED"): "TransferRequestMessage",
}


class _ProcessStore(Generic[RowT]):
    table: type[RowT]
    process: str
    terminal: frozenset[str]

    def __init__(
        self, engine: AsyncEngine, *, clock: Clock = time.time,
        audit: InTransactionAudit | None = None,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.audit = audit
        """When set, every transition's audit entry commits with the transition itself."""
        self.sender: tuple[str, float] | None = None
        """(worker id, lease seconds): outbound messages of a step are leased to this
        replica's worker and handed to it in `ready`, so it sends them without a query."""
        self.ready: list[OutboxRow] = []
        self.due_states: frozenset[tuple[str, str]] = frozenset()
        """(role, state) pairs our running worker acts on (set by `Worker.run`). A step
        into one of them leases the process to that worker in the same UPDATE and hands
        the row over in `due`, so the worker acts without a claiming query."""
        self.due: list[RowT] = []
        self.followers: set[str] = set()
        """Processes with a queued message left unleased behind an older unsent one: once
        the older one is sent, the worker looks for the follower in the outbox."""
        self.delivered: dict[str, list[int]] = {}
        """Outbox messages (by process) our worker delivered but has not marked sent yet:
        the process's next step marks them in its own transaction, else the worker marks
        them in a batch shortly after (a crash in between only delivers them again, which
        the idempotent DSP endpoints absorb)."""

    async def _audit(
        self, session: AsyncSession, row: RowT, event: str,
        records: Sequence[tuple[str, Mapping[str, Any]]] = (),
    ) -> None:
        await self._records(session, records)
        if self.audit is None:
            return
        try:
            await self.audit.append_in(session, f"{self.process}.transition", {
                self.process: row.pid, "role": row.role, "counterparty": row.counterparty,
                "event": event, "state": row.state, "reason": row.reason,
            })
        except IntegrityError:
            raise _Retry() from None  # another writer took this audit seq: redo the step

    async def _records(
        self, session: AsyncSession, records: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> None:
        if self.audit is None:
            return
        try:
            for kind, data in records:  # e.g. the policy decision that led to this step
                await self.audit.append_in(session, kind, data)
        except IntegrityError:
            raise _Retry() from None  # another writer took this audit seq: redo the step

    def _handoff(self, role: str, state: str, now: float) -> tuple[str, float] | None:
        """The lease to give our worker when a step leaves a process in `state`."""
        if self.sender is None or (role, state) not in self.due_states:
            return None
        return self.sender[0], now + self.sender[1]

    # -- reading --------------------------------------------------------------------

    async def get(self, pid: str, *, role: Role | None = None) -> RowT:
        """The process with our id `pid` (of `role`, if given); `NotFound` otherwise."""
        async with session_factory(self.engine)() as session:
            row = await session.get(self.table, pid)
        if row is None or (role is not None and row.role != role.value):
            raise NotFound(f"no {self.process} {pid!r}")
        return row

    async def find_remote(self, role: Role, counterparty: str, remote_pid: str) -> RowT | None:
        """Our process that the counterparty knows as `remote_pid`, if any."""
        t = self.table
        async with session_factory(self.engine)() as session:
            result = await session.execute(
                select(t).where(
                    t.role == role.value, t.counterparty == counterparty, t.remote_pid == remote_pid
                )
            )
            return result.scalar_one_or_none()

    async def recent(self, *, role: Role | None = None, limit: int = 100) -> Sequence[RowT]:
        """Recent processes, newest first."""
        t = self.table
        query = select(t).order_by(t.created_at.desc()).limit(limit)
        if role is not None:
            query = query.where(t.role == role.value)
        async with session_factory(self.engine)() as session:
            return (await session.execute(query)).scalars().all()

    # -- writing --------------------------------------------------------------------

    async def create(
        self, row: RowT, outbound: Sequence[Outbound] = (), *,
        records: Sequence[tuple[str, Mapping[str, Any]]] = (),
    ) -> RowT:
        """Insert a new process (and its first outbound messages).

        `records` are audit entries (e.g. the policy decision that admitted the process)
        appended before the creation's own entry, in the same transaction; without an
        in-transaction audit log the caller records them itself.

        If the counterparty already created this process (same `remote_pid`), the existing
        row is returned instead: the initiating message was re-delivered.
        """
        now = self.clock()
        row.created_at = row.updated_at = now
        row.version = 1
        handoff = self._handoff(row.role, row.state, now)
        if handoff is not None:
            row.lease_owner, row.lease_until = handoff

        queued: list[OutboxRow] = []

        async def work(session: AsyncSession) -> RowT:
            queued.clear()
            session.add(row)
            for index, out in enumerate(outbound):
                lease = self.sender if index == 0 else None  # later ones wait their turn
                queued.append(await _enqueue(session, self.process, row.pid, now, out, lease))
            await session.flush()
            await self._audit(
                session, row, _INITIAL_EVENT.get((self.process, row.state), ""), records
            )
            return row

        try:
            created = await run_write(self.engine, work)
            self.ready.extend(r for r in queued if r.lease_owner is not None)
            if len(queued) > 1:
                self.followers.add(row.pid)
            if handoff is not None:
                self.due.append(created)
            return created
        except IntegrityError as exc:
            if row.remote_pid is not None:
                existing = await self.find_remote(Role(row.role), row.counterparty, row.remote_pid)
                if existing is not None:
                    if records:  # the decision was taken all the same
                        await run_write(self.engine, lambda s: self._records(s, records))
                    return existing
            async with session_factory(self.engine)() as session:
                if await session.get(self.table, row.pid) is not None:
                    raise Conflict(f"{self.process} {row.pid!r} exists already") from None
            raise StorageError(f"cannot store {self.process} {row.pid!r}: {exc.orig}") from None

    def _next(self, current: str | None, event: Any, sender: Role) -> str:
        raise NotImplementedError

    def _duplicate(self, current: str, event: Any) -> bool:
        raise NotImplementedError

    async def apply(
        self,
        pid: str,
        event: Any,
        sender: Role,
        *,
        updates: dict[str, Any] | None = None,
        outbound: Sequence[Outbound] = (),
        check: Callable[[RowT], None] | None = None,
        extra: Sequence[Base] = (),
        records: Sequence[tuple[str, Mapping[str, Any]]] = (),
    ) -> Transition[RowT]:
        """Move process `pid` by `event` sent by `sender`, writing `updates` and queueing
        `outbound` in the same transaction (and inserting the `extra` rows, e.g. an agreement,
        and appending the audit `records`, e.g. the policy decision behind the step, before
        the transition's own entry).

        A duplicate (the process is already where `event` leads) changes nothing and queues
        nothing. `check(row)` may raise to refuse the step (e.g. the wrong counterparty).
        Raises `NotFound`, `IllegalTransition`.
        """
        t = self.table
        queued: list[OutboxRow] = []
        waits: list[bool] = []
        handed: list[bool] = []

        marked: list[int] = []

        async def work(session: AsyncSession) -> Transition[RowT]:
            queued.clear()
            waits.clear()
            handed.clear()
            marked[:] = self.delivered.get(pid, ())
            row = await session.get(t, pid, populate_existing=True)
            if row is None:
                raise NotFound(f"no {self.process} {pid!r}")
            if check is not None:
                check(row)
            if marked and self.sender is not None:
                await mark_delivered(session, marked, self.sender[0])
            if self._duplicate(row.state, event):
                await self._records(session, records)  # the decision was taken all the same
                return Transition(row, False, row.state)
            target = self._next(row.state, event, sender)
            now = self.clock()
            # a completed step also ends the lease of whoever worked on it, or hands the
            # process to our worker when it waits for it next
            handoff = self._handoff(row.role, target, now)
            handed.append(handoff is not None)
            owner, until = handoff or (None, None)
            values = {**(updates or {}), "state": target, "updated_at": now,
                      "lease_owner": owner, "lease_until": until}
            values["version"] = row.version + 1
            table = cast(Table, t.__table__)  # Core statements: no ORM bookkeeping
            result = await session.execute(
                update(table)
                .where(table.c.pid == pid, table.c.version == row.version)
                .values(**values)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise _Retry()
            lease = self.sender
            if lease is not None and outbound:
                waiting = await session.execute(
                    select(_OUTBOX.c.id)
                    .where(_OUTBOX.c.pid == pid, _OUTBOX.c.status == "pending")
                    .limit(1)
                )
                if waiting.first() is not None:
                    lease = None  # an older message goes first; the worker's scan sends ours
                    waits.append(True)
            for index, out in enumerate(outbound):
                queued.append(await _enqueue(session, self.process, pid, now, out,
                                             lease if index == 0 else None))
            for item in extra:
                session.add(item)
            previous = row.state
            session.expunge(row)  # mirror the UPDATE without reading the row back
            for key, value in values.items():
                setattr(row, key, value)
            await self._audit(session, row, str(getattr(event, "value", event)), records)
            return Transition(row, True, previous)

        step = await run_write(self.engine, work)
        if marked:
            self.forget_delivered(pid, marked)
        if step.changed:
            self.ready.extend(r for r in queued if r.lease_owner is not None)
            if waits or len(queued) > 1:
                self.followers.add(pid)
            if any(handed):
                self.due.append(step.row)
        return step

    def forget_delivered(self, pid: str, row_ids: Sequence[int]) -> None:
        """Messages of `pid` that are marked sent now."""
        left = [i for i in self.delivered.get(pid, ()) if i not in row_ids]
        if left:
            self.delivered[pid] = left
        else:
            self.delivered.pop(pid, None)

    async def set_remote_pid(self, pid: str, remote_pid: str, *, role: Role | None = None) -> bool:
        """Record the counterparty's id for our process (of `role`, if given), if not known
        yet. True if it was recorded now."""
        return await run_write(
            self.engine, lambda session: self.set_remote_pid_in(session, pid, remote_pid, role)
        )

    async def set_remote_pid_in(
        self, session: AsyncSession, pid: str, remote_pid: str, role: Role | None = None
    ) -> bool:
        """`set_remote_pid` within the caller's transaction."""
        t = cast(Table, self.table.__table__)
        where = [t.c.pid == pid, t.c.remote_pid.is_(None)]
        if role is not None:
            where.append(t.c.role == role.value)
        result = await session.execute(update(t).where(*where).values(remote_pid=remote_pid))
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def abandon(self, pid: str, reason: str) -> bool:
        """Mark a process TERMINATED locally because the counterparty cannot be reached or
        refused our message; no message is sent. False if it had already ended."""
        t = self.table
        terminal = list(self.terminal)

        async def work(session: AsyncSession) -> bool:
            result = await session.execute(
                update(t)
                .where(t.pid == pid, t.state.not_in(terminal))
                .values(
                    state="TERMINATED", reason=reason[:2000], updated_at=self.clock(),
                    version=t.version + 1,
                )
                .execution_options(synchronize_session=False)
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

        return await run_write(self.engine, work)

    # -- leases ---------------------------------------------------------------------

    async def claim(
        self, states: Sequence[str], owner: str, *, role: Role, seconds: float, limit: int = 20
    ) -> list[RowT]:
        """Lease up to `limit` processes of `role` in `states` whose lease is free or expired.

        Each claim is one conditional UPDATE that re-checks role, state and lease, so two
        replicas never hold the same row, nor act on a process another has moved on.
        """
        claimed: list[RowT] = []
        for pid in await self._candidates(states, role=role, limit=limit):
            # The candidates may be stale by now: another replica may have moved the
            # process on and released it, which only the leasing UPDATE can see.
            row = await self.acquire_due(pid, owner, due=[(role, states)], seconds=seconds)
            if row is not None:
                claimed.append(row)
        return claimed

    async def _candidates(self, states: Sequence[str], *, role: Role, limit: int) -> list[str]:
        """Processes that look claimable now (a hint; `claim` decides under the lease)."""
        t = self.table
        now = self.clock()
        async with session_factory(self.engine)() as session:
            result = await session.execute(
                select(t.pid)
                .where(
                    t.role == role.value,
                    t.state.in_(list(states)),
                    or_(t.lease_until.is_(None), t.lease_until < now),
                )
                .order_by(t.updated_at)
                .limit(limit)
            )
            return list(result.scalars().all())

    async def acquire(self, pid: str, owner: str, *, seconds: float) -> bool:
        """Take (or extend) the lease on `pid`; False when another owner holds it."""
        t = self.table
        now = self.clock()

        async def work(session: AsyncSession) -> bool:
            result = await session.execute(
                update(t)
                .where(
                    t.pid == pid,
                    or_(t.lease_owner.is_(None), t.lease_until < now, t.lease_owner == owner),
                )
                .values(lease_owner=owner, lease_until=now + seconds)
                .execution_options(synchronize_session=False)
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

        return await run_write(self.engine, work)

    async def acquire_due(
        self, pid: str, owner: str, *, due: Sequence[tuple[Role, Sequence[str]]],
        seconds: float,
    ) -> RowT | None:
        """Lease `pid` only if it waits for us (its role and state are one of `due`) and its
        lease is free; returns the row (one statement: UPDATE ... RETURNING)."""
        t = self.table
        now = self.clock()
        waiting = or_(*(and_(t.role == role.value, t.state.in_(list(states)))
                        for role, states in due))

        async def work(session: AsyncSession) -> RowT | None:
            result = await session.execute(
                update(t)
                .where(
                    t.pid == pid,
                    waiting,
                    or_(t.lease_owner.is_(None), t.lease_until < now, t.lease_owner == owner),
                )
                .values(lease_owner=owner, lease_until=now + seconds)
                .returning(t)
                .execution_options(synchronize_session=False)
            )
            return result.scalars().first()

        return await run_write(self.engine, work)

    async def release(self, pid: str, owner: str) -> None:
        """Give the lease back (only if we hold it)."""
        t = self.table

        async def work(session: AsyncSession) -> None:
            await session.execute(
                update(t)
                .where(t.pid == pid, t.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
                .execution_options(synchronize_session=False)
            )

        await run_write(self.engine, work)


class NegotiationStore(_ProcessStore[NegotiationRow]):
    """Contract negotiations."""

    table = NegotiationRow
    process = "negotiation"
    terminal = frozenset(s.value for s in NEGOTIATION_TERMINAL)

    def _next(self, current: str | None, event: Any, sender: Role) -> str:
        state = None if current is None else NegotiationState(current)
        return next_negotiation_state(state, NegotiationEvent(event), sender).value

    def _duplicate(self, current: str, event: Any) -> bool:
        return is_duplicate_negotiation(NegotiationState(current), NegotiationEvent(event))


class TransferStore(_ProcessStore[TransferRow]):
    """Transfer processes."""

    table = TransferRow
    process = "transfer"
    terminal = frozenset(s.value for s in TRANSFER_TERMINAL)

    def _next(self, current: str | None, event: Any, sender: Role) -> str:
        state = None if current is None else TransferState(current)
        return next_transfer_state(state, TransferEvent(event), sender).value

    def _duplicate(self, current: str, event: Any) -> bool:
        return is_duplicate_transfer(TransferState(current), TransferEvent(event))

    async def by_token_hash_with(
        self, token_hash: str
    ) -> tuple[TransferRow, AgreementRow | None, AssetRow | None] | None:
        """`by_token_hash`, with the transfer's agreement and its asset read in the same
        session (None where one is missing)."""
        async with session_factory(self.engine)() as session:
            row = (
                await session.execute(
                    select(TransferRow).where(
                        TransferRow.token_hash == token_hash,
                        TransferRow.role == Role.PROVIDER.value,
                    )
                )
            ).scalar_one_or_none()
            if row is None:
                return None
            agreement = await session.get(AgreementRow, (row.agreement_id, row.role))
            asset = None if agreement is None else await session.get(AssetRow, agreement.asset_id)
        return row, agreement, asset

    async def by_token_hash(self, token_hash: str) -> TransferRow | None:
        """The provider-side transfer whose data-plane token hashes to `token_hash`."""
        async with session_factory(self.engine)() as session:
            result = await session.execute(
                select(TransferRow).where(
                    TransferRow.token_hash == token_hash, TransferRow.role == Role.PROVIDER.value
                )
            )
            return result.scalar_one_or_none()
