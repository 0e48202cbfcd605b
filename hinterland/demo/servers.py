"""Catalog and connector processes on free loopback ports, started with the real CLI."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from hinterland.errors import ConfigurationError


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_healthy(
    process: subprocess.Popen[bytes],
    base: str,
    *,
    name: str,
    timeout: float,
    log_tail: Callable[[], str],
) -> None:
    """Wait until `base/healthz` answers 200; `ConfigurationError` with the end of the
    server's log when the process exits first or does not answer within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ConfigurationError(f"{name} stopped at start:\n{log_tail()}")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise ConfigurationError(f"{name} did not answer within {timeout:.0f} s:\n{log_tail()}")


@dataclass
class Server:
    """One `hinterland <component> serve` process with its own config and log file."""

    component: str
    name: str
    directory: Path
    settings: dict[str, Any]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        """Its base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        """Where its structured logs go."""
        return self.directory / f"{self.component}.log"

    def write_config(self) -> Path:
        """Write the YAML config the server reads."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / "hinterland.yaml"
        path.write_text(yaml.safe_dump(self.settings, sort_keys=False), encoding="utf-8")
        return path

    def start(self, timeout: float = 60) -> None:
        """Start the process and wait until `/healthz` answers."""
        config = self.write_config()
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "hinterland", self.component, "serve",
                 "--config", str(config), "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                start_new_session=True,
            )
        wait_until_healthy(self.process, self.base, name=self.name, timeout=timeout,
                           log_tail=self.log_tail)

    def stop(self) -> None:
        """Stop it gracefully (SIGTERM), forcefully after 10 s."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def log_tail(self, size: int = 3000) -> str:
        """The end of its log, for error messages."""
        if not self.log_file.exists():
            return ""
        return self.log_file.read_text("utf-8", errors="replace")[-size:]
