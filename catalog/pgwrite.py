"""The PostgreSQL hot path of ingest, on the asyncpg connection itself (ADR catalog-0012).

Through SQLAlchemy a write group took about fifteen round trips to the server (begin, the
lock, plan settings, two look-ups, five inserts, commit, and the pool's ping), and each
cost the worker's event loop and the driver adapter some 150 us of CPU: with the groups
of two or three descriptions that HTTP ingest forms, more than the descriptions' own
inserts. Here a group takes four: one simple query begins the transaction and takes the
catalog's advisory lock, one statement looks up known hashes and versions, one statement
inserts the group into all five tables (data-modifying CTEs over arrays), and COMMIT.

Only groups that meet nothing stored and nothing else in the group go this way; for any
other `write_plain` returns None before writing and `catalog.adds` stores the group, as
it does after a database error here. The rows are the ones `catalog.adds` writes, from
the same helpers.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection

from catalog.adds import (
    alone_in_group,
    blob_values,
    entry_of,
    entry_values,
    search_values,
)
from catalog.pgplans import CUSTOM_PLANS
from catalog.records import AddResult, NewEntry
from catalog.terms import pg_value_terms
from catalog.text import index_text

logger = logging.getLogger(__name__)

# the look-up must fit the table as it is now, not as it was (catalog.pgplans)
BEGIN = "BEGIN; SELECT pg_advisory_xact_lock({key}); " + CUSTOM_PLANS
LOOK_UP = (
    "SELECT sha256, NULL, NULL FROM catalog_entries WHERE sha256 = ANY($1::text[]) "
    "UNION ALL "
    "SELECT NULL, issuer, subject_id FROM catalog_entries WHERE subject_id = ANY($2::text[]) "
    # Planned (custom) before it runs, the look-up then puts plan choice back for the
    # insert, which would otherwise be planned anew for every group: a one-time filter
    # that yields no row, without a round trip of its own.
    "UNION ALL "
    "SELECT NULL, NULL, NULL WHERE set_config('plan_cache_mode', 'auto', true) IS NULL"
)
# Text columns hold JSON as text, as the ORM stores them; rows keep their arrival order
# (`n`) in the row ids and the change feed.
INSERT = """
WITH new AS (
    SELECT * FROM unnest(
        $1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
        $8::text[], $9::timestamptz[], $10::timestamptz[], $11::text[], $12::text[],
        $13::text[], $14::text[], $15::text[], $16::text[]
    ) WITH ORDINALITY AS u(
        id, issuer, subject_id, types, sha256, name, description, claims, issued,
        valid_until, origin, document, report, compliance, rdf, search_text, n
    )
),
entries AS (
    INSERT INTO catalog_entries (
        id, issuer, subject_id, types, status, sha256, name, description, claims, issued,
        valid_until, origin, created, updated, superseded_by
    )
    SELECT id, issuer, subject_id, types, 'active', sha256, name, description, claims,
           issued, valid_until, origin, $17, $17, NULL
    FROM new ORDER BY n
    RETURNING row_id, id, status, valid_until
),
numbered AS (
    SELECT entries.*, new.n, new.search_text FROM entries JOIN new ON new.id = entries.id
),
documents AS (
    INSERT INTO catalog_entry_documents (
        row_id, document, report, compliance, revocation, rdf, search_text
    )
    SELECT numbered.row_id, new.document, new.report, new.compliance, NULL, new.rdf,
           new.search_text
    FROM numbered JOIN new ON new.n = numbered.n
),
value_list AS (
    SELECT * FROM unnest($18::bigint[], $19::text[], $20::text[], $21::text[], $22::text[])
        AS v(n, field, norm, value, term)
),
search_values AS (
    INSERT INTO catalog_entry_values (entry_row, field, norm, value)
    SELECT numbered.row_id, v.field, v.norm, v.value
    FROM value_list v JOIN numbered ON numbered.n = v.n
),
search_rows AS (
    INSERT INTO catalog_search (row_id, status, valid_until, search_vector)
    SELECT row_id, status, valid_until,
           strip(to_tsvector('simple', search_text)) || array_to_tsvector(coalesce(
               (SELECT array_agg(v.term) FROM value_list v WHERE v.n = numbered.n),
               '{}'::text[]
           ))
    FROM numbered
),
changes AS (
    INSERT INTO catalog_changes (entry_id, kind, at)
    SELECT id, 'added', $17 FROM new ORDER BY n
)
SELECT row_id FROM numbered ORDER BY n
"""
ONBOARD = (
    "INSERT INTO catalog_participants (did, name, entry_id, onboarded) "
    "SELECT did, name, entry_id, $4 FROM unnest($1::text[], $2::text[], $3::text[]) "
    "AS p(did, name, entry_id) "
    "ON CONFLICT (did) DO UPDATE SET name = excluded.name, entry_id = excluded.entry_id"
)


async def write_plain(
    connection: AsyncConnection, news: list[NewEntry], now: datetime, lock_key: int
) -> list[AddResult] | None:
    """Add `news` in one transaction on `connection` (checked out of the pool, no
    transaction begun), or return None, having written nothing, if one of them meets a
    stored entry or another of the group -- or if the database failed the write: the
    general path then tries the group again and fails, if it must, as SQLAlchemy fails."""
    if not all(alone_in_group(news)):
        return None
    raw = (await connection.get_raw_connection()).driver_connection
    assert isinstance(raw, asyncpg.Connection)
    try:
        await raw.execute(BEGIN.format(key=int(lock_key)))
        results = await _write(raw, news, now)
        if results is None:
            await raw.execute("ROLLBACK")
        else:
            await raw.execute("COMMIT")
        return results
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
        if not await _rolled_back(raw):  # the connection is gone: the pool replaces it
            await connection.invalidate()
        logger.warning("the grouped write failed (%s); writing the group again", exc)
        return None
    except BaseException:  # cancelled, perhaps in the middle of a statement
        await connection.invalidate()
        raise


async def _rolled_back(raw: asyncpg.Connection) -> bool:
    """Whether the transaction could be rolled back, leaving the connection usable."""
    if raw.is_closed():
        return False
    try:
        await raw.execute("ROLLBACK")  # also when no transaction began: a warning only
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
        return False
    return True


async def _write(
    raw: asyncpg.Connection, news: list[NewEntry], now: datetime
) -> list[AddResult] | None:
    subjects = list({n.claims.subject_id for n in news if n.claims.subject_id})
    keys = {(n.issuer, n.claims.subject_id) for n in news}
    for sha256, issuer, subject in await raw.fetch(LOOK_UP, [n.sha256 for n in news], subjects):
        if sha256 is not None or (issuer, subject) in keys:
            return None
    entries = [entry_values(new, now) for new in news]
    texts = [index_text(new.claims.search_text()) for new in news]
    blobs = [blob_values(new, text) for new, text in zip(news, texts, strict=True)]
    columns: list[list[Any]] = [
        [row[name] for row in entries]
        for name in (
            "id", "issuer", "subject_id", "types", "sha256", "name", "description", "claims",
            "issued", "valid_until", "origin",
        )
    ]
    columns += [[row[name] for row in blobs] for name in ("document", "report", "compliance")]
    columns += [[row["rdf"] for row in blobs], texts]
    value_columns: list[list[Any]] = [[], [], [], [], []]
    for n, new in enumerate(news, start=1):
        mine = search_values(new)
        for ((field, norm), value), term in zip(mine.items(), pg_value_terms(mine), strict=True):
            for column, item in zip(value_columns, (n, field, norm, value, term), strict=True):
                column.append(item)
    rows = await raw.fetch(INSERT, *columns, now, *value_columns)
    row_ids = [int(row[0]) for row in rows]
    joining = {new.issuer: new for new in news if new.onboard}  # the last one wins
    if joining:
        await raw.execute(
            ONBOARD,
            list(joining),
            [new.claims.name for new in joining.values()],
            [new.id for new in joining.values()],
            now,
        )
    return [
        AddResult(entry_of(new, row_id, row), created=True)
        for new, row_id, row in zip(news, row_ids, entries, strict=True)
    ]

