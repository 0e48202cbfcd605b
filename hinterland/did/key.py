"""did:key for Multikey public keys: the DID is the key, so it resolves offline always."""

from __future__ import annotations

from typing import Any

from hinterland.errors import DidResolutionError, KeyMaterialError
from hinterland.keys import PublicKey

DID_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
RELATIONSHIPS = (
    "authentication",
    "assertionMethod",
    "capabilityInvocation",
    "capabilityDelegation",
)


def did_key_from_public_key(key: PublicKey) -> str:
    """The did:key of a public key (``did:key:z6Mk...`` for Ed25519)."""
    return f"did:key:{key.to_multibase()}"


def did_key_verification_method_id(key: PublicKey) -> str:
    """The verification method id of a did:key (``did:key:z...#z...``)."""
    multibase = key.to_multibase()
    return f"did:key:{multibase}#{multibase}"


def public_key_from_did_key(did: str) -> PublicKey:
    """The public key a did:key encodes; raises `DidResolutionError` if it is not one."""
    if not did.startswith("did:key:"):
        raise DidResolutionError(f"{did!r} is not a did:key")
    multibase = did[len("did:key:") :].split("#", 1)[0]
    try:
        return PublicKey.from_multibase(multibase)
    except KeyMaterialError as exc:
        raise DidResolutionError(f"{did!r} is not a valid did:key: {exc}") from exc


def did_key_document(did: str) -> dict[str, Any]:
    """The DID document of a did:key (one Multikey verification method)."""
    did = did.split("#", 1)[0]
    key = public_key_from_did_key(did)
    multibase = key.to_multibase()
    vm_id = f"{did}#{multibase}"
    document: dict[str, Any] = {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
        "id": did,
        "verificationMethod": [
            {"id": vm_id, "type": "Multikey", "controller": did, "publicKeyMultibase": multibase}
        ],
    }
    for relationship in RELATIONSHIPS:
        document[relationship] = [vm_id]
    return document
