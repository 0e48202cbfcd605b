"""What every proof suite shares: splitting proofs off, results, canonical-hash caching."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from hinterland.errors import DroppedTermError
from hinterland.jsonld import DocumentLoader, canonicalize
from hinterland.jsonld.processing import pyld_errors


def canonical_nquads(document: dict[str, Any], loader: DocumentLoader | None) -> str:
    """RDFC-1.0 N-Quads; pyld's failures become `JsonLdError` naming the cause."""
    with pyld_errors("canonicalize"):
        return canonicalize(document, loader=loader)


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
    """Canonical forms and their SHA-256 digests, computed once per verification.

    One JSON-LD expansion yields both the canonical N-Quads and the terms expansion
    dropped (`canonicalize(..., reject_dropped_terms=True)`), so the dropped-terms check
    costs nothing extra for documents whose proofs canonicalize them anyway. A proof set
    hashes the same unsecured document for every proof; it is canonicalized once.

    Entries are keyed by the identity of the documents and proofs given (and keep them
    alive), so a cache lives only as long as one verification.
    """

    def __init__(self, loader: DocumentLoader | None) -> None:
        self.loader = loader
        self._entries: dict[tuple[int, str], tuple[Any, bytes, str, list[str]]] = {}

    def _canonical(self, owner: Any, label: str, document: dict[str, Any]) -> tuple[
        Any, bytes, str, list[str]
    ]:
        key = (id(owner), label)
        hit = self._entries.get(key)
        if hit is not None and hit[0] is owner:
            return hit
        dropped: list[str] = []
        try:
            with pyld_errors("canonicalize"):
                nquads = canonicalize(document, loader=self.loader, reject_dropped_terms=True)
        except DroppedTermError as error:
            # report the terms elsewhere; the signature is still checked over what remains
            dropped = list(error.terms)
            nquads = canonical_nquads(document, self.loader)
        entry = (owner, hashlib.sha256(nquads.encode("utf-8")).digest(), nquads, dropped)
        self._entries[key] = entry
        return entry

    def unsecured_sha256(self, document: dict[str, Any], unsecured: dict[str, Any]) -> bytes:
        """SHA-256 of the RDFC-1.0 N-Quads of `unsecured` (= `document` without proofs)."""
        return self._canonical(document, "unsecured", unsecured)[1]

    def config_sha256(self, proof: dict[str, Any], config: dict[str, Any]) -> bytes:
        """SHA-256 of the RDFC-1.0 N-Quads of a proof's configuration (`config`)."""
        return self._canonical(proof, "config", config)[1]

    def nquads(self, document: dict[str, Any]) -> str | None:
        """The canonical N-Quads of `document` without proofs, if already computed."""
        hit = self._entries.get((id(document), "unsecured"))
        return hit[2] if hit is not None and hit[0] is document else None

    def dropped_terms(self, owner: dict[str, Any], label: str = "unsecured") -> list[str]:
        """Terms dropped while canonicalizing `owner` (a document, or a proof's config)."""
        hit = self._entries.get((id(owner), label))
        return list(hit[3]) if hit is not None and hit[0] is owner else []
