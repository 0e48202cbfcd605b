"""Online backup and restore of the embedded SQLite database.

PostgreSQL deployments use `pg_dump` / `pg_restore` (docs/operators.md); these functions
refuse a PostgreSQL URL with that advice rather than doing something half right.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import make_url

from hinterland.db.engine import normalize_url
from hinterland.errors import ConfigurationError, InputError


def sqlite_path(url: str) -> Path:
    """The file behind a SQLite URL; `ConfigurationError` for any other database."""
    parsed = make_url(normalize_url(url))
    if not parsed.drivername.startswith("sqlite") or not parsed.database:
        raise ConfigurationError(
            "backup and restore handle the embedded SQLite database only; "
            "for PostgreSQL use pg_dump and pg_restore (see docs/operators.md)"
        )
    if parsed.database == ":memory:":
        raise ConfigurationError("an in-memory database cannot be backed up")
    return Path(parsed.database)


def backup(url: str, target: Path) -> int:
    """Copy a live SQLite database consistently to `target`; returns its size in bytes."""
    source = sqlite_path(url)
    if not source.is_file():
        raise InputError(f"database file {source} does not exist")
    if target.exists():
        raise InputError(f"{target} already exists; refusing to overwrite a backup")
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return target.stat().st_size


def restore(url: str, backup_file: Path, *, force: bool = False) -> None:
    """Replace the SQLite database with a backup (stop the server first).

    Refuses to replace an existing database unless `force`, and checks that the backup
    is a SQLite database that passes `PRAGMA integrity_check` before touching anything.
    """
    target = sqlite_path(url)
    if not backup_file.is_file():
        raise InputError(f"backup file {backup_file} does not exist")
    try:
        with closing(sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)) as probe:
            (result,) = probe.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError as exc:
        raise InputError(f"{backup_file} is not a SQLite database: {exc}") from exc
    if result != "ok":
        raise InputError(f"{backup_file} failed the integrity check: {result}")
    if target.exists() and not force:
        raise InputError(f"{target} exists; pass --force to replace it with the backup")
    target.parent.mkdir(parents=True, exist_ok=True)
    # The backup API replaces the pages through SQLite's own locking and WAL handling.
    with closing(sqlite3.connect(backup_file)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
