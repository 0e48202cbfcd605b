"""Keys: generation, JWK and Multikey round trips, signing, and safe key files."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from hinterland.did import did_key_document, did_key_from_public_key, public_key_from_did_key
from hinterland.errors import DidResolutionError, KeyMaterialError
from hinterland.keys import PrivateKey, PublicKey, load_private_key
from tests.unit.trust.cli_helpers import EDDSA

TYPES = ["ed25519", "p256", "p384", "secp256k1", "rsa"]


@pytest.mark.parametrize("key_type", TYPES)
def test_sign_verify_and_jwk_round_trip(key_type: str) -> None:
    key = PrivateKey.generate(key_type)  # type: ignore[arg-type]
    signature = key.sign(b"hello")
    public = key.public()
    assert public.verify(signature, b"hello")
    assert not public.verify(signature, b"hellO")
    assert not PrivateKey.generate(key_type).public().verify(signature, b"hello")  # type: ignore[arg-type]
    assert PublicKey.from_jwk(public.to_jwk()) == public
    again = PrivateKey.from_jwk(key.to_jwk())
    assert again.public() == public and "d" in key.to_jwk() and "d" not in public.to_jwk()


@pytest.mark.parametrize("key_type", TYPES)
def test_multikey_round_trip(key_type: str) -> None:
    public = PrivateKey.generate(key_type).public()  # type: ignore[arg-type]
    assert PublicKey.from_multibase(public.to_multibase()) == public


def test_multikey_prefixes_match_the_registry() -> None:
    assert PrivateKey.generate("ed25519").public().to_multibase().startswith("z6Mk")
    assert PrivateKey.generate("p256").public().to_multibase().startswith("zDn")
    assert PrivateKey.generate("p384").public().to_multibase().startswith("z82")


def test_signature_sizes_follow_jose() -> None:
    assert len(PrivateKey.generate("p256").sign(b"x")) == 64
    assert len(PrivateKey.generate("p384").sign(b"x")) == 96
    assert PrivateKey.generate("rsa").jws_algorithm == "PS256"


def test_w3c_key_pair_file_loads() -> None:
    key = load_private_key(EDDSA / "keyPair.json")
    expected = json.loads((EDDSA / "keyPair.json").read_text())["publicKeyMultibase"]
    assert key.public().to_multibase() == expected
    assert key.to_multibase() == json.loads((EDDSA / "keyPair.json").read_text())[
        "privateKeyMultibase"]


def test_mismatched_key_pair_is_refused(tmp_path: Path) -> None:
    pair = json.loads((EDDSA / "keyPair.json").read_text())
    pair["publicKeyMultibase"] = PrivateKey.generate().public().to_multibase()
    path = tmp_path / "pair.json"
    path.write_text(json.dumps(pair))
    with pytest.raises(KeyMaterialError, match="does not match"):
        load_private_key(path)


def test_save_writes_0600_and_refuses_overwrite(tmp_path: Path) -> None:
    key = PrivateKey.generate()
    path = tmp_path / "key.jwk"
    key.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_private_key(path).public() == key.public()
    with pytest.raises(KeyMaterialError, match="refusing to overwrite"):
        PrivateKey.generate().save(path)
    assert load_private_key(path).public() == key.public()


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("not json", "not JSON"),
        ("[]", "JSON object"),
        ('{"kty": "OKP"}', "'d' is missing"),
        ('{"x": 1}', "no private key"),
        ('{"kty": "OKP", "crv": "X448", "x": "AA", "d": "AA"}', "unsupported JWK"),
        ('{"privateKeyMultibase": "Qnotbase58"}', "base58btc"),
    ],
)
def test_bad_key_files_name_the_problem(tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(KeyMaterialError, match=words):
        load_private_key(path)


def test_did_key_round_trip_and_document() -> None:
    public = PrivateKey.generate().public()
    did = did_key_from_public_key(public)
    assert public_key_from_did_key(did) == public
    document = did_key_document(did)
    vm = document["verificationMethod"][0]
    assert vm["id"] == f"{did}#{did[len('did:key:'):]}" and vm["controller"] == did
    assert document["assertionMethod"] == [vm["id"]]
    with pytest.raises(DidResolutionError):
        public_key_from_did_key("did:key:zNotAKey")
