"""The processed-context memo: a shared inline context in a fresh list is processed once,
and a different context object is never answered from the memo."""

from __future__ import annotations

from typing import Any

import pytest
from pyld import jsonld

from hinterland.jsonld import DocumentLoader, canonicalize
from hinterland.vocabulary import catalog_context

V2 = "https://www.w3.org/ns/credentials/v2"


def _document(context: list[Any]) -> dict[str, Any]:
    return {
        "@context": context,
        "id": "urn:uuid:0b6c0f43-6a44-4c0e-9a4b-5a0b1f9f5d10",
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {"id": "urn:example:subject", "label": "one"},
    }


@pytest.fixture
def stock_context_processing(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every local context that reaches pyld's own (unmemoized) processing."""
    seen: list[Any] = []
    original = jsonld.JsonLdProcessor._process_context

    def counting(self: Any, active_ctx: Any, local_ctx: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(local_ctx)
        return original(self, active_ctx, local_ctx, *args, **kwargs)

    monkeypatch.setattr(jsonld.JsonLdProcessor, "_process_context", counting)
    return seen


def test_shared_inline_context_in_a_fresh_list_is_processed_once(
    stock_context_processing: list[Any],
) -> None:
    loader = DocumentLoader()
    shared = {"label": "https://example.org/vocab#label"}
    first = canonicalize(_document([V2, shared]), loader)
    stock_context_processing.clear()
    again = canonicalize(_document([V2, shared]), loader)  # a new list, the same object
    assert again == first
    assert not any(isinstance(c, list) and shared in c for c in stock_context_processing)


def test_catalog_credentials_reuse_their_processed_context(
    stock_context_processing: list[Any],
) -> None:
    loader = DocumentLoader()
    canonicalize(_document(catalog_context()), loader)
    stock_context_processing.clear()
    canonicalize(_document(catalog_context()), loader)
    assert stock_context_processing == []


def test_an_equal_looking_but_different_context_object_is_processed_anew() -> None:
    loader = DocumentLoader()
    one = canonicalize(_document([V2, {"label": "https://one.example/label"}]), loader)
    two = canonicalize(_document([V2, {"label": "https://two.example/label"}]), loader)
    assert "<https://one.example/label>" in one
    assert "<https://two.example/label>" in two
    assert "one.example" not in two
