"""Proofs on JSON-LD documents: Data Integrity (eddsa-rdfc-2022, eddsa-jcs-2022) and
JsonWebSignature2020 (standard and Gaia-X 22.10 forms).

Public API: `sign_document`, `verify_proof`, `rdf_proof_config`, `CanonicalCache`,
`proofs_of`, `without_proof`, `suite_name`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from hinterland.errors import DroppedTermError, InputError
from hinterland.jsonld import DocumentLoader, find_dropped_terms
from hinterland.keys import PrivateKey, PublicKey
from hinterland.proofs import dataintegrity, jws2020
from hinterland.proofs.common import CanonicalCache, proofs_of, without_proof

Suite = Literal["eddsa-rdfc-2022", "JsonWebSignature2020"]
SIGNING_SUITES: tuple[str, ...] = ("eddsa-rdfc-2022", "JsonWebSignature2020")


def suite_name(proof: dict[str, Any]) -> str:
    """A readable name of a proof's suite (the cryptosuite for Data Integrity)."""
    kind = str(proof.get("type", "?"))
    if kind == "DataIntegrityProof":
        return str(proof.get("cryptosuite", "DataIntegrityProof"))
    return kind


CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
SUITE_CONTEXTS = {
    "eddsa-rdfc-2022": "https://w3id.org/security/data-integrity/v2",
    "JsonWebSignature2020": "https://w3id.org/security/suites/jws-2020/v1",
}


def _with_suite_context(document: dict[str, Any], suite: str) -> dict[str, Any]:
    """`document` with the context that defines the suite's proof terms, if it lacks it.

    Without it (e.g. a VC 1.1 credential signed with a DataIntegrityProof) the proof's
    own terms would be dropped, so the signature would not cover its options.
    """
    context = document.get("@context")
    contexts = context if isinstance(context, list) else [context] if context else []
    needed = SUITE_CONTEXTS.get(suite)
    if needed is None or needed in contexts:
        return document
    if suite == "eddsa-rdfc-2022" and CREDENTIALS_V2 in contexts:
        return document  # credentials v2 includes Data Integrity
    return {**document, "@context": [*contexts, needed]}


def sign_document(
    document: dict[str, Any],
    key: PrivateKey,
    *,
    verification_method: str,
    suite: Suite = "eddsa-rdfc-2022",
    created: datetime | None = None,
    purpose: str = "assertionMethod",
    loader: DocumentLoader | None = None,
) -> dict[str, Any]:
    """Return a new signed copy of `document`, appending to an existing proof (a proof set).

    The suite's context (Data Integrity v2, or JWS 2020) is appended to `@context` when
    the document does not already define the proof's terms.

    Raises `DroppedTermError` naming every term JSON-LD expansion would drop (it would
    not be signed), `JsonLdError`/`RemoteContextRefused` for unusable contexts, and
    `KeyMaterialError` when the key does not fit the suite.
    """
    if not isinstance(document, dict):
        raise InputError("only a JSON object can be signed")
    document = _with_suite_context(document, suite)
    unsecured = without_proof(document)
    if suite == "eddsa-rdfc-2022":
        proof = _sign_rdfc(unsecured, key, verification_method, created, purpose, loader)
    elif suite == "JsonWebSignature2020":
        _refuse_dropped(find_dropped_terms(unsecured, loader), [])
        proof = jws2020.sign_jws2020(
            unsecured, key, verification_method=verification_method, created=created,
            purpose=purpose, loader=loader,
        )
        config = rdf_proof_config(unsecured, proof)
        _refuse_dropped([], find_dropped_terms(config, loader) if config is not None else [])
    else:
        raise InputError(f"unknown suite {suite!r}; use one of {', '.join(SIGNING_SUITES)}")
    existing = proofs_of(document)
    signed = dict(document)
    signed["proof"] = [*existing, proof] if existing else proof
    return signed


def _sign_rdfc(
    unsecured: dict[str, Any],
    key: PrivateKey,
    verification_method: str,
    created: datetime | None,
    purpose: str,
    loader: DocumentLoader | None,
) -> dict[str, Any]:
    """eddsa-rdfc-2022: the canonicalizations the signature needs (document, proof
    configuration) also find the dropped terms, so each is walked once."""
    cache = CanonicalCache(loader)
    cache.unsecured_sha256(unsecured, unsecured)
    _refuse_dropped(cache.dropped_terms(unsecured), [])
    proof = dataintegrity.sign_data_integrity(
        unsecured, key, verification_method=verification_method, created=created,
        purpose=purpose, loader=loader, cache=cache,
    )
    _refuse_dropped([], cache.dropped_terms(proof, "config"))
    return proof


def _refuse_dropped(document_terms: list[str], proof_terms: list[str]) -> None:
    """Raise `DroppedTermError` when expansion would drop terms (they would not be signed)."""
    if document_terms:
        raise DroppedTermError(
            "refusing to sign: JSON-LD would drop these terms, so they would not be "
            f"signed: {', '.join(document_terms)}",
            document_terms,
        )
    if proof_terms:
        paths = [f"proof.{term}" for term in proof_terms]
        raise DroppedTermError(
            "refusing to sign: the document's contexts do not define these proof terms: "
            + ", ".join(paths),
            paths,
        )


def rdf_proof_config(document: dict[str, Any], proof: Any) -> dict[str, Any] | None:
    """The configuration a proof canonicalizes with RDFC-1.0 beside the whole unsecured
    document (eddsa-rdfc-2022 outside a chain, JsonWebSignature2020), else None."""
    if not isinstance(proof, dict) or "previousProof" in proof:
        return None
    if dataintegrity.suite_of(proof) in (dataintegrity.RDFC_SUITE, dataintegrity.ED25519_2020):
        return dataintegrity.proof_config(document, proof)
    if proof.get("type") == jws2020.SUITE:
        return jws2020.proof_options(document, proof)
    return None


def verify_proof(
    document: dict[str, Any], proof: dict[str, Any], key: PublicKey, cache: CanonicalCache
) -> tuple[bool, str]:
    """Check the signature of one of `document`'s proofs against `key`.

    Returns (valid, reason); raises `InputError` subclasses when the document cannot be
    canonicalized (the caller reports them as the proof's failure).
    """
    kind = proof.get("type")
    if kind in ("DataIntegrityProof", dataintegrity.ED25519_2020):
        return dataintegrity.verify_data_integrity(document, proof, key, cache)
    if kind == "JsonWebSignature2020":
        return jws2020.verify_jws2020(document, proof, key, cache)
    return False, f"unsupported proof type {kind!r}"


__all__ = [
    "SIGNING_SUITES",
    "CanonicalCache",
    "Suite",
    "proofs_of",
    "rdf_proof_config",
    "sign_document",
    "suite_name",
    "verify_proof",
    "without_proof",
]
