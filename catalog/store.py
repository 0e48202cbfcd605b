"""The catalog store: entries, search values, participants and the change feed.

Every write runs in one transaction that first takes the catalog's write lock (a
transaction-scoped advisory lock on PostgreSQL, `BEGIN IMMEDIATE` on SQLite). Writers are
thus serialized, which is what makes the change-feed cursor grow in commit order: a reader
that has seen `seq = n` can never later find a committed change with a smaller `seq`.
Catalog writes are small, so this costs little and keeps replicas consistent.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

from catalog import adds, pgwrite
from catalog.filelock import FileLock
from catalog.models import (
    ChangeRow,
    EntryBlobRow,
    EntryRow,
    ParticipantRow,
    PeerRow,
    row_to_entry,
)
from catalog.pgplans import CUSTOM_PLANS
from catalog.records import AddResult, Change, ChangeKind, Entry, NewEntry, Participant, aware
from catalog.search_cache import SearchCache
from hinterland.db import create_sync_sqlite_engine, session_factory
from hinterland.errors import NotFound

Clock = Callable[[], datetime]
_LOCK_KEY = 0x6869_6E74_6361  # "hintca": the catalog's advisory-lock id
_BATCH = 64  # descriptions per grouped write transaction


def utc_now() -> datetime:
    """The current UTC time (the default clock)."""
    return datetime.now(UTC)


def effective_status(now: datetime) -> sa.ColumnElement[str]:
    """The status a reader sees: an active entry past its validUntil is expired already,
    even before the sweeper has recorded it."""
    e = EntryRow
    return sa.case(
        (
            sa.and_(e.status == "active", e.valid_until.is_not(None), e.valid_until <= now),
            sa.literal("expired"),
        ),
        else_=e.status,
    )


class CatalogStore:
    """Async access to the catalog tables on SQLite or PostgreSQL."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        clock: Clock = utc_now,
        search_cache_entries: int = 256,
        sqlite_synchronous: str = "FULL",
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.search_cache = SearchCache(search_cache_entries)
        self.sessions = session_factory(engine)
        self.sqlite = engine.dialect.name == "sqlite"
        self._local_lock = asyncio.Lock()
        self._queue: list[tuple[NewEntry, asyncio.Future[AddResult]]] = []
        database = engine.url.database if self.sqlite else None
        self._lock_file = (
            FileLock(Path(f"{database}.write-lock"))
            if database and database != ":memory:" and not database.startswith("file:")
            else None
        )
        self._writer: asyncio.Task[None] | None = None
        self._draining = False  # a writer task is taking descriptions from the queue
        # PostgreSQL: the writer's connection, kept for as long as descriptions keep
        # coming (each checkout costs the pool's ping, three round trips)
        self._writer_connection: AsyncConnection | None = None
        # SQLite files: adds run in one thread of their own over a synchronous connection
        self._sync_engine = (
            create_sync_sqlite_engine(database, synchronous=sqlite_synchronous)
            if self._lock_file is not None and database
            else None
        )
        self._writer_thread = (
            ThreadPoolExecutor(1, thread_name_prefix="catalog-writer")
            if self._sync_engine is not None
            else None
        )

    async def close(self) -> None:
        """Let the writer store what is queued and return its connection; release the
        writer thread and its connection (the async engine is the owner's)."""
        if self._writer is not None:
            await asyncio.wait([self._writer])  # its outcome went to the callers
        if self._writer_thread is not None and self._sync_engine is not None:
            await asyncio.get_running_loop().run_in_executor(
                self._writer_thread, self._sync_engine.dispose
            )
            self._writer_thread.shutdown(wait=True)
            self._writer_thread = None

    # -- transactions -------------------------------------------------------------------

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A write transaction holding the catalog write lock; commits on success."""
        async with self._local_lock, self._file_lock(), self.sessions() as session:
            if self.sqlite:
                await session.execute(sa.text("BEGIN IMMEDIATE"))
            else:
                await session.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY}
                )
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            await session.commit()

    def _file_lock(self) -> AbstractAsyncContextManager[None]:
        return self._lock_file.hold() if self._lock_file is not None else nullcontext()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only session."""
        async with self.sessions() as session:
            yield session

    # -- entries --------------------------------------------------------------------------

    async def add(self, new: NewEntry) -> AddResult:
        """Store a verified description, deprecating older versions, in one transaction.

        Versions are ordered by the document's own issue date (then hash), not by arrival,
        so federated catalogs that receive versions in different orders still agree.
        Storing a document whose hash is already known changes nothing.

        Concurrent calls are grouped (ADR catalog-0005): one writer task stores every
        description queued meanwhile in one transaction; if that transaction fails, each is
        retried in a transaction of its own, so one bad description fails alone.
        """
        future: asyncio.Future[AddResult] = asyncio.get_running_loop().create_future()
        self._queue.append((new, future))
        if not self._draining:
            self._draining = True
            self._writer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._queue:
                batch = self._queue[:_BATCH]
                del self._queue[:_BATCH]
                try:
                    await self._store_batch(batch)
                except BaseException as exc:  # cancelled at shutdown: nobody waits forever
                    for _, future in [*batch, *self._queue]:
                        if future.done():
                            continue
                        if isinstance(exc, asyncio.CancelledError):
                            future.cancel()
                        else:
                            future.set_exception(exc)
                    self._queue.clear()
                    raise
        finally:
            # Set before anything awaits: a description queued while the connection
            # closes starts a writer (and a connection) of its own.
            self._draining = False
            connection, self._writer_connection = self._writer_connection, None
            if connection is not None:
                await connection.close()

    async def _store_batch(self, batch: list[tuple[NewEntry, asyncio.Future[AddResult]]]) -> None:
        try:
            results = await self._write_adds([new for new, _ in batch])
        except Exception as exc:
            if len(batch) > 1:
                for item in batch:
                    await self._store_batch([item])
            elif not batch[0][1].done():
                batch[0][1].set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)

    async def _write_adds(self, news: list[NewEntry]) -> list[AddResult]:
        """One write transaction adding `news`: in the writer thread on a SQLite file; on
        PostgreSQL on the writer's connection unless one of them meets a stored entry;
        else through the async session."""
        now = self.clock()
        if self._writer_thread is not None:
            async with self._local_lock:
                return await asyncio.get_running_loop().run_in_executor(
                    self._writer_thread, self._write_adds_sqlite, news, now
                )
        if not self.sqlite:  # the common case in four round trips (catalog.pgwrite)
            if self._writer_connection is None:
                self._writer_connection = await self.engine.connect()
            async with self._local_lock:
                results = await pgwrite.write_plain(
                    self._writer_connection, news, now, _LOCK_KEY
                )
            if results is not None:
                return results
        async with self.write() as session:
            return await session.run_sync(
                lambda sync: adds.add_many(sync, news, now, sqlite=self.sqlite)
            )

    def _write_adds_sqlite(self, news: list[NewEntry], now: datetime) -> list[AddResult]:
        """In the writer thread: file lock, `BEGIN IMMEDIATE`, the adds, `COMMIT`."""
        assert self._sync_engine is not None and self._lock_file is not None
        with self._lock_file.hold_blocking(), self._sync_engine.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                with Session(bind=conn) as session:
                    results = adds.add_many(session, news, now, sqlite=True)
                    session.flush()
            except BaseException:
                conn.rollback()
                raise
            conn.commit()
        return results

    async def get(self, entry_id: str) -> Entry:
        """One entry by id; raises `NotFound`."""
        async with self.read() as session:
            row = await session.scalar(sa.select(EntryRow).where(EntryRow.id == entry_id))
        if row is None:
            raise NotFound(f"no self-description with id {entry_id!r}")
        return row_to_entry(row, self.clock())

    async def get_many(self, entry_ids: list[str]) -> list[Entry]:
        """Entries by id, in the order asked (unknown ids are left out)."""
        if not entry_ids:
            return []
        async with self.read() as session:
            rows = await session.scalars(sa.select(EntryRow).where(EntryRow.id.in_(entry_ids)))
            by_id = {row.id: row for row in rows}
        now = self.clock()
        return [row_to_entry(by_id[i], now) for i in entry_ids if i in by_id]

    async def find_by_sha256(self, sha256: str) -> Entry | None:
        """The entry with this canonical hash, if stored."""
        async with self.read() as session:
            row = await session.scalar(sa.select(EntryRow).where(EntryRow.sha256 == sha256))
        return row_to_entry(row, self.clock()) if row is not None else None

    async def revoke(self, entry_id: str, revocation: str) -> Entry:
        """Mark an entry revoked, keeping the signed revocation; revoking twice is a no-op.

        Raises `NotFound` for an unknown id.
        """
        now = self.clock()
        async with self.write() as session:
            row = await session.scalar(sa.select(EntryRow).where(EntryRow.id == entry_id))
            if row is None:
                raise NotFound(f"no self-description with id {entry_id!r}")
            if row.status != "revoked":
                row.status = "revoked"
                row.blob.revocation = revocation
                row.updated = now
                session.add(ChangeRow(entry_id=entry_id, kind="revoked", at=now))
                await session.execute(
                    sa.delete(ParticipantRow).where(ParticipantRow.entry_id == entry_id)
                )
            await session.flush()
            return row_to_entry(row, now)

    async def expire_due(self) -> list[str]:
        """Record every active entry past its validUntil as expired (with a feed item)."""
        now = self.clock()
        due_query = sa.select(EntryRow.id).where(
            EntryRow.status == "active",
            EntryRow.valid_until.is_not(None),
            EntryRow.valid_until <= now,
        )
        async with self.read() as session:
            if not (await session.scalars(due_query.limit(1))).first():
                return []
        async with self.write() as session:
            due = list((await session.scalars(due_query)).all())
            if due:
                await session.execute(
                    sa.update(EntryRow)
                    .where(EntryRow.id.in_(due))
                    .values(status="expired", updated=now)
                )
                session.add_all(ChangeRow(entry_id=i, kind="expired", at=now) for i in due)
            return due

    async def versions(self, issuer: str, subject_id: str) -> list[Entry]:
        """Every stored version of one subject from one issuer, newest first."""
        async with self.read() as session:
            rows = (
                await session.scalars(
                    sa.select(EntryRow).where(
                        EntryRow.issuer == issuer, EntryRow.subject_id == subject_id
                    )
                )
            ).all()
        now = self.clock()
        return [row_to_entry(r, now) for r in sorted(rows, key=adds.version_key, reverse=True)]

    # -- participants ---------------------------------------------------------------------

    async def participant(self, did: str) -> Participant | None:
        """The onboarded participant with this DID, if any."""
        async with self.read() as session:
            row = await session.get(ParticipantRow, did)
        if row is None:
            return None
        return Participant(
            did=row.did,
            name=row.name,
            entry_id=row.entry_id,
            onboarded=aware(row.onboarded) or self.clock(),
        )

    async def participant_names(self, dids: list[str]) -> dict[str, str]:
        """DID -> company name for the onboarded ones among `dids`."""
        if not dids:
            return {}
        async with self.read() as session:
            rows = await session.execute(
                sa.select(ParticipantRow.did, ParticipantRow.name).where(
                    ParticipantRow.did.in_(dids)
                )
            )
            return {did: name for did, name in rows}

    # -- change feed ----------------------------------------------------------------------

    async def changes(self, since: int, limit: int) -> list[Change]:
        """Feed items after cursor `since`, oldest first, with documents for additions."""
        async with self.read() as session:
            if not self.sqlite:  # a page of the feed joins the whole table (catalog.pgplans)
                await session.execute(sa.text(CUSTOM_PLANS))
            rows = await session.execute(
                sa.select(
                    ChangeRow, EntryRow.sha256, EntryBlobRow.document, EntryBlobRow.revocation
                )
                .join(EntryRow, EntryRow.id == ChangeRow.entry_id)
                .join(EntryBlobRow, EntryBlobRow.row_id == EntryRow.row_id)
                .where(ChangeRow.seq > since)
                .order_by(ChangeRow.seq)
                .limit(limit)
            )
            items: list[Change] = []
            for change, sha256, document, revocation in rows:
                kind = cast(ChangeKind, change.kind)
                items.append(
                    Change(
                        seq=change.seq,
                        entry_id=change.entry_id,
                        kind=kind,
                        at=aware(change.at) or self.clock(),
                        sha256=sha256,
                        document=document if kind == "added" else None,
                        revocation=revocation if kind == "revoked" else None,
                    )
                )
            return items

    async def last_seq(self) -> int:
        """The newest cursor (0 when the feed is empty)."""
        async with self.read() as session:
            return int(await session.scalar(sa.select(sa.func.max(ChangeRow.seq))) or 0)

    # -- federation state -----------------------------------------------------------------

    async def peer_cursor(self, url: str) -> int:
        """How far this catalog has read a peer's feed."""
        async with self.read() as session:
            row = await session.get(PeerRow, url)
            return row.cursor if row is not None else 0

    async def save_peer(self, url: str, cursor: int, error: str | None) -> None:
        """Remember a peer's cursor and the outcome of the last pull."""
        now = self.clock()
        async with self.sessions() as session, session.begin():
            row = await session.get(PeerRow, url)
            if row is None:
                row = PeerRow(url=url, cursor=0)
                session.add(row)
            row.cursor = max(row.cursor or 0, cursor)
            row.last_error = error
            if error is None:
                row.last_success = now

    async def peers(self) -> list[dict[str, Any]]:
        """Federation state of every peer, JSON-ready."""
        async with self.read() as session:
            rows = (await session.scalars(sa.select(PeerRow).order_by(PeerRow.url))).all()
        return [
            {
                "url": r.url,
                "cursor": r.cursor,
                "lastSuccess": _iso(r.last_success),
                "lastError": r.last_error,
            }
            for r in rows
        ]


def _iso(value: datetime | None) -> str | None:
    value = aware(value)
    return value.isoformat() if value is not None else None


__all__ = ["CatalogStore", "effective_status", "row_to_entry", "utc_now"]
