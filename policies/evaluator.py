"""Evaluate a compiled ODRL policy against a request and a state of the world.

`compile_policy(policy)` does every bit of parsing and typing once (right operands become
date-times, durations, numbers; operators become predicates; the action hierarchy is
looked up); `evaluate(compiled, request, sotw)` then only reads values and compares, so a
decision with its full report costs tens of microseconds.

Semantics (ODRL 2.2 and the ODRL formal semantics draft, as the ODRL test suite checks):

- A rule is *active* when its target, party and action premises hold (a missing one
  means "any"; collections match through `partOf` in the state of the world or the
  requester), every constraint is satisfied, and - for permissions - no duty blocks it.
- A duty whose constraints are unsatisfied is *inactive* (not yet due). An active duty is
  *fulfilled* when the state of the world says it was performed, *violated* when it says
  so, else *pending*. A violated duty makes its permission inactive (and its
  consequences become due); a pending duty marked "before use" (constraint
  `event lt policyUsage`) does too; other pending duties are due after use.
- Decision: an active prohibition and an active permission conflict, resolved by the
  policy's strategy (`perm`: permit, `prohibit`: deny, `invalid` - the default: the policy
  is void, deny). Otherwise any active prohibition denies, any active permission permits;
  a request that some rule addresses but none allows is denied; a request no rule
  addresses at all is *not applicable*, as is every request under a policy that
  `dc:isReplacedBy` voided.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from hinterland.errors import PolicyError
from policies import spatial
from policies.actions import included_in
from policies.model import (
    Action,
    Conflict,
    Constraint,
    ConstraintLike,
    LogicalConstraint,
    Party,
    Policy,
    Rule,
    RuleKind,
    Value,
)
from policies.operands import MISSING, Kind, LeftOperandSpec, lookup
from policies.operators import make_predicate
from policies.request import DutyState, Request, Scope, StateOfTheWorld
from policies.terms import ODRL, short
from policies.values import (
    parse_count,
    parse_date_or_datetime,
    parse_decimal,
    parse_duration,
    parse_version,
)


class Decision(StrEnum):
    """The answer to a request."""

    PERMIT = "permit"
    DENY = "deny"
    NOT_APPLICABLE = "not-applicable"


class DutyStatus(StrEnum):
    """A duty's state at evaluation time."""

    INACTIVE = "inactive"
    PENDING = "pending"
    FULFILLED = "fulfilled"
    VIOLATED = "violated"


def counter_key(policy_uid: str, action: str | None) -> str:
    """The usage-counter key of a policy's rules on `action` (shared by all its rules)."""
    return f"{policy_uid}|{short(action) if action else '*'}"


class EvalContext:
    """What readers of left operands see during one evaluation."""

    __slots__ = ("agreed_at", "now", "request", "scope", "sotw")

    def __init__(
        self, request: Request, sotw: StateOfTheWorld, scope: Scope, agreed_at: datetime | None
    ) -> None:
        self.request = request
        self.sotw = sotw
        self.scope = scope
        self.now = sotw.now
        self.agreed_at = sotw.agreed_at or agreed_at


# --------------------------------------------------------------------------- constraints


class ConstraintResult:
    """One constraint's outcome: the actual left-operand value and whether it held.

    `deferred` is True when the operand is not checked in this scope (it then counts as
    satisfied). Logical constraints carry their members' results in `children`.
    """

    __slots__ = ("actual", "children", "constraint", "deferred", "satisfied")

    def __init__(
        self,
        constraint: CompiledConstraint | CompiledLogical,
        actual: Any,
        satisfied: bool,
        deferred: bool = False,
        children: tuple[ConstraintResult, ...] = (),
    ) -> None:
        self.constraint = constraint
        self.actual = actual
        self.satisfied = satisfied
        self.deferred = deferred
        self.children = children

    def walk(self) -> Iterator[ConstraintResult]:
        """This result and every nested one."""
        yield self
        for child in self.children:
            yield from child.walk()


class CompiledConstraint:
    """A constraint with its right operand typed and its operator compiled."""

    __slots__ = ("id", "key", "kind", "left_operand", "operator", "predicate", "right",
                 "right_types", "right_values", "scopes", "spec", "status", "unit")

    def __init__(self, constraint: Constraint, key: str, where: str) -> None:
        self.id = constraint.id
        self.left_operand = constraint.left_operand
        self.operator = constraint.operator
        self.unit = constraint.unit
        spec = lookup(constraint.left_operand)
        self.spec: LeftOperandSpec = spec
        self.kind = spec.kind
        self.scopes = spec.scopes
        self.key = key if spec.kind is Kind.COUNT else short(constraint.left_operand)
        if constraint.right_operand_reference is not None and not constraint.right_operand:
            raise PolicyError(
                f"{where}: constraint {constraint.id} uses rightOperandReference "
                f"{constraint.right_operand_reference}, which this engine does not dereference"
            )
        label = f"{where}: constraint {constraint.id} ({short(constraint.left_operand)})"
        if constraint.operator in ("lt", "lteq", "gt", "gteq") and len(
            constraint.right_operand
        ) != 1:
            raise PolicyError(
                f"{label}: operator {constraint.operator} needs exactly one right operand, "
                f"not {len(constraint.right_operand)}"
            )
        self.right: tuple[str, ...] = tuple(v.value for v in constraint.right_operand)
        self.right_types: tuple[str | None, ...] = tuple(
            "@id" if v.is_iri else v.datatype or constraint.data_type
            for v in constraint.right_operand
        )
        self.right_values = tuple(_typed(v, spec, label) for v in constraint.right_operand)
        # ODRL `status`: the left operand's value as the policy itself records it; used
        # when neither the request nor the state of the world gives one
        self.status = _typed(constraint.status, spec, label) if constraint.status else MISSING
        within = None
        if spec.kind is Kind.SPATIAL:
            within = spatial.within
        if spec.kind is Kind.RANKED:
            ranks = spec.ranks
            bad = [v for v in self.right if v not in ranks]
            if bad and constraint.operator in ("lt", "lteq", "gt", "gteq"):
                raise PolicyError(f"{label}: {bad[0]!r} is not one of {', '.join(ranks)}")
        self.predicate = make_predicate(
            constraint.operator, self.right_values, within,
            existential=spec.kind is Kind.EVENT,
        )

    def evaluate(self, ctx: EvalContext) -> ConstraintResult:
        """Read the actual value and test it."""
        if ctx.scope not in self.scopes:
            return ConstraintResult(self, MISSING, True, True)
        actual = self.spec.read(ctx, self.key)
        if actual is MISSING:
            actual = self.status
            if actual is MISSING:
                return ConstraintResult(self, actual, False)
        if self.kind is Kind.RANKED:
            return ConstraintResult(self, actual, self._ranked(actual))
        if self.kind is Kind.VERSION and not isinstance(actual, frozenset):
            return ConstraintResult(self, actual, self.predicate(parse_version(actual)))
        if self.kind is Kind.DATETIME and isinstance(self.right_values[0], date) and not (
            isinstance(self.right_values[0], datetime)
        ):
            return ConstraintResult(self, actual, self.predicate(actual.date()))
        return ConstraintResult(self, actual, self.predicate(actual))

    def _ranked(self, actual: Any) -> bool:
        ranks = self.spec.ranks
        if isinstance(actual, frozenset) or actual not in ranks:
            return self.operator in ("neq", "isNoneOf") and actual not in self.right
        if self.operator in ("lt", "lteq", "gt", "gteq"):
            pred = make_predicate(self.operator, (ranks.index(self.right[0]),))
            return pred(ranks.index(actual))
        return self.predicate(actual)


def _typed(value: Value, spec: LeftOperandSpec, where: str) -> Any:
    text = value.value
    kind = spec.kind
    if kind is Kind.DATETIME:
        return parse_date_or_datetime(text, where=where)
    if kind is Kind.DURATION:
        return parse_duration(text, where=where)
    if kind is Kind.COUNT:
        return parse_count(text, where=where)
    if kind is Kind.NUMBER:
        return parse_decimal(text, where=where)
    if kind is Kind.VERSION:
        return parse_version(text)
    if kind is Kind.SPATIAL:
        return spatial.normalize(text)
    return text


class CompiledLogical:
    """and / or / xone / andSequence over compiled constraints."""

    __slots__ = ("id", "members", "operator")

    def __init__(self, constraint: LogicalConstraint, key: str, where: str) -> None:
        self.id = constraint.id
        self.operator = constraint.operator
        self.members = tuple(compile_constraint(c, key, where) for c in constraint.constraints)

    def evaluate(self, ctx: EvalContext) -> ConstraintResult:
        """Evaluate every member (all are reported) and combine."""
        results = tuple(m.evaluate(ctx) for m in self.members)
        held = sum(1 for r in results if r.satisfied)
        op = self.operator
        if op in ("and", "andSequence"):
            ok = held == len(results)
        elif op == "or":
            ok = held > 0
        else:  # xone
            ok = held == 1
        return ConstraintResult(self, MISSING, ok, all(r.deferred for r in results), results)


Compiled = CompiledConstraint | CompiledLogical


def compile_constraint(constraint: ConstraintLike, key: str, where: str) -> Compiled:
    """Compile a constraint or logical constraint."""
    if isinstance(constraint, LogicalConstraint):
        return CompiledLogical(constraint, key, where)
    return CompiledConstraint(constraint, key, where)


# ---------------------------------------------------------------------------------- rules


class DutyResult:
    """A duty's status, its constraints and (when violated) its consequences' results."""

    __slots__ = ("consequences", "constraints", "duty", "status")

    def __init__(
        self,
        duty: CompiledDuty,
        status: DutyStatus,
        constraints: tuple[ConstraintResult, ...],
        consequences: tuple[DutyResult, ...],
    ) -> None:
        self.duty = duty
        self.status = status
        self.constraints = constraints
        self.consequences = consequences


class CompiledDuty:
    """A duty (or obligation, consequence, remedy) ready for evaluation."""

    __slots__ = ("action", "before_use", "consequences", "constraints", "id", "kind", "rule")

    def __init__(self, rule: Rule, policy_uid: str, where: str) -> None:
        self.rule = rule
        self.id = rule.id
        self.kind = rule.kind
        self.action = rule.action.iri if rule.action else None
        key = counter_key(policy_uid, self.action)
        label = f"{where}, duty {rule.id}"
        timing = [c for c in rule.constraints if _is_timing(c)]
        self.before_use = any(
            isinstance(c, Constraint) and c.operator in ("lt", "lteq") for c in timing
        )
        self.constraints = tuple(
            compile_constraint(c, key, label) for c in rule.constraints if c not in timing
        )
        self.consequences = tuple(CompiledDuty(c, policy_uid, label) for c in rule.consequences)

    def evaluate(self, ctx: EvalContext) -> DutyResult:
        """Inactive, fulfilled, violated or pending, from the state of the world."""
        results = tuple(c.evaluate(ctx) for c in self.constraints)
        if not all(r.satisfied for r in results):
            return DutyResult(self, DutyStatus.INACTIVE, results, ())
        state = ctx.sotw.duties.get(self.id) if self.id else None
        if state is DutyState.FULFILLED:
            return DutyResult(self, DutyStatus.FULFILLED, results, ())
        if state is DutyState.VIOLATED:
            consequences = tuple(c.evaluate(ctx) for c in self.consequences)
            return DutyResult(self, DutyStatus.VIOLATED, results, consequences)
        return DutyResult(self, DutyStatus.PENDING, results, ())

    @property
    def blocks_when_pending(self) -> bool:
        """True for duties that must be fulfilled before the action may be exercised."""
        return self.before_use


def _is_timing(constraint: ConstraintLike) -> bool:
    return (
        isinstance(constraint, Constraint)
        and constraint.left_operand == ODRL + "event"
        and any(v.value == ODRL + "policyUsage" or v.value == "policyUsage"
                for v in constraint.right_operand)
    )


class RuleResult:
    """One rule's evaluation: premises (None when the rule does not state one),
    constraint results, duty results, and whether it is active."""

    __slots__ = ("action_matched", "action_ok", "active", "constraints", "duties", "party_ok",
                 "refinements", "rule", "target_ok")

    def __init__(
        self,
        rule: CompiledRule,
        target_ok: bool | None,
        party_ok: bool | None,
        action_ok: bool | None,
        refinements: tuple[ConstraintResult, ...],
        constraints: tuple[ConstraintResult, ...],
        duties: tuple[DutyResult, ...],
        active: bool,
        action_matched: bool = True,
    ) -> None:
        self.rule = rule
        self.action_matched = action_matched
        self.target_ok = target_ok
        self.party_ok = party_ok
        self.action_ok = action_ok
        self.refinements = refinements
        self.constraints = constraints
        self.duties = duties
        self.active = active

    @property
    def addressed(self) -> bool:
        """True when target, party and action (by the action hierarchy, before any
        refinement) match: the rule speaks about this request."""
        return self.target_ok is not False and self.party_ok is not False and (
            self.action_matched
        )

    def all_constraints(self) -> Iterator[ConstraintResult]:
        """Every constraint result of the rule, refinements included, nested ones too."""
        for result in self.refinements + self.constraints:
            yield from result.walk()


class CompiledRule:
    """A permission, prohibition or obligation ready for evaluation."""

    __slots__ = ("action", "action_refinement", "assignee", "constraints", "duties", "id",
                 "key", "kind", "party_refinement", "remedies", "rule", "target",
                 "target_refinement")

    def __init__(self, rule: Rule, policy_uid: str, where: str) -> None:
        self.rule = rule
        self.id = rule.id
        self.kind = rule.kind
        action: Action | None = rule.action
        self.action = action.iri if action else None
        self.key = counter_key(policy_uid, self.action)
        self.target = rule.target
        self.assignee: Party | None = rule.assignee
        self.action_refinement = tuple(
            compile_constraint(c, self.key, where) for c in (action.refinement if action else ())
        )
        self.target_refinement = tuple(
            compile_constraint(c, self.key, where)
            for c in (rule.target.refinement if rule.target else ())
        )
        self.party_refinement = tuple(
            compile_constraint(c, self.key, where)
            for c in (rule.assignee.refinement if rule.assignee else ())
        )
        self.constraints = tuple(compile_constraint(c, self.key, where) for c in rule.constraints)
        self.duties = tuple(CompiledDuty(d, policy_uid, where) for d in rule.duties)
        self.remedies = tuple(CompiledDuty(d, policy_uid, where) for d in rule.remedies)

    def evaluate(self, ctx: EvalContext) -> RuleResult:
        """Evaluate premises, constraints and duties."""
        request = ctx.request
        refinements: tuple[ConstraintResult, ...] = ()
        target_ok = None
        if self.target is not None:
            target_ok = self._target_matches(ctx)
        party_ok = None
        if self.assignee is not None:
            party_ok, party_refined = self._party_matches(ctx)
            refinements += party_refined
        action_ok = None
        matched = True
        if self.action is not None:
            action_ok = matched = included_in(request.action, self.action)
            if self.action_refinement:
                refined = tuple(c.evaluate(ctx) for c in self.action_refinement)
                refinements += refined
                action_ok = action_ok and all(r.satisfied for r in refined)
        constraints = tuple(c.evaluate(ctx) for c in self.constraints)
        active = (
            target_ok is not False and party_ok is not False and action_ok is not False
            and all(r.satisfied for r in constraints)
        )
        duties: tuple[DutyResult, ...] = ()
        if self.duties:
            duties = tuple(d.evaluate(ctx) for d in self.duties)
            if ctx.scope in (Scope.USAGE, Scope.MONITOR):
                for duty in duties:
                    if duty.status is DutyStatus.VIOLATED or (
                        duty.status is DutyStatus.PENDING and duty.duty.before_use
                    ):
                        active = False
        elif self.remedies:
            state = ctx.sotw.duties.get(self.id) if self.id else None
            if state is DutyState.VIOLATED:
                duties = tuple(d.evaluate(ctx) for d in self.remedies)
        return RuleResult(self, target_ok, party_ok, action_ok, refinements, constraints,
                          duties, active, matched)

    def _target_matches(self, ctx: EvalContext) -> bool:
        target = self.target
        requested = ctx.request.target
        if target is None:
            return True
        if requested is None:
            return False
        if requested == target.id:
            return True
        if target.is_collection:
            if target.id in ctx.sotw.part_of.get(requested, ()):
                return True
            if self.target_refinement:
                return all(c.evaluate(ctx).satisfied for c in self.target_refinement)
        return False

    def _party_matches(self, ctx: EvalContext) -> tuple[bool, tuple[ConstraintResult, ...]]:
        assignee = self.assignee
        requester = ctx.request.requester
        if assignee is None:
            return True, ()
        if requester is None:
            return False, ()
        if requester.id == assignee.id:
            return True, ()
        if not assignee.is_collection:
            return False, ()
        if assignee.id in requester.part_of or assignee.id in ctx.sotw.part_of.get(
            requester.id, ()
        ):
            return True, ()
        if self.party_refinement:
            refined = tuple(c.evaluate(ctx) for c in self.party_refinement)
            return all(r.satisfied for r in refined), refined
        return False, ()


# --------------------------------------------------------------------------------- policy


@dataclass(frozen=True, slots=True)
class CounterDemand:
    """A usage counter a permit must consume: at most `limit` uses in total (None: just
    count), `amount` now. Pass to `UsageCounters.try_consume_many`."""

    key: str
    limit: int | None
    amount: int


class CompiledPolicy:
    """A policy compiled for fast, repeated evaluation. Build with `compile_policy`."""

    __slots__ = ("obligations", "permissions", "policy", "prohibitions", "uid")

    def __init__(self, policy: Policy) -> None:
        if policy.inherit_from:
            raise PolicyError(
                f"policy {policy.uid} inherits from {', '.join(policy.inherit_from)}; merge "
                "the parents with policies.resolve_inheritance before compiling"
            )
        self.policy = policy
        self.uid = policy.uid
        self.permissions = tuple(
            CompiledRule(r, policy.uid, _where(policy, r, i))
            for i, r in enumerate(policy.permissions, 1)
        )
        self.prohibitions = tuple(
            CompiledRule(r, policy.uid, _where(policy, r, i))
            for i, r in enumerate(policy.prohibitions, 1)
        )
        self.obligations = tuple(
            CompiledDuty(r, policy.uid, _where(policy, r, i))
            for i, r in enumerate(policy.obligations, 1)
        )


def _where(policy: Policy, rule: Rule, index: int) -> str:
    name = rule.id if rule.id and not rule.id.startswith("_:") else f"#{index}"
    return f"{rule.kind.value} {name} of policy {policy.uid}"


def compile_policy(policy: Policy) -> CompiledPolicy:
    """Type every right operand and compile every operator; raises `PolicyError`."""
    return CompiledPolicy(policy)


class EvaluationReport:
    """The decision and everything that led to it.

    `rules` holds one `RuleResult` per permission and prohibition, `obligations` one
    `DutyResult` per obligation. `explain()` renders English; `to_dict()` JSON;
    `policies.compliance.report_turtle(report)` the ODRL test suite's compliance report.
    """

    __slots__ = ("conflict", "decision", "obligations", "policy", "request", "rules", "scope",
                 "sotw")

    def __init__(
        self,
        policy: CompiledPolicy,
        request: Request,
        sotw: StateOfTheWorld,
        scope: Scope,
        decision: Decision,
        rules: tuple[RuleResult, ...],
        obligations: tuple[DutyResult, ...],
        conflict: bool,
    ) -> None:
        self.policy = policy
        self.request = request
        self.sotw = sotw
        self.scope = scope
        self.decision = decision
        self.rules = rules
        self.obligations = obligations
        self.conflict = conflict

    @property
    def permitted(self) -> bool:
        """True for a permit."""
        return self.decision is Decision.PERMIT

    def explain(self) -> str:
        """Plain English: `denied: print count 3 of 3 used; purpose ...`."""
        from policies.explain import explain

        return explain(self)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready report."""
        from policies.explain import report_dict

        return report_dict(self)

    def counters(self) -> list[CounterDemand]:
        """Usage counters a permit consumes (tightest limit per key); empty otherwise.

        Among several active permissions the one with most budget left is used; one
        without any count constraint means nothing is limited. Count constraints of
        other rules about this request are counted too (limit None), so a prohibition
        "after 3 uses" sees every use.
        """
        if self.decision is not Decision.PERMIT:
            return []
        amount = self.request.amount
        chosen: dict[str, int] | None = None
        best_room = -1
        active = sorted(
            (r for r in self.rules if r.active and r.rule.kind is RuleKind.PERMISSION),
            key=lambda r: r.rule.id or "",
        )
        for result in active:
            limits = _count_limits(result)
            if not limits:
                chosen, best_room = {}, 1 << 62
                break
            room = min(limit - self.sotw.counts.get(key, 0) for key, limit in limits.items())
            if room > best_room:
                chosen, best_room = limits, room
        demands = {k: CounterDemand(k, v, amount) for k, v in (chosen or {}).items()}
        for result in self.rules:
            if result.addressed:
                for c in result.all_constraints():
                    node = c.constraint
                    if isinstance(node, CompiledConstraint) and node.kind is Kind.COUNT:
                        demands.setdefault(node.key, CounterDemand(node.key, None, amount))
        return sorted(demands.values(), key=lambda d: d.key)


def count_limit(operator: str, right: int) -> int | None:
    """Most uses in total a count constraint allows (None when it sets no upper bound)."""
    if operator == "lteq" or operator == "eq":
        return right
    if operator == "lt":
        return right - 1
    return None


def _count_limits(result: RuleResult) -> dict[str, int]:
    limits: dict[str, int] = {}
    for c in result.constraints + result.refinements:
        node = c.constraint
        # only top-level and and-ed count constraints bound every use
        stack = [node]
        while stack:
            item = stack.pop()
            if isinstance(item, CompiledLogical):
                if item.operator in ("and", "andSequence"):
                    stack.extend(item.members)
                continue
            if item.kind is Kind.COUNT and len(item.right_values) == 1:
                limit = count_limit(item.operator, item.right_values[0])
                if limit is not None:
                    limits[item.key] = min(limit, limits.get(item.key, limit))
    return limits


def evaluate(
    policy: Policy | CompiledPolicy,
    request: Request,
    sotw: StateOfTheWorld,
    scope: Scope = Scope.USAGE,
) -> EvaluationReport:
    """Decide `request` under `policy` given `sotw`; never reads a clock or a database."""
    compiled = policy if isinstance(policy, CompiledPolicy) else compile_policy(policy)
    source = compiled.policy
    ctx = EvalContext(request, sotw, scope, source.agreed_at)
    rules = tuple(r.evaluate(ctx) for r in compiled.permissions) + tuple(
        r.evaluate(ctx) for r in compiled.prohibitions
    )
    obligations = tuple(o.evaluate(ctx) for o in compiled.obligations)
    if source.replaced_by is not None:
        return EvaluationReport(compiled, request, sotw, scope, Decision.NOT_APPLICABLE,
                                rules, obligations, False)
    permit = any(r.active for r in rules if r.rule.kind is RuleKind.PERMISSION)
    prohibit = any(r.active for r in rules if r.rule.kind is RuleKind.PROHIBITION)
    conflict = permit and prohibit
    if conflict:
        decision = Decision.PERMIT if source.conflict is Conflict.PERM else Decision.DENY
    elif prohibit:
        decision = Decision.DENY
    elif permit:
        decision = Decision.PERMIT
    elif any(r.addressed for r in rules):
        decision = Decision.DENY
    else:
        decision = Decision.NOT_APPLICABLE
    return EvaluationReport(compiled, request, sotw, scope, decision, rules, obligations,
                            conflict)


__all__ = [
    "CompiledPolicy", "ConstraintResult", "CounterDemand", "Decision", "DutyResult",
    "DutyStatus", "EvaluationReport", "RuleResult", "compile_policy", "count_limit",
    "counter_key", "evaluate",
]
