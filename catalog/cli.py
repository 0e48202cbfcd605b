"""`hinterland catalog`: run the federated catalog."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from fastapi import FastAPI
from rich.console import Console

app = typer.Typer(help="The federated catalog.", no_args_is_help=True)
console = Console(emoji=False)
_CONFIG_ENV = "HINTERLAND_CATALOG_CONFIG_FILE"
_SECRETS_ENV = "HINTERLAND_CATALOG_SECRETS_DIR"

ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="YAML config file", exists=True, dir_okay=False)
]
SecretsDirOption = Annotated[
    Path | None,
    typer.Option("--secrets-dir", help="directory of secret files named like their variables",
                 exists=True, file_okay=False),
]


def app_factory() -> FastAPI:
    """Build the app in a uvicorn worker (the config file path travels in the environment)."""
    from catalog.app import create_app
    from catalog.settings import CatalogSettings
    from hinterland.settings import load_settings
    from hinterland.web.logging import configure_logging

    config = os.environ.get(_CONFIG_ENV)
    secrets = os.environ.get(_SECRETS_ENV)
    settings = load_settings(
        CatalogSettings,
        config_file=Path(config) if config else None,
        secrets_dir=Path(secrets) if secrets else None,
    )
    configure_logging(settings.log_level, json_lines=settings.log_json)
    return create_app(settings)


@app.command()
def serve(
    config: ConfigOption = None,
    secrets_dir: SecretsDirOption = None,
    host: Annotated[str | None, typer.Option(help="bind address (default from settings)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default from settings)")] = None,
    workers: Annotated[int | None, typer.Option(help="worker processes")] = None,
) -> None:
    """Start the catalog (FastAPI on uvicorn)."""
    from catalog.credentials import KernelSigner
    from catalog.settings import CatalogSettings
    from hinterland.db import migrate
    from hinterland.settings import load_settings
    from hinterland.web.workers import serve as serve_workers

    settings = load_settings(CatalogSettings, config_file=config, secrets_dir=secrets_dir)
    options = settings.catalog
    if settings.database.migrate_on_start:
        migrate.upgrade(settings.database_url())
    else:  # refuse to start rather than answer every request with a 500
        migrate.require_current(settings.database_url())
    # Create the catalog key once, before workers start, so they all sign alike.
    signer = KernelSigner.from_settings(options.key_file, options.did, settings.data_dir)
    if config is not None:
        os.environ[_CONFIG_ENV] = str(config.resolve())
    if secrets_dir is not None:
        os.environ[_SECRETS_ENV] = str(secrets_dir.resolve())
    bind_host = host or options.host
    bind_port = options.port if port is None else port
    console.print(f"catalog {signer.did} on http://{bind_host}:{bind_port}", highlight=False)
    serve_workers(
        "catalog.cli:app_factory",
        host=bind_host,
        port=bind_port,
        workers=workers or options.workers,
        log_level=settings.log_level.lower(),
    )
