"""Terms that JSON-LD expansion would silently drop.

A key that is not a keyword, not an absolute IRI and not defined by the active context
(and not covered by `@vocab`) disappears during expansion: it is in the JSON a person
reads but not in the signed RDF. Signing or verifying such a document would make
unsigned data look signed, so callers reject it.
"""

from __future__ import annotations

from hinterland.errors import DroppedTermError
from hinterland.jsonld.fastrdf import direct_quads
from hinterland.jsonld.loader import DocumentLoader
from hinterland.jsonld.processing import Document, expand_tracking


def find_dropped_terms(document: Document, loader: DocumentLoader | None = None) -> list[str]:
    """Every key expansion would drop, as sorted dotted paths (e.g. `credentialSubject.foo`).

    Context handling is pyld's own (through the direct walk of `fastrdf`, or pyld's
    expansion where the walk defers), so scoped, nested and type-scoped contexts,
    `@vocab`, `@nest` and `@json` values are handled exactly as when signing. Array
    indices are not part of the path. Raises `JsonLdError` if the document cannot be
    expanded.
    """
    direct = direct_quads(document, loader)
    if direct is not None:
        return direct[1]
    _, dropped = expand_tracking(document, loader)
    return sorted(dropped)


def ensure_no_dropped_terms(document: Document, loader: DocumentLoader | None = None) -> None:
    """Raise `DroppedTermError` (carrying the paths) if expansion would drop any key."""
    dropped = find_dropped_terms(document, loader)
    if dropped:
        raise DroppedTermError(
            "terms not defined by the document's contexts would be dropped (and so not "
            f"signed): {', '.join(dropped)}",
            dropped,
        )
