"""Progressive prompts: a follow-up question after the first answer, both shaping the result.

An experience may declare ``followup`` (a second :class:`~tastemaker.experiences.Prompt`).
After the first answer, the client asks it and sends the reply with the first result's
``request_id``; the engine then answers *both* at once. It does so without a special pipeline:
the two answers become one derived experience whose single choice carries the merged intent
(moods and preferences of both; the follow-up's hard filters win where both name one attribute,
since the later answer is the more specific; exclusions add up; numeric ranges intersect) and
whose text is both texts. The pipeline, the rules and the copy then work as for any answer.

With ``remember`` the two answers become the person's stored preferences for the experience
(:func:`remembered` reads them back). ``remember`` is the consent hook: the consent records of
issue 6 are meant to set it; until then the client passes the person's explicit choice.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from tastemaker.errors import InvalidInput, NotFound
from tastemaker.experiences import Choice, ChoiceIntent, ExperienceSpec, Prompt
from tastemaker.pipeline.capture import clean, redact
from tastemaker.store import measure as measure_store

if TYPE_CHECKING:
    from tastemaker.engine import Engine
    from tastemaker.store import Store
    from tastemaker.types import Answer, RequestContext

COMBINED_CHOICE = "followup-combined"


def merge_intents(first: ChoiceIntent, second: ChoiceIntent, text: str) -> ChoiceIntent:
    """One intent meaning both answers (see the module docstring for the precedence)."""
    attributes = {k: list(v) for k, v in first.attributes.items()}
    for k, v in second.attributes.items():
        attributes[k] = list(dict.fromkeys([*attributes.get(k, []), *v]))
    excluded = {k: list(v) for k, v in first.excluded.items()}
    for k, v in second.excluded.items():
        excluded[k] = list(dict.fromkeys([*excluded.get(k, []), *v]))
    numeric_min = dict(first.numeric_min)
    for k, lo in second.numeric_min.items():
        numeric_min[k] = max(lo, numeric_min.get(k, lo))
    numeric_max = dict(first.numeric_max)
    for k, hi in second.numeric_max.items():
        numeric_max[k] = min(hi, numeric_max.get(k, hi))
    return ChoiceIntent(
        text=text,
        moods=list(dict.fromkeys([*first.moods, *second.moods])),
        attributes=attributes,
        required={**first.required, **second.required},
        excluded=excluded,
        numeric_min=numeric_min,
        numeric_max=numeric_max,
    )


def combined_spec(
    spec: ExperienceSpec, first_choice: str | None, second_choice: str | None
) -> tuple[ExperienceSpec, str | None]:
    """The derived experience answering both questions, and the choice id to answer it with."""
    assert spec.followup is not None
    first = spec.choice(first_choice) if first_choice else None
    picked = [c for c in (first, _followup_choice(spec, second_choice)) if c is not None]
    max_length = min(2000, spec.prompt.max_length + spec.followup.max_length + 2)
    if not picked:
        prompt = Prompt(kind="text", question=spec.followup.question, max_length=max_length)
        return spec.model_copy(update={"prompt": prompt, "followup": None}), None
    intent = picked[0].intent
    if len(picked) == 2:
        words = ". ".join(c.intent.text or c.label for c in picked)
        intent = merge_intents(picked[0].intent, picked[1].intent, words)
    choice = Choice(
        id=COMBINED_CHOICE, label=" + ".join(c.label for c in picked)[:80], intent=intent
    )
    prompt = Prompt(
        kind="choice", question=spec.followup.question, choices=[choice], max_length=max_length
    )
    return spec.model_copy(update={"prompt": prompt, "followup": None}), COMBINED_CHOICE


def _followup_choice(spec: ExperienceSpec, choice: str | None) -> Choice | None:
    assert spec.followup is not None
    if choice is None:
        return None
    found = next((c for c in spec.followup.choices if c.id == choice), None)
    if found is None:
        known = ", ".join(c.id for c in spec.followup.choices) or "none (free-text question)"
        raise InvalidInput(f"unknown choice {choice!r}; choices: {known}", field="choice")
    return found


def followup(
    engine: Engine,
    slug: str,
    key: str,
    request_id: str,
    *,
    choice: str | None = None,
    text: str | None = None,
    user_id: str | None = None,
    remember: bool = False,
    context: RequestContext | None = None,
) -> Answer:
    """Answer the follow-up of the result ``request_id``; the new result refines it."""
    spec = engine.get_experience(slug, key)
    if spec.followup is None:
        raise InvalidInput(f"experience {key!r} declares no follow-up question", field="key")
    ws = engine.workspace(slug)
    engine.flush()  # the first answer may still be in this process's write-behind buffer
    first = measure_store.get_answer(engine.store, ws.id, request_id)
    if first is None or first.experience_key != key:
        raise NotFound(f"no answer {request_id!r} to follow up in experience {key!r}")
    if text is not None:
        if not isinstance(text, str):
            raise InvalidInput("must be a string", field="text")
        if len(clean(text)) > spec.followup.max_length:
            raise InvalidInput(
                f"answer is longer than the {spec.followup.max_length} characters this "
                "question takes",
                field="text",
            )
    if choice is None and not (text or "").strip() and not spec.followup.allow_empty:
        raise InvalidInput("an answer is required: a choice or some text", field="text")
    derived, combined = combined_spec(spec, first.choice_id, choice)
    second_text = redact(clean(text))[0] if text else ""
    both = ". ".join(t for t in (first.text or "", second_text) if t)
    person = user_id or first.user_id
    answer = engine.answer(
        slug,
        key,
        user_id=person,
        choice=combined,
        text=both or None,
        context=context,
        variant=first.variant,
        spec_override=derived,
        kind="followup",
        parent_request_id=request_id,
        logged_choice=choice,
    )
    if remember and person and _may_remember(engine, ws.id, person):
        measure_store.save_preferences(
            engine.store,
            ws.id,
            person,
            key,
            answer.request_id,
            {
                "prompt": (first.choice_id, first.text),
                "followup": (choice, second_text or None),
            },
        )
    return answer


def _may_remember(engine: Engine, ws_id: int, user_id: str) -> bool:
    """``remember`` asks to keep the answers; the person's consent to memory decides (issue 6's
    consent records: without it an answer is used for its response and not kept)."""
    try:
        state = engine.privacy_store.person_state(ws_id, user_id, time.time())
    except Exception:
        logging.getLogger(__name__).exception(
            "could not read consent of user %s; not remembering", user_id
        )
        return False
    return bool(state.consent["memory"])


def from_preferences(
    spec: ExperienceSpec, prefs: dict[str, tuple[str | None, str | None]]
) -> tuple[ExperienceSpec, str | None, str | None] | None:
    """The spec, choice and text that answer like the person's saved answers, or None.

    Saved choices the experience no longer offers are dropped, so an edited experience never
    turns saved answers into errors.
    """
    if not prefs:
        return None
    first_choice, first_text = prefs.get("prompt", (None, None))
    if first_choice is not None and spec.choice(first_choice) is None:
        first_choice = None
    second_choice, second_text = prefs.get("followup", (None, None))
    text = ". ".join(t for t in (first_text, second_text) if t) or None
    if spec.followup is None:
        return spec, first_choice, first_text
    if second_choice is not None and all(c.id != second_choice for c in spec.followup.choices):
        second_choice = None
    derived, combined = combined_spec(spec, first_choice, second_choice)
    return derived, combined, text


def saved_answers(
    store: Store, ws_id: int, spec: ExperienceSpec, key: str, user_id: str
) -> tuple[ExperienceSpec, str | None, str | None, str | None] | None:
    """The saved answers as (spec, choice, text) to run, and the choice to log; or None.

    The engine answers an empty prompt with these for someone who asked to be remembered.
    """
    try:
        prefs = measure_store.get_preferences(store, ws_id, user_id, key)
        found = from_preferences(spec, prefs)
        return None if found is None else (*found, prefs.get("prompt", (None, None))[0])
    except Exception:  # saved answers are a nicety: never fail the request for them
        logging.getLogger(__name__).exception("could not read saved answers of user %s", user_id)
        return None


def remembered(
    engine: Engine, slug: str, key: str, user_id: str
) -> dict[str, dict[str, str | None]]:
    """The person's stored answers for an experience: question -> {"choice", "text"}."""
    prefs = measure_store.get_preferences(engine.store, engine.workspace(slug).id, user_id, key)
    return {q: {"choice": c, "text": t} for q, (c, t) in prefs.items()}


def replay(
    engine: Engine, spec: ExperienceSpec, log: measure_store.AnswerLog, depth: int = 0
) -> tuple[ExperienceSpec, str | None, str | None]:
    """The spec, choice and text that reproduce a logged answer (to refine it).

    A follow-up's answer is rebuilt from its parent's choice and its own; a refinement's from
    whatever it refined (its text already holds the words of every step).
    """
    if log.kind == "answer" or log.parent_request_id is None or depth > 20:
        return spec, log.choice_id, log.text
    parent = measure_store.get_answer(engine.store, log.workspace_id, log.parent_request_id)
    if parent is None:
        return spec, None, log.text
    if log.kind == "followup" and spec.followup is not None:
        derived, combined = combined_spec(spec, parent.choice_id, log.choice_id)
        return derived, combined, log.text
    base, choice, _ = replay(engine, spec, parent, depth + 1)
    return base, choice, log.text
