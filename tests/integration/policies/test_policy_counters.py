"""Usage counters on SQLite and PostgreSQL: exact under concurrency, denials free."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from hinterland.db import create_engine
from policies.counters import UsageCounters


async def test_grants_up_to_the_limit_and_denials_consume_nothing(engine: AsyncEngine) -> None:
    counters = UsageCounters(engine)
    granted = [await counters.try_consume("agreement-1|print", 3) for _ in range(5)]
    assert [r.granted for r in granted] == [True, True, True, False, False]
    assert [r.used for r in granted] == [1, 2, 3, 3, 3]
    assert granted[-1].limit == 3
    assert await counters.used(["agreement-1|print", "other"]) == {
        "agreement-1|print": 3, "other": 0
    }


async def test_amount_larger_than_the_room_is_denied_whole(engine: AsyncEngine) -> None:
    counters = UsageCounters(engine)
    assert (await counters.try_consume("k", 5, amount=4)).granted
    denied = await counters.try_consume("k", 5, amount=2)
    assert not denied.granted and denied.used == 4
    assert (await counters.try_consume("k", 5, amount=1)).used == 5
    assert not (await counters.try_consume("fresh", 2, amount=3)).granted
    assert await counters.used(["fresh"]) == {"fresh": 0}


async def test_batch_is_all_or_nothing_and_tightest_limit_wins(engine: AsyncEngine) -> None:
    counters = UsageCounters(engine)
    # the same key under two count constraints: the tighter limit (2) governs
    first = await counters.try_consume_many([("p", 5, 1), ("p", 2, 1), ("q", 10, 1)])
    second = await counters.try_consume_many([("p", 5, 1), ("p", 2, 1), ("q", 10, 1)])
    third = await counters.try_consume_many([("p", 5, 1), ("p", 2, 1), ("q", 10, 1)])
    assert first.granted and second.granted and not third.granted
    assert [r.key for r in third.blocking] == ["p"]
    # q had room but the batch failed, so q was not consumed either
    assert await counters.used(["p", "q"]) == {"p": 2, "q": 2}


async def test_unlimited_demand_only_counts(engine: AsyncEngine) -> None:
    counters = UsageCounters(engine)
    for _ in range(4):
        assert (await counters.try_consume("watch", None)).granted
    assert await counters.used(["watch"]) == {"watch": 4}


async def test_fifty_concurrent_requests_against_at_most_three(migrated_url: str) -> None:
    # separate engines would also work; one engine with a pool big enough gives every
    # task its own connection, so the 50 statements really race
    engine = create_engine(migrated_url, pool_size=20)
    try:
        counters = UsageCounters(engine)
        results = await asyncio.gather(
            *(counters.try_consume("agreement-9|print", 3) for _ in range(50))
        )
        assert sum(r.granted for r in results) == 3
        assert sorted(r.used for r in results if r.granted) == [1, 2, 3]
        assert await counters.used(["agreement-9|print"]) == {"agreement-9|print": 3}
        batches = await asyncio.gather(
            *(counters.try_consume_many([("b|print", 3, 1), ("b|use", 100, 1)])
              for _ in range(50))
        )
        assert sum(b.granted for b in batches) == 3
        assert await counters.used(["b|print", "b|use"]) == {"b|print": 3, "b|use": 3}
    finally:
        await engine.dispose()


def test_policies_branch_creates_and_drops_its_table(database_url: str) -> None:
    from sqlalchemy import inspect

    from hinterland.db import migrate

    async def tables() -> set[str]:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as conn:
                return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        finally:
            await engine.dispose()

    migrate.upgrade(database_url)
    assert "policies_usage_counters" in asyncio.run(tables())
    assert "policies_0001" in migrate.current_heads(database_url)
    migrate.downgrade(database_url)
    assert "policies_usage_counters" not in asyncio.run(tables())
