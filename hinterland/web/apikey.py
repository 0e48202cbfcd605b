"""Shared API keys for operator endpoints: given as `X-API-Key: KEY` or
`Authorization: Bearer KEY`, compared in constant time."""

from __future__ import annotations

import hmac

from pydantic import SecretStr
from starlette.datastructures import Headers

from hinterland.errors import AuthenticationError


def presented_key(headers: Headers) -> str | None:
    """The key a request carries, if any."""
    given = headers.get("x-api-key")
    if given is None:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        given = token.strip() if scheme.lower() == "bearer" else None
    return given or None


def require_key(headers: Headers, configured: SecretStr | None, setting: str) -> None:
    """Raise `AuthenticationError` unless the request carries the key configured as
    `setting`; with none configured the endpoints it guards are disabled."""
    if configured is None:
        raise AuthenticationError(f"this endpoint is disabled: configure {setting}")
    given = presented_key(headers)
    expected = configured.get_secret_value().encode()
    if given is None or not hmac.compare_digest(given.encode(), expected):
        raise AuthenticationError(f"missing or wrong API key ({setting})")
