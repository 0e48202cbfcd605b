"""Entries, hashes and checkpoints of the audit log, shared by the writer and the verifier.

An entry is `{"seq", "time", "kind", "data", "prev"}`; its hash is SHA-256 over its
canonical JSON (sorted keys, no spaces, UTF-8), and `prev` is the hash of entry `seq - 1`
(64 zeros for the first). A checkpoint signs `{"seq", "hash", "time", "signer",
"verificationMethod"}` (canonical JSON, EdDSA or whatever the key's JWS algorithm is) so that
nobody without the connector's key can rewrite the chain up to `seq`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from hinterland.keys import PrivateKey, PublicKey, b64url_decode, b64url_encode

GENESIS = "0" * 64
ENTRY_FIELDS = ("seq", "time", "kind", "data", "prev")
CHECKPOINT_FIELDS = ("seq", "hash", "time", "signer", "verificationMethod", "exported")


def canonical(value: Any) -> str:
    """Canonical JSON text: sorted keys, no insignificant whitespace."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(entry: dict[str, Any]) -> str:
    """SHA-256 (hex) of an entry's canonical JSON, without any `hash` member."""
    body = {k: entry[k] for k in ENTRY_FIELDS if k in entry}
    return hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()


def _signing_input(checkpoint: dict[str, Any]) -> bytes:
    body = {k: checkpoint[k] for k in CHECKPOINT_FIELDS if k in checkpoint}
    return canonical(body).encode("utf-8")


def sign_checkpoint(checkpoint: dict[str, Any], key: PrivateKey) -> dict[str, Any]:
    """The checkpoint with its `signature` (base64url) and `alg`."""
    signed = {k: checkpoint[k] for k in CHECKPOINT_FIELDS if k in checkpoint}
    signed["alg"] = key.jws_algorithm
    signed["signature"] = b64url_encode(key.sign(_signing_input(checkpoint)))
    return signed


def checkpoint_signature_valid(checkpoint: dict[str, Any], key: PublicKey) -> bool:
    """Does the checkpoint's signature verify under `key`?"""
    signature = checkpoint.get("signature")
    if not isinstance(signature, str):
        return False
    try:
        raw = b64url_decode(signature)
    except Exception:
        return False
    return key.verify(raw, _signing_input(checkpoint))
