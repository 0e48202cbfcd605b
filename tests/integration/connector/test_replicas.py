"""Two provider replicas share one database: every negotiation is decided, agreed and
finalized exactly once although both workers look for work (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

from conftest import PROVIDER_DID, Pair, StaticClaims, build_pair
from sqlalchemy import select
from test_dsp_flow import _catalog

from connector.app import Overrides, create_app
from connector.dsp import messages as m
from connector.store.tables import AgreementRow, AssetRow, AuditEntryRow, OutboxRow
from hinterland.db.engine import session_factory


async def test_replicas_never_act_twice(migrated_url: str, tmp_path: Path) -> None:
    async with build_pair(migrated_url, tmp_path, claims=StaticClaims({})) as pair:
        primary = pair.provider.state
        await primary.services.offers.put_asset(
            AssetRow(
                id="urn:asset:a",
                kind="records",
                title="records",
                media_type="application/json",
                properties={},
            )
        )
        await primary.services.offers.put_policy("open", {"permission": [{"action": "use"}]})
        await primary.services.offers.put_offer("open", {}, "open", "open")
        # a second replica of the provider on the same database, polling hard
        replica = create_app(
            primary.settings,
            Overrides(
                key=primary.key,
                http=pair.client,
                resolver=primary.verifier.resolver,
                claims=StaticClaims({}),
            ),
        )
        async with replica.router.lifespan_context(replica):
            replica.state.worker.poll = 0.01
            acted: Counter[str] = Counter()
            for name, app in (("primary", pair.provider.app), ("replica", replica)):
                worker = app.state.worker
                original = worker.negotiation.decide

                async def counted(row, _original=original, _name=name):  # type: ignore[no-untyped-def]
                    acted[_name] += 1
                    await _original(row)

                worker.negotiation.decide = counted
            status, catalog = await _catalog(pair)
            assert status == 200
            dataset = catalog["dataset"][0]
            offer = m.Offer.model_validate({**dataset["hasPolicy"][0], "target": dataset["@id"]})
            consumer = pair.consumer.state
            rows = await asyncio.gather(
                *(
                    consumer.negotiation.request(pair.provider.dsp, PROVIDER_DID, offer)
                    for _ in range(12)
                )
            )

            async def all_final() -> bool:
                states = [(await consumer.services.negotiations.get(r.pid)).state for r in rows]
                return all(s == "FINALIZED" for s in states)

            assert await consumer.services.signals.wait_until(all_final, within=60)
            # both replicas did some of the work, and no negotiation was decided twice
            assert sum(acted.values()) == len(rows), acted
        await _assert_once(pair, len(rows))


async def _assert_once(pair: Pair, n: int) -> None:
    engine = pair.provider.state.services.engine
    async with session_factory(engine)() as session:
        agreements = (
            (await session.execute(select(AgreementRow).where(AgreementRow.role == "provider")))
            .scalars()
            .all()
        )
        outbox = (await session.execute(select(OutboxRow))).scalars().all()
        audit = (await session.execute(select(AuditEntryRow))).scalars().all()
    assert len(agreements) == n
    sent = Counter(row.body["@type"] for row in outbox)
    assert sent == {"ContractAgreementMessage": n, "ContractNegotiationEventMessage": n}
    decisions = [e for e in audit if '"kind":"policy.contract"' in e.entry]
    assert len(decisions) == n
