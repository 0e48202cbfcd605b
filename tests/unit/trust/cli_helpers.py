"""Run the `hinterland` CLI as a real subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
VECTORS = ROOT / "tests" / "vectors"
EDDSA = VECTORS / "vc-di-eddsa"
JWS = VECTORS / "jws-2020"
VECTOR_VM = (
    "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    "#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
)


def hinterland(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """`python -m hinterland ARGS` from the project root, captured."""
    return subprocess.run(
        [sys.executable, "-m", "hinterland", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
