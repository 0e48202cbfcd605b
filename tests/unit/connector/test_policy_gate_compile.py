"""The policy gate compiles agreements from parsed templates exactly as a full parse would."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from connector import policy_gate
from connector.policy_gate import ODRL_PROFILE, OdrlGate
from hinterland.errors import PolicyError
from policies import parse_policy

RULES: list[dict[str, Any]] = [
    {"permission": [{"action": "use"}]},
    {
        "permission": [
            {
                "action": "print",
                "constraint": [{"leftOperand": "count", "operator": "lteq", "rightOperand": 3}],
            }
        ]
    },
    {
        "permission": [
            {
                "action": "use",
                "constraint": [
                    {"leftOperand": "purpose", "operator": "eq", "rightOperand": "urn:purpose:r"}
                ],
                "duty": [{"action": "delete"}],
            }
        ],
        "prohibition": [{"action": "distribute"}],
    },
]


def agreement(rules: dict[str, Any], n: int, **fields: Any) -> dict[str, Any]:
    return {
        "@context": ODRL_PROFILE,
        "@id": f"urn:uuid:{uuid.uuid4()}",
        "@type": "Agreement",
        "target": f"urn:asset:{n}",
        "assigner": "did:web:tools.example%3A8443",
        "assignee": f"did:web:shop{n}.example",
        "timestamp": f"2026-03-0{n + 1}T10:00:00Z",
        **rules,
        **fields,
    }


@pytest.mark.parametrize("rules", RULES)
def test_agreements_of_one_shape_compile_as_a_full_parse_would(rules: dict[str, Any]) -> None:
    gate = OdrlGate(None)  # type: ignore[arg-type]  # no counters needed to compile
    for n in range(3):
        document = agreement(rules, n)
        compiled = gate.compile(document)
        assert compiled.policy == parse_policy(document)
        assert compiled.uid == document["@id"]
    assert len(gate._templates) == 1  # parsed once, reused for the next agreements


def test_values_json_ld_would_rewrite_take_the_full_parse() -> None:
    gate = OdrlGate(None)  # type: ignore[arg-type]
    document = agreement(RULES[0], 0, target="relative-asset")
    assert gate._from_template(document) is None
    assert gate.compile(document).policy == parse_policy(document)


def test_a_malformed_agreement_reports_its_own_values() -> None:
    gate = OdrlGate(None)  # type: ignore[arg-type]
    document = agreement(RULES[0], 0, timestamp="not a date")
    with pytest.raises(PolicyError) as raised:
        gate.compile(document)
    assert "slot" not in str(raised.value)


def test_compiled_policies_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(policy_gate, "MAX_COMPILED", 2)
    gate = OdrlGate(None)  # type: ignore[arg-type]
    for n in range(4):
        gate.compile(agreement(RULES[0], n % 3))
    assert len(gate._compiled) == 2
