"""What an IT department does on day one: `hinterland init`, then `connector serve` with the
config and secrets it wrote. Health, readiness, metrics and the management API answer, and
no key material or API key ever appears in the logs."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_init_then_serve(tmp_path: Path) -> None:
    port = _free_port()
    target = tmp_path / "acme"
    init = subprocess.run(
        [sys.executable, "-m", "hinterland", "init", "--name", "ACME GmbH",
         "--domain", f"127.0.0.1:{port}", "--dir", str(target)],
        capture_output=True, text=True, timeout=120,
    )
    assert init.returncode == 0, init.stderr
    api_key = (target / "secrets" / "HINTERLAND_CONNECTOR__MANAGEMENT_API_KEY").read_text()
    private = json.loads((target / "keys" / "connector-signing-key.json").read_text())["d"]
    log_file = tmp_path / "connector.log"
    env = {**os.environ, "HINTERLAND_CONNECTOR__PUBLIC_URL": f"http://127.0.0.1:{port}",
           "HINTERLAND_LOG_LEVEL": "DEBUG"}
    with log_file.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "hinterland", "connector", "serve",
             "--config", str(target / "hinterland.yaml"),
             "--secrets-dir", str(target / "secrets"), "--host", "127.0.0.1",
             "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log_file.read_text()
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, log_file.read_text()
            time.sleep(0.1)

        ready = httpx.get(base + "/readyz", timeout=10)
        assert ready.status_code == 200, ready.text
        assert ready.json()["status"] == "ready"
        published = json.loads((target / "did.json").read_text())
        served = httpx.get(base + "/.well-known/did.json", timeout=10).json()
        assert served["verificationMethod"][0]["publicKeyJwk"] == (
            published["verificationMethod"][0]["publicKeyJwk"]
        )
        refused = httpx.get(base + "/management/v1/assets", timeout=10)
        assert refused.status_code == 401
        wrong = httpx.get(base + "/management/v1/assets", headers={"X-Api-Key": "x" * 40})
        assert wrong.status_code == 401
        allowed = httpx.get(base + "/management/v1/assets", headers={"X-Api-Key": api_key})
        assert allowed.status_code == 200, allowed.text
        metrics = httpx.get(base + "/metrics", timeout=10).text
        assert "hinterland_http_requests_total" in metrics
        assert 'route="/management/v1/assets",status="401"} 2.0' in metrics
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(20)
    logs = log_file.read_text()
    assert "/management/v1/assets" in logs  # the requests were logged...
    assert api_key not in logs  # ...but never the API key
    assert private not in logs
    for line in logs.splitlines():
        if line.startswith("{"):
            json.loads(line)  # structured JSON lines
