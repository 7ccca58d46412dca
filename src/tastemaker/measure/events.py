"""The journey's event types, and what happens to a batch of events before it is stored.

Events stay in the one ``events`` table (the profile, ``fit`` and ``learn`` read it); this
module only gives the journey its names and checks the few fields each name needs:

=================== ==================================================================
prompt_shown         the prompt was on screen; ``context.experience`` (and ``variant``)
prompt_answered      the person answered (the served result records this too)
prompt_abandoned     the person closed or left the prompt; ``context.experience``
result_viewed        the result was on screen; ``request_id``
click / save         on an item of a result; ``request_id`` ties it to the result
add_to_cart          an item went to the cart
purchase             ``value`` is the revenue (>= 0)
email_capture        the person left an e-mail address
trial_signup         the person started a trial
complete             the person finished a piece of content
unsubscribe          the person opted out of messages
dislike              the person removed an item from a result (written by refine)
identify             ``user_id`` is an anonymous id, ``context.user_id`` the known id
=================== ==================================================================

Other types are accepted as before (views, ratings...): the store's vocabulary is open.

Before storing, a batch is *prepared*: ``identify`` events link identities (session stitching),
events of an already linked anonymous id are stored under the person's user id, and a landing
URL in ``context.url`` has its ``utm_*`` parameters parsed into ``context.utm``. Idempotency is
the store's: every event has an ``event_id`` (sent, or derived from its content), and a re-sent
batch stores nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

from tastemaker.errors import InvalidInput
from tastemaker.ingest import EventIn
from tastemaker.store import measure as q

if TYPE_CHECKING:
    from tastemaker.store import Store

PROMPT_SHOWN = "prompt_shown"
PROMPT_ANSWERED = "prompt_answered"
PROMPT_ABANDONED = "prompt_abandoned"
RESULT_VIEWED = "result_viewed"
CLICK = "click"
SAVE = "save"
ADD_TO_CART = "add_to_cart"
PURCHASE = "purchase"
EMAIL_CAPTURE = "email_capture"
TRIAL_SIGNUP = "trial_signup"
COMPLETE = "complete"
UNSUBSCRIBE = "unsubscribe"
DISLIKE = "dislike"
IDENTIFY = "identify"

PROMPT_EVENTS = (PROMPT_SHOWN, PROMPT_ANSWERED, PROMPT_ABANDONED)
ENGAGEMENT_EVENTS = (RESULT_VIEWED, CLICK, SAVE, ADD_TO_CART)
# The event that counts as the conversion for each declared objective.
OBJECTIVE_EVENTS: dict[str, str] = {
    "email_capture": EMAIL_CAPTURE,
    "add_to_cart": ADD_TO_CART,
    "trial_signup": TRIAL_SIGNUP,
    "content_completion": COMPLETE,
    "revenue": PURCHASE,
}
CONVERSION_EVENTS = (*sorted(set(OBJECTIVE_EVENTS.values())), UNSUBSCRIBE)
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


def parse_utm(url: str) -> dict[str, str]:
    """The ``utm_*`` parameters of a landing URL (names without the prefix), others ignored."""
    try:
        query = urlsplit(url).query
    except ValueError:
        return {}
    return {k[4:]: v for k, v in parse_qsl(query) if k in UTM_KEYS and v}


def check(events: Sequence[EventIn], where: str = "events") -> None:
    """Refuse journey events that lack what their metrics need, naming the field."""
    for i, e in enumerate(events):
        ctx = e.context or {}
        loc = f"{where}[{i}]"
        if e.type in (PROMPT_SHOWN, PROMPT_ABANDONED) and not isinstance(
            ctx.get("experience"), str
        ):
            raise InvalidInput(
                f"a {e.type} event names its experience key in context.experience",
                field=f"{loc}.context.experience",
            )
        if e.type == PURCHASE and e.value is not None and e.value < 0:
            raise InvalidInput("revenue cannot be negative", field=f"{loc}.value")
        if e.type == IDENTIFY:
            known = ctx.get("user_id")
            if not isinstance(known, str) or not 0 < len(known) <= 128:
                raise InvalidInput(
                    "an identify event carries the known user id in context.user_id",
                    field=f"{loc}.context.user_id",
                )


def prepare(store: Store, ws_id: int, events: Sequence[EventIn]) -> list[EventIn]:
    """Check, stitch and annotate a batch; links from its identify events are stored at once.

    An identify event is kept (it records when the person logged in) but under the known id.
    """
    check(events)
    for e in events:
        if e.type == IDENTIFY:
            assert e.context is not None
            q.link_identity(store, ws_id, e.user_id, e.context["user_id"])
    links = q.resolve_users(store, ws_id, (e.user_id for e in events))
    out: list[EventIn] = []
    for e in events:
        update: dict[str, object] = {}
        known = links.get(e.user_id)
        if known is not None:
            update["user_id"] = known
        url = (e.context or {}).get("url") or (e.context or {}).get("landing_url")
        if isinstance(url, str) and "utm_" in url and "utm" not in (e.context or {}):
            utm = parse_utm(url)
            if utm:
                update["context"] = {**(e.context or {}), "utm": utm}
        # model_copy keeps event_id: it was fixed (sent or derived) when the event was
        # validated, so a retried batch is recognised whatever the stitching did since.
        out.append(e.model_copy(update=update) if update else e)
    return out
