"""`hinterland catalog`: run the federated catalog."""

from __future__ import annotations

import typer

app = typer.Typer(help="The federated catalog.", no_args_is_help=True)
