"""SQLite connections are tuned in one place, the kernel's engine factories: WAL, foreign
keys, busy timeout, and the synchronous mode and page cache a component asks for."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog.service import SQLITE_CACHE_KIB, SQLITE_SYNCHRONOUS, CatalogService
from catalog.settings import CatalogSettings
from hinterland.db import create_engine, create_sync_sqlite_engine
from hinterland.errors import ConfigurationError

PRAGMAS = ("journal_mode", "foreign_keys", "synchronous", "cache_size")
NORMAL, FULL = 1, 2  # PRAGMA synchronous answers with numbers


async def _pragmas(engine: object) -> dict[str, object]:
    async with engine.connect() as conn:  # type: ignore[attr-defined]
        return {p: (await conn.exec_driver_sql(f"PRAGMA {p}")).scalar() for p in PRAGMAS}


async def test_defaults_and_requested_modes(tmp_path: Path) -> None:
    plain = create_engine(f"sqlite:///{tmp_path / 'a.db'}")
    tuned = create_engine(
        f"sqlite:///{tmp_path / 'b.db'}", sqlite_synchronous="normal", sqlite_cache_kib=4096
    )
    try:
        default = await _pragmas(plain)
        assert default["journal_mode"] == "wal" and default["foreign_keys"] == 1
        assert default["synchronous"] == FULL and default["cache_size"] == -2000
        asked = await _pragmas(tuned)
        assert asked["synchronous"] == NORMAL and asked["cache_size"] == -4096
    finally:
        await plain.dispose()
        await tuned.dispose()


def test_the_synchronous_engine_is_tuned_alike(tmp_path: Path) -> None:
    engine = create_sync_sqlite_engine(str(tmp_path / "c.db"), synchronous="NORMAL")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == NORMAL
    engine.dispose()


def test_an_unknown_mode_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="synchronous mode 'sometimes'"):
        create_engine(f"sqlite:///{tmp_path / 'd.db'}", sqlite_synchronous="sometimes")
    with pytest.raises(ConfigurationError, match="synchronous mode"):
        create_sync_sqlite_engine(str(tmp_path / "e.db"), synchronous="sometimes")


async def test_the_catalog_asks_for_normal_sync_and_a_large_cache(tmp_path: Path) -> None:
    settings = CatalogSettings(
        data_dir=tmp_path, database={"url": f"sqlite:///{tmp_path / 'catalog.db'}"}
    )
    service = CatalogService.build(settings)
    try:
        pragmas = await _pragmas(service.engine)
        assert SQLITE_SYNCHRONOUS == "NORMAL" and pragmas["synchronous"] == NORMAL
        assert pragmas["cache_size"] == -SQLITE_CACHE_KIB
    finally:
        await service.store.close()
        await service.engine.dispose()
