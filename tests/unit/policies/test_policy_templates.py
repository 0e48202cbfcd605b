"""Every template: one permit and one deny, with the English reason asserted; and each
survives a JSON-LD round trip unchanged."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from policies import Decision, Request, Requester, StateOfTheWorld, evaluate, parse_policy
from policies.request import DutyState
from policies.serialize import to_jsonld
from policies.templates import TEMPLATES, build

UID = "urn:policy:t"
ASSET = "urn:asset:bracket-3mf"
PROVIDER = "did:web:provider.example"
PARTNER = "did:web:partner.example"
NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
BASE = {"uid": UID, "target": ASSET, "assigner": PROVIDER, "assignee": PARTNER}


def _req(action: str = "use", params: Mapping[str, Any] | None = None,
         claims: Mapping[str, Any] | None = None) -> Request:
    return Request(action, Requester(PARTNER, claims=claims or {}), target=ASSET,
                   params=params or {})


def _sotw(**kw: Any) -> StateOfTheWorld:
    return StateOfTheWorld(now=kw.pop("now", NOW), **kw)


# name, options, permit (request, sotw, reason), deny (request, sotw, reason)
CASES: list[tuple[str, dict[str, Any], tuple[Any, ...], tuple[Any, ...]]] = [
    ("allow", {},
     (_req("read"), _sotw(), "permitted: read allowed"),
     (Request("use", Requester("did:web:mallory"), target=ASSET), _sotw(),
      "not applicable: no rule of policy urn:policy:t covers 'use' on "
      "'urn:asset:bracket-3mf'; party 'did:web:mallory' is not 'did:web:partner.example'")),
    ("interval", {"start": "2026-11-01T00:00:00Z", "end": "2026-11-30T23:59:59Z"},
     (_req(), _sotw(), "date 2026-11-21T09:00:00Z is at or after 2026-11-01T00:00:00Z"),
     (_req(), _sotw(now=datetime(2026, 12, 1, tzinfo=UTC)),
      "denied: date 2026-12-01T00:00:00Z is after 2026-11-30T23:59:59Z")),
    ("duration", {"period": "P30D"},
     (_req(), _sotw(agreed_at=NOW - timedelta(days=3)),
      "time since agreement P3D is at or before P30D"),
     (_req(), _sotw(agreed_at=NOW - timedelta(days=31)),
      "denied: time since agreement P31D is after P30D")),
    ("n-times", {"count": 3},
     (_req("print"), _sotw(counts={f"{UID}|print": 2}), "print count 2 of 3 used"),
     (_req("print"), _sotw(counts={f"{UID}|print": 3}), "denied: print count 3 of 3 used")),
    ("location", {"regions": ["DE"]},
     (_req(params={"spatial": "DE-SN"}), _sotw(), "location 'DE-SN' is one of 'DE'"),
     (_req(params={"spatial": "FR"}), _sotw(), "denied: location 'FR' is not one of 'DE'")),
    ("purpose", {"purposes": ["prototyping"]},
     (_req(params={"purpose": "prototyping"}), _sotw(),
      "purpose 'prototyping' is one of 'prototyping'"),
     (_req(params={"purpose": "marketing"}), _sotw(),
      "denied: purpose 'marketing' is not one of 'prototyping'")),
    ("membership", {"memberships": ["catena-x"]},
     (_req(claims={"membership": "catena-x"}), _sotw(),
      "membership 'catena-x' is one of 'catena-x'"),
     (_req(), _sotw(), "denied: no membership given (needed: is one of 'catena-x')")),
    ("connector", {"connectors": ["did:web:partner.example:connector"]},
     (_req(params={"system": "did:web:partner.example:connector"}), _sotw(),
      "connector 'did:web:partner.example:connector' is one of"),
     (_req(params={"system": "did:web:elsewhere"}), _sotw(),
      "denied: connector 'did:web:elsewhere' is not one of "
      "'did:web:partner.example:connector'")),
    ("event", {"event_id": "urn:event:formnext-2026"},
     (_req(), _sotw(events=frozenset({"urn:event:formnext-2026"})),
      "event 'urn:event:formnext-2026' is 'urn:event:formnext-2026'"),
     (_req(), _sotw(), "denied: no event going on (needed: is 'urn:event:formnext-2026')")),
    ("delete-after", {"deadline": "2026-12-31T23:59:59Z"},
     (_req(), _sotw(), "duty 'delete' not yet due (date 2026-11-21T09:00:00Z is not after "
                       "2026-12-31T23:59:59Z)"),
     (_req(), _sotw(now=datetime(2027, 1, 2, tzinfo=UTC)),
      "denied: date 2027-01-02T00:00:00Z is after 2026-12-31T23:59:59Z")),
    ("logging", {},
     (_req(), _sotw(), "duty 'log' must be fulfilled after use"),
     (_req(), _sotw(duties={f"{UID}#duty-1": DutyState.VIOLATED}),
      "denied: duty 'log' was violated")),
    ("notify", {"recipient": "https://provider.example/usage"},
     (_req(), _sotw(duties={f"{UID}#duty-1": DutyState.FULFILLED}),
      "duty 'inform' fulfilled"),
     (_req(), _sotw(duties={f"{UID}#duty-1": DutyState.VIOLATED}),
      "denied: duty 'inform' was violated")),
    ("encrypted", {"algorithms": ["AES-256-GCM"]},
     (_req("distribute", params={"encryption": "AES-256-GCM"}), _sotw(),
      "encryption 'AES-256-GCM' is one of 'AES-256-GCM'"),
     (_req("distribute", params={"encryption": "none"}), _sotw(),
      "denied: encryption 'none' is not one of 'AES-256-GCM'")),
    ("attach-policy", {"next_policy": "urn:policy:downstream"},
     (_req("distribute"), _sotw(duties={f"{UID}#duty-1": DutyState.FULFILLED}),
      "duty 'nextPolicy' fulfilled"),
     (_req("distribute"), _sotw(), "denied: duty 'nextPolicy' must be fulfilled before use")),
]


def test_at_least_fourteen_templates_each_tested() -> None:
    assert len(TEMPLATES) >= 14
    assert {c[0] for c in CASES} == set(TEMPLATES)


@pytest.mark.parametrize(("name", "options", "permit", "deny"), CASES, ids=[c[0] for c in CASES])
def test_template_permits_and_denies_with_reason(
    name: str, options: dict[str, Any], permit: tuple[Any, ...], deny: tuple[Any, ...]
) -> None:
    policy = build(name, **BASE, **options)
    request, sotw, reason = permit
    report = evaluate(policy, request, sotw)
    assert report.decision is Decision.PERMIT, report.explain()
    assert report.explain().startswith("permitted: ")
    assert reason in report.explain()

    request, sotw, reason = deny
    report = evaluate(policy, request, sotw)
    # a party the policy does not address at all gets "not applicable", also a refusal
    expected = Decision.NOT_APPLICABLE if name == "allow" else Decision.DENY
    assert report.decision is expected, report.explain()
    assert reason in report.explain()


@pytest.mark.parametrize(("name", "options"), [(c[0], c[1]) for c in CASES])
def test_template_round_trips_through_jsonld(name: str, options: dict[str, Any]) -> None:
    policy = build(name, **BASE, **options)
    assert parse_policy(to_jsonld(policy)) == policy
