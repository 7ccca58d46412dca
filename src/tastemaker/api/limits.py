"""Request body size limit, as plain ASGI middleware.

A declared ``Content-Length`` over the limit is refused before a byte is read; a body without
one (chunked) is counted as it streams and refused as soon as it passes the limit, so a client
can never make a worker buffer more than ``max_body_bytes``. The body is read here, once, and
replayed to the app: that keeps the limit out of FastAPI's body parsing (which would turn a
failure inside ``receive`` into a 400) and costs nothing for the small bodies of an answer.

Plain ASGI rather than ``BaseHTTPMiddleware``: the latter adds a task and a stream per request,
which the answer route's latency budget cannot afford.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tastemaker.api.errors import error_response


class BodyLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` with a 413 in the shared error shape."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413,
            "payload_too_large",
            f"request body is larger than the {self.max_bytes} byte limit",
        )
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0  # let the server or the parser complain; we still count
                if declared > self.max_bytes:
                    await self._too_large(scope, receive, send)
                    return
                break

        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break

        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: wait for the disconnect as usual

        await self.app(scope, replay, send)
