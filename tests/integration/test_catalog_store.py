"""The catalog store on SQLite and PostgreSQL: versioning, revocation, expiry, feed, search."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from catalog.claims import Claims
from catalog.records import NewEntry
from catalog.search import SearchQuery, search
from catalog.store import CatalogStore
from hinterland.errors import InputError, NotFound

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def entry(
    n: int,
    *,
    issuer: str = "did:web:acme.example",
    subject: str | None = None,
    issued: datetime = NOW - timedelta(days=1),
    until: datetime | None = None,
    name: str = "",
    types: tuple[str, ...] = ("ServiceOffering",),
    **values: list[str],
) -> NewEntry:
    claims = Claims(
        issuer=issuer,
        subject_id=subject or f"https://acme.example/sd/{n}",
        types=list(types),
        names=[name or f"Offer {n}"],
        descriptions=[f"Description of offer {n}"],
        issued=issued,
        valid_until=until,
    )
    for field, vals in values.items():
        for value in vals:
            claims.add(field, value)
    sha = f"{n:064x}"
    return NewEntry(
        id=f"sd-{sha[-32:]}",
        document=f'{{"n": {n}}}',
        sha256=sha,
        claims=claims,
        report={"valid": True, "checks": []},
        rdf="",
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def store(engine: AsyncEngine, clock: Clock) -> AsyncIterator[CatalogStore]:
    store = CatalogStore(engine, clock=clock)
    yield store
    await store.close()


async def test_add_is_idempotent_and_feeds_changes(store: CatalogStore) -> None:
    first = await store.add(entry(1))
    again = await store.add(entry(1))
    assert first.created and not again.created
    assert again.entry.id == first.entry.id
    changes = await store.changes(0, 10)
    assert [(c.kind, c.entry_id) for c in changes] == [("added", first.entry.id)]
    assert changes[0].document == '{"n": 1}'


async def test_newer_version_deprecates_older_in_any_arrival_order(store: CatalogStore) -> None:
    subject = "https://acme.example/sd/x"
    old = entry(1, subject=subject, issued=NOW - timedelta(days=5))
    new = entry(2, subject=subject, issued=NOW - timedelta(days=1))
    other_issuer = entry(3, subject=subject, issuer="did:web:other.example")
    await store.add(old)
    result = await store.add(new)
    assert result.deprecated == [old.id]
    await store.add(other_issuer)  # same subject, other issuer: not a version
    assert (await store.get(old.id)).status == "deprecated"
    assert (await store.get(old.id)).superseded_by == new.id
    assert (await store.get(new.id)).status == "active"
    assert (await store.get(other_issuer.id)).status == "active"
    # an even older version arriving late (e.g. from a peer) is stored deprecated at once
    older = entry(4, subject=subject, issued=NOW - timedelta(days=9))
    late = await store.add(older)
    assert late.entry.status == "deprecated" and late.deprecated == []
    kinds = [(c.kind, c.entry_id) for c in await store.changes(0, 50)]
    assert ("deprecated", old.id) in kinds
    assert [v.id for v in await store.versions("did:web:acme.example", subject)] == [
        new.id,
        old.id,
        older.id,
    ]


async def test_revoke_and_expiry(store: CatalogStore, clock: Clock) -> None:
    a = entry(1)
    b = entry(2, until=NOW + timedelta(hours=1))
    await store.add(a)
    await store.add(b)
    revoked = await store.revoke(a.id, '{"revocation": true}')
    assert revoked.status == "revoked" and revoked.revocation == {"revocation": True}
    assert (await store.revoke(a.id, '{"again": true}')).revocation == {"revocation": True}
    with pytest.raises(NotFound):
        await store.revoke("sd-nope", "{}")
    assert (await store.get(b.id)).status == "active"
    clock.now = NOW + timedelta(hours=2)
    assert (await store.get(b.id)).status == "expired"  # before any sweep
    assert await store.expire_due() == [b.id]
    assert await store.expire_due() == []
    kinds = [(c.kind, c.entry_id) for c in await store.changes(0, 50)]
    assert kinds == [("added", a.id), ("added", b.id), ("revoked", a.id), ("expired", b.id)]
    assert (await store.changes(3, 50))[0].kind == "expired"


async def test_search_filters_facets_and_pages(store: CatalogStore, clock: Clock) -> None:
    await store.add(
        entry(
            1,
            name="SLS printing Dresden",
            material=["PA12"],
            format=["STL"],
            region=["DE-SN"],
            country=["DE"],
            keyword=["sls"],
        )
    )
    await store.add(
        entry(
            2,
            name="FDM printing Munich",
            material=["PLA"],
            format=["STL", "3MF"],
            region=["DE-BY"],
            country=["DE"],
        )
    )
    await store.add(
        entry(
            3,
            name="Carbon footprint data",
            format=["JSON"],
            country=["AT"],
            types=("DataResource",),
            issuer="did:web:other.example",
        )
    )
    await store.add(entry(4, name="Old SLS offer", material=["PA12"], until=NOW + timedelta(1)))
    clock.now = NOW + timedelta(days=2)  # entry 4 is now expired

    page = await search(store, SearchQuery(q="printing"))
    assert sorted(e.name for e in page.items) == ["FDM printing Munich", "SLS printing Dresden"]
    assert (await search(store, SearchQuery(q="print dres"))).total == 1  # prefixes, all words
    assert (await search(store, SearchQuery(q="sls"))).total == 1  # the expired one is hidden
    assert (await search(store, SearchQuery(q="sls", statuses=["expired"]))).total == 1
    page = await search(store, SearchQuery(filters={"format": ["stl"]}))
    assert page.total == 2
    assert dict(page.facets["material"]) == {"PA12": 1, "PLA": 1}
    assert dict(page.facets["region"]) == {"DE-SN": 1, "DE-BY": 1}
    assert dict(page.facets["format"]) == {"STL": 2, "3MF": 1}
    assert dict(page.facets["status"]) == {"active": 2}
    everything = await search(store, SearchQuery())
    assert dict(everything.facets["status"]) == {"active": 3, "expired": 1}
    assert dict(everything.facets["issuer"]) == {
        "did:web:acme.example": 2,
        "did:web:other.example": 1,
    }
    assert dict(everything.facets["type"]) == {"ServiceOffering": 2, "DataResource": 1}
    both = await search(store, SearchQuery(filters={"format": ["JSON", "3MF"]}))
    assert sorted(e.name for e in both.items) == ["Carbon footprint data", "FDM printing Munich"]
    assert (await search(store, SearchQuery(issuers=["did:web:other.example"]))).total == 1
    # counted beyond one page: an entry with two matching values counts once
    counted = await search(store, SearchQuery(filters={"format": ["STL", "3MF"]}, limit=1))
    assert counted.total == 2 and counted.next_cursor is not None
    counted = await search(
        store, SearchQuery(filters={"format": ["STL"], "country": ["DE"]}, limit=1)
    )
    assert counted.total == 2
    counted = await search(store, SearchQuery(q="printing", filters={"format": ["STL"]}, limit=1))
    assert counted.total == 2
    assert (
        await search(store, SearchQuery(q="printing", filters={"region": ["de-sn"]}))
    ).total == 1
    assert (await search(store, SearchQuery(q="--"))).total == 0

    seen: list[str] = []
    cursor = None
    while True:
        page = await search(store, SearchQuery(limit=1, cursor=cursor, facets=False))
        seen.extend(e.name for e in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == ["Carbon footprint data", "FDM printing Munich", "SLS printing Dresden"]

    with pytest.raises(InputError, match="cursor"):
        await search(store, SearchQuery(cursor="garbage!"))
    with pytest.raises(InputError, match="unknown filter"):
        await search(store, SearchQuery(filters={"colour": ["red"]}))
    with pytest.raises(InputError, match="unknown status"):
        await search(store, SearchQuery(statuses=["gone"]))


async def test_onboarding_records_participant(store: CatalogStore) -> None:
    legal = entry(
        1,
        issuer="did:web:acme.example",
        subject="did:web:acme.example",
        name="ACME GmbH",
        types=("LegalParticipant",),
    )
    legal.onboard = True
    await store.add(legal)
    participant = await store.participant("did:web:acme.example")
    assert participant is not None and participant.name == "ACME GmbH"
    assert await store.participant("did:web:nobody.example") is None
    await store.revoke(legal.id, "{}")
    assert await store.participant("did:web:acme.example") is None


async def test_a_failure_inside_the_write_leaves_nothing_half_stored(
    store: CatalogStore,
    engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A write that fails after some of its rows are in leaves none of them: on the
    general path (an index step fails) and on PostgreSQL's hot path (its last statement,
    onboarding, fails after the insert into every other table; the group is then written
    the general way, which fails as well)."""
    import sqlalchemy as sa

    from catalog import adds, pgwrite

    def broken_index(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(adds, "index_values", broken_index)
    failing = "SELECT $1::text[], $2::text[], $3::text[], $4::timestamptz, 1 / 0"
    monkeypatch.setattr(pgwrite, "ONBOARD", failing)
    legal = entry(1, types=("LegalParticipant",))
    legal.onboard = True
    with pytest.raises(RuntimeError, match="disk full"):
        await store.add(legal)
    assert store.sqlite or "division by zero" in caplog.text  # the hot path failed first
    async with engine.connect() as conn:
        for table in (
            "catalog_entries",
            "catalog_entry_documents",
            "catalog_entry_values",
            "catalog_changes",
            "catalog_participants",
        ):
            count = (await conn.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar()
            assert count == 0, table
    monkeypatch.undo()
    assert (await store.add(entry(1))).created  # and the store still works
