"""Publishing our self-descriptions to the federated catalog(s).

We sign, with our own key, one Gaia-X `LegalParticipant` describing the company and one
`ServiceOffering` per offered asset (with its 3D-print metadata and where to negotiate it),
and POST them to every configured catalog. A description is published again when its
content changes (the old entry is revoked with a signed `CatalogRevocation`) and revoked
when the asset is no longer offered. After the participant is accepted we fetch the
catalog's MembershipCredential and show it to partners from then on.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from connector.audit.chain import canonical
from connector.services.context import Services
from connector.store.processes import run_write
from connector.store.tables import AssetRow, PublicationRow
from hinterland.db.engine import session_factory
from hinterland.keys import PrivateKey
from hinterland.proofs import sign_document
from hinterland.vocabulary import CREDENTIALS_V2 as VC2
from hinterland.vocabulary import NS, catalog_context, catalog_entry_iri

log = logging.getLogger("hinterland.connector.publishing")

GX = (
    "https://registry.lab.gaia-x.eu/development/api/trusted-shape-registry/v1/shapes/"
    "jsonld/trustframework#"
)
PARTICIPANT = "participant"


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _credential(issuer: str, subject: dict[str, Any], now: datetime) -> dict[str, Any]:
    # Milliseconds: catalogs order versions by validFrom (then by hash), so a version
    # published within the same second as the one it replaces must still come out newer.
    valid_from = (now - timedelta(minutes=5)).isoformat(timespec="milliseconds")
    return {
        "@context": [VC2, GX, {"hl": NS}],
        "type": ["VerifiableCredential"],
        "id": f"urn:hinterland:sd:{hashlib.sha256(canonical(subject).encode()).hexdigest()[:32]}",
        "issuer": issuer,
        "validFrom": valid_from.replace("+00:00", "Z"),
        "credentialSubject": subject,
    }


def participant_subject(did: str, legal_name: str, region: str) -> dict[str, Any]:
    """The company as a gx:LegalParticipant."""
    return {
        "id": did,
        "type": "gx:LegalParticipant",
        "gx:legalName": legal_name or did,
        "gx:legalRegistrationNumber": {"id": f"urn:lrn:{quote(did, safe='')}"},
        "gx:headquarterAddress": {"gx:countrySubdivisionCode": region},
        "gx:legalAddress": {"gx:countrySubdivisionCode": region},
    }


def offering_subject(
    did: str, dsp_base: str, region: str, asset: AssetRow, policies: list[dict[str, Any]]
) -> dict[str, Any]:
    """One offered asset as a gx:ServiceOffering, with its print metadata."""
    terms = hashlib.sha256(canonical(policies).encode()).hexdigest()
    subject: dict[str, Any] = {
        "id": f"{dsp_base}/catalog/datasets/{quote(asset.id, safe=':')}",
        "type": "gx:ServiceOffering",
        "gx:name": asset.title,
        "gx:description": asset.description or asset.title,
        "gx:providedBy": {"id": did},
        "gx:policy": canonical(policies),
        "gx:termsAndConditions": {"gx:URL": f"{dsp_base}/catalog/datasets/{asset.id}",
                                  "gx:hash": terms},
        "gx:dataAccountExport": {"gx:requestType": "API", "gx:accessType": "digital",
                                 "gx:formatType": asset.media_type},
        "hl:region": region,
        "hl:mediaType": asset.media_type,
        "hl:dataset": asset.id,
        "hl:dspEndpoint": dsp_base,
    }
    if asset.sha256:
        subject["hl:sha256"] = asset.sha256
    if asset.record_type:
        subject["hl:recordType"] = asset.record_type
    for term in ("material", "process", "keyword"):
        value = asset.properties.get(term)
        if isinstance(value, str | list) and value:
            subject[f"hl:{term}"] = value
    printing = asset.properties.get("print")
    if isinstance(printing, dict):
        box = printing.get("boundingBoxMm", {})
        subject.update({
            "hl:fileFormat": printing.get("format"),
            "hl:boundingBoxMm": f"{box.get('x')} x {box.get('y')} x {box.get('z')}",
            "hl:volumeMm3": printing.get("volumeMm3"),
            "hl:triangleCount": printing.get("triangles"),
            "hl:watertight": printing.get("watertight"),
            "hl:unit": printing.get("unit"),
        })
    return subject


def revocation(did: str, key: PrivateKey, entry_id: str, reason: str) -> dict[str, Any]:
    """A CatalogRevocation of one of our entries, signed by us."""
    document = {
        "@context": catalog_context(),
        "type": ["VerifiableCredential", "CatalogRevocation"],
        "issuer": did,
        "validFrom": _iso(datetime.now(UTC) - timedelta(minutes=1)),
        "credentialSubject": {"id": catalog_entry_iri(entry_id), "revokes": entry_id,
                              "revocationReason": reason},
    }
    return sign_document(document, key, verification_method=f"{did}#key-1")


@dataclass
class PublishOutcome:
    """What happened to one subject at one catalog."""

    catalog: str
    subject: str
    action: str  # published | unchanged | revoked | failed
    detail: str = ""


class Publisher:
    """Keeps our descriptions in the catalogs in step with what we offer."""

    def __init__(
        self, services: Services, key: PrivateKey, http: httpx.AsyncClient, *,
        catalogs: list[str], legal_name: str, region: str,
        on_membership: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.s = services
        self.key = key
        self.http = http
        self.catalogs = [c.rstrip("/") for c in catalogs]
        self.legal_name = legal_name
        self.region = region
        self.on_membership = on_membership
        self.changed = asyncio.Event()
        # the background loop and POST /publish may ask at once: one pass at a time, or both
        # would sign a new version of a changed offer and revoke the old entry twice
        self._lock = asyncio.Lock()
        self._issued = datetime.min.replace(tzinfo=UTC)

    async def desired(self) -> dict[str, dict[str, Any]]:
        """Subject -> unsigned credentialSubject we want published."""
        wanted = {PARTICIPANT: participant_subject(self.s.did, self.legal_name, self.region)}
        by_asset: dict[str, tuple[AssetRow, list[dict[str, Any]]]] = {}
        for _offer, asset, _access, contract in await self.s.offers.offered():
            entry = by_asset.setdefault(asset.id, (asset, []))
            entry[1].append(contract.policy)
        for asset_id, (asset, policies) in sorted(by_asset.items()):
            wanted[asset_id] = offering_subject(
                self.s.did, self.s.dsp_base, self.region, asset, policies
            )
        return wanted

    def _issue_time(self) -> datetime:
        """Now, but always at least a millisecond after the last version we signed."""
        now = max(datetime.now(UTC), self._issued + timedelta(milliseconds=1))
        self._issued = now
        return now

    async def publish_all(self) -> list[PublishOutcome]:
        """Publish, re-publish or revoke at every catalog as needed (one pass at a time)."""
        async with self._lock:
            return await self._publish_all()

    async def _publish_all(self) -> list[PublishOutcome]:
        wanted = await self.desired()
        outcomes: list[PublishOutcome] = []
        for catalog in self.catalogs:
            current = await self._published(catalog)
            order = [PARTICIPANT, *sorted(k for k in wanted if k != PARTICIPANT)]
            for subject in order:
                outcomes.append(await self._publish_one(catalog, subject, wanted[subject],
                                                        current.get(subject)))
                if subject == PARTICIPANT and outcomes[-1].action == "failed":
                    break  # offers of a participant the catalog does not know are refused
            for subject, row in current.items():
                if subject not in wanted:
                    outcomes.append(await self._revoke(catalog, row, "no longer offered"))
            await self._membership(catalog)
        for outcome in outcomes:
            if outcome.action != "unchanged":
                await self.s.audit.record("catalog.publication", outcome.__dict__)
        return outcomes

    async def _publish_one(
        self, catalog: str, subject: str, content: dict[str, Any], row: PublicationRow | None
    ) -> PublishOutcome:
        digest = hashlib.sha256(canonical(content).encode()).hexdigest()
        if row is not None and row.digest == digest:
            return PublishOutcome(catalog, subject, "unchanged", row.entry_id)
        document = sign_document(
            _credential(self.s.did, content, self._issue_time()), self.key,
            verification_method=f"{self.s.did}#key-1",
        )
        try:
            reply = await self.http.post(f"{catalog}/self-descriptions", json=document)
        except httpx.HTTPError as exc:
            return PublishOutcome(catalog, subject, "failed", f"unreachable: {exc}")
        if reply.status_code not in (200, 201):
            return PublishOutcome(catalog, subject, "failed",
                                  f"HTTP {reply.status_code}: {reply.text[:500]}")
        entry_id = str(reply.json().get("id"))
        await self._store(catalog, subject, entry_id, digest)
        if row is not None and row.entry_id != entry_id:
            await self._revoke(catalog, row, "replaced by a newer description", forget=False)
        return PublishOutcome(catalog, subject, "published", entry_id)

    async def _revoke(
        self, catalog: str, row: PublicationRow, reason: str, *, forget: bool = True
    ) -> PublishOutcome:
        body = revocation(self.s.did, self.key, row.entry_id, reason)
        try:
            reply = await self.http.post(
                f"{catalog}/self-descriptions/{row.entry_id}/revoke", json=body
            )
        except httpx.HTTPError as exc:
            return PublishOutcome(catalog, row.subject, "failed", f"unreachable: {exc}")
        if reply.status_code != 200:
            return PublishOutcome(catalog, row.subject, "failed",
                                  f"revocation HTTP {reply.status_code}: {reply.text[:300]}")
        if forget:
            async def work(session: AsyncSession) -> None:
                await session.execute(delete(PublicationRow).where(
                    PublicationRow.catalog == catalog, PublicationRow.subject == row.subject))

            await run_write(self.s.engine, work)
        return PublishOutcome(catalog, row.subject, "revoked", row.entry_id)

    async def _membership(self, catalog: str) -> None:
        if self.on_membership is None:
            return
        try:
            reply = await self.http.get(
                f"{catalog}/participants/{quote(self.s.did, safe=':')}/membership"
            )
        except httpx.HTTPError:
            return
        if reply.status_code == 200:
            body = reply.json()
            credential = body.get("credential", body) if isinstance(body, dict) else None
            if isinstance(credential, dict) and "proof" in credential:
                self.on_membership(credential)

    async def _published(self, catalog: str) -> dict[str, PublicationRow]:
        async with session_factory(self.s.engine)() as session:
            rows = (await session.execute(
                select(PublicationRow).where(PublicationRow.catalog == catalog)
            )).scalars().all()
        return {row.subject: row for row in rows}

    async def _store(self, catalog: str, subject: str, entry_id: str, digest: str) -> None:
        async def work(session: AsyncSession) -> None:
            await session.merge(PublicationRow(catalog=catalog, subject=subject,
                                               entry_id=entry_id, digest=digest,
                                               updated_at=time.time()))

        await run_write(self.s.engine, work)

    async def run(self, every: float) -> None:
        """Publish now, then whenever told (`changed`) and every `every` seconds."""
        delay = 1.0
        while True:
            self.changed.clear()
            try:
                outcomes = await self.publish_all()
                failed = [o for o in outcomes if o.action == "failed"]
                for outcome in failed:
                    log.warning("publishing %s to %s failed: %s", outcome.subject,
                                outcome.catalog, outcome.detail)
                wait = min(delay, every) if failed else every
                delay = min(delay * 2, 300.0) if failed else 1.0
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("publishing failed")
                wait = delay = min(delay * 2, 300.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), wait)
