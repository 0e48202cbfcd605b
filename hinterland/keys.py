"""Signing keys: Ed25519 (default), P-256, P-384, secp256k1 and RSA, in JWK and Multikey form.

`PrivateKey.sign` and `PublicKey.verify` use the JOSE conventions of their key type, so
the bytes fit a JWS directly: EdDSA for Ed25519, ES256/ES384/ES256K with raw ``r || s``
signatures for the curves, PS256 (RSASSA-PSS, SHA-256, salt of 32 bytes) for RSA.

Multikey values are base58btc multibase (``z...``) of a multicodec varint prefix and the
key bytes (compressed points for the curves), as in the W3C Controlled Identifiers spec.
"""

from __future__ import annotations

import base64
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, cast, get_args

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from hinterland.errors import KeyMaterialError

KeyType = Literal["ed25519", "p256", "p384", "rsa", "secp256k1"]
KEY_TYPES: tuple[str, ...] = get_args(KeyType)

_CURVES: dict[str, tuple[type[ec.EllipticCurve], str, int, type[hashes.HashAlgorithm], str]] = {
    # key type: (curve, JWK crv, coordinate bytes, hash, JWS alg)
    "p256": (ec.SECP256R1, "P-256", 32, hashes.SHA256, "ES256"),
    "p384": (ec.SECP384R1, "P-384", 48, hashes.SHA384, "ES384"),
    "secp256k1": (ec.SECP256K1, "secp256k1", 32, hashes.SHA256, "ES256K"),
}
_CRV_TO_TYPE: dict[str, KeyType] = {"P-256": "p256", "P-384": "p384", "secp256k1": "secp256k1"}

# multicodec varint prefixes
_PUB_PREFIX: dict[KeyType, bytes] = {
    "ed25519": b"\xed\x01",
    "p256": b"\x80\x24",  # 0x1200
    "p384": b"\x81\x24",  # 0x1201
    "secp256k1": b"\xe7\x01",  # 0xe7
    "rsa": b"\x85\x24",  # 0x1205, PKCS#1 DER
}
_PRIV_PREFIX: dict[KeyType, bytes] = {
    "ed25519": b"\x80\x26",  # 0x1300
    "p256": b"\x86\x26",  # 0x1306
    "p384": b"\x87\x26",  # 0x1307
    "secp256k1": b"\x81\x26",  # 0x1301
}

_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)

PrivateCryptoKey = (
    ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
)
PublicCryptoKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 7515)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode base64url with or without padding; raises `KeyMaterialError` on garbage."""
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise KeyMaterialError(f"not base64url: {text[:20]!r}") from exc


def multibase_decode(value: str) -> bytes:
    """Decode a base58btc multibase string (``z...``)."""
    if not isinstance(value, str) or not value.startswith("z"):
        raise KeyMaterialError("multibase value must be base58btc and start with 'z'")
    try:
        return base58.b58decode(value[1:])
    except ValueError as exc:
        raise KeyMaterialError(f"multibase value is not base58btc: {exc}") from exc


def multibase_encode(data: bytes) -> str:
    """Encode bytes as base58btc multibase (``z...``)."""
    return "z" + base58.b58encode(data).decode("ascii")


def _int_bytes(value: int, length: int | None = None) -> bytes:
    length = length or max(1, (value.bit_length() + 7) // 8)
    return value.to_bytes(length, "big")


def _key_type_of(key: PrivateCryptoKey | PublicCryptoKey) -> KeyType:
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return "ed25519"
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return "rsa"
    for key_type, (curve, *_rest) in _CURVES.items():
        if isinstance(key.curve, curve):
            return cast(KeyType, key_type)
    raise KeyMaterialError(f"unsupported curve {key.curve.name}")


class PublicKey:
    """A public key that verifies JOSE-style signatures."""

    def __init__(self, key: PublicCryptoKey) -> None:
        self._key = key
        self.type: KeyType = _key_type_of(key)

    @property
    def crypto_key(self) -> PublicCryptoKey:
        """The underlying `cryptography` key."""
        return self._key

    @property
    def jws_algorithm(self) -> str:
        """The JWS `alg` this key signs with."""
        if self.type == "ed25519":
            return "EdDSA"
        if self.type == "rsa":
            return "PS256"
        return _CURVES[self.type][4]

    def verify(self, signature: bytes, data: bytes, *, algorithm: str | None = None) -> bool:
        """True when `signature` is valid for `data`; never raises for a bad signature.

        `algorithm` is a JWS alg to insist on (e.g. from a JWS header); a mismatch with
        the key type is simply an invalid signature.
        """
        if (
            algorithm is not None
            and algorithm != self.jws_algorithm
            and not (self.type == "rsa" and algorithm in ("PS256", "RS256"))
        ):
            return False
        try:
            key = self._key
            if isinstance(key, ed25519.Ed25519PublicKey):
                key.verify(signature, data)
            elif isinstance(key, rsa.RSAPublicKey):
                if algorithm == "RS256":
                    key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
                else:
                    key.verify(signature, data, padding.PSS(
                        mgf=padding.MGF1(hashes.SHA256()),
                        salt_length=padding.PSS.AUTO,
                    ), hashes.SHA256())
            else:
                _curve, _crv, size, hash_cls, _alg = _CURVES[self.type]
                if len(signature) != 2 * size:
                    return False
                r = int.from_bytes(signature[:size], "big")
                s = int.from_bytes(signature[size:], "big")
                key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hash_cls()))
        except InvalidSignature:
            return False
        return True

    def to_jwk(self) -> dict[str, str]:
        """The public JWK."""
        key = self._key
        if isinstance(key, ed25519.Ed25519PublicKey):
            raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw)}
        if isinstance(key, rsa.RSAPublicKey):
            numbers = key.public_numbers()
            return {"kty": "RSA", "n": b64url_encode(_int_bytes(numbers.n)),
                    "e": b64url_encode(_int_bytes(numbers.e))}
        _curve, crv, size, _h, _alg = _CURVES[self.type]
        point = key.public_numbers()
        return {"kty": "EC", "crv": crv, "x": b64url_encode(_int_bytes(point.x, size)),
                "y": b64url_encode(_int_bytes(point.y, size))}

    def to_multibase(self) -> str:
        """The Multikey `publicKeyMultibase` (``z...``)."""
        key = self._key
        if isinstance(key, ed25519.Ed25519PublicKey):
            raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        elif isinstance(key, rsa.RSAPublicKey):
            raw = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
        else:
            raw = key.public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
            )
        return multibase_encode(_PUB_PREFIX[self.type] + raw)

    @classmethod
    def from_jwk(cls, jwk: Any) -> PublicKey:
        """Read a public JWK (private members are ignored)."""
        if not isinstance(jwk, dict):
            raise KeyMaterialError("a JWK must be a JSON object")
        kty = jwk.get("kty")
        try:
            if kty == "OKP" and jwk.get("crv") == "Ed25519":
                raw = b64url_decode(str(jwk["x"]))
                return cls(ed25519.Ed25519PublicKey.from_public_bytes(raw))
            if kty == "EC" and jwk.get("crv") in _CRV_TO_TYPE:
                curve = _CURVES[_CRV_TO_TYPE[jwk["crv"]]][0]
                x = int.from_bytes(b64url_decode(str(jwk["x"])), "big")
                y = int.from_bytes(b64url_decode(str(jwk["y"])), "big")
                return cls(ec.EllipticCurvePublicNumbers(x, y, curve()).public_key())
            if kty == "RSA":
                n = int.from_bytes(b64url_decode(str(jwk["n"])), "big")
                e = int.from_bytes(b64url_decode(str(jwk["e"])), "big")
                return cls(rsa.RSAPublicNumbers(e, n).public_key())
        except KeyError as exc:
            raise KeyMaterialError(f"JWK lacks the member {exc.args[0]!r}") from exc
        except ValueError as exc:
            raise KeyMaterialError(f"invalid JWK: {exc}") from exc
        raise KeyMaterialError(f"unsupported JWK (kty {kty!r}, crv {jwk.get('crv')!r})")

    @classmethod
    def from_multibase(cls, value: str) -> PublicKey:
        """Read a Multikey `publicKeyMultibase` (decoded keys are cached: a verifier meets
        the same did:key again and again, and base58 decoding is slow in Python)."""
        if cls is PublicKey:
            return _public_from_multibase(value)
        return cls._decode_multibase(value)

    @classmethod
    def _decode_multibase(cls, value: str) -> PublicKey:
        data = multibase_decode(value)
        try:
            for key_type, prefix in _PUB_PREFIX.items():
                if not data.startswith(prefix):
                    continue
                raw = data[len(prefix) :]
                if key_type == "ed25519":
                    return cls(ed25519.Ed25519PublicKey.from_public_bytes(raw))
                if key_type == "rsa":
                    loaded = serialization.load_der_public_key(raw)
                    if not isinstance(loaded, rsa.RSAPublicKey):
                        break
                    return cls(loaded)
                curve = _CURVES[key_type][0]
                return cls(ec.EllipticCurvePublicKey.from_encoded_point(curve(), raw))
        except ValueError as exc:
            raise KeyMaterialError(f"invalid Multikey public key: {exc}") from exc
        raise KeyMaterialError("unsupported Multikey prefix in publicKeyMultibase")

    @classmethod
    def from_verification_method(cls, method: dict[str, Any]) -> PublicKey:
        """The key of a DID verification method (`publicKeyJwk` or `publicKeyMultibase`)."""
        if "publicKeyJwk" in method:
            return cls.from_jwk(method["publicKeyJwk"])
        if "publicKeyMultibase" in method:
            return cls.from_multibase(str(method["publicKeyMultibase"]))
        raise KeyMaterialError(
            f"verification method {method.get('id')!r} has neither publicKeyJwk "
            "nor publicKeyMultibase"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PublicKey) and self.to_jwk() == other.to_jwk()

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_jwk(), sort_keys=True))

    def __repr__(self) -> str:
        return f"PublicKey({self.type}, {self.to_multibase()[:16]}...)"


@lru_cache(maxsize=4096)
def _public_from_multibase(value: str) -> PublicKey:
    return PublicKey._decode_multibase(value)


class PrivateKey:
    """A private signing key; never printed, written only with mode 0600."""

    def __init__(self, key: PrivateCryptoKey) -> None:
        self._key = key
        self.type: KeyType = _key_type_of(key)

    @classmethod
    def generate(cls, type: KeyType = "ed25519") -> PrivateKey:
        """A fresh key of `type` (RSA keys have 2048 bits)."""
        if type == "ed25519":
            return cls(ed25519.Ed25519PrivateKey.generate())
        if type == "rsa":
            return cls(rsa.generate_private_key(public_exponent=65537, key_size=2048))
        if type in _CURVES:
            return cls(ec.generate_private_key(_CURVES[type][0]()))
        raise KeyMaterialError(f"unsupported key type {type!r}; use one of {KEY_TYPES}")

    def public(self) -> PublicKey:
        """The matching public key."""
        return PublicKey(self._key.public_key())

    @property
    def jws_algorithm(self) -> str:
        """The JWS `alg` this key signs with."""
        return self.public().jws_algorithm

    def sign(self, data: bytes) -> bytes:
        """Sign: EdDSA, ES256/ES384/ES256K (raw r||s) or PS256, as fits the key."""
        key = self._key
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return key.sign(data)
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, _PSS, hashes.SHA256())
        _curve, _crv, size, hash_cls, _alg = _CURVES[self.type]
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hash_cls())))
        return _int_bytes(r, size) + _int_bytes(s, size)

    def to_jwk(self) -> dict[str, str]:
        """The private JWK (public members plus `d`, and the CRT members for RSA)."""
        jwk = self.public().to_jwk()
        key = self._key
        if isinstance(key, ed25519.Ed25519PrivateKey):
            raw = key.private_bytes(
                serialization.Encoding.Raw,
                serialization.PrivateFormat.Raw,
                serialization.NoEncryption(),
            )
            jwk["d"] = b64url_encode(raw)
        elif isinstance(key, rsa.RSAPrivateKey):
            numbers = key.private_numbers()
            for name, value in (("d", numbers.d), ("p", numbers.p), ("q", numbers.q),
                                ("dp", numbers.dmp1), ("dq", numbers.dmq1),
                                ("qi", numbers.iqmp)):
                jwk[name] = b64url_encode(_int_bytes(value))
        else:
            size = _CURVES[self.type][2]
            jwk["d"] = b64url_encode(_int_bytes(key.private_numbers().private_value, size))
        return jwk

    def to_multibase(self) -> str:
        """The Multikey `secretKeyMultibase` (not for RSA)."""
        key = self._key
        if isinstance(key, ed25519.Ed25519PrivateKey):
            raw = key.private_bytes(
                serialization.Encoding.Raw,
                serialization.PrivateFormat.Raw,
                serialization.NoEncryption(),
            )
        elif isinstance(key, ec.EllipticCurvePrivateKey):
            raw = _int_bytes(key.private_numbers().private_value, _CURVES[self.type][2])
        else:
            raise KeyMaterialError("RSA keys have no Multikey private form; use JWK")
        return multibase_encode(_PRIV_PREFIX[self.type] + raw)

    @classmethod
    def from_jwk(cls, jwk: Any) -> PrivateKey:
        """Read a private JWK."""
        if not isinstance(jwk, dict) or "d" not in jwk:
            raise KeyMaterialError("not a private JWK: the member 'd' is missing")
        public = PublicKey.from_jwk(jwk)
        try:
            d = b64url_decode(str(jwk["d"]))
            if public.type == "ed25519":
                private: PrivateKey = cls(ed25519.Ed25519PrivateKey.from_private_bytes(d))
            elif public.type == "rsa":
                pub = cast(rsa.RSAPublicKey, public.crypto_key).public_numbers()
                d_int = int.from_bytes(d, "big")
                if all(k in jwk for k in ("p", "q")):
                    p = int.from_bytes(b64url_decode(str(jwk["p"])), "big")
                    q = int.from_bytes(b64url_decode(str(jwk["q"])), "big")
                else:
                    p, q = rsa.rsa_recover_prime_factors(pub.n, pub.e, d_int)
                numbers = rsa.RSAPrivateNumbers(
                    p, q, d_int, rsa.rsa_crt_dmp1(d_int, p), rsa.rsa_crt_dmq1(d_int, q),
                    rsa.rsa_crt_iqmp(p, q), pub,
                )
                private = cls(numbers.private_key())
            else:
                curve = _CURVES[public.type][0]
                private = cls(ec.derive_private_key(int.from_bytes(d, "big"), curve()))
        except ValueError as exc:
            raise KeyMaterialError(f"invalid private JWK: {exc}") from exc
        if private.public() != public:
            raise KeyMaterialError("the private JWK does not match its public members")
        return private

    @classmethod
    def from_multibase(cls, value: str) -> PrivateKey:
        """Read a Multikey `secretKeyMultibase` / `privateKeyMultibase`."""
        data = multibase_decode(value)
        try:
            for key_type, prefix in _PRIV_PREFIX.items():
                if not data.startswith(prefix):
                    continue
                raw = data[len(prefix) :]
                if key_type == "ed25519":
                    return cls(ed25519.Ed25519PrivateKey.from_private_bytes(raw))
                curve = _CURVES[key_type][0]
                return cls(ec.derive_private_key(int.from_bytes(raw, "big"), curve()))
        except ValueError as exc:
            raise KeyMaterialError(f"invalid Multikey private key: {exc}") from exc
        raise KeyMaterialError("unsupported Multikey prefix in the private key")

    def save(self, path: Path) -> None:
        """Write the private JWK to `path` with mode 0600; refuses to overwrite a file."""
        data = json.dumps(self.to_jwk(), indent=2).encode("utf-8") + b"\n"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError as exc:
            raise KeyMaterialError(f"{path} already exists; refusing to overwrite a key") from exc
        except OSError as exc:
            raise KeyMaterialError(f"cannot write {path}: {exc.strerror}") from exc
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(path, 0o600)  # the umask may not narrow O_CREAT's mode on every system

    def __repr__(self) -> str:
        return f"PrivateKey({self.type}, public {self.public().to_multibase()[:16]}...)"


def private_key_from_json(data: Any) -> PrivateKey:
    """A private key from a parsed JWK, a `{privateKeyJwk: ...}` entry or a Multikey pair."""
    if not isinstance(data, dict):
        raise KeyMaterialError("a key file must hold a JSON object")
    if "kty" in data:
        return PrivateKey.from_jwk(data)
    if isinstance(data.get("privateKeyJwk"), dict):
        return PrivateKey.from_jwk(data["privateKeyJwk"])
    secret = data.get("secretKeyMultibase") or data.get("privateKeyMultibase")
    if isinstance(secret, str):
        private = PrivateKey.from_multibase(secret)
        public = data.get("publicKeyMultibase")
        if isinstance(public, str) and PublicKey.from_multibase(public) != private.public():
            raise KeyMaterialError("publicKeyMultibase does not match the private key")
        return private
    raise KeyMaterialError(
        "no private key found: expected a JWK with 'd', privateKeyJwk, "
        "or secretKeyMultibase/privateKeyMultibase"
    )


def load_private_key(path: Path) -> PrivateKey:
    """Read a private key file: a JWK or a Multikey JSON such as the W3C `keyPair.json`."""
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyMaterialError(f"cannot read key file {path}: {exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise KeyMaterialError(f"key file {path} is not JSON: {exc}") from exc
    return private_key_from_json(data)
