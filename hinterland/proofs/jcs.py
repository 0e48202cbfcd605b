"""JSON Canonicalization Scheme (RFC 8785), through the maintained `rfc8785` package."""

from __future__ import annotations

from typing import Any

import rfc8785

from hinterland.errors import InputError


def jcs(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON value."""
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise InputError(f"cannot canonicalize as JCS: {exc}") from exc
