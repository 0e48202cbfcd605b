"""Parsing: compact JSON-LD (W3C ODRL and DSP profile contexts), expanded JSON-LD and
Turtle give the same policy; malformed policies name the offending rule."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hinterland.errors import LimitExceeded, PolicyError
from policies import Conflict, Decision, Request, Requester, Scope, StateOfTheWorld, evaluate
from policies.evaluator import compile_policy
from policies.model import Constraint, LogicalConstraint
from policies.parse import parse_policies, parse_policy
from policies.terms import ODRL

VECTORS = Path(__file__).parents[2] / "vectors"
W3C = "http://www.w3.org/ns/odrl.jsonld"
NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)

COMPACT: dict[str, Any] = {
    "@context": W3C,
    "uid": "urn:policy:1",
    "type": "Offer",
    "assigner": "did:web:provider",
    "conflict": "prohibit",
    "permission": [{
        "uid": "urn:policy:1#p1",
        "target": "urn:asset:a",
        "action": "print",
        "constraint": [
            {"uid": "urn:policy:1#c1", "leftOperand": "count", "operator": "lteq",
             "rightOperand": {"@value": "3", "@type": "xsd:integer"}},
            {"uid": "urn:policy:1#c2", "or": [
                {"uid": "urn:policy:1#c3", "leftOperand": "purpose", "operator": "eq",
                 "rightOperand": "prototyping"},
                {"uid": "urn:policy:1#c4", "leftOperand": "spatial", "operator": "isPartOf",
                 "rightOperand": {"@id": "urn:iso3166:DE"}},
            ]},
        ],
        "duty": [{"uid": "urn:policy:1#d1", "action": "inform"}],
    }],
    "prohibition": [{"uid": "urn:policy:1#x1", "target": "urn:asset:a", "action": "sell"}],
}

TURTLE = """
@prefix odrl: <http://www.w3.org/ns/odrl/2/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<urn:policy:1> a odrl:Offer ; odrl:uid <urn:policy:1> ; odrl:assigner <did:web:provider> ;
    odrl:conflict odrl:prohibit ;
    odrl:permission <urn:policy:1#p1> ; odrl:prohibition <urn:policy:1#x1> .
<urn:policy:1#p1> odrl:target <urn:asset:a> ; odrl:action odrl:print ;
    odrl:constraint <urn:policy:1#c1>, <urn:policy:1#c2> ; odrl:duty <urn:policy:1#d1> .
<urn:policy:1#c1> odrl:leftOperand odrl:count ; odrl:operator odrl:lteq ;
    odrl:rightOperand "3"^^xsd:integer .
<urn:policy:1#c2> odrl:or <urn:policy:1#c3>, <urn:policy:1#c4> .
<urn:policy:1#c3> odrl:leftOperand odrl:purpose ; odrl:operator odrl:eq ;
    odrl:rightOperand "prototyping" .
<urn:policy:1#c4> odrl:leftOperand odrl:spatial ; odrl:operator odrl:isPartOf ;
    odrl:rightOperand <urn:iso3166:DE> .
<urn:policy:1#d1> odrl:action odrl:inform .
<urn:policy:1#x1> odrl:target <urn:asset:a> ; odrl:action odrl:sell .
"""


def _expanded(doc: dict[str, Any]) -> list[Any]:
    from pyld import jsonld

    from policies.odrl_context import policy_loader

    result: list[Any] = jsonld.expand(doc, {"documentLoader": policy_loader()})
    return result


def _canon(value: Any) -> Any:
    """Order-free form: RDF (Turtle) has no order among a node's objects."""
    if isinstance(value, tuple):
        return tuple(sorted((_canon(v) for v in value), key=repr))
    if hasattr(value, "__dataclass_fields__"):
        fields = value.__dataclass_fields__
        return (type(value).__name__, *(_canon(getattr(value, f)) for f in fields))
    return value


def test_compact_expanded_and_turtle_give_the_same_policy() -> None:
    compact = parse_policy(COMPACT)
    assert parse_policy(json.dumps(COMPACT)) == compact
    assert parse_policy(_expanded(COMPACT)) == compact
    assert _canon(parse_policy(TURTLE)) == _canon(compact)
    assert compact.type == "Offer" and compact.conflict is Conflict.PROHIBIT
    (permission,) = compact.permissions
    assert permission.action is not None and permission.action.iri == ODRL + "print"
    count, either = permission.constraints
    assert isinstance(count, Constraint) and count.right_operand[0].value == "3"
    assert isinstance(either, LogicalConstraint) and either.operator == "or"
    assert [d.action.iri for d in permission.duties if d.action] == [ODRL + "inform"]


def test_dsp_profile_context_inside_a_dsp_message() -> None:
    message = json.loads(
        (VECTORS / "dsp-2025-1/negotiation/example/contract-agreement-message-full.json")
        .read_text()
    )
    policy = parse_policy(message)
    assert policy.uid == "urn:uuid:e8dc8655-44c2-46ef-b701-4cffdc2faa44"
    assert policy.type == "Agreement"
    assert policy.agreed_at == datetime(2023, 1, 1, 1, 0, tzinfo=UTC)
    assert len(policy.permissions) == 7
    first = policy.permissions[0].constraints[0]
    # the profile context maps operators but not left operands: bare names are ODRL terms
    assert isinstance(first, Constraint) and first.left_operand == ODRL + "dateTime"
    assert {type(p.constraints[0]).__name__ for p in policy.permissions} == {
        "Constraint", "LogicalConstraint"
    }
    compiled = compile_policy(policy)
    req = Request("use", Requester("http://example.com/Consumer", claims={"partner": "gold"}),
                  target="urn:uuid:3dd1add4-4d2d-569e-d634-8394a8836d23")
    before = evaluate(compiled, req, StateOfTheWorld(now=datetime(2023, 6, 1, tzinfo=UTC)))
    assert before.decision is Decision.PERMIT
    active = [r.active for r in before.rules]
    # dateTime ok; and(gold, silver) no; or yes; gold yes; andSequence no; xone yes;
    # or(and(constraint1, constraint2), silver) no
    assert active == [True, False, True, True, False, True, False]
    later = evaluate(compiled, Request("use", Requester("http://example.com/Consumer"),
                                       target="urn:uuid:3dd1add4-4d2d-569e-d634-8394a8836d23"),
                     StateOfTheWorld(now=datetime(2024, 6, 1, tzinfo=UTC)))
    assert later.decision is Decision.DENY


def test_dsp_catalog_offer_takes_its_dataset_as_target() -> None:
    dataset = json.loads((VECTORS / "dsp-2025-1/catalog/example/dataset.json").read_text())
    offer = parse_policy(dataset)
    assert offer.type == "Offer" and offer.assigner is None
    (permission,) = offer.permissions
    assert permission.target is not None
    assert permission.target.id == "urn:uuid:3afeadd8-ed2d-569e-d634-8394a8836d57"
    request = Request("use", Requester("did:web:x"), target=permission.target.id,
                      params={"spatial": "EU"})
    at_access = evaluate(offer, request, StateOfTheWorld(now=NOW), Scope.ACCESS)
    assert at_access.permitted  # location is for the contract and usage scopes
    assert evaluate(offer, request, StateOfTheWorld(now=NOW)).permitted
    elsewhere = Request("use", Requester("did:web:x"), target=permission.target.id,
                        params={"spatial": "US"})
    assert evaluate(offer, elsewhere, StateOfTheWorld(now=NOW)).explain() == (
        "denied: location 'US' is not 'EU'"
    )


def test_dsp_offer_in_a_contract_request() -> None:
    message = json.loads(
        (VECTORS / "dsp-2025-1/negotiation/example/contract-request-message.json").read_text()
    )
    with pytest.raises(PolicyError, match="an Offer needs an assigner"):
        parse_policy(message)


def _with_permission(permission: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"@context": W3C, "uid": "urn:p", "type": "Set", **top, "permission": [permission]}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (_with_permission({"uid": "urn:p#r1", "action": "use", "constraint": [
            {"leftOperand": "count", "rightOperand": 3}]}),
         "permission urn:p#r1 of policy urn:p: constraint _:b0 has no operator"),
        (_with_permission({"action": "use", "constraint": [
            {"leftOperand": "count", "operator": "odrl:about", "rightOperand": 3}]}),
         "permission #1 of policy urn:p: constraint _:b1 has unknown operator"),
        (_with_permission({"action": "use", "constraint": [
            {"leftOperand": "purpose", "operator": "eq"}]}),
         "has no rightOperand"),
        (_with_permission({"action": "use", "constraint": [{"operator": "eq",
                                                            "rightOperand": "x"}]}),
         "has no leftOperand"),
        (_with_permission({"uid": "urn:p#r2", "action": "use", "duty": [{"uid": "urn:p#d",
                                                                     "target": "urn:a"}]}),
         "duty urn:p#d of policy urn:p: a duty needs an action"),
        (_with_permission({"action": "use"}, conflict="maybe"),
         "policy urn:p: conflict 'http://www.w3.org/ns/odrl/2/maybe' is not one of perm"),
        (_with_permission({"action": "use", "constraint": [
            {"and": [{"leftOperand": "purpose", "operator": "eq", "rightOperand": "a"}],
             "or": [{"leftOperand": "purpose", "operator": "eq", "rightOperand": "b"}]}]}),
         "mixes and and or"),
        ({"@context": W3C, "uid": "urn:p", "type": "Agreement", "assigner": "did:a",
          "permission": [{"action": "use"}]}, "an Agreement needs an assignee"),
        ({"@context": W3C, "uid": "urn:p", "type": "Set"}, "has no permission, prohibition"),
        ({"@context": W3C, "uid": "urn:p", "type": "Set", "permission": "urn:not-described"},
         "permission urn:not-described of policy urn:p: is not described in the document"),
        ({"@context": "https://evil.example/context.jsonld", "uid": "urn:p"},
         "not bundled and not allow-listed"),
        ({"@context": W3C, "uid": "urn:x", "type": "Request",
          "permission": [{"action": "use"}]}, "contains no ODRL policy"),
    ],
)
def test_malformed_policies_name_the_problem(document: Any, message: str) -> None:
    with pytest.raises(PolicyError, match=None) as caught:
        compile_policy(parse_policy(document))
    assert message in str(caught.value)


def test_bad_right_operand_types_fail_at_compile_naming_the_rule() -> None:
    doc = _with_permission({"uid": "urn:p#print", "action": "print", "constraint": [
        {"uid": "urn:p#c", "leftOperand": "count", "operator": "lteq", "rightOperand": "many"}]})
    with pytest.raises(PolicyError) as caught:
        compile_policy(parse_policy(doc))
    assert str(caught.value) == (
        "permission urn:p#print of policy urn:p: constraint urn:p#c (count): "
        "'many' is not a number"
    )
    doc = _with_permission({"action": "use", "constraint": [
        {"leftOperand": "count", "operator": "lt", "rightOperand": [1, 2]}]})
    with pytest.raises(PolicyError, match="operator lt needs exactly one right operand, not 2"):
        compile_policy(parse_policy(doc))
    doc = _with_permission({"action": "use", "constraint": [
        {"leftOperand": "dateTime", "operator": "lt", "rightOperand": "next tuesday"}]})
    with pytest.raises(PolicyError, match="'next tuesday' is not an ISO 8601 date-time"):
        compile_policy(parse_policy(doc))


def test_cycles_are_errors_not_endless_recursion() -> None:
    duty_cycle = """
    @prefix odrl: <http://www.w3.org/ns/odrl/2/> .
    <urn:p> a odrl:Set ; odrl:permission <urn:r> .
    <urn:r> odrl:action odrl:use ; odrl:duty <urn:d> .
    <urn:d> odrl:action odrl:pay ; odrl:consequence <urn:d> .
    """
    with pytest.raises(PolicyError, match="duty urn:d of policy urn:p: is its own duty"):
        parse_policy(duty_cycle)
    constraint_cycle = """
    @prefix odrl: <http://www.w3.org/ns/odrl/2/> .
    <urn:p> a odrl:Set ; odrl:permission <urn:r> .
    <urn:r> odrl:action odrl:use ; odrl:constraint <urn:c> .
    <urn:c> odrl:and <urn:c> .
    """
    with pytest.raises(PolicyError, match="constraints nested deeper than 32"):
        parse_policy(constraint_cycle)
    # each level lists the next twice: 2^30 constraints if expanded naively
    levels = "\n".join(f"<urn:c{i}> odrl:andSequence ( <urn:c{i + 1}> <urn:c{i + 1}> ) ."
                        for i in range(30))
    doubling = f"""
    @prefix odrl: <http://www.w3.org/ns/odrl/2/> .
    <urn:p> a odrl:Set ; odrl:permission <urn:r> .
    <urn:r> odrl:action odrl:use ; odrl:constraint <urn:c0> .
    {levels}
    <urn:c30> odrl:leftOperand odrl:purpose ; odrl:operator odrl:eq ; odrl:rightOperand "x" .
    """
    with pytest.raises(LimitExceeded, match="more than 10000 constraints"):
        parse_policy(doubling)


def test_syntax_errors_and_limits() -> None:
    with pytest.raises(PolicyError, match="not valid JSON"):
        parse_policy('{"@context": ')
    with pytest.raises(PolicyError, match="not valid Turtle"):
        parse_policy("<urn:a> <urn:b> .")
    with pytest.raises(LimitExceeded):
        parse_policy("#" * 2_000_001)
    two = TURTLE + TURTLE.replace("urn:policy:1", "urn:policy:2")
    with pytest.raises(PolicyError, match="contains 2 policies"):
        parse_policy(two)
    assert [p.uid for p in parse_policies(two)] == ["urn:policy:1", "urn:policy:2"]


def test_terms_json_ld_would_drop_silently_are_errors() -> None:
    # a misspelt "constraint" must not leave an unconstrained permission behind
    doc = _with_permission({"action": "print", "constrant": [
        {"leftOperand": "count", "operator": "lteq", "rightOperand": 3}]})
    with pytest.raises(PolicyError) as caught:
        parse_policy(doc)
    assert str(caught.value) == (
        "term 'constrant' is not defined by the document's @context, so JSON-LD would drop "
        "it silently; define it or use a full IRI"
    )
    own_vocab = _with_permission({"action": "use"})
    own_vocab["@context"] = [W3C, {"@vocab": "https://example.org/terms#"}]
    own_vocab["note"] = "kept under the document's own vocabulary"
    assert parse_policy(own_vocab).uid == "urn:p"
    with pytest.raises(PolicyError, match="term 'dateTime' is not defined"):
        parse_policy([{"@id": "urn:p", "@type": ["http://www.w3.org/ns/odrl/2/Set"],
                       "dateTime": "2026"}])


def test_dsp_profile_context_with_odrl_terms_it_does_not_define() -> None:
    # the connector stores agreements in compact DSP form read with the profile context,
    # which lacks refinement, consequence, timestamp...: they must not be dropped
    agreement = {
        "@context": "https://w3id.org/dspace/2025/1/odrl-profile.jsonld",
        "@id": "urn:agreement:1", "@type": "Agreement", "target": "urn:a",
        "assigner": "did:web:provider", "assignee": "did:web:partner",
        "timestamp": "2026-11-01T00:00:00Z",
        "permission": [{
            "action": {"rdf:value": {"@id": "odrl:distribute"}, "refinement": [
                {"leftOperand": "hl:encryption", "operator": "eq", "rightOperand": "AES"}]},
            "duty": [{"@id": "urn:agreement:1#pay", "action": "compensate",
                      "consequence": [{"action": "inform"}]}],
        }],
    }
    parsed = parse_policy(agreement)
    assert parsed.agreed_at == datetime(2026, 11, 1, tzinfo=UTC)
    (permission,) = parsed.permissions
    assert permission.action is not None and len(permission.action.refinement) == 1
    assert len(permission.duties[0].consequences) == 1
    agreement["permission"][0]["constrain"] = [
        {"leftOperand": "count", "operator": "lteq", "rightOperand": 1}]
    with pytest.raises(PolicyError, match="term 'constrain' is not defined"):
        parse_policy(agreement)


def test_compact_rule_with_two_actions_becomes_two_rules() -> None:
    policy = parse_policy(_with_permission({"action": ["print", "display"],
                                            "target": "urn:a"}))
    assert [r.action.iri for r in policy.permissions if r.action] == [
        ODRL + "print", ODRL + "display"
    ]
