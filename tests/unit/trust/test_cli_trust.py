"""The trust CLI end to end as subprocesses: exit codes 0/1/2 and one-line messages."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.unit.trust.cli_helpers import EDDSA, hinterland

CREDENTIAL = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "type": ["VerifiableCredential"],
    "issuer": "ISSUER",
    "validFrom": "2026-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:subject"},
}


def _no_traceback(*outputs: str) -> None:
    for output in outputs:
        assert "Traceback" not in output


def test_generate_publish_sign_verify_round_trip(tmp_path: Path) -> None:
    key = tmp_path / "key.jwk"
    result = hinterland("keys", "generate", "--type", "p256", "--out", key)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    did_json = tmp_path / "did.json"
    result = hinterland("did", "web", "--domain", "acme.example:8443/sd", "--key", key,
                        "--out", did_json)
    assert result.returncode == 0, result.stderr
    did = json.loads(did_json.read_text())["id"]
    assert did == "did:web:acme.example%3A8443:sd"
    unsigned = tmp_path / "unsigned.json"
    unsigned.write_text(json.dumps({**CREDENTIAL, "issuer": did}))
    # P-256 keys sign JsonWebSignature2020 (ES256)
    result = hinterland("sign", unsigned, "--key", key, "--suite", "JsonWebSignature2020",
                        "--verification-method", f"{did}#key-1")
    assert result.returncode == 0, result.stderr
    signed = tmp_path / "signed.json"
    signed.write_text(result.stdout)
    result = hinterland("verify", signed, "--did-document", did_json, "--offline",
                        "--now", "2026-06-01T00:00:00Z")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "VALID" in result.stdout and "INVALID" not in result.stdout
    result = hinterland("verify", signed, "--did-document", did_json, "--offline",
                        "--trusted-issuer", "did:web:someone.else", "--json")
    assert result.returncode == 1
    _no_traceback(result.stdout, result.stderr)


def test_eddsa_sign_with_generated_key_verifies_via_did_key(tmp_path: Path) -> None:
    key = tmp_path / "key.jwk"
    assert hinterland("keys", "generate", "--out", key).returncode == 0
    did = json.loads(key.read_text())  # JWK; the CLI prints the did:key too
    assert did["kty"] == "OKP"
    out = hinterland("keys", "generate", "--out", key)
    assert out.returncode == 2 and "refusing to overwrite" in out.stderr


def test_any_invalid_input_makes_exit_1(tmp_path: Path) -> None:
    result = hinterland("verify", "--proof-only", EDDSA / "signedDataInt.json",
                        EDDSA / "signedDataInt.json")
    assert result.returncode == 0
    tampered = json.loads((EDDSA / "signedDataInt.json").read_text())
    tampered["name"] = "Forged Credential"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(tampered))
    result = hinterland("verify", "--proof-only", EDDSA / "signedDataInt.json", bad)
    assert result.returncode == 1
    assert result.stdout.count("INVALID") == 1


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["verify", "MISSING"], "cannot read"),
        (["verify", "NOTJSON"], "not JSON"),
        (["verify", "DEEP"], "levels deep"),
        (["verify", "--now", "yesterday", "GOOD"], "not an ISO-8601"),
        (["verify", "--did-document", "NOTJSON", "GOOD"], "not JSON"),
        (["verify", "--trust-dir", "MISSING", "GOOD"], "does not exist"),
        (["sign", "GOOD", "--key", "NOTJSON"], "not JSON"),
        (["sign", "NOTJSON", "--key", str(EDDSA / "keyPair.json")], "not JSON"),
        (["sign", "UNDEFINED", "--key", str(EDDSA / "keyPair.json")], "credentialSubject.x"),
        (["did", "web", "--domain", "https://x", "--key", str(EDDSA / "keyPair.json")],
         "not a URL"),
    ],
)
def test_input_errors_exit_2_with_one_line(tmp_path: Path, args: list[str], words: str) -> None:
    files = {
        "MISSING": tmp_path / "missing.json",
        "NOTJSON": tmp_path / "notjson.json",
        "DEEP": tmp_path / "deep.json",
        "GOOD": EDDSA / "signedDataInt.json",
        "UNDEFINED": tmp_path / "undefined.json",
    }
    files["NOTJSON"].write_text("{nope")
    files["DEEP"].write_text("[" * 500 + "]" * 500)
    files["UNDEFINED"].write_text(json.dumps({
        "@context": ["https://www.w3.org/2018/credentials/v1"], "type": "VerifiableCredential",
        "issuer": "did:example:1", "issuanceDate": "2020-01-01T00:00:00Z",
        "credentialSubject": {"x": 1},
    }))
    result = hinterland(*[str(files.get(a, a)) for a in args])
    assert result.returncode == 2, result.stdout + result.stderr
    assert words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    _no_traceback(result.stdout, result.stderr)


@pytest.mark.parametrize(
    "args",
    [["verify"], ["verify", "--shapes", "gaia-x-99", "x.json"], ["sign", "x.json"],
     ["keys", "generate", "--type", "dsa", "--out", "k"]],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = hinterland(*args)
    assert result.returncode == 2
    _no_traceback(result.stdout, result.stderr)


def test_gaia_x_fixture_through_the_cli_says_it_cannot_verify() -> None:
    fixture = EDDSA.parent / "gaia-x" / "compliance-22.10-fixtures" / "participant-vp.json"
    result = hinterland("verify", "--json", "--offline", fixture)
    assert result.returncode == 1
    report = json.loads(result.stdout)["results"][0]
    reasons = [c["reason"] for c in report["checks"] if c["name"] == "proof"]
    assert any("cannot verify: DID did:web:registration.lab.gaia-x.eu:v1 could not be "
               "resolved" in r for r in reasons)
    _no_traceback(result.stdout, result.stderr)


def test_keys_show_prints_public_forms_only(tmp_path: Path) -> None:
    key = tmp_path / "key.jwk"
    assert hinterland("keys", "generate", "--type", "p384", "--out", key).returncode == 0
    result = hinterland("keys", "show", key)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    private = json.loads(key.read_text())
    assert shown["type"] == "p384" and shown["publicKeyJwk"]["x"] == private["x"]
    assert private["d"] not in result.stdout
    assert shown["did:key"] == "did:key:" + shown["publicKeyMultibase"]
    vector = hinterland("keys", "show", EDDSA / "keyPair.json")
    assert json.loads(vector.stdout)["publicKeyMultibase"] == (
        "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2")
