"""Helpers for catalog tests: real keys, real did:web documents served from a loopback
server, signed Gaia-X style descriptions, and uvicorn servers in threads."""

from __future__ import annotations

import copy
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from hinterland.did import did_web_document, did_web_from_domain
from hinterland.keys import PrivateKey
from hinterland.proofs import sign_document

CRED_V1 = "https://www.w3.org/2018/credentials/v1"
CRED_V2 = "https://www.w3.org/ns/credentials/v2"
GX = "https://registry.lab.gaia-x.eu/development/api/trusted-shape-registry/v1/shapes/jsonld/trustframework#"
HL_PREFIX = {"hl": "https://w3id.org/hinterland/v1#"}


@contextmanager
def serve(app: Any, port: int = 0) -> Iterator[str]:
    """Run an ASGI app with uvicorn on 127.0.0.1 (ephemeral port unless given); yields its
    base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


class DidHost:
    """A loopback web server serving did:web documents at /<name>/did.json."""

    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        self.app = Starlette(routes=[Route("/{name}/did.json", self._did)])
        self.base_url = ""

    async def _did(self, request: Request) -> JSONResponse:
        document = self.documents.get(request.path_params["name"])
        if document is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        return JSONResponse(document)

    def party(self, name: str, *, publish: bool = True) -> Party:
        """A company with a fresh Ed25519 key and a did:web on this host."""
        key = PrivateKey.generate("ed25519")
        domain = self.base_url.removeprefix("http://") + "/" + name
        did = did_web_from_domain(domain)
        if publish:
            self.documents[name] = did_web_document(did, key.public())
        return Party(name=name, did=did, key=key, verification_method=f"{did}#key-1")


@dataclass
class Party:
    """A signer: DID, key and verification method."""

    name: str
    did: str
    key: PrivateKey
    verification_method: str

    def sign(self, document: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return sign_document(
            document, self.key, verification_method=self.verification_method, **kwargs
        )


def iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def credential(
    issuer: str,
    subject: dict[str, Any],
    *,
    issued: datetime | None = None,
    valid_until: datetime | None = None,
    extra_context: list[Any] | None = None,
) -> dict[str, Any]:
    """An unsigned VC 2.0 with Gaia-X 22.10 style gx: terms, plus hl: terms.

    (VC 2.0 because its context defines the Data Integrity proof terms; with VC 1.1 the
    eddsa-rdfc-2022 proof terms would be undefined, which verification rightly rejects.)"""
    issued = issued or datetime.now(UTC) - timedelta(minutes=5)
    document: dict[str, Any] = {
        "@context": [CRED_V2, GX, HL_PREFIX, *(extra_context or [])],
        "type": ["VerifiableCredential"],
        "id": f"urn:uuid:{uuid.uuid4()}",
        "issuer": issuer,
        "validFrom": iso(issued),
        "credentialSubject": subject,
    }
    if valid_until is not None:
        document["validUntil"] = iso(valid_until)
    return document


def legal_participant(party: Party, name: str, region: str = "DE-SN", **kw: Any) -> dict[str, Any]:
    """A signed gx:LegalParticipant describing the party itself."""
    subject = {
        "id": party.did,
        "type": "gx:LegalParticipant",
        "gx:legalName": name,
        "gx:legalRegistrationNumber": {"id": f"urn:lrn:{party.name}"},
        "gx:headquarterAddress": {"gx:countrySubdivisionCode": region},
        "gx:legalAddress": {"gx:countrySubdivisionCode": region},
    }
    return party.sign(credential(party.did, subject, **kw))


def offer_subject(
    party: Party,
    slug: str,
    *,
    name: str,
    description: str = "",
    material: list[str] | None = None,
    media_type: str = "model/stl",
    region: str = "DE-SN",
    process: str | None = None,
    keywords: list[str] | None = None,
) -> dict[str, Any]:
    """The credentialSubject of a gx:ServiceOffering with 3D-print claims."""
    subject: dict[str, Any] = {
        "id": f"https://{party.name}.example/offers/{slug}",
        "type": "gx:ServiceOffering",
        "gx:name": name,
        "gx:description": description or name,
        "gx:providedBy": {"id": party.did},
        "gx:policy": "default: allow",
        "gx:termsAndConditions": {
            "gx:URL": f"https://{party.name}.example/terms",
            "gx:hash": "d8402a23de560f5ab34b22d1a142feb9e13b3143",
        },
        "gx:dataAccountExport": {
            "gx:requestType": "API",
            "gx:accessType": "digital",
            "gx:formatType": "application/json",
        },
        "hl:region": region,
        "hl:mediaType": media_type,
    }
    if material:
        subject["hl:material"] = material
    if process:
        subject["hl:process"] = process
    if keywords:
        subject["gx:keyword"] = keywords
    return subject


def offer(
    party: Party,
    slug: str,
    *,
    issued: datetime | None = None,
    valid_until: datetime | None = None,
    **claims: Any,
) -> dict[str, Any]:
    """A signed service offering."""
    return party.sign(
        credential(
            party.did, offer_subject(party, slug, **claims), issued=issued, valid_until=valid_until
        )
    )


HL_CONTEXT = "https://w3id.org/hinterland/v1"


def hinterland_credential(
    party: Party,
    subject: dict[str, Any],
    *,
    issued: datetime | None = None,
    valid_until: datetime | None = None,
) -> dict[str, Any]:
    """A signed VC 2.0 in the Hinterland vocabulary."""
    issued = issued or datetime.now(UTC) - timedelta(minutes=5)
    document: dict[str, Any] = {
        "@context": [CRED_V2, HL_CONTEXT],
        "type": ["VerifiableCredential"],
        "id": f"urn:uuid:{uuid.uuid4()}",
        "issuer": party.did,
        "validFrom": iso(issued),
        "credentialSubject": subject,
    }
    if valid_until is not None:
        document["validUntil"] = iso(valid_until)
    return party.sign(document)


def print_service(
    party: Party,
    slug: str,
    *,
    name: str,
    issued: datetime | None = None,
    valid_until: datetime | None = None,
    **claims: Any,
) -> dict[str, Any]:
    """A signed hinterland:PrintService (material, process, format, region, keyword...)."""
    subject = {
        "id": f"https://{party.name}.example/services/{slug}",
        "type": "PrintService",
        "name": name,
        "offeredBy": party.did,
        **claims,
    }
    return hinterland_credential(party, subject, issued=issued, valid_until=valid_until)


def need(party: Party, slug: str, *, name: str, **claims: Any) -> dict[str, Any]:
    """A signed hinterland:Need."""
    subject = {
        "id": f"https://{party.name}.example/needs/{slug}",
        "type": "Need",
        "name": name,
        **claims,
    }
    return hinterland_credential(party, subject)


def revocation(signer: Party, entry_id: str, *, issuer: str | None = None) -> dict[str, Any]:
    """A CatalogRevocation for an entry, signed by `signer` (claiming `issuer`)."""
    from catalog import vocab

    document = {
        "@context": vocab.context(),
        "type": ["VerifiableCredential", "CatalogRevocation"],
        "issuer": issuer or signer.did,
        "validFrom": iso(datetime.now(UTC) - timedelta(minutes=1)),
        "credentialSubject": {"id": vocab.entry_iri(entry_id), "revokes": entry_id},
    }
    return signer.sign(document)


def tamper(document: dict[str, Any], path: list[str], value: Any) -> dict[str, Any]:
    """A deep copy with one value changed after signing."""
    changed = copy.deepcopy(document)
    node = changed
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return changed


# -- fixtures (import them by name into a test module) ------------------------------------

import httpx  # noqa: E402
import pytest  # noqa: E402

from catalog.app import create_app  # noqa: E402
from catalog.settings import CatalogSettings  # noqa: E402


@pytest.fixture(scope="module")
def did_host() -> Iterator[DidHost]:
    """One DID web server per test module."""
    host = DidHost()
    with serve(host.app) as url:
        host.base_url = url
        yield host


def catalog_settings(tmp_path: Any, database_url: str, **catalog: Any) -> CatalogSettings:
    """Test settings: loopback did:web allowed, the given catalog options."""
    options = {"base_url": "http://catalog.test", "participant_policy": "onboarded", **catalog}
    return CatalogSettings(
        data_dir=tmp_path,
        database={"url": database_url},
        did={"allow_private_addresses": True, "allow_http": True, "cache_seconds": 0},
        catalog=options,
    )


@contextmanager
def _noop() -> Iterator[None]:
    yield


class CatalogClient:
    """An app plus an httpx client over ASGITransport."""

    def __init__(self, settings: CatalogSettings, **kwargs: Any) -> None:
        self.app = create_app(settings, background=False, **kwargs)
        self.service = self.app.state.catalog
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://catalog.test"
        )

    async def close(self) -> None:
        await self.http.aclose()
        await self.service.sparql.close()
        await self.service.store.close()
        await self.service.engine.dispose()

    async def publish(self, document: dict[str, Any] | bytes) -> httpx.Response:
        if isinstance(document, bytes):
            return await self.http.post("/self-descriptions", content=document)
        return await self.http.post("/self-descriptions", json=document)

    async def all_entries(self) -> list[dict[str, Any]]:
        response = await self.http.get(
            "/self-descriptions",
            params=[("status", s) for s in ("active", "deprecated", "revoked", "expired")]
            + [("limit", "200")],
        )
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items


def gaiax_participant(
    party: Party, name: str, *, vat_id: str | None = "DE123456789", region: str = "DE-SN"
) -> dict[str, Any]:
    """A signed Gaia-X 22.10 LegalParticipant with its registration number and accepted
    terms as further subjects (as the Gaia-X wizard presents them)."""
    lrn = f"urn:lrn:{party.name}"
    subjects: list[dict[str, Any]] = [
        {
            "id": party.did,
            "type": "gx:LegalParticipant",
            "gx:legalName": name,
            "gx:legalRegistrationNumber": {"id": lrn},
            "gx:headquarterAddress": {"gx:countrySubdivisionCode": region},
            "gx:legalAddress": {"gx:countrySubdivisionCode": region},
        },
        {
            "id": lrn,
            "type": "gx:legalRegistrationNumber",
            **({"gx:vatID": vat_id, "gx:vatID-countryCode": vat_id[:2]} if vat_id else {}),
        },
    ]
    return party.sign(credential(party.did, subjects))  # type: ignore[arg-type]


def free_port() -> int:
    """A port that was free a moment ago."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def did_key_party(name: str) -> Party:
    """A company whose DID is a did:key (resolved without any network)."""
    from hinterland.did import did_key_from_public_key, did_key_verification_method_id

    key = PrivateKey.generate("ed25519")
    public = key.public()
    return Party(
        name=name,
        did=did_key_from_public_key(public),
        key=key,
        verification_method=did_key_verification_method_id(public),
    )
