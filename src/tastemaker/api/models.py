"""Request and response bodies of the HTTP API.

Requests are validated by FastAPI against these models, so a wrong type is a 422 naming the
field before any route code runs, and ``/docs`` shows typed schemas. Items and events reuse the
ingest models, so a row accepted from a file is exactly a row accepted over HTTP.

Responses are serialized by the routes with orjson from the library's own dicts
(``Answer.to_public()``, ``ExperienceSpec.public()``); the response models here document those
shapes in OpenAPI only, and ``tests/test_api.py`` validates real responses against them so the
two cannot drift apart.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tastemaker.ingest import EventIn, ItemIn
from tastemaker.types import RequestContext


class ContextIn(BaseModel):
    """What the client knows about the moment; unknown keys are kept as string extras."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, str] = Field(init=False)

    hour: int | None = Field(None, ge=0, le=23, description="The person's local hour, 0-23.")
    time_of_day: Literal["morning", "afternoon", "evening", "night"] | None = None
    device: str | None = Field(None, max_length=32, examples=["mobile"])
    locale: str | None = Field(None, max_length=35, examples=["en-GB"])

    def to_context(self) -> RequestContext:
        return RequestContext(
            hour=self.hour,
            time_of_day=self.time_of_day,
            device=self.device,
            locale=self.locale,
            extra=dict(self.__pydantic_extra__ or {}),
        )


class AnswerIn(BaseModel):
    """One person's answer to an experience's prompt."""

    model_config = ConfigDict(extra="forbid")

    user_id: str | None = Field(None, min_length=1, max_length=128)
    choice: str | None = Field(None, max_length=64, description="The id of the chosen choice.")
    text: str | None = Field(None, description="Free text; its length limit is the prompt's.")
    context: ContextIn | None = None
    variant: str = Field("default", pattern=r"^[A-Za-z0-9_.-]{1,64}$")


class EventsIn(BaseModel):
    """A batch of events; stored all together or not at all."""

    model_config = ConfigDict(extra="forbid")

    events: list[EventIn]


class ItemsIn(BaseModel):
    """A batch of items to create or update by id; stored all together or not at all."""

    model_config = ConfigDict(extra="forbid")

    items: list[ItemIn]


# Response shapes (documentation; see the module docstring).


class ResultItemOut(BaseModel):
    id: str
    title: str
    score: float
    reasons: list[str]
    url: str | None
    price: float | None


class CopyOut(BaseModel):
    title: str
    description: str
    cta: str
    source: str
    legal: list[str] = []  # the brand's required legal lines, shown with the copy


class AnswerOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request_id: str
    experience: str
    experience_version: int
    variant: str
    items: list[ResultItemOut]
    bundle_total: float | None
    copy_: CopyOut | None = Field(alias="copy")
    html: str
    fallback: bool
    understood: list[str] | None
    timings_ms: dict[str, float]


class ChoiceOut(BaseModel):
    id: str
    label: str


class PromptOut(BaseModel):
    kind: str
    question: str
    placeholder: str | None
    choices: list[ChoiceOut]
    max_length: int
    privacy_notice: str


class OutputOut(BaseModel):
    kind: str
    size: int


class FollowupOut(BaseModel):
    kind: str
    question: str
    placeholder: str | None
    choices: list[ChoiceOut]
    max_length: int


class ExperienceOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str
    name: str
    prompt: PromptOut
    output: OutputOut
    followup: FollowupOut | None = None


class ExperiencesOut(BaseModel):
    experiences: list[ExperienceOut]


class SavedOut(BaseModel):
    key: str
    version: int


class EventsOut(BaseModel):
    stored: int = Field(description="Newly stored; re-sent events (same event_id) are skipped.")
    received: int
    buffered: int = Field(
        0, description="Kept by the server while the store is unavailable; written when back."
    )


class ItemsOut(BaseModel):
    upserted: int


class HealthOut(BaseModel):
    status: Literal["ok", "error"]
    database: str


class ErrorDetail(BaseModel):
    type: str
    message: str
    field: str | None


class ErrorOut(BaseModel):
    error: ErrorDetail
