"""The ODRL test suite's formats: ODRL Requests, states of the world, compliance reports.

- `request_from_turtle` / `sotw_from_turtle` read the suite's `odrl:Request` and `ex:Sotw`
  documents (current time as `temp:currentTime dct:issued`, `odrl:partOf` membership,
  earlier `report:DutyReport`s for duties performed or violated).
- `report_graph` / `report_turtle` write an `EvaluationReport` as a compliance report in
  the vocabulary `https://w3id.org/force/compliance-report#` (PolicyReport,
  PermissionReport/ProhibitionReport with TargetReport, PartyReport, ActionReport,
  ConstraintReport and DutyReport premises and conditions).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from hinterland.errors import InputError
from policies.evaluator import (
    CompiledConstraint,
    ConstraintResult,
    DutyResult,
    DutyStatus,
    EvaluationReport,
)
from policies.graph import Graph
from policies.model import RuleKind
from policies.operands import MISSING, Kind
from policies.parse import load_graph
from policies.request import DutyState, Request, Requester, StateOfTheWorld
from policies.terms import DCT, ODRL, REPORT, XSD
from policies.values import format_datetime, format_duration, parse_datetime

CURRENT_TIME = "http://example.com/request/currentTime"


def request_from_turtle(text: str) -> Request:
    """The first permission of an `odrl:Request` document as a `Request`."""
    return request_from_graph(load_graph(text, format="turtle"))


def request_from_graph(graph: Graph) -> Request:
    """See `request_from_turtle`."""
    requests = graph.subjects_of_type([ODRL + "Request"])
    if not requests:
        raise InputError("the request document has no odrl:Request")
    req = requests[0]
    rules = graph.objects(req, ODRL + "permission")
    if not rules:
        raise InputError(f"request {req} has no odrl:permission saying what is asked")
    rule = rules[0].value
    actions = graph.objects(rule, ODRL + "action")
    if not actions:
        raise InputError(f"request {req}: its permission has no action")
    assignees = graph.objects(rule, ODRL + "assignee")
    targets = graph.objects(rule, ODRL + "target")
    return Request(
        action=actions[0].value,
        requester=Requester(assignees[0].value) if assignees else None,
        target=targets[0].value if targets else None,
        uid=req,
        rule_uid=rule,
    )


_DEONTIC = {
    REPORT + "Fulfilled": DutyState.FULFILLED,
    REPORT + "Violated": DutyState.VIOLATED,
    REPORT + "NonSet": DutyState.PENDING,
}


def sotw_from_turtle(text: str, *, now: datetime | None = None) -> StateOfTheWorld:
    """A state of the world document; `now` overrides its current time."""
    return sotw_from_graph(load_graph(text, format="turtle"), now=now)


def sotw_from_graph(graph: Graph, *, now: datetime | None = None) -> StateOfTheWorld:
    """See `sotw_from_turtle`."""
    if now is None:
        issued = graph.objects(CURRENT_TIME, DCT + "issued")
        if not issued:
            raise InputError("the state of the world has no current time "
                             "(temp:currentTime dct:issued); pass one with --now")
        now = parse_datetime(issued[0].value, where="current time")
    part_of: dict[str, frozenset[str]] = {}
    for subject, edges in graph.nodes.items():
        members = edges.get(ODRL + "partOf")
        if members:
            part_of[subject] = frozenset(t.value for t in members)
    duties: dict[str, DutyState] = {}
    for report in graph.subjects_of_type([REPORT + "DutyReport"]):
        rules = graph.objects(report, REPORT + "rule")
        states = graph.objects(report, REPORT + "deonticState")
        if rules and states and states[0].value in _DEONTIC:
            duties[rules[0].value] = _DEONTIC[states[0].value]
    sotw_nodes = graph.subjects_of_type(["http://example.org/Sotw"])
    return StateOfTheWorld(now=now, part_of=part_of, duties=duties,
                           uid=sotw_nodes[0] if sotw_nodes else None)


# ----------------------------------------------------------------------------- reporting


def _uid() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def _literal(value: Any) -> Any:
    import rdflib

    if isinstance(value, datetime):
        return rdflib.Literal(format_datetime(value), datatype=rdflib.URIRef(XSD + "dateTime"),
                              normalize=False)
    if isinstance(value, bool):
        return rdflib.Literal(value)
    if isinstance(value, int):
        return rdflib.Literal(value, datatype=rdflib.URIRef(XSD + "integer"))
    if isinstance(value, timedelta):
        return rdflib.Literal(format_duration(value), datatype=rdflib.URIRef(XSD + "duration"))
    if isinstance(value, frozenset):
        return rdflib.Literal(", ".join(sorted(str(v) for v in value)))
    return rdflib.Literal(str(value))


def _node(value: str) -> Any:
    import rdflib

    return rdflib.BNode(value[2:]) if value.startswith("_:") else rdflib.URIRef(value)


def report_graph(report: EvaluationReport, *, created: datetime | None = None) -> Any:
    """The compliance report as an rdflib Graph."""
    import rdflib

    R = rdflib.Namespace(REPORT)
    g = rdflib.Graph()
    g.bind("report", R)
    g.bind("odrl", rdflib.Namespace(ODRL))
    g.bind("dct", rdflib.Namespace(DCT))
    g.bind("xsd", rdflib.Namespace(XSD))
    policy_report = rdflib.URIRef(_uid())
    g.add((policy_report, rdflib.RDF.type, R.PolicyReport))
    g.add((policy_report, rdflib.URIRef(DCT + "created"), _literal(created or report.sotw.now)))
    g.add((policy_report, R.policy, _node(report.policy.uid)))
    if report.request.uid:
        g.add((policy_report, R.policyRequest, _node(report.request.uid)))

    def state(ok: bool) -> Any:
        return R.Satisfied if ok else R.Unsatisfied

    def premise(kind: Any, ok: bool) -> Any:
        node = rdflib.URIRef(_uid())
        g.add((node, rdflib.RDF.type, kind))
        g.add((node, R.satisfactionState, state(ok)))
        return node

    def constraint_node(result: ConstraintResult) -> Any:
        node = rdflib.URIRef(_uid())
        c = result.constraint
        g.add((node, rdflib.RDF.type, R.ConstraintReport))
        if c.id:
            g.add((node, R.constraint, _node(c.id)))
        if isinstance(c, CompiledConstraint):
            if result.actual is not MISSING:
                actual = result.actual
                if c.kind is Kind.COUNT:
                    actual = int(actual)
                g.add((node, R.constraintLeftOperand, _literal(actual)))
            g.add((node, R.constraintOperator, rdflib.URIRef(ODRL + c.operator)))
            for value, datatype in zip(c.right, c.right_types, strict=True):
                if datatype == "@id":
                    obj: Any = _node(value)
                elif datatype:
                    obj = rdflib.Literal(value, datatype=rdflib.URIRef(datatype), normalize=False)
                else:
                    obj = rdflib.Literal(value)
                g.add((node, R.constraintRightOperand, obj))
        else:
            g.add((node, R.constraintLogicalOperand, rdflib.URIRef(ODRL + c.operator)))
            for child in result.children:
                g.add((node, R.premiseReport, constraint_node(child)))
        g.add((node, R.satisfactionState, state(result.satisfied)))
        return node

    deontic = {
        DutyStatus.FULFILLED: (R.Fulfilled, R.Performed),
        DutyStatus.VIOLATED: (R.Violated, R.Unperformed),
        DutyStatus.PENDING: (R.NonSet, R.Unknown),
        DutyStatus.INACTIVE: (R.NonSet, R.Unknown),
    }

    def duty_node(duty: DutyResult, kind: Any = R.DutyReport) -> Any:
        node = rdflib.URIRef(_uid())
        g.add((node, rdflib.RDF.type, kind))
        if duty.duty.id:
            g.add((node, R.rule, _node(duty.duty.id)))
        g.add((node, R.attemptState, R.Attempted))
        for c in duty.constraints:
            g.add((node, R.premiseReport, constraint_node(c)))
        active = duty.status is not DutyStatus.INACTIVE
        g.add((node, R.activationState, R.Active if active else R.Inactive))
        d_state, p_state = deontic[duty.status]
        g.add((node, R.deonticState, d_state))
        g.add((node, R.performanceState, p_state))
        for consequence in duty.consequences:
            g.add((node, R.conditionReport, duty_node(consequence)))
        return node

    kinds = {RuleKind.PERMISSION: R.PermissionReport, RuleKind.PROHIBITION: R.ProhibitionReport}
    for result in report.rules:
        rule = result.rule
        node = rdflib.URIRef(_uid())
        g.add((policy_report, R.ruleReport, node))
        g.add((node, rdflib.RDF.type, kinds[rule.kind]))
        g.add((node, R.attemptState, R.Attempted))
        if rule.id:
            g.add((node, R.rule, _node(rule.id)))
        if report.request.rule_uid:
            g.add((node, R.ruleRequest, _node(report.request.rule_uid)))
        if result.target_ok is not None:
            g.add((node, R.premiseReport, premise(R.TargetReport, result.target_ok)))
        if result.party_ok is not None:
            g.add((node, R.premiseReport, premise(R.PartyReport, result.party_ok)))
        if result.action_ok is not None:
            g.add((node, R.premiseReport, premise(R.ActionReport, result.action_ok)))
        for c in result.refinements + result.constraints:
            g.add((node, R.premiseReport, constraint_node(c)))
        for duty in result.duties:
            g.add((node, R.conditionReport, duty_node(duty)))
        g.add((node, R.activationState, R.Active if result.active else R.Inactive))
    for obligation in report.obligations:
        g.add((policy_report, R.ruleReport, duty_node(obligation, R.ObligationReport)))
    return g


def report_turtle(report: EvaluationReport, *, created: datetime | None = None) -> str:
    """The compliance report as Turtle."""
    text: str = report_graph(report, created=created).serialize(format="turtle")
    return text
