"""JSON-LD processing with an offline document loader, input limits and RDFC-1.0.

Public API (stable; other packages build on it):

- `BUNDLED_CONTEXTS`: context URL -> bundled file name
- `DocumentLoader(settings)`: a pyld document loader serving bundled contexts and refusing
  any other remote context unless allow-listed
- `canonicalize(document, loader=...)`: RDFC-1.0 canonical N-Quads of a JSON-LD document
"""

from hinterland.jsonld.canon import canonicalize
from hinterland.jsonld.loader import BUNDLED_CONTEXTS, DocumentLoader, default_loader

__all__ = ["BUNDLED_CONTEXTS", "DocumentLoader", "canonicalize", "default_loader"]
