"""did:web: names from domains (with port and path), URLs of did.json, DID documents."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, unquote

from hinterland.did.key import DID_CONTEXT
from hinterland.errors import DidResolutionError, InputError
from hinterland.keys import PublicKey

JWS_2020_CONTEXT = "https://w3id.org/security/suites/jws-2020/v1"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"

_HOST = re.compile(r"^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$")


def did_web_from_domain(domain: str) -> str:
    """``acme.example:8443/x/y`` -> ``did:web:acme.example%3A8443:x:y``."""
    domain = domain.strip()
    if "://" in domain:
        raise InputError(f"give a host name, not a URL: {domain!r}")
    host_port, _, path = domain.partition("/")
    host, _, port = host_port.partition(":") if not host_port.startswith("[") else (
        host_port, "", ""
    )
    if not host or not _HOST.match(host):
        raise InputError(f"not a host name: {host!r}")
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        raise InputError(f"not a port: {port!r}")
    segments = [s for s in path.split("/") if s]
    if path and path.rstrip("/").endswith("did.json"):
        raise InputError("give the path without did.json")
    did = "did:web:" + host.lower() + (quote(":" + port, safe="") if port else "")
    for segment in segments:
        did += ":" + quote(segment, safe="")
    return did


def did_web_url(did: str, *, scheme: str = "https") -> str:
    """The URL of the did.json of a did:web (``/.well-known/did.json`` without a path)."""
    if not did.startswith("did:web:"):
        raise DidResolutionError(f"{did!r} is not a did:web")
    body = did[len("did:web:") :].split("#", 1)[0]
    parts = body.split(":")
    host = unquote(parts[0])
    if not host or "/" in host or "@" in host:
        raise DidResolutionError(f"{did!r} has no valid host")
    path = "/".join(unquote(p) for p in parts[1:])
    if path:
        return f"{scheme}://{host}/{path}/did.json"
    return f"{scheme}://{host}/.well-known/did.json"


def did_web_document(
    did: str,
    key: PublicKey,
    *,
    services: list[dict[str, Any]] | None = None,
    key_format: str = "JsonWebKey2020",
) -> dict[str, Any]:
    """A DID document for `did` with one verification method ``{did}#key-1``.

    `key_format` is ``JsonWebKey2020`` (publicKeyJwk, the Gaia-X habit) or ``Multikey``.
    The method is listed for assertionMethod and authentication.
    """
    vm_id = f"{did}#key-1"
    if key_format == "Multikey":
        method: dict[str, Any] = {
            "id": vm_id, "type": "Multikey", "controller": did,
            "publicKeyMultibase": key.to_multibase(),
        }
        context = MULTIKEY_CONTEXT
    elif key_format == "JsonWebKey2020":
        method = {
            "id": vm_id, "type": "JsonWebKey2020", "controller": did,
            "publicKeyJwk": key.to_jwk(),
        }
        context = JWS_2020_CONTEXT
    else:
        raise InputError(f"unknown key format {key_format!r}")
    document: dict[str, Any] = {
        "@context": [DID_CONTEXT, context],
        "id": did,
        "verificationMethod": [method],
        "assertionMethod": [vm_id],
        "authentication": [vm_id],
    }
    if services:
        document["service"] = list(services)
    return document
