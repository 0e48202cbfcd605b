"""The DSP endpoints of one connector, driven message by message by a scripted peer.

Official examples are posted to their endpoints with only ids adapted; illegal transitions
get 400 with a ContractNegotiationError/TransferError, unknown and foreign processes 404,
and replayed or expired identity tokens are refused.
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import CONSUMER_DID, PROVIDER_DID

from connector.app import Overrides, create_app, did_document
from connector.dsp import messages as m
from connector.dsp.schema import SchemaSet
from connector.identity import TokenIssuer
from connector.settings import ConnectorOptions, ConnectorSettings
from connector.statemachine import Role
from connector.store.tables import AgreementRow, AssetRow, NegotiationRow, TransferRow
from hinterland.db.engine import session_factory
from hinterland.did import DidResolver, did_web_document
from hinterland.keys import PrivateKey
from hinterland.settings import DatabaseSettings, DidSettings

VECTORS = Path(__file__).parents[2] / "vectors" / "dsp-2025-1"
SCHEMAS = SchemaSet.from_directory(VECTORS)
DSP = "http://tools.test/dsp/2025-1"
OTHER_DID = "did:web:other.test"
OPEN = {"permission": [{"action": "use"}]}
OFFER_ID = "urn:hinterland:offer:open:urn:asset:pcf"


def example(path: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / path).read_text())
    return data


class Peer:
    """A scripted counterparty with its own key and DID."""

    def __init__(self, client: httpx.AsyncClient, did: str, key: PrivateKey) -> None:
        self.client, self.did = client, did
        self.issuer = TokenIssuer(key, did)

    async def post(self, path: str, body: Any, *, token: str | None = None) -> httpx.Response:
        token = token or self.issuer.issue(PROVIDER_DID)
        return await self.client.post(
            DSP + path, json=body, headers={"Authorization": f"Bearer {token}"}
        )

    async def get(self, path: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.issuer.issue(PROVIDER_DID)}"}
        return await self.client.get(DSP + path, headers=headers)


class Edge:
    def __init__(self, app: Any, peer: Peer, other: Peer, client: httpx.AsyncClient) -> None:
        self.app, self.peer, self.other, self.client = app, peer, other, client

    @property
    def services(self) -> Any:
        return self.app.state.connector.services

    async def negotiation(
        self, state: str, *, role: str = "provider", offer: dict[str, Any] | None = None
    ) -> NegotiationRow:
        row = NegotiationRow(
            pid=f"urn:uuid:{uuid.uuid4()}",
            role=role,
            remote_pid=f"urn:uuid:{uuid.uuid4()}",
            counterparty=CONSUMER_DID,
            counterparty_address="http://print.test/cb",
            state=state,
            asset_id="urn:asset:pcf",
            offer=offer or {"@id": OFFER_ID, "@type": "Offer", **OPEN},
            claims={},
        )
        return await self.services.negotiations.create(row)

    async def transfer(self, state: str, *, role: str = "provider") -> TransferRow:
        row = TransferRow(
            pid=f"urn:uuid:{uuid.uuid4()}",
            role=role,
            remote_pid=f"urn:uuid:{uuid.uuid4()}",
            counterparty=CONSUMER_DID,
            counterparty_address="http://print.test/cb",
            state=state,
            agreement_id="urn:agreement:x",
            format="HttpData-PULL",
            params={},
            claims={},
            data_address=None,
        )
        return await self.services.transfers.create(row)


@pytest.fixture
async def edge(migrated_url: str, tmp_path: Path) -> AsyncIterator[Edge]:
    keys = {did: PrivateKey.generate() for did in (PROVIDER_DID, CONSUMER_DID, OTHER_DID)}
    settings = ConnectorSettings(
        data_dir=tmp_path,
        database=DatabaseSettings(url=migrated_url),
        did=DidSettings(allow_private_addresses=True, allow_http=True),
        connector=ConnectorOptions(
            did=PROVIDER_DID, public_url="http://tools.test", catalog_page_size=2
        ),
    )
    documents = {PROVIDER_DID: did_document(settings, keys[PROVIDER_DID])}
    for did in (CONSUMER_DID, OTHER_DID):
        documents[did] = did_web_document(did, keys[did].public())
    app = create_app(
        settings,
        Overrides(
            key=keys[PROVIDER_DID], resolver=DidResolver(documents=documents), run_worker=False
        ),
    )
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tools.test")
    async with app.router.lifespan_context(app):
        offers = app.state.connector.services.offers
        await offers.put_policy("open", {"@id": "urn:policy:open", **OPEN})
        for n, name in enumerate(("pcf", "bolt", "gear", "nut", "shim")):
            await offers.put_asset(
                AssetRow(
                    id=f"urn:asset:{name}",
                    kind="records",
                    title=f"{name} records #{n}",
                    media_type="application/json",
                    properties={},
                )
            )
        await offers.put_offer("open", {}, "open", "open")
        yield Edge(
            app,
            Peer(client, CONSUMER_DID, keys[CONSUMER_DID]),
            Peer(client, OTHER_DID, keys[OTHER_DID]),
            client,
        )
    await client.aclose()


def _ok(response: httpx.Response, status: int, type_name: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["@type"] == type_name
    assert SCHEMAS.errors(body, type_name) == []
    return body


# ------------------------------------------------------------------ version and catalog


async def test_version_document(edge: Edge) -> None:
    response = await edge.client.get("/.well-known/dspace-version")
    assert response.status_code == 200
    body = response.json()
    assert SCHEMAS.errors(body, "VersionResponse") == []
    assert body["protocolVersions"][0]["version"] == "2025-1"
    assert body["protocolVersions"][0]["path"] == "/dsp/2025-1"


async def test_catalog_request_example_pagination_and_filter(edge: Edge) -> None:
    first = await edge.peer.post(
        "/catalog/request", example("catalog/example/catalog-request-message.json")
    )
    body = _ok(first, 200, "Catalog")
    assert [d["@id"] for d in body["dataset"]] == ["urn:asset:bolt", "urn:asset:gear"]
    assert 'rel="next"' in first.headers["link"]
    next_url = first.headers["link"].split(";")[0].strip("<>")
    second = await edge.client.post(
        next_url,
        json={"@context": [m.DSP_CONTEXT], "@type": "CatalogRequestMessage"},
        headers={"Authorization": "Bearer " + edge.peer.issuer.issue(PROVIDER_DID)},
    )
    page2 = _ok(second, 200, "Catalog")
    assert [d["@id"] for d in page2["dataset"]] == ["urn:asset:nut", "urn:asset:pcf"]
    assert 'rel="previous"' in second.headers["link"] and 'rel="next"' in second.headers["link"]
    filtered = await edge.peer.post(
        "/catalog/request", {**m.CatalogRequestMessage(filter=["gear"]).to_json()}
    )
    assert [d["@id"] for d in _ok(filtered, 200, "Catalog")["dataset"]] == ["urn:asset:gear"]
    bad = await edge.peer.post(
        "/catalog/request", m.CatalogRequestMessage(filter=[{"colour": "red"}]).to_json()
    )
    assert _ok(bad, 400, "CatalogError")["reason"] == [
        "unsupported catalog filter field(s): colour"
    ]


async def test_dataset_endpoint(edge: Edge) -> None:
    found = await edge.peer.get("/catalog/datasets/urn:asset:pcf")
    body = _ok(found, 200, "Dataset")
    assert body["hasPolicy"][0]["@id"] == OFFER_ID
    missing = await edge.peer.get("/catalog/datasets/urn:asset:none")
    assert missing.status_code == 404
    assert missing.json()["@type"] == "CatalogError"


# ------------------------------------------------------------------ negotiation, provider


async def test_initial_contract_request_example_creates_a_negotiation(edge: Edge) -> None:
    message = example("negotiation/example/contract-request-message_initial.json")
    message["offer"]["@id"], message["offer"]["target"] = OFFER_ID, "urn:asset:pcf"
    created = _ok(
        await edge.peer.post("/negotiations/request", message), 201, "ContractNegotiation"
    )
    assert created["state"] == "REQUESTED" and created["consumerPid"] == message["consumerPid"]
    # idempotent: the same request again gives the same negotiation
    again = _ok(await edge.peer.post("/negotiations/request", message), 201, "ContractNegotiation")
    assert again["providerPid"] == created["providerPid"]
    pid = created["providerPid"]
    got = _ok(await edge.peer.get(f"/negotiations/{pid}"), 200, "ContractNegotiation")
    assert got["state"] == "REQUESTED"
    # someone else may not see it: 404, not 403
    foreign = await edge.other.get(f"/negotiations/{pid}")
    assert foreign.status_code == 404
    assert foreign.json()["@type"] == "ContractNegotiationError"

    counter = example("negotiation/example/contract-request-message.json")
    counter.update(providerPid=pid, consumerPid=message["consumerPid"])
    counter["offer"]["@id"], counter["offer"]["target"] = OFFER_ID, "urn:asset:pcf"
    _ok(await edge.peer.post(f"/negotiations/{pid}/request", counter), 200, "ContractNegotiation")

    termination = example("negotiation/example/contract-negotiation-termination-message.json")
    termination.update(providerPid=pid, consumerPid=message["consumerPid"])
    done = _ok(
        await edge.peer.post(f"/negotiations/{pid}/termination", termination),
        200,
        "ContractNegotiation",
    )
    assert done["state"] == "TERMINATED"
    # terminal: any further step is an illegal transition
    late = example("negotiation/example/contract-agreement-verification-message.json")
    late.update(providerPid=pid, consumerPid=message["consumerPid"])
    error = _ok(
        await edge.peer.post(f"/negotiations/{pid}/agreement/verification", late),
        400,
        "ContractNegotiationError",
    )
    assert "not allowed in state TERMINATED" in error["reason"][0]


async def test_request_for_an_unknown_offer_is_refused(edge: Edge) -> None:
    message = example("negotiation/example/contract-request-message_initial.json")
    error = _ok(
        await edge.peer.post("/negotiations/request", message), 400, "ContractNegotiationError"
    )
    assert "unknown offer" in error["reason"][0]


async def test_event_and_verification_examples(edge: Edge) -> None:
    offered = await edge.negotiation("OFFERED")
    event = example("negotiation/example/contract-negotiation-event-message.json")
    event.update(providerPid=offered.pid, consumerPid=offered.remote_pid)
    accepted = _ok(
        await edge.peer.post(f"/negotiations/{offered.pid}/events", event),
        200,
        "ContractNegotiation",
    )
    assert accepted["state"] == "ACCEPTED"

    agreed = await edge.negotiation("AGREED")
    verification = example("negotiation/example/contract-agreement-verification-message.json")
    verification.update(providerPid=agreed.pid, consumerPid=agreed.remote_pid)
    verified = _ok(
        await edge.peer.post(f"/negotiations/{agreed.pid}/agreement/verification", verification),
        200,
        "ContractNegotiation",
    )
    assert verified["state"] == "VERIFIED"

    # ACCEPTED is only legal after an offer
    requested = await edge.negotiation("REQUESTED")
    event.update(providerPid=requested.pid, consumerPid=requested.remote_pid)
    error = _ok(
        await edge.peer.post(f"/negotiations/{requested.pid}/events", event),
        400,
        "ContractNegotiationError",
    )
    assert error["providerPid"] == requested.pid


async def test_unknown_and_foreign_negotiations_are_404(edge: Edge) -> None:
    row = await edge.negotiation("REQUESTED")
    termination = example("negotiation/example/contract-negotiation-termination-message.json")
    termination.update(providerPid=row.pid, consumerPid=row.remote_pid)
    assert (
        await edge.other.post(f"/negotiations/{row.pid}/termination", termination)
    ).status_code == 404
    termination["providerPid"] = "urn:uuid:nope"
    missing = await edge.peer.post("/negotiations/urn:uuid:nope/termination", termination)
    assert missing.status_code == 404
    assert missing.json()["@type"] == "ContractNegotiationError"


# ------------------------------------------------------------------ negotiation, consumer


async def test_consumer_callback_examples(edge: Edge) -> None:
    initial = example("negotiation/example/contract-offer-message_initial.json")
    created = _ok(await edge.peer.post("/negotiations/offers", initial), 201, "ContractNegotiation")
    assert created["state"] == "OFFERED" and created["providerPid"] == initial["providerPid"]

    agreement_rules = example("negotiation/example/contract-agreement-message.json")["agreement"]
    row = await edge.negotiation(
        "REQUESTED",
        role="consumer",
        offer={"@id": "urn:x", "@type": "Offer", "permission": agreement_rules["permission"]},
    )
    offer = example("negotiation/example/contract-offer-message.json")
    offer.update(providerPid=row.remote_pid, consumerPid=row.pid)
    offered = _ok(
        await edge.peer.post(f"/callback/negotiations/{row.pid}/offers", offer),
        200,
        "ContractNegotiation",
    )
    assert offered["state"] == "OFFERED"

    row = await edge.negotiation(
        "REQUESTED",
        role="consumer",
        offer={"@id": "urn:x", "@type": "Offer", "permission": agreement_rules["permission"]},
    )
    for name in ("contract-agreement-message.json",):
        message = example(f"negotiation/example/{name}")
        message.update(providerPid=row.remote_pid, consumerPid=row.pid)
        message["agreement"].update(
            target="urn:asset:pcf", assigner=CONSUMER_DID, assignee=PROVIDER_DID
        )
        agreed = _ok(
            await edge.peer.post(f"/callback/negotiations/{row.pid}/agreement", message),
            200,
            "ContractNegotiation",
        )
        assert agreed["state"] == "AGREED"
    stored = await edge.services.agreements.get(message["agreement"]["@id"], Role.CONSUMER)
    assert stored.provider == CONSUMER_DID  # the peer played the provider here

    await edge.services.negotiations.apply(
        row.pid, "ContractAgreementVerificationMessage", Role.CONSUMER
    )
    final = example("negotiation/example/contract-negotiation-event-message.json")
    final.update(providerPid=row.remote_pid, consumerPid=row.pid, eventType="FINALIZED")
    done = _ok(
        await edge.peer.post(f"/callback/negotiations/{row.pid}/events", final),
        200,
        "ContractNegotiation",
    )
    assert done["state"] == "FINALIZED"


async def test_tampered_agreement_is_refused(edge: Edge) -> None:
    row = await edge.negotiation("REQUESTED", role="consumer")
    message = example("negotiation/example/contract-agreement-message.json")
    message.update(providerPid=row.remote_pid, consumerPid=row.pid)
    message["agreement"].update(
        target="urn:asset:pcf", assigner=CONSUMER_DID, assignee=PROVIDER_DID
    )
    error = _ok(
        await edge.peer.post(f"/callback/negotiations/{row.pid}/agreement", message),
        400,
        "ContractNegotiationError",
    )
    assert "rules differ" in error["reason"][0]


# ------------------------------------------------------------------ transfer


async def test_transfer_request_example(edge: Edge) -> None:
    negotiation = await edge.negotiation("FINALIZED")
    agreement = m.Agreement(
        id="urn:agreement:ex",
        target="urn:asset:pcf",
        assigner=PROVIDER_DID,
        assignee=CONSUMER_DID,
        timestamp="2026-01-01T00:00:00Z",
        **OPEN,
    )
    async with session_factory(edge.services.engine)() as session, session.begin():
        session.add(
            AgreementRow(
                id=agreement.id,
                role="provider",
                negotiation_pid=negotiation.pid,
                asset_id="urn:asset:pcf",
                provider=PROVIDER_DID,
                consumer=CONSUMER_DID,
                policy=agreement.to_json(),
                created_at=time.time(),
            )
        )
    message = example("transfer/example/transfer-request-message.json")
    message["agreementId"] = agreement.id
    push = _ok(await edge.peer.post("/transfers/request", message), 400, "TransferError")
    assert "format 'example:HTTP_PUSH' is not supported" in push["reason"][0]
    message["format"] = "HttpData-PULL"
    created = _ok(await edge.peer.post("/transfers/request", message), 201, "TransferProcess")
    assert created["state"] == "REQUESTED"
    foreign = copy.deepcopy(message)
    foreign["consumerPid"] = "urn:uuid:other"
    refused = _ok(await edge.other.post("/transfers/request", foreign), 400, "TransferError")
    assert "unknown agreement" in refused["reason"][0]


async def test_transfer_messages_provider_side(edge: Edge) -> None:
    row = await edge.transfer("STARTED")

    def msg(name: str) -> dict[str, Any]:
        data = example(f"transfer/example/{name}")
        data.update(providerPid=row.pid, consumerPid=row.remote_pid)
        return data

    suspended = _ok(
        await edge.peer.post(
            f"/transfers/{row.pid}/suspension", msg("transfer-suspension-message.json")
        ),
        200,
        "TransferProcess",
    )
    assert suspended["state"] == "SUSPENDED"
    start = msg("transfer-start-message.json")
    resumed = _ok(
        await edge.peer.post(f"/transfers/{row.pid}/start", start), 200, "TransferProcess"
    )
    assert resumed["state"] == "STARTED"
    completed = _ok(
        await edge.peer.post(
            f"/transfers/{row.pid}/completion", msg("transfer-completion-message.json")
        ),
        200,
        "TransferProcess",
    )
    assert completed["state"] == "COMPLETED"
    error = _ok(
        await edge.peer.post(
            f"/transfers/{row.pid}/termination", msg("transfer-termination-message.json")
        ),
        400,
        "TransferError",
    )
    assert "not allowed in state COMPLETED" in error["reason"][0]
    got = _ok(await edge.peer.get(f"/transfers/{row.pid}"), 200, "TransferProcess")
    assert got["state"] == "COMPLETED"
    assert (await edge.other.get(f"/transfers/{row.pid}")).status_code == 404

    requested = await edge.transfer("REQUESTED")
    start.update(providerPid=requested.pid, consumerPid=requested.remote_pid)
    illegal = _ok(
        await edge.peer.post(f"/transfers/{requested.pid}/start", start), 400, "TransferError"
    )
    assert "only be sent by the provider" in illegal["reason"][0]


async def test_transfer_messages_consumer_side(edge: Edge) -> None:
    row = await edge.transfer("REQUESTED", role="consumer")
    start = example("transfer/example/transfer-start-message.json")
    start.update(providerPid=row.remote_pid, consumerPid=row.pid)
    started = _ok(
        await edge.peer.post(f"/callback/transfers/{row.pid}/start", start), 200, "TransferProcess"
    )
    assert started["state"] == "STARTED"
    stored = await edge.services.transfers.get(row.pid)
    assert stored.data_address["endpoint"] == "http://example.com"
    termination = example("transfer/example/transfer-termination-message.json")
    termination.update(providerPid=row.remote_pid, consumerPid=row.pid)
    ended = _ok(
        await edge.peer.post(f"/callback/transfers/{row.pid}/termination", termination),
        200,
        "TransferProcess",
    )
    assert ended["state"] == "TERMINATED"
    assert (await edge.services.transfers.get(row.pid)).reason == "99: Policy violation"


# ------------------------------------------------------------------ identity at the edge


async def test_replayed_expired_and_missing_tokens_are_refused(edge: Edge) -> None:
    body = m.CatalogRequestMessage().to_json()
    token = edge.peer.issuer.issue(PROVIDER_DID)
    assert (await edge.peer.post("/catalog/request", body, token=token)).status_code == 200
    replay = await edge.peer.post("/catalog/request", body, token=token)
    assert replay.status_code == 401
    assert "replay" in replay.json()["reason"][0]
    old = TokenIssuer(PrivateKey.generate(), CONSUMER_DID, clock=lambda: time.time() - 600)
    expired = await edge.peer.post("/catalog/request", body, token=old.issue(PROVIDER_DID))
    assert expired.status_code == 401
    none = await edge.client.post("/dsp/2025-1/catalog/request", json=body)
    assert none.status_code == 401 and none.json()["@type"] == "CatalogError"


async def test_a_replayed_token_changes_nothing(edge: Edge) -> None:
    """The token's replay mark commits with the message's transition: a token seen once,
    whether its request moved a process, failed, or changed nothing, opens nothing else."""
    agreed = await edge.negotiation("AGREED")
    verification = example("negotiation/example/contract-agreement-verification-message.json")
    verification.update(providerPid=agreed.pid, consumerPid=agreed.remote_pid)
    token = edge.peer.issuer.issue(PROVIDER_DID)
    path = f"/negotiations/{agreed.pid}/agreement/verification"
    _ok(await edge.peer.post(path, verification, token=token), 200, "ContractNegotiation")
    # the same token on another message of another process: refused, no effect
    other = await edge.negotiation("REQUESTED")
    termination = example("negotiation/example/contract-negotiation-termination-message.json")
    termination.update(providerPid=other.pid, consumerPid=other.remote_pid)
    replayed = await edge.peer.post(
        f"/negotiations/{other.pid}/termination", termination, token=token
    )
    assert replayed.status_code == 401 and "replay" in replayed.json()["reason"][0]
    assert (await edge.services.negotiations.get(other.pid)).state == "REQUESTED"
    # a request that failed (illegal transition) has used its token all the same
    event = example("negotiation/example/contract-negotiation-event-message.json")
    event.update(providerPid=other.pid, consumerPid=other.remote_pid)
    failed_token = edge.peer.issuer.issue(PROVIDER_DID)
    failed = await edge.peer.post(f"/negotiations/{other.pid}/events", event, token=failed_token)
    assert failed.status_code == 400
    again = await edge.peer.post(
        f"/negotiations/{other.pid}/termination", termination, token=failed_token
    )
    assert again.status_code == 401
    assert (await edge.services.negotiations.get(other.pid)).state == "REQUESTED"
    # a duplicate message (nothing to change) uses its token too
    duplicate_token = edge.peer.issuer.issue(PROVIDER_DID)
    _ok(await edge.peer.post(path, verification, token=duplicate_token), 200,
        "ContractNegotiation")
    assert (await edge.peer.post(
        f"/negotiations/{other.pid}/termination", termination, token=duplicate_token
    )).status_code == 401
    assert (await edge.services.negotiations.get(other.pid)).state == "REQUESTED"


async def test_bad_bodies_are_4xx_with_a_reason(edge: Edge) -> None:
    response = await edge.client.post(
        "/dsp/2025-1/negotiations/request",
        content=b"{not json",
        headers={"Authorization": "Bearer " + edge.peer.issuer.issue(PROVIDER_DID)},
    )
    assert response.status_code == 400 and "not JSON" in response.json()["reason"][0]
    wrong = await edge.peer.post("/negotiations/request", {"@type": "ContractRequestMessage"})
    assert wrong.status_code == 400 and "schema" in wrong.json()["reason"][0]
    huge = await edge.peer.post("/negotiations/request", {"x": "a" * 1_100_000})
    assert huge.status_code == 413
