"""Acceptance 5 (and the Gaia-X part of 4): each kind of bad credential is reported
invalid with the reason, check by check, and never raises."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hinterland.did import (
    DidResolver,
    did_key_from_public_key,
    did_key_verification_method_id,
    did_web_document,
)
from hinterland.errors import DroppedTermError, RemoteContextRefused
from hinterland.jsonld import canonicalize
from hinterland.keys import PrivateKey
from hinterland.proofs import sign_document
from hinterland.verify import CheckStatus, VerificationReport, VerifyOptions, verify_document
from tests.unit.trust.cli_helpers import VECTORS

GAIA_X = VECTORS / "gaia-x" / "compliance-22.10-fixtures"
FAILED, PASSED, SKIPPED = CheckStatus.FAILED, CheckStatus.PASSED, CheckStatus.SKIPPED


def _credential(issuer: str, **extra: Any) -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://www.w3.org/ns/credentials/examples/v2",
        ],
        "type": ["VerifiableCredential"],
        "issuer": issuer,
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:subject", "alumniOf": "Example School"},
        **extra,
    }


def _self_signed(**extra: Any) -> tuple[PrivateKey, dict[str, Any]]:
    key = PrivateKey.generate()
    issuer = did_key_from_public_key(key.public())
    vm = did_key_verification_method_id(key.public())
    return key, sign_document(_credential(issuer, **extra), key, verification_method=vm)


async def _verify(document: Any, resolver: DidResolver | None = None,
                  **options: Any) -> VerificationReport:
    return await verify_document(
        document, resolver=resolver or DidResolver(network=False),
        options=VerifyOptions(**options),
    )


def _statuses(report: VerificationReport, name: str) -> list[CheckStatus]:
    return [c.status for c in report.by_name(name)]


async def test_a_well_formed_self_issued_credential_is_valid() -> None:
    _key, signed = _self_signed()
    report = await _verify(signed, now=datetime(2026, 6, 1, tzinfo=UTC))
    assert report.valid, report.failures()
    for name in ("parse", "limits", "contexts", "dropped-terms", "proof", "key-binding",
                 "validity"):
        assert _statuses(report, name) == [PASSED], name
    assert _statuses(report, "issuer-trust") == [SKIPPED]
    assert _statuses(report, "shacl") == [SKIPPED]
    assert report.to_dict()["valid"] is True


def _v1_signed(**extra: Any) -> dict[str, Any]:
    key = PrivateKey.generate()
    credential = {
        "@context": ["https://www.w3.org/2018/credentials/v1",
                     "https://www.w3.org/2018/credentials/examples/v1"],
        "type": ["VerifiableCredential"],
        "issuer": did_key_from_public_key(key.public()),
        "issuanceDate": "2020-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:subject"},
        **extra,
    }
    return sign_document(credential, key,
                         verification_method=did_key_verification_method_id(key.public()))


async def test_undefined_term_is_reported_by_name() -> None:
    # credentials v2 maps every term through @vocab; v1 has no @vocab, so terms drop
    signed = _v1_signed()
    # the term is not in any context, so it is not in the signed RDF: the proof still
    # verifies, which is exactly why the dropped term must invalidate the document
    signed["credentialSubject"]["salary"] = "1,000,000 EUR"
    report = await _verify(signed, now=datetime(2026, 6, 1, tzinfo=UTC))
    assert not report.valid
    assert _statuses(report, "proof") == [PASSED]
    [dropped] = report.failures()
    assert dropped.name == "dropped-terms"
    assert "credentialSubject.salary" in dropped.reason


def test_signing_refuses_an_undefined_term() -> None:
    with pytest.raises(DroppedTermError, match=r"credentialSubject\.salary"):
        _v1_signed(credentialSubject={"id": "did:example:subject", "salary": "1"})


async def test_expired_credential_is_reported_with_its_date() -> None:
    _key, signed = _self_signed(validUntil="2026-03-01T00:00:00Z")
    report = await _verify(signed, now=datetime(2026, 3, 2, tzinfo=UTC))
    assert [c.name for c in report.failures()] == ["validity"]
    assert "expired on 2026-03-01T00:00:00Z" in report.failures()[0].reason
    # the same credential, checked at an earlier injected "now", is valid
    assert (await _verify(signed, now=datetime(2026, 2, 1, tzinfo=UTC))).valid


async def test_not_yet_valid_credential_is_reported() -> None:
    _key, signed = _self_signed()
    report = await _verify(signed, now=datetime(2025, 12, 31, tzinfo=UTC))
    assert [c.name for c in report.failures()] == ["validity"]
    assert "not valid before 2026-01-01T00:00:00Z" in report.failures()[0].reason


async def test_v1_expiration_date_is_checked() -> None:
    signed = _v1_signed(expirationDate="2021-01-01T00:00:00Z")
    report = await _verify(signed, now=datetime(2022, 1, 1, tzinfo=UTC))
    assert [c.name for c in report.failures()] == ["validity"]
    assert "expired on 2021-01-01T00:00:00Z" in report.failures()[0].reason


async def test_key_not_controlled_by_the_issuer_is_reported() -> None:
    issuer_key, intruder = PrivateKey.generate(), PrivateKey.generate()
    issuer = did_key_from_public_key(issuer_key.public())
    signed = sign_document(
        _credential(issuer), intruder,
        verification_method=did_key_verification_method_id(intruder.public()),
    )
    report = await _verify(signed, now=datetime(2026, 6, 1, tzinfo=UTC))
    assert _statuses(report, "proof") == [PASSED]  # a real signature, by the wrong key
    [binding] = report.failures()
    assert binding.name == "key-binding"
    assert f"issuer {issuer} is not the key's DID" in binding.reason


async def test_key_not_authorized_for_assertion_is_reported() -> None:
    key = PrivateKey.generate()
    did = "did:web:acme.example"
    document = did_web_document(did, key.public())
    document["assertionMethod"] = []  # authentication only
    signed = sign_document(_credential(did), key, verification_method=f"{did}#key-1")
    report = await _verify(
        signed, DidResolver(documents={did: document}, network=False),
        now=datetime(2026, 6, 1, tzinfo=UTC),
    )
    [binding] = report.failures()
    assert binding.name == "key-binding"
    assert f"{did}#key-1 is not listed for assertionMethod" in binding.reason


async def test_remote_context_is_reported_by_url() -> None:
    remote = "https://schemas.example.org/evil-context.jsonld"
    _key, signed = _self_signed()
    tampered = copy.deepcopy(signed)
    tampered["@context"].append(remote)
    report = await _verify(tampered, now=datetime(2026, 6, 1, tzinfo=UTC))
    assert not report.valid
    [context] = [c for c in report.failures() if c.name == "contexts"]
    assert context.subject == remote and remote in context.reason
    assert _statuses(report, "dropped-terms") == [SKIPPED]
    [proof] = report.by_name("proof")
    assert proof.status is FAILED and remote in proof.reason


def test_signing_refuses_a_remote_context() -> None:
    key = PrivateKey.generate()
    document = _credential(did_key_from_public_key(key.public()))
    document["@context"].append("https://schemas.example.org/evil-context.jsonld")
    with pytest.raises(RemoteContextRefused, match="evil-context"):
        sign_document(document, key, verification_method=did_key_verification_method_id(
            key.public()))


async def test_issuer_trust_list() -> None:
    _key, signed = _self_signed()
    now = datetime(2026, 6, 1, tzinfo=UTC)
    trusted = await _verify(signed, now=now, trusted_issuers=frozenset({signed["issuer"]}))
    assert _statuses(trusted, "issuer-trust") == [PASSED]
    other = await _verify(signed, now=now, trusted_issuers=frozenset({"did:web:other"}))
    assert [c.name for c in other.failures()] == ["issuer-trust"]
    assert "is not on the trust list" in other.failures()[0].reason


@pytest.mark.parametrize(
    ("document", "check", "words"),
    [
        (b"{not json", "parse", "not JSON"),
        (b"[1, 2]", "parse", "JSON object"),
        (b"[" * 5000 + b"]" * 5000, "limits", "levels deep"),
        (b" " * 3_000_000, "limits", "bytes"),
    ],
)
async def test_bad_input_becomes_a_failed_check(document: bytes, check: str, words: str) -> None:
    report = await _verify(document)
    [failure] = report.failures()
    assert failure.name == check and words in failure.reason


async def test_missing_proof_is_reported() -> None:
    key = PrivateKey.generate()
    report = await _verify(_credential(did_key_from_public_key(key.public())))
    assert "has no proof" in next(c for c in report.failures() if c.name == "proof").reason


async def test_unknown_did_method_fails_the_proof_plainly() -> None:
    _key, signed = _self_signed()
    signed["proof"]["verificationMethod"] = "did:example:nobody#key-1"
    report = await _verify(signed)
    [proof] = report.by_name("proof")
    assert proof.status is FAILED
    assert proof.reason.startswith("cannot verify: DID did:example:nobody could not be resolved")


def _gaia_x(name: str) -> dict[str, Any]:
    return dict(json.loads((GAIA_X / name).read_text("utf-8")))


async def test_gaia_x_fixture_without_keys_says_so_plainly() -> None:
    document = _gaia_x("participant-vp.json")
    report = await _verify(document)
    assert not report.valid
    proofs = report.by_name("proof")
    assert len(proofs) == 4  # three credentials, and the presentation's missing proof
    for check in proofs[:3]:
        assert check.status is FAILED
        assert "cannot verify: DID did:web:" in check.reason
        assert "could not be resolved" in check.reason
    assert report.issuer == "did:web:registration.lab.gaia-x.eu:v1"


async def test_gaia_x_22_10_hex_digest_ps256_form_verifies() -> None:
    # Build a credential the way the Gaia-X 22.10 compliance service signs: the JWS payload
    # is the hex SHA-256 of the canonical credential (no proof options), alg PS256.
    credential = _gaia_x("participant-vp.json")["verifiableCredential"][0]
    del credential["proof"]
    key = PrivateKey.generate("rsa")
    did = "did:web:registration.lab.gaia-x.eu:v1"
    header = base64.urlsafe_b64encode(
        b'{"alg":"PS256","b64":false,"crit":["b64"]}').rstrip(b"=")
    digest = hashlib.sha256(canonicalize(credential).encode()).hexdigest().encode()
    signature = base64.urlsafe_b64encode(key.sign(header + b"." + digest)).rstrip(b"=")
    credential["proof"] = {
        "type": "JsonWebSignature2020",
        "created": "2023-09-14T15:07:50.237Z",
        "proofPurpose": "assertionMethod",
        "verificationMethod": f"{did}#X509-JWK2020",
        "jws": f"{header.decode()}..{signature.decode()}",
    }
    document = did_web_document(did, key.public())
    document["verificationMethod"][0]["id"] = f"{did}#X509-JWK2020"
    document["assertionMethod"] = [f"{did}#X509-JWK2020"]
    resolver = DidResolver(documents={did: document}, network=False)
    report = await _verify(credential, resolver)
    assert report.valid, report.failures()
    assert "Gaia-X 22.10 hex-digest form" in report.by_name("proof")[0].reason
    credential["credentialSubject"]["gx:vatID"] = "BE0762747722"
    tampered = await _verify(credential, resolver)
    assert _statuses(tampered, "proof") == [FAILED]


def test_fixture_paths_exist() -> None:
    assert Path(GAIA_X / "LICENSE").is_file()


@pytest.mark.parametrize(
    ("name", "conforms"),
    [("participant-vp.json", True), ("participant-vp-faulty.json", False)],
)
async def test_shacl_check_follows_the_fixture_names(name: str, conforms: bool) -> None:
    report = await _verify(_gaia_x(name), shapes="gaia-x-22.10")
    shacl = report.by_name("shacl")
    assert shacl
    if conforms:
        assert [c.status for c in shacl] == [PASSED]
    else:
        assert FAILED in [c.status for c in shacl]
        assert all(c.reason.startswith("gaia-x-22.10: ") for c in shacl)


async def test_shacl_none_is_reported_as_skipped() -> None:
    report = await _verify(_gaia_x("participant-vp.json"), shapes="none")
    assert _statuses(report, "shacl") == [SKIPPED]


async def test_proof_terms_without_their_context_are_reported() -> None:
    signed = _v1_signed()
    assert "https://w3id.org/security/data-integrity/v2" in signed["@context"]
    signed["@context"].remove("https://w3id.org/security/data-integrity/v2")
    report = await _verify(signed)
    dropped = {c.subject for c in report.failures() if c.name == "dropped-terms"}
    assert {"proof.created", "proof.cryptosuite", "proof.verificationMethod"} <= dropped
    assert _statuses(report, "proof") == [FAILED]


async def test_gaia_x_form_is_not_accepted_for_other_algorithms() -> None:
    key = PrivateKey.generate("p256")
    did = "did:web:acme.example"
    credential = _credential(did)
    credential["@context"].append("https://w3id.org/security/suites/jws-2020/v1")
    header = base64.urlsafe_b64encode(
        b'{"alg":"ES256","b64":false,"crit":["b64"]}').rstrip(b"=")
    digest = hashlib.sha256(canonicalize(credential).encode()).hexdigest().encode()
    signature = base64.urlsafe_b64encode(key.sign(header + b"." + digest)).rstrip(b"=")
    credential["proof"] = {
        "type": "JsonWebSignature2020", "created": "2026-01-01T00:00:00Z",
        "proofPurpose": "assertionMethod", "verificationMethod": f"{did}#key-1",
        "jws": f"{header.decode()}..{signature.decode()}",
    }
    resolver = DidResolver(documents={did: did_web_document(did, key.public())},
                           network=False)
    report = await _verify(credential, resolver)
    assert _statuses(report, "proof") == [FAILED]


@pytest.mark.parametrize(
    "name", sorted(p.name for p in GAIA_X.glob("*.json")), ids=lambda n: n
)
async def test_every_gaia_x_fixture_is_reported_without_passing_or_crashing(name: str) -> None:
    report = await _verify(_gaia_x(name))
    assert not report.valid
    for check in report.by_name("proof"):
        assert check.status is FAILED
        assert ("could not be resolved" in check.reason or "has no proof" in check.reason
                or "no proof" in check.reason), check.reason


async def test_shacl_notes_a_vacuous_conformance() -> None:
    _key, signed = _self_signed()
    report = await _verify(signed, shapes="gaia-x-22.10", now=datetime(2026, 6, 1, tzinfo=UTC))
    statuses = _statuses(report, "shacl")
    assert CheckStatus.WARNING in statuses
    assert any("no gaia-x-22.10 shape targets" in c.reason for c in report.by_name("shacl"))


async def test_too_many_proofs_or_credentials_are_refused_before_any_work() -> None:
    _key, signed = _self_signed()
    signed["proof"] = [signed["proof"]] * 65
    report = await _verify(signed)
    [limit] = report.failures()
    assert limit.name == "limits" and "65 proofs, more than the limit of 64" in limit.reason
    assert report.by_name("proof") == []
    presentation = {"@context": ["https://www.w3.org/ns/credentials/v2"],
                    "type": ["VerifiablePresentation"],
                    "verifiableCredential": [_self_signed()[1]] * 3}
    report = await _verify(presentation, max_credentials=2)
    assert "3 credentials, more than the limit of 2" in report.failures()[0].reason


async def test_distinct_dids_per_document_are_bounded() -> None:
    proofs = []
    for _ in range(3):
        _key, signed = _self_signed()
        proofs.append(signed["proof"])
    signed["proof"] = proofs
    report = await _verify(signed, max_dids=2, proof_only=True)
    reasons = [c.reason for c in report.by_name("proof")]
    # the first two DIDs are resolved (their signatures are checked: the last proof's
    # signs this very document), the third is not even looked up
    assert ["distinct DIDs" in r for r in reasons] == [False, False, True]
    assert "more than 2 distinct DIDs" in reasons[2]
