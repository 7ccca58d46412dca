"""The app factory: it only wires the engine, auth, routes, limits and the error handler.

``create_app(engine)`` is what tests and embedders use; ``create_app_from_env()`` is the uvicorn
factory (``uvicorn --factory tastemaker.api.app:create_app_from_env``), so every worker process
builds its own store connection pool and engine from the same environment.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.staticfiles import StaticFiles

from tastemaker.api.auth import KeyCache
from tastemaker.api.catalog_browse import router as catalog_router
from tastemaker.api.delivery import router as delivery_router
from tastemaker.api.delivery import syndication_for
from tastemaker.api.demo import demo_from_env, demo_router
from tastemaker.api.editorial import router as editorial_router
from tastemaker.api.errors import install_error_handler
from tastemaker.api.experiments import router as experiments_router
from tastemaker.api.headers import SecurityHeadersMiddleware
from tastemaker.api.limits import BodyLimitMiddleware
from tastemaker.api.logs import RequestIdMiddleware, configure_json_logging
from tastemaker.api.measure import router as measure_router
from tastemaker.api.ops import router as ops_router
from tastemaker.api.privacy import router as privacy_router
from tastemaker.api.ratelimit import KeyRateLimiter
from tastemaker.api.routes import health_router, router
from tastemaker.api.web import install_cors, web_router
from tastemaker.demo import STATIC_DIR, DemoInfo
from tastemaker.engine import Engine
from tastemaker.settings import Settings
from tastemaker.store import Store
from tastemaker.syndication.background import deliver_forever

log = logging.getLogger(__name__)


def _version() -> str:
    try:
        return version("tastemaker")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0.0.0"


def _warm(engine: Engine) -> None:
    """Load the encoder and every workspace's snapshot; a failure here only costs latency."""
    try:
        _ = engine.encoder
        for ws in engine.store.list_workspaces():
            engine.catalog(ws.slug)
    except Exception:  # the first request will retry and report properly
        log.exception("warm-up failed; continuing cold")
    # The snapshots are long-lived: out of the cyclic collector's way they go. Scanning them in
    # a full collection stalled a worker for ~75 ms at 100k items (for ~15 ms once frozen),
    # which a request waiting on that worker would show as latency.
    gc.collect()
    gc.freeze()


def create_app(
    engine: Engine,
    *,
    demo: DemoInfo | None = None,
    owns_engine: bool = False,
    deliver: bool | None = None,
) -> FastAPI:
    """Build the ASGI app around ``engine``; with ``demo``, also serve the demo page.

    ``owns_engine`` is for servers (:func:`create_app_from_env`): the app then warms the engine
    at start-up, so the first answers do not pay for loading the encoder and the snapshots, and
    closes it and its store at shutdown. Embedders and tests keep ownership by default.
    ``deliver`` runs the webhook delivery worker as a background task (default: when the app
    owns the engine and ``settings.deliver_in_server``).
    """
    if deliver is None:
        deliver = owns_engine and engine.settings.deliver_in_server

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if owns_engine:
            await run_in_threadpool(_warm, engine)
        stop = asyncio.Event()
        task = None
        if deliver:
            syn = syndication_for(app)
            task = asyncio.create_task(
                deliver_forever(syn, engine.settings.delivery_poll_seconds, stop)
            )
        yield
        if task is not None:
            stop.set()
            await task
        if owns_engine:
            engine.close()
            engine.store.close()

    app = FastAPI(
        title="tastemaker",
        version=_version(),
        summary="Prompt-driven personalization: one short answer in, a personal result out.",
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.keys = KeyCache(engine.store.authenticate)
    app.state.ratelimit = KeyRateLimiter(
        engine.settings.rate_limit, engine.settings.redis_url, engine.settings.redis_prefix
    )
    install_error_handler(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=engine.settings.max_body_bytes)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestIdMiddleware)  # outermost: the id covers everything below
    app.include_router(router)
    app.include_router(experiments_router)
    app.include_router(privacy_router)
    app.include_router(measure_router)
    app.include_router(editorial_router)
    app.include_router(health_router)
    app.include_router(ops_router)
    app.include_router(delivery_router)
    app.include_router(web_router)
    app.include_router(catalog_router)
    # Last added runs first: a preflight is answered before the body limit or auth see it.
    install_cors(app, engine.settings.cors_origins)
    if demo is not None:
        app.include_router(demo_router(demo))
        app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
    return app


def create_app_from_env() -> FastAPI:
    """The uvicorn factory: settings, store and engine from ``TASTEMAKER_*`` variables."""
    settings = Settings.from_env()
    if settings.log_format == "json":
        configure_json_logging()
    engine = Engine(Store(settings.database_url), settings)
    return create_app(engine, demo=demo_from_env(), owns_engine=True)
