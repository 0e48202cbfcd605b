"""What the HTTP routes need, gathered in one object on `app.state.connector`."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from connector.enforcement import Caller
from connector.identity import TokenIssuer, TokenVerifier
from connector.services.context import ClaimsSource, Services
from connector.services.negotiation import NegotiationService
from connector.services.transfer import TransferService
from connector.settings import ConnectorSettings
from connector.transport import HttpTransport
from hinterland.keys import PrivateKey


class NoCredentials:
    """A claims source for a connector configured without a credential exchange: callers
    are identified by their DID only, and policies that need credentials deny."""

    async def claims_for(self, did: str) -> Mapping[str, Any]:
        """No claims beyond the DID."""
        return {}


@dataclass
class ConnectorState:
    """Services and identity of a running connector."""

    settings: ConnectorSettings
    services: Services
    issuer: TokenIssuer
    verifier: TokenVerifier
    claims: ClaimsSource
    own_credentials: list[dict[str, Any]] = field(default_factory=list)
    key: PrivateKey | None = None
    transport: HttpTransport | None = None
    publisher: Any = None
    """The catalog publisher, when catalogs are configured (`connector.publishing`)."""
    claims_ttl: float = 60.0
    _claims_cache: dict[str, tuple[float, Mapping[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.negotiation = NegotiationService(self.services)
        self.transfer = TransferService(self.services)

    def add_credential(self, credential: dict[str, Any]) -> None:
        """Show `credential` to partners from now on, replacing an older one of the same
        issuer and type (e.g. a renewed membership)."""
        def key(c: dict[str, Any]) -> tuple[str, str]:
            return str(c.get("issuer")), str(sorted(c.get("type", [])))

        self.own_credentials = [c for c in self.own_credentials if key(c) != key(credential)]
        self.own_credentials.append(credential)

    def offers_changed(self) -> None:
        """Assets, policies or offers changed: publish again."""
        if self.publisher is not None:
            self.publisher.changed.set()

    async def authenticate(self, request: Request, *, defer_replay: bool = False) -> Caller:
        """The verified caller of a DSP request, with its verified claims.

        With `defer_replay` the token's replay mark commits with the request's first write
        (`connector.store.replay`); the route must `settle_replay()` before it answers."""
        did, _token = await self.verifier.verify(
            request.headers.get("authorization"), defer=defer_replay
        )
        now = time.monotonic()
        cached = self._claims_cache.get(did)
        if cached is None or cached[0] < now:
            claims = await self.claims.claims_for(did)
            # No claims yet is remembered only briefly: a partner who has just joined the
            # data space must not wait a whole TTL before its membership counts.
            ttl = self.claims_ttl if claims else min(self.claims_ttl, NO_CLAIMS_TTL)
            cached = (now + ttl, claims)
            self._claims_cache[did] = cached
        return Caller(did, cached[1])

    async def settle_replay(self) -> None:
        """Record a deferred replay mark that no write took along; `AuthenticationError` if
        the token was used before."""
        await self.verifier.settle()


NO_CLAIMS_TTL = 2.0
"""Seconds an answer without any verified claim is cached."""


def connector_state(request: Request) -> ConnectorState:
    """The `ConnectorState` of the app serving `request`."""
    state: ConnectorState = request.app.state.connector
    return state
