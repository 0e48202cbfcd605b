"""`hinterland db`: migrations, backup and restore."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hinterland.db import backup as backups
from hinterland.db import migrate
from hinterland.settings import load_settings

app = typer.Typer(help="Database migrations and maintenance.", no_args_is_help=True)
console = Console(emoji=False)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="YAML config file", exists=True, dir_okay=False)
]
UrlOption = Annotated[str | None, typer.Option("--url", help="database URL (overrides config)")]


def _url(config: Path | None, url: str | None) -> str:
    return url or load_settings(config_file=config).database_url()


@app.command()
def upgrade(config: ConfigOption = None, url: UrlOption = None) -> None:
    """Apply every pending migration."""
    target = _url(config, url)
    migrate.upgrade(target)
    console.print(f"database at {sorted(migrate.current_heads(target))}")


@app.command()
def downgrade(
    revision: Annotated[str, typer.Argument(help="target revision")] = "base",
    config: ConfigOption = None,
    url: UrlOption = None,
) -> None:
    """Revert migrations down to REVISION (everything by default)."""
    migrate.downgrade(_url(config, url), revision)
    console.print(f"database downgraded to {revision}")


@app.command()
def backup(
    out: Annotated[Path, typer.Option("--out", help="backup file to write (must not exist)")],
    config: ConfigOption = None,
    url: UrlOption = None,
) -> None:
    """Back up the SQLite database while it is in use (PostgreSQL: use pg_dump)."""
    size = backups.backup(_url(config, url), out)
    console.print(f"backup written to {out} ({size} bytes)")


@app.command()
def restore(
    backup_file: Annotated[Path, typer.Argument(help="a file written by `db backup`")],
    force: Annotated[bool, typer.Option("--force", help="replace an existing database")] = False,
    config: ConfigOption = None,
    url: UrlOption = None,
) -> None:
    """Restore the SQLite database from a backup (stop the server first)."""
    backups.restore(_url(config, url), backup_file, force=force)
    console.print(f"database restored from {backup_file}")
