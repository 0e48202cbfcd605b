"""Storing verified descriptions: synchronous SQLAlchemy over one connection.

The store runs `add_many` in a single hop to a writer thread on SQLite (aiosqlite would
hop between threads three or four times per statement: about 3 ms of CPU for a one-entry
transaction) and through `AsyncSession.run_sync` on PostgreSQL, so the logic is written
once for both. The common case -- a description that meets nothing stored -- goes in with
Core executemany statements; versions and copies take the ORM path one by one.

On SQLite those statements, and the two look-ups before them, skip SQLAlchemy's
per-execution work (execution context, parameter processing, result set-up): each is
compiled once to SQL and run on the DBAPI cursor, which takes the row dicts as they are
(a look-up is rendered once per list length). Only the columns whose type converts
values (date-times) are converted first, with the dialect's own converters, so what is
stored is byte for byte what Core would store. New entries get their row ids
explicitly: the largest row id plus one, which is what SQLite would choose (the write
lock is held), and needs no RETURNING.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, lazyload

from catalog.claims import MULTI_FIELDS
from catalog.models import (
    ChangeRow,
    EntryBlobRow,
    EntryRow,
    EntryValueRow,
    ParticipantRow,
    row_to_entry,
    status_at,
)
from catalog.pgplans import CUSTOM_PLANS, DEFAULT_PLANS
from catalog.records import AddResult, Entry, NewEntry, aware
from catalog.terms import PG_SEARCH_INSERT, pg_value_terms, value_terms
from catalog.text import index_text

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The hot path's statements, built once and run as Core on the session's connection (no
# ORM execution context); lookups by expanding IN lists, so their SQL is compiled once.
_ENTRIES = cast(sa.Table, EntryRow.__table__)
_KNOWN_HASHES = sa.select(_ENTRIES.c.sha256).where(
    _ENTRIES.c.sha256.in_(sa.bindparam("hashes", expanding=True))
)
_VERSIONS_OF = sa.select(_ENTRIES.c.issuer, _ENTRIES.c.subject_id).where(
    _ENTRIES.c.subject_id.in_(sa.bindparam("subjects", expanding=True))
)
_INSERT_ENTRIES = sa.insert(_ENTRIES).returning(_ENTRIES.c.row_id, sort_by_parameter_order=True)
_INSERT_BLOBS = sa.insert(cast(sa.Table, EntryBlobRow.__table__))
_INSERT_VALUES = sa.insert(cast(sa.Table, EntryValueRow.__table__))
_INSERT_CHANGES = sa.insert(cast(sa.Table, ChangeRow.__table__))
_INDEX_TEXT_SQLITE = sa.text(
    "INSERT INTO catalog_entries_fts(rowid, search_text, terms) VALUES (:r, :t, :v)"
)
_INDEX_TEXT_POSTGRESQL = sa.text(PG_SEARCH_INSERT)
_SQLITE = sqlite_dialect.dialect(paramstyle="named")
_SQLITE_QMARK = sqlite_dialect.dialect()
_LAST_ROW_ID = "SELECT max(row_id) FROM catalog_entries"


class _SqliteInsert:
    """A Core insert (or textual statement with `:name` parameters) as SQLite SQL with
    named parameters, and the converters of the columns that need one."""

    def __init__(self, statement: sa.Executable, columns: tuple[str, ...]) -> None:
        if isinstance(statement, sa.TextClause):
            self.sql = statement.text
            self.converters: list[tuple[str, Callable[[Any], Any]]] = []
            return
        insert = cast(sa.Insert, statement)
        self.sql = insert.compile(dialect=_SQLITE, column_keys=list(columns)).string
        table = cast(sa.Table, insert.table)
        self.converters = []
        for column in columns:
            convert = table.c[column].type.dialect_impl(_SQLITE).bind_processor(_SQLITE)
            if convert is not None:
                self.converters.append((column, convert))

    def run(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        """Insert `rows` (dicts with the same keys) on the connection's DBAPI cursor."""
        if self.converters:
            rows = [
                {**row, **{column: convert(row[column]) for column, convert in self.converters}}
                for row in rows
            ]
        _on_cursor(conn, self.sql, rows, many=True)


def _on_cursor(conn: Connection, sql: str, parameters: Any, *, many: bool = False) -> list[Any]:
    """Run `sql` on the connection's DBAPI cursor (`executemany` with `many`); the rows it
    returns. Driver errors are raised as Core raises them (IntegrityError, ...)."""
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    dbapi_error = conn.dialect.loaded_dbapi.Error
    try:
        if many:
            cursor.executemany(sql, parameters)
            return []
        cursor.execute(sql, parameters)  # DBAPI leaves its return value undefined
        return list(cursor.fetchall())
    except dbapi_error as exc:
        raise sa.exc.DBAPIError.instance(sql, parameters, exc, dbapi_error) from exc
    finally:
        cursor.close()


_SQLITE_INSERTS: dict[tuple[int, tuple[str, ...]], _SqliteInsert] = {}


def execute_many(
    conn: Connection, statement: sa.Executable, rows: list[dict[str, Any]], *, sqlite: bool
) -> None:
    """Run an insert for many rows: Core executemany, or on SQLite straight on the DBAPI
    cursor (the module docstring says why)."""
    if not rows:
        return
    if not sqlite:
        conn.execute(statement, rows)
        return
    key = (id(statement), tuple(rows[0]))
    insert = _SQLITE_INSERTS.get(key)
    if insert is None:  # a handful of module-level statements: the cache stays small
        insert = _SQLITE_INSERTS[key] = _SqliteInsert(statement, key[1])
    insert.run(conn, rows)


_SQLITE_SELECTS: dict[tuple[int, int], str] = {}


def select_in(
    conn: Connection, statement: sa.Select[Any], name: str, values: list[Any], *, sqlite: bool
) -> list[Any]:
    """The rows of a select whose one expanding IN parameter `name` is `values`. On SQLite
    the SQL for each list length is rendered once and run on the DBAPI cursor."""
    if not sqlite:
        return list(conn.execute(statement, {name: values}))
    key = (id(statement), len(values))
    sql = _SQLITE_SELECTS.get(key)
    if sql is None:  # two statements, lists of at most a write group: a small cache
        rendered = statement.params({name: values}).compile(
            dialect=_SQLITE_QMARK, compile_kwargs={"render_postcompile": True}
        )
        sql = _SQLITE_SELECTS[key] = rendered.string
    return _on_cursor(conn, sql, tuple(values))


def insert_entries(conn: Connection, entries: list[dict[str, Any]], *, sqlite: bool) -> list[int]:
    """Insert `catalog_entries` rows; their row ids, in order."""
    if not sqlite:
        return [int(row_id) for row_id in conn.execute(_INSERT_ENTRIES, entries).scalars()]
    last = _on_cursor(conn, _LAST_ROW_ID, ())[0][0] or 0
    row_ids = list(range(int(last) + 1, int(last) + 1 + len(entries)))
    execute_many(
        conn,
        _INSERT_ENTRIES,
        [{"row_id": row_id, **values} for row_id, values in zip(row_ids, entries, strict=True)],
        sqlite=True,
    )
    return row_ids


def entry_values(
    new: NewEntry, now: datetime, status: str = "active", superseded_by: str | None = None
) -> dict[str, Any]:
    """The `catalog_entries` columns of a new entry."""
    claims = new.claims
    return {
        "id": new.id,
        "issuer": new.issuer,
        "subject_id": claims.subject_id,
        "types": json.dumps(claims.types),
        "status": status,
        "sha256": new.sha256,
        "name": claims.name,
        "description": claims.description,
        "claims": json.dumps(claims.to_dict()),
        "issued": claims.issued,
        "valid_until": claims.valid_until,
        "origin": new.origin,
        "created": now,
        "updated": now,
        "superseded_by": superseded_by,
    }


def blob_values(new: NewEntry, search_text: str) -> dict[str, Any]:
    """The `catalog_entry_documents` columns of a new entry (but its row id)."""
    return {
        "document": new.document,
        "report": new.report_json,
        "compliance": new.compliance_json,
        "revocation": None,
        "rdf": new.rdf,
        "search_text": search_text,
    }


def entry_of(new: NewEntry, row_id: int, values: dict[str, Any]) -> Entry:
    """The public record of an entry just inserted (what `row_to_entry` would read back)."""
    now: datetime = values["created"]
    valid_until = aware(values["valid_until"])
    return Entry(
        id=new.id,
        issuer=new.issuer,
        subject_id=values["subject_id"],
        types=list(new.claims.types),
        status=status_at(values["status"], valid_until, now),  # type: ignore[arg-type]
        document=new.document,
        sha256=new.sha256,
        name=values["name"],
        description=values["description"],
        claims=json.loads(values["claims"]),
        issued=aware(values["issued"]),
        valid_until=valid_until,
        origin=new.origin,
        created=now,
        updated=now,
        report=new.report,
        compliance=new.compliance,
        revocation=None,
        superseded_by=None,
        row_id=row_id,
    )


def add_many(
    session: Session, news: list[NewEntry], now: datetime, *, sqlite: bool
) -> list[AddResult]:
    """Add in the session's transaction (the caller holds the write lock and commits).

    Descriptions that meet nothing stored (no same hash, no other version) and nothing
    else in the batch go in with a few bulk statements; the others one by one, in arrival
    order.
    """
    conn = session.connection()
    keys = [(n.issuer, n.claims.subject_id) for n in news]
    hashes = [n.sha256 for n in news]
    if not sqlite:  # on generic plans these scanned the growing table (catalog.pgplans)
        conn.exec_driver_sql(CUSTOM_PLANS)
    taken: set[object] = {
        row[0] for row in select_in(conn, _KNOWN_HASHES, "hashes", hashes, sqlite=sqlite)
    }
    subjects = list({subject for _, subject in keys if subject})
    if subjects:
        wanted = set(keys)
        versions = select_in(conn, _VERSIONS_OF, "subjects", subjects, sqlite=sqlite)
        taken.update(
            (issuer, subject) for issuer, subject in versions if (issuer, subject) in wanted
        )
    if not sqlite:
        conn.exec_driver_sql(DEFAULT_PLANS)
    results: dict[int, AddResult] = {}
    plain: list[tuple[int, NewEntry]] = []
    alone = alone_in_group(news)
    for position, (new, key) in enumerate(zip(news, keys, strict=True)):
        if alone[position] and new.sha256 not in taken and key not in taken:
            plain.append((position, new))
    if plain:
        insert_plain(session, plain, now, results, sqlite=sqlite)
    done = {position for position, _ in plain}
    for position, new in enumerate(news):
        if position not in done:
            results[position] = add_one(session, new, now, sqlite=sqlite)
    return [results[position] for position in range(len(news))]


def alone_in_group(news: list[NewEntry]) -> list[bool]:
    """For each description, whether no other of the group has its hash, or its issuer
    and subject (a copy or another version within the group)."""
    seen: dict[object, int] = {}
    keys = [(new.issuer, new.claims.subject_id) for new in news]
    for new, key in zip(news, keys, strict=True):
        seen[new.sha256] = seen.get(new.sha256, 0) + 1
        if key[1]:
            seen[key] = seen.get(key, 0) + 1
    return [
        seen[new.sha256] == 1 and (not key[1] or seen[key] == 1)
        for new, key in zip(news, keys, strict=True)
    ]


def insert_plain(
    session: Session,
    plain: list[tuple[int, NewEntry]],
    now: datetime,
    results: dict[int, AddResult],
    *,
    sqlite: bool,
) -> None:
    """Insert descriptions that meet nothing stored with one statement per table (Core
    executemany, no ORM unit of work: this is the hot path of ingest)."""
    conn = session.connection()
    news = [new for _, new in plain]
    entries = [entry_values(new, now) for new in news]
    row_ids = insert_entries(conn, entries, sqlite=sqlite)
    texts = [index_text(new.claims.search_text()) for new in news]
    execute_many(
        conn,
        _INSERT_BLOBS,
        [
            {"row_id": row_id, **blob_values(new, text)}
            for new, row_id, text in zip(news, row_ids, texts, strict=True)
        ],
        sqlite=sqlite,
    )
    index_values(session, list(zip(row_ids, news, texts, strict=True)), sqlite=sqlite)
    changes = [{"entry_id": new.id, "kind": "added", "at": now} for new in news]
    execute_many(conn, _INSERT_CHANGES, changes, sqlite=sqlite)
    for (position, new), row_id, values in zip(plain, row_ids, entries, strict=True):
        if new.onboard:
            onboard(session, new, now)
        results[position] = AddResult(entry_of(new, row_id, values), created=True)


def new_row(new: NewEntry, now: datetime, status: str, superseded_by: str | None) -> EntryRow:
    """An ORM row (with its documents) for the one-by-one path."""
    row = EntryRow(**entry_values(new, now, status, superseded_by))
    row.blob = EntryBlobRow(**blob_values(new, index_text(new.claims.search_text())))
    return row


def add_one(session: Session, new: NewEntry, now: datetime, *, sqlite: bool) -> AddResult:
    """Add one description that may meet a stored version or copy (see `add`)."""
    known = session.scalar(sa.select(EntryRow.row_id).where(EntryRow.sha256 == new.sha256))
    if known is not None:
        existing = session.get_one(EntryRow, known)
        return AddResult(row_to_entry(existing, now), created=False)
    claims = new.claims
    status = "active"
    superseded_by: str | None = None
    deprecated: list[str] = []
    key = (aware(claims.issued) or _EPOCH, new.sha256)
    if claims.subject_id:
        siblings = (
            session.scalars(
                sa.select(EntryRow)
                .options(lazyload(EntryRow.blob))  # versions need no documents
                .where(
                    EntryRow.issuer == new.issuer,
                    EntryRow.subject_id == claims.subject_id,
                )
            )
        ).all()
        newest = max(siblings, key=version_key, default=None)
        if newest is not None and version_key(newest) > key:
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
    row = new_row(new, now, status, superseded_by)
    session.add(row)
    session.flush()
    index_values(session, [(row.row_id, new, row.blob.search_text)], sqlite=sqlite)
    session.add(ChangeRow(entry_id=new.id, kind="added", at=now))
    for old in deprecated:
        session.add(ChangeRow(entry_id=old, kind="deprecated", at=now))
    if new.onboard and status == "active":
        onboard(session, new, now)
    session.flush()
    return AddResult(row_to_entry(row, now), created=True, deprecated=deprecated)


def search_values(new: NewEntry) -> dict[tuple[str, str], str]:
    """The search values of an entry: (field, normalized value) -> value as given."""
    mine: dict[tuple[str, str], str] = {}
    for field in MULTI_FIELDS:
        for value in new.claims.get(field):
            mine.setdefault((field, value.lower()[:512]), value[:512])
    return mine


def index_values(session: Session, rows: list[tuple[int, NewEntry, str]], *, sqlite: bool) -> None:
    """Search values and full text of freshly inserted entries (row id, entry, text)."""
    values: list[dict[str, Any]] = []
    texts: list[dict[str, Any]] = []
    for row_id, new, text in rows:
        mine = search_values(new)
        values += [
            {"entry_row": row_id, "field": field, "norm": norm, "value": value}
            for (field, norm), value in mine.items()
        ]
        terms = value_terms(mine) if sqlite else pg_value_terms(mine)
        texts.append({"r": row_id, "t": text, "v": terms})
    conn = session.connection()
    # one executemany round trip instead of one insert per value
    execute_many(conn, _INSERT_VALUES, values, sqlite=sqlite)
    if sqlite:  # the values again as FTS5 terms, for filters (ADR catalog-0008)
        execute_many(conn, _INDEX_TEXT_SQLITE, texts, sqlite=True)
    else:  # the narrow search table, words and values in one tsvector (ADR catalog-0010)
        conn.execute(_INDEX_TEXT_POSTGRESQL, texts)


def onboard(session: Session, new: NewEntry, now: datetime) -> None:
    participant = session.get(ParticipantRow, new.issuer)
    if participant is None:
        session.add(
            ParticipantRow(did=new.issuer, name=new.claims.name, entry_id=new.id, onboarded=now)
        )
    else:
        participant.name = new.claims.name
        participant.entry_id = new.id


def version_key(row: EntryRow) -> tuple[datetime, str]:
    return (aware(row.issued) or _EPOCH, row.sha256)
