"""IRIs of the Hinterland vocabulary (docs/vocabulary.md), for code that reads claims.

The JSON-LD context is `CONTEXT` (bundled, served offline); the SHACL shapes are the
``"hinterland"`` set of `hinterland.shacl.validate_shapes`.
"""

from __future__ import annotations

from typing import Final

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
