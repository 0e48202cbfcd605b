"""did:web resolution against a real uvicorn server on 127.0.0.1 (allowed by settings),
and the refusals that protect a server from being turned against its own network."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from hinterland.did import DidResolver, did_web_document, did_web_from_domain
from hinterland.errors import DidResolutionError
from hinterland.keys import PrivateKey
from hinterland.proofs import sign_document
from hinterland.settings import DidSettings
from hinterland.verify import CheckStatus, VerifyOptions, verify_document

ROOT = Path(__file__).resolve().parents[2]


class DidServer:
    """Serves did.json files from a dict (path -> document) and counts requests."""

    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        self.requests: list[str] = []

        async def serve(request: Request) -> Response:
            path = request.url.path
            self.requests.append(path)
            if path == "/huge/did.json":
                async def chunks() -> Any:  # no Content-Length: the limit must hold anyway
                    yield b'{"id": "'
                    for _ in range(100):
                        yield b"x" * 10_000
                    yield b'"}'
                return StreamingResponse(chunks(), media_type="application/json")
            if path == "/slow/did.json":
                await asyncio.sleep(3)
            if path in self.documents:
                return JSONResponse(self.documents[path])
            return Response(status_code=404)

        app = Starlette(routes=[Route("/{path:path}", serve)])
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> DidServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def did(self, path: str = "") -> str:
        return did_web_from_domain(f"127.0.0.1:{self.port}{path}")


@pytest.fixture
def server() -> Iterator[DidServer]:
    with DidServer() as running:
        yield running


def _loopback_settings(**extra: Any) -> DidSettings:
    return DidSettings(allow_private_addresses=True, allow_http=True, **extra)


async def test_resolves_did_web_with_port_and_path_and_caches(server: DidServer) -> None:
    key = PrivateKey.generate()
    did = server.did("/companies/acme")
    server.documents["/companies/acme/did.json"] = did_web_document(did, key.public())
    resolver = DidResolver(_loopback_settings())
    document = await resolver.resolve(did)
    assert document["id"] == did
    method = await resolver.resolve_verification_method(f"{did}#key-1")
    assert method["publicKeyJwk"] == key.public().to_jwk()
    await resolver.resolve(did)
    assert server.requests == ["/companies/acme/did.json"]


async def test_well_known_location_without_path(server: DidServer) -> None:
    did = server.did()
    server.documents["/.well-known/did.json"] = did_web_document(
        did, PrivateKey.generate().public()
    )
    assert (await DidResolver(_loopback_settings()).resolve(did))["id"] == did


async def test_cache_expires(server: DidServer) -> None:
    did = server.did()
    server.documents["/.well-known/did.json"] = did_web_document(
        did, PrivateKey.generate().public()
    )
    resolver = DidResolver(_loopback_settings(cache_seconds=0))
    await resolver.resolve(did)
    await resolver.resolve(did)
    assert len(server.requests) == 2


async def test_loopback_is_refused_by_default(server: DidServer) -> None:
    did = server.did()
    server.documents["/.well-known/did.json"] = did_web_document(
        did, PrivateKey.generate().public()
    )
    with pytest.raises(DidResolutionError, match=r"non-public address 127\.0\.0\.1"):
        await DidResolver(DidSettings(allow_http=True)).resolve(did)
    assert server.requests == []


async def test_a_name_resolving_to_loopback_is_refused() -> None:
    # "localhost" is a name, not an address: every address it resolves to is checked
    with pytest.raises(DidResolutionError, match="non-public address"):
        await DidResolver().resolve("did:web:localhost%3A9")


@pytest.mark.parametrize(
    "did",
    [
        "did:web:10.1.2.3",
        "did:web:169.254.169.254",  # cloud metadata
        "did:web:192.168.0.1",
        "did:web:224.0.0.1",
        "did:web:%5B%3A%3A1%5D",  # [::1]
        "did:web:0.0.0.0",
    ],
)
async def test_private_link_local_multicast_addresses_are_refused(did: str) -> None:
    with pytest.raises(DidResolutionError, match="non-public address"):
        await DidResolver().resolve(did)


async def test_oversized_document_is_refused(server: DidServer) -> None:
    did = server.did("/huge")
    resolver = DidResolver(_loopback_settings(max_document_bytes=50_000))
    with pytest.raises(DidResolutionError, match="exceeds the limit of 50000 bytes"):
        await resolver.resolve(did)


async def test_slow_server_times_out(server: DidServer) -> None:
    did = server.did("/slow")
    server.documents["/slow/did.json"] = did_web_document(did, PrivateKey.generate().public())
    resolver = DidResolver(_loopback_settings(timeout_seconds=0.5))
    started = time.monotonic()
    with pytest.raises(DidResolutionError, match=r"did not answer within 0\.5 s"):
        await resolver.resolve(did)
    assert time.monotonic() - started < 2.5


async def test_document_for_another_did_is_refused(server: DidServer) -> None:
    did = server.did()
    server.documents["/.well-known/did.json"] = did_web_document(
        "did:web:evil.example", PrivateKey.generate().public()
    )
    with pytest.raises(DidResolutionError, match="not " + re.escape(did)):
        await DidResolver(_loopback_settings()).resolve(did)


async def test_missing_document_names_the_status(server: DidServer) -> None:
    with pytest.raises(DidResolutionError, match="HTTP 404"):
        await DidResolver(_loopback_settings()).resolve(server.did("/nobody"))


async def test_credential_signed_by_a_did_web_key_verifies_end_to_end(
    server: DidServer,
) -> None:
    key = PrivateKey.generate()
    did = server.did("/acme")
    server.documents["/acme/did.json"] = did_web_document(did, key.public())
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": did,
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:subject"},
    }
    signed = sign_document(credential, key, verification_method=f"{did}#key-1")
    report = await verify_document(
        json.dumps(signed), resolver=DidResolver(_loopback_settings()), options=VerifyOptions()
    )
    assert report.valid, report.to_dict()
    binding = report.by_name("key-binding")
    assert [c.status for c in binding] == [CheckStatus.PASSED]


def test_cli_resolves_did_web_only_when_settings_allow_loopback(
    server: DidServer, tmp_path: Path
) -> None:
    key = PrivateKey.generate()
    did = server.did("/acme")
    server.documents["/acme/did.json"] = did_web_document(did, key.public())
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": did,
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:subject"},
    }
    signed = tmp_path / "signed.json"
    signed.write_text(json.dumps(sign_document(credential, key,
                                               verification_method=f"{did}#key-1")))
    command = [sys.executable, "-m", "hinterland", "verify", "--json", str(signed)]
    refused = subprocess.run(command, capture_output=True, text=True, timeout=120,
                             cwd=ROOT, check=False)
    assert refused.returncode == 1
    assert "non-public address 127.0.0.1" in refused.stdout
    env = {**os.environ, "HINTERLAND_DID__ALLOW_PRIVATE_ADDRESSES": "true",
           "HINTERLAND_DID__ALLOW_HTTP": "true"}
    allowed = subprocess.run(command, capture_output=True, text=True, timeout=120,
                             cwd=ROOT, env=env, check=False)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert server.requests == ["/acme/did.json"]
