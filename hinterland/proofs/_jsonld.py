"""The JSON-LD services proofs and verification need, from `hinterland.jsonld`.

Until the trust-jsonld branch lands `find_dropped_terms` and `check_limits`, a plain
pyld-based version stands in (same names and behaviour, no caching).
"""

from __future__ import annotations

from typing import Any

try:
    from hinterland.jsonld import check_limits, find_dropped_terms  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - replaced by the trust-jsonld merge
    import json

    from pyld import jsonld

    from hinterland.errors import LimitExceeded
    from hinterland.jsonld import DocumentLoader, default_loader
    from hinterland.settings import JsonLdSettings

    def find_dropped_terms(
        document: Any, loader: DocumentLoader | None = None
    ) -> list[str]:
        dropped: list[str] = []

        def _on_drop(term: str | None) -> None:
            if term:
                dropped.append(term)

        processor = jsonld.JsonLdProcessor(on_property_dropped=_on_drop)
        processor.expand(document, {"documentLoader": loader or default_loader()})
        return sorted(set(dropped))

    def check_limits(
        document_or_bytes: Any, settings: JsonLdSettings | None = None
    ) -> None:
        limits = settings or JsonLdSettings()
        data = (
            document_or_bytes
            if isinstance(document_or_bytes, bytes | str)
            else json.dumps(document_or_bytes)
        )
        if len(data) > limits.max_document_bytes:
            raise LimitExceeded(
                f"document of {len(data)} bytes exceeds the limit of "
                f"{limits.max_document_bytes}"
            )

__all__ = ["check_limits", "find_dropped_terms"]
