"""The things the tool-maker offers in the demo: a bracket to print and PCF records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from stl import mesh as stl_mesh

# A closed mounting plate of 60 x 40 x 5 mm: 8 corners, 12 outward-facing triangles.
_CORNERS = np.array(
    [[0, 0, 0], [60, 0, 0], [60, 40, 0], [0, 40, 0],
     [0, 0, 5], [60, 0, 5], [60, 40, 5], [0, 40, 5]],
    dtype=np.float32,
)
_FACES = np.array(
    [[0, 3, 2], [0, 2, 1], [4, 5, 6], [4, 6, 7], [0, 1, 5], [0, 5, 4],
     [1, 2, 6], [1, 6, 5], [2, 3, 7], [2, 7, 6], [3, 0, 4], [3, 4, 7]]
)


def write_bracket(path: Path) -> Path:
    """Write the bracket as a binary STL file."""
    plate = stl_mesh.Mesh(np.zeros(len(_FACES), dtype=stl_mesh.Mesh.dtype))
    plate.vectors[:] = _CORNERS[_FACES]
    plate.save(str(path))
    return path


def carbon_footprint() -> dict[str, Any]:
    """One product carbon footprint record of the bracket (per piece, 2025)."""
    return {
        "id": "pcf-bracket-2025",
        "productId": "bracket-60x40",
        "productName": "Mounting bracket 60x40",
        "companyName": "Werkzeugbau Bielefeld GmbH",
        "declaredUnit": "piece",
        "unitaryProductAmount": 1,
        "pcfExcludingBiogenic": 2.41,
        "referencePeriodStart": "2025-01-01T00:00:00Z",
        "referencePeriodEnd": "2025-12-31T23:59:59Z",
        "geography": "DE",
    }
