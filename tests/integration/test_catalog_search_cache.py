"""The search cache (facets, newest matches, totals) is exact: every write and every entry
passing its validUntil makes the next search compute afresh, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from test_catalog_store import NOW, Clock, entry

from catalog.search import SearchPage, SearchQuery, search
from catalog.store import CatalogStore


def counts(page: SearchPage, facet: str) -> dict[str, int]:
    return dict(page.facets[facet])


async def test_cached_results_follow_every_write_and_expiry(engine: AsyncEngine) -> None:
    clock = Clock()
    store = CatalogStore(engine, clock=clock)
    fresh = CatalogStore(engine, clock=clock, search_cache_entries=0)  # never caches
    await store.add(entry(1, material=["PA12"]))
    await store.add(entry(2, material=["PA12"], until=NOW + timedelta(hours=1)))
    await store.add(entry(3, material=["PLA"]))
    query = SearchQuery(filters={"material": ["pa12"]}, limit=1)

    async def both() -> SearchPage:
        cached, computed = await search(store, query), await search(fresh, query)
        assert cached == computed
        return cached

    first = await both()
    assert (first.total, counts(first, "material")) == (2, {"PA12": 2})
    assert len(store.search_cache._items) == 1
    second = await both()  # served from the cache, page by page
    assert second.next_cursor is not None
    page2 = await search(store, SearchQuery(filters=query.filters, cursor=second.next_cursor))
    assert [e.id for e in page2.items] == [entry(1).id]

    await store.add(entry(4, material=["PA12"]))  # a write: counts change at once
    assert (await both()).total == 3
    await store.revoke(entry(4).id, '{"revoked": true}')
    after_revoke = await both()
    assert after_revoke.total == 2
    assert counts(after_revoke, "status") == {"active": 2, "revoked": 1}

    clock.now = NOW + timedelta(hours=2)  # entry 2 expires without any write
    expired = await both()
    assert expired.total == 1
    assert counts(expired, "status") == {"active": 1, "expired": 1, "revoked": 1}
    clock.now = NOW  # and a clock set back is not served what was computed later
    assert (await both()).total == 2
