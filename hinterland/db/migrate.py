"""Run Alembic migrations programmatically (`hinterland db upgrade`).

Each component keeps its own branch of revisions in `hinterland/db/migrations/versions`
(labelled `kernel`, `policies`, `catalog`, `connector`), so the target is always `heads`.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from hinterland.db.engine import normalize_url
from hinterland.errors import ConfigurationError

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
    """The revisions the database is at (one per branch); empty for a database that
    Hinterland has never migrated."""
    import asyncio

    from hinterland.db.engine import create_engine

    def read(conn: sa.Connection) -> set[str]:
        if not sa.inspect(conn).has_table("alembic_version"):
            return set()
        return {row[0] for row in conn.execute(sa.text("SELECT version_num FROM alembic_version"))}

    async def _read() -> set[str]:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(read)
        finally:
            await engine.dispose()

    return asyncio.run(_read())


def require_current(url: str) -> None:
    """Raise `ConfigurationError` naming the fix if the database lacks a migration of this
    release: a server started on it would fail every request that touches a missing
    table or column. A database migrated by a newer release (revisions this one does not
    know) is let be: whether it still fits is that release's business.

    Calls `asyncio.run`: from async code, run it in a thread.
    """
    script = ScriptDirectory.from_config(alembic_config(url))
    current = current_heads(url)
    known = {revision.revision for revision in script.walk_revisions()}
    if current - known:
        return
    # what `upgrade heads` would apply (kernel_0001 is never recorded: the component
    # branches depend on it)
    missing = [r.revision for r in script.iterate_revisions("heads", tuple(current) or "base")]
    if not missing:
        return
    fix = (
        "run `hinterland db upgrade --config FILE` with this server's config first, or set "
        "`database.migrate_on_start: true`"
    )
    if not current:
        raise ConfigurationError(f"the database has no Hinterland tables yet: {fix}")
    raise ConfigurationError(
        f"the database lacks this release's migrations ({', '.join(sorted(missing))}): {fix}"
    )
