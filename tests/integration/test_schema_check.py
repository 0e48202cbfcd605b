"""Servers refuse to start on a database that lacks this release's migrations, with the
fix in one line, instead of answering every request with a 500."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from catalog.settings import CatalogSettings
from connector.settings import ConnectorSettings
from hinterland.db import create_engine, migrate
from hinterland.errors import ConfigurationError
from hinterland.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]


async def _execute(url: str, sql: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text(sql))
    finally:
        await engine.dispose()


def test_the_check_names_what_is_missing(database_url: str) -> None:
    empty = r"no Hinterland tables yet.*hinterland db upgrade"
    with pytest.raises(ConfigurationError, match=empty):
        migrate.require_current(database_url)

    migrate.upgrade(database_url)
    migrate.require_current(database_url)  # every migration applied: no complaint

    migrate.downgrade(database_url, "catalog@-1")  # a release behind on one branch
    behind = r"lacks this release's migrations \(catalog_0004\)"
    with pytest.raises(ConfigurationError, match=behind):
        migrate.require_current(database_url)

    migrate.upgrade(database_url)
    migrate.require_current(database_url)
    # a newer release migrated the database further: not this release's call
    asyncio.run(
        _execute(database_url, "UPDATE alembic_version SET version_num = 'catalog_9999' "
                 "WHERE version_num = 'catalog_0004'")
    )
    migrate.require_current(database_url)


def _serve(component: str, config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hinterland", component, "serve", "--config", str(config),
         "--port", "9"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )


@pytest.mark.parametrize("component", ["catalog", "connector"])
def test_serve_refuses_an_unmigrated_database(component: str, tmp_path: Path) -> None:
    config = tmp_path / "hinterland.yaml"
    config.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "data")}))
    result = _serve(component, config)
    message = " ".join(result.stderr.split())  # the console wraps long lines
    assert result.returncode == 2, result.stderr
    assert message.startswith("error: the database has no Hinterland tables yet"), message
    assert "run `hinterland db upgrade --config FILE`" in message
    assert "Traceback" not in result.stderr

    # the command the message names fixes the database the server would use
    upgraded = subprocess.run(
        [sys.executable, "-m", "hinterland", "db", "upgrade", "--config", str(config)],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert upgraded.returncode == 0, upgraded.stderr
    settings_class = CatalogSettings if component == "catalog" else ConnectorSettings
    migrate.require_current(load_settings(settings_class, config_file=config).database_url())
