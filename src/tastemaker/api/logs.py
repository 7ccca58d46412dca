"""Request ids and structured JSON logs.

Every HTTP request gets an id: the caller's ``X-Request-ID`` when it is a plain token (so a
load balancer's or a client's id follows the request through), else a fresh one. It is echoed
in the response's ``X-Request-ID`` header and held in a context variable for the request's
duration, so every log line written while serving it, in the event loop or in the threadpool
(anyio copies the context into worker threads), carries it.

:class:`JsonFormatter` writes one JSON object per line, the form log collectors (Loki, ELK,
Cloud Logging) parse without a pattern. Messages are passed through :func:`redact` so that an
``Authorization`` header or a ``key=...`` that a library logs does not land in the log store:
keys, webhook secrets and LLM keys are never logged by tastemaker itself, and this is the net
for what others log.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID: ContextVar[str | None] = ContextVar("tastemaker_request_id", default=None)
_VALID_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,64}$")
_SECRETS = re.compile(
    r"(?i)(bearer\s+|(?:api[_-]?key|secret|password|token|authorization)[\"']?\s*[:=]\s*[\"']?"
    r"(?:bearer\s+|basic\s+)?)"
    r"([^\s\"',;&]+)"
)
_WEBHOOK_SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]+")


def redact(text: str) -> str:
    """Mask credentials in a log message: bearer tokens, ``key=...``, webhook secrets."""
    text = _SECRETS.sub(lambda m: f"{m.group(1)}[redacted]", text)
    return _WEBHOOK_SECRET.sub("whsec_[redacted]", text)


class RequestIdMiddleware:
    """Give each request an id (plain ASGI: no extra task on the answer path)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for n, v in scope["headers"] if n == b"x-request-id"), b"")
        rid = given.decode() if _VALID_ID.match(given) else uuid.uuid4().hex
        token = REQUEST_ID.set(rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"x-request-id", rid.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": round(record.created, 6),
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        rid = REQUEST_ID.get()
        if rid is not None:
            entry["request_id"] = rid
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return orjson.dumps(entry).decode()


def configure_json_logging(level: int = logging.INFO) -> None:
    """Send every log record (tastemaker's, uvicorn's, libraries') to stderr as JSON lines.

    The JSON handler is added to the root logger once; other handlers there (a test runner's
    capture) are left alone. uvicorn's loggers lose their own plain-text handlers and
    propagate to it instead.
    """
    root = logging.getLogger()
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
