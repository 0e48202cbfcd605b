"""Write a `Policy` as compact JSON-LD (W3C ODRL context), which `parse_policy` reads back."""

from __future__ import annotations

from typing import Any

from policies.model import (
    Action,
    Asset,
    ConstraintLike,
    LogicalConstraint,
    Party,
    Policy,
    Rule,
    Value,
)
from policies.terms import DCT, DSPACE, HL, ODRL, XSD
from policies.values import format_datetime

CONTEXT: list[Any] = [
    "http://www.w3.org/ns/odrl.jsonld",
    {"hl": HL, "dspace": DSPACE, "dct": DCT, "xsd": XSD},
]


def _term(iri: str) -> str:
    if iri.startswith(ODRL):
        return iri[len(ODRL):]
    if iri.startswith(HL):
        return "hl:" + iri[len(HL):]
    return iri


def _id(node: str | None, out: dict[str, Any]) -> dict[str, Any]:
    if node and not node.startswith("_:"):
        return {"@id": node, **out}
    return out


def _value(value: Value) -> Any:
    if value.is_iri:
        return {"@id": value.value}
    if value.datatype in (XSD + "integer", XSD + "int", XSD + "nonNegativeInteger"):
        return int(value.value)
    if value.datatype:
        return {"@value": value.value, "@type": value.datatype}
    return value.value


def constraint_jsonld(constraint: ConstraintLike) -> dict[str, Any]:
    """One constraint or logical constraint."""
    if isinstance(constraint, LogicalConstraint):
        members = [constraint_jsonld(c) for c in constraint.constraints]
        body: Any = {"@list": members} if constraint.operator == "andSequence" else members
        return _id(constraint.id, {constraint.operator: body})
    out: dict[str, Any] = {
        "leftOperand": _term(constraint.left_operand),
        "operator": constraint.operator,
    }
    if constraint.right_operand:
        values = [_value(v) for v in constraint.right_operand]
        out["rightOperand"] = values[0] if len(values) == 1 else values
    if constraint.right_operand_reference:
        out["rightOperandReference"] = constraint.right_operand_reference
    if constraint.data_type:
        out["dataType"] = constraint.data_type
    if constraint.unit:
        out["unit"] = constraint.unit
    return _id(constraint.id, out)


def _action(action: Action) -> Any:
    if not action.refinement:
        return _term(action.iri)
    return {
        "rdf:value": {"@id": action.iri},
        "refinement": [constraint_jsonld(c) for c in action.refinement],
    }


def _party(party: Party) -> Any:
    if not party.is_collection:
        return party.id
    out: dict[str, Any] = {"@id": party.id, "@type": "PartyCollection"}
    if party.refinement:
        out["refinement"] = [constraint_jsonld(c) for c in party.refinement]
    return out


def _asset(asset: Asset) -> Any:
    if not asset.is_collection:
        return asset.id
    out: dict[str, Any] = {"@id": asset.id, "@type": "AssetCollection"}
    if asset.refinement:
        out["refinement"] = [constraint_jsonld(c) for c in asset.refinement]
    return out


def rule_jsonld(rule: Rule) -> dict[str, Any]:
    """One rule with its constraints, duties, consequences and remedies."""
    out: dict[str, Any] = {}
    if rule.action:
        out["action"] = _action(rule.action)
    if rule.target:
        out["target"] = _asset(rule.target)
    if rule.assigner:
        out["assigner"] = _party(rule.assigner)
    if rule.assignee:
        out["assignee"] = _party(rule.assignee)
    if rule.constraints:
        out["constraint"] = [constraint_jsonld(c) for c in rule.constraints]
    for key, rules in (("duty", rule.duties), ("consequence", rule.consequences),
                       ("remedy", rule.remedies)):
        if rules:
            out[key] = [rule_jsonld(r) for r in rules]
    return _id(rule.id, out)


def to_jsonld(policy: Policy) -> dict[str, Any]:
    """The policy as a compact JSON-LD document."""
    out: dict[str, Any] = {"@context": CONTEXT, "uid": policy.uid, "type": policy.type}
    if policy.profile:
        out["profile"] = list(policy.profile)
    if policy.conflict.value != "invalid":
        out["conflict"] = policy.conflict.value
    if policy.inherit_from:
        out["inheritFrom"] = list(policy.inherit_from)
    if policy.replaced_by:
        out["dct:isReplacedBy"] = {"@id": policy.replaced_by}
    if policy.agreed_at:
        out["dspace:timestamp"] = {"@value": format_datetime(policy.agreed_at),
                                   "@type": XSD + "dateTime"}
    if policy.assigner:
        out["assigner"] = _party(policy.assigner)
    if policy.assignee:
        out["assignee"] = _party(policy.assignee)
    for key, rules in (("permission", policy.permissions), ("prohibition", policy.prohibitions),
                       ("obligation", policy.obligations)):
        if rules:
            out[key] = [rule_jsonld(r) for r in rules]
    return out
