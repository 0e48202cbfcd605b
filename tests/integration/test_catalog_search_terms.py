"""Value filters stay exact however they are evaluated: on SQLite as FTS5 terms written in
the add's own transaction (and rebuilt by migration catalog_0002), with the status filter
as a list of row ids or a look-up per match; on PostgreSQL as lexemes of the narrow
search table (built by migration catalog_0003). Both databases."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from test_catalog_store import Clock, entry

from catalog import search as search_module
from catalog.search import SearchQuery, search
from catalog.store import CatalogStore
from hinterland.db import create_engine, migrate

ISSUER = "did:web:acme.example"  # of every entry here
LONG = "Lattice " + "x" * 600  # stored cut to 512 characters, like its filter value


async def _world(store: CatalogStore) -> dict[int, str]:
    values = {
        1: {"material": ["PA12"], "keyword": ["Düsseldorf Süd", "nylon"]},
        2: {"material": ["PA1"], "keyword": ["düsseldorf süd"]},
        3: {"material": ["PA12", "PLA"], "keyword": [LONG]},
        4: {"material": ["Ti6Al4V"], "region": ["DE-SN"]},
        5: {"material": ["PA12"], "region": ["DE-SN"]},
    }
    ids = {}
    for n, claims in values.items():
        ids[n] = (await store.add(entry(n, name=f"Offer v6d61 {n}", **claims))).entry.id
    await store.revoke(ids[5], "{}")
    return ids


async def _found(store: CatalogStore, ids: dict[int, str], **query: object) -> set[int]:
    names = {v: k for k, v in ids.items()}
    page = await search(store, SearchQuery(limit=50, **query))  # type: ignore[arg-type]
    assert page.total == len(page.items)
    facets = await search(store, SearchQuery(limit=50, facets=False, **query))  # type: ignore[arg-type]
    assert [e.id for e in facets.items] == [e.id for e in page.items]
    return {names[e.id] for e in page.items}


CASES: list[tuple[dict[str, object], set[int]]] = [
    ({"filters": {"material": ["pa12"]}}, {1, 3}),
    ({"filters": {"material": ["PA1"]}}, {2}),  # a value, not a prefix of one
    ({"filters": {"material": ["pa1", "ti6al4v"]}}, {2, 4}),
    ({"filters": {"keyword": ["DÜSSELDORF SÜD"]}}, {1, 2}),
    ({"filters": {"keyword": [LONG[:512]]}}, {3}),
    ({"filters": {"keyword": [LONG]}}, set()),  # longer than anything stored
    ({"filters": {"material": ["pa12"], "keyword": ["nylon"]}}, {1}),
    ({"q": "offer", "filters": {"material": ["pa12", "pla"]}}, {1, 3}),
    ({"q": "v6d61"}, {1, 2, 3, 4}),  # a word never matches a value's term
    ({"q": "v6d6174"}, set()),
    ({"filters": {"region": ["de-sn"]}, "statuses": ["revoked"]}, {5}),
    ({"filters": {"region": ["de-sn"]}, "statuses": list(search_module.STATUSES)}, {4, 5}),
    ({"filters": {"material": ["pa12"]}, "statuses": ["active", "revoked"]}, {1, 3, 5}),
    ({"q": "offer", "filters": {"material": ["pa12"]}, "issuers": [ISSUER]}, {1, 3}),
    ({"q": "offer", "issuers": ["did:web:other.example"]}, set()),
]


@pytest.mark.parametrize("list_cap", [20_000, 0])
async def test_value_filters_are_exact(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch, list_cap: int
) -> None:
    monkeypatch.setattr(search_module, "LIST_CAP", list_cap)  # 0: look each match up
    store = CatalogStore(engine, clock=Clock(), search_cache_entries=0)
    ids = await _world(store)
    for query, expected in CASES:
        assert await _found(store, ids, **query) == expected, query


def test_migration_rebuilds_terms_from_stored_values(database_url: str) -> None:
    """Entries stored before catalog_0002 (and, on PostgreSQL, catalog_0003) are found by
    their values after it."""

    async def add_and_search(url: str, *, add: bool) -> dict[str, set[int]]:
        engine = create_engine(url)
        try:
            store = CatalogStore(engine, clock=Clock(), search_cache_entries=0)
            ids = await _world(store) if add else await _ids(store)
            return {str(q): await _found(store, ids, **q) for q, _ in CASES}
        finally:
            await engine.dispose()

    async def _ids(store: CatalogStore) -> dict[int, str]:
        return {n: entry(n).id for n in range(1, 6)}

    migrate.upgrade(database_url)
    before = asyncio.run(add_and_search(database_url, add=True))
    migrate.downgrade(database_url, "catalog_0001")
    migrate.upgrade(database_url)
    after = asyncio.run(add_and_search(database_url, add=False))
    assert after == before == {str(q): expected for q, expected in CASES}


@pytest.mark.parametrize("cache", [0, 256])
async def test_word_totals_and_pages_around_the_bounds(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch, cache: int
) -> None:
    """Words (on PostgreSQL walked newest first or collected by the GIN index) around
    shrunk bounds."""
    monkeypatch.setattr(search_module, "FACET_SAMPLE", 2)
    monkeypatch.setattr(search_module, "FIRST_PASS", 3)
    monkeypatch.setattr(search_module, "COUNT_CAP", 4)
    store = CatalogStore(engine, clock=Clock(), search_cache_entries=cache)
    ids = {n: (await store.add(entry(n, name=f"Offer {n}"))).entry.id for n in range(1, 9)}
    for n in (8, 3):
        await store.revoke(ids[n], "{}")
    newest = [ids[n] for n in range(8, 0, -1)]
    statuses = {ids[n]: "revoked" if n in (8, 3) else "active" for n in ids}
    for wanted in (None, ["revoked"], ["active", "revoked"]):
        matches = [i for i in newest if statuses[i] in (wanted or ["active"])]
        for limit in (1, 3, 10):
            for facets in (True, False):
                query = SearchQuery(q="offer", statuses=wanted, limit=limit, facets=facets)
                page = await search(store, query)
                assert page.total == min(len(matches), 4), (wanted, limit, facets)
                assert page.total_exact == (len(matches) <= 4), (wanted, limit, facets)
                if facets:
                    sample = dict(page.facets["status"])
                    assert sample == {
                        s: [statuses[i] for i in newest[:2]].count(s)
                        for s in {statuses[i] for i in newest[:2]}
                    }
                seen = [e.id for e in page.items]
                while page.next_cursor:
                    page = await search(
                        store,
                        SearchQuery(
                            q="offer", statuses=wanted, limit=limit, cursor=page.next_cursor
                        ),
                    )
                    seen += [e.id for e in page.items]
                assert seen == matches, (wanted, limit, facets)
