"""PostgreSQL's narrow search table (`catalog_search`, ADR catalog-0010) agrees with the
entries after every kind of write -- add, a newer version deprecating an older one,
revoke, expiry before and after the sweep -- and migration catalog_0003 builds the same
table from stored data. The expected rows come from SQL over `catalog_entries`, the
stored text and `catalog_entry_values` (`catalog.terms.PG_TERM_SQL`), independent of
the Python that writes them."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from test_catalog_store import NOW, Clock, entry

from catalog.search import SearchQuery, search
from catalog.store import CatalogStore
from catalog.terms import PG_TERM_SQL, pg_value_term
from hinterland.db import create_engine, migrate

pytestmark = pytest.mark.postgres

QUOTED = "O'Brien \\ 'x' & !y | (z):*"  # tsquery syntax, quotes and a backslash
WIDE = "\U0001d11e" * 600  # stored as 512 four-byte characters: a hashed lexeme
EDGE = "ab" + "\U0001d11e" * 509  # a keyword lexeme of 2047 bytes, the most kept verbatim
OVER = "abc" + "\U0001d11e" * 509  # 2048 bytes: hashed

_EXPECTED = (
    "SELECT e.row_id, e.status, e.valid_until, ("
    "strip(to_tsvector('simple', d.search_text)) || coalesce(("
    f"SELECT array_to_tsvector(array_agg({PG_TERM_SQL})) FROM catalog_entry_values "
    "WHERE entry_row = e.row_id), ''::tsvector))::text "
    "FROM catalog_entries e JOIN catalog_entry_documents d ON d.row_id = e.row_id"
)
_ACTUAL = "SELECT row_id, status, valid_until, search_vector::text FROM catalog_search"


async def _rows(engine: AsyncEngine, statement: str) -> set[tuple[object, ...]]:
    async with engine.connect() as conn:
        return {tuple(row) for row in (await conn.execute(sa.text(statement))).all()}


async def _assert_consistent(engine: AsyncEngine) -> set[tuple[object, ...]]:
    expected = await _rows(engine, _EXPECTED)
    assert await _rows(engine, _ACTUAL) == expected
    return expected


async def _names(store: CatalogStore, **query: object) -> list[str]:
    page = await search(store, SearchQuery(limit=50, **query))  # type: ignore[arg-type]
    assert page.total == len(page.items)
    return [e.name for e in page.items]


def test_search_table_follows_every_write(postgres_url: str) -> None:
    migrate.upgrade(postgres_url)
    asyncio.run(_every_write(postgres_url))


async def _every_write(url: str) -> None:
    engine = create_engine(url)
    clock = Clock()
    store = CatalogStore(engine, clock=clock, search_cache_entries=0)
    try:
        subject = "https://acme.example/sd/versions"
        await store.add(entry(1, name="Lattice one", keyword=[QUOTED], material=["PA12"]))
        await store.add(entry(2, name="Lattice two", keyword=[WIDE, EDGE, OVER], material=["pa12"]))
        await store.add(
            entry(3, name="Lattice old", subject=subject, issued=NOW - timedelta(days=3))
        )
        await store.add(
            entry(4, name="Lattice due", until=NOW + timedelta(hours=1), region=["DE-SN"])
        )
        rows = await _assert_consistent(engine)
        assert len(rows) == 4
        assert await _names(store, q="lattice") == [
            "Lattice due",
            "Lattice old",
            "Lattice two",
            "Lattice one",
        ]
        assert await _names(store, filters={"keyword": [QUOTED.upper()]}) == ["Lattice one"]
        assert await _names(store, filters={"keyword": [WIDE[:512]]}) == ["Lattice two"]
        assert await _names(store, filters={"keyword": [WIDE]}) == []  # longer than stored
        assert await _names(store, filters={"keyword": [WIDE[:511]]}) == []
        assert await _names(store, filters={"material": ["PA12"]}) == [
            "Lattice two",
            "Lattice one",
        ]
        assert pg_value_term("keyword", WIDE[:512]).startswith("\x1fkeyword\x1e")
        assert pg_value_term("keyword", EDGE) == "\x1fkeyword\x1f" + EDGE
        assert pg_value_term("keyword", OVER).startswith("\x1fkeyword\x1e")
        for value in (EDGE, OVER):
            assert await _names(store, filters={"keyword": [value]}) == ["Lattice two"]

        # a newer version deprecates the stored one (an ORM update of catalog_entries)
        await store.add(entry(5, name="Lattice new", subject=subject))
        await _assert_consistent(engine)
        assert await _names(store, q="lattice old", statuses=["deprecated"]) == ["Lattice old"]
        assert await _names(store, q="lattice old") == []

        await store.revoke(entry(1).id, "{}")
        await _assert_consistent(engine)
        assert await _names(store, filters={"material": ["pa12"]}) == ["Lattice two"]
        assert await _names(store, filters={"material": ["pa12"]}, statuses=["revoked"]) == [
            "Lattice one"
        ]

        clock.now = NOW + timedelta(hours=2)  # past validUntil, before the sweep
        assert await _names(store, q="lattice", statuses=["expired"]) == ["Lattice due"]
        assert "Lattice due" not in await _names(store, q="lattice")
        assert await store.expire_due() == [entry(4).id]
        rows = await _assert_consistent(engine)
        assert {status for _, status, _, _ in rows} == {
            "active",
            "deprecated",
            "revoked",
            "expired",
        }
        assert await _names(store, filters={"region": ["de-sn"]}, statuses=["expired"]) == [
            "Lattice due"
        ]
    finally:
        await store.close()
        await engine.dispose()


def test_migration_builds_the_search_table_from_stored_data(postgres_url: str) -> None:
    """catalog_0003 builds from what catalog_0002 stored the rows that adds write."""

    async def world(url: str) -> set[tuple[object, ...]]:
        engine = create_engine(url)
        store = CatalogStore(engine, clock=Clock(), search_cache_entries=0)
        try:
            await store.add(entry(1, keyword=[QUOTED, WIDE], material=["PA12"]))
            await store.add(entry(2, until=NOW + timedelta(hours=1), region=["DE-SN"]))
            await store.revoke(entry(1).id, "{}")
            return await _assert_consistent(engine)
        finally:
            await store.close()
            await engine.dispose()

    async def rebuilt(url: str) -> set[tuple[object, ...]]:
        engine = create_engine(url)
        try:
            return await _assert_consistent(engine)
        finally:
            await engine.dispose()

    async def old_vectors(url: str) -> set[tuple[object, ...]]:
        engine = create_engine(url)
        try:
            return await _rows(
                engine, "SELECT row_id, search_vector IS NOT NULL FROM catalog_entries"
            )
        finally:
            await engine.dispose()

    migrate.upgrade(postgres_url)
    written = asyncio.run(world(postgres_url))
    migrate.downgrade(postgres_url, "catalog_0002")
    assert asyncio.run(old_vectors(postgres_url)) == {(1, True), (2, True)}
    migrate.upgrade(postgres_url)
    assert asyncio.run(rebuilt(postgres_url)) == written


def test_word_searches_plan_each_statement_for_its_words(postgres_url: str) -> None:
    """A generic plan cannot see how common a word is (for a broad one it sorted every
    match, 28 ms against a 1 ms walk): searches with words or filters force custom plans
    for their own transaction; other searches keep the defaults."""
    migrate.upgrade(postgres_url)
    searching = [False]  # the add before the searches forces custom plans for its look-ups

    async def settings(engine: AsyncEngine, query: SearchQuery) -> list[str]:
        seen: list[str] = []
        store = CatalogStore(engine, clock=Clock(), search_cache_entries=0)

        def record(conn: object, cursor: object, statement: str, *_: object) -> None:
            if "catalog_search" in statement and "SELECT" in statement:
                seen.append(statement)

        sa.event.listen(engine.sync_engine, "before_cursor_execute", record)
        try:
            async with engine.connect() as conn:
                mode = await conn.scalar(sa.text("SHOW plan_cache_mode"))
            assert mode == "auto"
            await store.add(entry(1, name="Lattice one", material=["PA12"]))
            searching[0] = True
            for _ in range(7):  # more than the five custom plans before a generic one
                await search(store, query)
        finally:
            searching[0] = False
            sa.event.remove(engine.sync_engine, "before_cursor_execute", record)
            await store.close()
        return seen

    async def run() -> None:
        engine = create_engine(postgres_url)
        try:
            modes: list[str] = []

            def after(conn: object, cursor: object, statement: str, *_: object) -> None:
                if searching[0] and statement.startswith("SET LOCAL plan_cache_mode"):
                    modes.append(statement)

            sa.event.listen(engine.sync_engine, "after_cursor_execute", after)
            assert await settings(engine, SearchQuery(q="lattice"))
            assert len(modes) == 7
            await settings(engine, SearchQuery(filters={"material": ["pa12"]}))
            assert len(modes) == 14
            assert not await settings(engine, SearchQuery())  # catalog_entries' indexes
            assert len(modes) == 14
        finally:
            await engine.dispose()

    asyncio.run(run())
