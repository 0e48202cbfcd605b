"""The append-only audit log in the database.

Appends are serialised by the `seq` primary key: two writers racing for the same `seq`
collide, and the loser re-reads the head and tries again, so the chain never forks.
Every `checkpoint_every` entries the head is signed with the connector's key.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, event, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

from connector.audit.chain import GENESIS, canonical, entry_hash, sign_checkpoint
from connector.store.processes import Clock, run_write
from connector.store.tables import AuditCheckpointRow, AuditEntryRow
from hinterland.db.engine import session_factory
from hinterland.errors import StorageError
from hinterland.keys import PrivateKey

MAX_DATA_BYTES = 16_384
_ENTRIES = cast(Table, AuditEntryRow.__table__)  # Core statements: no ORM bookkeeping
_CHECKPOINTS = cast(Table, AuditCheckpointRow.__table__)
_HEAD = "hinterland.audit.head"
"""`session.info` key: (transaction, seq, hash, log) of the last entry appended in it."""


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z"
    )


class AuditLog:
    """Append events; export the log with signed checkpoints as JSON Lines."""

    def __init__(
        self,
        engine: AsyncEngine,
        key: PrivateKey,
        *,
        signer: str,
        verification_method: str,
        checkpoint_every: int = 100,
        clock: Clock = time.time,
    ) -> None:
        self.engine = engine
        self.key = key
        self.signer = signer
        self.verification_method = verification_method
        self.checkpoint_every = checkpoint_every
        self.clock = clock
        self._head: tuple[int, str] | None = None
        """(seq, hash) of the last entry we committed: the head unless another writer
        appended since, in which case our next insert collides on the seq and we re-read."""

    async def record(self, kind: str, data: Mapping[str, Any]) -> None:
        """Append one event (the `AuditSink` interface)."""
        await self.append(kind, data)

    async def append_in(
        self, session: AsyncSession, kind: str, data: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Append within the caller's transaction (so an event and its audit entry commit
        together). Raises `IntegrityError` if another writer took the same `seq`: the
        caller's transaction must then be retried as a whole."""
        return await self._append(session, kind, _bounded(data))

    async def append(self, kind: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """Append an event and return the stored entry (with its hash)."""
        payload = _bounded(data)
        for attempt in range(50):
            try:
                return await run_write(self.engine, lambda s: self._append(s, kind, payload))
            except IntegrityError:
                await asyncio.sleep(0.001 * (attempt + 1))  # another writer took this seq
        raise StorageError("could not append to the audit log: too much contention")

    async def _append(
        self, session: AsyncSession, kind: str, data: dict[str, Any]
    ) -> dict[str, Any]:
        transaction = session.get_transaction()
        mine = session.info.get(_HEAD)
        if mine is not None and transaction is not None and mine[0] is transaction:
            # our own previous entry in this very transaction is the head: nobody else can
            # append in between without colliding on the next seq
            last: tuple[int, str] | None = (mine[1], mine[2])
        elif self._head is not None:
            last = self._head  # a stale head collides below: entries have no gaps
        else:
            found = (
                await session.execute(
                    select(_ENTRIES.c.seq, _ENTRIES.c.hash).order_by(_ENTRIES.c.seq.desc()).limit(1)
                )
            ).first()
            last = None if found is None else (found[0], found[1])
        seq = 1 if last is None else last[0] + 1
        entry = {
            "seq": seq,
            "time": _iso(self.clock()),
            "kind": kind,
            "data": data,
            "prev": GENESIS if last is None else last[1],
        }
        digest = entry_hash(entry)
        try:
            await session.execute(
                insert(_ENTRIES).values(seq=seq, entry=canonical(entry), hash=digest)
            )
        except IntegrityError:
            self._head = None  # another writer took this seq: read the head next time
            raise
        if seq % self.checkpoint_every == 0:
            checkpoint = canonical(self._checkpoint(seq, digest))
            await session.execute(insert(_CHECKPOINTS).values(seq=seq, checkpoint=checkpoint))
        session.info[_HEAD] = (transaction, seq, digest, self)
        return {**entry, "hash": digest}

    def _committed(self, seq: int, digest: str) -> None:
        if self._head is None or seq > self._head[0]:
            self._head = (seq, digest)

    def _checkpoint(self, seq: int, digest: str, *, exported: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "seq": seq,
            "hash": digest,
            "time": _iso(self.clock()),
            "signer": self.signer,
            "verificationMethod": self.verification_method,
        }
        if exported:
            body["exported"] = True
        return sign_checkpoint(body, self.key)

    async def count(self) -> int:
        """Number of entries."""
        async with session_factory(self.engine)() as session:
            return int((await session.execute(select(func.count(AuditEntryRow.seq)))).scalar_one())

    async def export(self, *, batch: int = 1_000) -> AsyncIterator[str]:
        """The whole log as JSON Lines: each entry (with `hash`), each stored checkpoint
        after the entry it covers, and a fresh checkpoint over the head marked `exported`,
        so that removing entries from the end is detectable too."""
        factory = session_factory(self.engine)
        last_seq, last_hash = 0, GENESIS
        async with factory() as session:
            checkpoints = {
                row.seq: row.checkpoint
                for row in (await session.execute(select(AuditCheckpointRow))).scalars()
            }
        while True:
            async with factory() as session:
                rows = (
                    await session.execute(
                        select(AuditEntryRow)
                        .where(AuditEntryRow.seq > last_seq)
                        .order_by(AuditEntryRow.seq)
                        .limit(batch)
                    )
                ).scalars().all()
            if not rows:
                break
            for row in rows:
                entry = {**_loads(row.entry), "hash": row.hash}
                yield canonical(entry) + "\n"
                if row.seq in checkpoints:
                    yield canonical({"checkpoint": _loads(checkpoints[row.seq])}) + "\n"
                last_seq, last_hash = row.seq, row.hash
        yield canonical({"checkpoint": self._checkpoint(last_seq, last_hash, exported=True)}) + "\n"


@event.listens_for(Session, "after_commit")
def _publish_head(session: Session) -> None:
    """An appending transaction committed: its last entry is the log's known head."""
    head = session.info.pop(_HEAD, None)
    if head is not None:
        head[3]._committed(head[1], head[2])


@event.listens_for(Session, "after_rollback")
def _drop_head(session: Session) -> None:
    session.info.pop(_HEAD, None)


def _bounded(data: Mapping[str, Any]) -> dict[str, Any]:
    payload = dict(data)
    if len(canonical(payload)) > MAX_DATA_BYTES:
        payload = {"truncated": True, "summary": canonical(payload)[:1_000]}
    return payload


def _loads(text: str) -> dict[str, Any]:
    import json

    value: dict[str, Any] = json.loads(text)
    return value
