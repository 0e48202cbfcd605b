"""JSON-LD processing with an offline document loader, input limits and RDFC-1.0.

Public API (stable; other packages build on it):

- `BUNDLED_CONTEXTS`: context URL -> bundled file name
- `DocumentLoader(settings)`: a pyld document loader serving bundled contexts and refusing
  any other remote context unless allow-listed
- `check_limits(document_or_bytes, settings)` / `parse_json(data, settings)`: size and
  depth limits (`LimitExceeded`)
- `find_dropped_terms(document, loader)` / `ensure_no_dropped_terms(...)`: keys expansion
  would drop (`DroppedTermError`)
- `expand(document, loader)`: expanded JSON-LD, contexts cached
- `canonicalize(document, loader=...)`: RDFC-1.0 canonical N-Quads of a JSON-LD document
  (bounded: `LimitExceeded` for too many blank nodes, too much work or time;
  `reject_dropped_terms=True` also raises `DroppedTermError` in the same pass)
- `canonicalize_nquads(text)`, `canonical_issuer_map(text)`: RDFC-1.0 of N-Quads datasets
"""

from hinterland.jsonld.canon import (
    canonical_issuer_map,
    canonicalize,
    canonicalize_dataset,
    canonicalize_nquads,
    to_quads,
)
from hinterland.jsonld.dropped import ensure_no_dropped_terms, find_dropped_terms
from hinterland.jsonld.limits import check_limits, parse_json
from hinterland.jsonld.loader import (
    BUNDLED_CONTEXTS,
    DocumentLoader,
    clear_remote_cache,
    default_loader,
)
from hinterland.jsonld.processing import expand

__all__ = [
    "BUNDLED_CONTEXTS",
    "DocumentLoader",
    "canonical_issuer_map",
    "canonicalize",
    "canonicalize_dataset",
    "canonicalize_nquads",
    "check_limits",
    "clear_remote_cache",
    "default_loader",
    "ensure_no_dropped_terms",
    "expand",
    "find_dropped_terms",
    "parse_json",
    "to_quads",
]
