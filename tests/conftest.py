"""Shared fixtures. Store tests take `database_url` (or `migrated_url`) and so run twice:
on a fresh SQLite file and on a fresh PostgreSQL database.

PostgreSQL is at 127.0.0.1:5432 (user postgres, database test, trust auth) unless
HINTERLAND_TEST_POSTGRES names another admin URL. When it is unreachable the PostgreSQL
half of a test is skipped on a developer machine but *fails* under CI=true.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from hinterland.db import create_engine, migrate

VECTORS = Path(__file__).parent / "vectors"
PG_ADMIN = os.environ.get(
    "HINTERLAND_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
_pg_state: dict[str, str | None] = {}


async def _pg_execute(sql: str) -> None:
    import asyncpg

    conn = await asyncio.wait_for(asyncpg.connect(PG_ADMIN), timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _postgres_problem() -> str | None:
    """None when PostgreSQL answers, else the reason it does not (checked once)."""
    if "problem" not in _pg_state:
        try:
            asyncio.run(_pg_execute("SELECT 1"))
            _pg_state["problem"] = None
        except Exception as exc:  # any failure to connect means "unreachable"
            _pg_state["problem"] = f"PostgreSQL at {PG_ADMIN} unreachable: {exc!r}"
    return _pg_state["problem"]


def require_postgres() -> None:
    """Fail under CI, skip elsewhere, when PostgreSQL cannot be reached."""
    problem = _postgres_problem()
    if problem is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(problem)
    pytest.skip(problem)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    require_postgres()
    name = f"hl_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_execute(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN.rsplit("/", 1)[0]
    try:
        yield f"postgresql+asyncpg://{base.split('://', 1)[1]}/{name}"
    finally:
        asyncio.run(_pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite file for one test."""
    return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """A fresh empty database: once SQLite, once PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def migrated_url(database_url: str) -> str:
    """A fresh database with every migration applied (SQLite and PostgreSQL)."""
    migrate.upgrade(database_url)
    return database_url


@pytest.fixture
async def engine(migrated_url: str) -> AsyncIterator[AsyncEngine]:
    """An async engine on a migrated database (SQLite and PostgreSQL)."""
    eng = create_engine(migrated_url)
    try:
        yield eng
    finally:
        await eng.dispose()
