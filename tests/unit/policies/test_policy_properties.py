"""Property-based tests (hypothesis) over random policies, requests and states of the world:

- adding a prohibition that is satisfied for the request never turns a deny (or a
  not-applicable) into a permit, whatever the conflict strategy (nor does any other
  prohibition), and under `prohibit` and `invalid` it always denies;
- the decision, every rule's activation and the counters to consume do not depend on the
  order of the rules, nor on the order of constraints inside them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from policies import (
    Conflict,
    Constraint,
    Decision,
    LogicalConstraint,
    Policy,
    Request,
    Requester,
    Rule,
    RuleKind,
    StateOfTheWorld,
    Value,
    evaluate,
)
from policies.model import Action, Asset, Party
from policies.terms import ODRL, XSD

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
ACTIONS = ["use", "print", "read", "distribute", "transfer", "sell", "reproduce"]
PURPOSES = ["prototyping", "marketing", "reporting", "research"]
REGIONS = ["DE", "DE-SN", "FR", "EU", "CH", "DE-BY"]
PARTIES = ["did:web:a", "did:web:b"]
TARGETS = ["urn:asset:x", "urn:asset:y"]

_ids = st.integers(min_value=0, max_value=10**9)


@st.composite
def constraints(draw: st.DrawFn) -> Constraint | LogicalConstraint:
    kind = draw(st.sampled_from(["purpose", "count", "spatial", "dateTime", "logical"]))
    uid = f"urn:c:{draw(_ids)}"
    if kind == "purpose":
        op = draw(st.sampled_from(["eq", "neq", "isAnyOf", "isNoneOf"]))
        values = draw(st.lists(st.sampled_from(PURPOSES), min_size=1, max_size=2, unique=True))
        if op in ("eq", "neq"):
            values = values[:1]
        return Constraint(ODRL + "purpose", op, tuple(Value(v) for v in values), id=uid)
    if kind == "count":
        op = draw(st.sampled_from(["lteq", "lt", "gt", "gteq", "eq"]))
        n = draw(st.integers(min_value=0, max_value=5))
        return Constraint(ODRL + "count", op, (Value(str(n), datatype=XSD + "integer"),), id=uid)
    if kind == "spatial":
        op = draw(st.sampled_from(["isPartOf", "isAnyOf", "isNoneOf", "eq", "hasPart"]))
        region = draw(st.sampled_from(REGIONS))
        return Constraint(ODRL + "spatial", op, (Value(region),), id=uid)
    if kind == "dateTime":
        op = draw(st.sampled_from(["lt", "lteq", "gt", "gteq", "eq", "neq"]))
        offset = draw(st.integers(min_value=-3, max_value=3))
        when = (NOW + timedelta(days=offset)).isoformat()
        return Constraint(ODRL + "dateTime", op, (Value(when, datatype=XSD + "dateTime"),),
                          id=uid)
    members = draw(st.lists(constraints(), min_size=1, max_size=3))
    op = draw(st.sampled_from(["and", "or", "xone", "andSequence"]))
    return LogicalConstraint(op, tuple(members), id=uid)


@st.composite
def rules(draw: st.DrawFn, kind: RuleKind) -> Rule:
    action = draw(st.one_of(st.none(), st.sampled_from(ACTIONS)))
    target = draw(st.one_of(st.none(), st.sampled_from(TARGETS)))
    assignee = draw(st.one_of(st.none(), st.sampled_from(PARTIES)))
    return Rule(
        kind,
        action=Action(ODRL + action) if action else None,
        target=Asset(target) if target else None,
        assignee=Party(assignee) if assignee else None,
        constraints=tuple(draw(st.lists(constraints(), max_size=3))),
        id=f"urn:rule:{kind.value}:{draw(_ids)}",
    )


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    permissions = draw(st.lists(rules(RuleKind.PERMISSION), max_size=3,
                                unique_by=lambda r: r.id))
    prohibitions = draw(st.lists(rules(RuleKind.PROHIBITION), max_size=2,
                                 unique_by=lambda r: r.id))
    return Policy("urn:policy:random", "Set", tuple(permissions), tuple(prohibitions),
                  conflict=draw(st.sampled_from(list(Conflict))))


@st.composite
def situations(draw: st.DrawFn) -> tuple[Request, StateOfTheWorld]:
    params = {}
    if draw(st.booleans()):
        params["purpose"] = draw(st.sampled_from(PURPOSES))
    if draw(st.booleans()):
        params["spatial"] = draw(st.sampled_from(REGIONS))
    request = Request(
        draw(st.sampled_from(ACTIONS)),
        Requester(draw(st.sampled_from(PARTIES))),
        target=draw(st.sampled_from(TARGETS)),
        params=params,
    )
    counts = {f"urn:policy:random|{a}": draw(st.integers(min_value=0, max_value=6))
              for a in ACTIONS}
    now = NOW + timedelta(hours=draw(st.integers(min_value=-72, max_value=72)))
    return request, StateOfTheWorld(now=now, counts=counts)


def _summary(policy: Policy, request: Request, sotw: StateOfTheWorld) -> object:
    report = evaluate(policy, request, sotw)
    return (report.decision, sorted((r.rule.id or "", r.active) for r in report.rules),
            report.counters())


@settings(max_examples=300, deadline=None)
@given(policies(), situations(), rules(RuleKind.PROHIBITION))
def test_a_satisfied_prohibition_never_turns_deny_into_permit(
    policy: Policy, situation: tuple[Request, StateOfTheWorld], extra: Rule
) -> None:
    request, sotw = situation
    before = evaluate(policy, request, sotw).decision
    # make the drawn prohibition satisfied for this request: its premises are the request's
    satisfied = replace(extra, action=Action(request.action), target=None, assignee=None,
                        constraints=(), id="urn:rule:added")
    for prohibition in (satisfied, extra):
        after_policy = replace(policy, prohibitions=(*policy.prohibitions, prohibition))
        after = evaluate(after_policy, request, sotw)
        if prohibition is satisfied:
            assert any(r.active for r in after.rules if r.rule.id == "urn:rule:added")
        if before is not Decision.PERMIT:
            assert after.decision is not Decision.PERMIT
        if prohibition is satisfied and policy.conflict is not Conflict.PERM:
            # only the "perm" strategy lets a permission override an active prohibition
            assert after.decision is Decision.DENY


@settings(max_examples=300, deadline=None)
@given(policies(), situations(), st.randoms(use_true_random=False))
def test_evaluation_does_not_depend_on_rule_order(
    policy: Policy, situation: tuple[Request, StateOfTheWorld], rnd: object
) -> None:
    import random

    assert isinstance(rnd, random.Random)
    request, sotw = situation
    expected = _summary(policy, request, sotw)
    permissions = list(policy.permissions)
    prohibitions = list(policy.prohibitions)
    rnd.shuffle(permissions)
    rnd.shuffle(prohibitions)
    shuffled_rules = [
        replace(r, constraints=tuple(rnd.sample(r.constraints, len(r.constraints))))
        for r in permissions
    ]
    reordered = replace(policy, permissions=tuple(shuffled_rules),
                        prohibitions=tuple(reversed(prohibitions)))
    assert _summary(reordered, request, sotw) == expected
