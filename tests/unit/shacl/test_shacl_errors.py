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
    with pytest.raises(JsonLdError, match="could not be processed"):
        validate_shapes({"@context": {"@version": 2.5}, "x": 1}, "hinterland")


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
