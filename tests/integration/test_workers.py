"""Worker processes with a socket each: connections that arrive together are spread over
the workers (uvicorn's shared socket hands a burst to whichever worker wakes first)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hinterland.errors import ConfigurationError
from hinterland.web.workers import claim_port

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2
CONNECTIONS = 24


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get_pid(sock: socket.socket) -> int:
    sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(4096)
    head, body = data.split(b"\r\n\r\n", 1)
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")))
    while len(body) < length:
        body += sock.recv(4096)
    return int(body)


def _serve(port: int) -> subprocess.Popen[bytes]:
    code = (
        "from hinterland.web.workers import serve; "
        f"serve('pid_app:app_factory', host='127.0.0.1', port={port}, workers={WORKERS}, "
        "log_level='warning')"
    )
    path = os.pathsep.join([str(ROOT), str(ROOT / "tests" / "integration")])
    env = {**os.environ, "PYTHONPATH": path}
    return subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT)


def _wait_for_workers(port: int, deadline: float) -> set[int]:
    """Poll with fresh connections until both workers answer (they start one by one)."""
    pids: set[int] = set()
    while time.monotonic() < deadline and len(pids) < WORKERS:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
                pids.add(_get_pid(sock))
        except OSError:
            time.sleep(0.1)
    return pids


def test_a_burst_of_keep_alive_connections_reaches_every_worker() -> None:
    port = _free_port()
    server = _serve(port)
    try:
        assert len(_wait_for_workers(port, time.monotonic() + 60)) == WORKERS
        # Open every connection at once, then ask each which process serves it.
        sockets = [socket.create_connection(("127.0.0.1", port), timeout=5)
                   for _ in range(CONNECTIONS)]
        try:
            pids = [_get_pid(sock) for sock in sockets]
            pids += [_get_pid(sock) for sock in sockets]  # keep-alive: same worker again
        finally:
            for sock in sockets:
                sock.close()
        per_worker = {pid: pids.count(pid) for pid in set(pids)}
        assert len(per_worker) == WORKERS, per_worker
        # every connection stays with one worker, and no worker got nearly all of them
        assert all(pids[i] == pids[i + CONNECTIONS] for i in range(CONNECTIONS))
        assert max(per_worker.values()) <= 2 * CONNECTIONS - 4, per_worker
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0


def test_a_port_held_by_another_program_is_a_clear_error() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        with pytest.raises(ConfigurationError, match=f"cannot listen on 127.0.0.1:{port}"):
            claim_port("127.0.0.1", port)


def test_port_zero_becomes_a_free_port() -> None:
    port = claim_port("127.0.0.1", 0)
    assert port > 0
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))  # free indeed
