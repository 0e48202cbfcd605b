"""Data-plane throughput of a 1 GiB download: the connector against a plain static server.

Prints, in one run: throughput of nginx (Debian's package; `python -m http.server` when
nginx is absent) and of the connector's data plane for the same file, their ratio (target
>= 0.9), the connector's server CPU per GB (target <= 0.5 s/GB) and its memory growth
during the download (target <= 20 MB).

    python bench/transfer.py [--size-mib 1024]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from _connectors import (
    ConnectorProcess,
    data_address,
    negotiate_and_start,
    offer_of,
    proc_cpu_seconds,
    proc_rss_mb,
    provider_with_file,
)

CHUNK = 1024 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_file(path: Path, size: int) -> str:
    block = os.urandom(16 * CHUNK)
    digest = hashlib.sha256()
    with path.open("wb") as out:
        written = 0
        while written < size:
            part = block[: min(len(block), size - written)]
            out.write(part)
            digest.update(part)
            written += len(part)
    return digest.hexdigest()


def download(url: str, headers: dict[str, str] | None = None) -> tuple[float, int]:
    """Seconds and bytes of one streamed download (discarding the data)."""
    received = 0
    with httpx.Client(timeout=120) as client:
        start = time.perf_counter()
        with client.stream("GET", url, headers=headers or {}) as response:
            response.raise_for_status()
            for chunk in response.iter_raw(CHUNK):
                received += len(chunk)
        return time.perf_counter() - start, received


class PeakRss:
    """Samples a process's resident memory every 5 ms in a thread; `mb` is the peak."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.mb = max(self.mb, proc_rss_mb(self.pid))
            self._stop.wait(0.005)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def static_server(directory: Path, work: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    port = free_port()
    nginx = shutil.which("nginx")
    if nginx is None and Path("/usr/sbin/nginx").exists():
        nginx = "/usr/sbin/nginx"
    if nginx:
        conf = work / "nginx.conf"
        conf.write_text(f"""
worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 64; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path {work}/body; proxy_temp_path {work}/proxy;
  fastcgi_temp_path {work}/fastcgi; uwsgi_temp_path {work}/uwsgi; scgi_temp_path {work}/scgi;
  server {{ listen 127.0.0.1:{port}; root {directory}; }}
}}
""")
        proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(work)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        name = "nginx"
    else:
        proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind",
                                 "127.0.0.1", "--directory", str(directory)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        name = "python -m http.server"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    return proc, f"http://127.0.0.1:{port}", name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mib", type=int, default=1024)
    args = parser.parse_args()
    size = args.size_mib * CHUNK
    with tempfile.TemporaryDirectory(prefix="hl-bench-") as tmp:
        work = Path(tmp)
        work.chmod(0o755)  # nginx workers run as an unprivileged user
        files = work / "files"
        files.mkdir(mode=0o755)
        big = files / "big.bin"
        make_file(big, size)
        big.chmod(0o644)
        server, base, name = static_server(files, work)
        provider = provider_with_file(work, big)
        consumer = ConnectorProcess("consumer", work / "consumer")
        try:
            download(f"{base}/big.bin")  # warm the page cache
            runs = [download(f"{base}/big.bin") for _ in range(3)]
            assert all(got == size for _, got in runs)
            base_seconds = min(t for t, _ in runs)
            provider.start(timeout=120)  # the declared 1 GiB file is imported at start
            consumer.start()
            transfer = negotiate_and_start(consumer, provider, offer_of(consumer, provider))
            endpoint, token = data_address(consumer, transfer["pid"])
            auth = {"Authorization": f"Bearer {token}"}
            assert provider.process is not None
            pid = provider.process.pid
            download(endpoint, {**auth, "Range": "bytes=0-1048575"})  # warm up the route
            rss_before, cpu_before = proc_rss_mb(pid), proc_cpu_seconds(pid)
            with PeakRss(pid) as peak:  # the highest resident size while streaming
                runs = [download(endpoint, auth) for _ in range(3)]
            cpu = (proc_cpu_seconds(pid) - cpu_before) / len(runs)
            rss_growth = peak.mb - rss_before
            assert all(got == size for _, got in runs)
            seconds = min(t for t, _ in runs)
        finally:
            server.terminate()
            provider.stop()
            consumer.stop()
        gib = size / 1024**3
        base_rate, rate = size / base_seconds / 1e6, size / seconds / 1e6
        print(f"file: {args.size_mib} MiB")
        print("best of 3 downloads each, same streaming client (httpx), same machine")
        print(f"baseline ({name}): {base_rate:8.1f} MB/s  ({base_seconds:.2f} s)")
        print(f"connector data plane: {rate:8.1f} MB/s  ({seconds:.2f} s)")
        print(f"ratio connector/baseline: {rate / base_rate:.2f}x (target >= 0.9x)")
        print(f"connector CPU: {cpu / gib:.2f} s/GB (target <= 0.5 s/GB)")
        print(f"connector memory growth (peak while streaming): {rss_growth:.1f} MB "
              "(target <= 20 MB)")


if __name__ == "__main__":
    main()
