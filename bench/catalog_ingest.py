"""Catalog ingest in one process: CPU, and with valgrind instructions, per description.

    python bench/catalog_ingest.py [--count 1000] [--callgrind]

The catalog's ASGI app handles POST /self-descriptions in this process, 16 at a time, on
a fresh SQLite file (SHACL off, open participant policy): no HTTP server, no load
generator, no second worker. It isolates the catalog's own work from what `catalog.py`
measures around it. This machine kind's speed moves with its host (ADR catalog-0007), so
to compare two builds use `--callgrind`: valgrind counts the instructions of a run, the
same whatever else the machine does. The figure is the difference between a run of 48
and one of 144 descriptions, per description, so start-up and signing do not count.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _catalog_documents import signed_documents  # noqa: E402

from catalog.app import create_app  # noqa: E402
from catalog.settings import CatalogSettings  # noqa: E402
from hinterland.db import migrate  # noqa: E402

WARM_UP = 64  # the first descriptions of a shape compile its walk templates
AT_ONCE = 16
SMALL, LARGE = 48, 144  # the two runs of --callgrind


async def post(app: Any, body: bytes) -> int:
    """One POST /self-descriptions through the ASGI app; the response status."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/self-descriptions",
        "raw_path": b"/self-descriptions",
        "query_string": b"",
        "root_path": "",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    status = 0

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # the client never disconnects
        return {}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])

    await app(scope, receive, send)
    return status


def ingest(count: int, directory: Path) -> float:
    """CPU seconds per description over `count` descriptions after the warm-up."""
    # as many signed in every run, so that signing cancels out of --callgrind's difference
    documents = signed_documents(WARM_UP + max(count, LARGE))[: WARM_UP + count]
    bodies = [json.dumps(d, separators=(",", ":")).encode() for d in documents]
    url = f"sqlite+aiosqlite:///{directory / 'catalog.db'}"
    migrate.upgrade(url)
    return asyncio.run(_ingest(bodies, url, directory, count))


async def _ingest(bodies: list[bytes], url: str, directory: Path, count: int) -> float:
    settings = CatalogSettings(
        data_dir=directory,
        database={"url": url},
        log_level="WARNING",
        catalog={"participant_policy": "open", "shapes": "none", "hinterland_shapes": False},
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        cpu = 0.0
        for start in range(0, len(bodies), AT_ONCE):
            if start == WARM_UP:
                cpu = time.process_time()
            group = bodies[start : start + AT_ONCE]
            statuses = await asyncio.gather(*(post(app, body) for body in group))
            if any(status != 201 for status in statuses):
                raise RuntimeError(f"ingest answered {statuses}")
        return (time.process_time() - cpu) / count


def instructions(count: int) -> int:
    """Instructions (valgrind callgrind) of a whole run of this script over `count`."""
    output = subprocess.run(
        [
            "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
            sys.executable, __file__, "--count", str(count),
        ],
        capture_output=True, text=True, check=True,
    ).stderr
    line = next(x for x in output.splitlines() if "Collected" in x)
    return int(line.rsplit(":", 1)[1].replace(",", "").strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1_000)
    parser.add_argument("--callgrind", action="store_true")
    args = parser.parse_args()
    if args.callgrind:
        if not shutil.which("valgrind"):
            sys.exit("--callgrind needs valgrind (apt-get install valgrind)")
        with ThreadPoolExecutor(2) as pool:  # valgrind runs one core each: run both at once
            small, large = pool.map(instructions, (SMALL, LARGE))
        per = (large - small) / (LARGE - SMALL)
        print(f"catalog ingest in process: {per / 1e6:.2f} M instructions per description")
        return
    with tempfile.TemporaryDirectory(prefix="catalog-ingest-") as directory:
        cpu = ingest(args.count, Path(directory))
    print(
        f"catalog ingest in process, {AT_ONCE} at a time, SHACL off: "
        f"{cpu * 1000:.3f} ms CPU per description ({1 / cpu:.0f}/s of one core)"
    )


if __name__ == "__main__":
    main()
