"""Credentials: what we show (our credential service) and what we believe about callers.

*Holder side.* Every connector hosts `POST /presentations/query` (DCP style): an
authenticated caller asks for our credentials (optionally by type in `scope`) and gets a
`PresentationResponseMessage` with one Verifiable Presentation holding them, signed by us
with proof purpose `authentication`.

*Verifier side.* `PresentationClaims` finds the caller's credential service in its DID
document, asks it with our own identity token, verifies the presentation (every
credential's proof, the holder's proof, validity dates, issuers on our trust list) and
turns the credentials about the caller into the claims the policy engine reads:
`membership` (or the `memberOf` of the catalog's MembershipCredential), `participantType`,
`complianceLevel`, `spatial`.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from connector.store.processes import Clock
from connector.transport import HttpTransport
from hinterland.did import DidResolver
from hinterland.errors import DidResolutionError
from hinterland.keys import PrivateKey
from hinterland.proofs import sign_document
from hinterland.verify import VerifyOptions, verify_document

log = logging.getLogger("hinterland.connector.credentials")

VC2 = "https://www.w3.org/ns/credentials/v2"
DCP_CONTEXT = "https://w3id.org/dspace-dcp/v1.0/dcp.jsonld"
HLC = "https://w3id.org/hinterland/credentials#"
CREDENTIALS_CONTEXT: dict[str, Any] = {
    "MembershipCredential": f"{HLC}MembershipCredential",
    "membership": f"{HLC}membership",
    "participantType": f"{HLC}participantType",
    "complianceLevel": f"{HLC}complianceLevel",
    "spatial": f"{HLC}spatial",
}
CLAIM_NAMES = ("membership", "participantType", "complianceLevel", "spatial")
SCOPE_PREFIX = "org.eclipse.dspace.dcp.vc.type:"
MAX_PRESENTATION_BYTES = 1_000_000


def membership_credential(
    issuer_key: PrivateKey, *, issuer: str, holder: str, membership: str,
    extra: Mapping[str, Any] | None = None, valid_from: datetime | None = None,
    valid_until: datetime | None = None, verification_method: str | None = None,
) -> dict[str, Any]:
    """A MembershipCredential (what a data space's catalog or authority issues)."""
    start = (valid_from or datetime.now(UTC)).replace(microsecond=0)
    credential: dict[str, Any] = {
        "@context": [VC2, CREDENTIALS_CONTEXT],
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "MembershipCredential"],
        "issuer": issuer,
        "validFrom": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "credentialSubject": {"id": holder, "membership": membership, **dict(extra or {})},
    }
    if valid_until is not None:
        credential["validUntil"] = valid_until.strftime("%Y-%m-%dT%H:%M:%SZ")
    return sign_document(
        credential, issuer_key, verification_method=verification_method or f"{issuer}#key-1"
    )


def _types(credential: Mapping[str, Any]) -> list[str]:
    value = credential.get("type", [])
    return [value] if isinstance(value, str) else [str(v) for v in value]


def presentation_response(
    key: PrivateKey, holder: str, credentials: Sequence[dict[str, Any]],
    scope: Sequence[str] | None,
) -> dict[str, Any]:
    """Our answer to a presentation query: the wanted credentials in one signed VP."""
    wanted = {s[len(SCOPE_PREFIX):].split(":", 1)[0] for s in scope or []
              if s.startswith(SCOPE_PREFIX)}
    chosen = [c for c in credentials if not wanted or wanted & set(_types(c))]
    presentation: dict[str, Any] = {
        "@context": [VC2],
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiablePresentation"],
        "holder": holder,
    }
    if chosen:
        presentation["verifiableCredential"] = list(chosen)
    signed = sign_document(
        presentation, key, verification_method=f"{holder}#key-1", purpose="authentication"
    )
    return {"@context": [DCP_CONTEXT], "type": "PresentationResponseMessage",
            "presentation": [signed]}


class PresentationClaims:
    """Verified claims of callers, read from their credential services."""

    def __init__(
        self, transport: HttpTransport, resolver: DidResolver, *,
        trusted_issuers: Sequence[str], clock: Clock = time.time,
    ) -> None:
        self.transport = transport
        self.resolver = resolver
        self.trusted = frozenset(trusted_issuers)
        self.clock = clock

    async def claims_for(self, did: str) -> Mapping[str, Any]:
        """Claims proven by `did`'s trusted credentials; empty when it has none we trust."""
        try:
            endpoint = await self._service(did)
        except DidResolutionError as exc:
            log.info("no credential service for %s: %s", did, exc)
            return {}
        if endpoint is None:
            return {}
        try:
            reply = await self.transport.request(
                "POST", endpoint.rstrip("/") + "/presentations/query", did,
                {"@context": [DCP_CONTEXT], "type": "PresentationQueryMessage",
                 "scope": [f"{SCOPE_PREFIX}VerifiableCredential:read"]},
            )
        except Exception as exc:  # an unreachable holder simply proves nothing
            log.info("presentation query to %s failed: %s", did, exc)
            return {}
        if reply.status_code != 200 or len(reply.content) > MAX_PRESENTATION_BYTES:
            return {}
        try:
            body = reply.json()
        except ValueError:
            return {}
        claims: dict[str, Any] = {}
        for presentation in body.get("presentation", []) if isinstance(body, dict) else []:
            claims.update(await self._claims_of(did, presentation))
        return claims

    async def _service(self, did: str) -> str | None:
        document = await self.resolver.resolve(did)
        for service in document.get("service", []) or []:
            if isinstance(service, dict) and service.get("type") == "CredentialService":
                endpoint = service.get("serviceEndpoint")
                if isinstance(endpoint, str):
                    return endpoint
        return None

    async def _claims_of(self, did: str, presentation: Any) -> dict[str, Any]:
        if not isinstance(presentation, dict) or presentation.get("holder") != did:
            return {}
        report = await verify_document(
            presentation, resolver=self.resolver,
            options=VerifyOptions(
                trusted_issuers=self.trusted,
                now=datetime.fromtimestamp(self.clock(), UTC),
            ),
        )
        if not report.valid:
            log.info("presentation of %s refused: %s", did,
                     "; ".join(f"{c.name}: {c.reason}" for c in report.failures()))
            return {}
        claims: dict[str, Any] = {}
        entries = presentation.get("verifiableCredential", [])
        for credential in entries if isinstance(entries, list) else [entries]:
            subject = credential.get("credentialSubject") if isinstance(credential, dict) else None
            if not isinstance(subject, dict) or subject.get("id") != did:
                continue  # a credential about someone else proves nothing about the caller
            for name in CLAIM_NAMES:
                if name in subject:
                    claims[name] = subject[name]
            # the federated catalog's MembershipCredential names the data space it
            # admits to as `memberOf` (its URL)
            if "MembershipCredential" in _types(credential) and "membership" not in subject:
                member_of = subject.get("memberOf")
                if isinstance(member_of, str):
                    claims["membership"] = member_of
        return claims
