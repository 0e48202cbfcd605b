"""SHACL conformance of self-descriptions against bundled shapes (Gaia-X 22.10, 25.11 and
Hinterland's own vocabulary).

Public API (stable; other packages build on it):

- `validate_shapes(document, shapes, loader=...) -> ShaclResult`: validate the claims
  (credential subjects) of a JSON-LD VP, VC or plain description
- `validate_graph(graph, shapes) -> ShaclResult`: the same for an rdflib data graph
- `data_graph(document, loader=...)`: the data graph `validate_shapes` builds;
  `shacl_data(document)` the same with its notes, to validate against several shapes sets
  (`validate_shapes(document, shapes, data=...)`)
- `ShaclResult` (`.conforms`, `.violations`, `.to_dict()`), `ShaclViolation`
  (`focus`, `path`, `severity`, `message`, ...)
- `ShapesName`, `SHAPES_NAMES`, `preload(names)`: parse shapes sets ahead of the first call

Only the shapes whose targets occur in the data run, on a shapes graph parsed once per
process; the result equals plain pyshacl (docs/adr/shacl-0001-shape-selection.md).
"""

from hinterland.shacl.data import ShaclData, data_graph, shacl_data
from hinterland.shacl.model import ShaclResult, ShaclViolation
from hinterland.shacl.shapes import SHAPES_NAMES, ShapesName, preload
from hinterland.shacl.validate import naive_validate_graph, validate_graph, validate_shapes

__all__ = [
    "SHAPES_NAMES",
    "ShaclData",
    "ShaclResult",
    "ShaclViolation",
    "ShapesName",
    "data_graph",
    "naive_validate_graph",
    "preload",
    "shacl_data",
    "validate_graph",
    "validate_shapes",
]
