"""decide_and_consume on SQLite and PostgreSQL: the print licence end to end."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from hinterland.db import create_engine
from policies import (
    Decision,
    Request,
    Requester,
    StateOfTheWorld,
    UsageCounters,
    compile_policy,
    decide_and_consume,
)
from policies.templates import n_times, purpose

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
PARTNER = Requester("did:web:partner")


def _print(**params: str) -> Request:
    return Request("print", PARTNER, target="urn:asset:bracket", params=params)


async def test_denied_requests_never_consume_budget(engine: AsyncEngine) -> None:
    counters = UsageCounters(engine)
    base = n_times("urn:policy:lic", "urn:asset:bracket", "did:web:provider", 3,
                   assignee="did:web:partner")
    # the same print licence, but only for prototyping
    extra = purpose("urn:policy:lic", "urn:asset:bracket", "did:web:provider",
                    ["prototyping"], assignee="did:web:partner", action="print")
    from dataclasses import replace

    rule = replace(base.permissions[0],
                   constraints=base.permissions[0].constraints + extra.permissions[0].constraints)
    compiled = compile_policy(replace(base, permissions=(rule,)))
    sotw = StateOfTheWorld(now=NOW)
    for _ in range(5):
        wrong = await decide_and_consume(compiled, _print(purpose="marketing"), sotw, counters)
        assert wrong.decision is Decision.DENY
    assert await counters.used(["urn:policy:lic|print"]) == {"urn:policy:lic|print": 0}
    outcomes = [await decide_and_consume(compiled, _print(purpose="prototyping"), sotw,
                                         counters) for _ in range(4)]
    assert [o.decision for o in outcomes] == [Decision.PERMIT] * 3 + [Decision.DENY]
    assert outcomes[-1].explain() == "denied: print count 3 of 3 used"
    marketing = await decide_and_consume(compiled, _print(purpose="marketing"), sotw, counters)
    assert marketing.explain() == ("denied: print count 3 of 3 used; purpose 'marketing' is "
                                   "not one of 'prototyping'")
    assert await counters.used(["urn:policy:lic|print"]) == {"urn:policy:lic|print": 3}


async def test_fifty_concurrent_prints_against_at_most_three(migrated_url: str) -> None:
    engine = create_engine(migrated_url, pool_size=20)
    try:
        counters = UsageCounters(engine)
        compiled = compile_policy(n_times("urn:policy:c", "urn:asset:bracket",
                                          "did:web:provider", 3, assignee="did:web:partner"))
        reports = await asyncio.gather(*(
            decide_and_consume(compiled, _print(), StateOfTheWorld(now=NOW), counters)
            for _ in range(50)
        ))
        assert sum(r.permitted for r in reports) == 3
        assert all(r.explain() == "denied: print count 3 of 3 used"
                   for r in reports if not r.permitted)
        assert await counters.used(["urn:policy:c|print"]) == {"urn:policy:c|print": 3}
    finally:
        await engine.dispose()
