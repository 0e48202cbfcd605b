"""Claim extraction, tokenizing and language choice of the catalog (pure functions)."""

from __future__ import annotations

from typing import Any

import pytest

from catalog.claims import extract_claims, local_name, normalize_format
from catalog.text import fts5_query, index_text, query_tokens, tsquery
from catalog.web.i18n import choose_language
from hinterland.jsonld import default_loader, expand
from hinterland.jsonld.fastrdf import direct_quads
from hinterland.jsonld.nodes import nested_nodes

GX = "https://registry.lab.gaia-x.eu/development/api/trusted-shape-registry/v1/shapes/jsonld/trustframework#"


def claims_of(document: dict[str, Any]) -> Any:
    """Claims through pyld's expansion; the quads of the direct walk, nested, must give the
    very same claims (that is what ingest reads)."""
    claims = extract_claims(expand(document, default_loader()))
    walked = direct_quads(document, default_loader())
    nested = nested_nodes(walked[0]) if walked is not None else None
    if nested is not None:
        assert extract_claims(nested) == claims
    return claims


def test_gaia_x_participant_claims_come_from_nested_addresses() -> None:
    claims = claims_of(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2", GX],
            "type": ["VerifiableCredential"],
            "issuer": "did:web:acme.example",
            "validFrom": "2026-01-01T00:00:00Z",
            "validUntil": "2027-01-01T00:00:00+01:00",
            "credentialSubject": {
                "id": "did:web:acme.example",
                "type": "gx:LegalParticipant",
                "gx:legalName": "ACME GmbH",
                "gx:headquarterAddress": {"gx:countrySubdivisionCode": "de-sn"},
            },
        }
    )
    assert claims.issuer == "did:web:acme.example"
    assert claims.subject_id == "did:web:acme.example"
    assert claims.types == ["LegalParticipant"]
    assert claims.name == "ACME GmbH"
    assert claims.get("region") == ["DE-SN"] and claims.get("country") == ["DE"]
    assert claims.valid_until is not None and claims.valid_until.isoformat() == (
        "2026-12-31T23:00:00+00:00"
    )


def test_hinterland_need_and_presentation() -> None:
    vc = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://w3id.org/hinterland/v1"],
        "type": ["VerifiableCredential"],
        "issuer": "did:web:buyer.example",
        "credentialSubject": {
            "id": "https://buyer.example/needs/1",
            "type": "Need",
            "name": "Brackets",
            "seeks": "PrintService",
            "material": "PA12",
            "format": "3MF",
            "region": "AT",
            "keyword": ["bracket", "series, small"],
            "quantity": 40,
        },
    }
    vp = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [vc],
    }
    for document in (vc, vp):
        claims = claims_of(document)
        assert claims.types == ["Need"]
        assert claims.get("sought") == ["PrintService"]
        assert claims.get("country") == ["AT"] and claims.get("region") == ["AT"]
        assert claims.get("keyword") == ["bracket", "series", "small"]
        assert claims.get("quantity") == ["40"]
        assert "Brackets" in claims.search_text() and "PA12" in claims.search_text()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("model/stl", "STL"),
        ("application/vnd.ms-package.3dmanufacturing-3dmodel+xml", "3MF"),
        (".3mf", "3MF"),
        ("text/csv", "CSV"),
        ("application/json", "JSON"),
        ("STEP", "STEP"),
        ("application/x-gcode", "GCODE"),
    ],
)
def test_formats_are_normalized(raw: str, expected: str) -> None:
    assert normalize_format(raw) == expected


def test_local_names() -> None:
    assert local_name("https://w3id.org/gaia-x/development#countryCode") == "countryCode"
    assert local_name("https://schema.org/name") == "name"
    assert local_name("urn:x:y") == "y"


def test_tokens_fold_case_and_diacritics_and_cannot_inject_syntax() -> None:
    assert index_text("Düsseldorf, PA12-Teile!") == "dusseldorf pa12 teile"
    words = query_tokens('pa12 "OR" NEAR(x) * -sn')
    assert words == ["pa12", "or", "near", "x", "sn"]
    assert fts5_query(words[:2]) == '"pa12"* AND "or"*'
    assert tsquery(words[:2]) == "pa12:* & or:*"
    assert len(query_tokens("a " * 100)) == 16


@pytest.mark.parametrize(
    ("header", "override", "expected"),
    [
        (None, None, "en"),
        ("de-DE,de;q=0.9,en;q=0.8", None, "de"),
        ("en-US,de;q=0.5", None, "en"),
        ("fr-FR, de;q=0.3", None, "de"),
        ("fr", None, "en"),
        ("de;q=0.2, en;q=0.9", None, "en"),
        ("de", "en", "en"),
        ("en", "de", "de"),
        ("de;q=abc", None, "en"),
    ],
)
def test_language_choice(header: str | None, override: str | None, expected: str) -> None:
    assert choose_language(header, override) == expected
