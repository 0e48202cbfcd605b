"""Canonical N-Quads of JSON-LD documents: W3C vc-di-eddsa vectors, agreement with pyld's
URDNA2015 where pyld is right, canonical escaping where it is not, and limits."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld

from hinterland.errors import DroppedTermError, LimitExceeded
from hinterland.jsonld import DocumentLoader, canonicalize, default_loader
from hinterland.settings import JsonLdSettings

EDDSA = Path(__file__).parents[2] / "vectors" / "vc-di-eddsa"
V2 = "https://www.w3.org/ns/credentials/v2"


def load(name: str) -> Any:
    return json.loads((EDDSA / name).read_text("utf-8"))


def test_vc_di_eddsa_document_canonical_form() -> None:
    expected = (EDDSA / "canonDocDataInt.txt").read_text("utf-8")
    assert canonicalize(load("unsigned.json")) == expected


def test_vc_di_eddsa_proof_configuration_canonical_form() -> None:
    expected = (EDDSA / "proofCanonDataInt.txt").read_text("utf-8")
    assert canonicalize(load("proofConfigDataInt.json")) == expected


def reference(document: Any) -> str:
    """Stock pyld, for documents without control characters (where pyld is correct)."""
    result = jsonld.normalize(
        document,
        {
            "algorithm": "URDNA2015",
            "format": "application/n-quads",
            "documentLoader": default_loader(),
        },
    )
    assert isinstance(result, str)
    return result


DOCUMENTS: list[Any] = [
    load("signedDataInt.json"),
    {
        "@context": [V2, {"@vocab": "https://example.org/v#", "tags": {"@container": "@list"}}],
        "type": ["VerifiableCredential", "Thing"],
        "issuer": {"id": "did:example:issuer", "name": "Issuer"},
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": [
            {"weight": 2.5, "count": 3, "ok": True, "tags": ["a", "b", {"x": 1}]},
            {"label": {"@value": "Haus", "@language": "de"}, "same": {"nested": {"deep": 1}}},
            {"label": {"@value": "House", "@language": "en"}, "same": {"nested": {"deep": 1}}},
        ],
    },
    {
        "@context": {"@vocab": "https://example.org/v#", "payload": {"@type": "@json"}},
        "@id": "https://example.org/a",
        "payload": {"b": [1, 2.0, "x"], "a": None},
        "knows": {"@id": "_:n1", "knows": {"@id": "_:n2", "knows": {"@id": "_:n1"}}},
        "@reverse": {"parent": {"@id": "https://example.org/child"}},
        "@included": [{"@id": "https://example.org/other", "name": "other"}],
    },
    {
        "@context": {"@vocab": "https://example.org/v#"},
        "@graph": [
            {"@id": "_:g", "@graph": {"@id": "https://example.org/in-graph", "p": "v"}},
            {"@id": "_:x", "p": {"@id": "_:y"}},
            {"@id": "_:y", "p": {"@id": "_:x"}},
        ],
    },
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_agrees_with_pyld_urdna2015(document: Any) -> None:
    assert canonicalize(document) == reference(document)


def test_control_characters_are_escaped_canonically() -> None:
    document = {
        "@context": {"@vocab": "https://example.org/v#"},
        "@id": "https://example.org/a",
        "text": 'bell\u0007 tab\t nl\n del\u007f quote" backslash\\ \u00e9',
    }
    assert canonicalize(document) == (
        "<https://example.org/a> <https://example.org/v#text> "
        '"bell\\u0007 tab\\t nl\\n del\\u007F quote\\" backslash\\\\ \u00e9" .\n'
    )


def test_dropped_terms_can_be_rejected_in_the_same_pass() -> None:
    document = {"@context": [V2], "type": "VerifiableCredential", "colour": "red"}
    assert "colour" not in canonicalize(document)
    with pytest.raises(DroppedTermError) as caught:
        canonicalize(document, reject_dropped_terms=True)
    assert caught.value.terms == ["colour"]


def clique(size: int) -> dict[str, Any]:
    nodes = [
        {"@id": f"_:n{i}", "https://example.org/p": [{"@id": f"_:n{j}"} for j in range(size)]}
        for i in range(size)
    ]
    return {"@graph": nodes}


def test_poisoned_document_is_rejected_within_a_second() -> None:
    started = time.monotonic()
    with pytest.raises(LimitExceeded, match="poison"):
        canonicalize(clique(10))
    assert time.monotonic() - started < 1.0


def test_time_budget_comes_from_the_loader_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from hinterland.jsonld import rdfc

    monkeypatch.setattr(rdfc, "WORK_PER_BLANK_NODE", 10**9)
    loader = DocumentLoader(JsonLdSettings(canonicalization_seconds=0.1))
    started = time.monotonic()
    with pytest.raises(LimitExceeded, match=r"within 0\.1 s"):
        canonicalize(clique(10), loader)
    assert time.monotonic() - started < 0.4


def test_blank_node_limit_applies_to_documents() -> None:
    loader = DocumentLoader(JsonLdSettings(max_blank_nodes=5))
    document = {"@graph": [{"https://example.org/p": i} for i in range(6)]}
    with pytest.raises(LimitExceeded, match="6 blank nodes"):
        canonicalize(document, loader)
