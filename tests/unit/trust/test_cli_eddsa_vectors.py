"""Acceptance 1: the W3C vc-di-eddsa vectors through the CLI, as an auditor would run it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.unit.trust.cli_helpers import EDDSA, VECTOR_VM, hinterland


def _write(tmp_path: Path, name: str, document: dict[str, Any]) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document), "utf-8")
    return path


def _signed() -> dict[str, Any]:
    return json.loads((EDDSA / "signedDataInt.json").read_text("utf-8"))


def test_sign_reproduces_the_vector_proof_value() -> None:
    result = hinterland(
        "sign", EDDSA / "unsigned.json", "--key", EDDSA / "keyPair.json",
        "--created", "2023-02-24T23:36:38Z", "--verification-method", VECTOR_VM,
    )
    assert result.returncode == 0, result.stderr
    signed = json.loads(result.stdout)
    assert signed["proof"]["proofValue"] == _signed()["proof"]["proofValue"]
    assert signed == _signed()


def test_sign_defaults_to_the_did_key_of_the_key() -> None:
    result = hinterland(
        "sign", EDDSA / "unsigned.json", "--key", EDDSA / "keyPair.json",
        "--created", "2023-02-24T23:36:38Z",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["proof"]["verificationMethod"] == VECTOR_VM


def _proof_reasons(stdout: str) -> list[str]:
    report = json.loads(stdout)["results"][0]
    return [c["reason"] for c in report["checks"] if c["name"] == "proof"]


def test_proof_only_accepts_the_signed_vector() -> None:
    result = hinterland("verify", "--proof-only", EDDSA / "signedDataInt.json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "VALID" in result.stdout and "INVALID" not in result.stdout
    result = hinterland("verify", "--proof-only", "--json", EDDSA / "signedDataInt.json")
    assert _proof_reasons(result.stdout) == ["eddsa-rdfc-2022 signature is valid"]


def test_proof_only_rejects_a_changed_value(tmp_path: Path) -> None:
    document = _signed()
    document["credentialSubject"]["alumniOf"] = "The School of Forgeries"
    path = _write(tmp_path, "changed.json", document)
    result = hinterland("verify", "--proof-only", "--json", path)
    assert result.returncode == 1
    assert _proof_reasons(result.stdout) == [
        "eddsa-rdfc-2022 signature does not match the document and key"
    ]


def test_proof_only_rejects_an_added_statement(tmp_path: Path) -> None:
    document = _signed()
    document["credentialSubject"]["name"] = "Added Name"
    path = _write(tmp_path, "added.json", document)
    result = hinterland("verify", "--proof-only", "--json", path)
    assert result.returncode == 1
    assert _proof_reasons(result.stdout) == [
        "eddsa-rdfc-2022 signature does not match the document and key"
    ]


def test_proof_only_rejects_a_swapped_key(tmp_path: Path) -> None:
    other = json.loads((EDDSA / "multiKeyPairs.json").read_text("utf-8"))["keyPair1"]
    multibase = other["publicKeyMultibase"]
    document = _signed()
    document["proof"]["verificationMethod"] = f"did:key:{multibase}#{multibase}"
    path = _write(tmp_path, "swapped.json", document)
    result = hinterland("verify", "--proof-only", "--json", path)
    assert result.returncode == 1
    assert _proof_reasons(result.stdout) == [
        "eddsa-rdfc-2022 signature does not match the document and key"
    ]


def test_full_verify_names_the_key_binding_failure() -> None:
    result = hinterland("verify", "--json", EDDSA / "signedDataInt.json")
    assert result.returncode == 1
    report = json.loads(result.stdout)["results"][0]
    failed = [c for c in report["checks"] if c["status"] == "failed"]
    assert [c["name"] for c in failed] == ["key-binding"]
    assert "issuer https://vc.example/issuers/5678 is not the key's DID" in failed[0]["reason"]
    proofs = [c for c in report["checks"] if c["name"] == "proof"]
    assert [c["status"] for c in proofs] == ["passed"]


def test_jcs_proof_set_chain_and_ed25519_2020_vectors_verify() -> None:
    files = ["signedJCS.json", "signedProofSet1.json", "signedProofSet2.json",
             "signedProofChain1.json", "signedProofChain2.json", "signedEdSig.json"]
    result = hinterland("verify", "--proof-only", "--json", *(EDDSA / f for f in files))
    assert result.returncode == 0, result.stdout
    results = json.loads(result.stdout)["results"]
    counts = [sum(c["name"] == "proof" and c["status"] == "passed" for c in r["checks"])
              for r in results]
    assert counts == [1, 1, 2, 3, 4, 1]


def test_proof_chain_rejects_a_dropped_previous_proof(tmp_path: Path) -> None:
    document = json.loads((EDDSA / "signedProofChain2.json").read_text("utf-8"))
    del document["proof"][0]  # the third proof's previousProof now points nowhere
    path = _write(tmp_path, "c.json", document)
    result = hinterland("verify", "--proof-only", "--json", path)
    assert result.returncode == 1
    reasons = [c["reason"] for c in json.loads(result.stdout)["results"][0]["checks"]]
    assert any("previousProof" in r and "not in the document" in r for r in reasons)


def test_jcs_and_ed25519_2020_vectors_reject_a_changed_value(tmp_path: Path) -> None:
    for name in ("signedJCS.json", "signedEdSig.json"):
        document = json.loads((EDDSA / name).read_text("utf-8"))
        document["validFrom"] = "2023-01-02T00:00:00Z"
        result = hinterland("verify", "--proof-only", "--json", _write(tmp_path, name, document))
        assert result.returncode == 1, name
        assert "does not match" in _proof_reasons(result.stdout)[0]
