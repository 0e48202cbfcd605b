"""The catalog store: entries, search values, participants and the change feed.

Every write runs in one transaction that first takes the catalog's write lock (a
transaction-scoped advisory lock on PostgreSQL, `BEGIN IMMEDIATE` on SQLite). Writers are
thus serialized, which is what makes the change-feed cursor grow in commit order: a reader
that has seen `seq = n` can never later find a committed change with a smaller `seq`.
Catalog writes are small, so this costs little and keeps replicas consistent.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import lazyload

from catalog.claims import MULTI_FIELDS
from catalog.filelock import FileLock
from catalog.models import ChangeRow, EntryBlobRow, EntryRow, EntryValueRow, ParticipantRow, PeerRow
from catalog.records import AddResult, Change, ChangeKind, Entry, NewEntry, Participant, aware
from catalog.search_cache import SearchCache
from catalog.terms import value_terms
from catalog.text import index_text
from hinterland.db import session_factory
from hinterland.errors import NotFound

Clock = Callable[[], datetime]
_LOCK_KEY = 0x6869_6E74_6361  # "hintca": the catalog's advisory-lock id
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
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


def row_to_entry(row: EntryRow, now: datetime) -> Entry:
    """Build the public record, applying expiry at read time."""
    status = row.status
    valid_until = aware(row.valid_until)
    if status == "active" and valid_until is not None and valid_until <= now:
        status = "expired"
    return Entry(
        id=row.id,
        issuer=row.issuer,
        subject_id=row.subject_id,
        types=json.loads(row.types),
        status=status,  # type: ignore[arg-type]
        document=row.blob.document,
        sha256=row.sha256,
        name=row.name,
        description=row.description,
        claims=json.loads(row.claims),
        issued=aware(row.issued),
        valid_until=valid_until,
        origin=row.origin,
        created=aware(row.created) or now,
        updated=aware(row.updated) or now,
        report=json.loads(row.blob.report),
        compliance=json.loads(row.blob.compliance) if row.blob.compliance else None,
        revocation=json.loads(row.blob.revocation) if row.blob.revocation else None,
        superseded_by=row.superseded_by,
        row_id=row.row_id,
    )


class CatalogStore:
    """Async access to the catalog tables on SQLite or PostgreSQL."""

    def __init__(
        self, engine: AsyncEngine, *, clock: Clock = utc_now, search_cache_entries: int = 256
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
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
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

    async def _store_batch(self, batch: list[tuple[NewEntry, asyncio.Future[AddResult]]]) -> None:
        try:
            async with self.write() as session:
                results = await self._add_many(session, [new for new, _ in batch])
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

    async def _add_many(self, session: AsyncSession, news: list[NewEntry]) -> list[AddResult]:
        """Add in one transaction. Descriptions that meet nothing stored (no same hash, no
        other version) and nothing else in the batch go in with a few bulk statements; the
        others one by one, in arrival order."""
        now = self.clock()
        e = EntryRow
        keys = [(n.issuer, n.claims.subject_id) for n in news]
        wanted: list[sa.ColumnElement[bool]] = [e.sha256.in_([n.sha256 for n in news])]
        wanted += [
            sa.and_(e.issuer == issuer, e.subject_id == subject)
            for issuer, subject in dict.fromkeys(keys)
            if subject
        ]
        met = (
            await session.execute(
                sa.select(e.sha256, e.issuer, e.subject_id).where(sa.or_(*wanted))
            )
        ).all()
        taken = {sha for sha, _, _ in met} | {(i, s) for _, i, s in met if s}
        seen: dict[object, int] = {}
        for new, key in zip(news, keys, strict=True):
            seen[new.sha256] = seen.get(new.sha256, 0) + 1
            if key[1]:
                seen[key] = seen.get(key, 0) + 1
        results: dict[int, AddResult] = {}
        plain: list[tuple[int, NewEntry]] = []
        for position, (new, key) in enumerate(zip(news, keys, strict=True)):
            alone = seen[new.sha256] == 1 and (not key[1] or seen[key] == 1)
            if alone and new.sha256 not in taken and key not in taken:
                plain.append((position, new))
        if plain:
            rows = [self._new_row(new, now, "active", None) for _, new in plain]
            session.add_all(rows)
            await session.flush()
            await self._index(session, list(zip(rows, (n for _, n in plain), strict=True)))
            session.add_all(ChangeRow(entry_id=new.id, kind="added", at=now) for _, new in plain)
            for (position, new), row in zip(plain, rows, strict=True):
                if new.onboard:
                    await self._onboard(session, new, now)
                results[position] = AddResult(row_to_entry(row, now), created=True)
            await session.flush()
        done = {position for position, _ in plain}
        for position, new in enumerate(news):
            if position not in done:
                results[position] = await self._add_one(session, new, now)
        return [results[position] for position in range(len(news))]

    def _new_row(
        self, new: NewEntry, now: datetime, status: str, superseded_by: str | None
    ) -> EntryRow:
        claims = new.claims
        row = EntryRow(
            id=new.id,
            issuer=new.issuer,
            subject_id=claims.subject_id,
            types=json.dumps(claims.types),
            status=status,
            sha256=new.sha256,
            name=claims.name,
            description=claims.description,
            claims=json.dumps(claims.to_dict()),
            issued=claims.issued,
            valid_until=claims.valid_until,
            origin=new.origin,
            created=now,
            updated=now,
            superseded_by=superseded_by,
        )
        row.blob = EntryBlobRow(
            document=new.document,
            report=json.dumps(new.report),
            compliance=json.dumps(new.compliance) if new.compliance else None,
            revocation=None,
            rdf=new.rdf,
            search_text=index_text(claims.search_text()),
        )
        return row

    async def _add_one(self, session: AsyncSession, new: NewEntry, now: datetime) -> AddResult:
        """Add one description that may meet a stored version or copy (see `add`)."""
        known = await session.scalar(
            sa.select(EntryRow.row_id).where(EntryRow.sha256 == new.sha256)
        )
        if known is not None:
            existing = await session.get_one(EntryRow, known)
            return AddResult(row_to_entry(existing, now), created=False)
        claims = new.claims
        status = "active"
        superseded_by: str | None = None
        deprecated: list[str] = []
        key = (aware(claims.issued) or _EPOCH, new.sha256)
        if claims.subject_id:
            siblings = (
                await session.scalars(
                    sa.select(EntryRow)
                    .options(lazyload(EntryRow.blob))  # versions need no documents
                    .where(
                        EntryRow.issuer == new.issuer,
                        EntryRow.subject_id == claims.subject_id,
                    )
                )
            ).all()
            newest = max(siblings, key=_version_key, default=None)
            if newest is not None and _version_key(newest) > key:
                status = "deprecated"
                superseded_by = newest.id
            else:
                for sibling in siblings:
                    if sibling.status == "active":
                        sibling.status = "deprecated"
                        sibling.superseded_by = new.id
                        sibling.updated = now
                        deprecated.append(sibling.id)
                for sibling in siblings:  # older deprecated ones now point at the newest
                    if sibling.status == "deprecated":
                        sibling.superseded_by = new.id
        row = self._new_row(new, now, status, superseded_by)
        session.add(row)
        await session.flush()
        await self._index(session, [(row, new)])
        session.add(ChangeRow(entry_id=new.id, kind="added", at=now))
        for old in deprecated:
            session.add(ChangeRow(entry_id=old, kind="deprecated", at=now))
        if new.onboard and status == "active":
            await self._onboard(session, new, now)
        await session.flush()
        return AddResult(row_to_entry(row, now), created=True, deprecated=deprecated)

    async def _index(self, session: AsyncSession, rows: list[tuple[EntryRow, NewEntry]]) -> None:
        values: list[dict[str, Any]] = []
        texts: list[dict[str, Any]] = []
        for row, new in rows:
            mine: dict[tuple[str, str], str] = {}
            for field in MULTI_FIELDS:
                for value in new.claims.get(field):
                    mine.setdefault((field, value.lower()[:512]), value[:512])
            values += [
                {"entry_row": row.row_id, "field": field, "norm": norm, "value": value}
                for (field, norm), value in mine.items()
            ]
            texts.append({"r": row.row_id, "t": row.blob.search_text, "v": value_terms(mine)})
        if values:  # one executemany round trip instead of one insert per value
            await session.execute(sa.insert(EntryValueRow), values)
        if self.sqlite:
            await session.execute(
                sa.text(
                    "INSERT INTO catalog_entries_fts(rowid, search_text, terms) VALUES (:r, :t, :v)"
                ),
                texts,
            )
        else:
            await session.execute(
                sa.text(
                    "UPDATE catalog_entries SET search_vector = to_tsvector('simple', :t) "
                    "WHERE row_id = :r"
                ),
                texts,
            )

    async def _onboard(self, session: AsyncSession, new: NewEntry, now: datetime) -> None:
        participant = await session.get(ParticipantRow, new.issuer)
        if participant is None:
            session.add(
                ParticipantRow(did=new.issuer, name=new.claims.name, entry_id=new.id, onboarded=now)
            )
        else:
            participant.name = new.claims.name
            participant.entry_id = new.id

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
        return [row_to_entry(r, now) for r in sorted(rows, key=_version_key, reverse=True)]

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


def _version_key(row: EntryRow) -> tuple[datetime, str]:
    return (aware(row.issued) or _EPOCH, row.sha256)


__all__ = ["CatalogStore", "effective_status", "row_to_entry", "utc_now"]
