"""W3C Data Integrity proofs: eddsa-rdfc-2022 (sign, verify) and eddsa-jcs-2022 (verify).

Hash data = SHA-256(canonical proof configuration) || SHA-256(canonical document), signed
with Ed25519; `proofValue` is base58btc multibase. The proof configuration is the proof
without `proofValue`, carrying the document's `@context`. A proof with `previousProof`
(a proof chain) covers the document together with the proofs it names.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from hinterland.errors import InputError, KeyMaterialError
from hinterland.jsonld import DocumentLoader
from hinterland.keys import PrivateKey, PublicKey, multibase_decode, multibase_encode
from hinterland.proofs.common import (
    CanonicalCache,
    canonical_nquads,
    format_created,
    proofs_of,
    without_proof,
)
from hinterland.proofs.jcs import jcs

RDFC_SUITE = "eddsa-rdfc-2022"
JCS_SUITE = "eddsa-jcs-2022"
ED25519_2020 = "Ed25519Signature2020"  # the older suite: same hashing as eddsa-rdfc-2022
SUITES = (RDFC_SUITE, JCS_SUITE, ED25519_2020)


def suite_of(proof: dict[str, Any]) -> Any:
    """The proof's suite: its cryptosuite, or its type for Ed25519Signature2020."""
    if proof.get("type") == ED25519_2020:
        return ED25519_2020
    return proof.get("cryptosuite")


def proof_config(document: dict[str, Any], proof: dict[str, Any]) -> dict[str, Any]:
    """The proof configuration: the proof without `proofValue`, with the `@context`."""
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in document and "@context" not in config:
        config["@context"] = document["@context"]
    return config


def _context_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _unsecured_for(document: dict[str, Any], proof: dict[str, Any]) -> dict[str, Any]:
    """The document a proof covers: without proofs, plus the ones `previousProof` names."""
    unsecured = without_proof(document)
    previous = proof.get("previousProof")
    if previous is None:
        return unsecured
    wanted = [previous] if isinstance(previous, str) else previous
    if not isinstance(wanted, list) or not all(isinstance(w, str) for w in wanted):
        raise InputError("previousProof must be a proof id or a list of proof ids")
    found = [p for p in proofs_of(document) if isinstance(p, dict) and p.get("id") in wanted]
    missing = set(wanted) - {p.get("id") for p in found}
    if missing:
        raise InputError(f"previousProof {sorted(missing)} is not in the document")
    unsecured["proof"] = found
    return unsecured


def _hash_data(
    document: dict[str, Any], proof: dict[str, Any], cache: CanonicalCache
) -> bytes:
    suite = suite_of(proof)
    if "@context" in proof:
        # the spec lets a proof carry the document's contexts, never different ones
        doc_ctx = _context_list(document.get("@context", []))
        proof_ctx = _context_list(proof["@context"])
        if doc_ctx[: len(proof_ctx)] != proof_ctx:
            raise InputError("the proof's @context is not a prefix of the document's")
    config = proof_config(document, proof)
    unsecured = _unsecured_for(document, proof)
    if suite in (RDFC_SUITE, ED25519_2020):
        config_hash = cache.config_sha256(proof, config)
        if "previousProof" in proof:
            return config_hash + hashlib.sha256(
                canonical_nquads(unsecured, cache.loader).encode("utf-8")
            ).digest()
        # every proof of a set covers the same unsecured document: hash it once
        return config_hash + cache.unsecured_sha256(document, unsecured)
    if suite == JCS_SUITE:
        return hashlib.sha256(jcs(config)).digest() + hashlib.sha256(jcs(unsecured)).digest()
    raise InputError(f"unsupported cryptosuite {suite!r}")


def verify_data_integrity(
    document: dict[str, Any],
    proof: dict[str, Any],
    key: PublicKey,
    cache: CanonicalCache,
) -> tuple[bool, str]:
    """Check one DataIntegrityProof (or Ed25519Signature2020) signature with `key`;
    returns (valid, reason)."""
    suite = suite_of(proof)
    if suite not in SUITES:
        return False, f"unsupported cryptosuite {suite!r}"
    if key.type != "ed25519":
        return False, f"{suite} needs an Ed25519 key, the verification method has {key.type}"
    value = proof.get("proofValue")
    if not isinstance(value, str):
        return False, "the proof has no proofValue"
    try:
        signature = multibase_decode(value)
    except KeyMaterialError as exc:
        return False, f"proofValue: {exc}"
    data = _hash_data(document, proof, cache)
    if key.verify(signature, data):
        return True, f"{suite} signature is valid"
    return False, f"{suite} signature does not match the document and key"


def sign_data_integrity(
    document: dict[str, Any],
    key: PrivateKey,
    *,
    verification_method: str,
    created: datetime | None,
    purpose: str,
    loader: DocumentLoader | None,
    suite: str = RDFC_SUITE,
    cache: CanonicalCache | None = None,
) -> dict[str, Any]:
    """A new DataIntegrityProof (eddsa-rdfc-2022 by default) over `document` (no proofs).

    A `cache` that already canonicalized `document` (this very object) is reused.
    """
    if key.type != "ed25519":
        raise KeyMaterialError(f"{suite} signs with Ed25519 keys, not {key.type}")
    proof: dict[str, Any] = {
        "type": "DataIntegrityProof",
        "cryptosuite": suite,
        "created": format_created(created),
        "verificationMethod": verification_method,
        "proofPurpose": purpose,
    }
    if suite == JCS_SUITE and "@context" in document:
        proof["@context"] = document["@context"]
    unsecured = document if "proof" not in document else without_proof(document)
    data = _hash_data(unsecured, proof, cache or CanonicalCache(loader))
    proof["proofValue"] = multibase_encode(key.sign(data))
    return proof
