"""Render stage: the HTML fragment a brand drops into its page.

Item titles come from a merchant's catalog and the copy may echo the person's free text, so both
are untrusted: templates run in Jinja2's :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment`
with autoescaping on, and they get plain dicts rather than live objects. Links are built here, not
in the template, so every one of them carries the same UTM and request-id tags (what lets clicks be
attributed to an experience, a variant and a served result) and no ``javascript:`` URL from a feed
can reach an ``href``.

The environment and compiled templates are created once per process: rendering ten items costs
about a quarter of a millisecond, well inside the request budget.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any
from urllib.parse import quote, unquote_plus, urlencode, urlsplit, urlunsplit

from jinja2 import Template, TemplateNotFound
from jinja2.sandbox import ImmutableSandboxedEnvironment

from tastemaker.channels import sandbox
from tastemaker.channels.kinds import offer_terms, open_slots
from tastemaker.errors import StageError
from tastemaker.experiences import ExperienceSpec
from tastemaker.types import Answer, CopyText, ResultItem

TEMPLATE_DIR = sandbox.TEMPLATE_DIR
TEMPLATE_SUFFIX = ".html.j2"
SAFE_SCHEMES = frozenset({"http", "https", ""})
TAG_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "tm_rid")


def environment() -> ImmutableSandboxedEnvironment:
    """The one sandboxed HTML environment (shared with the channels, see channels.sandbox)."""
    return sandbox.environment(html=True)


@lru_cache(maxsize=64)
def template(name: str) -> Template:
    """The compiled template ``<name>.html.j2``; raises :class:`StageError` when there is none."""
    if name.startswith("_"):
        # Files starting with "_" hold shared macros, not whole fragments.
        raise StageError("render", f"template {name!r} is a partial")
    try:
        return environment().get_template(name + TEMPLATE_SUFFIX)
    except TemplateNotFound as exc:
        raise StageError("render", f"no template named {name!r}") from exc


def template_names() -> list[str]:
    """Templates an experience may select, for validating a spec before it is saved."""
    return sorted(
        p.name.removesuffix(TEMPLATE_SUFFIX)
        for p in TEMPLATE_DIR.glob("*" + TEMPLATE_SUFFIX)
        if not p.name.startswith("_")
    )


def utm_tags(*, medium: str, campaign: str, content: str, request_id: str) -> str:
    """The encoded attribution tags for one request (built once, appended to every link)."""
    return urlencode(
        [
            ("utm_source", "tastemaker"),
            ("utm_medium", medium),
            ("utm_campaign", campaign),
            ("utm_content", content),
            ("tm_rid", request_id),
        ]
    )


def append_tags(url: str, tags: str) -> str:
    """Add encoded ``tags`` to ``url``, keeping its other query parameters and fragment.

    Parameters the link already carries under a tag's name are replaced, not duplicated (a catalog
    URL copied from an old campaign must not be attributed to it); the others are kept byte for
    byte, since re-encoding them could break a merchant's signed or oddly encoded links.
    """
    if "?" not in url and "#" not in url:
        return f"{url}?{tags}"  # the common case, without the cost of a full split
    parts = urlsplit(url)
    kept = [
        pair
        for pair in parts.query.split("&")
        if pair and unquote_plus(pair.split("=", 1)[0]) not in TAG_KEYS
    ]
    return urlunsplit(parts._replace(query="&".join([*kept, tags])))


def tag_url(url: str, *, medium: str, campaign: str, content: str, request_id: str) -> str:
    """Tag one link: ``utm_source=tastemaker``, medium, campaign, content and ``tm_rid``."""
    tags = utm_tags(medium=medium, campaign=campaign, content=content, request_id=request_id)
    return append_tags(url, tags)


def item_url(item: ResultItem, spec: ExperienceSpec) -> str:
    """The item's own URL when it is a web link, else the experience's ``link_base`` + id."""
    if item.url:
        scheme = urlsplit(item.url.strip()).scheme.lower()
        if scheme in SAFE_SCHEMES:
            return item.url.strip()
    return spec.link_base + quote(item.id, safe="-._~")


def _money(amount: float | None) -> str | None:
    return None if amount is None else f"{amount:,.2f}"


def _number(amount: float | None) -> str | None:
    """Machine-readable amount for ``<data value>``: no thousands separator."""
    return None if amount is None else f"{amount:.2f}"


def context(
    answer: Answer, spec: ExperienceSpec, *, medium: str | None = None, now: float | None = None
) -> dict[str, Any]:
    """What a template sees: plain data only, links already tagged, prices already formatted.

    ``medium`` is the channel the links are tagged for (default: the output kind, for the
    fragment the answer carries); ``now`` is when the result is shown, which an offer's deadline
    and a service's open slots count from.
    """
    copy = answer.copy or CopyText(
        spec.brand.safe_title, spec.brand.safe_description, spec.brand.cta, source="safe"
    )
    kind = spec.output.kind
    delivery = spec.delivery
    if now is None and (delivery.slots is not None or delivery.offer is not None):
        now = time.time()
    tags = utm_tags(
        medium=medium or kind,
        campaign=spec.key,
        content=answer.variant,
        request_id=answer.request_id,
    )
    slots = delivery.slots
    return {
        "copy": {
            "title": copy.title,
            "description": copy.description,
            "cta": copy.cta,
            "legal": list(copy.legal),  # the brand kit's required lines: every channel shows them
        },
        "items": [
            {
                "id": it.id,
                "title": it.title,
                "url": append_tags(item_url(it, spec), tags),
                "reasons": list(it.reasons),
                "price": it.price,
                "price_text": _money(it.price),
                "price_value": _number(it.price),
                "attributes": it.attributes,
                "slots": []
                if slots is None or now is None
                else open_slots(it.attributes, slots, now),
            }
            for it in answer.items
        ],
        "total": answer.bundle_total,
        "total_text": _money(answer.bundle_total),
        "total_value": _number(answer.bundle_total),
        "offer": None
        if delivery.offer is None or now is None
        else offer_terms(delivery.offer, answer.bundle_total, now),
        "kind": kind,
        "experience": spec.key,
        "variant": answer.variant,
        "request_id": answer.request_id,
        "brand": {"name": spec.brand.name, "voice": spec.brand.voice},
        "fallback": answer.fallback,
        "link": append_tags(delivery.landing_url or spec.link_base, tags),
        "channel": medium or "web",
    }


def run(answer: Answer, spec: ExperienceSpec, *, now: float | None = None) -> None:
    """Set ``answer.html`` from the experience's shipped template (``spec.template``)."""
    answer.html = template(spec.template).render(context(answer, spec, now=now))
