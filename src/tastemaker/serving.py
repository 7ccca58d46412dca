"""Run the HTTP API in one or several worker processes.

Why not ``uvicorn --workers N``: there all workers accept from one shared socket, and asyncio
accepts a whole burst of connections in whichever worker wakes first. Clients that keep their
connections alive (browsers, load balancers, load generators) then pin all their traffic on one
worker while the others idle. Here every worker binds its own socket with ``SO_REUSEPORT`` and
the kernel spreads new connections across them evenly.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import sys
import tempfile
from pathlib import Path
from types import FrameType

FACTORY = "tastemaker.api.app:create_app_from_env"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"  # tastemaker.metrics reads it


def _socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _config(host: str, port: int, access_log: bool) -> object:
    import uvicorn

    return uvicorn.Config(
        FACTORY,
        factory=True,
        host=host,
        port=port,
        access_log=access_log,
        log_level="info",
        backlog=2048,
    )


def _worker(host: str, port: int, access_log: bool) -> None:
    import uvicorn

    sock = _socket(host, port)
    server = uvicorn.Server(_config(host, port, access_log))  # type: ignore[arg-type]
    server.run(sockets=[sock])


def _metrics_dir() -> None:
    """Give the workers one fresh directory for prometheus-client's multiprocess mode.

    Set in the environment before any worker starts (they inherit it and import the metrics
    after), emptied first so counts from a previous run do not add to this one's.
    """
    path = os.environ.get(MULTIPROC_ENV)
    if not path:
        path = tempfile.mkdtemp(prefix="tastemaker-metrics-")
        os.environ[MULTIPROC_ENV] = path
    for entry in Path(path).glob("*.db"):
        entry.unlink()


def serve(host: str, port: int, workers: int = 1, *, access_log: bool = False) -> None:
    """Serve until interrupted; with ``workers > 1``, one process per worker."""
    if workers <= 1 or not hasattr(socket, "SO_REUSEPORT"):
        import uvicorn

        uvicorn.run(
            FACTORY,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            access_log=access_log,
            log_level="info",
        )
        return
    _socket(host, port).close()  # fail here, once, if the port is taken
    _metrics_dir()
    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(target=_worker, args=(host, port, access_log), name=f"tastemaker-{i}")
        for i in range(workers)
    ]
    for p in procs:
        p.start()

    def stop(signum: int, _frame: FrameType | None) -> None:
        for p in procs:
            if p.is_alive():
                p.terminate()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for p in procs:
        p.join()
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(p.pid)  # type: ignore[no-untyped-call]
    sys.exit(max((p.exitcode or 0) for p in procs))
