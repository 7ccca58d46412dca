"""The app factory: it only wires the engine, auth, routes, limits and the error handler.

``create_app(engine)`` is what tests and embedders use; ``create_app_from_env()`` is the uvicorn
factory (``uvicorn --factory tastemaker.api.app:create_app_from_env``), so every worker process
builds its own store connection pool and engine from the same environment.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from tastemaker.api.auth import KeyCache
from tastemaker.api.demo import demo_from_env, demo_router
from tastemaker.api.errors import install_error_handler
from tastemaker.api.limits import BodyLimitMiddleware
from tastemaker.api.routes import health_router, router
from tastemaker.demo import STATIC_DIR, DemoInfo
from tastemaker.engine import Engine
from tastemaker.settings import Settings
from tastemaker.store import Store


def _version() -> str:
    try:
        return version("tastemaker")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0.0.0"


def create_app(
    engine: Engine, *, demo: DemoInfo | None = None, close_engine: bool = False
) -> FastAPI:
    """Build the ASGI app around ``engine``; with ``demo``, also serve the demo page.

    ``close_engine`` hands ownership of the engine to the app, which closes it on shutdown.
    """

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if close_engine:
            engine.close()

    app = FastAPI(
        title="tastemaker",
        version=_version(),
        summary="Prompt-driven personalization: one short answer in, a personal result out.",
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.keys = KeyCache(engine.store.authenticate)
    install_error_handler(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=engine.settings.max_body_bytes)
    app.include_router(router)
    app.include_router(health_router)
    if demo is not None:
        app.include_router(demo_router(demo))
        app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
    return app


def create_app_from_env() -> FastAPI:
    """The uvicorn factory: settings, store and engine from ``TASTEMAKER_*`` variables."""
    settings = Settings.from_env()
    engine = Engine(Store(settings.database_url), settings)
    return create_app(engine, demo=demo_from_env(), close_engine=True)
