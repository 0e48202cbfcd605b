"""`hinterland policy`: create policies from templates and evaluate them.

Exit codes of `evaluate`: 0 permit, 1 deny or not applicable, 2 invalid input (one line
naming the problem, no traceback).
"""

from __future__ import annotations

import inspect
import json
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from hinterland.errors import HinterlandError, InputError

app = typer.Typer(help="ODRL usage policies: templates and evaluation.", no_args_is_help=True)


class OutputFormat(StrEnum):
    """Output of `evaluate`."""

    TEXT = "text"
    JSON = "json"
    TURTLE = "turtle"


class PolicyFormat(StrEnum):
    """Output of `new`."""

    JSONLD = "jsonld"
    TURTLE = "turtle"


def _read_policy(path: Path) -> Any:
    from policies.io import read_text
    from policies.parse import parse_policy

    fmt = "turtle" if path.suffix.lower() in (".ttl", ".turtle") else "auto"
    return parse_policy(read_text(path, "policy"), format=fmt)


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


@app.command()
def evaluate(
    policy: Annotated[Path, typer.Option("--policy", help="ODRL policy: JSON-LD or Turtle")],
    request: Annotated[Path, typer.Option("--request", help="request: JSON or ODRL Turtle")],
    sotw: Annotated[
        Path | None, typer.Option("--sotw", help="state of the world: JSON or Turtle")
    ] = None,
    now: Annotated[
        str | None, typer.Option("--now", help="current time, ISO 8601 (default: clock)")
    ] = None,
    scope: Annotated[str, typer.Option("--scope", help="access|contract|usage|monitor")] = "usage",
    output: Annotated[OutputFormat, typer.Option("--format", help="text, json or turtle")] = (
        OutputFormat.TEXT
    ),
    parent: Annotated[
        list[Path] | None, typer.Option("--parent", help="a policy named in inheritFrom")
    ] = None,
) -> None:
    """Decide a request under a policy and print the decision with its report."""
    from policies.compliance import report_turtle
    from policies.evaluator import compile_policy
    from policies.evaluator import evaluate as run
    from policies.io import load_request, load_sotw
    from policies.parse import resolve_inheritance
    from policies.request import Scope
    from policies.values import parse_datetime

    try:
        try:
            chosen_scope = Scope(scope)
        except ValueError:
            raise InputError(
                f"--scope {scope!r} is not one of {', '.join(s.value for s in Scope)}"
            ) from None
        when = parse_datetime(now, where="--now") if now else None
        parents = {p.uid: p for p in (_read_policy(path) for path in parent or [])}
        compiled = compile_policy(resolve_inheritance(_read_policy(policy), parents.get))
        req = load_request(request)
        world = load_sotw(sotw, now=when, default_now=datetime.now(UTC))
        report = run(compiled, req, world, chosen_scope)
    except HinterlandError as exc:
        _fail(str(exc))
        return
    if output is OutputFormat.JSON:
        typer.echo(json.dumps(report.to_dict(), indent=2))
    elif output is OutputFormat.TURTLE:
        typer.echo(report_turtle(report))
    else:
        typer.echo(report.explain())
    raise typer.Exit(0 if report.permitted else 1)


_LIST_OPTIONS = {"regions": "region", "purposes": "purpose", "memberships": "membership",
                 "connectors": "connector", "algorithms": "algorithm"}


@app.command()
def new(
    template: Annotated[str, typer.Argument(help="template name (see `policy templates`)")],
    uid: Annotated[str, typer.Option("--uid", help="policy IRI")],
    target: Annotated[str, typer.Option("--target", help="asset IRI")],
    assigner: Annotated[str, typer.Option("--assigner", help="provider DID or IRI")],
    assignee: Annotated[str | None, typer.Option(help="consumer (makes an Agreement)")] = None,
    action: Annotated[str | None, typer.Option(help="ODRL action, e.g. print")] = None,
    count: Annotated[int | None, typer.Option(help="n-times: most uses")] = None,
    start: Annotated[str | None, typer.Option(help="interval: first instant")] = None,
    end: Annotated[str | None, typer.Option(help="interval: last instant")] = None,
    period: Annotated[str | None, typer.Option(help="duration: e.g. P30D")] = None,
    deadline: Annotated[str | None, typer.Option(help="delete-after: deadline")] = None,
    region: Annotated[list[str] | None, typer.Option(help="location: ISO 3166 code")] = None,
    purpose: Annotated[list[str] | None, typer.Option(help="purpose: allowed purpose")] = None,
    membership: Annotated[list[str] | None, typer.Option(help="membership: data space")] = None,
    connector: Annotated[list[str] | None, typer.Option(help="connector: connector id")] = None,
    algorithm: Annotated[list[str] | None, typer.Option(help="encrypted: algorithm")] = None,
    event: Annotated[str | None, typer.Option(help="event: event IRI")] = None,
    recipient: Annotated[str | None, typer.Option(help="notify: where to report")] = None,
    next_policy: Annotated[str | None, typer.Option(help="attach-policy: policy IRI")] = None,
    output: Annotated[PolicyFormat, typer.Option("--format")] = PolicyFormat.JSONLD,
) -> None:
    """Print a ready-made usage policy (IDS usage-policy classes) as JSON-LD or Turtle."""
    from policies.serialize import to_jsonld
    from policies.templates import TEMPLATES, build

    given: dict[str, Any] = {
        "uid": uid, "target": target, "assigner": assigner, "assignee": assignee,
        "action": action, "count": count, "start": start, "end": end, "period": period,
        "deadline": deadline, "regions": region, "purposes": purpose,
        "memberships": membership, "connectors": connector, "algorithms": algorithm,
        "event_id": event, "recipient": recipient, "next_policy": next_policy,
    }
    try:
        chosen = TEMPLATES.get(template)
        if chosen is None:
            raise InputError(
                f"unknown template {template!r}; choose one of {', '.join(TEMPLATES)}"
            )
        params = inspect.signature(chosen.build).parameters
        kwargs = {k: v for k, v in given.items() if k in params and v is not None}
        for name, param in params.items():
            if param.default is inspect.Parameter.empty and name not in kwargs:
                flag = _LIST_OPTIONS.get(name, "event" if name == "event_id" else name)
                raise InputError(f"template {template} needs --{flag.replace('_', '-')}")
        unused = [k for k, v in given.items() if v is not None and k not in params]
        if unused:
            flags = ", ".join("--" + _LIST_OPTIONS.get(k, k).replace("_", "-") for k in unused)
            raise InputError(f"template {template} does not take {flags}")
        policy = build(template, **kwargs)
        document = to_jsonld(policy)
        if output is PolicyFormat.TURTLE:
            from policies.turtle import jsonld_to_turtle

            typer.echo(jsonld_to_turtle(document))
        else:
            typer.echo(json.dumps(document, indent=2))
    except HinterlandError as exc:
        _fail(str(exc))


@app.command()
def check(
    policy: Annotated[Path, typer.Option("--policy", help="ODRL policy: JSON-LD or Turtle")],
) -> None:
    """Parse and compile a policy; print a one-line summary (exit 0) or the problem (2)."""
    from policies.evaluator import compile_policy

    try:
        parsed = _read_policy(policy)
        if not parsed.inherit_from:
            compile_policy(parsed)
    except HinterlandError as exc:
        _fail(str(exc))
        return
    counts = [(len(parsed.permissions), "permission"), (len(parsed.prohibitions), "prohibition"),
              (len(parsed.obligations), "obligation")]
    parts = ", ".join(f"{n} {word}{'s' if n != 1 else ''}" for n, word in counts if n)
    state = f"; replaced by {parsed.replaced_by}" if parsed.replaced_by else ""
    typer.echo(f"valid: {parsed.type} {parsed.uid} with {parts}; conflict strategy "
               f"{parsed.conflict.value}{state}")


@app.command()
def templates() -> None:
    """List the templates and who enforces each."""
    from policies.templates import TEMPLATES

    for t in TEMPLATES.values():
        typer.echo(f"{t.name:14} {t.enforced_by:9} {t.ids_class}: {t.summary}")

