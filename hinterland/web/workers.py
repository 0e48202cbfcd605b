"""Several uvicorn worker processes, each listening on a socket of its own.

uvicorn's multi-worker mode binds one socket in its supervisor and shares it with every
worker. When connections arrive together (a burst of clients, a proxy opening its keep-alive
pool, a load generator), the first worker to wake accepts all of them and the others idle:
measured under 16 keep-alive connections, one catalog worker used 4.6 s of CPU and the other
0.03 s. Here each worker binds its own socket with `SO_REUSEPORT`, and the kernel spreads
new connections across the workers' sockets.

uvicorn's supervisor still starts, health-checks, restarts and stops the workers; it only
carries the socket list to each child process, and `ReusePortListener` is what it carries:
unpickled in the child (that is how a spawned process receives its arguments), it becomes
that worker's own freshly bound socket.
"""

from __future__ import annotations

import socket
from typing import Any, cast

import uvicorn
from uvicorn.supervisors import Multiprocess

from hinterland.errors import ConfigurationError


def bind_reuse_port(host: str, port: int, backlog: int) -> socket.socket:
    """A listening TCP socket on (host, port) that shares the port with its siblings."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    return sock


class ReusePortListener:
    """Stands in for the listening socket in the supervisor; becomes a new socket bound
    with `SO_REUSEPORT` in each worker process it is sent to."""

    def __init__(self, host: str, port: int, backlog: int) -> None:
        self.host = host
        self.port = port
        self.backlog = backlog

    def __reduce__(self) -> tuple[Any, tuple[str, int, int]]:
        return (bind_reuse_port, (self.host, self.port, self.backlog))


def claim_port(host: str, port: int) -> int:
    """Fail early, with a clear error, when another program holds the port (a reuse-port
    bind would otherwise join any socket of the same user); resolve port 0 to a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigurationError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
        return int(probe.getsockname()[1])


def serve(app: str, *, host: str, port: int, workers: int, log_level: str) -> None:
    """Serve the ASGI app factory `app` ("module:function") with `workers` processes.

    One worker (or a platform without `SO_REUSEPORT`) is plain `uvicorn.run`. Logging is
    left to the app (each worker configures its own JSON lines); the app writes the access
    lines itself (`hinterland.web.observability`), with request ids, so uvicorn's own are
    off.
    """
    options: dict[str, Any] = {
        "factory": True,
        "host": host,
        "log_level": log_level,
        "log_config": None,
        "access_log": False,
    }
    if workers <= 1 or not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.run(app, port=port, workers=workers, **options)
        return
    port = claim_port(host, port)
    config = uvicorn.Config(app, port=port, workers=workers, **options)
    listener = ReusePortListener(host, port, config.backlog)
    Multiprocess(config, sockets=[cast(socket.socket, listener)]).run()
