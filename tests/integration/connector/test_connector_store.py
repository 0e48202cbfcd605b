"""Process, outbox and lease storage, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

from connector.statemachine import NegotiationEvent as NE
from connector.statemachine import Role
from connector.statemachine import TransferEvent as TE
from connector.store.outbox import Backoff, OutboxStore
from connector.store.processes import NegotiationStore, Outbound, TransferStore
from connector.store.tables import NegotiationRow, TransferRow
from hinterland.db.base import Base
from hinterland.errors import Conflict, IllegalTransition, NotFound


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _negotiation(role: Role = Role.PROVIDER, remote: str | None = None) -> NegotiationRow:
    return NegotiationRow(
        pid=f"urn:uuid:{uuid.uuid4()}",
        role=role.value,
        remote_pid=remote,
        counterparty="did:web:print.example",
        counterparty_address="https://print.example/cb",
        state="REQUESTED",
        asset_id="urn:asset:bracket",
        offer={"@id": "urn:offer:1"},
        claims={},
    )


def _msg(n: int) -> Outbound:
    return Outbound(
        url=f"https://print.example/cb/{n}", audience="did:web:print.example", body={"n": n}
    )


async def test_orm_matches_migration(engine: AsyncEngine) -> None:
    def diff(conn):  # type: ignore[no-untyped-def]
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        return [d for d in compare_metadata(ctx, Base.metadata) if "connector_" in repr(d)]

    async with engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_negotiation_lifecycle_with_outbox(engine: AsyncEngine) -> None:
    clock = Clock()
    store = NegotiationStore(engine, clock=clock)
    outbox = OutboxStore(engine, clock=clock)
    row = await store.create(_negotiation(remote="urn:c:1"))
    assert (await store.get(row.pid)).state == "REQUESTED"

    step = await store.apply(
        row.pid,
        NE.AGREEMENT,
        Role.PROVIDER,
        updates={"agreement_id": "urn:agreement:1"},
        outbound=[_msg(1)],
    )
    assert step.changed and step.previous == "REQUESTED"
    assert step.row.state == "AGREED" and step.row.agreement_id == "urn:agreement:1"
    assert step.row.version == 2
    assert [m.body for m in await outbox.pending(pid=row.pid)] == [{"n": 1}]

    # a re-delivered message is a no-op and queues nothing
    again = await store.apply(row.pid, NE.AGREEMENT, Role.PROVIDER, outbound=[_msg(2)])
    assert not again.changed and again.row.state == "AGREED"
    assert len(await outbox.pending(pid=row.pid)) == 1

    with pytest.raises(IllegalTransition, match="FINALIZED"):
        await store.apply(row.pid, NE.FINALIZED, Role.PROVIDER, outbound=[_msg(3)])
    assert len(await outbox.pending(pid=row.pid)) == 1  # the refused step queued nothing
    with pytest.raises(NotFound):
        await store.apply("urn:nope", NE.VERIFICATION, Role.CONSUMER)
    with pytest.raises(NotFound):
        await store.get(row.pid, role=Role.CONSUMER)


async def test_check_can_refuse_a_step(engine: AsyncEngine) -> None:
    store = NegotiationStore(engine)
    row = await store.create(_negotiation())

    def only_print_shop(r: NegotiationRow) -> None:
        if r.counterparty != "did:web:other.example":
            raise NotFound("no such negotiation")

    with pytest.raises(NotFound):
        await store.apply(row.pid, NE.TERMINATION, Role.CONSUMER, check=only_print_shop)
    assert (await store.get(row.pid)).state == "REQUESTED"


async def test_redelivered_initial_request_returns_the_same_process(engine: AsyncEngine) -> None:
    store = NegotiationStore(engine)
    first = await store.create(_negotiation(remote="urn:c:42"))
    second = await store.create(_negotiation(remote="urn:c:42"))
    assert second.pid == first.pid
    assert (
        await store.find_remote(Role.PROVIDER, "did:web:print.example", "urn:c:42")
    ).pid == first.pid
    with pytest.raises(Conflict):
        dup = _negotiation()
        dup.pid = first.pid
        await store.create(dup)


async def test_concurrent_identical_steps_apply_once(engine: AsyncEngine) -> None:
    store = TransferStore(engine)
    row = await store.create(
        TransferRow(
            pid=f"urn:uuid:{uuid.uuid4()}",
            role="provider",
            remote_pid="urn:c:t",
            counterparty="did:web:print.example",
            counterparty_address="https://p/cb",
            state="REQUESTED",
            agreement_id="urn:agreement:1",
            format="HttpData-PULL",
            params={},
            claims={},
        )
    )
    results = await asyncio.gather(
        *[store.apply(row.pid, TE.START, Role.PROVIDER, outbound=[_msg(i)]) for i in range(8)]
    )
    assert sum(r.changed for r in results) == 1
    assert len(await OutboxStore(engine).pending(pid=row.pid)) == 1
    final = await store.get(row.pid)
    assert final.state == "STARTED" and final.version == 2


async def test_leases_are_exclusive_and_expire(engine: AsyncEngine) -> None:
    clock = Clock()
    store = NegotiationStore(engine, clock=clock)
    rows = [await store.create(_negotiation()) for _ in range(6)]
    a, b = await asyncio.gather(
        store.claim(["REQUESTED"], "replica-a", role=Role.PROVIDER, seconds=30),
        store.claim(["REQUESTED"], "replica-b", role=Role.PROVIDER, seconds=30),
    )
    pids_a, pids_b = {r.pid for r in a}, {r.pid for r in b}
    assert not pids_a & pids_b
    assert pids_a | pids_b == {r.pid for r in rows}
    assert await store.claim(["REQUESTED"], "replica-c", role=Role.PROVIDER, seconds=30) == []
    assert not await store.acquire(rows[0].pid, "replica-c", seconds=30)
    clock.now += 31  # every lease expired: another replica takes over
    taken = await store.claim(["REQUESTED"], "replica-c", role=Role.PROVIDER, seconds=30)
    assert len(taken) == 6
    await store.release(taken[0].pid, "replica-c")
    assert await store.acquire(taken[0].pid, "replica-a", seconds=30)
    assert not await store.acquire(taken[1].pid, "replica-a", seconds=30)


async def test_a_process_moved_on_since_it_was_seen_is_not_claimed(engine: AsyncEngine) -> None:
    """Replica B saw the process waiting; replica A then decided it and released its
    lease. B must not lease it for the old state (it would decide it a second time)."""
    store = NegotiationStore(engine, clock=Clock())
    row = await store.create(_negotiation())
    seen_by_b = await store._candidates(["REQUESTED"], role=Role.PROVIDER, limit=20)
    assert seen_by_b == [row.pid]

    assert await store.claim(["REQUESTED"], "replica-a", role=Role.PROVIDER, seconds=30)
    await store.apply(row.pid, NE.AGREEMENT, Role.PROVIDER)
    await store.release(row.pid, "replica-a")

    class StaleView(NegotiationStore):
        async def _candidates(self, states, *, role, limit):  # type: ignore[no-untyped-def]
            return seen_by_b

    stale = StaleView(engine, clock=store.clock)
    assert await stale.claim(["REQUESTED"], "replica-b", role=Role.PROVIDER, seconds=30) == []
    assert (await store.get(row.pid)).state == "AGREED"


async def test_outbox_orders_per_process_and_backs_off(engine: AsyncEngine) -> None:
    clock = Clock()
    store = NegotiationStore(engine, clock=clock)
    outbox = OutboxStore(engine, clock=clock, backoff=Backoff(base=1, factor=2, max_attempts=3))
    one = await store.create(_negotiation(), outbound=[_msg(1), _msg(2)])
    two = await store.create(_negotiation(), outbound=[_msg(3)])

    due = await outbox.claim_due("w1", seconds=10)
    assert sorted(r.body["n"] for r in due) == [1, 3]  # message 2 waits for message 1
    assert await outbox.claim_due("w2", seconds=10) == []  # leased by w1

    first = next(r for r in due if r.pid == one.pid)
    assert (
        await outbox.mark_failed(first.id, "w1", "connection refused", permanent=False) == "pending"
    )
    await outbox.mark_sent(next(r.id for r in due if r.pid == two.pid), "w1")
    assert await outbox.claim_due("w2", seconds=10) == []  # backing off for 1 s
    clock.now += 1.01
    retry = await outbox.claim_due("w2", seconds=10)
    assert [r.body["n"] for r in retry] == [1] and retry[0].attempts == 1
    assert await outbox.mark_failed(retry[0].id, "w2", "503", permanent=False) == "pending"
    clock.now += 1.9
    assert await outbox.claim_due("w2", seconds=10) == []  # second delay is 2 s
    clock.now += 0.2
    retry = await outbox.claim_due("w2", seconds=10)
    assert await outbox.mark_failed(retry[0].id, "w2", "503", permanent=False) == "dead"
    clock.now += 100
    # the dead message no longer blocks the next one of its process
    assert [r.body["n"] for r in await outbox.claim_due("w2", seconds=10)] == [2]
    rows = await outbox.all_for(one.pid)
    assert (rows[0].status, rows[0].attempts) == ("dead", 3)
    assert rows[0].last_error == "503"


async def test_outbox_lease_expires_after_a_crash(engine: AsyncEngine) -> None:
    clock = Clock()
    outbox = OutboxStore(engine, clock=clock)
    await NegotiationStore(engine, clock=clock).create(_negotiation(), outbound=[_msg(1)])
    assert len(await outbox.claim_due("crashed", seconds=5)) == 1
    assert await outbox.claim_due("survivor", seconds=5) == []
    clock.now += 6
    claimed = await outbox.claim_due("survivor", seconds=5)
    assert len(claimed) == 1
    await outbox.mark_sent(claimed[0].id, "crashed")  # a stale owner cannot finish it
    assert len(await outbox.pending()) == 1
    await outbox.mark_sent(claimed[0].id, "survivor")
    assert await outbox.pending() == []


async def test_a_step_hands_its_message_to_its_own_worker_and_a_crash_loses_nothing(
    engine: AsyncEngine,
) -> None:
    clock = Clock()
    store = NegotiationStore(engine, clock=clock)
    store.sender = ("replica-a", 5.0)
    outbox = OutboxStore(engine, clock=clock)
    row = await store.create(_negotiation(), outbound=[_msg(1)])
    assert [r.body["n"] for r in store.ready] == [1]  # replica-a sends it without a query
    assert store.ready[0].lease_owner == "replica-a"
    assert await outbox.claim_due("replica-b", seconds=5) == []  # nobody else sends it too
    step = await store.apply(row.pid, NE.AGREEMENT, Role.PROVIDER, outbound=[_msg(2)])
    assert step.changed and len(store.ready) == 1  # message 2 waits behind pending message 1
    clock.now += 6  # replica-a died before sending: its lease runs out
    claimed = await outbox.claim_due("replica-b", seconds=5)
    assert [r.body["n"] for r in claimed] == [1]
    await outbox.mark_sent(claimed[0].id, "replica-b")
    assert [r.body["n"] for r in await outbox.claim_due("replica-b", seconds=5)] == [2]
