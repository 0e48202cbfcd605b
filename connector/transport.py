"""Outbound DSP calls over HTTPS, each with a fresh self-issued ID token."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from connector.identity import TokenIssuer
from connector.services.worker import Response, TransportError

MAX_RESPONSE_BYTES = 1_000_000


class HttpTransport:
    """POSTs DSP messages with `Authorization: Bearer <token for the audience>`."""

    def __init__(self, client: httpx.AsyncClient, issuer: TokenIssuer) -> None:
        self.client = client
        self.issuer = issuer

    async def post(self, url: str, body: Mapping[str, Any], audience: str) -> Response:
        """Deliver one message; `TransportError` if no HTTP answer came back."""
        headers = {"Authorization": f"Bearer {self.issuer.issue(audience)}"}
        try:
            reply = await self.client.post(url, json=dict(body), headers=headers)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:  # a peer may send any address
            raise TransportError(f"{type(exc).__name__}: {exc}") from None
        content: Any = None
        if reply.content and len(reply.content) <= MAX_RESPONSE_BYTES:
            try:
                content = reply.json()
            except ValueError:
                content = None
        return Response(reply.status_code, content)

    async def request(
        self, method: str, url: str, audience: str, body: Mapping[str, Any] | None = None
    ) -> httpx.Response:
        """A synchronous DSP call whose answer the caller reads (catalog requests)."""
        headers = {"Authorization": f"Bearer {self.issuer.issue(audience)}"}
        try:
            return await self.client.request(
                method, url, json=dict(body) if body is not None else None, headers=headers
            )
        except (httpx.HTTPError, httpx.InvalidURL) as exc:  # a peer may send any address
            raise TransportError(f"{url}: {type(exc).__name__}: {exc}") from None
