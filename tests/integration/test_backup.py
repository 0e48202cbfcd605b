"""`hinterland db backup` / `restore` round trip through the real CLI."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hinterland", *args], capture_output=True, text=True, timeout=120
    )


def test_backup_and_restore_round_trip(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    assert _cli("db", "upgrade", "--url", url).returncode == 0
    with closing(sqlite3.connect(tmp_path / "live.db")) as conn, conn:
        conn.execute("INSERT INTO instance_info VALUES ('name', 'ACME GmbH')")

    done = _cli("db", "backup", "--out", str(tmp_path / "b.db"), "--url", url)
    assert done.returncode == 0, done.stderr

    with closing(sqlite3.connect(tmp_path / "live.db")) as conn, conn:
        conn.execute("UPDATE instance_info SET value = 'damaged'")

    refused = _cli("db", "restore", str(tmp_path / "b.db"), "--url", url)
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert "Traceback" not in refused.stderr

    restored = _cli("db", "restore", str(tmp_path / "b.db"), "--url", url, "--force")
    assert restored.returncode == 0, restored.stderr
    with closing(sqlite3.connect(tmp_path / "live.db")) as conn, conn:
        assert conn.execute("SELECT value FROM instance_info").fetchone() == ("ACME GmbH",)


def test_backup_never_overwrites_and_rejects_garbage(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    assert _cli("db", "upgrade", "--url", url).returncode == 0
    (tmp_path / "exists.db").write_text("keep me")
    again = _cli("db", "backup", "--out", str(tmp_path / "exists.db"), "--url", url)
    assert again.returncode == 2 and "already exists" in again.stderr
    assert (tmp_path / "exists.db").read_text() == "keep me"

    (tmp_path / "garbage.db").write_text("not a database at all" * 100)
    bad = _cli("db", "restore", str(tmp_path / "garbage.db"), "--url", url, "--force")
    assert bad.returncode == 2 and "not a SQLite database" in bad.stderr


def test_postgres_urls_are_pointed_to_pg_dump(tmp_path: Path) -> None:
    result = _cli("db", "backup", "--out", str(tmp_path / "x"), "--url", "postgresql://h@db/h")
    assert result.returncode == 2 and "pg_dump" in result.stderr
