"""did:web over real TLS: the resolver connects to the address it checked (no second DNS
lookup for a rebinding attacker to answer) while verifying the certificate against the
DID's host name."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hinterland.did import DidResolver, did_web_document
from hinterland.errors import DidResolutionError
from hinterland.keys import PrivateKey
from hinterland.settings import DidSettings


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def _certificates(directory: Path, host: str) -> tuple[Path, Path, Path]:
    """A test CA and a server certificate for `host` signed by it (PEM files)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder().subject_name(_name("Hinterland test CA"))
        .issuer_name(_name("Hinterland test CA")).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder().subject_name(_name(host)).issuer_name(ca.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = (directory / n for n in ("ca.pem", "cert.pem", "key.pem"))
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return ca_file, cert_file, key_file


class TlsDidServer:
    def __init__(self, directory: Path, host: str) -> None:
        self.hosts: list[str] = []
        self.document: dict[str, Any] = {}
        self.ca, cert, key = _certificates(directory, host)

        async def serve(request: Request) -> Response:
            self.hosts.append(request.headers.get("host", ""))
            if request.url.path == "/.well-known/did.json":
                return JSONResponse(self.document)
            return Response(status_code=404)

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        config = uvicorn.Config(
            Starlette(routes=[Route("/{path:path}", serve)]), host="127.0.0.1",
            port=self.port, log_level="warning", ssl_certfile=str(cert), ssl_keyfile=str(key),
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> TlsDidServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[TlsDidServer]:
    with TlsDidServer(tmp_path, "acme.test") as running:
        yield running


def _resolver(server: TlsDidServer, lookups: list[str]) -> DidResolver:
    context = ssl.create_default_context(cafile=str(server.ca))
    resolver = DidResolver(
        DidSettings(allow_private_addresses=True), http=httpx.AsyncClient(verify=context)
    )

    async def lookup(host: str) -> list[str]:  # "acme.test" exists only here
        lookups.append(host)
        return ["127.0.0.1"]

    resolver._lookup = lookup  # type: ignore[method-assign]
    return resolver


async def test_connects_to_the_checked_address_and_verifies_the_name(
    server: TlsDidServer,
) -> None:
    did = f"did:web:acme.test%3A{server.port}"
    server.document = did_web_document(did, PrivateKey.generate().public())
    lookups: list[str] = []
    document = await _resolver(server, lookups).resolve(did)
    assert document["id"] == did
    assert lookups == ["acme.test"]  # resolved once, by us; the client reused the address
    assert server.hosts == [f"acme.test:{server.port}"]


async def test_certificate_for_another_name_is_refused(server: TlsDidServer) -> None:
    did = f"did:web:other.test%3A{server.port}"
    with pytest.raises(DidResolutionError, match="cannot fetch"):
        await _resolver(server, []).resolve(did)
    assert server.hosts == []
