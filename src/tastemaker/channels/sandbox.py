"""The sandbox every template renders in, built-in or a brand's own.

A brand's template and every value it shows (item titles from a merchant's feed, copy that may
echo a person's words) are untrusted. Jinja2's :class:`ImmutableSandboxedEnvironment` (3.1.6 or
later: earlier releases have published sandbox escapes) refuses underscore attributes, so
``{{ ''.__class__ }}`` and its friends render nothing useful and raise :class:`SecurityError`;
templates also get plain dicts and strings, never live objects, and there is no loader for a
brand template to read files with (``{% include %}`` only reaches the shipped templates).

Escaping follows the context: HTML autoescaping (which also quotes ``"`` and ``'``, so a value is
safe inside a quoted attribute); ``|url`` lets through only ``http``, ``https`` and ``mailto``
links and turns anything else (``javascript:``, ``data:``) into ``#``; text templates (e-mail
text part, messages) are not HTML-escaped, since their readers do not parse markup.

Limits: the sandbox caps ``range`` at 100,000 items; on top of that :class:`LimitedSandbox`
checks a deadline on every call, attribute and item access and after every output chunk, and
the output size after every chunk, so a template that loops or balloons stops with
:class:`RenderLimit` instead of holding a worker.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import FileSystemLoader, StrictUndefined, Template
from jinja2.sandbox import ImmutableSandboxedEnvironment

from tastemaker.errors import StageError

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
URL_SCHEMES = frozenset({"http", "https", "mailto"})
MAX_SECONDS = 0.25
MAX_BYTES = 512_000

_deadline: ContextVar[float] = ContextVar("tm_render_deadline", default=float("inf"))
# Only a brand's templates run under the limits (:func:`render`); the shipped ones loop over at
# most ``output.size`` items and are rendered directly, which keeps the fragment cheap.


class RenderLimit(StageError):
    """A template ran past its time or size limit."""

    def __init__(self, message: str) -> None:
        super().__init__("render", message)


_NO_DEADLINE = float("inf")


def _check() -> None:
    deadline = _deadline.get()
    # Shipped templates render without a deadline: skip the clock read for them.
    if deadline != _NO_DEADLINE and time.perf_counter() > deadline:
        raise RenderLimit(f"template rendering took longer than its limit ({MAX_SECONDS} s)")


def safe_url(value: Any) -> str:
    """``value`` when it is an http(s) or mailto URL, else ``#``: no script or data links."""
    url = str(value).strip()
    # Browsers drop tabs and newlines inside a scheme ("java\tscript:"), so judge it as they do.
    scheme = urlsplit("".join(url.split())).scheme.lower()
    return url if scheme in URL_SCHEMES else "#"


class Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with a quicker road to a plain dict's keys.

    Templates get plain dicts, and ``item.title`` is most of their lookups. The sandbox first
    tries ``getattr`` on the dict, which fails for a key, and only then the key: going to the
    key first (unless ``dict`` itself has that attribute, as ``items`` or ``__class__``)
    returns the same thing and halves the cost of rendering a fragment.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and not hasattr(dict, attribute):
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


class LimitedSandbox(Sandbox):
    """The sandbox with a deadline checked at every call and lookup."""

    def call(self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _check()
        return super().call(__context, __obj, *args, **kwargs)

    def getattr(self, obj: Any, attribute: str) -> Any:
        _check()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _check()
        return super().getitem(obj, argument)


def _make(*, html: bool, limited: bool) -> ImmutableSandboxedEnvironment:
    cls = LimitedSandbox if limited else Sandbox
    env = cls(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=html,
        undefined=StrictUndefined,
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["url"] = safe_url
    return env


@lru_cache(maxsize=2)
def environment(*, html: bool = True) -> ImmutableSandboxedEnvironment:
    """The environment of the shipped templates, HTML (autoescaped) or plain text.

    The same sandbox, without the per-lookup deadline checks: shipped templates only loop over
    the result's items, and the fragment is on every request's path.
    """
    return _make(html=html, limited=False)


@lru_cache(maxsize=2)
def brand_environment(*, html: bool = True) -> ImmutableSandboxedEnvironment:
    """The environment of a brand's templates: the sandbox plus the deadline checks."""
    return _make(html=html, limited=True)


@lru_cache(maxsize=128)
def shipped(name: str) -> Template:
    """A template that ships with the package, e.g. ``channels/email.html.j2``."""
    return environment(html=name.endswith(".html.j2")).get_template(name)


@lru_cache(maxsize=256)
def brand_template(source: str, *, html: bool) -> Template:
    """Compile a brand's template once per distinct source; a syntax error is a StageError."""
    try:
        return brand_environment(html=html).from_string(source)
    except Exception as exc:  # TemplateSyntaxError, or a SecurityError raised while compiling
        raise StageError("render", f"brand template does not compile: {exc}") from exc


def render(
    template: Template,
    context: dict[str, Any],
    *,
    max_seconds: float = MAX_SECONDS,
    max_bytes: int = MAX_BYTES,
) -> str:
    """Render under a deadline and an output cap; raises :class:`RenderLimit` past either."""
    token = _deadline.set(time.perf_counter() + max_seconds)
    try:
        parts: list[str] = []
        size = 0
        for chunk in template.generate(context):
            size += len(chunk)
            if size > max_bytes:
                raise RenderLimit(f"template output is over its limit ({max_bytes} characters)")
            parts.append(chunk)
            _check()
        return "".join(parts)
    finally:
        _deadline.reset(token)
