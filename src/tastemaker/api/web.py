"""Routes for the browser: ``/widget.js``, the console at ``/console``, and CORS.

The widget runs on a brand's own pages, so its calls to ``/v1`` are cross-origin: the CORS
middleware lets the configured origins (``Settings.cors_origins``) send the ``Authorization``
header. No cookies are used anywhere, so credentials stay off.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import FileResponse, Response

from tastemaker.errors import NotFound
from tastemaker.web import WEB_STATIC_DIR

# Browsers may reuse the widget for a few minutes; a new release is picked up soon after.
_SCRIPT_CACHE = "public, max-age=300"

web_router = APIRouter(include_in_schema=False)


@web_router.get("/widget.js")
async def widget_js() -> Response:
    return FileResponse(
        WEB_STATIC_DIR / "widget.js",
        media_type="text/javascript",
        headers={"Cache-Control": _SCRIPT_CACHE, "Cross-Origin-Resource-Policy": "cross-origin"},
    )


@web_router.get("/console")
@web_router.get("/console/")
async def console_page() -> Response:
    return FileResponse(WEB_STATIC_DIR / "console.html", media_type="text/html")


# The console's scripts, by name: a fixed set, so no path from a request reaches the disk.
CONSOLE_SCRIPTS = frozenset({"console.js", "console-charts.js", "console-brand.js"})


@web_router.get("/console/{name}")
async def console_script(name: str) -> Response:
    if name not in CONSOLE_SCRIPTS:
        raise NotFound(f"no console file {name!r}")
    return FileResponse(WEB_STATIC_DIR / name, media_type="text/javascript")


def install_cors(app: FastAPI, origins: tuple[str, ...]) -> None:
    """Let pages on ``origins`` call the API with a key; nothing when no origin is allowed."""
    if not origins:
        return
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(origins),
        allow_methods=["GET", "POST", "PUT", "DELETE"],
        allow_headers=["Authorization", "Content-Type"],
        allow_credentials=False,
        max_age=600,
    )
