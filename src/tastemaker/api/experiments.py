"""The ``/v1`` routes of experiments, the workspace holdout and bandits.

Declaring and reading experiments needs an admin key; choosing a bandit arm and reporting its
reward is what a storefront does on every view, so any key may. Routes stay thin: one engine or
experiment-service call, errors raised for the one handler in :mod:`tastemaker.api.errors`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from tastemaker.api.auth import AdminKey, AnyKey
from tastemaker.api.models import ContextIn
from tastemaker.api.routes import _ADMIN_ERRORS, _ERRORS, get_engine, json_response
from tastemaker.errors import NotFound
from tastemaker.experiences import KEY_PATTERN
from tastemaker.measure.design import ExperimentSpec, MetricSpec
from tastemaker.measure.service import features
from tastemaker.measure.timeline import MAX_DAYS
from tastemaker.store.experiments import ExperimentRecord

router = APIRouter(prefix="/v1")
Key = Annotated[str, Path(pattern=KEY_PATTERN, description="The experiment or bandit key.")]


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["running", "stopped"]


class HoldoutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    share: float = Field(ge=0, le=0.5, description="Share of people who never see personalization.")


class ChooseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    arms: list[Annotated[str, Field(pattern=KEY_PATTERN)]] = Field(min_length=2, max_length=50)
    contextual: bool = Field(False, description="Pick by context (time of day, device, returning).")
    context: ContextIn | None = None
    returning: bool = False


class RewardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    arm: str = Field(pattern=KEY_PATTERN)
    reward: float = Field(ge=0, le=1, description="1 for a conversion, 0 for none.")
    contextual: bool = False
    context: ContextIn | None = None
    returning: bool = False


def _record(rec: ExperimentRecord) -> dict[str, Any]:
    return {
        "key": rec.key,
        "experience": rec.experience_key,
        "status": rec.status,
        "spec": rec.spec,
        "created_at": rec.created_at,
    }


def _ws_id(request: Request, slug: str) -> int:
    return get_engine(request).workspace(slug).id


@router.post("/experiments", response_model=None, responses=_ADMIN_ERRORS, tags=["experiments"])
def save_experiment(request: Request, spec: ExperimentSpec, caller: AdminKey) -> Response:
    """Declare an experiment on an experience, or change its variants (admin)."""
    return json_response(_record(get_engine(request).save_experiment(caller.workspace, spec)))


@router.get("/experiments", response_model=None, responses=_ADMIN_ERRORS, tags=["experiments"])
def list_experiments(request: Request, caller: AdminKey) -> Response:
    engine = get_engine(request)
    recs = engine.experiments.list_all(_ws_id(request, caller.workspace))
    return json_response({"experiments": [_record(r) for r in recs]})


@router.get(
    "/experiments/{key}", response_model=None, responses=_ADMIN_ERRORS, tags=["experiments"]
)
def get_experiment(request: Request, key: Key, caller: AdminKey) -> Response:
    engine = get_engine(request)
    return json_response(_record(engine.experiments.get(_ws_id(request, caller.workspace), key)))


@router.post(
    "/experiments/{key}/status", response_model=None, responses=_ADMIN_ERRORS, tags=["experiments"]
)
def set_status(request: Request, key: Key, body: StatusIn, caller: AdminKey) -> Response:
    """Stop an experiment (everyone gets the experience as declared) or restart it (admin)."""
    engine = get_engine(request)
    engine.experiments.set_status(_ws_id(request, caller.workspace), key, body.status)
    return json_response({"key": key, "status": body.status})


@router.get(
    "/experiments/{key}/analysis",
    response_model=None,
    responses=_ADMIN_ERRORS,
    tags=["experiments"],
)
def analysis(
    request: Request,
    key: Key,
    caller: AdminKey,
    until: Annotated[float | None, Query(description="Read the data as of this time.")] = None,
) -> Response:
    """Per metric and variant: lift with intervals, p-values, the always-valid reading, SRM
    check and the decision ("ship", "keep running", "stop: harm") (admin)."""
    engine = get_engine(request)
    ws = _ws_id(request, caller.workspace)
    return json_response(engine.experiments.analyse(ws, key, until=until))


ChartDays = Annotated[
    int, Query(ge=1, le=MAX_DAYS, description="The last N UTC days, today included.")
]


@router.get(
    "/experiments/{key}/timeline",
    response_model=None,
    responses=_ADMIN_ERRORS,
    tags=["experiments"],
)
def timeline(request: Request, key: Key, caller: AdminKey, days: ChartDays = 30) -> Response:
    """Per day and variant: answer and conversion rates, and the lift over control with its
    interval on the data up to that day (admin). What the console's charts draw."""
    engine = get_engine(request)
    ws = _ws_id(request, caller.workspace)
    rec = engine.experiments.get(ws, key)
    try:
        experience = engine.get_experience(caller.workspace, rec.experience_key)
    except NotFound:
        experience = None  # deleted since: the lift needs only exposures and events
    engine.flush()  # this process's buffered results count too, as in the report
    return json_response(engine.experiments.timeline(engine.store, ws, key, experience, days=days))


@router.put("/holdout", response_model=None, responses=_ADMIN_ERRORS, tags=["experiments"])
def set_holdout(request: Request, body: HoldoutIn, caller: AdminKey) -> Response:
    """Set the share of people held out of all prompted personalization (admin)."""
    rec = get_engine(request).experiments.set_holdout(_ws_id(request, caller.workspace), body.share)
    return json_response({"share": rec.share})


@router.get("/holdout/analysis", response_model=None, responses=_ADMIN_ERRORS, tags=["experiments"])
def holdout_analysis(
    request: Request,
    caller: AdminKey,
    event: Annotated[str, Query(min_length=1, max_length=32)] = "purchase",
    kind: Literal["conversion", "value"] = "conversion",
    planned_units: Annotated[int, Query(gt=0, le=10**12)] = 100_000,
) -> Response:
    """Personalized against the holdout on one metric: the incremental value (admin)."""
    engine = get_engine(request)
    out = engine.experiments.analyse_holdout(
        _ws_id(request, caller.workspace),
        MetricSpec(event=event, kind=kind),
        planned_units=planned_units,
    )
    return json_response(out)


@router.post("/bandits/{key}/choose", response_model=None, responses=_ERRORS, tags=["bandits"])
def choose(request: Request, key: Key, body: ChooseIn, caller: AnyKey) -> Response:
    """The arm (title, template, prompt) to show now, by Thompson sampling."""
    engine = get_engine(request)
    bandit = engine.experiments.bandit(
        _ws_id(request, caller.workspace), key, body.arms, contextual=body.contextual
    )
    ctx = body.context.to_context() if body.context else None
    x = features(ctx, returning=body.returning) if body.contextual else None
    return json_response({"bandit": key, "arm": bandit.choose(x)})


@router.post("/bandits/{key}/reward", response_model=None, responses=_ERRORS, tags=["bandits"])
def reward(request: Request, key: Key, body: RewardIn, caller: AnyKey) -> Response:
    """Count the outcome of showing an arm; send the same context as when it was chosen."""
    engine = get_engine(request)
    ctx = body.context.to_context() if body.context else None
    x = features(ctx, returning=body.returning) if body.contextual else None
    engine.experiments.bandit_reward(
        _ws_id(request, caller.workspace), key, body.arm, body.reward, x
    )
    return json_response({"bandit": key, "arm": body.arm, "recorded": True})


@router.get("/bandits", response_model=None, responses=_ADMIN_ERRORS, tags=["bandits"])
def list_bandits(request: Request, caller: AdminKey) -> Response:
    """Every bandit that has counted a reward, with its arms' totals (admin)."""
    engine = get_engine(request)
    ws = _ws_id(request, caller.workspace)
    summary = engine.experiments.bandit_summary
    names = engine.experiments.bandit_names(ws)
    return json_response({"bandits": [{"bandit": n, "arms": summary(ws, n)} for n in names]})


@router.get("/bandits/{key}", response_model=None, responses=_ADMIN_ERRORS, tags=["bandits"])
def bandit_summary(request: Request, key: Key, caller: AdminKey) -> Response:
    """Pulls, rewards, rate, share and Beta posterior per arm (admin)."""
    engine = get_engine(request)
    arms = engine.experiments.bandit_summary(_ws_id(request, caller.workspace), key)
    return json_response({"bandit": key, "arms": arms})


@router.get(
    "/bandits/{key}/history", response_model=None, responses=_ADMIN_ERRORS, tags=["bandits"]
)
def bandit_history(request: Request, key: Key, caller: AdminKey, days: ChartDays = 30) -> Response:
    """Each arm's share of the pulls per UTC day, and its posterior now (admin)."""
    engine = get_engine(request)
    out = engine.experiments.bandit_history(_ws_id(request, caller.workspace), key, days=days)
    return json_response(out)
