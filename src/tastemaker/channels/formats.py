"""One result, every channel: web fragment, landing page, e-mail, ads, message, JSON.

``render(answer, spec, channel, now=...)`` returns plain, JSON-ready data, so the API can return
it and a webhook can carry it unchanged. All channels share one context (:func:`context`): the
copy, the items with their links already tagged for *this* channel (``utm_medium`` is the
channel, ``tm_rid`` the request id, so a click from the e-mail is told apart from one on the
page), and what the output kind adds (an offer's deadline, a service's open slots).

A brand may replace a channel's template (``delivery.templates``); that template is untrusted and
runs in the same sandbox. When it fails (a syntax error, a blocked attribute, a limit), the
channel is rendered with the shipped template instead and the failure is logged: a broken brand
template costs the brand its look, never the person their result.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import css_inline
from jinja2 import Template

from tastemaker.channels import ads, sandbox
from tastemaker.channels.spec import CHANNELS, Channel
from tastemaker.errors import InvalidInput
from tastemaker.experiences import ExperienceSpec
from tastemaker.pipeline import render as render_stage
from tastemaker.pipeline.render import append_tags
from tastemaker.types import Answer

log = logging.getLogger(__name__)

MESSAGE_MAX = 320  # two SMS segments; chat apps show the same text without truncation
# Never fetch a stylesheet named by a template: rendering must not reach the network.
_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False, keep_style_tags=False)


def context(
    answer: Answer, spec: ExperienceSpec, medium: str, now: float | None = None
) -> dict[str, Any]:
    """What every template sees: the fragment's context with links tagged for ``medium``."""
    ctx = render_stage.context(answer, spec, medium=medium, now=time.time() if now is None else now)
    ctx["layout"] = spec.template
    return ctx


def _render(
    spec: ExperienceSpec, slot: str, shipped: str | Template, ctx: dict[str, Any], *, html: bool
) -> str:
    """The brand's template for ``slot`` when it has one that renders, else the shipped one."""
    source = spec.delivery.templates.get(slot)
    if source is not None:
        try:
            return sandbox.render(sandbox.brand_template(source, html=html), ctx)
        except Exception:
            log.warning(
                "brand template %r of %r failed; using the shipped one request_id=%s",
                slot,
                spec.key,
                ctx["request_id"],
                exc_info=True,
            )
    template = sandbox.shipped(shipped) if isinstance(shipped, str) else shipped
    return template.render(ctx)


def fragment(ctx: dict[str, Any], spec: ExperienceSpec) -> str:
    """The embeddable fragment in the experience's layout (``spec.template``)."""
    return _render(spec, "web", render_stage.template(spec.template), ctx, html=True)


def _web(answer: Answer, spec: ExperienceSpec, now: float | None) -> dict[str, Any]:
    ctx = context(answer, spec, "web", now)
    return {"content_type": "text/html", "html": fragment(ctx, spec)}


def _landing(answer: Answer, spec: ExperienceSpec, now: float | None) -> dict[str, Any]:
    ctx = context(answer, spec, "landing", now)
    ctx["fragment"] = fragment(ctx, spec)  # already escaped; the page marks it safe
    html = _render(spec, "landing", "channels/landing.html.j2", ctx, html=True)
    return {"content_type": "text/html", "html": html}


def _email_parts(ctx: dict[str, Any], spec: ExperienceSpec) -> tuple[str, str]:
    html = _render(spec, "email_html", "channels/email.html.j2", ctx, html=True)
    text = _render(spec, "email_text", "channels/email.txt.j2", ctx, html=False)
    # Mail clients drop <style> blocks; inline every rule into style attributes.
    return _INLINER.inline(html), text


def _email(answer: Answer, spec: ExperienceSpec, now: float | None) -> dict[str, Any]:
    conf = spec.delivery.email
    ctx = context(answer, spec, "email", now)
    subject = conf.subject or ctx["copy"]["title"]
    ctx.update(subject=subject, preheader=conf.preheader or ctx["copy"]["description"], intro="")
    html, text = _email_parts(ctx, spec)
    followups = []
    for n, step in enumerate(conf.followups, start=1):
        fctx = context(answer, spec, "email", now)
        # A follow-up is its own campaign step: its links say which one was clicked.
        fctx["link"] = append_tags(fctx["link"], f"tm_step={n}")
        fctx.update(subject=step.subject, preheader=step.intro, intro=step.intro)
        fhtml, ftext = _email_parts(fctx, spec)
        followups.append(
            {"step": n, "send_after_days": step.delay_days, "subject": step.subject}
            | {"html": fhtml, "text": ftext}
        )
    return {
        "content_type": "multipart/alternative",
        "subject": subject,
        "html": html,
        "text": text,
        "followups": followups,
    }


def _ads(answer: Answer, spec: ExperienceSpec, now: float | None) -> dict[str, Any]:
    ctx = context(answer, spec, "ads", now)
    copy = ctx["copy"]
    return {
        "content_type": "application/json",
        "headline_max": ads.HEADLINE_MAX,
        "description_max": ads.DESCRIPTION_MAX,
        "final_url": ctx["link"],
        "variants": ads.variants(
            title=copy["title"],
            description=copy["description"],
            cta=copy["cta"],
            item_titles=[i["title"] for i in ctx["items"]],
            brand=spec.brand.name,
        ),
    }


def _message(answer: Answer, spec: ExperienceSpec, now: float | None) -> dict[str, Any]:
    ctx = context(answer, spec, "message", now)
    text = " ".join(_render(spec, "message", "channels/message.txt.j2", ctx, html=False).split())
    if len(text) > MESSAGE_MAX:
        # Keep the link whole: it is the point of the message. Cut the words before it.
        link = ctx["link"]
        room = MESSAGE_MAX - len(link) - 1
        text = (ads.fit(text.replace(link, "").strip(), room) + " " + link).strip()
    return {"content_type": "text/plain", "text": text}


def _json(answer: Answer, spec: ExperienceSpec, now: float | None) -> dict[str, Any]:
    ctx = context(answer, spec, "json", now)
    data = answer.to_public()
    data.pop("html", None)
    data.pop("timings_ms", None)
    data["items"] = [
        {k: v for k, v in item.items() if k not in ("price_text", "price_value")}
        for item in ctx["items"]
    ]
    data.update(offer=ctx["offer"], link=ctx["link"], kind=ctx["kind"])
    return {"content_type": "application/json", "data": data}


_RENDERERS = {
    "web": _web,
    "landing": _landing,
    "email": _email,
    "ads": _ads,
    "message": _message,
    "json": _json,
}


def render(
    answer: Answer, spec: ExperienceSpec, channel: Channel | str, *, now: float | None = None
) -> dict[str, Any]:
    """``answer`` rendered for ``channel``; ``now`` pins offer deadlines and slots in tests."""
    renderer = _RENDERERS.get(channel)
    if renderer is None:
        raise InvalidInput(f"unknown channel {channel!r}; one of {', '.join(CHANNELS)}")
    return {"channel": channel, "request_id": answer.request_id} | renderer(answer, spec, now)


def render_all(
    answer: Answer,
    spec: ExperienceSpec,
    channels: list[Channel] | tuple[Channel, ...] = CHANNELS,
    *,
    now: float | None = None,
) -> dict[str, dict[str, Any]]:
    """Several channels at once, as a webhook push carries them."""
    return {c: render(answer, spec, c, now=now) for c in channels}
