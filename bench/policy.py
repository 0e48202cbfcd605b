"""Policy engine benchmark: decisions per second and atomic counter consumption rate.

    python bench/policy.py [--decisions 50000] [--consumes 2000] [--no-db]

1. Decisions: a compiled policy of 3 rules and 10 constraints (count, purpose, spatial
   containment, a date window, membership and compliance-level claims, elapsed time, and
   a prohibition on recipient and file format), evaluated with the full report built
   (every rule and constraint result), single core. Prints decisions/s, p50 and p99
   latency, and the ratio to the targets (20,000/s, p50 50 µs). Rendering English or
   JSON is measured separately.
2. Counters: `UsageCounters.try_consume` one after the other and with 16 concurrent
   tasks, on a fresh SQLite file and a fresh PostgreSQL database
   (HINTERLAND_BENCH_POSTGRES, default postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from policies import (
    Request,
    Requester,
    StateOfTheWorld,
    UsageCounters,
    compile_policy,
    evaluate,
    parse_policy,
)

TARGET_RATE = 20_000
TARGET_P50_US = 50.0

POLICY = {
    "@context": ["http://www.w3.org/ns/odrl.jsonld", {"hl": "https://w3id.org/hinterland/policy#"}],
    "uid": "urn:policy:bench",
    "type": "Agreement",
    "assigner": "did:web:provider.example",
    "assignee": "did:web:partner.example",
    "target": "urn:asset:bracket-3mf",
    "permission": [
        {"uid": "urn:policy:bench#print", "action": "print", "constraint": [
            {"leftOperand": "count", "operator": "lteq", "rightOperand": 1_000_000},
            {"leftOperand": "purpose", "operator": "isAnyOf",
             "rightOperand": ["prototyping", "research"]},
            {"leftOperand": "spatial", "operator": "isPartOf", "rightOperand": "EU"},
            {"and": [
                {"leftOperand": "dateTime", "operator": "gteq",
                 "rightOperand": {"@value": "2026-01-01T00:00:00Z", "@type": "xsd:dateTime"}},
                {"leftOperand": "dateTime", "operator": "lteq",
                 "rightOperand": {"@value": "2026-12-31T23:59:59Z", "@type": "xsd:dateTime"}},
            ]},
        ]},
        {"uid": "urn:policy:bench#use", "action": "use", "constraint": [
            {"leftOperand": "hl:membership", "operator": "eq", "rightOperand": "catena-x"},
            {"leftOperand": "hl:complianceLevel", "operator": "gteq", "rightOperand": "label1"},
            {"leftOperand": "elapsedTime", "operator": "lteq",
             "rightOperand": {"@value": "P365D", "@type": "xsd:duration"}},
        ]},
    ],
    "prohibition": [
        {"uid": "urn:policy:bench#no-competitors", "action": "distribute", "constraint": [
            {"leftOperand": "recipient", "operator": "eq", "rightOperand": "did:web:competitor"},
            {"leftOperand": "fileFormat", "operator": "eq", "rightOperand": "model/stl"},
        ]},
    ],
}


def _count_constraints(node: object) -> int:
    from policies.model import Constraint, LogicalConstraint

    if isinstance(node, Constraint):
        return 1
    if isinstance(node, LogicalConstraint):
        return sum(_count_constraints(c) for c in node.constraints)
    return 0


def bench_decisions(n: int) -> float:
    policy = parse_policy(POLICY)
    rules = policy.permissions + policy.prohibitions
    constraints = sum(_count_constraints(c) for r in rules for c in r.constraints)
    assert (len(rules), constraints) == (3, 10), (len(rules), constraints)
    compiled = compile_policy(policy)
    now = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    request = Request(
        "print",
        Requester("did:web:partner.example",
                  claims={"membership": "catena-x", "complianceLevel": "label2"}),
        target="urn:asset:bracket-3mf",
        params={"purpose": "prototyping", "spatial": "DE-SN", "recipient": "did:web:partner",
                "fileFormat": "model/3mf"},
    )
    sotw = StateOfTheWorld(now=now, agreed_at=now - timedelta(days=30),
                           counts={"urn:policy:bench|print": 41})
    report = evaluate(compiled, request, sotw)
    assert report.permitted, report.explain()
    print(f"policy: {len(rules)} rules, {constraints} constraints; sample decision: "
          f"{report.explain()[:90]}...")

    for _ in range(2000):  # warm caches
        evaluate(compiled, request, sotw)
    start = time.perf_counter()
    for _ in range(n):
        evaluate(compiled, request, sotw)
    elapsed = time.perf_counter() - start
    rate = n / elapsed

    samples = []
    clock = time.perf_counter_ns
    for _ in range(min(n, 20_000)):
        t0 = clock()
        evaluate(compiled, request, sotw)
        samples.append(clock() - t0)
    samples.sort()
    p50 = samples[len(samples) // 2] / 1000
    p99 = samples[int(len(samples) * 0.99)] / 1000

    explain_n = max(1, n // 10)
    t0 = time.perf_counter()
    for _ in range(explain_n):
        evaluate(compiled, request, sotw).explain()
    with_english = explain_n / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for _ in range(explain_n):
        evaluate(compiled, request, sotw).to_dict()
    with_json = explain_n / (time.perf_counter() - t0)

    print(f"decisions (report built): {rate:,.0f}/s on one core   "
          f"ratio to target {TARGET_RATE:,}/s: {rate / TARGET_RATE:.2f}x")
    print(f"latency: p50 {p50:.1f} µs (target {TARGET_P50_US:.0f} µs, ratio "
          f"{TARGET_P50_US / p50:.2f}x)   p99 {p99:.1f} µs")
    print(f"with English reason: {with_english:,.0f}/s   with JSON report: {with_json:,.0f}/s")
    return rate


async def _consume_rate(url: str, n: int) -> tuple[float, float]:
    from hinterland.db import create_engine, migrate

    await asyncio.to_thread(migrate.upgrade, url)
    engine = create_engine(url, pool_size=16)
    try:
        counters = UsageCounters(engine)
        start = time.perf_counter()
        for _ in range(n):
            result = await counters.try_consume("bench|print", n * 10)
            assert result.granted
        sequential = n / (time.perf_counter() - start)

        async def worker(count: int) -> None:
            for _ in range(count):
                assert (await counters.try_consume("bench|concurrent", n * 10)).granted

        start = time.perf_counter()
        await asyncio.gather(*(worker(n // 16) for _ in range(16)))
        concurrent = (n // 16 * 16) / (time.perf_counter() - start)
        used = await counters.used(["bench|print", "bench|concurrent"])
        assert used == {"bench|print": n, "bench|concurrent": n // 16 * 16}, used
        return sequential, concurrent
    finally:
        await engine.dispose()


async def _pg(sql: str, admin: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def bench_counters(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        seq, conc = asyncio.run(_consume_rate(url, n))
        print(f"atomic consume, SQLite:     {seq:,.0f}/s sequential, {conc:,.0f}/s with 16 tasks")

    admin = os.environ.get("HINTERLAND_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
    name = f"hl_bench_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_pg(f'CREATE DATABASE "{name}"', admin))
    except Exception as exc:
        print(f"atomic consume, PostgreSQL: skipped ({exc.__class__.__name__}: {exc})")
        return
    try:
        base = admin.rsplit("/", 1)[0].split("://", 1)[1]
        seq, conc = asyncio.run(_consume_rate(f"postgresql+asyncpg://{base}/{name}", n))
        print(f"atomic consume, PostgreSQL: {seq:,.0f}/s sequential, {conc:,.0f}/s with 16 tasks")
    finally:
        asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', admin))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=50_000)
    parser.add_argument("--consumes", type=int, default=2_000)
    parser.add_argument("--no-db", action="store_true", help="skip the counter benchmark")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}")
    bench_decisions(args.decisions)
    if not args.no_db:
        bench_counters(args.consumes)


if __name__ == "__main__":
    main()
