"""Callback addresses a caller gives us are checked before we ever POST to them."""

from __future__ import annotations

import pytest

from connector.services.urls import check_callback, endpoint
from hinterland.errors import InputError


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("ftp://partner.example/cb", r"not an http\(s\) URL"),
        ("https:///cb", r"not an http\(s\) URL"),
        ("http://203.0.113.7/cb", "must use https"),
        ("https://127.0.0.1:8443/cb", "private or local"),
        ("https://10.1.2.3/cb", "private or local"),
        ("https://[::1]/cb", "private or local"),
        ("https://169.254.169.254/latest", "private or local"),
        ("https://localhost/cb", "private or local"),
    ],
)
async def test_refused_callbacks(url: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        await check_callback(url, allow_private=False, allow_http=False)


async def test_allowed_when_configured_for_a_closed_network() -> None:
    await check_callback("http://127.0.0.1:9000/cb", allow_private=True, allow_http=True)
    await check_callback("https://8.8.8.8/cb", allow_private=False, allow_http=False)


def test_endpoint_joins_with_or_without_trailing_slash() -> None:
    assert endpoint("https://c.example/cb/", "negotiations", "urn:uuid:1", "agreement") == (
        "https://c.example/cb/negotiations/urn:uuid:1/agreement"
    )
    assert endpoint("https://c.example/cb", "transfers", "a b") == (
        "https://c.example/cb/transfers/a%20b"
    )
