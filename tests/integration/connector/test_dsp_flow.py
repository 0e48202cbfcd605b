"""Negotiation and transfer between two connectors over HTTP, enforced by the ODRL engine."""

from __future__ import annotations

import asyncio
from typing import Any

from conftest import CONSUMER_DID, PROVIDER_DID, Pair

from connector.dsp import messages as m
from connector.statemachine import Role
from connector.store.tables import AssetRow, NegotiationRow, TransferRow

PRINT_LICENCE = {
    "@type": "Offer",
    "permission": [
        {
            "action": "print",
            "constraint": [
                {"leftOperand": "count", "operator": "lteq", "rightOperand": "3"},
                {"leftOperand": "purpose", "operator": "eq", "rightOperand": "prototyping"},
                {"leftOperand": "spatial", "operator": "isPartOf", "rightOperand": "DE"},
            ],
        }
    ],
}
MEMBERS_ONLY = {
    "@type": "Set",
    "permission": [
        {
            "action": "use",
            "constraint": [
                {"leftOperand": "hl:membership", "operator": "eq", "rightOperand": "hinterland"}
            ],
        }
    ],
}


async def _provision(pair: Pair) -> None:
    offers = pair.provider.state.services.offers
    await offers.put_asset(
        AssetRow(
            id="urn:asset:bracket",
            kind="file",
            title="Mounting bracket",
            description="STL bracket",
            media_type="model/stl",
            properties={},
        )
    )
    await offers.put_policy("members", {"@id": "urn:policy:members", **MEMBERS_ONLY})
    await offers.put_policy("print3", {"@id": "urn:policy:print3", **PRINT_LICENCE})
    await offers.put_offer("bracket-print", {"assets": ["urn:asset:bracket"]}, "members", "print3")


async def _catalog(pair: Pair) -> tuple[int, Any]:
    transport = pair.consumer.state.transport
    assert transport is not None
    reply = await transport.request(
        "POST",
        pair.provider.dsp + "/catalog/request",
        PROVIDER_DID,
        m.CatalogRequestMessage(filter=[]).to_json(),
    )
    return reply.status_code, reply.json()


async def _until(pair: Pair, read: Any, states: set[str], within: float = 10) -> Any:
    box: dict[str, Any] = {}

    async def done() -> bool:
        box["row"] = await read()
        return box["row"].state in states

    assert await pair.consumer.state.services.signals.wait_until(done, within=within), (
        f"stuck in {box['row'].state}: {box['row'].reason}"
    )
    return box["row"]


async def _negotiate(pair: Pair) -> NegotiationRow:
    status, catalog = await _catalog(pair)
    assert status == 200, catalog
    dataset = catalog["dataset"][0]
    offer = m.Offer.model_validate({**dataset["hasPolicy"][0], "target": dataset["@id"]})
    consumer = pair.consumer.state
    row = await consumer.negotiation.request(pair.provider.dsp, PROVIDER_DID, offer)
    return await _until(
        pair, lambda: consumer.services.negotiations.get(row.pid), {"FINALIZED", "TERMINATED"}
    )


async def _print(pair: Pair, agreement_id: str, purpose: str = "prototyping") -> TransferRow:
    consumer = pair.consumer.state
    row = await consumer.transfer.request(agreement_id, action="print", purpose=purpose)
    return await _until(
        pair, lambda: consumer.services.transfers.get(row.pid), {"STARTED", "TERMINATED"}
    )


async def test_negotiate_and_print_three_times_the_fourth_is_refused(pair: Pair) -> None:
    await _provision(pair)
    negotiation = await _negotiate(pair)
    assert negotiation.state == "FINALIZED", negotiation.reason
    provider_side = await pair.provider.state.services.negotiations.get(negotiation.remote_pid)
    assert provider_side.state == "FINALIZED"
    agreement = await pair.consumer.state.services.agreements.get(
        negotiation.agreement_id, Role.CONSUMER
    )
    assert agreement.provider == PROVIDER_DID and agreement.consumer == CONSUMER_DID
    assert agreement.policy["permission"] == PRINT_LICENCE["permission"]

    for _ in range(3):
        started = await _print(pair, agreement.id)
        assert started.state == "STARTED", started.reason
        address = m.DataAddress.model_validate(started.data_address)
        assert address.endpoint and address.endpoint.startswith("http://tools.test/data/")
        assert address.property("authType") == "bearer" and address.property("authorization")
    fourth = await _print(pair, agreement.id)
    assert fourth.state == "TERMINATED"
    assert "print count 3 of 3" in (fourth.reason or ""), fourth.reason


async def test_wrong_purpose_is_refused_with_the_reason(pair: Pair) -> None:
    await _provision(pair)
    negotiation = await _negotiate(pair)
    refused = await _print(pair, negotiation.agreement_id, purpose="marketing")
    assert refused.state == "TERMINATED"
    assert "purpose 'marketing'" in (refused.reason or "")
    # a refused request consumed nothing: three prints are still possible
    for _ in range(3):
        assert (await _print(pair, negotiation.agreement_id)).state == "STARTED"


async def test_non_member_sees_no_offer_and_cannot_negotiate(
    pair: Pair, claims: dict[str, dict[str, Any]]
) -> None:
    await _provision(pair)
    claims[CONSUMER_DID] = {"spatial": "DE"}  # no membership
    status, catalog = await _catalog(pair)
    assert status == 200
    assert "dataset" not in catalog
    offer = m.Offer(
        id="urn:hinterland:offer:bracket-print:urn:asset:bracket",
        target="urn:asset:bracket",
        permission=PRINT_LICENCE["permission"],
    )
    consumer = pair.consumer.state
    row = await consumer.negotiation.request(pair.provider.dsp, PROVIDER_DID, offer)
    ended = await _until(
        pair, lambda: consumer.services.negotiations.get(row.pid), {"TERMINATED", "FINALIZED"}
    )
    assert ended.state == "TERMINATED"
    assert "unknown offer" in (ended.reason or "")


async def test_happy_path_needs_no_polling(pair: Pair) -> None:
    """With polling effectively off, events alone drive the negotiation to the end."""
    for node in (pair.provider, pair.consumer):
        node.app.state.worker.poll = 3600
    await _provision(pair)
    loop = asyncio.get_running_loop()
    started = loop.time()
    negotiation = await _negotiate(pair)
    assert negotiation.state == "FINALIZED"
    assert loop.time() - started < 5
