"""`hinterland demo`: the whole data space on this machine, in one command."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hinterland.errors import HinterlandError

console = Console(emoji=False)


def demo(
    keep_running: Annotated[
        bool, typer.Option("--keep-running", help="keep the servers up and print their URLs")
    ] = False,
    directory: Annotated[
        Path | None, typer.Option("--dir", help="work directory (default: a temporary one)")
    ] = None,
) -> None:
    """Start a catalog and two connectors on loopback ports and play the whole story."""
    from hinterland.demo.story import Story

    with tempfile.TemporaryDirectory(prefix="hinterland-demo-") as temporary:
        root = directory or Path(temporary)
        console.print(f"[bold]Hinterland demo[/bold] in {root} (SQLite, loopback only)")

        def report(step: str, result: str) -> None:
            console.print(f"[green]✓[/green] [bold]{step}[/bold]: {result}", highlight=False)

        story = Story(root, report)
        try:
            outcomes = story.play()
        except (HinterlandError, OSError) as exc:
            console.print(f"[red]✗ demo failed:[/red] {exc}", highlight=False)
            story.stop()
            raise typer.Exit(1) from None
        except BaseException:
            story.stop()
            raise
        table = Table(title="What happened")
        table.add_column("step")
        table.add_column("outcome")
        for outcome in outcomes:
            table.add_row(outcome.step, outcome.result)
        console.print(table)
        if keep_running:
            console.print(
                f"Catalog UI:      {story.catalog.base}/\n"
                f"Tool-maker API:  {story.toolmaker.server.base}/docs "
                f"(X-Api-Key: {story.toolmaker.api_key})\n"
                f"Print shop API:  {story.printshop.server.base}/docs "
                f"(X-Api-Key: {story.printshop.api_key})\n"
                "Press Ctrl-C to stop."
            )
            try:
                while True:
                    time.sleep(1)
            except KeyboardInterrupt:
                pass
        story.stop()
        console.print("[bold green]demo finished[/bold green]: all steps succeeded")
