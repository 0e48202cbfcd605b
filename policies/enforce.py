"""Decide and count in one call: what the connector runs for every usage request.

`decide_and_consume` reads the current counts of every counter the policy watches,
evaluates, and on a permit consumes the report's counters atomically. If another
replica used the last print in between, consumption fails, the counts are read again and
the request is evaluated again, so the answer is a deny whose English reason names the
exhausted count. A denied request consumes nothing. Should the counts change under it on
every one of `MAX_ATTEMPTS` tries, it raises `Conflict` rather than permit unconsumed.
"""

from __future__ import annotations

from dataclasses import replace

from hinterland.errors import Conflict
from policies.counters import UsageCounters
from policies.evaluator import (
    CompiledConstraint,
    CompiledLogical,
    CompiledPolicy,
    EvaluationReport,
    evaluate,
)
from policies.operands import Kind
from policies.request import Request, Scope, StateOfTheWorld

MAX_ATTEMPTS = 3


def watched_counters(policy: CompiledPolicy) -> list[str]:
    """Every counter key a count constraint of the policy reads."""
    keys: set[str] = set()
    stack: list[object] = []
    for rule in policy.permissions + policy.prohibitions:
        stack.extend(rule.constraints + rule.action_refinement)
    while stack:
        node = stack.pop()
        if isinstance(node, CompiledLogical):
            stack.extend(node.members)
        elif isinstance(node, CompiledConstraint) and node.kind is Kind.COUNT:
            keys.add(node.key)
    return sorted(keys)


async def decide_and_consume(
    policy: CompiledPolicy,
    request: Request,
    sotw: StateOfTheWorld,
    counters: UsageCounters,
    scope: Scope = Scope.USAGE,
) -> EvaluationReport:
    """Evaluate with live counts and consume on permit (see the module docstring)."""
    keys = watched_counters(policy)
    for _ in range(MAX_ATTEMPTS):
        counts = {**sotw.counts, **(await counters.used(keys))} if keys else dict(sotw.counts)
        report = evaluate(policy, request, replace(sotw, counts=counts), scope)
        demands = report.counters()
        if not report.permitted or not demands or scope is not Scope.USAGE:
            return report
        if (await counters.try_consume_many(demands)).granted:
            return report
    # every attempt lost the race to other consumers: never return an unconsumed permit
    raise Conflict("usage counters changed during every attempt; retry the request")
