"""A document loader for the DIF vectors: bundled contexts plus the Presentation Exchange
submission context (tests/vectors/jws-2020/, reconstructed: the signatures of the four
presentation-2 vectors verify with it, which they could not with a different context)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hinterland.jsonld import DocumentLoader
from hinterland.jsonld.loader import _Lru

PE_SUBMISSION = "https://identity.foundation/presentation-exchange/submission/v1"
_FILE = Path(__file__).resolve().parents[2] / "vectors" / "jws-2020" / (
    "presentation-exchange-submission-v1.jsonld"
)


class VectorLoader(DocumentLoader):
    """Serves one extra context; keeps its own resolved-context cache so the shared one
    never learns a context the production loader would refuse."""

    def __init__(self) -> None:
        super().__init__()
        self._resolved = _Lru(50)
        self._extra = json.loads(_FILE.read_text("utf-8"))

    def __call__(self, url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        if url == PE_SUBMISSION:
            return {"contextUrl": None, "documentUrl": url, "document": self._extra}
        return super().__call__(url, options)
