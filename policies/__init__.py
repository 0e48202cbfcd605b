"""ODRL 2.2 usage policies: model, parser, evaluator, templates and usage counters.

Free of any web framework; depends only on the kernel (`hinterland`). The API the
connector uses::

    from policies import (
        Request, Requester, Scope, StateOfTheWorld, UsageCounters,
        compile_policy, decide_and_consume, evaluate, parse_policy,
    )

    compiled = compile_policy(parse_policy(offer_json))   # once per policy
    report = evaluate(compiled, Request("print", Requester(did, claims=claims),
                                        target=asset_id, params={"purpose": "prototyping"}),
                      StateOfTheWorld(now=now, agreed_at=signed_at, counts=counts))
    report.decision        # Decision.PERMIT / DENY / NOT_APPLICABLE
    report.explain()       # "denied: print count 3 of 3 used; ..."
    report.to_dict()       # JSON report; policies.compliance.report_turtle(report): RDF
    report.counters()      # CounterDemand list to consume on a permit

    # or evaluate and atomically consume usage counts in one call:
    report = await decide_and_consume(compiled, request, sotw, UsageCounters(engine))

See `policies.operands` for left operands and the claims extension point,
`policies.templates` for ready-made IDS usage policies, `policies.counters` for the
atomic counters.
"""

from policies.counters import BatchResult, ConsumeResult, UsageCounters
from policies.enforce import decide_and_consume
from policies.evaluator import (
    CompiledPolicy,
    CounterDemand,
    Decision,
    DutyStatus,
    EvaluationReport,
    compile_policy,
    counter_key,
    evaluate,
)
from policies.model import (
    Action,
    Asset,
    Conflict,
    Constraint,
    LogicalConstraint,
    Party,
    Policy,
    Rule,
    RuleKind,
    Value,
)
from policies.parse import parse_file, parse_policies, parse_policy, resolve_inheritance
from policies.request import DutyState, Request, Requester, Scope, StateOfTheWorld

__all__ = [
    "Action",
    "Asset",
    "BatchResult",
    "CompiledPolicy",
    "Conflict",
    "Constraint",
    "ConsumeResult",
    "CounterDemand",
    "Decision",
    "DutyState",
    "DutyStatus",
    "EvaluationReport",
    "LogicalConstraint",
    "Party",
    "Policy",
    "Request",
    "Requester",
    "Rule",
    "RuleKind",
    "Scope",
    "StateOfTheWorld",
    "UsageCounters",
    "Value",
    "compile_policy",
    "counter_key",
    "decide_and_consume",
    "evaluate",
    "parse_file",
    "parse_policies",
    "parse_policy",
    "resolve_inheritance",
]
