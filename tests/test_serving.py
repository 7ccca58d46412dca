"""Several worker processes behind one port, each with its own SO_REUSEPORT socket."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tastemaker.store import Store


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_two_workers_serve_one_port(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    Store(url).migrate()
    port = _free_port()
    env = {**os.environ, "TASTEMAKER_DATABASE_URL": url, "TASTEMAKER_DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tastemaker", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        ok = 0
        while time.monotonic() < deadline and ok < 20:
            assert proc.poll() is None, "the server exited"
            try:
                # A fresh connection each time: the kernel spreads them over the workers.
                r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                ok += r.status_code == 200
            except httpx.HTTPError:
                time.sleep(0.2)
        assert ok == 20
        children = subprocess.run(
            ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True
        ).stdout.split()
        assert len(children) >= 2
    finally:
        proc.terminate()
        proc.wait(timeout=20)
