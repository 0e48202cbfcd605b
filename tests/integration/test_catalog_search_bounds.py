"""Totals, facet samples and pages stay exact around the bounds (facet sample, first pass,
count cap), shrunk here so that a few entries cross them; SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from test_catalog_store import Clock, entry

from catalog import search as search_module
from catalog.search import SearchQuery, search
from catalog.store import CatalogStore


@pytest.mark.parametrize("cache", [0, 256])
async def test_bounds_against_brute_force(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch, cache: int
) -> None:
    monkeypatch.setattr(search_module, "FACET_SAMPLE", 3)
    monkeypatch.setattr(search_module, "FIRST_PASS", 5)
    monkeypatch.setattr(search_module, "COUNT_CAP", 7)
    store = CatalogStore(engine, clock=Clock(), search_cache_entries=cache)
    kept: list[tuple[str, str, str, str]] = []  # (id, status, material, format), oldest first
    for n in range(1, 25):
        material = "PA12" if n % 3 else "PLA"
        fmt = "STL" if n % 2 else "3MF"
        added = await store.add(entry(n, material=[material], format=[fmt]))
        kept.append((added.entry.id, "active", material, fmt))
    for index in (20, 22, 23, 5):  # revoke some of the newest and one old one
        await store.revoke(kept[index][0], "{}")
        kept[index] = (kept[index][0], "revoked", kept[index][2], kept[index][3])
    newest_first = list(reversed(kept))
    for filters in ({}, {"material": ["pla"]}, {"material": ["pa12"], "format": ["stl"]}):
        for statuses in (None, ["revoked"], ["active", "revoked"]):
            wanted = set(statuses or ["active"])

            def fits(item: tuple[str, str, str, str], filters: dict[str, list[str]]) -> bool:
                return all(
                    {"material": item[2], "format": item[3]}[k].lower() in v
                    for k, v in filters.items()
                )

            any_status = [i for i in newest_first if fits(i, filters)]
            matches = [i for i in any_status if i[1] in wanted]
            for _ in range(2):  # the second time from the cache, when there is one
                page = await search(store, SearchQuery(filters=filters, statuses=statuses, limit=2))
                label = (filters, statuses)
                assert page.total == min(len(matches), 7), label
                assert page.total_exact == (len(matches) <= 7), label
                assert page.facets_sampled == (len(any_status) > 3), label
                sample = matches[:3]
                assert dict(page.facets["material"]) == dict(Counter(i[2] for i in sample)), label
                assert dict(page.facets["status"]) == dict(Counter(i[1] for i in any_status[:3]))
                seen = [e.id for e in page.items]
                while page.next_cursor:
                    page = await search(
                        store,
                        SearchQuery(
                            filters=filters, statuses=statuses, limit=2, cursor=page.next_cursor
                        ),
                    )
                    seen += [e.id for e in page.items]
                assert seen == [i[0] for i in matches], label
