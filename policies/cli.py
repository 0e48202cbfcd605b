"""`hinterland policy`: create and evaluate ODRL policies."""

from __future__ import annotations

import typer

app = typer.Typer(help="ODRL usage policies: templates and evaluation.", no_args_is_help=True)
