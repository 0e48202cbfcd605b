"""Every bundled context loads offline and processes, and defines the terms we rely on."""

from __future__ import annotations

from typing import Any

import pytest

from hinterland.jsonld import BUNDLED_CONTEXTS, DocumentLoader, expand, find_dropped_terms


@pytest.mark.parametrize("url", sorted(BUNDLED_CONTEXTS))
def test_bundled_context_processes(url: str) -> None:
    loader = DocumentLoader()
    remote = loader(url, {})
    assert remote["documentUrl"] == url
    assert "@context" in remote["document"]
    # processing the context (and any context it imports) must work offline
    assert expand({"@context": url, "@id": "https://example.org/x"}, loader) == []


@pytest.mark.parametrize(
    ("context", "document", "expected_iri"),
    [
        (
            ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            {"verificationMethod": {"type": "Multikey", "publicKeyMultibase": "z6Mk"}},
            "https://w3id.org/security#publicKeyMultibase",
        ),
        (
            ["https://www.w3.org/ns/credentials/v2", "https://w3id.org/security/data-integrity/v2"],
            {"proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022"}},
            "https://w3id.org/security#cryptosuite",
        ),
        (
            [
                "https://www.w3.org/2018/credentials/v1",
                "https://w3id.org/security/suites/jws-2020/v1",
            ],
            {"proof": {"type": "JsonWebSignature2020", "jws": "x..y"}},
            "https://w3id.org/security#jws",
        ),
        (
            ["https://w3id.org/security/v2"],
            {"publicKeyBase58": "abc", "proofPurpose": "assertionMethod"},
            "https://w3id.org/security#publicKeyBase58",
        ),
        (
            ["https://www.w3.org/ns/odrl.jsonld"],
            {"type": "Offer", "permission": {"action": "use"}},
            "http://www.w3.org/ns/odrl/2/permission",
        ),
    ],
)
def test_contexts_define_their_terms(
    context: list[str], document: dict[str, Any], expected_iri: str
) -> None:
    doc = {"@context": context, "@id": "https://example.org/x", **document}
    assert find_dropped_terms(doc) == []
    assert expected_iri in repr(expand(doc))


def test_dsp_context_imports_its_odrl_profile_offline() -> None:
    doc = {
        "@context": "https://w3id.org/dspace/2025/1/context.jsonld",
        "@type": "ContractRequestMessage",
        "consumerPid": "urn:uuid:1",
        "offer": {"@id": "urn:uuid:offer", "@type": "Offer", "target": "urn:uuid:asset"},
    }
    assert find_dropped_terms(doc) == []
    assert "http://www.w3.org/ns/odrl/2/target" in repr(expand(doc))


def test_cached_contexts_are_not_changed_by_import_processing() -> None:
    # pyld merges an importing context into the imported one in place; with contexts
    # cached across calls that used to corrupt the DSP ODRL profile for later documents.
    loader = DocumentLoader()
    message = {
        "@context": "https://w3id.org/dspace/2025/1/context.jsonld",
        "@type": "ContractRequestMessage",
        "consumerPid": "urn:uuid:1",
    }
    profile_doc = {
        "@context": "https://w3id.org/dspace/2025/1/odrl-profile.jsonld",
        "@id": "urn:uuid:p",
        "target": "urn:uuid:asset",
    }
    first = expand(message, loader)
    profile_first = expand(profile_doc, loader)
    assert expand(message, loader) == first
    assert expand(profile_doc, loader) == profile_first
    assert "consumerPid" not in repr(loader("https://w3id.org/dspace/2025/1/odrl-profile.jsonld"))
