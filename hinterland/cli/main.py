"""The `hinterland` command: the composition root that wires every component's commands.

Exit codes everywhere: 0 success, 1 a negative result (invalid, denied), 2 usage or input
errors. Errors print one line naming the problem, never a stack trace.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from hinterland.errors import HinterlandError

app = typer.Typer(
    name="hinterland",
    help="Hinterland: a federated data-space connector, catalog and auditor's toolkit.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register() -> None:
    from catalog.cli import app as catalog_app
    from connector.cli import app as connector_app
    from connector.cli import audit_app
    from hinterland.cli.db import app as db_app
    from hinterland.cli.demo import demo
    from hinterland.cli.init import init
    from hinterland.cli.trust import register as register_trust
    from policies.cli import app as policy_app

    app.command("init")(init)
    app.command("demo")(demo)
    app.add_typer(db_app, name="db")
    register_trust(app)
    app.add_typer(policy_app, name="policy")
    app.add_typer(catalog_app, name="catalog")
    app.add_typer(connector_app, name="connector")
    app.add_typer(audit_app, name="audit")


_register()


def run() -> None:
    """Console-script entry point: turns Hinterland errors into one-line messages."""
    try:
        app()
    except HinterlandError as exc:
        Console(stderr=True, emoji=False).print(f"[red]error:[/red] {exc}", highlight=False)
        sys.exit(2)
