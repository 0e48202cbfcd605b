"""Evaluator semantics: operators, left operands, scopes, conflicts, voiding, inheritance,
refinements, duties, and the counters a permit consumes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hinterland.errors import PolicyError
from policies import (
    Decision,
    DutyState,
    Request,
    Requester,
    Scope,
    StateOfTheWorld,
    evaluate,
    parse_policy,
    resolve_inheritance,
)
from policies.evaluator import CounterDemand, DutyStatus, compile_policy
from policies.operands import Kind, register_claim_operand
from policies.operators import make_predicate
from policies.spatial import within

W3C = "http://www.w3.org/ns/odrl.jsonld"
NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
ME = Requester("did:web:partner")


def policy(*permissions: dict[str, Any], prohibitions: tuple[dict[str, Any], ...] = (),
           **top: Any) -> Any:
    doc: dict[str, Any] = {"@context": [W3C, {"hl": "https://w3id.org/hinterland/policy#",
                                              "dct": "http://purl.org/dc/terms/"}],
                           "uid": "urn:p", "type": "Set", **top}
    if permissions:
        doc["permission"] = list(permissions)
    if prohibitions:
        doc["prohibition"] = list(prohibitions)
    return compile_policy(parse_policy(doc))


def c(left: str, op: str, right: Any, **kw: Any) -> dict[str, Any]:
    return {"leftOperand": left, "operator": op, "rightOperand": right, **kw}


def decide(p: Any, action: str = "use", sotw: StateOfTheWorld | None = None,
           requester: Requester | None = ME, scope: Scope = Scope.USAGE, **params: Any) -> Any:
    return evaluate(p, Request(action, requester, target="urn:a", params=params),
                    sotw or StateOfTheWorld(now=NOW), scope)


# ------------------------------------------------------------------------------ operators


@pytest.mark.parametrize(
    ("operator", "right", "holds", "fails"),
    [
        ("eq", ("a",), "a", "b"),
        ("neq", ("a",), "b", "a"),
        ("lt", (5,), 4, 5),
        ("lteq", (5,), 5, 6),
        ("gt", (5,), 6, 5),
        ("gteq", (5,), 5, 4),
        ("isA", ("DE",), "DE-SN", "FR"),
        ("hasPart", ("DE-SN",), "DE", "FR"),
        ("isPartOf", ("EU",), "DE", "CH"),
        ("isAllOf", ("a", "b"), frozenset({"a", "b", "c"}), frozenset({"a"})),
        ("isAnyOf", ("a", "b"), "b", "c"),
        ("isNoneOf", ("a", "b"), "c", "a"),
    ],
)
def test_all_twelve_operators(operator: str, right: tuple[Any, ...], holds: Any,
                              fails: Any) -> None:
    predicate = make_predicate(operator, right, within if operator in (
        "isA", "hasPart", "isPartOf") else None)
    assert predicate(holds)
    assert not predicate(fails)


def test_ordering_operators_refuse_mismatched_types_and_sets() -> None:
    assert not make_predicate("lt", (5,))("five")
    assert not make_predicate("lt", (5,))(frozenset({1}))
    assert not make_predicate("isAnyOf", ("a",))(frozenset())


def test_spatial_containment_iso3166() -> None:
    assert within("DE-SN", "DE") and within("DE", "EU") and within("DE-SN", "EU")
    assert within("https://www.iso.org/obp/ui/#iso:code:3166:DE", "EU")
    assert not within("DE", "DE-SN") and not within("CH", "EU") and not within("FR", "DE")
    p = policy({"action": "use", "constraint": [c("spatial", "isPartOf", "EU")]})
    assert decide(p, spatial="DE-SN").permitted
    assert not decide(p, spatial="NO").permitted


# -------------------------------------------------------------------------- left operands


def test_datetime_with_date_and_datetime_right_operands() -> None:
    p = policy({"action": "use", "constraint": [
        c("dateTime", "lteq", {"@value": "2026-11-21", "@type": "xsd:date"}),
        c("dateTime", "gt", {"@value": "2026-11-21T08:59:59Z", "@type": "xsd:dateTime"}),
    ]})
    assert decide(p).permitted  # 09:00 on the 21st is "on or before the 21st"
    late = decide(p, sotw=StateOfTheWorld(now=NOW + timedelta(days=1)))
    assert late.explain() == "denied: date 2026-11-22T09:00:00Z is after 2026-11-21"


def test_elapsed_time_is_relative_to_the_agreement() -> None:
    p = policy({"action": "use", "constraint": [
        c("elapsedTime", "lteq", {"@value": "P7D", "@type": "xsd:duration"})]},
        **{"dspace:timestamp": "2026-11-20T09:00:00Z",
           "@context": [W3C, {"dspace": "https://w3id.org/dspace/2025/1/"}]})
    assert decide(p).permitted  # one day after the policy's own timestamp
    sotw = StateOfTheWorld(now=NOW, agreed_at=NOW - timedelta(days=8))
    assert decide(p, sotw=sotw).explain() == "denied: time since agreement P8D is after P7D"
    undated = policy({"action": "use", "constraint": [c("elapsedTime", "lteq", "P7D")]})
    assert "no time since agreement given" in decide(undated).explain()


@pytest.mark.parametrize(
    ("left", "value", "good", "bad"),
    [
        ("recipient", "did:web:partner", "did:web:partner", "did:web:competitor"),
        ("industry", "automotive", "automotive", "defence"),
        ("fileFormat", "model/3mf", "model/3mf", "model/stl"),
        ("deliveryChannel", "https", "https", "email"),
    ],
)
def test_request_parameter_operands(left: str, value: str, good: str, bad: str) -> None:
    p = policy({"action": "use", "constraint": [c(left, "eq", value)]})
    assert decide(p, **{left: good}).permitted
    report = decide(p, **{left: bad})
    assert report.decision is Decision.DENY
    assert f"'{bad}' is not '{value}'" in report.explain()
    assert "no " in decide(p).explain()  # absent parameter: unsatisfied, said so


def test_version_orders_numerically() -> None:
    p = policy({"action": "use", "constraint": [c("version", "gteq", "2.9")]})
    assert decide(p, version="2.10").permitted
    assert not decide(p, version="2.8.1").permitted


def test_event_needs_the_event_going_on() -> None:
    p = policy({"action": "use", "constraint": [c("event", "eq", "urn:fair")]})
    both = StateOfTheWorld(now=NOW, events=frozenset({"urn:fair", "urn:holiday"}))
    assert decide(p, sotw=both).permitted
    assert not decide(p).permitted


def test_claims_from_verified_credentials_and_the_extension_point() -> None:
    p = policy({"action": "use", "constraint": [
        c("hl:membership", "eq", "catena-x"),
        c("hl:participantType", "isAnyOf", ["supplier", "oem"]),
        c("hl:complianceLevel", "gteq", "label1"),
    ]})
    claims = {"membership": "catena-x", "participantType": "supplier",
              "complianceLevel": "label2"}
    assert decide(p, requester=Requester("did:web:x", claims=claims)).permitted
    low = decide(p, requester=Requester("did:web:x", claims={**claims,
                                                             "complianceLevel": "standard"}))
    assert low.explain() == "denied: compliance level 'standard' is less than 'label1'"

    register_claim_operand("https://example.org/vocab#certifiedPrinter", "certifiedPrinter",
                           label="certified printer", kind=Kind.TEXT)
    custom = policy({"action": "print", "constraint": [
        c("https://example.org/vocab#certifiedPrinter", "eq", "yes")]})
    assert decide(custom, "print", requester=Requester("did:web:x", claims={
        "certifiedPrinter": "yes"})).permitted
    assert decide(custom, "print").explain() == (
        "denied: no certified printer given (needed: is 'yes')"
    )


def test_status_is_the_fallback_value_of_the_left_operand() -> None:
    p = policy({"action": "use", "constraint": [
        c("payAmount", "gteq", 100, status=120), c("purpose", "eq", "research")]})
    report = decide(p, purpose="research")
    assert report.permitted
    assert "payAmount 120 is at least 100" in report.explain()
    p = policy({"action": "use", "constraint": [c("payAmount", "gteq", 100, status=80)]})
    assert decide(p).explain() == "denied: payAmount 80 is less than 100"


def test_unregistered_left_operand_reads_params_then_claims() -> None:
    p = policy({"action": "use", "constraint": [c("partner", "eq", "gold")]})
    assert decide(p, partner="gold").permitted
    assert decide(p, requester=Requester("did:web:x", claims={"partner": "gold"})).permitted
    assert not decide(p).permitted


# --------------------------------------------------------------------------------- scopes


def test_scopes_defer_what_cannot_be_known_yet() -> None:
    p = policy({"action": "print", "constraint": [
        c("count", "lteq", 3), c("purpose", "eq", "prototyping"),
        c("dateTime", "lt", {"@value": "2026-12-01T00:00:00Z", "@type": "xsd:dateTime"})]})
    spent = StateOfTheWorld(now=NOW, counts={"urn:p|print": 3})
    # a catalog still shows the offer: count and purpose are for later scopes
    access = decide(p, "print", sotw=spent, scope=Scope.ACCESS)
    assert access.permitted
    assert [r.deferred for r in access.rules[0].constraints] == [True, True, False]
    assert decide(p, "print", sotw=spent, scope=Scope.CONTRACT, purpose="prototyping").permitted
    assert not decide(p, "print", sotw=spent, scope=Scope.USAGE, purpose="prototyping").permitted
    expired = StateOfTheWorld(now=datetime(2027, 1, 1, tzinfo=UTC))
    for scope in Scope:
        assert not decide(p, "print", sotw=expired, scope=scope, purpose="prototyping").permitted


# ---------------------------------------------------------------- conflicts and voiding


@pytest.mark.parametrize(("strategy", "decision", "phrase"), [
    ("perm", Decision.PERMIT, "conflict strategy 'perm' lets the permission win"),
    ("prohibit", Decision.DENY, "denied: use is prohibited"),
    ("invalid", Decision.DENY, "conflict strategy 'invalid' voids it"),
])
def test_conflict_strategies(strategy: str, decision: Decision, phrase: str) -> None:
    p = policy({"action": "use"}, prohibitions=({"action": "use"},), conflict=strategy)
    report = decide(p, "print")
    assert report.decision is decision and report.conflict
    assert phrase in report.explain()


def test_default_conflict_strategy_is_invalid() -> None:
    p = policy({"action": "use"}, prohibitions=({"action": "print"},))
    report = decide(p, "print")
    assert report.decision is Decision.DENY
    assert "'invalid' voids it" in report.explain()
    assert decide(p, "read").permitted  # no conflict for read


def test_replaced_policy_is_void() -> None:
    p = policy({"action": "use"}, **{"dct:isReplacedBy": {"@id": "urn:p:v2"}})
    report = decide(p)
    assert report.decision is Decision.NOT_APPLICABLE
    assert report.explain() == ("not applicable: policy urn:p is replaced by urn:p:v2 and no "
                                "longer in effect")


def test_inherit_from_merges_parent_rules() -> None:
    parent = parse_policy({"@context": W3C, "uid": "urn:parent", "type": "Set",
                           "prohibition": [{"action": "sell"}]})
    child = parse_policy({"@context": W3C, "uid": "urn:child", "type": "Set",
                          "inheritFrom": "urn:parent", "permission": [{"action": "use"}]})
    with pytest.raises(PolicyError, match="inherits from urn:parent; merge the parents"):
        compile_policy(child)  # evaluating without the parent's prohibition would be wrong
    merged = resolve_inheritance(child, {"urn:parent": parent}.get)
    assert len(merged.prohibitions) == 1 and len(merged.permissions) == 1
    assert decide(compile_policy(merged), "sell").decision is Decision.DENY
    with pytest.raises(PolicyError, match="parent policy urn:parent is unknown"):
        resolve_inheritance(child, {}.get)
    strict = parse_policy({"@context": W3C, "uid": "urn:parent", "type": "Set",
                           "conflict": "perm", "prohibition": [{"action": "sell"}]})
    with pytest.raises(PolicyError, match="differs from parent"):
        resolve_inheritance(child, {"urn:parent": strict}.get)
    loop = parse_policy({"@context": W3C, "uid": "urn:parent", "type": "Set",
                         "inheritFrom": "urn:child", "permission": [{"action": "use"}]})
    with pytest.raises(PolicyError, match="cycle"):
        resolve_inheritance(child, {"urn:parent": loop, "urn:child": child}.get)


# ---------------------------------------------------------------------------- refinements


def test_party_collection_with_refinement_and_membership() -> None:
    p = policy({"action": "use", "assignee": {
        "@id": "urn:members", "@type": "PartyCollection",
        "refinement": [c("hl:membership", "eq", "catena-x")]}})
    assert decide(p, requester=Requester("did:web:x", claims={"membership": "catena-x"})
                  ).permitted
    assert decide(p, requester=Requester("did:web:y", part_of=frozenset({"urn:members"}))
                  ).permitted
    outsider = decide(p, requester=Requester("did:web:z"))
    assert outsider.decision is Decision.NOT_APPLICABLE
    assert "party 'did:web:z' is not member of 'urn:members'" in outsider.explain()


def test_asset_collection_membership_from_the_state_of_the_world() -> None:
    p = policy({"action": "use", "target": {"@id": "urn:parts", "@type": "AssetCollection"}})
    inside = StateOfTheWorld(now=NOW, part_of={"urn:a": frozenset({"urn:parts"})})
    assert decide(p, sotw=inside).permitted
    assert decide(p).decision is Decision.NOT_APPLICABLE


def test_action_refinement() -> None:
    p = policy({"action": [{"rdf:value": {"@id": "odrl:distribute"}, "refinement": [
        c("hl:encryption", "isAnyOf", ["AES-256-GCM"])]}]})
    assert decide(p, "distribute", encryption="AES-256-GCM").permitted
    denied = decide(p, "distribute", encryption="none")
    assert denied.decision is Decision.DENY
    assert denied.explain() == "denied: encryption 'none' is not one of 'AES-256-GCM'"


# --------------------------------------------------------------------------------- duties


def _duty_policy() -> Any:
    return policy({"uid": "urn:p#perm", "action": "use", "duty": [
        {"uid": "urn:p#pay", "action": "compensate",
         "constraint": [c("event", "lt", {"@id": "odrl:policyUsage"})],
         "consequence": [{"uid": "urn:p#fine", "action": "compensate"}]},
        {"uid": "urn:p#delete", "action": "delete", "constraint": [
            c("dateTime", "gt", {"@value": "2026-12-31T00:00:00Z", "@type": "xsd:dateTime"})]},
        {"uid": "urn:p#tell", "action": "inform"},
    ]})


def test_duties_before_use_after_use_inactive_and_violated() -> None:
    p = _duty_policy()
    unpaid = decide(p)
    assert unpaid.decision is Decision.DENY
    assert unpaid.explain() == "denied: duty 'compensate' must be fulfilled before use"
    paid = StateOfTheWorld(now=NOW, duties={"urn:p#pay": DutyState.FULFILLED})
    report = decide(p, sotw=paid)
    assert report.permitted
    states = {d.duty.id: d.status for d in report.rules[0].duties}
    assert states == {"urn:p#pay": DutyStatus.FULFILLED, "urn:p#delete": DutyStatus.INACTIVE,
                      "urn:p#tell": DutyStatus.PENDING}
    assert "duty 'inform' must be fulfilled after use" in report.explain()
    violated = StateOfTheWorld(now=NOW, duties={"urn:p#pay": DutyState.VIOLATED})
    report = decide(p, sotw=violated)
    assert report.decision is Decision.DENY
    assert report.explain() == ("denied: duty 'compensate' was violated; consequence "
                                "'compensate' now due")
    (pay, _, _) = report.rules[0].duties
    assert [c.status for c in pay.consequences] == [DutyStatus.PENDING]


def test_remedies_of_an_infringed_prohibition_are_reported() -> None:
    p = policy({"action": "use"}, prohibitions=({"uid": "urn:p#no-sell", "action": "sell",
                                                 "remedy": [{"uid": "urn:p#undo",
                                                             "action": "delete"}]},))
    infringed = StateOfTheWorld(now=NOW, duties={"urn:p#no-sell": DutyState.VIOLATED})
    report = decide(p, "read", sotw=infringed)
    prohibition = report.rules[1]
    assert [(d.duty.id, d.status) for d in prohibition.duties] == [
        ("urn:p#undo", DutyStatus.PENDING)
    ]
    assert decide(p, "read").rules[1].duties == ()


def test_obligations_are_reported_without_changing_the_decision() -> None:
    p = policy({"action": "use"}, obligation=[{"uid": "urn:p#o", "action": "compensate"}])
    report = decide(p, sotw=StateOfTheWorld(now=NOW, duties={"urn:p#o": DutyState.VIOLATED}))
    assert report.permitted
    assert [o.status for o in report.obligations] == [DutyStatus.VIOLATED]


# ------------------------------------------------------------------------------- counters


def test_tightest_count_wins_and_no_count_means_nothing_to_consume() -> None:
    p = policy({"uid": "urn:p#a", "action": "print", "constraint": [
        c("count", "lteq", 5), c("count", "lt", 3)]})
    sotw = StateOfTheWorld(now=NOW, counts={"urn:p|print": 1})
    assert decide(p, "print", sotw=sotw).counters() == [CounterDemand("urn:p|print", 2, 1)]
    spent = StateOfTheWorld(now=NOW, counts={"urn:p|print": 2})
    assert decide(p, "print", sotw=spent).explain() == (
        "denied: print count 2 of 2 used"
    )
    free = policy({"action": "print"})
    assert decide(free, "print").counters() == []
    assert decide(p, "print", sotw=spent).counters() == []


def test_prohibition_counts_are_fed_by_permitted_uses() -> None:
    p = policy({"action": "use"}, prohibitions=({"action": "print", "constraint": [
        c("count", "gt", 2)]},))
    assert decide(p, "print").counters() == [CounterDemand("urn:p|print", None, 1)]
    over = StateOfTheWorld(now=NOW, counts={"urn:p|print": 2})
    assert decide(p, "print", sotw=over).decision is Decision.DENY
