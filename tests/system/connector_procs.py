"""Connector processes on real loopback ports, for system tests and benchmarks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from hinterland.demo.servers import wait_until_healthy
from hinterland.keys import PrivateKey

ROOT = Path(__file__).parents[2]
API_KEY = "system-test-management-key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def did_for(port: int) -> str:
    return f"did:web:127.0.0.1%3A{port}"


@dataclass
class ConnectorProcess:
    """One `hinterland connector run` process with its config and data directory."""

    name: str
    directory: Path
    port: int = field(default_factory=free_port)
    connector: dict[str, Any] = field(default_factory=dict)
    database_url: str | None = None
    process: subprocess.Popen[bytes] | None = None

    def __post_init__(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        key_file = self.directory / "key.json"
        if not key_file.exists():
            PrivateKey.generate().save(key_file)
        self.key_file = key_file

    @property
    def did(self) -> str:
        return did_for(self.port)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def dsp(self) -> str:
        return self.base + "/dsp/2025-1"

    def config(self) -> Path:
        data = {
            "data_dir": str(self.directory / "data"),
            "database": {
                "url": self.database_url or f"sqlite+aiosqlite:///{self.directory / 'c.db'}",
                "migrate_on_start": True,
            },
            "did": {"allow_private_addresses": True, "allow_http": True, "cache_seconds": 60},
            "log_level": "WARNING",
            "connector": {
                "did": self.did,
                "public_url": self.base,
                "key_file": str(self.key_file),
                "management_api_key": API_KEY,
                "poll_seconds": 0.5,
                "lease_seconds": 5,
                **self.connector,
            },
        }
        path = self.directory / "connector.yaml"
        path.write_text(yaml.safe_dump(data))
        return path

    def start(self, timeout: float = 30) -> None:
        config = self.config()
        log = (self.directory / "connector.log").open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hinterland",
                "connector",
                "run",
                "--config",
                str(config),
                "--port",
                str(self.port),
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        wait_until_healthy(self.process, self.base, name=self.name, timeout=timeout,
                           log_tail=self.log_tail)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self) -> str:
        path = self.directory / "connector.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def management(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base + "/management/v1", headers={"X-Api-Key": API_KEY}, timeout=60
        )


@dataclass
class CatalogProcess:
    """A `hinterland catalog serve` process on a loopback port."""

    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        config = self.directory / "catalog.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "data_dir": str(self.directory / "data"),
                    "database": {
                        "url": f"sqlite+aiosqlite:///{self.directory / 'catalog.db'}",
                        "migrate_on_start": True,
                    },
                    "did": {"allow_private_addresses": True, "allow_http": True},
                    "log_level": "WARNING",
                    "catalog": {"base_url": self.base, "port": self.port, "host": "127.0.0.1"},
                }
            )
        )
        log = (self.directory / "catalog.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hinterland", "catalog", "serve", "--config", str(config)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        wait_until_healthy(
            self.process, self.base, name="catalog", timeout=timeout,
            log_tail=lambda: (self.directory / "catalog.log").read_text()[-2000:],
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
