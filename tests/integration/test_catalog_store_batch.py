"""Concurrent adds are grouped into one write transaction; the outcome is what adding
them one by one gives, and one failing description fails alone (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from test_catalog_store import NOW, Clock, entry

from catalog.store import CatalogStore


async def test_grouped_adds_keep_versions_copies_and_the_feed(engine: AsyncEngine) -> None:
    store = CatalogStore(engine, clock=Clock())
    await store.add(entry(1, subject="https://acme.example/sd/v"))  # a stored version
    news = [
        entry(2, material=["PA12"]),
        entry(3, subject="https://acme.example/sd/v", issued=NOW),  # newer than 1
        entry(2, material=["PA12"]),  # a copy within the group
        entry(4, subject="https://acme.example/sd/w", issued=NOW - timedelta(days=3)),
        entry(5, subject="https://acme.example/sd/w", issued=NOW - timedelta(days=2)),
        entry(1, subject="https://acme.example/sd/v"),  # a copy of a stored one
        *(entry(n, keyword=[f"k{n}"]) for n in range(10, 40)),
    ]
    results = await asyncio.gather(*(store.add(n) for n in news))
    assert [r.created for r in results] == [True, True, False, True, True, False] + [True] * 30
    assert [r.entry.id for r in results] == [n.id for n in news]
    assert results[1].deprecated == [entry(1).id]
    assert results[3].entry.status == "active" and results[4].deprecated == [entry(4).id]
    assert (await store.get(entry(1).id)).status == "deprecated"
    assert (await store.get(entry(4).id)).superseded_by == entry(5).id
    assert (await store.get(entry(12).id)).claims["keyword"] == ["k12"]
    changes = await store.changes(0, 100)
    added = [c.entry_id for c in changes if c.kind == "added"]
    assert sorted(added) == sorted({n.id for n in news})
    assert [c.seq for c in changes] == sorted(c.seq for c in changes)
    assert sorted(c.entry_id for c in changes if c.kind == "deprecated") == sorted(
        [entry(1).id, entry(4).id]
    )


async def test_one_failing_description_fails_alone(engine: AsyncEngine) -> None:
    store = CatalogStore(engine, clock=Clock())
    clash = replace(entry(7), id=entry(6).id)  # another document claiming the same entry id
    outcomes = await asyncio.gather(
        store.add(entry(6)), store.add(clash), store.add(entry(8)), return_exceptions=True
    )
    assert not isinstance(outcomes[0], BaseException) and outcomes[0].created
    assert isinstance(outcomes[1], IntegrityError)
    assert not isinstance(outcomes[2], BaseException) and outcomes[2].created
    assert (await store.get(entry(6).id)).sha256 == entry(6).sha256
    assert await store.find_by_sha256(entry(7).sha256) is None
    assert len(await store.changes(0, 10)) == 2
    with pytest.raises(IntegrityError):  # alone, too
        await store.add(replace(entry(9), id=entry(8).id))
