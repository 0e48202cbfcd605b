"""Every command's --help renders (rich markup in a help text must not break it)."""

from __future__ import annotations

from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from hinterland.cli.main import app


def _commands() -> list[list[str]]:
    root = typer.main.get_command(app)
    found: list[list[str]] = []

    def walk(command: Any, path: list[str]) -> None:
        found.append(path)
        for name, sub in getattr(command, "commands", {}).items():  # a group
            walk(sub, [*path, name])

    walk(root, [])
    return found


@pytest.mark.parametrize("path", _commands(), ids=lambda p: " ".join(p) or "hinterland")
def test_help_renders(path: list[str]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_every_documented_command_exists() -> None:
    paths = {" ".join(p) for p in _commands()}
    for documented in ("init", "demo", "keys generate", "did web", "sign", "verify",
                       "db upgrade", "db backup", "db restore", "policy evaluate",
                       "policy new", "catalog serve", "connector serve", "audit verify"):
        assert documented in paths, documented
