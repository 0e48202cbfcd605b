"""What every proof suite shares: splitting proofs off, results, canonical-hash caching."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hinterland.jsonld import DocumentLoader, canonicalize


@dataclass(frozen=True)
class ProofResult:
    """The outcome of checking one proof's signature."""

    valid: bool
    reason: str
    suite: str
    verification_method: str | None
    purpose: str | None
    proof: dict[str, Any]


def proofs_of(document: dict[str, Any]) -> list[Any]:
    """The document's proofs as a list (a single proof object becomes a list of one)."""
    proof = document.get("proof")
    if proof is None:
        return []
    return list(proof) if isinstance(proof, list) else [proof]


def without_proof(document: dict[str, Any]) -> dict[str, Any]:
    """A shallow copy of `document` without its `proof` member."""
    return {k: v for k, v in document.items() if k != "proof"}


def format_created(created: datetime | None) -> str:
    """An XSD dateTime in UTC with seconds precision, as the W3C vectors write it."""
    moment = created or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class CanonicalCache:
    """Canonical-form SHA-256 digests of documents, computed once per verification.

    A proof set hashes the same unsecured document for every proof; a VP hashes its VCs
    again inside its own proof. The cache is keyed by object identity of the documents
    it was given (plus a label), so it lives only as long as one verification.
    """

    def __init__(self, loader: DocumentLoader | None) -> None:
        self.loader = loader
        self._digests: dict[tuple[int, str], tuple[Any, bytes, str]] = {}

    def unsecured_sha256(self, document: dict[str, Any], unsecured: dict[str, Any]) -> bytes:
        """SHA-256 of the RDFC-1.0 N-Quads of `unsecured` (= `document` without proofs)."""
        key = (id(document), "unsecured")
        hit = self._digests.get(key)
        if hit is not None and hit[0] is document:
            return hit[1]
        nquads = canonicalize(unsecured, loader=self.loader)
        digest = hashlib.sha256(nquads.encode("utf-8")).digest()
        self._digests[key] = (document, digest, nquads)
        return digest

    def nquads(self, document: dict[str, Any]) -> str | None:
        """The canonical N-Quads of `document` without proofs, if already computed."""
        hit = self._digests.get((id(document), "unsecured"))
        return hit[2] if hit is not None and hit[0] is document else None
