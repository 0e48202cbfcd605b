"""`hinterland db`: migrations (and, later, backup and restore)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hinterland.db import migrate
from hinterland.settings import load_settings

app = typer.Typer(help="Database migrations and maintenance.", no_args_is_help=True)
console = Console()

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
