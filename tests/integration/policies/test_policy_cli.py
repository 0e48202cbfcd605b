"""`hinterland policy evaluate|new` run as a subprocess: exit codes, formats, messages."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import rdflib

ROOT = Path(__file__).parents[3]
SUITE = ROOT / "tests" / "vectors" / "odrl-test-suite" / "data"
REPORT = rdflib.Namespace("https://w3id.org/force/compliance-report#")


def hl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hinterland", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
    )


def _print_licence(tmp_path: Path) -> Path:
    made = hl("policy", "new", "n-times", "--uid", "urn:policy:print", "--target",
              "urn:asset:bracket", "--assigner", "did:web:provider", "--assignee",
              "did:web:partner", "--count", "3")
    assert made.returncode == 0, made.stderr
    path = tmp_path / "policy.json"
    path.write_text(made.stdout)
    return path


def _request(tmp_path: Path, **extra: object) -> Path:
    path = tmp_path / "request.json"
    path.write_text(json.dumps({"action": "print", "target": "urn:asset:bracket",
                                "party": {"id": "did:web:partner"}, **extra}))
    return path


def test_permit_exits_0_and_deny_exits_1_with_reason(tmp_path: Path) -> None:
    policy = _print_licence(tmp_path)
    request = _request(tmp_path)
    ok = hl("policy", "evaluate", "--policy", str(policy), "--request", str(request),
            "--now", "2026-11-21T09:00:00Z")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("permitted: print allowed; print count 0 of 3 used")

    sotw = tmp_path / "sotw.json"
    sotw.write_text(json.dumps({"now": "2026-11-21T09:00:00Z",
                                "counts": {"urn:policy:print|print": 3}}))
    denied = hl("policy", "evaluate", "--policy", str(policy), "--request", str(request),
                "--sotw", str(sotw))
    assert denied.returncode == 1
    assert denied.stdout.strip() == "denied: print count 3 of 3 used"

    stranger = tmp_path / "stranger.json"
    stranger.write_text(json.dumps({"action": "print", "target": "urn:asset:bracket",
                                    "party": {"id": "did:web:stranger"}}))
    other = hl("policy", "evaluate", "--policy", str(policy), "--request", str(stranger),
               "--now", "2026-11-21T09:00:00Z")
    assert other.returncode == 1
    assert other.stdout.startswith("not applicable: no rule of policy urn:policy:print covers")


def test_json_format_carries_the_report(tmp_path: Path) -> None:
    policy = _print_licence(tmp_path)
    out = hl("policy", "evaluate", "--policy", str(policy), "--request", str(_request(tmp_path)),
             "--now", "2026-11-21T09:00:00Z", "--format", "json")
    assert out.returncode == 0
    data = json.loads(out.stdout)
    assert data["decision"] == "permit"
    (constraint,) = data["rules"][0]["constraints"]
    assert constraint == {
        "id": "urn:policy:print#constraint-1", "satisfied": True, "leftOperand": "count",
        "operator": "lteq", "rightOperand": ["3"], "actual": 1,
        "text": "print count 0 of 3 used",
    }
    assert data["counters"] == [{"key": "urn:policy:print|print", "limit": 3, "amount": 1}]


def test_turtle_format_is_a_compliance_report_for_a_suite_case() -> None:
    out = hl("policy", "evaluate",
             "--policy", str(SUITE / "policies" / "policy-11.ttl"),
             "--request", str(SUITE / "requests" / "request-1.ttl"),
             "--sotw", str(SUITE / "sotw" / "temporal-past.ttl"), "--format", "turtle")
    assert out.returncode == 0, out.stderr
    graph = rdflib.Graph().parse(data=out.stdout, format="turtle")
    (rule_report,) = graph.subjects(rdflib.RDF.type, REPORT.PermissionReport)
    assert graph.value(rule_report, REPORT.activationState) == REPORT.Active
    (constraint,) = graph.subjects(rdflib.RDF.type, REPORT.ConstraintReport)
    actual = graph.value(constraint, REPORT.constraintLeftOperand)
    assert actual is not None and actual.toPython() == datetime(2017, 2, 12, 11, 20, 10, 999000,
                                                                tzinfo=UTC)
    assert '"2017-02-12T11:20:10.999Z"^^xsd:dateTime' in out.stdout


def test_invalid_inputs_exit_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    policy = _print_licence(tmp_path)
    request = _request(tmp_path)
    broken = tmp_path / "broken.json"
    broken.write_text('{"@context": "http://www.w3.org/ns/odrl.jsonld", "uid": "urn:p", '
                      '"type": "Set", "permission": [{"action": "use", "constraint": '
                      '[{"leftOperand": "count", "rightOperand": 3}]}]}')
    cases = [
        (["--policy", str(tmp_path / "missing.json"), "--request", str(request)],
         "policy file"),
        (["--policy", str(broken), "--request", str(request), "--now", "2026-01-01T00:00:00Z"],
         "constraint _:b1 has no operator"),
        (["--policy", str(policy), "--request", str(request), "--now", "yesterday"],
         "--now: 'yesterday' is not an ISO 8601 date-time"),
        (["--policy", str(policy), "--request", str(policy), "--now", "2026-01-01T00:00:00Z"],
         "invalid request"),
        (["--policy", str(policy), "--request", str(request), "--scope", "everything"],
         "--scope 'everything' is not one of"),
    ]
    for args, message in cases:
        out = hl("policy", "evaluate", *args)
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        assert message in out.stderr, out.stderr
        assert "Traceback" not in out.stderr
        assert out.stderr.startswith("error: ")


def test_inherit_from_parents_given_on_the_command_line(tmp_path: Path) -> None:
    parent = tmp_path / "parent.json"
    parent.write_text(json.dumps({"@context": "http://www.w3.org/ns/odrl.jsonld",
                                  "uid": "urn:parent", "type": "Set",
                                  "prohibition": [{"action": "print"}]}))
    child = tmp_path / "child.json"
    child.write_text(json.dumps({"@context": "http://www.w3.org/ns/odrl.jsonld",
                                 "uid": "urn:child", "type": "Set", "inheritFrom": "urn:parent",
                                 "permission": [{"action": "use"}]}))
    request = _request(tmp_path)
    args = ["policy", "evaluate", "--policy", str(child), "--request", str(request),
            "--now", "2026-11-21T09:00:00Z"]
    alone = hl(*args)
    assert alone.returncode == 2
    assert alone.stderr == "error: policy urn:child: parent policy urn:parent is unknown\n"
    merged = hl(*args, "--parent", str(parent))
    assert merged.returncode == 1
    assert "a permission and a prohibition both apply" in merged.stdout


def test_check_summarises_or_names_the_problem(tmp_path: Path) -> None:
    ok = hl("policy", "check", "--policy", str(SUITE / "policies" / "policy-21.ttl"))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == ("valid: Set urn:uuid:cc4995de-9c5e-4e12-9039-698506f6ab1c "
                                 "with 1 permission; conflict strategy invalid")
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix odrl: <http://www.w3.org/ns/odrl/2/> .\n"
                   "<urn:p> a odrl:Offer ; odrl:permission <urn:r> .\n"
                   "<urn:r> odrl:action odrl:use .\n")
    out = hl("policy", "check", "--policy", str(bad))
    assert out.returncode == 2
    assert out.stderr.strip() == "error: policy urn:p: an Offer needs an assigner (the provider)"


def test_new_rejects_unknown_templates_and_missing_options() -> None:
    unknown = hl("policy", "new", "teleport", "--uid", "u", "--target", "t", "--assigner", "a")
    assert unknown.returncode == 2 and "unknown template 'teleport'" in unknown.stderr
    missing = hl("policy", "new", "purpose", "--uid", "u", "--target", "t", "--assigner", "a")
    assert missing.returncode == 2 and "needs --purpose" in missing.stderr
    listed = hl("policy", "templates")
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) >= 14
