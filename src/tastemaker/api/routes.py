"""The ``/v1`` routes and ``/healthz``.

Routes are thin: authenticate (a dependency), call one :class:`~tastemaker.engine.Engine`
method for the key's workspace, serialize with orjson. Errors are raised, never returned; the
one handler in :mod:`tastemaker.api.errors` turns them into responses.

Why the answer route is ``async def`` while the others are ``def``: the answer is short,
CPU-bound work, so running it inline on the event loop avoids the thread hand-off that a ``def``
endpoint pays on every request and that, with the GIL, buys no parallelism anyway; throughput
comes from uvicorn workers (one per core). Measured in-process around a stub engine, the whole
app costs ~0.17 ms per answer inline against ~0.5 ms through the threadpool. Routes that can take
long (fit, batch writes, listing) are ``def`` so FastAPI runs them in its threadpool and answers
keep flowing meanwhile.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated, Any, cast

import orjson
from fastapi import APIRouter, Depends, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from tastemaker.api.auth import AdminKey, AnyKey, Caller, require_admin, require_key
from tastemaker.api.models import (
    AnswerIn,
    AnswerOut,
    ErrorOut,
    EventsIn,
    EventsOut,
    ExperienceOut,
    ExperiencesOut,
    HealthOut,
    ItemsIn,
    ItemsOut,
    SavedOut,
)
from tastemaker.engine import Engine
from tastemaker.errors import PayloadTooLarge
from tastemaker.experiences import KEY_PATTERN, ExperienceSpec

_JSON_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": description}
    for status, description in [
        (401, "No API key, or an unknown one."),
        (404, "No such experience in the key's workspace."),
        (413, "Body or batch over its limit."),
        (422, "Invalid input; `error.field` names the offending field."),
        (429, "Over the key's request rate; `Retry-After` says when to retry."),
    ]
}
_ADMIN_ERRORS = {**_ERRORS, 403: {"model": ErrorOut, "description": "Needs an admin key."}}

ExperienceKey = Annotated[str, Path(pattern=KEY_PATTERN, description="The experience key.")]


def json_response(data: Any, status: int = 200) -> Response:
    """Pre-serialized JSON: several times faster than letting FastAPI encode a dict."""
    return Response(
        orjson.dumps(data, option=_JSON_OPTIONS), status_code=status, media_type="application/json"
    )


def get_engine(request: Request) -> Engine:
    return cast(Engine, request.app.state.engine)


def _batch_limit(
    name: str, auth: Callable[..., Awaitable[Caller]]
) -> Callable[..., Awaitable[Caller]]:
    """A dependency refusing batches over ``settings.max_batch`` with a 413.

    It runs after authentication (so a stranger learns nothing) and before the batch is
    validated (so an oversized batch costs no validation). FastAPI has already parsed the JSON
    when dependencies run, and Starlette caches it on the request, so this costs a ``len``.
    """

    # ``= Depends(auth)`` rather than ``Annotated[...]``: a closure variable cannot be resolved
    # from a string annotation, and this module uses postponed annotations.
    async def check(request: Request, caller: Caller = Depends(auth)) -> Caller:
        try:
            body = await request.json()
        except ValueError:
            return caller  # malformed JSON: body validation reports it as a 422
        batch = body.get(name) if isinstance(body, dict) else None
        limit: int = get_engine(request).settings.max_batch
        if isinstance(batch, list) and len(batch) > limit:
            raise PayloadTooLarge(f"a batch holds at most {limit} {name}, got {len(batch)}")
        return caller

    return check


EventsCaller = Annotated[Caller, Depends(_batch_limit("events", require_key))]
ItemsCaller = Annotated[Caller, Depends(_batch_limit("items", require_admin))]

router = APIRouter(prefix="/v1")


@router.get(
    "/experiences",
    response_model=None,
    responses={200: {"model": ExperiencesOut}, **_ERRORS},
    tags=["experiences"],
)
def list_experiences(request: Request, caller: AnyKey) -> Response:
    """The experiences of the key's workspace, as a client needs them to show a prompt."""
    specs = get_engine(request).list_experiences(caller.workspace)
    return json_response({"experiences": [spec.public() for spec in specs]})


@router.get(
    "/experiences/{key}",
    response_model=None,
    responses={200: {"model": ExperienceOut}, **_ERRORS},
    tags=["experiences"],
)
def get_experience(request: Request, key: ExperienceKey, caller: AnyKey) -> Response:
    """One experience's prompt, choices and output shape (no rules or weights)."""
    return json_response(get_engine(request).get_experience(caller.workspace, key).public())


@router.post(
    "/experiences/{key}/answer",
    response_model=None,
    responses={200: {"model": AnswerOut}, **_ERRORS},
    tags=["answer"],
)
async def answer(request: Request, key: ExperienceKey, body: AnswerIn, caller: AnyKey) -> Response:
    """Answer one person's reply to a prompt with a personalized result."""
    engine = get_engine(request)
    call = partial(
        engine.answer,
        caller.workspace,
        key,
        user_id=body.user_id,
        choice=body.choice,
        text=body.text,
        context=None if body.context is None else body.context.to_context(),
        variant=body.variant,
    )
    # A model copywriter waits on a network or a local generation for up to its budget: off
    # the event loop with it, so other answers keep flowing. Template copy stays inline.
    if engine.get_experience(caller.workspace, key).copywriter.kind == "template":
        result = call()
    else:
        result = await run_in_threadpool(call)
    return json_response(result.to_public())


@router.post(
    "/events",
    response_model=None,
    responses={
        200: {"model": EventsOut},
        202: {"model": EventsOut, "description": "Store unavailable: kept, written when back."},
        503: {"model": ErrorOut, "description": "Store unavailable and the buffer is full."},
        **_ERRORS,
    },
    tags=["data"],
)
def post_events(request: Request, body: EventsIn, caller: EventsCaller) -> Response:
    """Record a batch of events (views, clicks, purchases...); re-sent events are skipped.

    While the store is unavailable the batch is kept by the server and written once it is
    back (202, ``buffered``); re-sending it then is harmless.
    """
    done = get_engine(request).submit_events(caller.workspace, body.events)
    data = {"stored": done.stored, "received": len(body.events), "buffered": done.buffered}
    return json_response(data, 202 if done.buffered else 200)


@router.post(
    "/items",
    response_model=None,
    responses={200: {"model": ItemsOut}, **_ADMIN_ERRORS},
    tags=["data"],
)
def post_items(request: Request, body: ItemsIn, caller: ItemsCaller) -> Response:
    """Create or update catalog items by id (admin)."""
    upserted = get_engine(request).upsert_items(caller.workspace, body.items, actor=caller.actor)
    return json_response({"upserted": upserted})


@router.post(
    "/experiences",
    response_model=None,
    responses={200: {"model": SavedOut}, **_ADMIN_ERRORS},
    tags=["experiences"],
)
def save_experience(request: Request, spec: ExperienceSpec, caller: AdminKey) -> Response:
    """Create an experience or update it; a changed spec becomes a new version (admin)."""
    version = get_engine(request).save_experience(caller.workspace, spec, actor=caller.actor)
    return json_response({"key": spec.key, "version": version})


@router.post("/fit", response_model=None, responses=_ADMIN_ERRORS, tags=["data"])
def fit(request: Request, caller: AdminKey) -> Response:
    """Rebuild the workspace's model snapshot from the stored catalog and events (admin)."""
    return json_response(get_engine(request).fit(caller.workspace, actor=caller.actor))


health_router = APIRouter()


@health_router.get(
    "/healthz",
    response_model=None,
    responses={200: {"model": HealthOut}, 503: {"model": HealthOut}},
    tags=["ops"],
)
def healthz(request: Request) -> Response:
    """Liveness plus a database round trip; 503 when the database does not answer."""
    try:
        get_engine(request).store.list_workspaces()
    except Exception as exc:  # any failure means "not healthy", whatever the driver raised
        return json_response({"status": "error", "database": type(exc).__name__}, status=503)
    return json_response({"status": "ok", "database": "ok"})
