"""`hinterland connector` and `hinterland audit`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from hinterland.errors import HinterlandError

app = typer.Typer(help="Run a connector and use it as a consumer.", no_args_is_help=True)
_stderr = Console(stderr=True, emoji=False)  # DIDs contain ':key:', never an emoji
audit_app = typer.Typer(help="Verify a connector's audit log.", no_args_is_help=True)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="YAML config file", exists=True, dir_okay=False)
]
SecretsDirOption = Annotated[
    Path | None,
    typer.Option("--secrets-dir", help="directory of secret files named like their variables",
                 exists=True, file_okay=False),
]


@app.command("serve")
def serve(
    config: ConfigOption = None,
    secrets_dir: SecretsDirOption = None,
    host: Annotated[str | None, typer.Option(help="bind address (default from settings)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default from settings)")] = None,
) -> None:
    """Serve the connector (DSP, data plane, credential and management API) until stopped."""
    import uvicorn

    from connector.app import create_app
    from connector.settings import ConnectorSettings
    from hinterland.settings import load_settings
    from hinterland.web.logging import configure_logging

    settings = load_settings(ConnectorSettings, config_file=config, secrets_dir=secrets_dir)
    configure_logging(settings.log_level, json_lines=settings.log_json)
    if settings.connector.management_api_key is not None:
        from hinterland.web.logging import register_secret

        register_secret(settings.connector.management_api_key.get_secret_value())
    if not settings.database.migrate_on_start:  # one clear line, not a startup traceback
        from hinterland.db import migrate

        migrate.require_current(settings.database_url())
    options = settings.connector
    uvicorn.run(create_app(settings), host=host or options.host,
                port=options.port if port is None else port, log_config=None,
                timeout_graceful_shutdown=5)


app.command("run", hidden=True)(serve)


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
    Console(emoji=False).print_json(json.dumps(did_document(settings, key)))


UrlOption = Annotated[
    str,
    typer.Option("--url", envvar="HINTERLAND_CONNECTOR_URL",
                 help="your connector's base URL (management API at /management/v1)"),
]
KeyOption = Annotated[
    str,
    typer.Option("--api-key", envvar="HINTERLAND_CONNECTOR_API_KEY",
                 help="management API key (better: set HINTERLAND_CONNECTOR_API_KEY)"),
]


def _client(url: str, api_key: str) -> Any:
    import httpx

    return httpx.Client(base_url=url.rstrip("/") + "/management/v1",
                        headers={"X-Api-Key": api_key}, timeout=300)


def _answer(reply: Any) -> Any:
    """The JSON of a reply, or a one-line error and exit 2 (4xx/5xx)."""
    try:
        body = reply.json()
    except ValueError:
        body = {"message": reply.text[:500]}
    if reply.status_code >= 400:
        message = body.get("message") if isinstance(body, dict) else None
        _stderr.print(
            f"[red]error:[/red] {reply.status_code}: {message or body}", highlight=False
        )
        raise typer.Exit(2)
    return body


@app.command("catalog")
def consumer_catalog(
    provider: Annotated[str, typer.Argument(help="the provider's DSP base URL")],
    provider_did: Annotated[str, typer.Option("--provider-did", help="the provider's DID")],
    url: UrlOption = "http://127.0.0.1:8181",
    api_key: KeyOption = "",
    keyword: Annotated[str | None, typer.Option(help="filter by keyword")] = None,
) -> None:
    """Show a provider's DSP catalog as your connector sees it (offers you may negotiate)."""
    body: dict[str, Any] = {"provider": provider, "providerDid": provider_did}
    if keyword:
        body["filter"] = [keyword]
    with _client(url, api_key) as client:
        catalog = _answer(client.post("/consumer/catalog", json=body))
    Console(emoji=False).print_json(json.dumps(catalog))


@app.command("negotiate")
def consumer_negotiate(
    provider: Annotated[str, typer.Argument(help="the provider's DSP base URL")],
    dataset: Annotated[str, typer.Argument(help="the dataset id from the provider's catalog")],
    provider_did: Annotated[str, typer.Option("--provider-did", help="the provider's DID")],
    offer_id: Annotated[
        str | None, typer.Option("--offer", help="offer id (default: the first)")
    ] = None,
    url: UrlOption = "http://127.0.0.1:8181",
    api_key: KeyOption = "",
    wait: Annotated[float, typer.Option(help="seconds to wait for the outcome")] = 60,
) -> None:
    """Negotiate a contract for a dataset; prints the agreement id. Exit 1 if refused."""
    with _client(url, api_key) as client:
        catalog = _answer(client.post("/consumer/catalog",
                                      json={"provider": provider, "providerDid": provider_did}))
        datasets = {d["@id"]: d for d in catalog.get("dataset", [])}
        if dataset not in datasets:
            _stderr.print(f"[red]error:[/red] {dataset} is not offered to you")
            raise typer.Exit(1)
        offers = datasets[dataset]["hasPolicy"]
        chosen = next((o for o in offers if o["@id"] == offer_id), None) if offer_id else offers[0]
        if chosen is None:
            _stderr.print(f"[red]error:[/red] no offer {offer_id} for {dataset}")
            raise typer.Exit(1)
        result = _answer(client.post("/consumer/negotiations", json={
            "provider": provider, "providerDid": provider_did,
            "offer": {**chosen, "target": dataset}, "wait": wait}))
    console = Console(emoji=False)
    if result["state"] == "FINALIZED":
        console.print(f"agreement {result['agreementId']}", highlight=False)
        return
    console.print(f"negotiation {result['pid']} is {result['state']}: {result.get('reason') or ''}",
                  highlight=False)
    raise typer.Exit(1)


@app.command("agreements")
def consumer_agreements(url: UrlOption = "http://127.0.0.1:8181", api_key: KeyOption = "") -> None:
    """List the agreements your connector holds as a consumer."""
    with _client(url, api_key) as client:
        rows = _answer(client.get("/agreements", params={"role": "consumer"}))
    console = Console(emoji=False)
    for row in rows:
        console.print(f"{row['id']}  {row['assetId']}  from {row['provider']}", highlight=False)


@app.command("fetch")
def consumer_fetch(
    agreement: Annotated[str, typer.Argument(help="agreement id")],
    out: Annotated[Path, typer.Option("--out", help="where to write the data", dir_okay=False)],
    action: Annotated[str, typer.Option(help="declared action, e.g. print")] = "use",
    purpose: Annotated[str | None, typer.Option(help="declared purpose")] = None,
    url: UrlOption = "http://127.0.0.1:8181",
    api_key: KeyOption = "",
) -> None:
    """Start a transfer under an agreement and download the data (and, for a print, its
    signed licence next to it as OUT.licence.json). Exit 1 if the provider refuses."""
    with _client(url, api_key) as client:
        transfer = _answer(client.post("/consumer/transfers", json={
            "agreementId": agreement, "action": action, "purpose": purpose, "wait": 60}))
        if transfer["state"] != "STARTED":
            _stderr.print(
                f"refused: {transfer.get('reason') or transfer['state']}", highlight=False
            )
            raise typer.Exit(1)
        with client.stream("GET", f"/consumer/transfers/{transfer['pid']}/data") as reply:
            if reply.status_code >= 400:
                _answer(reply)
            with out.open("wb") as handle:
                for chunk in reply.iter_bytes(1024 * 1024):
                    handle.write(chunk)
        licence = None
        if action == "print":
            licence = _answer(client.get(f"/consumer/transfers/{transfer['pid']}/licence"))
            out.with_name(out.name + ".licence.json").write_text(json.dumps(licence, indent=2))
    message = f"wrote {out} ({out.stat().st_size} bytes)"
    if licence is not None:
        subject = licence["credentialSubject"]
        message += f"; print {subject.get('useNumber')} of {subject.get('usesAllowed')}"
    Console(emoji=False).print(message, highlight=False)


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

    console = Console(emoji=False)
    try:
        text = file.read_text("utf-8")
        document = json.loads(did_document.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        _stderr.print(f"[red]error:[/red] cannot read input: {exc}", highlight=False)
        raise typer.Exit(2) from None
    if not isinstance(document, dict):
        _stderr.print("[red]error:[/red] the DID document must be a JSON object")
        raise typer.Exit(2)
    try:
        report = verify_export(text, document)
    except HinterlandError as exc:
        _stderr.print(f"[red]error:[/red] {exc}", highlight=False)
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
