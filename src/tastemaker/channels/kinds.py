"""What the output kinds beyond a playlist add to a result.

- A **bundle with a time-limited offer** (retail): the offer's price and the moment it ends,
  counted from when the result was rendered, so every channel (page, e-mail, ad) states the same
  deadline.
- A **travel shortlist**: destinations with their facts (region, nights, season); that is plain
  attributes, shown by the ``shortlist`` template.
- A **service package with open time slots** (local services): the next open starts of each
  service, computed from its weekly schedule (``open_days`` / ``open_hours`` attributes).

Pure functions of the result, the spec and a clock, so tests pin them with a fixed ``now``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from tastemaker.channels.spec import Offer, Slots

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def offer_terms(offer: Offer, total: float | None, now: float) -> dict[str, Any]:
    """The offer as a template shows it: percent, new total, code, ISO and human deadline."""
    ends = datetime.fromtimestamp(now, UTC) + timedelta(hours=offer.valid_hours)
    price = None if total is None else round(total * (1 - offer.percent_off / 100), 2)
    return {
        "percent_off": f"{offer.percent_off:g}",
        "price": price,
        "price_text": None if price is None else f"{price:,.2f}",
        "code": offer.code,
        "ends_at": ends.isoformat(timespec="minutes").replace("+00:00", "Z"),
        "ends_text": ends.strftime("%a %d %b, %H:%M UTC"),
        "valid_hours": offer.valid_hours,
    }


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def open_slots(attributes: dict[str, Any], slots: Slots, now: float) -> list[dict[str, str]]:
    """The next ``slots.per_item`` open starts after ``now`` (UTC), from the weekly schedule.

    Unknown day names and malformed hours are skipped rather than failing the render: the
    schedule comes from a merchant's feed. Results are cached per schedule and minute, since
    the services of a package (and of every request in that minute) share a few schedules.
    """
    days = tuple(sorted({d.lower()[:3] for d in _as_list(attributes.get(slots.days_attribute))}))
    hours = tuple(_as_list(attributes.get(slots.hours_attribute)))
    # Starts fall on whole minutes, so "after the current minute began" equals "after now".
    found = _slots(days, hours, slots.per_item, slots.horizon_days, int(now // 60))
    return [{"at": at, "text": text} for at, text in found]


@lru_cache(maxsize=4096)
def _slots(
    days: tuple[str, ...],
    hours_text: tuple[str, ...],
    per_item: int,
    horizon_days: int,
    minute: int,
) -> tuple[tuple[str, str], ...]:
    hours: list[tuple[int, int]] = []
    for h in hours_text:
        hour, _, mins = h.partition(":")
        if hour.isdigit() and mins.isdigit() and int(hour) < 24 and int(mins) < 60:
            hours.append((int(hour), int(mins)))
    hours.sort()
    start = datetime.fromtimestamp(minute * 60, UTC)
    out: list[tuple[str, str]] = []
    for offset in range(horizon_days + 1):
        day = (start + timedelta(days=offset)).date()
        if WEEKDAYS[day.weekday()] not in days:
            continue
        for hh, mm in hours:
            at = datetime(day.year, day.month, day.day, hh, mm, tzinfo=UTC)
            if at <= start:
                continue
            iso = at.isoformat(timespec="minutes").replace("+00:00", "Z")
            out.append((iso, at.strftime("%a %d %b, %H:%M")))
            if len(out) >= per_item:
                return tuple(out)
    return tuple(out)
