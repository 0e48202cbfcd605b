"""`hinterland init`: everything a new connector (or catalog) needs, in one directory.

Creates the signing key (0600), the did:web document to publish, a management API key
in a secrets directory (0600 files, one per setting) and a commented config file. It
never overwrites: an existing key or config stops it before anything is written.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hinterland.did import did_web_document, did_web_from_domain, did_web_url
from hinterland.errors import InputError
from hinterland.keys import PrivateKey

console = Console(emoji=False)


class Role(StrEnum):
    """What the new installation runs."""

    connector = "connector"
    catalog = "catalog"


@dataclass(frozen=True)
class InitResult:
    """The files `init` wrote and the identity it created."""

    did: str
    did_url: str
    key_file: Path
    did_document: Path
    config_file: Path
    secrets_dir: Path
    api_key_file: Path | None


CONFIG_TEMPLATE = """\
# Hinterland {role} configuration for {name}
# Written by `hinterland init` on {domain}. Every value can also be set by an
# environment variable: HINTERLAND_ + the path in capitals with __ between levels,
# e.g. HINTERLAND_DATABASE__URL. Secrets live in the secrets directory, not here.

# Where the database (SQLite by default), uploaded files and caches live.
data_dir: {data_dir}

database:
  # Empty: an embedded SQLite file under data_dir. For production use PostgreSQL, e.g.
  # postgresql://hinterland@db.internal:5432/hinterland (put the URL with its password
  # into the secrets directory as HINTERLAND_DATABASE__URL instead of here).
  url: ""
  # Apply database migrations when the server starts.
  migrate_on_start: true

did:
  # did:web documents of partners are fetched over HTTPS only; private and loopback
  # addresses are refused. Change these only for a closed test network.
  allow_private_addresses: false
  allow_http: false

jsonld:
  # Remote JSON-LD contexts are never fetched unless listed here.
  allowed_remote_contexts: []

log_level: INFO
# One JSON object per log line (for log collectors); false for plain text.
log_json: true

{role}:
  # Our identity: publish {did_document_name} at {did_url}
  did: "{did}"
{role_section}
"""

CONNECTOR_SECTION = """\
  # Where partners reach this connector (behind your reverse proxy / ingress).
  public_url: "https://{domain}"
  # The signing key for identity tokens, licences, audit checkpoints, self-descriptions.
  key_file: {key_file}
  # Address and port the server binds to.
  host: 0.0.0.0
  port: 8181
"""

CATALOG_SECTION = """\
  # The public URL of this catalog.
  base_url: "https://{domain}"
  # The key the catalog signs compliance and membership credentials with.
  key_file: {key_file}
  host: 0.0.0.0
  port: 8080
  # Who may publish: open, onboarded (after a LegalParticipant) or trust_list.
  participant_policy: onboarded
  # Gaia-X shapes to validate against: gaia-x-22.10, gaia-x-25.11 or none.
  shapes: none
  # Other catalogs to federate with (their base URLs).
  peers: []
"""


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "hinterland"


def _write_secret(path: Path, value: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value)
    os.chmod(path, 0o600)


def initialize(name: str, domain: str, directory: Path, role: Role = Role.connector) -> InitResult:
    """Create key, DID document, secrets and config in `directory`; never overwrites."""
    if not name.strip():
        raise InputError("--name must not be empty")
    did = did_web_from_domain(domain)
    directory = directory.resolve()
    key_file = directory / "keys" / f"{role.value}-signing-key.json"
    config_file = directory / "hinterland.yaml"
    did_document = directory / "did.json"
    secrets_dir = directory / "secrets"
    for existing in (key_file, config_file, did_document):
        if existing.exists():
            raise InputError(
                f"{existing} already exists; refusing to overwrite an existing installation "
                "(choose another --dir)"
            )
    key_file.parent.mkdir(parents=True, exist_ok=True)
    secrets_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(key_file.parent, 0o700)
    os.chmod(secrets_dir, 0o700)

    key = PrivateKey.generate("ed25519")
    key.save(key_file)
    document = did_web_document(did, key.public())
    did_document.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")

    api_key_file: Path | None = None
    if role is Role.connector:
        api_key_file = secrets_dir / "HINTERLAND_CONNECTOR__MANAGEMENT_API_KEY"
        _write_secret(api_key_file, "hl_" + secrets.token_urlsafe(32))

    section = CONNECTOR_SECTION if role is Role.connector else CATALOG_SECTION
    url = did_web_url(did)
    config_file.write_text(
        CONFIG_TEMPLATE.format(
            role=role.value,
            name=name,
            domain=domain,
            data_dir=directory / "data",
            did=did,
            did_url=url,
            did_document_name=did_document.name,
            role_section=section.format(domain=domain, key_file=key_file),
        ),
        encoding="utf-8",
    )
    return InitResult(did, url, key_file, did_document, config_file, secrets_dir, api_key_file)


def init(
    name: Annotated[str, typer.Option("--name", help='legal name, e.g. "ACME GmbH"')],
    domain: Annotated[str, typer.Option("--domain", help="host\\[:port]\\[/path] of the did:web")],
    directory: Annotated[
        Path | None, typer.Option("--dir", help="target directory (default ./hinterland-NAME)")
    ] = None,
    role: Annotated[Role, typer.Option("--role", help="connector or catalog")] = Role.connector,
) -> None:
    """Create the key, did:web document, API key and a commented config file."""
    target = directory or Path(f"hinterland-{_slug(name)}")
    result = initialize(name, domain, target, role)
    table = Table(title=f"Hinterland {role.value} for {name}", show_header=False)
    table.add_row("DID", result.did)
    table.add_row("signing key (keep secret)", str(result.key_file))
    table.add_row("DID document", str(result.did_document))
    table.add_row("publish it at", result.did_url)
    if result.api_key_file is not None:
        table.add_row("management API key (secret)", str(result.api_key_file))
    table.add_row("config", str(result.config_file))
    console.print(table)
    console.print(
        "Next: publish the DID document at the URL above, then start with\n"
        f"  hinterland {role.value} serve --config {result.config_file} "
        f"--secrets-dir {result.secrets_dir}"
    )
