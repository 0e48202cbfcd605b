"""Run Alembic migrations programmatically (`hinterland db upgrade`).

Each component keeps its own branch of revisions in `hinterland/db/migrations/versions`
(labelled `kernel`, `policies`, `catalog`, `connector`), so the target is always `heads`.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from hinterland.db.engine import normalize_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at our migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "heads") -> None:
    """Upgrade the database to `revision` (every branch head by default)."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    """Downgrade the database to `revision` (empty by default)."""
    command.downgrade(alembic_config(url), revision)


def current_heads(url: str) -> set[str]:
    """The revisions the database is at (one per branch)."""
    import asyncio

    from sqlalchemy import text

    from hinterland.db.engine import create_engine

    async def _read() -> set[str]:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
                return {row[0] for row in rows}
        finally:
            await engine.dispose()

    return asyncio.run(_read())
