"""SHACL validation time of the Gaia-X 22.10 participant VP against the full 22.10 shapes.

Prints, in one run, the median milliseconds of
- naive: ``pyshacl.validate(data, shacl_graph=<all 22.10 shapes, pre-parsed>)``,
- fast: ``hinterland.shacl.validate_graph`` (only the shapes whose targets occur, on a
  ShapesGraph built once per process), given the same data graph,
- fast end to end: ``validate_shapes(document)`` from the JSON dict (JSON-LD to RDF included),
and the naive/fast ratio. Target (issue 2, acceptance 6): fast <= 5 ms.

Usage: python bench/shacl.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hinterland.shacl import (  # noqa: E402
    data_graph,
    naive_validate_graph,
    validate_graph,
    validate_shapes,
)
from hinterland.shacl.shapes import load_shapes_graph, occurrence, parts_for  # noqa: E402

FIXTURE = ROOT / "tests/vectors/gaia-x/compliance-22.10-fixtures/participant-vp.json"


def timed_ms(run: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """(median, minimum) milliseconds; the minimum shows the cost without other load."""
    run()  # warm caches (contexts, constraint classes)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, min(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()

    document = json.loads(FIXTURE.read_text("utf-8"))
    start = time.perf_counter()
    validate_shapes(document, "gaia-x-22.10")  # cold: parses only the files it needs
    cold_s = time.perf_counter() - start
    start = time.perf_counter()
    shapes = load_shapes_graph("gaia-x-22.10")  # the whole set, for the naive baseline
    parse_s = time.perf_counter() - start
    graph = data_graph(document)
    parts = parts_for("gaia-x-22.10", occurrence(graph))

    naive_repeat = max(5, args.repeat // 5)
    naive, naive_min = timed_ms(
        lambda: naive_validate_graph(graph, "gaia-x-22.10", shapes), naive_repeat
    )
    fast, fast_min = timed_ms(lambda: validate_graph(graph, "gaia-x-22.10"), args.repeat)
    end_to_end, end_min = timed_ms(lambda: validate_shapes(document, "gaia-x-22.10"), args.repeat)

    result = validate_graph(graph, "gaia-x-22.10")
    print(f"shapes: gaia-x-22.10, {len(shapes)} triples (whole set parsed in {parse_s:.2f} s); "
          f"this document needs {len(parts)} of its files; cold first call {cold_s:.2f} s")
    print(f"data:   {FIXTURE.name}, {len(graph)} triples; {len(result.applied_shapes)} shapes "
          f"apply; conforms={result.conforms}")
    print("                                  median ms   min ms")
    print(f"naive pyshacl.validate            {naive:9.2f} {naive_min:8.2f}")
    print(f"fast validate_graph               {fast:9.2f} {fast_min:8.2f}")
    print(f"fast validate_shapes (from dict)  {end_to_end:9.2f} {end_min:8.2f}"
          "   (JSON-LD to RDF included)")
    print(f"ratio naive/fast: {naive / fast:.1f}x (validation), "
          f"{naive / end_to_end:.1f}x (end to end)")
    print(f"target <= 5 ms: {'met' if fast <= 5 else 'MISSED'} (validation), "
          f"{'met' if end_to_end <= 5 else 'MISSED'} (end to end)")


if __name__ == "__main__":
    main()
