"""RDFC-1.0 canonicalization (URDNA2015 with SHA-256)."""

from __future__ import annotations

from typing import Any

from pyld import jsonld

from hinterland.jsonld.loader import DocumentLoader, default_loader


def canonicalize(document: dict[str, Any] | list[Any], loader: DocumentLoader | None = None) -> str:
    """Return the canonical N-Quads of a JSON-LD document (RDFC-1.0)."""
    loader = loader or default_loader()
    result = jsonld.normalize(
        document,
        {"algorithm": "URDNA2015", "format": "application/n-quads", **loader.options()},
    )
    assert isinstance(result, str)
    return result
