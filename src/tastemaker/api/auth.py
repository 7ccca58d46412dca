"""Bearer API keys: who is calling, for which workspace, with which scope.

A key belongs to exactly one workspace, and that workspace scopes every call made with it: no
route takes a workspace from the URL or the body, so a key can never reach another workspace's
data. ``public`` keys may be shipped in a web page (read experiences, answer, send events);
``admin`` keys may also change the catalog, the experiences and refit.

Looking a key up costs a database round trip, which would be most of an answer's budget, so
results are cached in-process for ``ttl`` seconds by the key's SHA-256 (the raw key is never
kept). A revoked key therefore keeps working for at most ``ttl`` seconds on each worker.
Unknown keys are not cached: a miss is rare for honest clients, and caching misses would let a
client fill the cache with guesses.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from tastemaker.errors import Forbidden, Unauthorized
from tastemaker.event_buffer import is_store_down
from tastemaker.store import ApiKeyRecord

DEFAULT_TTL_SECONDS = 30.0
_MAX_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated caller of one request."""

    workspace: str
    scope: str  # "public" | "admin"
    key_id: str = ""  # the first 12 hex digits of the key's SHA-256: names it, cannot be used

    @property
    def is_admin(self) -> bool:
        return self.scope == "admin"

    @property
    def actor(self) -> str:
        """Who made a change, as the audit log records it."""
        return f"key:{self.key_id}"


class KeyCache:
    """Authenticate raw keys through ``authenticate``, remembering hits for ``ttl`` seconds."""

    def __init__(
        self,
        authenticate: Callable[[str], ApiKeyRecord | None],
        ttl: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._authenticate = authenticate
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[str, tuple[Caller, float]] = {}

    async def lookup(self, raw: str) -> Caller | None:
        """The caller for ``raw``, or None when the key is unknown."""
        digest = hashlib.sha256(raw.encode()).hexdigest()
        now = self._clock()
        hit = self._entries.get(digest)
        if hit is not None and hit[1] > now:
            return hit[0]
        # The store is synchronous; keep the event loop free while it talks to the database.
        try:
            record = await run_in_threadpool(self._authenticate, raw)
        except Exception as exc:
            if hit is None or not is_store_down(exc):
                raise
            # The store is restarting: a key that was valid a moment ago keeps answering (and
            # the store is asked again after one more TTL, not on every request).
            self._entries[digest] = (hit[0], now + self._ttl)
            return hit[0]
        if record is None:
            self._entries.pop(digest, None)
            return None
        caller = Caller(workspace=record.workspace_slug, scope=record.scope, key_id=digest[:12])
        if len(self._entries) >= _MAX_ENTRIES:
            self._entries.clear()  # crude but bounded; a refill costs one query per key
        self._entries[digest] = (caller, now + self._ttl)
        return caller

    def clear(self) -> None:
        self._entries.clear()


_bearer = HTTPBearer(
    auto_error=False,
    description="A workspace API key: `Authorization: Bearer <key>` (public or admin).",
)


async def require_key(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """Any valid key (public or admin); 401 without one or with an unknown one, 429 over the
    key's request rate (:mod:`tastemaker.api.ratelimit`)."""
    if credentials is None:
        raise Unauthorized("missing API key: send 'Authorization: Bearer <key>'")
    keys: Any = request.app.state.keys
    caller: Caller | None = await keys.lookup(credentials.credentials)
    if caller is None:
        raise Unauthorized("unknown API key")
    limiter = getattr(request.app.state, "ratelimit", None)
    if limiter is not None:  # after the lookup: an unknown key never costs a counter
        limiter.check(caller.key_id)
    return caller


async def require_admin(caller: Annotated[Caller, Depends(require_key)]) -> Caller:
    """An admin key; 403 for a valid public key."""
    if not caller.is_admin:
        raise Forbidden("this call needs an admin key; a public key was given")
    return caller


AnyKey = Annotated[Caller, Depends(require_key)]
AdminKey = Annotated[Caller, Depends(require_admin)]
