"""`hinterland catalog serve` as real processes: the CLI starts a working catalog, and two
catalog processes sharing one PostgreSQL database serve consistent results."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import yaml
from catalog_support import did_key_party, print_service, revocation

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def catalog_process(config: dict, tmp_path: Path, name: str) -> Iterator[str]:  # type: ignore[type-arg]
    port = free_port()
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    log = (tmp_path / f"{name}.log").open("wb")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
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
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((tmp_path / f"{name}.log").read_text())
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def config_for(tmp_path: Path, database_url: str, name: str) -> dict:  # type: ignore[type-arg]
    return {
        "data_dir": str(tmp_path / name),
        "database": {"url": database_url, "migrate_on_start": True},
        "catalog": {
            "participant_policy": "open",
            "key_file": str(tmp_path / "catalog-key.json"),
            "base_url": "http://catalog.test",
        },
    }


def test_serve_starts_a_catalog_from_a_config_file(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'catalog.db'}"
    acme = did_key_party("acme")
    with catalog_process(config_for(tmp_path, url, "one"), tmp_path, "one") as base:
        health = httpx.get(f"{base}/health").json()
        assert health["did"].startswith("did:key:")
        response = httpx.post(
            f"{base}/self-descriptions",
            json=print_service(acme, "a", name="SLS printing", material="PA12"),
        )
        assert response.status_code == 201, response.text
        listed = httpx.get(f"{base}/self-descriptions", params={"q": "sls"}).json()
        assert [i["name"] for i in listed["items"]] == ["SLS printing"]
    assert (tmp_path / "catalog-key.json").stat().st_mode & 0o077 == 0


def test_two_processes_sharing_postgresql_agree(tmp_path: Path, postgres_url: str) -> None:
    from hinterland.db import migrate

    migrate.upgrade(postgres_url)
    acme = did_key_party("acme")
    query = (
        "PREFIX schema: <https://schema.org/>\nSELECT ?n WHERE { ?s schema:name ?n } ORDER BY ?n"
    )
    with (
        catalog_process(config_for(tmp_path, postgres_url, "a"), tmp_path, "a") as a,
        catalog_process(config_for(tmp_path, postgres_url, "b"), tmp_path, "b") as b,
    ):
        ids = []
        for index, base in enumerate([a, b, a, b]):
            response = httpx.post(
                f"{base}/self-descriptions",
                json=print_service(acme, f"s{index}", name=f"Service {index}", material="PA12"),
            )
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])
        response = httpx.post(
            f"{b}/self-descriptions/{ids[0]}/revoke", json=revocation(acme, ids[0])
        )
        assert response.status_code == 200, response.text
        views = []
        for base in (a, b):
            listed = httpx.get(f"{base}/self-descriptions").json()
            feed = httpx.get(f"{base}/changes").json()["items"]
            names = [
                r["n"]["value"]
                for r in httpx.get(f"{base}/sparql", params={"query": query}).json()["results"][
                    "bindings"
                ]
            ]
            detail = httpx.get(f"{base}/self-descriptions/{ids[0]}").json()
            views.append(
                (
                    [i["id"] for i in listed["items"]],
                    [(c["seq"], c["kind"], c["entryId"]) for c in feed],
                    names,
                    detail["entry"]["status"],
                )
            )
        assert views[0] == views[1]
        assert views[0][0] == list(reversed(ids[1:]))
        assert views[0][2] == ["Service 1", "Service 2", "Service 3"]
        assert views[0][3] == "revoked"
        seqs = [seq for seq, _, _ in views[0][1]]
        assert seqs == sorted(seqs) and len(seqs) == 5
