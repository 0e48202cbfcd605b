"""50 concurrent print requests against a 3-print licence: exactly 3 are granted
(SQLite and PostgreSQL), each refusal says why."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter

from conftest import CONSUMER_DID, PROVIDER_DID
from test_dsp_endpoints import Edge, edge  # noqa: F401  (fixture)
from test_dsp_flow import PRINT_LICENCE

from connector.dsp import messages as m
from connector.store.tables import AgreementRow
from hinterland.db.engine import session_factory


async def _print_licence_agreement(edge: Edge) -> m.Agreement:  # noqa: F811
    """A finalized 3-print licence for the consumer, stored on the provider, and the
    consumer's claims (located in Germany) cached as if just fetched."""
    negotiation = await edge.negotiation("FINALIZED")
    agreement = m.Agreement(
        id=f"urn:uuid:{uuid.uuid4()}",
        target="urn:asset:pcf",
        assigner=PROVIDER_DID,
        assignee=CONSUMER_DID,
        timestamp="2026-01-01T00:00:00Z",
        permission=PRINT_LICENCE["permission"],
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
    claims = edge.app.state.connector._claims_cache
    claims[CONSUMER_DID] = (time.monotonic() + 600, {"spatial": "DE"})
    return agreement


async def test_fifty_concurrent_prints_grant_exactly_three(edge: Edge) -> None:  # noqa: F811
    agreement = await _print_licence_agreement(edge)

    async def ask(i: int) -> tuple[int, str]:
        message = m.TransferRequestMessage(
            consumerPid=f"urn:uuid:{uuid.uuid4()}",
            agreementId=agreement.id,
            format="HttpData-PULL",
            callbackAddress="http://print.test/cb",
            action="print",
            purpose="prototyping",
        ).to_json()
        reply = await edge.peer.post("/transfers/request", message)
        body = reply.json()
        return reply.status_code, (body.get("reason") or [""])[0]

    results = await asyncio.gather(*(ask(i) for i in range(50)))
    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 3, 403: 47}, results
    reasons = {reason for status, reason in results if status == 403}
    assert all("print count 3 of 3" in r for r in reasons), reasons
    transfers = await edge.services.transfers.recent(limit=100)
    assert sorted(t.params["use"] for t in transfers) == [1, 2, 3]


async def test_a_replayed_print_request_spends_no_print(edge: Edge) -> None:  # noqa: F811
    """The token of a counted transfer request is on record before the count is spent: the
    same token on a second request is refused without using up a print."""
    agreement = await _print_licence_agreement(edge)

    def request() -> dict[str, object]:
        return m.TransferRequestMessage(
            consumerPid=f"urn:uuid:{uuid.uuid4()}", agreementId=agreement.id,
            format="HttpData-PULL", callbackAddress="http://print.test/cb", action="print",
            purpose="prototyping",
        ).to_json()

    token = edge.peer.issuer.issue(PROVIDER_DID)
    assert (await edge.peer.post("/transfers/request", request(), token=token)).status_code == 201
    replayed = await edge.peer.post("/transfers/request", request(), token=token)
    assert replayed.status_code == 401 and "replay" in replayed.json()["reason"][0]
    second = await edge.peer.post("/transfers/request", request())
    assert second.status_code == 201
    transfers = await edge.services.transfers.recent(limit=10)
    assert sorted(t.params["use"] for t in transfers) == [1, 2]  # the replay spent nothing
