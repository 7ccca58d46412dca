"""Security headers, as plain ASGI middleware (no extra task per request on the answer path).

Every response gets ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer``:
a JSON body must never be sniffed into a script, and a page's URL (which may carry a person's
id) must not travel to the sites its links point at. HTML responses also get a
Content-Security-Policy; a route that knows better (the demo page, which pins its one inline
script by hash) sets its own and the middleware leaves it alone.

The policies, by page:

- the report and any other HTML the API renders: nothing but inline styles and ``data:``
  images, framed only by this origin (the console shows the report in a frame): it is an admin
  page, and clickjacking an admin from another site is the attack framing would enable;
- ``/console``: its own script file and calls to this API only, never framed;
- ``/docs`` and ``/redoc``: FastAPI's pages load their assets from the jsDelivr CDN and start
  them with an inline script, so those are allowed there and nowhere else.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HTML_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)
# The console: its own script file, calls to this API, the report page in a frame; nothing
# from elsewhere, and no one else may frame it.
CONSOLE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
DOCS_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https:; "
    "connect-src 'self'; worker-src blob:; base-uri 'none'; frame-ancestors 'none'"
)
_DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})
_ALWAYS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]


class SecurityHeadersMiddleware:
    """Add the headers above to every HTTP response that does not already set them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path in _DOCS_PATHS:
            policy = DOCS_POLICY.encode()
        elif path == "/console" or path.startswith("/console/"):
            policy = CONSOLE_POLICY.encode()
        else:
            policy = HTML_POLICY.encode()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(n, v) for n, v in _ALWAYS if n not in present]
                content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                is_html = content_type.startswith(b"text/html")
                if is_html and b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", policy))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
