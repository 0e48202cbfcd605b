"""PostgreSQL's hot write path (`catalog.pgwrite`, ADR catalog-0012) stores exactly what
the general path (`catalog.adds`) stores, row for row in every table, and hands over to
it whenever a group meets something stored."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from test_catalog_store import NOW, Clock, entry

from catalog import pgwrite
from catalog.records import NewEntry
from catalog.store import CatalogStore
from hinterland.db import create_engine, migrate

pytestmark = pytest.mark.postgres

TABLES = {
    "catalog_entries": "row_id",
    "catalog_entry_documents": "row_id",
    "catalog_entry_values": "entry_row, field, norm",
    "catalog_search": "row_id",
    "catalog_changes": "seq",
    "catalog_participants": "did",
}


@pytest.fixture
def migrated_pg(postgres_url: str) -> str:
    migrate.upgrade(postgres_url)
    return postgres_url


def group() -> list[NewEntry]:
    """Entries that exercise every column: values to normalize (case, length, repeats),
    an expiry, an onboarding, a compliance credential, words for the full text."""
    legal = entry(1, issuer="did:web:acme.example", subject="did:web:acme.example",
                  name="ACME Additive GmbH", types=("LegalParticipant",), country=["DE"])
    legal.onboard = True
    offer = entry(2, name="SLS printing in Dresden", types=("PrintService",),
                  material=["PA12", "pa12", "PA11"], region=["DE-SN"], keyword=["x" * 600])
    offer.compliance = {"type": ["VerifiableCredential"], "issuer": "did:web:catalog"}
    expiring = entry(3, until=NOW + timedelta(days=2), format=["STL", "3MF"])
    plain = entry(4, issuer="did:web:bravo.example", name="Carbon footprint, aluminium")
    return [legal, offer, expiring, plain]


async def rows(engine: AsyncEngine) -> dict[str, list[Any]]:
    async with engine.connect() as conn:
        return {
            table: [
                tuple(row)
                for row in await conn.execute(
                    sa.text(f"SELECT * FROM {table} ORDER BY {order}")
                )
            ]
            for table, order in TABLES.items()
        }


async def store_group(engine: AsyncEngine, *, hot: bool) -> dict[str, list[Any]]:
    async with engine.begin() as conn:  # an empty catalog, identities from 1
        await conn.execute(
            sa.text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
        )
    store = CatalogStore(engine, clock=Clock())
    calls: list[bool] = []
    real = pgwrite.write_plain

    async def write_plain(*args: Any) -> Any:
        calls.append(hot)
        return await real(*args) if hot else None

    pgwrite_module: Any = pgwrite
    original, pgwrite_module.write_plain = pgwrite_module.write_plain, write_plain
    try:
        results = await asyncio.gather(*(store.add(new) for new in group()))
    finally:
        pgwrite_module.write_plain = original
    await store.close()
    assert calls == [hot], "the four descriptions went in as one group"
    assert all(result.created for result in results)
    return await rows(engine)


async def test_the_hot_path_stores_what_the_general_path_stores(migrated_pg: str) -> None:
    engine = create_engine(migrated_pg)
    try:
        general = await store_group(engine, hot=False)
        hot = await store_group(engine, hot=True)
    finally:
        await engine.dispose()
    assert len(general["catalog_entry_values"]) == 11  # PA12 once, the long keyword cut
    assert len(general["catalog_participants"]) == 1
    for table in TABLES:
        assert hot[table] == general[table], table


async def test_a_group_meeting_a_stored_version_goes_the_general_way(
    migrated_pg: str,
) -> None:
    """A newer version of a stored entry deprecates it: the hot path stores nothing and
    leaves the group to `catalog.adds`, which knows versions."""
    engine = create_engine(migrated_pg)
    store = CatalogStore(engine, clock=Clock())
    try:
        first = entry(1, subject="https://acme.example/sd/offer", issued=NOW - timedelta(2))
        await store.add(first)
        newer = entry(2, subject="https://acme.example/sd/offer")
        other = entry(3)
        results = await asyncio.gather(store.add(newer), store.add(other))
        assert results[0].deprecated == [first.id] and results[1].created
        assert (await store.get(first.id)).status == "deprecated"
        copy = await store.add(entry(3))  # the same hash again: known, not stored twice
        assert not copy.created and copy.entry.id == other.id
        counts = {table: len(found) for table, found in (await rows(engine)).items()}
        assert counts["catalog_entries"] == 3 and counts["catalog_changes"] == 4
        await store.close()
    finally:
        await engine.dispose()


async def test_the_writer_reconnects_after_losing_its_connection(
    migrated_pg: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer keeps its connection while descriptions keep coming; if the database
    drops it, the group is written the general way and the next one reconnects."""
    engine = create_engine(migrated_pg)
    store = CatalogStore(engine, clock=Clock())
    real = pgwrite.write_plain
    dropped: list[int] = []
    calls: list[int] = []

    async def drop_then_write(connection: Any, *args: Any) -> Any:
        calls.append(len(args[0]))
        if not dropped:  # end this very connection from another session, once
            raw = (await connection.get_raw_connection()).driver_connection
            dropped.append(raw.get_server_pid())
            async with engine.connect() as other:
                await other.execute(
                    sa.text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": dropped[0]}
                )
        return await real(connection, *args)

    monkeypatch.setattr(pgwrite, "write_plain", drop_then_write)
    try:
        outcomes = await asyncio.gather(
            store.add(entry(1)), store.add(entry(2)), return_exceptions=True
        )
        failed = [o for o in outcomes if isinstance(o, BaseException)]
        assert failed == [], failed
        assert "the grouped write failed" in caplog.text
        assert (await store.add(entry(3))).created
        assert calls == [2, 1]  # the group went the general way, the next reconnected
        async with engine.connect() as conn:
            backends = await conn.scalar(
                sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                {"pid": dropped[0]},
            )
        assert backends == 0
        assert len((await rows(engine))["catalog_entries"]) == 3
        await store.close()
    finally:
        await engine.dispose()


async def test_a_writer_cancelled_mid_statement_leaves_nothing_behind(
    migrated_pg: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancelled (shutdown) in the middle of a statement, the writer drops its connection
    and stays cancelled: nothing of the group is written, by this path or the general
    one, and the advisory lock is not left held by a statement still running."""
    engine = create_engine(migrated_pg)
    store = CatalogStore(engine, clock=Clock())
    real_write = pgwrite._write
    started = asyncio.Event()

    async def slow_write(raw: Any, news: list[NewEntry], now: Any) -> Any:
        started.set()
        await raw.execute("SELECT pg_sleep(30)")
        return await real_write(raw, news, now)

    monkeypatch.setattr(pgwrite, "_write", slow_write)
    try:
        adding = asyncio.ensure_future(store.add(entry(1)))
        await asyncio.wait_for(started.wait(), 10)
        await asyncio.sleep(0.2)  # in pg_sleep, holding the lock
        writer = store._writer
        assert writer is not None
        writer.cancel()
        with pytest.raises(asyncio.CancelledError):
            await adding
        monkeypatch.undo()
        assert (await asyncio.wait_for(store.add(entry(2)), 10)).created
        ids = [row[1] for row in (await rows(engine))["catalog_entries"]]
        assert ids == [entry(2).id]
        await store.close()
    finally:
        await engine.dispose()


async def test_a_description_queued_while_the_writer_lets_go_is_stored(
    migrated_pg: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When its queue runs dry the writer returns its connection, which takes a round
    trip; a description arriving meanwhile must start a writer, not wait forever."""
    engine = create_engine(migrated_pg)
    store = CatalogStore(engine, clock=Clock())
    real_close = AsyncConnection.close

    async def slow_close(self: AsyncConnection) -> None:
        await asyncio.sleep(0.3)
        await real_close(self)

    monkeypatch.setattr(AsyncConnection, "close", slow_close)
    try:
        assert (await store.add(entry(1))).created  # the writer is letting go now
        assert (await asyncio.wait_for(store.add(entry(2)), 5)).created
        await store.close()  # waits for the writers to return their connections
    finally:
        monkeypatch.undo()
        await engine.dispose()


async def test_two_writers_sharing_the_database_never_keep_two_versions_active(
    migrated_pg: str,
) -> None:
    """Two catalog processes (here: two stores with engines of their own) adding versions
    of the same subjects at once: the advisory lock orders them, so whichever commits
    second sees the first, and the older version ends deprecated either way."""
    engines = [create_engine(migrated_pg), create_engine(migrated_pg)]
    stores = [CatalogStore(engine, clock=Clock()) for engine in engines]
    try:
        for subject in range(15):
            versions = [
                entry(100 * subject + side, subject=f"https://acme.example/sd/{subject}",
                      issued=NOW - timedelta(days=2 - side))
                for side in (0, 1)
            ]
            await asyncio.gather(*(store.add(v) for store, v in zip(stores, versions, strict=True)))
            states = {v.id: (await stores[0].get(v.id)).status for v in versions}
            assert states == {versions[0].id: "deprecated", versions[1].id: "active"}, subject
        changes = await stores[1].changes(0, 1_000)
        assert [c.seq for c in changes] == sorted(c.seq for c in changes)
        assert sum(c.kind == "added" for c in changes) == 30
        for store in stores:
            await store.close()
    finally:
        for engine in engines:
            await engine.dispose()
