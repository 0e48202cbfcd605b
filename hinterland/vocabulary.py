"""IRIs of the Hinterland vocabulary (docs/vocabulary.md), for code that reads claims.

The JSON-LD context is `CONTEXT` (bundled, served offline); the SHACL shapes are the
``"hinterland"`` set of `hinterland.shacl.validate_shapes`.
"""

from __future__ import annotations

from typing import Any, Final

CONTEXT: Final = "https://w3id.org/hinterland/v1"
NS: Final = "https://w3id.org/hinterland/v1#"
SCHEMA: Final = "https://schema.org/"

# classes
NEED: Final = NS + "Need"
PRINT_FILE: Final = NS + "PrintFile"
PRINT_SERVICE: Final = NS + "PrintService"
DATA_RESOURCE: Final = NS + "DataResource"
BOUNDING_BOX: Final = NS + "BoundingBox"
CARBON_FOOTPRINT: Final = NS + "CarbonFootprint"

# properties
NAME: Final = SCHEMA + "name"
DESCRIPTION: Final = SCHEMA + "description"
KEYWORD: Final = NS + "keyword"
SEEKS: Final = NS + "seeks"
MATERIAL: Final = NS + "material"
PROCESS: Final = NS + "process"
FORMAT: Final = NS + "format"
REGION: Final = NS + "region"
QUANTITY: Final = NS + "quantity"
DEADLINE: Final = NS + "deadline"
OFFERED_BY: Final = NS + "offeredBy"
BOUNDING_BOX_PROPERTY: Final = NS + "boundingBox"
X: Final = NS + "x"
Y: Final = NS + "y"
Z: Final = NS + "z"
VOLUME: Final = NS + "volume"
TRIANGLE_COUNT: Final = NS + "triangleCount"
WATERTIGHT: Final = NS + "watertight"
CARBON_FOOTPRINT_PROPERTY: Final = NS + "carbonFootprint"
CO2E: Final = NS + "co2e"
DECLARED_UNIT: Final = NS + "declaredUnit"
METHODOLOGY: Final = NS + "methodology"
PRODUCT: Final = NS + "product"

OFFER_CLASSES: Final = frozenset({PRINT_FILE, PRINT_SERVICE, DATA_RESOURCE})


# The credentials a catalog issues and accepts (compliance, membership, revocation). Both
# the catalog and the connectors that publish to it speak these terms, so they live here.
CREDENTIALS_V2: Final = "https://www.w3.org/ns/credentials/v2"
CATALOG_ENTRY_URN: Final = "urn:hinterland:catalog:entry:"
CATALOG_CONTEXT: Final[dict[str, Any]] = {
    "hl": NS,
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


def catalog_context() -> list[Any]:
    """The inline `@context` of catalog credentials (nothing depends on a remote fetch).

    The context object is shared, not copied: JSON-LD processing then recognises it and
    reuses its processed form (a copy cost a full context processing per credential).
    Treat it as read-only.
    """
    return [CREDENTIALS_V2, CATALOG_CONTEXT]


def catalog_entry_iri(entry_id: str) -> str:
    """The IRI naming a catalog entry (stable across replicas and base URLs)."""
    return CATALOG_ENTRY_URN + entry_id
