"""The terms of the credentials the catalog issues and accepts (compliance, membership,
revocation), as an inline JSON-LD context so nothing depends on a remote fetch."""

from __future__ import annotations

from typing import Any

VC2 = "https://www.w3.org/ns/credentials/v2"
HL = "https://w3id.org/hinterland/v1#"
ENTRY_URN = "urn:hinterland:catalog:entry:"

CATALOG_CONTEXT: dict[str, Any] = {
    "hl": HL,
    "CatalogComplianceCredential": "hl:CatalogComplianceCredential",
    "MembershipCredential": "hl:MembershipCredential",
    "CatalogRevocation": "hl:CatalogRevocation",
    "CatalogEntry": "hl:CatalogEntry",
    "CatalogMember": "hl:CatalogMember",
    "entryId": "hl:entryId",
    "canonicalSha256": "hl:canonicalSha256",
    "shapesVersion": "hl:shapesVersion",
    "describedBy": {"@id": "hl:describedBy", "@type": "@id"},
    "memberOf": {"@id": "hl:memberOf", "@type": "@id"},
    "onboardedBy": {"@id": "hl:onboardedBy", "@type": "@id"},
    "spatial": "http://www.w3.org/ns/odrl/2/spatial",
    "revokes": "hl:revokes",
    "revocationReason": "hl:revocationReason",
}


def context() -> list[Any]:
    """The `@context` of every credential the catalog issues or expects for revocations."""
    return [VC2, dict(CATALOG_CONTEXT)]


def entry_iri(entry_id: str) -> str:
    """The IRI naming a catalog entry (stable across replicas and base URLs)."""
    return ENTRY_URN + entry_id
