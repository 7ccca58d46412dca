"""The one place where errors become HTTP responses.

Every error a client can see has the same JSON shape, pinned by ``tests/test_api.py``::

    {"error": {"type": "invalid_input", "message": "Input should be ...", "field": "events[3].ts"}}

``type`` is the snake-cased class name of the :mod:`tastemaker.errors` error (``not_found``,
``invalid_input``, ``payload_too_large``, ``unauthorized``, ``forbidden``,
``too_many_requests`` with a ``Retry-After`` header), so clients can branch
on it without parsing messages. FastAPI's own validation errors and Starlette's HTTP errors (an
unknown route, a wrong method) are folded into the same shape here rather than in each route, so
a route only ever raises and never builds an error response itself.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from tastemaker.errors import TastemakerError, TooManyRequests

log = logging.getLogger(__name__)

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
# Where FastAPI says a value came from; the client only cares about the path inside it.
_SOURCES = frozenset({"body", "query", "path", "header", "cookie"})


def error_response(status: int, type_: str, message: str, field: str | None = None) -> Response:
    """Build the JSON error response; used by the handler and the body-limit middleware."""
    body = {"error": {"type": type_, "message": message, "field": field}}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def field_path(loc: Sequence[int | str]) -> str | None:
    """Turn a pydantic location into the path a person would write: ``events[3].ts``."""
    parts = list(loc)
    if parts and parts[0] in _SOURCES:
        parts = parts[1:]
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or None


def _validation(exc: RequestValidationError) -> Response:
    errors: Sequence[Any] = exc.errors()
    if not errors:  # pragma: no cover - FastAPI never raises an empty one
        return error_response(422, "invalid_input", "invalid request")
    first = errors[0]
    if first.get("type") == "json_invalid":
        reason = (first.get("ctx") or {}).get("error", "JSON decode error")
        return error_response(422, "invalid_input", f"malformed JSON: {reason}")
    field = field_path(first.get("loc", ()))
    if field is None and first.get("type") == "missing":
        return error_response(422, "invalid_input", "a JSON request body is required")
    if field is None and first.get("type") in ("model_attributes_type", "dict_type"):
        return error_response(
            422,
            "invalid_input",
            "the body must be a JSON object sent with 'Content-Type: application/json'",
        )
    # Like the library's InvalidInput: the field goes in ``field``, not into the message.
    message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more error{'s' if len(errors) > 2 else ''})"
    return error_response(422, "invalid_input", message, field)


def _snake(name: str) -> str:
    return _CAMEL.sub("_", name).lower()


async def handle_error(request: Request, exc: Exception) -> Response:
    """Map any error to the shared JSON shape (registered for every exception class below)."""
    if isinstance(exc, TastemakerError):
        response = error_response(
            exc.status, _snake(type(exc).__name__), exc.message, getattr(exc, "field", None)
        )
        if isinstance(exc, TooManyRequests):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, RequestValidationError):
        return _validation(exc)
    if isinstance(exc, HTTPException):
        phrase = HTTPStatus(exc.status_code).phrase
        response = error_response(exc.status_code, _snake(phrase.replace(" ", "")), str(exc.detail))
        if exc.headers:
            response.headers.update(exc.headers)
        return response
    if isinstance(exc, OverflowError | DataError):
        # A number (or text) past what the database column holds, e.g. an id of 10**30 in a
        # path: the client's input, not our failure. Bounds on the models catch most; this
        # net keeps any route a model forgot from answering a 500.
        log.warning("out-of-range input on %s %s: %s", request.method, request.url.path, exc)
        return error_response(422, "invalid_input", "a value is out of the accepted range")
    # Starlette re-raises after this response so the server still logs the traceback.
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal", "internal server error")


def install_error_handler(app: FastAPI) -> None:
    """Route every error class through :func:`handle_error`."""
    for cls in (
        TastemakerError,
        RequestValidationError,
        HTTPException,
        OverflowError,
        DataError,
        Exception,
    ):
        app.add_exception_handler(cls, handle_error)
