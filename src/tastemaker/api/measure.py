"""Routes of the measure area: identify, follow-up, refine (public keys) and the report (admin).

Included by the app factory next to the core routes; the same conventions apply (thin routes,
errors raised and turned into the one JSON error shape by :mod:`tastemaker.api.errors`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import HTMLResponse, Response

from tastemaker import progressive, refine
from tastemaker.api.auth import AdminKey, AnyKey
from tastemaker.api.models import AnswerOut, ContextIn
from tastemaker.api.routes import _ADMIN_ERRORS, _ERRORS, ExperienceKey, get_engine, json_response
from tastemaker.measure.metrics import workspace_report
from tastemaker.measure.report import to_html

RequestId = Annotated[str, Path(min_length=1, max_length=128, description="A result's id.")]
Id = Annotated[str, Field(min_length=1, max_length=128)]


class IdentifyIn(BaseModel):
    """An anonymous id (e.g. a browser's) and the user id it turned out to be after login."""

    model_config = ConfigDict(extra="forbid")

    anonymous_id: Id
    user_id: Id


class FollowupIn(BaseModel):
    """The answer to an experience's follow-up question, for the result it follows."""

    model_config = ConfigDict(extra="forbid")

    request_id: Id = Field(description="The request id of the first answer's result.")
    user_id: Id | None = None
    choice: str | None = Field(None, max_length=64)
    text: str | None = None
    remember: bool = Field(
        False,
        description="Keep both answers as the person's preferences (needs their consent).",
    )
    context: ContextIn | None = None


class RefineIn(BaseModel):
    """What to change in a served result."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(None, examples=["less upbeat", "no more of this artist"])
    remove: list[Id] = Field(default_factory=list, max_length=100)
    item_id: Id | None = Field(None, description='The item "this" refers to in the text.')
    user_id: Id | None = None


router = APIRouter(prefix="/v1")


@router.post("/identify", response_model=None, responses=_ERRORS, tags=["data"])
def identify(request: Request, body: IdentifyIn, caller: AnyKey) -> Response:
    """Link an anonymous id to a user id after login; their history becomes one person's."""
    moved = get_engine(request).identify(caller.workspace, body.anonymous_id, body.user_id)
    return json_response({"linked": True, "events_moved": moved})


@router.post(
    "/experiences/{key}/followup",
    response_model=None,
    responses={200: {"model": AnswerOut}, **_ERRORS},
    tags=["answer"],
)
def followup(request: Request, key: ExperienceKey, body: FollowupIn, caller: AnyKey) -> Response:
    """Answer the experience's follow-up question; the result refines the first one."""
    answer = progressive.followup(
        get_engine(request),
        caller.workspace,
        key,
        body.request_id,
        choice=body.choice,
        text=body.text,
        user_id=body.user_id,
        remember=body.remember,
        context=None if body.context is None else body.context.to_context(),
    )
    return json_response(answer.to_public())


@router.post(
    "/results/{request_id}/refine",
    response_model=None,
    responses={200: {"model": AnswerOut}, **_ERRORS},
    tags=["answer"],
)
def refine_result(
    request: Request, request_id: RequestId, body: RefineIn, caller: AnyKey
) -> Response:
    """Refine a served result: remove items, "less upbeat", "no more of this artist"."""
    answer = refine.refine(
        get_engine(request),
        caller.workspace,
        request_id,
        text=body.text,
        remove=body.remove,
        item_id=body.item_id,
        user_id=body.user_id,
    )
    return json_response(answer.to_public())


Days = Annotated[int, Query(ge=1, le=366, description="The last N UTC days, today included.")]
Experience = Annotated[str | None, Query(max_length=64, description="Only this experience.")]


@router.get("/report", response_model=None, responses=_ADMIN_ERRORS, tags=["measure"])
def report(
    request: Request, caller: AdminKey, days: Days = 30, experience: Experience = None
) -> Response:
    """Metrics per experience, variant and day, objective and guardrails first (admin)."""
    data = workspace_report(get_engine(request), caller.workspace, days=days, experience=experience)
    return json_response(data)


@router.get("/report.html", response_class=HTMLResponse, responses=_ADMIN_ERRORS, tags=["measure"])
def report_page(
    request: Request, caller: AdminKey, days: Days = 30, experience: Experience = None
) -> HTMLResponse:
    """The report as a page with a chart of each experience's objective per day (admin)."""
    data = workspace_report(get_engine(request), caller.workspace, days=days, experience=experience)
    return HTMLResponse(to_html(data))
