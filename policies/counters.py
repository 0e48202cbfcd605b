"""Usage counters with atomic check-and-consume, on SQLite and PostgreSQL.

The connector calls this after a permit, so a policy "at most 3 prints" never grants a
fourth, even with many replicas and concurrent requests::

    counters = UsageCounters(engine)
    result = await counters.try_consume("urn:agreement:7|print", limit=3)
    if not result.granted:
        ...  # deny: result.used of result.limit already used

    # several counters at once, all or nothing (e.g. from EvaluationReport.counters()):
    batch = await counters.try_consume_many([("a|print", 3, 1), ("a|use", 10, 1)])

    current = await counters.used(["a|print"])      # {"a|print": 2}

How it stays exact: each consumption is one SQL statement,

    INSERT INTO policies_usage_counters (key, used) SELECT :key, :n WHERE :n <= :limit
    ON CONFLICT (key) DO UPDATE SET used = policies_usage_counters.used + excluded.used
      WHERE policies_usage_counters.used + excluded.used <= :limit
    RETURNING used

which creates or increments the row only when the new total stays within the limit
(PostgreSQL re-checks the WHERE on the locked, latest row; SQLite serialises writers).
No row returned means denied, and nothing changed: a denied request never consumes
budget. `try_consume_many` runs the statements for every key (sorted, so concurrent
batches lock in one order) in one transaction and rolls back unless all succeed; when
the same key appears twice, the tightest limit wins and the amounts add up.
`limit=None` counts without a bound (a use another rule's count constraint watches).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hinterland.errors import InputError, StorageError
from policies.evaluator import CounterDemand
from policies.store import UsageCounter

MAX_KEY_LENGTH = 512

# explicit casts: asyncpg must know the parameter types of a SELECT list
_LIMITED = text(
    "INSERT INTO policies_usage_counters (key, used) "
    "SELECT CAST(:key AS VARCHAR(512)), CAST(:amount AS BIGINT) "
    "WHERE CAST(:amount AS BIGINT) <= CAST(:limit AS BIGINT) "
    "ON CONFLICT (key) DO UPDATE SET used = policies_usage_counters.used + excluded.used "
    "WHERE policies_usage_counters.used + excluded.used <= CAST(:limit AS BIGINT) "
    "RETURNING used"
)
_UNLIMITED = text(
    "INSERT INTO policies_usage_counters (key, used) "
    "VALUES (CAST(:key AS VARCHAR(512)), CAST(:amount AS BIGINT)) "
    "ON CONFLICT (key) DO UPDATE SET used = policies_usage_counters.used + excluded.used "
    "RETURNING used"
)


@dataclass(frozen=True, slots=True)
class ConsumeResult:
    """Outcome for one counter: `used` is the total after a grant, or the current total
    (untouched) after a denial."""

    key: str
    granted: bool
    used: int
    limit: int | None
    amount: int = 1


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Outcome of `try_consume_many`: granted only if every counter had room."""

    granted: bool
    results: tuple[ConsumeResult, ...]

    @property
    def blocking(self) -> tuple[ConsumeResult, ...]:
        """The counters that had no room (empty when granted)."""
        return tuple(
            r for r in self.results
            if not r.granted and r.limit is not None and r.used + r.amount > r.limit
        )


Demand = CounterDemand | tuple[str, int | None, int] | tuple[str, int | None]


def _normalize(demands: Iterable[Demand]) -> list[tuple[str, int | None, int]]:
    merged: dict[str, tuple[int | None, int]] = {}
    for demand in demands:
        if isinstance(demand, CounterDemand):
            key, limit, amount = demand.key, demand.limit, demand.amount
        elif len(demand) == 3:
            key, limit, amount = demand
        else:
            key, limit = demand
            amount = 1
        _check(key, limit, amount)
        if key in merged:
            old_limit, old_amount = merged[key]
            tightest = (
                limit if old_limit is None
                else old_limit if limit is None
                else min(old_limit, limit)
            )
            # one use of one key is one use, even when two constraints watch it
            merged[key] = (tightest, max(old_amount, amount))
        else:
            merged[key] = (limit, amount)
    return [(k, lim, amt) for k, (lim, amt) in sorted(merged.items())]


def _check(key: str, limit: int | None, amount: int) -> None:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InputError(f"counter key must be 1..{MAX_KEY_LENGTH} characters")
    if amount < 1:
        raise InputError(f"amount must be at least 1, not {amount}")
    if limit is not None and limit < 0:
        raise InputError(f"limit must not be negative, not {limit}")


class UsageCounters:
    """Atomic usage counters in `policies_usage_counters` (see the module docstring)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def try_consume(self, key: str, limit: int | None, amount: int = 1) -> ConsumeResult:
        """Add `amount` uses to `key` if the total stays within `limit`; else change nothing."""
        batch = await self.try_consume_many([(key, limit, amount)])
        return batch.results[0]

    async def try_consume_many(self, demands: Iterable[Demand]) -> BatchResult:
        """Consume every demand or none, in one transaction."""
        items = _normalize(demands)
        if not items:
            return BatchResult(True, ())
        try:
            async with self.engine.connect() as conn:
                results = await self._consume_all(conn, items)
                if all(r.granted for r in results):
                    await conn.commit()
                    return BatchResult(True, results)
                await conn.rollback()
            current = await self.used([k for k, _, _ in items])
        except SQLAlchemyError as exc:
            raise StorageError(f"usage counters unavailable: {type(exc).__name__}") from exc
        return BatchResult(False, tuple(
            ConsumeResult(k, False, current.get(k, 0), lim, amt) for k, lim, amt in items
        ))

    async def _consume_all(
        self, conn: AsyncConnection, items: Sequence[tuple[str, int | None, int]]
    ) -> tuple[ConsumeResult, ...]:
        results: list[ConsumeResult] = []
        for key, limit, amount in items:
            if limit is None:
                row = (await conn.execute(_UNLIMITED, {"key": key, "amount": amount})).first()
            else:
                row = (await conn.execute(
                    _LIMITED, {"key": key, "amount": amount, "limit": limit}
                )).first()
            if row is None:
                # later statements would only be rolled back; stop here
                results.append(ConsumeResult(key, False, -1, limit, amount))
                break
            results.append(ConsumeResult(key, True, int(row[0]), limit, amount))
        return tuple(results)

    async def used(self, keys: Iterable[str]) -> dict[str, int]:
        """Current totals of `keys` (absent keys are 0)."""
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        try:
            async with self.engine.connect() as conn:
                rows = await conn.execute(
                    select(UsageCounter.key, UsageCounter.used).where(UsageCounter.key.in_(wanted))
                )
                found = {str(k): int(u) for k, u in rows}
        except SQLAlchemyError as exc:
            raise StorageError(f"usage counters unavailable: {type(exc).__name__}") from exc
        return {k: found.get(k, 0) for k in wanted}

    async def reset(self, key: str) -> None:
        """Forget a counter (e.g. when an agreement ends)."""
        async with self.engine.begin() as conn:
            await conn.execute(delete(UsageCounter).where(UsageCounter.key == key))
