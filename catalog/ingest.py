"""Ingest: verify a signed description, apply the participant policy, store it and issue
its compliance credential -- or reject it with the full report and store nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from catalog.claims import Claims, extract_claims
from catalog.credentials import Signer, compliance_credential
from catalog.rdf import rdf_forms
from catalog.records import Entry, NewEntry
from catalog.settings import CatalogOptions
from catalog.store import CatalogStore
from catalog.verifier import Verification, Verifier
from hinterland.errors import DescriptionRejected, HinterlandError, InputError, PermissionDenied
from hinterland.jsonld import DocumentLoader, parse_json
from hinterland.settings import JsonLdSettings

LEGAL_TYPES = frozenset({"LegalParticipant", "LegalPerson", "Participant"})
REVOCATION_TYPE = "CatalogRevocation"


@dataclass
class IngestResult:
    """A stored (or already known) entry and the report of this verification."""

    entry: Entry
    created: bool
    report_json: str  # this verification's report, serialized once for database and answer
    compliance_json: str | None = None  # the new entry's credential serialized, if created


def parse_document(body: bytes | str | dict[str, Any], settings: JsonLdSettings) -> dict[str, Any]:
    """Parse a request body within the JSON-LD limits; it must be a JSON object."""
    document = parse_json(body, settings) if isinstance(body, (bytes, str)) else body
    if not isinstance(document, dict):
        raise InputError("a self-description must be a JSON object (a VC or a VP)")
    return document


def entry_id_for(sha256_hex: str) -> str:
    """Entry ids derive from the canonical hash, so every catalog names a document alike."""
    return "sd-" + sha256_hex[:32]


class Ingestor:
    """Runs the ingest and revocation flows over a store, a verifier and a signer."""

    def __init__(
        self,
        store: CatalogStore,
        verifier: Verifier,
        signer: Signer,
        options: CatalogOptions,
        *,
        loader: DocumentLoader,
        jsonld_settings: JsonLdSettings,
    ) -> None:
        self.store = store
        self.verifier = verifier
        self.signer = signer
        self.options = options
        self.loader = loader
        self.jsonld_settings = jsonld_settings

    def entry_url(self, entry_id: str) -> str:
        """Where this catalog serves an entry."""
        return f"{self.options.base_url.rstrip('/')}/self-descriptions/{entry_id}"

    async def ingest(
        self, body: bytes | str | dict[str, Any], *, origin: str = "local"
    ) -> IngestResult:
        """Verify and store one VC or VP.

        Raises `DescriptionRejected` (with the report) when any check fails, `InputError`
        or `LimitExceeded` when the body is not a JSON object within the limits.
        """
        document = parse_document(body, self.jsonld_settings)
        verification = await self.verifier.verify(document)
        claims = Claims()
        sha256 = ""
        rdf = ""
        if verification.valid:
            try:
                forms = rdf_forms(document, self.loader)
                claims = extract_claims(forms.expanded)
                sha256, rdf = forms.sha256, forms.claims_graph
            except HinterlandError as exc:
                verification.add_check("claims", "failed", str(exc))
        if verification.valid:
            await self._check_participant(verification, claims)
        if not verification.valid:
            reasons = "; ".join(
                f"{c.get('name')}: {c.get('reason')}" for c in verification.failures()
            )
            raise DescriptionRejected(f"self-description rejected: {reasons}", verification.report)
        entry_id = entry_id_for(sha256)
        compliance = self.signer.sign(
            compliance_credential(
                catalog_did=self.signer.did,
                entry_id=entry_id,
                entry_url=self.entry_url(entry_id),
                sha256_hex=sha256,
                shapes=self.options.shapes,
                issued=self.store.clock(),
                valid_days=self.options.compliance_validity_days,
                entry_valid_until=claims.valid_until,
            )
        )
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        new = NewEntry(
            id=entry_id,
            document=text if isinstance(text, str) else json.dumps(text),
            sha256=sha256,
            claims=claims,
            report=verification.report,
            rdf=rdf,
            origin=origin,
            compliance=compliance,
            onboard=bool(LEGAL_TYPES.intersection(claims.types)),
        )
        result = await self.store.add(new)
        return IngestResult(
            entry=result.entry,
            created=result.created,
            report_json=new.report_json,
            compliance_json=new.compliance_json if result.created else None,
        )

    async def _check_participant(self, verification: Verification, claims: Claims) -> None:
        issuer = verification.issuer or claims.issuer
        if not issuer:
            verification.add_check("participant", "failed", "the description names no issuer")
            return
        if claims.issuer and verification.issuer and claims.issuer != verification.issuer:
            verification.add_check(
                "participant",
                "failed",
                f"issuer {claims.issuer} of the claims differs from the verified issuer "
                f"{verification.issuer}",
            )
            return
        claims.issuer = issuer
        policy = self.options.participant_policy
        if issuer in self.options.admin_dids or policy == "open":
            verification.add_check("participant", "passed", f"{issuer} may publish ({policy})")
        elif policy == "trust_list":
            if issuer in self.options.trusted_issuers:
                verification.add_check("participant", "passed", f"{issuer} is on the trust list")
            else:
                verification.add_check(
                    "participant",
                    "failed",
                    f"issuer {issuer} is not on this catalog's trust list",
                    issuer,
                )
        elif LEGAL_TYPES.intersection(claims.types):
            verification.add_check(
                "participant", "passed", f"{issuer} onboards with its LegalParticipant description"
            )
        elif await self.store.participant(issuer) is not None:
            verification.add_check("participant", "passed", f"{issuer} is an onboarded participant")
        else:
            verification.add_check(
                "participant",
                "failed",
                f"issuer {issuer} is not an onboarded participant; publish its "
                "LegalParticipant self-description first",
                issuer,
            )

    async def revoke(self, entry_id: str, body: bytes | str | dict[str, Any]) -> Entry:
        """Revoke an entry with a `CatalogRevocation` signed by its issuer or an admin.

        Raises `NotFound`, `DescriptionRejected` (unsigned or bad proof, with the report),
        `PermissionDenied` (signed by someone else) or `InputError` (names another entry).
        """
        entry = await self.store.get(entry_id)
        document = parse_document(body, self.jsonld_settings)
        types = document.get("type", [])
        types = [types] if isinstance(types, str) else types
        subject = document.get("credentialSubject")
        if REVOCATION_TYPE not in types or not isinstance(subject, dict):
            raise InputError(
                f"a revocation must be a {REVOCATION_TYPE} credential whose credentialSubject "
                "names the entry in `revokes`"
            )
        if subject.get("revokes") != entry_id:
            raise InputError(
                f"this revocation revokes {subject.get('revokes')!r}, not entry {entry_id!r}"
            )
        if not document.get("proof"):
            report = {
                "valid": False,
                "checks": [
                    {
                        "name": "proof",
                        "status": "failed",
                        "reason": "the revocation is not signed",
                        "subject": None,
                    }
                ],
            }
            raise DescriptionRejected("revocation refused: it is not signed", report)
        verification = await self.verifier.verify(document, purpose="revocation")
        if not verification.valid:
            reasons = "; ".join(
                f"{c.get('name')}: {c.get('reason')}" for c in verification.failures()
            )
            raise DescriptionRejected(f"revocation refused: {reasons}", verification.report)
        signer = verification.issuer or ""
        if signer != entry.issuer and signer not in self.options.admin_dids:
            raise PermissionDenied(
                f"revocation refused: it is signed by {signer or 'an unknown issuer'}, "
                f"but only the issuer {entry.issuer} or a catalog admin may revoke this entry"
            )
        for proof in _proofs(document):
            method = str(proof.get("verificationMethod", ""))
            if method.split("#", 1)[0] != signer:
                raise PermissionDenied(
                    f"revocation refused: proof key {method} does not belong to {signer}"
                )
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        return await self.store.revoke(
            entry_id, text if isinstance(text, str) else json.dumps(text)
        )


def _proofs(document: dict[str, Any]) -> list[dict[str, Any]]:
    proof = document.get("proof")
    proofs = proof if isinstance(proof, list) else [proof]
    return [p for p in proofs if isinstance(p, dict)]
