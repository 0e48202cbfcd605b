"""Render an `EvaluationReport` as plain English and as JSON.

English is for auditors and partner firms: `denied: print count 3 of 3 used; purpose
'marketing' is not one of 'prototyping'`. Each clause comes from one premise, constraint
or duty, in policy order, without repeats.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from policies.operands import MISSING, Kind
from policies.operators import PHRASES, TIME_PHRASES
from policies.terms import short
from policies.values import format_datetime, format_duration

if TYPE_CHECKING:
    from policies.evaluator import (
        ConstraintResult,
        DutyResult,
        EvaluationReport,
        RuleResult,
    )


def _show(value: Any) -> str:
    if isinstance(value, datetime | date):
        return format_datetime(value)
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, tuple) and value and all(isinstance(v, int) for v in value):
        return ".".join(str(v) for v in value)
    return str(value)


def _quote(values: Any) -> str:
    if isinstance(values, frozenset):
        values = sorted(values, key=str)
    if isinstance(values, list | tuple):
        return ", ".join(f"'{short(_show(v))}'" for v in values)
    return f"'{short(_show(values))}'"


def constraint_text(
    result: ConstraintResult, action: str | None = None, amount: int = 1
) -> str:
    """One constraint in English, positive when satisfied, negative when not."""
    from policies.evaluator import CompiledConstraint, count_limit

    node = result.constraint
    if not isinstance(node, CompiledConstraint):
        inner = [constraint_text(c, action, amount) for c in result.children
                 if c.satisfied == result.satisfied or node.operator == "xone"]
        word = {"and": "and", "andSequence": "and then", "or": "or", "xone": "exactly one of"}
        joiner = f" {word.get(node.operator, node.operator)} "
        body = joiner.join(inner) if node.operator != "xone" else ", ".join(inner)
        if node.operator == "xone":
            return f"exactly one of ({body}) must hold" if not result.satisfied else body
        if not result.satisfied and node.operator == "or":
            return f"none of: {'; '.join(inner)}"
        return body
    if result.deferred:
        scopes = ", ".join(sorted(s.value for s in node.scopes))
        return f"{node.spec.label} checked later (in {scopes} scope)"
    label = node.spec.label
    right = node.right_values if len(node.right_values) != 1 else node.right_values[0]
    positive, negative = (TIME_PHRASES if node.kind in (Kind.DATETIME, Kind.DURATION)
                          and node.operator in TIME_PHRASES else PHRASES)[node.operator]
    phrase = positive if result.satisfied else negative
    if result.actual is MISSING or result.actual == frozenset():
        verb = "going on" if node.kind is Kind.EVENT else "given"
        return f"no {label} {verb} (needed: {PHRASES[node.operator][0]} {_quote(right)})"
    if node.kind is Kind.COUNT:
        name = short(action) if action else "use"
        limit = count_limit(node.operator, node.right_values[0])
        used = int(result.actual) - amount
        if limit is not None:
            return f"{name} count {used} of {limit} used"
        return f"{name} count {used} {phrase} {_show(node.right_values[0])}"
    if node.kind in (Kind.DATETIME, Kind.DURATION, Kind.NUMBER, Kind.VERSION) and not (
        isinstance(result.actual, frozenset)
    ):
        return f"{label} {_show(result.actual)} {phrase} {_show(right)}"
    return f"{label} {_quote(result.actual)} {phrase} {_quote(right)}"


def _premise_clauses(result: RuleResult, report: EvaluationReport) -> list[str]:
    rule = result.rule
    request = report.request
    out: list[str] = []
    if result.target_ok is False and rule.target is not None:
        what = "collection" if rule.target.is_collection else "target"
        out.append(f"target '{request.target}' is not {what} '{rule.target.id}'")
    if result.party_ok is False and rule.assignee is not None:
        who = request.requester.id if request.requester else "an anonymous party"
        what = "member of" if rule.assignee.is_collection else ""
        out.append(f"party '{who}' is not {what + ' ' if what else ''}'{rule.assignee.id}'")
    if result.action_ok is False and rule.action is not None and not _covered(
        request.action, rule.action
    ):
        out.append(f"action '{short(request.action)}' is not covered by "
                       f"'{short(rule.action)}'")
    for refined in result.refinements:
        if not refined.satisfied:
            out.append(constraint_text(refined, rule.action, request.amount))
    return out


def _covered(requested: str, granted: str) -> bool:
    from policies.actions import included_in

    return included_in(requested, granted)


def duty_text(duty: DutyResult) -> str:
    """A duty's state in English."""
    from policies.evaluator import DutyStatus

    action = short(duty.duty.action or "duty")
    when = "before use" if duty.duty.before_use else "after use"
    if duty.status is DutyStatus.VIOLATED:
        text = f"duty '{action}' was violated"
        due = [short(c.duty.action or "duty") for c in duty.consequences
               if c.status is not DutyStatus.FULFILLED]
        if due:
            text += "; consequence " + ", ".join(f"'{d}'" for d in due) + " now due"
        return text
    if duty.status is DutyStatus.PENDING:
        return f"duty '{action}' must be fulfilled {when}"
    if duty.status is DutyStatus.FULFILLED:
        return f"duty '{action}' fulfilled"
    unmet = [constraint_text(c) for c in duty.constraints if not c.satisfied]
    return f"duty '{action}' not yet due ({'; '.join(unmet)})"


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def explain(report: EvaluationReport) -> str:
    """The decision and its reasons in one line of English."""
    from policies.evaluator import Decision, DutyStatus
    from policies.model import Conflict, RuleKind

    source = report.policy.policy
    request = report.request
    if source.replaced_by is not None:
        return (f"not applicable: policy {source.uid} is replaced by {source.replaced_by} "
                "and no longer in effect")
    perms = [r for r in report.rules if r.rule.kind is RuleKind.PERMISSION]
    prohibs = [r for r in report.rules if r.rule.kind is RuleKind.PROHIBITION]
    if report.decision is Decision.PERMIT:
        granting = [r for r in perms if r.active]
        allowed = [f"{short(request.action)} allowed"]
        for result in granting[:1]:
            allowed += [constraint_text(c, result.rule.action, request.amount)
                        for c in result.refinements + result.constraints]
            allowed += [duty_text(d) for d in result.duties]
        if report.conflict:
            allowed.append("a prohibition also applies; the policy's conflict strategy "
                           "'perm' lets the permission win")
        return "permitted: " + "; ".join(_dedupe(allowed))
    if report.decision is Decision.NOT_APPLICABLE:
        target = f" on '{request.target}'" if request.target else ""
        why = [c for result in report.rules for c in _premise_clauses(result, report)]
        return (f"not applicable: no rule of policy {source.uid} covers "
                f"'{short(request.action)}'{target}" + "".join(f"; {c}" for c in _dedupe(why)))
    clauses: list[str] = []
    active_prohibs = [r for r in prohibs if r.active]
    if report.conflict and source.conflict is Conflict.INVALID:
        clauses.append("a permission and a prohibition both apply and the policy's conflict "
                       "strategy 'invalid' voids it")
    for result in active_prohibs:
        reason = [constraint_text(c, result.rule.action, request.amount)
                  for c in result.constraints]
        clauses.append(f"{short(result.rule.action or 'any action')} is prohibited"
                       + (f" ({'; '.join(reason)})" if reason else ""))
    if not active_prohibs:
        addressed = [r for r in perms if r.addressed]
        candidates = addressed or perms
        for result in candidates:
            if result in addressed:
                clauses += _premise_clauses(result, report)
                clauses += [constraint_text(c, result.rule.action, request.amount)
                            for c in result.constraints if not c.satisfied]
                clauses += [duty_text(d) for d in result.duties
                            if d.status is DutyStatus.VIOLATED
                            or (d.status is DutyStatus.PENDING and d.duty.before_use)]
            else:
                clauses += _premise_clauses(result, report)
        if not perms:
            clauses.append("the policy grants no permission")
    return "denied: " + "; ".join(_dedupe(clauses))


def _value_json(value: Any) -> Any:
    if value is MISSING:
        return None
    if isinstance(value, frozenset):
        return sorted(_show(v) for v in value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return _show(value)


def _constraint_json(
    result: ConstraintResult, action: str | None = None, amount: int = 1
) -> dict[str, Any]:
    from policies.evaluator import CompiledConstraint

    node = result.constraint
    out: dict[str, Any] = {"id": node.id, "satisfied": result.satisfied}
    if result.deferred:
        out["deferred"] = True
    if isinstance(node, CompiledConstraint):
        out.update(
            leftOperand=short(node.left_operand),
            operator=node.operator,
            rightOperand=[short(v) for v in node.right],
            actual=_value_json(result.actual),
            text=constraint_text(result, action, amount),
        )
    else:
        out.update(logicalOperator=node.operator,
                   constraints=[_constraint_json(c, action, amount) for c in result.children])
    return out


def _duty_json(duty: DutyResult) -> dict[str, Any]:
    return {
        "id": duty.duty.id,
        "action": short(duty.duty.action or ""),
        "status": duty.status.value,
        "when": "before use" if duty.duty.before_use else "after use",
        "constraints": [_constraint_json(c) for c in duty.constraints],
        "consequences": [_duty_json(c) for c in duty.consequences],
        "text": duty_text(duty),
    }


def report_dict(report: EvaluationReport) -> dict[str, Any]:
    """The report as JSON-ready data."""
    rules = []
    amount = report.request.amount
    for result in report.rules:
        rule = result.rule
        rules.append({
            "id": rule.id,
            "kind": rule.kind.value,
            "action": short(rule.action) if rule.action else None,
            "active": result.active,
            "premises": {"target": result.target_ok, "party": result.party_ok,
                         "action": result.action_ok},
            "refinements": [_constraint_json(c, rule.action, amount)
                            for c in result.refinements],
            "constraints": [_constraint_json(c, rule.action, amount)
                            for c in result.constraints],
            "duties": [_duty_json(d) for d in result.duties],
        })
    return {
        "decision": report.decision.value,
        "reason": explain(report),
        "policy": report.policy.uid,
        "scope": report.scope.value,
        "now": format_datetime(report.sotw.now),
        "request": {
            "action": short(report.request.action),
            "target": report.request.target,
            "party": report.request.requester.id if report.request.requester else None,
        },
        "rules": rules,
        "obligations": [_duty_json(d) for d in report.obligations],
        "counters": [
            {"key": d.key, "limit": d.limit, "amount": d.amount} for d in report.counters()
        ],
    }
