"""Resolve DIDs to DID documents: explicit documents, a trust directory, did:key, did:web.

did:web goes over HTTPS with a timeout, a size limit and a cache. Before connecting, the
host name is resolved and every address is checked: private, loopback, link-local,
multicast, reserved and unspecified addresses are refused unless
`DidSettings.allow_private_addresses` (tests serving did.json on 127.0.0.1) is set.
Redirects are not followed, so a public host cannot bounce us to a private one.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
import time
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from hinterland.did.key import did_key_document
from hinterland.did.web import did_web_url
from hinterland.errors import DidResolutionError
from hinterland.settings import DidSettings

CACHE_ENTRIES = 4096


def _is_refused_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def _did_of(value: str) -> str:
    return value.split("#", 1)[0].split("?", 1)[0]


class DidResolver:
    """Resolves DIDs; every failure is a `DidResolutionError` with the reason."""

    def __init__(
        self,
        settings: DidSettings | None = None,
        *,
        documents: Mapping[str, dict[str, Any]] | None = None,
        trust_dir: Path | None = None,
        http: httpx.AsyncClient | None = None,
        network: bool = True,
    ) -> None:
        self.settings = settings or DidSettings()
        self._documents: dict[str, dict[str, Any]] = {}
        for did, document in (documents or {}).items():
            self.add_document(document, did=did)
        directory = trust_dir or self.settings.trust_dir
        if directory is not None:
            self._load_trust_dir(Path(directory))
        self._http = http
        self.network = network
        # bounded: a long-running catalog meets many DIDs
        self._cache: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()
        self._key_cache: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def add_document(self, document: dict[str, Any], *, did: str | None = None) -> None:
        """Register a DID document for offline resolution."""
        if not isinstance(document, dict) or not isinstance(document.get("id"), str):
            raise DidResolutionError("a DID document must be a JSON object with an 'id'")
        if did is not None and _did_of(did) != document["id"]:
            raise DidResolutionError(
                f"DID document id {document['id']!r} does not match {did!r}"
            )
        self._documents[document["id"]] = document

    def _load_trust_dir(self, directory: Path) -> None:
        if not directory.is_dir():
            raise DidResolutionError(f"trust directory {directory} does not exist")
        for path in sorted(directory.rglob("*.json")):
            try:
                document = json.loads(path.read_text("utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise DidResolutionError(f"cannot read DID document {path}: {exc}") from exc
            try:
                self.add_document(document)
            except DidResolutionError as exc:
                raise DidResolutionError(f"{path}: {exc}") from exc

    async def resolve(self, did: str) -> dict[str, Any]:
        """The DID document of `did` (a fragment or query is ignored)."""
        if not isinstance(did, str) or not did.startswith("did:"):
            raise DidResolutionError(f"{did!r} is not a DID")
        did = _did_of(did)
        if did in self._documents:
            return self._documents[did]
        if did.startswith("did:key:"):
            cached = self._key_cache.get(did)
            if cached is None:
                cached = self._key_cache[did] = did_key_document(did)
                if len(self._key_cache) > CACHE_ENTRIES:
                    self._key_cache.popitem(last=False)
            return cached
        if did.startswith("did:web:"):
            return await self._resolve_web(did)
        method = did.split(":", 2)[1]
        raise DidResolutionError(
            f"DID method {method!r} of {did} is not supported and no document was given"
        )

    async def resolve_verification_method(self, vm_id: str) -> dict[str, Any]:
        """The verification method entry `vm_id` (``did...#fragment``) of its DID document."""
        document = await self.resolve(vm_id)
        method = find_verification_method(document, vm_id)
        if method is None:
            raise DidResolutionError(
                f"DID document {document.get('id')} has no verification method {vm_id}"
            )
        return method

    async def _resolve_web(self, did: str) -> dict[str, Any]:
        if not self.network:
            raise DidResolutionError(f"{did} is not in the given DID documents (offline)")
        cached = self._cache.get(did)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        scheme = "http" if self.settings.allow_http else "https"
        url = did_web_url(did, scheme=scheme)
        try:
            document = await asyncio.wait_for(
                self._fetch(url), timeout=self.settings.timeout_seconds
            )
        except TimeoutError as exc:
            raise DidResolutionError(
                f"{did}: {url} did not answer within {self.settings.timeout_seconds:g} s"
            ) from exc
        if document.get("id") != did:
            raise DidResolutionError(
                f"{url} serves a DID document for {document.get('id')!r}, not {did}"
            )
        if self.settings.cache_seconds > 0:
            self._cache[did] = (now + self.settings.cache_seconds, document)
            self._cache.move_to_end(did)
            if len(self._cache) > CACHE_ENTRIES:
                self._cache.popitem(last=False)
        return document

    async def _lookup(self, host: str) -> list[str]:
        """Every address `host` resolves to (an IP literal resolves to itself)."""
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
        return sorted({str(info[4][0]) for info in infos})

    async def _pinned_address(self, url: str) -> str:
        """Resolve the host once, check every address, and return the one to connect to.

        Connecting to the checked address (instead of letting the HTTP client resolve the
        name again) leaves no window for DNS rebinding between the check and the request.
        """
        host = urlsplit(url).hostname or ""
        try:
            addresses = await self._lookup(host)
        except OSError as exc:
            raise DidResolutionError(f"cannot resolve host {host!r}: {exc}") from exc
        if not addresses:
            raise DidResolutionError(f"host {host!r} has no addresses")
        if not self.settings.allow_private_addresses:
            for address in addresses:
                if _is_refused_address(address):
                    raise DidResolutionError(
                        f"refusing to fetch {url}: {host} resolves to the non-public address "
                        f"{address} (allow with HINTERLAND_DID__ALLOW_PRIVATE_ADDRESSES)"
                    )
        return addresses[0]

    async def _fetch(self, url: str) -> dict[str, Any]:
        address = await self._pinned_address(url)
        parts = urlsplit(url)
        literal = f"[{address}]" if ":" in address else address
        target = urlunsplit(
            parts._replace(netloc=literal + (f":{parts.port}" if parts.port else ""))
        )
        # the certificate is still checked against the DID's host name (SNI), and the
        # server sees that name in Host
        headers = {"Accept": "application/did+json, application/json", "Host": parts.netloc}
        extensions = {"sni_hostname": parts.hostname or ""}
        limit = self.settings.max_document_bytes
        client = self._http or httpx.AsyncClient(
            timeout=self.settings.timeout_seconds, follow_redirects=False
        )
        try:
            async with client.stream(
                "GET", target, headers=headers, extensions=extensions
            ) as response:
                if response.status_code != 200:
                    raise DidResolutionError(f"{url} answered HTTP {response.status_code}")
                declared = response.headers.get("content-length")
                if declared is not None and declared.isdigit() and int(declared) > limit:
                    raise DidResolutionError(
                        f"{url}: DID document of {declared} bytes exceeds the limit of {limit}"
                    )
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body.extend(chunk)
                    if len(body) > limit:
                        raise DidResolutionError(
                            f"{url}: DID document exceeds the limit of {limit} bytes"
                        )
        except httpx.TimeoutException as exc:
            raise DidResolutionError(
                f"{url} did not answer within {self.settings.timeout_seconds:g} s"
            ) from exc
        except httpx.HTTPError as exc:
            raise DidResolutionError(f"cannot fetch {url}: {type(exc).__name__} {exc}") from exc
        finally:
            if self._http is None:
                await client.aclose()
        try:
            document = json.loads(bytes(body))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DidResolutionError(f"{url} did not return JSON: {exc}") from exc
        if not isinstance(document, dict):
            raise DidResolutionError(f"{url} did not return a JSON object")
        return document


def _absolute(document: dict[str, Any], ref: str) -> str:
    return f"{document.get('id')}{ref}" if ref.startswith("#") else ref


def find_verification_method(document: dict[str, Any], vm_id: str) -> dict[str, Any] | None:
    """The verification method `vm_id` in `document`, from `verificationMethod` or embedded."""
    candidates: list[Any] = []
    for key in ("verificationMethod", "assertionMethod", "authentication",
                "capabilityInvocation", "capabilityDelegation", "keyAgreement"):
        value = document.get(key)
        candidates.extend(value if isinstance(value, list) else [value] if value else [])
    for entry in candidates:
        if (
            isinstance(entry, dict)
            and isinstance(entry.get("id"), str)
            and _absolute(document, entry["id"]) == vm_id
        ):
            method = dict(entry)
            method["id"] = vm_id
            method.setdefault("controller", document.get("id"))
            return method
    return None


def is_authorized(document: dict[str, Any], vm_id: str, purpose: str) -> bool:
    """True when `vm_id` is listed in `document`'s relationship `purpose`."""
    value = document.get(purpose)
    entries = value if isinstance(value, list) else [value] if value else []
    for entry in entries:
        ref = entry.get("id") if isinstance(entry, dict) else entry
        if isinstance(ref, str) and _absolute(document, ref) == vm_id:
            return True
    return False
