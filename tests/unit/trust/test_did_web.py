"""did:web names, URLs and documents; offline resolution from documents and a trust dir."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hinterland.did import DidResolver, did_web_document, did_web_from_domain, did_web_url
from hinterland.errors import DidResolutionError, InputError
from hinterland.keys import PrivateKey


@pytest.mark.parametrize(
    ("domain", "did", "url"),
    [
        ("acme.example", "did:web:acme.example", "https://acme.example/.well-known/did.json"),
        ("acme.example:8443/x", "did:web:acme.example%3A8443:x",
         "https://acme.example:8443/x/did.json"),
        ("Acme.Example/users/alice", "did:web:acme.example:users:alice",
         "https://acme.example/users/alice/did.json"),
    ],
)
def test_domain_did_and_url(domain: str, did: str, url: str) -> None:
    assert did_web_from_domain(domain) == did
    assert did_web_url(did) == url


@pytest.mark.parametrize("domain", ["https://acme.example", "acme.example:99999", "a b", ""])
def test_bad_domains_are_refused(domain: str) -> None:
    with pytest.raises(InputError):
        did_web_from_domain(domain)


def test_document_lists_the_key_for_assertion_and_authentication() -> None:
    key = PrivateKey.generate("p256").public()
    document = did_web_document("did:web:acme.example", key, key_format="Multikey")
    [vm] = document["verificationMethod"]
    assert vm["id"] == "did:web:acme.example#key-1"
    assert vm["publicKeyMultibase"] == key.to_multibase()
    assert document["assertionMethod"] == document["authentication"] == [vm["id"]]


async def test_trust_dir_and_explicit_documents_resolve_offline(tmp_path: Path) -> None:
    key = PrivateKey.generate().public()
    (tmp_path / "acme").mkdir()
    document = did_web_document("did:web:acme.example", key)
    (tmp_path / "acme" / "did.json").write_text(json.dumps(document))
    resolver = DidResolver(trust_dir=tmp_path, network=False)
    method = await resolver.resolve_verification_method("did:web:acme.example#key-1")
    assert method["publicKeyJwk"] == key.to_jwk()
    with pytest.raises(DidResolutionError, match="no verification method"):
        await resolver.resolve_verification_method("did:web:acme.example#key-2")
    with pytest.raises(DidResolutionError, match="offline"):
        await resolver.resolve("did:web:other.example")
    with pytest.raises(DidResolutionError, match="not supported"):
        await resolver.resolve("did:example:123")


def test_explicit_document_must_match_its_did() -> None:
    document = did_web_document("did:web:acme.example", PrivateKey.generate().public())
    with pytest.raises(DidResolutionError, match="does not match"):
        DidResolver(documents={"did:web:evil.example": document})
