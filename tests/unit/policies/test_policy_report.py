"""Report renderings (JSON, compliance-report Turtle) and the JSON input formats."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import rdflib

from hinterland.errors import InputError
from policies import DutyState, Request, Requester, Scope, StateOfTheWorld, evaluate
from policies.compliance import report_turtle
from policies.io import request_from_json, sotw_from_json
from policies.templates import attach_policy, n_times

R = rdflib.Namespace("https://w3id.org/force/compliance-report#")
NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def test_duties_appear_as_condition_reports_with_their_deontic_state() -> None:
    policy = attach_policy("urn:p", "urn:a", "did:web:provider", "urn:next")
    request = Request("distribute", Requester("did:web:x"), target="urn:a")
    for state, deontic, activation in [
        (None, R.NonSet, R.Inactive),
        (DutyState.FULFILLED, R.Fulfilled, R.Active),
        (DutyState.VIOLATED, R.Violated, R.Inactive),
    ]:
        duties = {"urn:p#duty-1": state} if state else {}
        report = evaluate(policy, request, StateOfTheWorld(now=NOW, duties=duties))
        graph = rdflib.Graph().parse(data=report_turtle(report), format="turtle")
        (rule_report,) = graph.subjects(rdflib.RDF.type, R.PermissionReport)
        assert graph.value(rule_report, R.activationState) == activation
        (duty,) = graph.objects(rule_report, R.conditionReport)
        assert graph.value(duty, rdflib.RDF.type) == R.DutyReport
        assert graph.value(duty, R.rule) == rdflib.URIRef("urn:p#duty-1")
        assert graph.value(duty, R.deonticState) == deontic


def test_json_report_lists_constraints_duties_and_counters() -> None:
    policy = n_times("urn:p", "urn:a", "did:web:provider", 3)
    sotw = StateOfTheWorld(now=NOW, counts={"urn:p|print": 1})
    data = evaluate(policy, Request("print", Requester("did:web:x"), target="urn:a"),
                    sotw).to_dict()
    assert data["decision"] == "permit"
    assert data["reason"] == "permitted: print allowed; print count 1 of 3 used"
    assert data["rules"][0]["premises"] == {"target": True, "party": None, "action": True}
    assert data["rules"][0]["constraints"][0]["actual"] == 2
    assert data["counters"] == [{"key": "urn:p|print", "limit": 3, "amount": 1}]
    assert data["scope"] == "usage" and data["now"] == "2026-11-21T09:00:00Z"


def test_monitor_scope_rechecks_a_running_transfer_but_not_its_count() -> None:
    policy = n_times("urn:p", "urn:a", "did:web:provider", 1)
    spent = StateOfTheWorld(now=NOW, counts={"urn:p|print": 1})
    request = Request("print", Requester("did:web:x"), target="urn:a")
    assert not evaluate(policy, request, spent, Scope.USAGE).permitted
    assert evaluate(policy, request, spent, Scope.MONITOR).permitted


def test_json_request_and_state_of_the_world() -> None:
    request = request_from_json({
        "action": "print", "target": "urn:a",
        "party": {"id": "did:web:x", "partOf": ["urn:g"], "claims": {"membership": "m"}},
        "params": {"purpose": "prototyping"}, "amount": 2,
    })
    assert request.action == "http://www.w3.org/ns/odrl/2/print" and request.amount == 2
    assert request.requester is not None and request.requester.part_of == frozenset({"urn:g"})
    sotw = sotw_from_json({"now": "2026-11-21T09:00:00Z", "counts": {"k": 2},
                           "duties": {"urn:d": "violated"}, "events": ["urn:e"]})
    assert sotw.now == NOW and sotw.duties == {"urn:d": DutyState.VIOLATED}
    assert sotw_from_json({}, now=NOW).now == NOW


@pytest.mark.parametrize(("data", "message"), [
    ({"target": "urn:a"}, "invalid request: action: Field required"),
    ({"action": "print", "amount": 0}, "invalid request: amount"),
    ({"action": "print", "colour": "red"}, "invalid request: colour: Extra inputs"),
])
def test_bad_requests_are_named(data: object, message: str) -> None:
    with pytest.raises(InputError) as caught:
        request_from_json(data)
    assert str(caught.value).startswith(message)


def test_bad_states_of_the_world_are_named() -> None:
    with pytest.raises(InputError, match=r"duties\.urn:d: Input should be"):
        sotw_from_json({"now": "2026-11-21T09:00:00Z", "duties": {"urn:d": "maybe"}})
    with pytest.raises(InputError, match="has no 'now'"):
        sotw_from_json({})
