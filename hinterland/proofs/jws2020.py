"""JsonWebSignature2020: detached JWS with ``b64: false`` over RDFC-canonical data.

Standard (DIF/transmute) form: the JWS payload is
SHA-256(canonical proof options) || SHA-256(canonical document), where the proof options
are the proof without `jws`, carrying the document's `@context`.

Gaia-X 22.10 form (compliance service and wizard): the payload is the *hex* SHA-256 of
the canonical document alone, signed with PS256. A proof that fails the standard form is
tried in the Gaia-X form, and the report names the form that matched.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from hinterland.errors import KeyMaterialError
from hinterland.jsonld import DocumentLoader
from hinterland.keys import PrivateKey, PublicKey, b64url_decode, b64url_encode
from hinterland.proofs.common import CanonicalCache, format_created, without_proof

SUITE = "JsonWebSignature2020"


def proof_options(document: dict[str, Any], proof: dict[str, Any]) -> dict[str, Any]:
    """The proof options: the proof without `jws`, with the document's `@context`."""
    options = {k: v for k, v in proof.items() if k != "jws"}
    if "@context" in document:
        options["@context"] = document["@context"]
    return options


def _verify_data(
    document: dict[str, Any], proof: dict[str, Any], cache: CanonicalCache
) -> bytes:
    options_hash = cache.config_sha256(proof, proof_options(document, proof))
    return options_hash + cache.unsecured_sha256(document, without_proof(document))


def _gaia_x_payload(document: dict[str, Any], cache: CanonicalCache) -> bytes:
    cache.unsecured_sha256(document, without_proof(document))
    nquads = cache.nquads(document)
    assert nquads is not None
    return hashlib.sha256(nquads.encode("utf-8")).hexdigest().encode("ascii")


def _parse_jws(jws: Any) -> tuple[str, dict[str, Any], bytes]:
    if not isinstance(jws, str) or jws.count(".") != 2:
        raise ValueError("the proof's jws is not a compact JWS")
    header_b64, payload, signature_b64 = jws.split(".")
    if payload:
        raise ValueError("the jws is not detached (its payload part is not empty)")
    try:
        header = json.loads(b64url_decode(header_b64))
    except (KeyMaterialError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"the jws header is not base64url JSON: {exc}") from exc
    if not isinstance(header, dict):
        raise ValueError("the jws header is not a JSON object")
    if header.get("b64") is not False or "b64" not in (header.get("crit") or []):
        raise ValueError("the jws header must have b64: false and crit: ['b64']")
    try:
        signature = b64url_decode(signature_b64)
    except KeyMaterialError as exc:
        raise ValueError(f"the jws signature is not base64url: {exc}") from exc
    return header_b64, header, signature


def verify_jws2020(
    document: dict[str, Any],
    proof: dict[str, Any],
    key: PublicKey,
    cache: CanonicalCache,
) -> tuple[bool, str]:
    """Check one JsonWebSignature2020 proof with `key`; returns (valid, reason)."""
    try:
        header_b64, header, signature = _parse_jws(proof.get("jws"))
    except ValueError as exc:
        return False, str(exc)
    alg = header.get("alg")
    if not isinstance(alg, str) or alg == "none":
        return False, f"the jws algorithm {alg!r} is not acceptable"
    if alg != key.jws_algorithm and not (key.type == "rsa" and alg == "PS256"):
        return False, f"the jws algorithm {alg} does not fit the {key.type} key"
    prefix = header_b64.encode("ascii") + b"."
    if key.verify(signature, prefix + _verify_data(document, proof, cache), algorithm=alg):
        return True, f"{SUITE} ({alg}) signature is valid"
    # Gaia-X 22.10 signs with PS256 only; its form leaves the proof options unsigned, so
    # it is not tried for other algorithms
    if alg == "PS256" and key.verify(
        signature, prefix + _gaia_x_payload(document, cache), algorithm=alg
    ):
        return True, (
            f"{SUITE} ({alg}, Gaia-X 22.10 hex-digest form: proof options not signed) "
            "signature is valid"
        )
    return False, f"{SUITE} ({alg}) signature does not match the document and key"


def sign_jws2020(
    document: dict[str, Any],
    key: PrivateKey,
    *,
    verification_method: str,
    created: datetime | None,
    purpose: str,
    loader: DocumentLoader | None,
) -> dict[str, Any]:
    """A new JsonWebSignature2020 proof (standard form) over `document` (no proofs)."""
    proof: dict[str, Any] = {
        "type": SUITE,
        "created": format_created(created),
        "verificationMethod": verification_method,
        "proofPurpose": purpose,
    }
    header = {"alg": key.jws_algorithm, "b64": False, "crit": ["b64"]}
    header_b64 = b64url_encode(json.dumps(header, separators=(",", ":")).encode("utf-8"))
    data = _verify_data(without_proof(document), proof, CanonicalCache(loader))
    signature = key.sign(header_b64.encode("ascii") + b"." + data)
    proof["jws"] = f"{header_b64}..{b64url_encode(signature)}"
    return proof
