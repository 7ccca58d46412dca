"""Saved prompts, refreshed on a schedule (daily or weekly, as Spotify's Prompted Playlist does).

A person's answer is saved with a cadence; each due refresh answers the same prompt again with
their up-to-date history, excluding every item they already got from it (unless the experience
sets ``delivery.allow_repeats``), and pushes the result through the same webhook channels as a
first answer, typed ``asset.refreshed``.

The schedule keeps its phase: a weekly refresh due on Monday 09:00 that runs late stays a
Monday-09:00 refresh, and a server that was down for a while runs a missed refresh once, not once
per missed period. The clock is a parameter, so tests move it.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from tastemaker.engine import Engine
from tastemaker.store.delivery import DeliveryStore, SavedPromptRecord
from tastemaker.syndication.publish import publish

log = logging.getLogger(__name__)

PERIODS = {"daily": 86_400.0, "weekly": 7 * 86_400.0}
MAX_REMEMBERED = 2_000  # item ids kept per saved prompt; the oldest may come back after that


def next_run(due_at: float, cadence: str, now: float) -> float:
    """The first run of the schedule anchored at ``due_at`` strictly after ``now``."""
    period = PERIODS[cadence]
    if due_at > now:
        return due_at
    return due_at + period * (math.floor((now - due_at) / period) + 1)


@dataclass(frozen=True, slots=True)
class RefreshResult:
    workspace: str
    user_id: str
    experience: str
    request_id: str | None
    items: list[str]
    msg_ids: list[str]
    error: str | None = None


def run_due(
    engine: Engine,
    rows: DeliveryStore,
    now: float,
    *,
    limit: int = 100,
    workspace_id: int | None = None,
) -> list[RefreshResult]:
    """Run every saved prompt that is due at ``now`` (of one workspace, or of all); a failing
    one is logged and skipped."""
    slugs = {ws.id: ws.slug for ws in engine.store.list_workspaces()}
    results: list[RefreshResult] = []
    for prompt in rows.due_prompts(now, limit, workspace_id):
        if not rows.claim_prompt(prompt, next_run(prompt.next_run_at, prompt.cadence, now)):
            continue  # another worker ran it
        slug = slugs.get(prompt.workspace_id)
        if slug is None:
            continue
        try:
            results.append(_run_one(engine, rows, slug, prompt, now))
        except Exception as exc:  # one person's broken prompt must not stop everyone else's
            log.exception("refresh of saved prompt %d failed", prompt.id)
            results.append(
                RefreshResult(slug, prompt.user_id, prompt.experience_key, None, [], [], str(exc))
            )
    return results


def _run_one(
    engine: Engine, rows: DeliveryStore, slug: str, prompt: SavedPromptRecord, now: float
) -> RefreshResult:
    spec = engine.get_experience(slug, prompt.experience_key)
    exclude = () if spec.delivery.allow_repeats else tuple(prompt.sent_item_ids)
    answer = engine.answer(
        slug,
        prompt.experience_key,
        user_id=prompt.user_id,
        choice=prompt.choice,
        text=prompt.text,
        variant="refresh",
        exclude=exclude,
    )
    ids = [it.id for it in answer.items]
    if not spec.delivery.allow_repeats:
        # The curated fallback ignores exclusions; never resend what the person already has.
        seen = set(prompt.sent_item_ids)
        answer.items = [it for it in answer.items if it.id not in seen]
        ids = [it.id for it in answer.items]
    msg_ids: list[str] = []
    if answer.items:
        ws_id = engine.workspace(slug).id
        msg_ids = publish(rows, ws_id, answer, spec, event_type="asset.refreshed", now=now)
    sent = [*prompt.sent_item_ids, *ids][-MAX_REMEMBERED:]
    rows.record_run(prompt.id, ran_at=now, request_id=answer.request_id, sent_item_ids=sent)
    return RefreshResult(
        slug, prompt.user_id, prompt.experience_key, answer.request_id, ids, msg_ids
    )
