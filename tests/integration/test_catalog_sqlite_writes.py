"""The SQLite writer's hot path runs its inserts on the DBAPI cursor: what it stores must be
what SQLAlchemy Core stores, value for value, and its row ids what SQLite would choose."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from test_catalog_store import NOW, entry

from catalog import adds
from hinterland.db import create_sync_sqlite_engine, migrate

TABLES = ("catalog_entries", "catalog_entry_documents", "catalog_entry_values", "catalog_changes")


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[Path, sa.Engine]]:
    path = tmp_path / "catalog.db"
    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    engine = create_sync_sqlite_engine(str(path))
    yield path, engine
    engine.dispose()


def stored(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the hot path's tables, as SQLite hands back the stored values."""
    with sqlite3.connect(path) as conn:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3").fetchall()
            for table in TABLES
        }


def rows_of(n: int, row_id: int = 0) -> dict[str, list[dict[str, Any]]]:
    """Rows for each hot-path table, with date-times, NULLs and non-ASCII text."""
    new = entry(
        n,
        name=f"Gehäuse {n}",
        until=NOW + timedelta(days=n, microseconds=n) if n % 2 else None,
        material=["PA12", "Ti6Al4V"],
    )
    values = adds.entry_values(new, NOW + timedelta(microseconds=123_456 * n))
    return {
        "entries": [values],
        "blobs": [{"row_id": row_id, **adds.blob_values(new, f"gehäuse {n}")}],
        "values": [
            {"entry_row": row_id, "field": "material", "norm": v.lower(), "value": v}
            for v in ("PA12", "Ti6Al4V")
        ],
        "changes": [{"entry_id": new.id, "kind": "added", "at": values["created"]}],
    }


def insert_all(engine: sa.Engine, numbers: range, *, sqlite: bool) -> list[int]:
    row_ids: list[int] = []
    with engine.begin() as conn:
        for n in numbers:
            row_ids += adds.insert_entries(conn, rows_of(n)["entries"], sqlite=sqlite)
            rows = rows_of(n, row_ids[-1])
            adds.execute_many(conn, adds._INSERT_BLOBS, rows["blobs"], sqlite=sqlite)
            adds.execute_many(conn, adds._INSERT_VALUES, rows["values"], sqlite=sqlite)
            adds.execute_many(conn, adds._INSERT_CHANGES, rows["changes"], sqlite=sqlite)
    return row_ids


def test_the_dbapi_path_stores_what_core_stores(
    database: tuple[Path, sa.Engine], tmp_path: Path
) -> None:
    path, engine = database
    core_path = tmp_path / "core.db"
    migrate.upgrade(f"sqlite+aiosqlite:///{core_path}")
    core_engine = create_sync_sqlite_engine(str(core_path))
    try:
        assert insert_all(core_engine, range(1, 6), sqlite=False) == [1, 2, 3, 4, 5]
    finally:
        core_engine.dispose()
    assert insert_all(engine, range(1, 6), sqlite=True) == [1, 2, 3, 4, 5]
    ours, core = stored(path), stored(core_path)
    assert all(ours[table] for table in TABLES)
    assert ours == core
    # the date-times went through the dialect's converter, as Core sends them
    created = ours["catalog_entries"][0][13]
    assert isinstance(created, str) and created.startswith("2026-11-21 12:00:00.123456")


def test_row_ids_are_the_ones_sqlite_would_choose(database: tuple[Path, sa.Engine]) -> None:
    path, engine = database
    assert insert_all(engine, range(1, 4), sqlite=True) == [1, 2, 3]
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM catalog_entries WHERE row_id = 3")
    assert insert_all(engine, range(4, 6), sqlite=True) == [3, 4]  # SQLite reuses max + 1
    with engine.begin() as conn:  # and an insert left to SQLite continues from there
        conn.execute(sa.insert(adds._ENTRIES), rows_of(9)["entries"])
        assert conn.exec_driver_sql("SELECT max(row_id) FROM catalog_entries").scalar() == 5
    assert [r[0] for r in stored(path)["catalog_entries"]] == [1, 2, 3, 4, 5]


def test_a_constraint_violation_is_raised_as_core_raises_it(
    database: tuple[Path, sa.Engine],
) -> None:
    _, engine = database
    insert_all(engine, range(1, 2), sqlite=True)
    with pytest.raises(IntegrityError, match="UNIQUE constraint failed"), engine.begin() as conn:
        adds.insert_entries(conn, rows_of(1)["entries"], sqlite=True)


@pytest.mark.parametrize("sqlite", [True, False])
def test_look_ups_find_the_same_rows_either_way(
    database: tuple[Path, sa.Engine], sqlite: bool
) -> None:
    _, engine = database
    insert_all(engine, range(1, 6), sqlite=True)
    hashes = [f"{n:064x}" for n in (2, 4, 99)]
    subjects = [f"https://acme.example/sd/{n}" for n in (1, 5, 98)]
    with engine.connect() as conn:
        known = adds.select_in(conn, adds._KNOWN_HASHES, "hashes", hashes, sqlite=sqlite)
        versions = adds.select_in(conn, adds._VERSIONS_OF, "subjects", subjects, sqlite=sqlite)
        assert sorted(row[0] for row in known) == hashes[:2]
        assert sorted(tuple(row) for row in versions) == [
            ("did:web:acme.example", subjects[0]),
            ("did:web:acme.example", subjects[1]),
        ]
        # a second list of the same length reuses the rendered SQL with its own values
        again = adds.select_in(conn, adds._KNOWN_HASHES, "hashes", hashes[::-1], sqlite=sqlite)
        assert sorted(row[0] for row in again) == hashes[:2]


@pytest.fixture
def uri_database(tmp_path: Path) -> Path:
    path = tmp_path / "uri.db"
    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


async def test_the_dbapi_path_also_runs_through_the_async_session(uri_database: Path) -> None:
    """A `file:` URI has no writer thread: adds run through `run_sync` on aiosqlite's
    adapted connection, whose cursor differs from sqlite3's (`execute` returns no cursor)."""
    import asyncio
    from dataclasses import replace

    from test_catalog_store import Clock

    from catalog.store import CatalogStore
    from hinterland.db import create_engine

    engine = create_engine(f"sqlite+aiosqlite:///file:{uri_database}?uri=true")
    store = CatalogStore(engine, clock=Clock())
    try:
        assert store._writer_thread is None  # the path under test
        results = await asyncio.gather(*(store.add(entry(n)) for n in range(1, 6)))
        assert [r.created for r in results] == [True] * 5
        assert [r.entry.row_id for r in results] == [1, 2, 3, 4, 5]
        assert not (await store.add(entry(3))).created  # a copy, found by the look-up
        with pytest.raises(IntegrityError, match="UNIQUE constraint failed"):
            await store.add(replace(entry(9), id=entry(3).id))
        assert len(await store.changes(0, 100)) == 5
    finally:
        await store.close()
        await engine.dispose()
    assert len(stored(uri_database)["catalog_entries"]) == 5
