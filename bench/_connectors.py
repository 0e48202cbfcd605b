"""Shared set-up for connector benchmarks: processes on loopback, a provider with an open
offer for one file, and a consumer that negotiates it."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "system"))

from connector_procs import ConnectorProcess  # noqa: E402

OPEN = {"permission": [{"action": "use"}]}


def provider_with_file(directory: Path, file: Path) -> ConnectorProcess:
    proc = ConnectorProcess("provider", directory / "provider")
    proc.connector = {
        "declare": {
            "policies": {"open": OPEN},
            "assets": [{"id": "urn:asset:file", "title": "Benchmark file", "file": str(file)}],
            "offers": {"open": {"assets": {}, "accessPolicy": "open", "contractPolicy": "open"}},
        }
    }
    return proc


def offer_of(consumer: ConnectorProcess, provider: ConnectorProcess) -> dict[str, Any]:
    with consumer.management() as api:
        catalog = api.post("/consumer/catalog",
                           json={"provider": provider.dsp, "providerDid": provider.did}).json()
    dataset = catalog["dataset"][0]
    return {**dataset["hasPolicy"][0], "target": dataset["@id"]}


def negotiate_and_start(consumer: ConnectorProcess, provider: ConnectorProcess,
                        offer: dict[str, Any]) -> dict[str, Any]:
    with consumer.management() as api:
        negotiation = api.post("/consumer/negotiations", json={
            "provider": provider.dsp, "providerDid": provider.did, "offer": offer,
            "wait": 30}).json()
        assert negotiation["state"] == "FINALIZED", negotiation
        transfer = api.post("/consumer/transfers", json={
            "agreementId": negotiation["agreementId"], "wait": 30}).json()
        assert transfer["state"] == "STARTED", transfer
    return dict(transfer)


def data_address(consumer: ConnectorProcess, pid: str) -> tuple[str, str]:
    """(endpoint, token) of a started transfer, read from the consumer's own database."""
    with sqlite3.connect(consumer.directory / "c.db") as db:
        (raw,) = db.execute(
            "SELECT data_address FROM connector_transfers WHERE pid = ?", (pid,)
        ).fetchone()
    import json

    address = json.loads(raw)
    token = next(p["value"] for p in address["endpointProperties"] if p["name"] == "authorization")
    return address["endpoint"], token


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def proc_rss_mb(pid: int) -> float:
    """Resident memory of a process in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
