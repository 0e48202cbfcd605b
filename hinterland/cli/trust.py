"""`hinterland keys|did|sign|verify`: the trust core's commands."""

from __future__ import annotations

import typer

keys_app = typer.Typer(help="Generate and inspect keys.", no_args_is_help=True)
did_app = typer.Typer(help="Create DID documents.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the trust-core commands to the root command."""
    app.add_typer(keys_app, name="keys")
    app.add_typer(did_app, name="did")
