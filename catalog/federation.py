"""Federation: pull the change feeds of peer catalogs and re-verify everything.

A peer is never trusted: each added document goes through the same ingest as a local
POST (proofs, key binding, validity, shapes, participant policy), and each revocation
must carry a revocation signed by the entry's issuer (or one of *our* admins). Entry ids
derive from the canonical hash, so a document that reaches us over several peers (or
comes back from a peer that got it from us) is recognised and stored once: peers may
peer with each other in any topology without loops or duplicates. Deprecation and expiry
are derived locally from the documents, so they need no trust either.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import httpx

from catalog.ingest import Ingestor
from catalog.store import CatalogStore
from hinterland.errors import HinterlandError, NotFound

log = logging.getLogger("catalog.federation")
MAX_FEED_BYTES = 64 * 1024 * 1024


@dataclass
class PeerReport:
    """What one pull from one peer did."""

    peer: str
    added: int = 0
    known: int = 0
    revoked: int = 0
    rejected: list[str] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "peer": self.peer,
            "added": self.added,
            "known": self.known,
            "revoked": self.revoked,
            "rejected": self.rejected,
            "error": self.error,
        }


class Federation:
    """Pulls every configured peer's `/changes` feed into this catalog."""

    def __init__(
        self,
        store: CatalogStore,
        ingestor: Ingestor,
        peers: list[str],
        *,
        page_size: int = 100,
        timeout: float = 10.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.store = store
        self.ingestor = ingestor
        self.peers = [p.rstrip("/") for p in peers]
        self.page_size = page_size
        self.timeout = timeout
        self._http = http
        # one pull per peer at a time: the background loop and `POST /federation/sync`
        # may overlap, and concurrent pulls from one cursor would each verify every document
        self._pulling: dict[str, asyncio.Lock] = {}

    async def sync_once(self) -> list[PeerReport]:
        """Pull every peer once; a peer that is down is recorded and retried next time."""
        return [await self.pull(peer) for peer in self.peers]

    async def pull(self, peer: str) -> PeerReport:
        """Read one peer's feed from where we left off until it has nothing more. A pull
        of a peer that is being pulled already waits for it, then reads what came since."""
        async with self._pulling.setdefault(peer, asyncio.Lock()):
            return await self._pull(peer)

    async def _pull(self, peer: str) -> PeerReport:
        report = PeerReport(peer)
        cursor = await self.store.peer_cursor(peer)
        client = self._http or httpx.AsyncClient(timeout=self.timeout, follow_redirects=False)
        try:
            while True:
                page = await self._page(client, peer, cursor)
                items = page.get("items", [])
                for item in items:
                    await self._apply(peer, item, report)
                    cursor = max(cursor, int(item.get("seq", cursor)))
                await self.store.save_peer(peer, cursor, None)
                if not items or not page.get("more"):
                    break
        except (httpx.HTTPError, ValueError, TypeError, KeyError) as exc:
            report.error = f"{type(exc).__name__}: {exc}"[:500]
            log.warning("federation: pulling %s failed: %s", peer, report.error)
            await self.store.save_peer(peer, cursor, report.error)
        finally:
            if self._http is None:
                await client.aclose()
        if report.rejected:
            log.warning("federation: %s served %d entries we rejected", peer, len(report.rejected))
        return report

    async def _page(self, client: httpx.AsyncClient, peer: str, cursor: int) -> dict[str, Any]:
        params = {"since": cursor, "limit": self.page_size}
        body = bytearray()
        async with client.stream("GET", f"{peer}/changes", params=params) as response:
            if response.status_code != 200:
                raise ValueError(f"{peer}/changes answered HTTP {response.status_code}")
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) > MAX_FEED_BYTES:  # stop reading: a peer cannot exhaust memory
                    raise ValueError(f"{peer}/changes page exceeds {MAX_FEED_BYTES} bytes")
        page = json.loads(bytes(body))
        if not isinstance(page, dict) or not isinstance(page.get("items", []), list):
            raise ValueError(f"{peer}/changes did not return a change feed page")
        return page

    async def _apply(self, peer: str, item: dict[str, Any], report: PeerReport) -> None:
        kind = item.get("kind")
        entry_id = str(item.get("entryId", ""))
        try:
            if kind == "added" and isinstance(item.get("document"), dict):
                # Prefer the exact text, so the stored document stays byte for byte what its
                # issuer signed; it is verified like any other body.
                text = item.get("documentText")
                body = text if isinstance(text, str) else item["document"]
                result = await self.ingestor.ingest(body, origin=peer)
                if result.created:
                    report.added += 1
                else:
                    report.known += 1
                if result.entry.id != entry_id:
                    log.info("federation: %s calls entry %s %s", peer, result.entry.id, entry_id)
            elif kind == "revoked" and isinstance(item.get("revocation"), dict):
                try:
                    entry = await self.store.get(entry_id)
                except NotFound:
                    return  # we never accepted it; nothing to revoke
                if entry.status != "revoked":
                    await self.ingestor.revoke(entry_id, item["revocation"])
                    report.revoked += 1
        except HinterlandError as exc:
            report.rejected.append(f"{kind} {entry_id}: {exc}"[:1000])
