"""Build DSP endpoint URLs from a base (callback address or provider DSP base)."""

from __future__ import annotations

import asyncio
import ipaddress
from urllib.parse import quote, urlsplit

from hinterland.errors import InputError


def endpoint(base: str, *parts: str) -> str:
    """`base` + `/part/part...`, each part percent-encoded (":" kept), one slash between.

    The spec asks both sides to cope with a callback address with or without a trailing
    slash.
    """
    return base.rstrip("/") + "/" + "/".join(quote(p, safe=":") for p in parts)


def _refused(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


async def check_callback(url: str, *, allow_private: bool, allow_http: bool) -> None:
    """Refuse a callback address we must not call: not http(s), plain http unless allowed,
    or (unless allowed) a host resolving to a private, loopback or link-local address —
    otherwise any caller could make us POST into our own network."""
    parsed = urlsplit(url)
    if parsed.scheme not in ("https", "http") or not parsed.hostname:
        raise InputError(f"callbackAddress {url!r} is not an http(s) URL")
    if parsed.scheme == "http" and not allow_http:
        raise InputError(f"callbackAddress {url!r} must use https")
    if allow_private:
        return
    host = parsed.hostname
    try:
        infos = await asyncio.wait_for(
            asyncio.get_running_loop().getaddrinfo(host, parsed.port or 443), timeout=5
        )
    except (OSError, TimeoutError):
        raise InputError(f"callbackAddress host {host!r} cannot be resolved") from None
    if any(_refused(str(info[4][0])) for info in infos):
        raise InputError(f"callbackAddress {url!r} points to a private or local address")
