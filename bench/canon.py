"""Canonicalizations per second (one core) of ~50- and ~500-triple self-descriptions:
Hinterland's `canonicalize` beside stock pyld `normalize` (URDNA2015), same run.

Run: python bench/canon.py [seconds-per-measurement]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _credentials import self_description
from pyld import jsonld

from hinterland.jsonld import DocumentLoader, canonicalize


def rate(action: Callable[[], Any], seconds: float) -> float:
    """Calls per second of `action`, measured for about `seconds` after a warm-up."""
    action()
    calls = 0
    started = time.perf_counter()
    elapsed = 0.0
    while elapsed < seconds:
        for _ in range(5):
            action()
        calls += 5
        elapsed = time.perf_counter() - started
    return calls / elapsed


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    loader = DocumentLoader()
    stock_options = {
        "algorithm": "URDNA2015",
        "format": "application/n-quads",
        # stock pyld, offline: our loader only serves the bundled context documents
        "documentLoader": loader,
    }
    print(f"{'credential':<24}{'triples':>8}{'ours/s':>10}{'stock/s':>10}{'ratio':>8}")
    for resources in (1, 38):
        document = self_description(resources)
        ours = canonicalize(document, loader)
        stock = jsonld.normalize(document, stock_options)
        assert ours == stock, "canonical forms differ"
        triples = ours.count("\n")
        ours_rate = rate(lambda: canonicalize(document, loader), seconds)  # noqa: B023
        stock_rate = rate(lambda: jsonld.normalize(document, stock_options), seconds)  # noqa: B023
        print(
            f"{f'self-description ({resources})':<24}{triples:>8}{ours_rate:>10.0f}"
            f"{stock_rate:>10.0f}{ours_rate / stock_rate:>7.1f}x"
        )


if __name__ == "__main__":
    main()
