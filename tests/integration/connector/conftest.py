"""Two connectors (a tool-maker providing, a print shop consuming) in one process.

Their HTTP traffic goes through `httpx.ASGITransport`, routed by host name, so every DSP
message really crosses the HTTP layer (auth headers, JSON, status codes). The provider's
database is the parametrised one (SQLite and PostgreSQL); the consumer has its own SQLite.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from connector.api.state import ConnectorState
from connector.app import Overrides, create_app, did_document
from connector.services.context import ClaimsSource
from connector.settings import ConnectorOptions, ConnectorSettings
from hinterland.db import migrate
from hinterland.did import DidResolver
from hinterland.keys import PrivateKey
from hinterland.settings import DatabaseSettings, DidSettings

PROVIDER_DID = "did:web:tools.test"
CONSUMER_DID = "did:web:print.test"


class HostRouter(httpx.AsyncBaseTransport):
    """Routes each request to the ASGI app serving its host."""

    def __init__(self) -> None:
        self.apps: dict[str, httpx.ASGITransport] = {}

    def add(self, host: str, app: FastAPI) -> None:
        self.apps[host] = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self.apps.get(request.url.host)
        if transport is None:
            raise httpx.ConnectError(f"no route to {request.url.host}", request=request)
        return await transport.handle_async_request(request)


class StaticClaims:
    """Verified claims per DID, as a credential exchange would deliver them."""

    def __init__(self, claims: Mapping[str, Mapping[str, Any]]) -> None:
        self.claims = claims

    async def claims_for(self, did: str) -> Mapping[str, Any]:
        return self.claims.get(did, {})


@dataclass
class Node:
    app: FastAPI
    did: str
    base: str

    @property
    def state(self) -> ConnectorState:
        state: ConnectorState = self.app.state.connector
        return state

    @property
    def dsp(self) -> str:
        return self.base + "/dsp/2025-1"


@dataclass
class Pair:
    provider: Node
    consumer: Node
    client: httpx.AsyncClient


def _settings(did: str, base: str, url: str, data_dir: Path) -> ConnectorSettings:
    return ConnectorSettings(
        data_dir=data_dir,
        database=DatabaseSettings(url=url),
        did=DidSettings(allow_private_addresses=True, allow_http=True),
        connector=ConnectorOptions(
            did=did,
            public_url=base,
            management_api_key="test-management-key-123",
            poll_seconds=0.2,
            storage_dir=data_dir / "assets",
        ),
    )


@pytest.fixture
def claims() -> dict[str, dict[str, Any]]:
    """Claims the provider believes about callers (tests may change them)."""
    return {CONSUMER_DID: {"membership": "hinterland", "spatial": "DE"}}


@contextlib.asynccontextmanager
async def build_pair(
    provider_url: str,
    tmp_path: Path,
    *,
    claims: ClaimsSource | None,
    trusted_issuers: list[str] | None = None,
    consumer_credentials: list[dict[str, Any]] | None = None,
    extra_documents: dict[str, dict[str, Any]] | None = None,
    keys: dict[str, PrivateKey] | None = None,
    provider_options: dict[str, Any] | None = None,
    extra_apps: dict[str, FastAPI] | None = None,
) -> AsyncIterator[Pair]:
    """A provider (on `provider_url`) and a consumer (own SQLite) wired through HostRouter."""
    consumer_url = f"sqlite+aiosqlite:///{tmp_path / 'consumer.db'}"
    await asyncio.to_thread(migrate.upgrade, consumer_url)
    router = HostRouter()
    client = httpx.AsyncClient(transport=router)
    keys = keys or {PROVIDER_DID: PrivateKey.generate(), CONSUMER_DID: PrivateKey.generate()}
    nodes = {}
    settings = {
        PROVIDER_DID: _settings(
            PROVIDER_DID, "http://tools.test", provider_url, tmp_path / "provider"
        ),
        CONSUMER_DID: _settings(
            CONSUMER_DID, "http://print.test", consumer_url, tmp_path / "consumer"
        ),
    }
    settings[PROVIDER_DID].connector.trusted_issuers = list(trusted_issuers or [])
    for name, value in (provider_options or {}).items():
        setattr(settings[PROVIDER_DID].connector, name, value)
    for host, extra_app in (extra_apps or {}).items():
        router.add(host, extra_app)
    documents = {
        did: did_document(settings[did], keys[did]) for did in (PROVIDER_DID, CONSUMER_DID)
    }
    documents.update(extra_documents or {})
    for did, host in ((PROVIDER_DID, "tools.test"), (CONSUMER_DID, "print.test")):
        app = create_app(
            settings[did],
            Overrides(
                key=keys[did],
                http=client,
                resolver=DidResolver(documents=documents),
                claims=claims,
                credentials=list(consumer_credentials or []) if did == CONSUMER_DID else [],
            ),
        )
        router.add(host, app)
        nodes[did] = Node(app, did, f"http://{host}")
    async with contextlib.AsyncExitStack() as stack:
        for extra_app in (extra_apps or {}).values():
            await stack.enter_async_context(extra_app.router.lifespan_context(extra_app))
        for node in nodes.values():
            await stack.enter_async_context(node.app.router.lifespan_context(node.app))
        yield Pair(nodes[PROVIDER_DID], nodes[CONSUMER_DID], client)
    await client.aclose()


@pytest.fixture
async def pair(
    migrated_url: str, tmp_path: Path, claims: dict[str, dict[str, Any]]
) -> AsyncIterator[Pair]:
    async with build_pair(migrated_url, tmp_path, claims=StaticClaims(claims)) as built:
        yield built
