"""Catalog benchmark: HTTP ingest throughput (2 workers, SHACL on and off), search latency
over 100,000 entries and SPARQL latency. Prints figures and the ratio to the issue's
targets (>= 300/s with SHACL, >= 1,000/s without, search p99 <= 50 ms).

    python bench/catalog.py [--entries 100000] [--ingest 400] [--database URL]

Ingest runs `hinterland catalog serve --workers 2` as a real process on a fresh SQLite
file (or the given PostgreSQL URL's server, in a fresh database). The load comes from wrk
(`apt-get install wrk`: one C thread, 16 connections, each request a different signed
description) so that the client does not eat the cores the server is measured on; without
wrk a Python client is used and the figure says so. The search corpus is bulk-loaded
straight into the tables (signing 100,000 documents would measure signing).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402
import yaml  # noqa: E402
from _catalog_documents import (  # noqa: E402
    FORMATS,
    MATERIALS,
    PROCESSES,
    REGIONS,
    WORDS,
    signed_documents,
)

from catalog.app import create_app  # noqa: E402
from catalog.models import ChangeRow, EntryBlobRow, EntryRow, EntryValueRow  # noqa: E402
from catalog.settings import CatalogSettings  # noqa: E402
from catalog.terms import PG_SEARCH_INSERT, pg_value_terms, value_terms  # noqa: E402
from catalog.text import index_text  # noqa: E402
from hinterland.db import create_engine, migrate  # noqa: E402

# Wide columns of realistic size, so that scans that touch them would show.
DOCUMENT = json.dumps({"padding": "x" * 3000})
REPORT = json.dumps({"valid": True, "checks": [{"name": "proof", "reason": "y" * 80}] * 10})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# -- ingest -----------------------------------------------------------------------------


async def post_all(base: str, documents: list[dict[str, Any]], concurrency: int) -> float:
    queue = list(documents)
    async with httpx.AsyncClient(timeout=120) as client:

        async def worker() -> None:
            while queue:
                document = queue.pop()
                response = await client.post(f"{base}/self-descriptions", json=document)
                if response.status_code != 201:
                    raise RuntimeError(
                        f"ingest failed: {response.status_code} {response.text[:300]}"
                    )

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - start


WRK_SCRIPT = r"""
-- Each request posts the next signed description of this thread's share of the file.
local threads = {}
local count = 0
function setup(thread)
  thread:set("id", count)
  table.insert(threads, thread)
  count = count + 1
end
function init(args)
  bodies, position, created, refused = {}, 0, 0, 0
  local total, n = tonumber(args[2]), 0
  for line in io.lines(args[1]) do
    if n % total == id then table.insert(bodies, line) end
    n = n + 1
  end
  headers = {["Content-Type"] = "application/json"}
end
function request()
  position = position % #bodies + 1
  return wrk.format("POST", "/self-descriptions", headers, bodies[position])
end
function response(status, headers, body)
  if status == 201 then created = created + 1 else refused = refused + 1 end
end
function done(summary, latency, requests)
  local c, r = 0, 0
  for _, thread in ipairs(threads) do
    c = c + thread:get("created")
    r = r + thread:get("refused")
  end
  io.write(string.format("RESULT %d %d %d\n", c, r, summary.duration))
end
"""


def process_cpu_seconds(pid: int | str) -> float:
    """User + system CPU seconds of one process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children (the uvicorn workers)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return sum(process_cpu_seconds(member) for member in [str(pid), *children])


def database_cpu_seconds(url: str) -> dict[int, float] | None:
    """User + system CPU seconds so far of each PostgreSQL process serving `url`'s
    database, by process id (readable when the server runs on this machine); None for
    SQLite, whose work the catalog's own processes do, or a server elsewhere."""
    if url.startswith("sqlite"):
        return None
    import asyncpg

    async def backends() -> list[int]:
        conn = await asyncpg.connect(url.replace("+asyncpg", ""))
        try:
            rows = await conn.fetch(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        finally:
            await conn.close()
        return [int(row[0]) for row in rows]

    seconds: dict[int, float] = {}
    for pid in asyncio.run(backends()):
        try:
            seconds[pid] = process_cpu_seconds(pid)
        except FileNotFoundError:  # a backend that ended meanwhile
            continue
        except OSError:  # not this machine's process
            return None
    return seconds


WORKERS = 2  # the setting: two worker processes on this 2-core machine


def wrk_rate(
    base: str, documents: list[dict[str, Any]], tmp: Path, seconds: int, server: int,
    database: str,
) -> tuple[float, float, float | None]:
    """(created descriptions per second under wrk, server CPU ms per description, the
    database server's CPU ms per description if it is PostgreSQL on this machine); fails
    if any request was not a 201 (a refusal, or the documents ran out and came round)."""
    tmp.mkdir(parents=True, exist_ok=True)
    bodies = tmp / "bodies.jsonl"
    bodies.write_text("\n".join(json.dumps(d, separators=(",", ":")) for d in documents))
    script = tmp / "ingest.lua"
    script.write_text(WRK_SCRIPT)
    threads = 1
    cpu_before = tree_cpu_seconds(server)
    database_before = database_cpu_seconds(database)  # the workers' pools are open by now
    output = subprocess.run(
        ["wrk", f"-t{threads}", "-c16", f"-d{seconds}s", "-s", str(script), base, "--",
         str(bodies), str(threads)],
        capture_output=True, text=True, check=True,
    ).stdout
    line = next(x for x in output.splitlines() if x.startswith("RESULT"))
    created, refused, micros = (int(x) for x in line.split()[1:])
    cpu = tree_cpu_seconds(server) - cpu_before
    database_after = database_cpu_seconds(database)
    if refused:
        raise RuntimeError(f"{refused} ingests were not 201 (or too few documents): {output}")
    database_ms = None
    if database_before is not None and database_after is not None:
        # backends that started during the run count whole; one that ended is lost
        spent = sum(cpu - database_before.get(pid, 0.0) for pid, cpu in database_after.items())
        database_ms = 1000 * spent / max(created, 1)
    return created / (micros / 1e6), 1000 * cpu / max(created, 1), database_ms


def ingest_rate(
    database: str, documents: list[dict[str, Any]], shacl: bool, tmp: Path, seconds: int
) -> tuple[float, str]:
    """(descriptions per second, the client that measured it)."""
    name = "shacl" if shacl else "plain"
    port = free_port()
    config = {
        "data_dir": str(tmp / name),
        "log_level": "WARNING",
        "database": {"url": database, "migrate_on_start": True, "pool_size": 10},
        "catalog": {
            "participant_policy": "open",
            "shapes": "gaia-x-22.10" if shacl else "none",
            "hinterland_shapes": shacl,
            "workers": WORKERS,
        },
    }
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    log = (tmp / f"{name}.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hinterland",
            "catalog",
            "serve",
            "--config",
            str(path),
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        warm, rest = documents[:40], documents[40:]
        asyncio.run(post_all(base, warm, 4))
        if shutil.which("wrk"):
            rate, cpu_ms, database_ms = wrk_rate(
                base, rest, tmp / name, seconds, process.pid, database
            )
            also = f" + PostgreSQL {database_ms:.2f} ms" if database_ms is not None else ""
            return rate, f"wrk; server CPU {cpu_ms:.2f} ms per description{also}"
        elapsed = asyncio.run(post_all(base, rest[:2000], 16))
        return min(len(rest), 2000) / elapsed, "python client (install wrk)"
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


# -- search corpus ------------------------------------------------------------------------


def rdf_of(index: int, name: str, material: str, region: str, kind: str) -> str:
    subject = f"<https://bench.example/{index}>"
    hl = "https://w3id.org/hinterland/v1#"
    return (
        f'{subject} <https://schema.org/name> "{name}" .\n'
        f'{subject} <{hl}material> "{material}" .\n'
        f'{subject} <{hl}region> "{region}" .\n'
        f"{subject} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{hl}{kind}> .\n"
    )


async def bulk_load(url: str, count: int) -> None:
    engine = create_engine(url)
    rng = random.Random(11)
    now = datetime.now(UTC)
    issuers = [f"did:web:firm{i}.example" for i in range(200)]
    sqlite = engine.dialect.name == "sqlite"
    batch = 2_000
    async with engine.begin() as conn:
        for start in range(0, count, batch):
            entries, blobs, values, fts, changes = [], [], [], [], []
            for index in range(start, min(count, start + batch)):
                material = rng.choice(MATERIALS)
                process = rng.choice(PROCESSES)
                region = rng.choice(REGIONS)
                fmt = rng.choice(FORMATS)
                kind = rng.choice(["PrintService", "PrintFile", "DataResource"])
                keywords = rng.sample(WORDS, 3)
                name = f"{process} {kind} {index}"
                description = " ".join(rng.sample(WORDS, 8))
                text = index_text(
                    " ".join([name, description, kind, material, process, fmt, region, *keywords])
                )
                entry_id = f"sd-{index:032x}"
                status = "active" if index % 20 else rng.choice(["revoked", "deprecated"])
                claims = {
                    "types": [kind],
                    "material": [material],
                    "process": [process],
                    "format": [fmt],
                    "region": [region],
                    "country": [region[:2]],
                    "keyword": keywords,
                }
                entries.append(
                    {
                        "row_id": index + 1,
                        "id": entry_id,
                        "issuer": rng.choice(issuers),
                        "subject_id": f"https://bench.example/{index}",
                        "types": json.dumps([kind]),
                        "status": status,
                        "sha256": f"{index:064x}",
                        "name": name,
                        "description": description,
                        "claims": json.dumps(claims),
                        "issued": now,
                        "valid_until": None,
                        "origin": "local",
                        "created": now,
                        "updated": now,
                        "superseded_by": None,
                    }
                )
                blobs.append(
                    {
                        "row_id": index + 1,
                        "document": DOCUMENT,
                        "report": REPORT,
                        "compliance": None,
                        "revocation": None,
                        "search_text": text,
                        "rdf": rdf_of(index, name, material, region, kind),
                    }
                )
                mine: dict[tuple[str, str], str] = {}
                for field, items in (
                    ("type", [kind]),
                    ("material", [material]),
                    ("process", [process]),
                    ("format", [fmt]),
                    ("region", [region]),
                    ("country", [region[:2]]),
                    ("keyword", keywords),
                ):
                    for item in items:
                        mine.setdefault((field, item.lower()), item)
                values += [
                    {"entry_row": index + 1, "field": field, "norm": norm, "value": value}
                    for (field, norm), value in mine.items()
                ]
                terms = value_terms(mine) if sqlite else pg_value_terms(mine)
                fts.append({"r": index + 1, "t": text, "v": terms})
                changes.append({"entry_id": entry_id, "kind": "added", "at": now})
            await conn.execute(sa.insert(EntryRow), entries)
            await conn.execute(sa.insert(EntryBlobRow), blobs)
            await conn.execute(sa.insert(EntryValueRow), values)
            await conn.execute(sa.insert(ChangeRow), changes)
            if sqlite:
                await conn.execute(
                    sa.text(
                        "INSERT INTO catalog_entries_fts(rowid, search_text, terms) "
                        "VALUES (:r, :t, :v)"
                    ),
                    fts,
                )
            else:  # what catalog.adds writes: the narrow search table (ADR catalog-0010)
                await conn.execute(sa.text(PG_SEARCH_INSERT), fts)
    if not sqlite:  # what autovacuum would do: statistics and the visibility map
        async with engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(sa.text("VACUUM ANALYZE"))
    await engine.dispose()


SEARCHES: list[dict[str, Any]] = [
    {"q": "bracket"},
    {"q": "nylon housing"},
    {"q": "sls", "material": "PA12"},
    {"material": "PA12", "region": "DE-SN"},
    {"format": "3MF"},
    {"q": "drone", "region": "DE-BY", "format": "STL"},
    {"type": "PrintService", "process": "MJF"},
    {"q": "titanium medical"},
    {},
]


async def search_latencies(
    url: str, tmp: Path, rounds: int, facets: bool, cache: bool = True
) -> tuple[list[float], float, list[float]]:
    settings = CatalogSettings(
        data_dir=tmp / "search",
        database={"url": url},
        catalog={"participant_policy": "open", "search_cache_entries": 256 if cache else 0},
    )
    app = create_app(settings, background=False)
    service = app.state.catalog
    timings: list[float] = []
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench"
    ) as client:
        for params in SEARCHES:  # warm-up
            await client.get("/self-descriptions", params={**params, "facets": str(facets)})
        for _ in range(rounds):
            for params in SEARCHES:
                start = time.perf_counter()
                response = await client.get(
                    "/self-descriptions", params={**params, "facets": str(facets).lower()}
                )
                timings.append(time.perf_counter() - start)
                assert response.status_code == 200, response.text
        start = time.perf_counter()
        await service.sparql.sync()
        sync_seconds = time.perf_counter() - start
        query = (
            "PREFIX hl: <https://w3id.org/hinterland/v1#>\n"
            "PREFIX schema: <https://schema.org/>\n"
            'SELECT ?s ?name WHERE { ?s a hl:PrintService ; hl:material "PA12" ; '
            'hl:region "DE-SN" ; schema:name ?name } LIMIT 100'
        )
        sparql: list[float] = []
        for _ in range(max(5, rounds)):
            start = time.perf_counter()
            response = await client.get("/sparql", params={"query": query})
            sparql.append(time.perf_counter() - start)
            assert response.status_code == 200, response.text
    await service.engine.dispose()
    return timings, sync_seconds, sparql


CREATED: list[str] = []


def drop_databases(admin: str | None) -> None:
    """Drop the PostgreSQL databases this run created."""
    if admin is None or not CREATED:
        return
    import asyncpg

    async def drop() -> None:
        conn = await asyncpg.connect(admin)
        for database in CREATED:
            await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await conn.close()

    asyncio.run(drop())


def fresh_database(admin: str | None, tmp: Path, name: str) -> str:
    if admin is None:
        return f"sqlite+aiosqlite:///{tmp / name}.db"
    import asyncpg

    database = f"bench_{name}_{uuid.uuid4().hex[:8]}"

    async def create() -> None:
        conn = await asyncpg.connect(admin)
        await conn.execute(f'CREATE DATABASE "{database}"')
        await conn.close()

    asyncio.run(create())
    CREATED.append(database)
    base = admin.rsplit("/", 1)[0].split("://", 1)[1]
    return f"postgresql+asyncpg://{base}/{database}"


def main() -> None:
    """Run every measurement and print the figures."""
    try:
        run()
    finally:
        drop_databases(_ADMIN[0] if _ADMIN else None)


_ADMIN: list[str] = []


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--ingest", type=int, default=10_000,
                        help="signed descriptions prepared for the ingest runs")
    parser.add_argument("--seconds", type=int, default=5, help="duration of each ingest run")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--database", help="PostgreSQL admin URL (default: SQLite files)")
    parser.add_argument("--skip-ingest", action="store_true")
    args = parser.parse_args()
    if args.database:
        _ADMIN.append(args.database)
    with tempfile.TemporaryDirectory(prefix="catalog-bench-") as directory:
        measure(args, Path(directory))  # the corpus is ~700 MB: never left behind


HOST_LOOP = compile("total = 0\nfor number in range(10_000_000):\n    total += number\n",
                    "<host loop>", "exec")


def host_loop_seconds() -> float:
    """CPU seconds of a loop of 10 million additions at module level (global names, as
    `python3 -c` runs it): how fast this host is right now. The same build gave 0.60 s
    and 1.24-1.48 s on two hosts of the same machine kind, with ingest and search figures
    about twice apart; runs on different hosts compare only with this beside them."""
    start = time.process_time()
    exec(HOST_LOOP, {})  # a constant loop, compiled above
    return time.process_time() - start


def measure(args: argparse.Namespace, tmp: Path) -> None:
    """Every figure, with scratch files under `tmp`."""
    backend = "PostgreSQL" if args.database else "SQLite"
    print(f"catalog benchmark on {backend}, {os.cpu_count()} cores")
    print(f"host speed: 10 million additions in {host_loop_seconds():.2f} s of CPU")

    if not args.skip_ingest:
        documents = signed_documents(args.ingest)
        for shacl, target in ((False, 1_000), (True, 300)):
            url = fresh_database(args.database, tmp, "shacl" if shacl else "plain")
            rate, client = ingest_rate(url, documents, shacl, tmp, args.seconds)
            print(
                f"ingest, {WORKERS} workers, SHACL {'on ' if shacl else 'off'}: {rate:8.1f} /s"
                f"   (target >= {target}/s, ratio {rate / target:.2f}; load: {client})"
            )

    url = fresh_database(args.database, tmp, "search")
    migrate.upgrade(url)
    start = time.perf_counter()
    asyncio.run(bulk_load(url, args.entries))
    print(f"bulk-loaded {args.entries} entries in {time.perf_counter() - start:.1f} s")
    # The facet cache is exact but only helps a query asked again before the next write:
    # "computed" turns it off, so every request counts its facets afresh.
    for facets, cache, label in (
        (False, True, "facets off"),
        (True, False, "facets on, computed"),
        (True, True, "facets on, repeated (cache hits)"),
    ):
        timings, sync_seconds, sparql = asyncio.run(
            search_latencies(url, tmp, args.rounds, facets, cache)
        )
        p50, p99 = percentile(timings, 0.5) * 1000, percentile(timings, 0.99) * 1000
        print(
            f"search over {args.entries} entries, {label}: "
            f"p50 {p50:6.1f} ms  p99 {p99:6.1f} ms   (target p99 <= 50 ms, ratio "
            f"{50 / p99:.2f})  [{len(timings)} requests]"
        )
    print(f"SPARQL index load of {args.entries} entries: {sync_seconds:.1f} s")
    print(
        f"SPARQL typical SELECT (material + region + type, LIMIT 100): "
        f"p50 {statistics.median(sparql) * 1000:.1f} ms  "
        f"p99 {percentile(sparql, 0.99) * 1000:.1f} ms"
    )
    print(f"host speed at the end: {host_loop_seconds():.2f} s")


if __name__ == "__main__":
    main()
