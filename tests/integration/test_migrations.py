"""Migration stairway: upgrade, downgrade, upgrade again, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from hinterland.db import create_engine, migrate


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


def _run(coro):  # type: ignore[no-untyped-def]
    import asyncio

    return asyncio.run(coro)


def test_stairway_upgrade_downgrade_upgrade(database_url: str) -> None:
    migrate.upgrade(database_url)
    after_first = _run(_tables(database_url))
    heads = migrate.current_heads(database_url)
    assert "instance_info" in after_first
    # Component branches depend on kernel_0001, so Alembic records only the branch heads.
    script = ScriptDirectory.from_config(migrate.alembic_config(database_url))
    assert heads and heads <= set(script.get_heads())

    migrate.downgrade(database_url)
    assert _run(_tables(database_url)) <= {"alembic_version"}

    migrate.upgrade(database_url)
    assert _run(_tables(database_url)) == after_first
    assert migrate.current_heads(database_url) == heads
