"""Bad input to SHACL validation gets a clear error or note, never a crash."""

from __future__ import annotations

from typing import Any

import pytest

from hinterland.errors import ConfigurationError, InputError, JsonLdError, RemoteContextRefused
from hinterland.shacl import validate_shapes


def test_unbundled_context_is_refused_by_name() -> None:
    document = {
        "@context": ["https://www.w3.org/2018/credentials/v1", "https://example.org/unknown/v1"],
        "type": "VerifiableCredential",
        "credentialSubject": {"id": "urn:x", "name": "x"},
    }
    with pytest.raises(RemoteContextRefused) as caught:
        validate_shapes(document, "gaia-x-22.10")
    assert "https://example.org/unknown/v1" in str(caught.value)
    assert "not bundled" in str(caught.value)


def test_unknown_shapes_set() -> None:
    with pytest.raises(ConfigurationError, match="unknown shapes set 'gaia-x-99'"):
        validate_shapes({"@context": {}}, "gaia-x-99")  # type: ignore[arg-type]


def test_not_an_object() -> None:
    with pytest.raises(InputError, match="JSON object"):
        validate_shapes(["not", "a", "document"], "hinterland")  # type: ignore[arg-type]


def test_broken_json_ld_is_a_json_ld_error() -> None:
    with pytest.raises(JsonLdError, match="could not read the JSON-LD document"):
        validate_shapes({"@context": {"@version": 2.5}, "x": 1}, "hinterland")
    with pytest.raises(JsonLdError, match="could not read the JSON-LD document"):
        validate_shapes({"@context": 5, "x": 1}, "hinterland")


def test_credentials_that_cannot_be_read_are_noted() -> None:
    presentation: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://w3id.org/hinterland/v1"],
        "type": "VerifiablePresentation",
        "verifiableCredential": [
            "eyJhbGciOiJFZERTQSJ9.e30.c2ln",
            {
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": "VerifiableCredential",
                "credentialSubject": {"id": "urn:need", "type": "Need", "name": "n"},
            },
        ],
    }
    result = validate_shapes(presentation, "hinterland")
    assert any("credential #1" in note and "JWT" in note for note in result.notes)
    # The embedded credential's Need is validated (it lacks `seeks`).
    assert not result.conforms
    assert result.violations[0].path == "https://w3id.org/hinterland/v1#seeks"


def test_documents_over_the_limits_are_refused() -> None:
    from hinterland.errors import LimitExceeded
    from hinterland.jsonld import DocumentLoader
    from hinterland.settings import JsonLdSettings

    deep: dict[str, Any] = {"@context": "https://w3id.org/hinterland/v1", "type": "Need"}
    node = deep
    for _ in range(40):
        node["keyword"] = {"x": {}}
        node = node["keyword"]["x"]
    loader = DocumentLoader(JsonLdSettings(max_depth=16))
    with pytest.raises(LimitExceeded, match=r"deep|depth"):
        validate_shapes(deep, "hinterland", loader=loader)


def test_self_referencing_participant_terminates() -> None:
    # LegalParticipantShape checks gx:parentOrganization with itself (sh:node): a
    # participant that is its own parent must not recurse forever.
    import json
    from pathlib import Path

    fixtures = Path(__file__).parents[2] / "vectors/gaia-x/compliance-22.10-fixtures"
    path = fixtures / "participant-vp.json"
    document = json.loads(path.read_text("utf-8"))
    subject = document["verifiableCredential"][1]["credentialSubject"]
    subject["gx:parentOrganization"] = {"id": subject["id"]}
    with pytest.warns(Warning, match="Recursive Shape"):
        result = validate_shapes(document, "gaia-x-22.10")
    assert result.conforms
