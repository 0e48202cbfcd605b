"""Acceptance 3: the DIF JsonWebSignature2020 vectors (transmute's signed credentials and
presentations) verify for every key type `cryptography` supports (Ed25519, secp256k1,
P-256, P-384; the RSA key has no signed vector, so it is shown by a round trip), and a
one-character change makes each fail."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from hinterland.did import DidResolver
from hinterland.keys import PrivateKey
from hinterland.proofs import sign_document
from hinterland.verify import CheckStatus, VerificationReport, VerifyOptions, verify_document
from tests.unit.trust.cli_helpers import JWS
from tests.unit.trust.vector_loader import VectorLoader

SIGNED = sorted((JWS / "transmute").glob("*.json"))
KEYS = sorted((JWS / "keys").glob("key-*.json"))


def _load(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text("utf-8")))


def _did_document() -> dict[str, Any]:
    methods = []
    for path in KEYS:
        entry = _load(path)
        methods.append({k: entry[k] for k in ("id", "type", "controller", "publicKeyJwk")})
    ids = [m["id"] for m in methods]
    return {
        "@context": ["https://www.w3.org/ns/did/v1"],
        "id": "did:example:123",
        "verificationMethod": methods,
        "assertionMethod": ids,
        "authentication": ids,
    }


async def _verify(document: dict[str, Any], **options: Any) -> VerificationReport:
    resolver = DidResolver(documents={"did:example:123": _did_document()}, network=False)
    return await verify_document(
        document, resolver=resolver, options=VerifyOptions(**options), loader=VectorLoader()
    )


def test_every_key_type_and_document_kind_is_covered() -> None:
    names = [p.name for p in SIGNED]
    for key in ("ed25519", "secp256k1", "secp256r1", "secp384r1"):
        assert sum(key in n for n in names) == 7  # 4 credentials + 3 presentations
    assert len(names) == 28


@pytest.mark.parametrize("path", SIGNED, ids=lambda p: p.name)
async def test_signed_vector_verifies(path: Path) -> None:
    document = _load(path)
    report = await _verify(document)
    assert report.valid, [c for c in report.failures()]
    proofs = report.by_name("proof")
    assert proofs and all(c.status is CheckStatus.PASSED for c in proofs)
    assert all("JsonWebSignature2020" in c.reason for c in proofs)


def _tweak(text: str) -> str:
    """Change exactly one character (a digit up by one, wrapping)."""
    for index in range(len(text) - 1, -1, -1):
        if text[index].isdigit():
            return text[:index] + str((int(text[index]) + 1) % 10) + text[index + 1 :]
    raise AssertionError(f"no digit in {text!r}")


@pytest.mark.parametrize("path", SIGNED, ids=lambda p: p.name)
async def test_one_character_change_fails(path: Path) -> None:
    original = _load(path)
    changed = copy.deepcopy(original)
    changed["proof"]["created"] = _tweak(changed["proof"]["created"])
    report = await _verify(changed, proof_only=True)
    assert not report.valid
    top = [c for c in report.by_name("proof") if not (c.reason.startswith("credential["))]
    assert top[-1].status is CheckStatus.FAILED
    assert "signature does not match" in top[-1].reason


@pytest.mark.parametrize("path", [p for p in SIGNED if ".vc." in p.name], ids=lambda p: p.name)
async def test_one_character_change_in_the_credential_fails(path: Path) -> None:
    changed = _load(path)
    changed["issuanceDate"] = _tweak(changed["issuanceDate"])
    report = await _verify(changed, proof_only=True)
    assert [c.status for c in report.by_name("proof")] == [CheckStatus.FAILED]


@pytest.mark.parametrize("path", SIGNED[:4], ids=lambda p: p.name)
async def test_one_character_change_in_the_signature_fails(path: Path) -> None:
    changed = _load(path)
    jws = changed["proof"]["jws"]
    middle = len(jws) - 10
    changed["proof"]["jws"] = jws[:middle] + ("A" if jws[middle] != "A" else "B") + jws[
        middle + 1 :
    ]
    report = await _verify(changed, proof_only=True)
    assert [c.status for c in report.by_name("proof")] == [CheckStatus.FAILED]


async def test_presentation_checks_each_credential_and_its_own_proof() -> None:
    path = JWS / "transmute" / "presentation-1--key-2-secp256r1.vp.json"
    document = _load(path)
    report = await _verify(document)
    assert report.holder == "did:example:123"
    subjects = [c.reason.split(":")[0] for c in report.by_name("proof")]
    assert subjects[0].startswith("credential[0]") and subjects[-1] == "presentation"
    # tamper with the embedded credential only: its proof and the VP proof both fail
    document["verifiableCredential"][0]["issuanceDate"] = "2000-01-01T00:00:00Z"
    report = await _verify(document)
    assert [c.status for c in report.by_name("proof")] == [CheckStatus.FAILED] * 2


@pytest.mark.parametrize("key_file", KEYS, ids=lambda p: p.name)
async def test_sign_and_verify_round_trip_for_each_vector_key(key_file: Path) -> None:
    entry = _load(key_file)
    key = PrivateKey.from_jwk(entry["privateKeyJwk"])
    credential = _load(JWS / "transmute" / "credential-0--key-0-ed25519.vc.json")
    del credential["proof"]
    signed = sign_document(credential, key, verification_method=entry["id"],
                           suite="JsonWebSignature2020")
    report = await _verify(signed)
    assert report.valid, report.failures()
    assert key.jws_algorithm in report.by_name("proof")[0].reason


async def test_presentation_challenge_is_checked_when_expected() -> None:
    document = _load(JWS / "transmute" / "presentation-0--key-0-ed25519.vp.json")
    assert document["proof"]["challenge"] == "123"
    assert (await _verify(document, challenge="123")).valid
    report = await _verify(document, challenge="456")
    [proof] = report.failures()
    assert proof.name == "proof" and "challenge '123' is not the expected '456'" in proof.reason
    report = await _verify(document, domain="verifier.example")
    assert "domain" in report.failures()[0].reason
