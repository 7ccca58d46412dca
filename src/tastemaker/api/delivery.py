"""Routes for channels, webhooks, the delivery queue and saved prompts.

Rendering a result for channels and saving one's own prompt take any key (a client does both on
a person's behalf); managing webhooks, publishing and the dead-letter list need an admin key.
Like the other routes, these only parse, call :class:`~tastemaker.syndication.service.Syndication`
or the engine, and serialize; errors are raised and become the one JSON error shape.
"""

from __future__ import annotations

from typing import Annotated, Literal, cast

from fastapi import APIRouter, FastAPI, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from tastemaker.api.auth import AdminKey, AnyKey
from tastemaker.api.models import AnswerIn
from tastemaker.api.routes import _ADMIN_ERRORS, _ERRORS, ExperienceKey, get_engine, json_response
from tastemaker.channels import formats
from tastemaker.channels.spec import CHANNELS, Channel
from tastemaker.syndication.service import Syndication
from tastemaker.types import Answer

router = APIRouter(prefix="/v1")
WebhookName = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


class RenderIn(AnswerIn):
    channels: list[Channel] = Field(default_factory=lambda: list(CHANNELS), min_length=1)


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    url: str = Field(max_length=2000, examples=["https://cms.example.com/hooks/tastemaker"])
    channels: list[Channel] = Field(default_factory=lambda: list[Channel](["json"]), min_length=1)


class WebhookPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active: bool


class ReplayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    msg_ids: list[str] | None = Field(None, description="Omit to replay every dead letter.")


class SubscribeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(min_length=1, max_length=128)
    choice: str | None = Field(None, max_length=64)
    text: str | None = None
    cadence: Literal["daily", "weekly"] = "weekly"


def syndication_for(app: FastAPI) -> Syndication:
    """One per app: it holds no state but the engine, and the clock tests may replace."""
    syn = getattr(app.state, "syndication", None)
    if syn is None:
        syn = app.state.syndication = Syndication(app.state.engine)
    return cast(Syndication, syn)


def syndication(request: Request) -> Syndication:
    return syndication_for(request.app)


def _answer(request: Request, slug: str, key: str, body: AnswerIn) -> Answer:
    return get_engine(request).answer(
        slug,
        key,
        user_id=body.user_id,
        choice=body.choice,
        text=body.text,
        context=None if body.context is None else body.context.to_context(),
        variant=body.variant,
    )


@router.post("/experiences/{key}/render", response_model=None, responses=_ERRORS, tags=["channels"])
def render_channels(
    request: Request, key: ExperienceKey, body: RenderIn, caller: AnyKey
) -> Response:
    """Answer the prompt and render the result for each requested channel."""
    answer = _answer(request, caller.workspace, key, body)
    spec = get_engine(request).get_experience(caller.workspace, key)
    rendered = {c: formats.render(answer, spec, c) for c in dict.fromkeys(body.channels)}
    return json_response({"request_id": answer.request_id, "channels": rendered})


@router.post(
    "/experiences/{key}/publish", response_model=None, responses=_ADMIN_ERRORS, tags=["webhooks"]
)
def publish(request: Request, key: ExperienceKey, body: AnswerIn, caller: AdminKey) -> Response:
    """Answer the prompt and queue the result for every active webhook (admin)."""
    answer = _answer(request, caller.workspace, key, body)
    msg_ids = syndication(request).publish(caller.workspace, answer)
    return json_response({"request_id": answer.request_id, "msg_ids": msg_ids}, status=202)


@router.post(
    "/experiences/{key}/subscriptions", response_model=None, responses=_ERRORS, tags=["webhooks"]
)
def subscribe(request: Request, key: ExperienceKey, body: SubscribeIn, caller: AnyKey) -> Response:
    """Save a person's answer to be refreshed daily or weekly and pushed to the webhooks."""
    rec = syndication(request).subscribe(
        caller.workspace,
        key,
        user_id=body.user_id,
        choice=body.choice,
        text=body.text,
        cadence=body.cadence,
    )
    return json_response(rec.public(), status=201)


@router.delete(
    "/experiences/{key}/subscriptions/{user_id}",
    response_model=None,
    responses=_ERRORS,
    tags=["webhooks"],
)
def unsubscribe(
    request: Request,
    key: ExperienceKey,
    user_id: Annotated[str, Path(min_length=1, max_length=128)],
    caller: AnyKey,
) -> Response:
    """Stop refreshing a person's saved prompt."""
    removed = syndication(request).unsubscribe(caller.workspace, key, user_id)
    return json_response({"removed": removed})


@router.post("/webhooks", response_model=None, responses=_ADMIN_ERRORS, tags=["webhooks"])
def add_webhook(request: Request, body: WebhookIn, caller: AdminKey) -> Response:
    """Register a destination; the response holds its signing secret, shown this once."""
    rec, secret = syndication(request).add_webhook(
        caller.workspace, body.name, body.url, body.channels
    )
    return json_response({**rec.public(), "secret": secret}, status=201)


@router.get("/webhooks", response_model=None, responses=_ADMIN_ERRORS, tags=["webhooks"])
def list_webhooks(request: Request, caller: AdminKey) -> Response:
    hooks = syndication(request).list_webhooks(caller.workspace)
    return json_response({"webhooks": [h.public() for h in hooks]})


@router.patch("/webhooks/{name}", response_model=None, responses=_ADMIN_ERRORS, tags=["webhooks"])
def patch_webhook(
    request: Request, name: WebhookName, body: WebhookPatch, caller: AdminKey
) -> Response:
    """Pause or resume a destination; paused ones get no new pushes and no sends."""
    return json_response(
        syndication(request).set_active(caller.workspace, name, body.active).public()
    )


@router.post(
    "/webhooks/{name}/rotate", response_model=None, responses=_ADMIN_ERRORS, tags=["webhooks"]
)
def rotate(request: Request, name: WebhookName, caller: AdminKey) -> Response:
    """A new signing secret; old and new both sign until the old one is retired."""
    rec, secret = syndication(request).rotate(caller.workspace, name)
    return json_response({**rec.public(), "secret": secret})


@router.post(
    "/webhooks/{name}/retire-old-secrets",
    response_model=None,
    responses=_ADMIN_ERRORS,
    tags=["webhooks"],
)
def retire(request: Request, name: WebhookName, caller: AdminKey) -> Response:
    """End a rotation: sign with the newest secret only."""
    return json_response(syndication(request).retire_old_secrets(caller.workspace, name).public())


@router.get("/deliveries", response_model=None, responses=_ADMIN_ERRORS, tags=["webhooks"])
def list_deliveries(
    request: Request,
    caller: AdminKey,
    status: Annotated[Literal["pending", "delivered", "dead"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """The delivery queue, newest first; ``status=dead`` is the dead-letter list."""
    rows = syndication(request).deliveries(caller.workspace, status, limit)
    return json_response({"deliveries": [r.public() for r in rows]})


@router.get("/deliveries/{msg_id}", response_model=None, responses=_ADMIN_ERRORS, tags=["webhooks"])
def get_delivery(
    request: Request, msg_id: Annotated[str, Path(max_length=64)], caller: AdminKey
) -> Response:
    """One delivery with its receipts (every attempt: when, status, error, duration)."""
    return json_response(syndication(request).delivery(caller.workspace, msg_id).public())


@router.post("/deliveries/replay", response_model=None, responses=_ADMIN_ERRORS, tags=["webhooks"])
def replay(request: Request, body: ReplayIn, caller: AdminKey) -> Response:
    """Requeue dead letters (the listed ones, or all); they are sent on the next pass."""
    return json_response({"replayed": syndication(request).replay(caller.workspace, body.msg_ids)})
