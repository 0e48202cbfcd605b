"""The catalog signs with a verification method its DID document really lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog.credentials import KernelSigner
from hinterland.did import DidResolver, did_key_from_public_key
from hinterland.errors import ConfigurationError
from hinterland.keys import PrivateKey
from hinterland.verify import VerifyOptions, verify_document


async def test_a_configured_did_key_signs_with_its_own_method(tmp_path: Path) -> None:
    key = PrivateKey.generate()
    key.save(tmp_path / "k.json")
    did = did_key_from_public_key(key.public())
    signer = KernelSigner.from_settings(tmp_path / "k.json", did, tmp_path)
    signed = signer.sign({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": did,
        "credentialSubject": {"id": "did:example:member"},
    })
    report = await verify_document(signed, resolver=DidResolver(network=False),
                                   options=VerifyOptions())
    assert report.valid, [c.reason for c in report.failures()]


def test_a_did_key_of_another_key_is_refused(tmp_path: Path) -> None:
    PrivateKey.generate().save(tmp_path / "k.json")
    other = did_key_from_public_key(PrivateKey.generate().public())
    with pytest.raises(ConfigurationError, match="is not the did:key of the catalog key"):
        KernelSigner.from_settings(tmp_path / "k.json", other, tmp_path)
