"""`hinterland connector` and `hinterland audit`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hinterland.errors import HinterlandError

app = typer.Typer(help="Run a connector and use it as a consumer.", no_args_is_help=True)
audit_app = typer.Typer(help="Verify a connector's audit log.", no_args_is_help=True)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="YAML config file", exists=True, dir_okay=False)
]


@app.command("run")
def run(
    config: ConfigOption = None,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8181,
) -> None:
    """Run the connector (DSP, data plane, credential and management API) until stopped."""
    import uvicorn

    from connector.app import create_app
    from connector.settings import ConnectorSettings
    from hinterland.settings import load_settings
    from hinterland.web.logging import configure_logging

    settings = load_settings(ConnectorSettings, config_file=config)
    configure_logging(settings.log_level, json_lines=settings.log_json)
    if settings.connector.management_api_key is not None:
        from hinterland.web.logging import register_secret

        register_secret(settings.connector.management_api_key.get_secret_value())
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None,
                timeout_graceful_shutdown=5)


@app.command("did-document")
def did_document_command(config: ConfigOption = None) -> None:
    """Print the did.json to publish for this connector's did:web."""
    from connector.app import did_document
    from connector.settings import ConnectorSettings
    from hinterland.errors import ConfigurationError
    from hinterland.keys import load_private_key
    from hinterland.settings import load_settings

    settings = load_settings(ConnectorSettings, config_file=config)
    if settings.connector.key_file is None or not settings.connector.did:
        raise ConfigurationError("connector.did and connector.key_file are required")
    key = load_private_key(settings.connector.key_file)
    Console().print_json(json.dumps(did_document(settings, key)))


@audit_app.command("verify")
def audit_verify(
    file: Annotated[Path, typer.Argument(help="exported audit log (JSON Lines)")],
    did_document: Annotated[
        Path, typer.Option("--did-document", help="the connector's DID document (did.json)")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Check an exported audit log: hash chain, order, and signed checkpoints.

    Exit 0 when intact, 1 when tampering was found (each finding names the entry),
    2 when the files cannot be read.
    """
    from connector.audit.verify import verify_export

    console = Console()
    try:
        text = file.read_text("utf-8")
        document = json.loads(did_document.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        Console(stderr=True).print(f"[red]error:[/red] cannot read input: {exc}", highlight=False)
        raise typer.Exit(2) from None
    if not isinstance(document, dict):
        Console(stderr=True).print("[red]error:[/red] the DID document must be a JSON object")
        raise typer.Exit(2)
    try:
        report = verify_export(text, document)
    except HinterlandError as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    if as_json:
        console.print_json(json.dumps(report.to_dict()))
    else:
        status = "[green]intact[/green]" if report.valid else "[red]TAMPERED[/red]"
        console.print(
            f"{file}: {status} ({report.entries} entries, {report.checkpoints} checkpoints)"
        )
        for finding in report.findings:
            console.print(f"  {finding.kind}: {finding.message}", highlight=False)
    raise typer.Exit(0 if report.valid else 1)
