"""Ad variants within the common platform limits: headline <= 30, description <= 90 characters.

Text is cut on a word boundary (never mid-word) with an ellipsis only when something was cut, so
an ad never reads "Cozy candl". Several variants are produced from the copy, the items and the
call to action, deduplicated, so an ad tool can rotate or test them.
"""

from __future__ import annotations

HEADLINE_MAX = 30
DESCRIPTION_MAX = 90
ELLIPSIS = "…"


def fit(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters on a word boundary."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    room = limit - len(ELLIPSIS)
    cut = text[: room + 1]
    head = cut.rsplit(" ", 1)[0] if " " in cut else ""
    head = head.rstrip(" ,;:.-–—")
    if not head:  # one long word: cutting inside it is the only way to fit
        head = text[:room]
    return head + ELLIPSIS


def variants(
    *, title: str, description: str, cta: str, item_titles: list[str], brand: str, n: int = 4
) -> list[dict[str, str]]:
    """Up to ``n`` distinct (headline, description) pairs, each within the limits."""
    first = item_titles[0] if item_titles else ""
    listed = ", ".join(item_titles[:3])
    branded = f"{brand}: {title}"
    # A cut brand prefix reads worse than none: the brand alone is a headline in its own right.
    heads = [title, branded if len(branded) <= HEADLINE_MAX else brand, first, cta]
    bodies = [
        description,
        f"{listed}. {cta}." if listed else description,
        f"{description} {cta}.",
        f"With {listed}." if listed else f"{cta}.",
    ]
    out: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for head, body in zip(heads, bodies, strict=True):
        pair = (fit(head, HEADLINE_MAX), fit(body, DESCRIPTION_MAX))
        if not pair[0] or not pair[1] or pair in seen:
            continue
        seen.add(pair)
        out.append({"headline": pair[0], "description": pair[1]})
        if len(out) >= n:
            break
    return out
