"""`hinterland connector` and `hinterland audit`."""

from __future__ import annotations

import typer

app = typer.Typer(help="Run a connector and use it as a consumer.", no_args_is_help=True)
audit_app = typer.Typer(help="Verify a connector's audit log.", no_args_is_help=True)
