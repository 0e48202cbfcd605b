"""PostgreSQL: the add path's look-ups stay index look-ups on a table that grew after
they were first planned (asyncpg keeps prepared statements; a generic plan made while the
table was small would scan it whole on every add until autovacuum next analyzes it)."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import Session
from test_catalog_store import NOW, Clock, entry

from catalog import adds, pgwrite
from catalog.records import NewEntry
from catalog.store import CatalogStore
from hinterland.db import create_engine, migrate

pytestmark = pytest.mark.postgres

GROW = (
    "INSERT INTO catalog_entries (id, issuer, subject_id, types, status, sha256, name, "
    "description, claims, origin, created, updated) "
    "SELECT 'bulk-' || g, 'did:web:bulk.example', 'https://bulk.example/' || g, '[]', "
    "'active', md5(g::text) || md5(g::text), '', '', '{}', 'local', now(), now() "
    "FROM generate_series(1, 20000) AS g"
)
SEQUENTIAL_SCANS = (
    "SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relname = 'catalog_entries'"
)


def test_look_ups_do_not_scan_a_table_that_grew_since_they_were_planned(
    postgres_url: str,
) -> None:
    migrate.upgrade(postgres_url)
    assert asyncio.run(_sequential_scans_of_an_add(postgres_url)) == 0


async def _add(conn: AsyncConnection, news: list[NewEntry]) -> None:
    def add(sync: sa.Connection) -> None:
        assert all(r.created for r in adds.add_many(Session(bind=sync), news, NOW, sqlite=False))

    await conn.run_sync(add)


async def _sequential_scans_of_an_add(url: str) -> int:
    """Sequential scans of `catalog_entries` by one add of four descriptions, on a
    connection whose statements were prepared and run while the table was small."""
    engine = create_engine(url, pool_size=1)  # one connection, one statement cache
    try:
        async with engine.begin() as conn:  # nothing may analyze the table behind our back
            await conn.execute(sa.text(
                "ALTER TABLE catalog_entries SET (autovacuum_enabled = false)"
            ))
            await _add(conn, [entry(n) for n in range(40)])
        for group in range(10):  # PostgreSQL settles on a generic plan after five runs
            async with engine.begin() as conn:
                await _add(conn, [entry(100 + 4 * group + n) for n in range(4)])
        async with engine.begin() as conn:
            await conn.execute(sa.text(GROW))
        async with engine.begin() as conn:
            before = await conn.scalar(sa.text(SEQUENTIAL_SCANS))  # this backend's so far
            await _add(conn, [entry(1000 + n) for n in range(4)])
            return int(await conn.scalar(sa.text(SEQUENTIAL_SCANS))) - int(before)
    finally:
        await engine.dispose()


def test_the_change_feed_is_planned_for_the_table_as_it_is(postgres_url: str) -> None:
    """Peers and the SPARQL index page through the feed, which joins `catalog_entries`: a
    plan made for the table as it is stays right as the table grows."""
    migrate.upgrade(postgres_url)
    runs = asyncio.run(_plans_of_the_feed(postgres_url))
    assert runs["custom"] >= 10 and runs["generic"] == 0, runs


async def _plans_of_the_feed(url: str) -> dict[str, int]:
    """How often the feed's prepared statement ran with a custom and with a generic plan
    (PostgreSQL counts both in `pg_prepared_statements`)."""
    engine = create_engine(url, pool_size=1)  # one connection, one statement cache
    try:
        store = CatalogStore(engine, clock=Clock())
        await asyncio.gather(*(store.add(entry(n)) for n in range(20)))
        for since in range(10):
            assert len(await store.changes(since, 5)) == 5
        async with engine.connect() as conn:
            rows = (
                await conn.execute(sa.text(
                    "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                    "WHERE statement LIKE '%FROM catalog_changes JOIN catalog_entries%' "
                    "AND statement NOT LIKE '%pg_prepared_statements%'"  # this query
                ))
            ).all()
        assert len(rows) == 1, rows  # the feed's statement, prepared on this connection
        return {"generic": rows[0].generic_plans, "custom": rows[0].custom_plans}
    finally:
        await engine.dispose()


def test_the_grouped_write_plans_its_look_up_afresh_and_its_insert_once(
    postgres_url: str,
) -> None:
    """`catalog.pgwrite`: the look-up gets a custom plan every time (the table grows under
    it); the insert, planned anew, would cost more than it saves, and goes generic."""
    migrate.upgrade(postgres_url)
    plans = asyncio.run(_plans_of_the_grouped_write(postgres_url))
    assert plans["look-up"]["custom"] >= 12 and plans["look-up"]["generic"] == 0, plans
    assert plans["insert"]["generic"] >= 6, plans  # after PostgreSQL's five custom plans


async def _plans_of_the_grouped_write(url: str) -> dict[str, dict[str, int]]:
    engine = create_engine(url, pool_size=1)  # one connection, one statement cache
    try:
        store = CatalogStore(engine, clock=Clock())
        for group in range(12):
            news = [entry(10 * group + n) for n in range(3)]
            assert all(r.created for r in await asyncio.gather(*map(store.add, news)))
        plans: dict[str, dict[str, int]] = {}
        async with engine.connect() as conn:
            for name, start in (("look-up", pgwrite.LOOK_UP[:40]), ("insert", "WITH new AS")):
                rows = (
                    await conn.execute(
                        sa.text(
                            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                            "WHERE starts_with(ltrim(statement, E' \\n'), :start)"
                        ),
                        {"start": start},
                    )
                ).all()
                assert len(rows) == 1, (name, rows)
                plans[name] = {"generic": rows[0].generic_plans, "custom": rows[0].custom_plans}
        return plans
    finally:
        await engine.dispose()
