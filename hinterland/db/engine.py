"""Async engine factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

from hinterland.errors import ConfigurationError

SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


def normalize_url(url: str) -> str:
    """Accept the plain `sqlite:///` and `postgresql://` forms and add the async driver."""
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    return url


def create_engine(
    url: str,
    *,
    echo: bool = False,
    pool_size: int = 5,
    sqlite_synchronous: str | None = None,
    sqlite_cache_kib: int | None = None,
) -> AsyncEngine:
    """Create an async engine; SQLite gets WAL, foreign keys and a busy timeout, and the
    given `synchronous` mode and page cache size (SQLite's defaults when None).

    Raises `ConfigurationError` for a URL whose driver we do not support.
    """
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.drivername not in SUPPORTED_DRIVERS:
        raise ConfigurationError(
            f"unsupported database URL driver {parsed.drivername!r}; "
            f"use one of {', '.join(SUPPORTED_DRIVERS)}"
        )
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.drivername.startswith("sqlite"):
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs["pool_size"] = pool_size
        kwargs["pool_pre_ping"] = True
    if parsed.drivername.startswith("sqlite"):
        _check_synchronous(sqlite_synchronous)
    engine = _create_async_engine(url, **kwargs)
    if parsed.drivername.startswith("sqlite"):
        # aiosqlite's default transaction handling defers BEGIN; we issue BEGIN IMMEDIATE
        # ourselves where a write lock is needed (see `hinterland.db.tx`).
        _tune_sqlite(engine.sync_engine, sqlite_synchronous, sqlite_cache_kib)
    return engine


def _tune_sqlite(engine: sa.Engine, synchronous: str | None, cache_kib: int | None) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if synchronous is not None:
            cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
        if cache_kib is not None:
            cursor.execute(f"PRAGMA cache_size={-int(cache_kib)}")  # negative: KiB
        cursor.close()


_SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")


def _check_synchronous(synchronous: str | None) -> None:
    if synchronous is not None and synchronous.upper() not in _SYNCHRONOUS:
        raise ConfigurationError(f"unknown SQLite synchronous mode {synchronous!r}")


def create_sync_sqlite_engine(database: str, *, synchronous: str = "FULL") -> sa.Engine:
    """A synchronous engine on a SQLite file, tuned like `create_engine`'s, for code that
    runs a whole transaction in one thread hop (aiosqlite hops per statement).

    Its connections may be used from any one thread at a time (the caller serializes).
    """
    _check_synchronous(synchronous)
    engine = sa.create_engine(
        f"sqlite:///{database}", connect_args={"timeout": 30, "check_same_thread": False}
    )
    _tune_sqlite(engine, synchronous, None)
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """A session factory whose objects stay readable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


def is_sqlite(engine: AsyncEngine) -> bool:
    """True when the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"
