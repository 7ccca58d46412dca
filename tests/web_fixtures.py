"""Real servers for the browser tests: the API (a fitted demo workspace) and a brand's page.

Both are uvicorn servers on free loopback ports, run in threads of the test process so a test
can read the store the server writes to. The brand page is served on ``localhost`` and the API
on ``127.0.0.1``: two origins, so every widget call is a real cross-origin request that the
browser checks against the API's CORS answer.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tastemaker.api.app import create_app
from tastemaker.demo import DemoInfo, load_demo
from tastemaker.engine import Engine
from tastemaker.settings import Settings
from tastemaker.store import Store

CHROMIUM = Path("/usr/bin/chromium")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerThread:
    """A uvicorn server in a daemon thread; ``stop()`` asks it to exit and waits."""

    def __init__(self, app: Any, port: int) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def brand_page(api: str, experience: str, public_key: str, user: str | None) -> str:
    """A sample brand page with a link before the widget (to test the focus order)."""
    user_attr = f' data-user="{user}"' if user else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Brand page</title>
<style>.tm-widget{{--tm-accent:#7a1fa2;--tm-font:Georgia,serif}}</style></head>
<body><header><a href="#main">Skip to content</a></header>
<main id="main"><h1>Our weekend picks</h1>
<script src="{api}/widget.js" data-experience="{experience}" data-key="{public_key}"{user_attr}
        async></script>
</main></body></html>"""


@dataclass
class WebServers:
    api: str  # http://127.0.0.1:PORT
    brand: str  # http://localhost:PORT (another origin)
    engine: Engine
    store: Store
    demo: DemoInfo
    ws_id: int

    def page_url(self, experience: str, user: str | None = None) -> str:
        return f"{self.brand}/?experience={experience}&user={user or ''}"

    def events(self, user_id: str) -> list[Any]:
        return list(self.store.user_events(self.ws_id, user_id, limit=500))

    def wait_for_event(self, user_id: str, type_: str, timeout: float = 10.0) -> Any:
        """The person's newest event of ``type_`` once the server has stored it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [e for e in self.events(user_id) if e.type == type_]
            if found:
                return found[0]
            time.sleep(0.1)
        raise AssertionError(f"no {type_} event for {user_id}")


def start_web_servers(db_url: str, data_dir: Path, slug: str) -> Iterator[WebServers]:
    """Load and fit the demo under ``slug``, then serve the API and the brand page."""
    store = Store(db_url)
    demo = load_demo(store, slug)
    brand_port, api_port = free_port(), free_port()
    brand = f"http://localhost:{brand_port}"
    api = f"http://127.0.0.1:{api_port}"
    settings = Settings(data_dir=data_dir, database_url=db_url, cors_origins=(brand,))
    engine = Engine(store, settings)
    engine.fit(slug)

    async def page(request: Any) -> HTMLResponse:
        q = request.query_params
        return HTMLResponse(
            brand_page(api, q.get("experience", "weekend-mood"), demo.public_key, q.get("user"))
        )

    api_server = ServerThread(create_app(engine, deliver=False), api_port)
    brand_server = ServerThread(Starlette(routes=[Route("/", page)]), brand_port)
    ws = store.get_workspace(slug)
    assert ws is not None
    try:
        yield WebServers(api, brand, engine, store, demo, ws.id)
    finally:
        brand_server.stop()
        api_server.stop()
        engine.close()
        store.close()


@pytest.fixture(scope="session", name="web")
def web_fixture(
    _database: str | Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WebServers]:
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (apt-get install chromium)")
    tmp = tmp_path_factory.mktemp("web")
    if isinstance(_database, str):
        url = _database
    else:
        shutil.copyfile(_database, tmp / "web.db")
        url = f"sqlite:///{tmp / 'web.db'}"
    yield from start_web_servers(url, tmp, f"web-{uuid.uuid4().hex[:8]}")


@pytest.fixture(scope="session", name="browser")
def browser_fixture(web: WebServers) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()
