"""The demo page's routes, mounted only when the app is started by ``tastemaker demo``.

The page is static HTML that asks ``/demo/config.json`` which workspace, public key and sample
users to use, then talks to the ordinary ``/v1`` API like any client would. Only the *public*
key is ever handed to the page (:meth:`DemoInfo.config`).

With several uvicorn workers the app is built by a factory in each worker process, so the demo
info travels through environment variables set by the CLI (:func:`demo_env`,
:func:`demo_from_env`); the admin key is deliberately not among them.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Mapping

import orjson
from fastapi import APIRouter
from starlette.responses import FileResponse, Response

from tastemaker.demo import STATIC_DIR, DemoInfo

_WORKSPACE = "TASTEMAKER_DEMO_WORKSPACE"
_PUBLIC_KEY = "TASTEMAKER_DEMO_PUBLIC_KEY"
_USERS = "TASTEMAKER_DEMO_USERS"  # JSON: [{"id": ..., "label": ...}, ...]


def demo_env(demo: DemoInfo) -> dict[str, str]:
    """The environment variables that carry ``demo`` to worker processes (no admin key)."""
    return {
        _WORKSPACE: demo.workspace,
        _PUBLIC_KEY: demo.public_key,
        _USERS: orjson.dumps(demo.users).decode(),
    }


def demo_from_env(env: Mapping[str, str] = os.environ) -> DemoInfo | None:
    """The demo info set by the CLI, or None when not serving the demo."""
    public_key = env.get(_PUBLIC_KEY)
    if not public_key:
        return None
    return DemoInfo(
        workspace=env.get(_WORKSPACE, "demo"),
        public_key=public_key,
        admin_key="",
        users=orjson.loads(env.get(_USERS) or "[]"),
    )


def page_policy(html: str) -> str:
    """The demo page's Content-Security-Policy: its own inline script and style, pinned by hash.

    Hashes rather than ``'unsafe-inline'``: an item title that slipped past escaping could then
    still not run as script. The page may be framed only by its own origin.
    """

    def hashes(tag: str) -> str:
        bodies = re.findall(rf"<{tag}>(.*?)</{tag}>", html, flags=re.DOTALL)
        digests = [hashlib.sha256(b.encode()).digest() for b in bodies]
        return " ".join(f"'sha256-{base64.b64encode(d).decode()}'" for d in digests)

    return (
        f"default-src 'none'; script-src {hashes('script')}; style-src {hashes('style')}; "
        "img-src 'self' data: https:; connect-src 'self'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'self'"
    )


def demo_router(demo: DemoInfo) -> APIRouter:
    """``GET /`` (the page) and ``GET /demo/config.json``; hidden from the OpenAPI schema."""
    router = APIRouter(include_in_schema=False)
    config = orjson.dumps(demo.config())
    page = STATIC_DIR / "index.html"
    policy = page_policy(page.read_text(encoding="utf-8"))

    @router.get("/")
    @router.get("/demo/")
    async def index() -> Response:
        return FileResponse(
            page, media_type="text/html", headers={"Content-Security-Policy": policy}
        )

    @router.get("/demo/config.json")
    async def demo_config() -> Response:
        return Response(config, media_type="application/json")

    return router
