"""`hinterland keys|did|sign|verify`: the trust core's commands.

Exit codes: 0 success (every input valid), 1 a negative result (an input is invalid),
2 usage or input errors (unreadable file, not JSON, over limits, bad key), always with a
one-line message and never a stack trace.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from hinterland.errors import HinterlandError, KeyMaterialError
from hinterland.keys import PrivateKey, PublicKey, load_private_key
from hinterland.settings import HinterlandSettings, load_settings

keys_app = typer.Typer(help="Generate and inspect keys.", no_args_is_help=True)
did_app = typer.Typer(help="Create DID documents.", no_args_is_help=True)

# emoji off: "did:key:..." must not become a key emoji
out = Console(highlight=False, soft_wrap=True, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


class KeyTypeChoice(StrEnum):
    ED25519 = "ed25519"
    P256 = "p256"
    P384 = "p384"
    RSA = "rsa"


class SuiteChoice(StrEnum):
    EDDSA_RDFC_2022 = "eddsa-rdfc-2022"
    JWS_2020 = "JsonWebSignature2020"


class ShapesOption(StrEnum):
    GAIA_X_22_10 = "gaia-x-22.10"
    GAIA_X_25_11 = "gaia-x-25.11"
    NONE = "none"


class KeyFormat(StrEnum):
    JWK = "JsonWebKey2020"
    MULTIKEY = "Multikey"


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(Text.assemble(("error: ", "red"), message))
    raise typer.Exit(code)


def _parse_time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        _fail(f"{option} {value!r} is not an ISO-8601 date-time")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _settings() -> HinterlandSettings:
    """Settings from the environment (HINTERLAND_*): DID resolution and JSON-LD limits."""
    try:
        return load_settings()
    except HinterlandError as exc:
        _fail(str(exc))


def _read_json(path: Path) -> Any:
    from hinterland.jsonld import check_limits

    try:
        data = path.read_bytes()
    except OSError as exc:
        _fail(f"cannot read {path}: {exc.strerror or exc}")
    try:
        check_limits(data, None)
    except HinterlandError as exc:
        _fail(f"{path}: {exc}")
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        _fail(f"{path} is not JSON: {exc}")


def _load_public_key(path: Path) -> PublicKey:
    try:
        return load_private_key(path).public()
    except KeyMaterialError as private_error:
        data = _read_json(path)
        if isinstance(data, dict):
            for candidate in (data, data.get("publicKeyJwk")):
                if isinstance(candidate, dict) and "kty" in candidate:
                    return PublicKey.from_jwk(candidate)
            if isinstance(data.get("publicKeyMultibase"), str):
                return PublicKey.from_multibase(data["publicKeyMultibase"])
        raise private_error


@keys_app.command("generate")
def keys_generate(
    out_file: Annotated[Path, typer.Option("--out", help="where to write the private JWK")],
    key_type: Annotated[
        KeyTypeChoice, typer.Option("--type", help="key type", case_sensitive=False)
    ] = KeyTypeChoice.ED25519,
) -> None:
    """Generate a key and write its private JWK with mode 0600 (never overwrites)."""
    from hinterland.did import did_key_from_public_key

    try:
        key = PrivateKey.generate(key_type.value)
        key.save(out_file)
    except HinterlandError as exc:
        _fail(str(exc))
    public = key.public()
    out.print(Text(f"wrote {key.type} private key to {out_file} (mode 0600)"))
    out.print(Text(f"publicKeyMultibase: {public.to_multibase()}"))
    out.print(Text(f"did:key: {did_key_from_public_key(public)}"))


@keys_app.command("show")
def keys_show(
    key_file: Annotated[Path, typer.Argument(metavar="FILE", help="a key file")],
) -> None:
    """Print a key's public forms (JWK, Multikey, did:key); never the private part."""
    from hinterland.did import did_key_from_public_key

    try:
        public = _load_public_key(key_file)
        multibase = public.to_multibase()
    except HinterlandError as exc:
        _fail(str(exc))
    out.out(json.dumps({
        "type": public.type,
        "publicKeyJwk": public.to_jwk(),
        "publicKeyMultibase": multibase,
        "did:key": did_key_from_public_key(public),
    }, indent=2))


@did_app.command("web")
def did_web(
    domain: Annotated[str, typer.Option("--domain", help="HOST\\[:PORT]\\[/path]")],
    key_file: Annotated[Path, typer.Option("--key", help="key file (JWK or Multikey JSON)")],
    out_file: Annotated[
        Path | None, typer.Option("--out", help="write did.json here instead of stdout")
    ] = None,
    key_format: Annotated[
        KeyFormat, typer.Option("--key-format", help="verification method type")
    ] = KeyFormat.JWK,
) -> None:
    """Write the did:web DID document (did.json) to publish for DOMAIN."""
    from hinterland.did import did_web_document, did_web_from_domain, did_web_url

    try:
        did = did_web_from_domain(domain)
        document = did_web_document(did, _load_public_key(key_file), key_format=key_format.value)
    except HinterlandError as exc:
        _fail(str(exc))
    text = json.dumps(document, indent=2) + "\n"
    if out_file is None:
        out.out(text, end="")
        return
    try:
        out_file.write_text(text, "utf-8")
    except OSError as exc:
        _fail(f"cannot write {out_file}: {exc.strerror or exc}")
    err.print(Text(f"wrote {out_file} for {did}; publish it at {did_web_url(did)}"))


def sign(
    input_file: Annotated[Path, typer.Argument(metavar="INPUT", help="unsigned JSON-LD")],
    key_file: Annotated[Path, typer.Option("--key", help="private key (JWK or Multikey JSON)")],
    suite: Annotated[SuiteChoice, typer.Option("--suite")] = SuiteChoice.EDDSA_RDFC_2022,
    verification_method: Annotated[
        str | None,
        typer.Option("--verification-method", help="VM id (default: the key's did:key)"),
    ] = None,
    created: Annotated[str | None, typer.Option("--created", help="ISO-8601 time")] = None,
    purpose: Annotated[str, typer.Option("--purpose")] = "assertionMethod",
) -> None:
    """Sign INPUT and print the signed document (appends to an existing proof)."""
    from hinterland.did import did_key_verification_method_id
    from hinterland.jsonld import DocumentLoader
    from hinterland.proofs import sign_document

    settings = _settings()
    created_at = _parse_time(created, "--created")
    document = _read_json(input_file)
    if not isinstance(document, dict):
        _fail(f"{input_file} must hold a JSON object")
    try:
        key = load_private_key(key_file)
        vm = verification_method or did_key_verification_method_id(key.public())
        signed = sign_document(
            document, key, verification_method=vm, suite=suite.value,
            created=created_at, purpose=purpose, loader=DocumentLoader(settings.jsonld),
        )
    except HinterlandError as exc:
        _fail(str(exc))
    out.out(json.dumps(signed, indent=2, ensure_ascii=False))


_STYLE = {"passed": "green", "failed": "bold red", "warning": "yellow", "skipped": "dim"}


def _print_report(name: str, report: Any) -> None:
    verdict = ("VALID", "green") if report.valid else ("INVALID", "bold red")
    table = Table(title=Text.assemble(f"{name}: ", verdict), title_justify="left")
    table.add_column("check")
    table.add_column("status")
    table.add_column("subject", overflow="fold", max_width=40)
    table.add_column("reason", overflow="fold")
    for check in report.checks:
        status = check.status.value
        table.add_row(Text(check.name), Text(status, _STYLE[status]),
                      Text(check.subject or ""), Text(check.reason))
    out.print(table)


def verify(
    inputs: Annotated[list[Path], typer.Argument(metavar="INPUT...", help="signed documents")],
    did_documents: Annotated[
        list[Path] | None, typer.Option("--did-document", help="a DID document to trust")
    ] = None,
    trust_dir: Annotated[
        Path | None, typer.Option("--trust-dir", help="directory of did.json files")
    ] = None,
    shapes: Annotated[ShapesOption, typer.Option("--shapes")] = ShapesOption.NONE,
    now: Annotated[str | None, typer.Option("--now", help="ISO-8601 'now'")] = None,
    proof_only: Annotated[
        bool, typer.Option("--proof-only", help="check only canonicalization and signatures")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    trusted_issuers: Annotated[
        list[str] | None, typer.Option("--trusted-issuer", help="an issuer DID to trust")
    ] = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="never fetch did:web documents")
    ] = False,
    challenge: Annotated[
        str | None, typer.Option("--challenge", help="challenge a VP proof must carry")
    ] = None,
    domain: Annotated[
        str | None, typer.Option("--domain", help="domain a VP proof must carry")
    ] = None,
) -> None:
    """Verify signed credentials or presentations and print a report per INPUT."""
    from hinterland.did import DidResolver
    from hinterland.jsonld import DocumentLoader
    from hinterland.verify import VerifyOptions, verify_document

    now_at = _parse_time(now, "--now")
    settings = _settings()
    loader = DocumentLoader(settings.jsonld)
    try:
        resolver = DidResolver(settings.did, trust_dir=trust_dir, network=not offline)
        for path in did_documents or []:
            document = _read_json(path)
            if not isinstance(document, dict):
                _fail(f"{path} must hold a DID document (a JSON object)")
            resolver.add_document(document)
    except HinterlandError as exc:
        _fail(str(exc))
    options = VerifyOptions(
        shapes=shapes.value,
        now=now_at,
        trusted_issuers=frozenset(trusted_issuers) if trusted_issuers else None,
        proof_only=proof_only,
        challenge=challenge,
        domain=domain,
    )
    documents: list[tuple[Path, bytes]] = []
    for path in inputs:
        try:
            documents.append((path, path.read_bytes()))
        except OSError as exc:
            _fail(f"cannot read {path}: {exc.strerror or exc}")

    async def run_all() -> list[Any]:
        return [
            await verify_document(data, resolver=resolver, options=options, loader=loader)
            for _path, data in documents
        ]

    reports = asyncio.run(run_all())
    input_error = False
    for (path, _data), report in zip(documents, reports, strict=True):
        bad_input = [c for c in report.failures() if c.name in ("parse", "limits")]
        if bad_input:
            input_error = True
            err.print(Text.assemble(("error: ", "red"), f"{path}: {bad_input[0].reason}"))
    if as_json:
        results = [
            {"input": str(path), **report.to_dict()}
            for (path, _data), report in zip(documents, reports, strict=True)
        ]
        out.out(json.dumps({"valid": all(r.valid for r in reports), "results": results},
                           indent=2))
    else:
        for (path, _data), report in zip(documents, reports, strict=True):
            _print_report(str(path), report)
    if input_error:
        raise typer.Exit(2)
    if not all(report.valid for report in reports):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the trust-core commands to the root command."""
    app.add_typer(keys_app, name="keys")
    app.add_typer(did_app, name="did")
    app.command("sign")(sign)
    app.command("verify")(verify)
