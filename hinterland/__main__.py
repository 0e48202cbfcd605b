"""`python -m hinterland` is the `hinterland` command."""

from hinterland.cli.main import run

run()
