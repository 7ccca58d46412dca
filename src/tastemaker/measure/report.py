"""The report for people: a terminal table (``tastemaker report``) and an HTML page with a chart.

Both lead with what each experience declared matters: its objective metric first, then its
guardrails, then the rest. The page is server-rendered with an inline SVG line chart of the
objective per day and variant (no script, no CDN), so it opens anywhere, offline included.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from jinja2 import Environment, select_autoescape
from markupsafe import escape
from rich.console import Console
from rich.table import Table

# Columns after the headline metrics; names as in :func:`tastemaker.measure.metrics.derive`.
# The terminal shows the ones a person scans; the page and ``--json`` show them all.
DETAIL = (
    "results",
    "visitors",
    "answer_rate",
    "abandonment_rate",
    "click_through_rate",
    "save_rate",
    "add_to_cart_rate",
    "conversions",
    "conversion_rate",
    "revenue",
    "revenue_per_visitor",
    "p50_latency_ms",
    "p99_latency_ms",
    "fallback_rate",
    "mean_confidence",
)
TERMINAL = (
    "results",
    "visitors",
    "answer_rate",
    "click_through_rate",
    "conversion_rate",
    "revenue_per_visitor",
    "p50_latency_ms",
    "mean_confidence",
)
SHORT = {
    "results": "results",
    "visitors": "visitors",
    "answer_rate": "answer",
    "abandonment_rate": "abandon",
    "click_through_rate": "CTR",
    "save_rate": "saves",
    "add_to_cart_rate": "to cart",
    "conversions": "conv",
    "conversion_rate": "conv rate",
    "revenue": "revenue",
    "revenue_per_visitor": "rev/visitor",
    "unsubscribe_rate": "unsub",
    "p50_latency_ms": "p50 ms",
    "p99_latency_ms": "p99 ms",
    "fallback_rate": "fallback",
    "mean_confidence": "confidence",
}
PALETTE = ("#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989")


def fmt(name: str, value: Any) -> str:
    """A metric as a person reads it: rates in %, money with 2 decimals, ms with 1."""
    if value is None:
        return "-"
    if name == "mean_confidence":
        return f"{float(value):.2f}"
    if name.endswith("_rate"):
        return f"{100.0 * float(value):.1f}%"
    if name.endswith("_ms"):
        return f"{float(value):.1f}"
    if name in ("revenue", "revenue_per_visitor"):
        return f"{float(value):.2f}"
    return str(value)


def columns(exp: Mapping[str, Any], detail: Sequence[str] = DETAIL) -> list[str]:
    """Objective first, guardrails next, then the other metrics."""
    lead = [exp["objective_metric"], *exp["guardrails"]]
    return list(dict.fromkeys([*lead, *detail]))


def to_text(report: Mapping[str, Any], *, days: bool = False, width: int = 200) -> str:
    """The report as terminal tables: one per experience, a row per variant (and day)."""
    buf = io.StringIO()
    console = Console(file=buf, width=width, no_color=True, highlight=False)
    console.print(f"period: {report['since'][:10]} to {report['until'][:10]} (UTC)")
    if not report["experiences"]:
        console.print("no experiences")
    for exp in report["experiences"]:
        cols = columns(exp, TERMINAL)
        title = (
            f"{exp['key']} ({exp['name']}): objective {exp['objective']} "
            f"-> {exp['objective_metric']}; guardrails: {', '.join(exp['guardrails']) or 'none'}"
        )
        table = Table(title=title, title_justify="left", header_style="bold")
        table.add_column("variant", no_wrap=True)
        if days:
            table.add_column("day", no_wrap=True)
        for c in cols:
            table.add_column(SHORT.get(c, c), justify="right", no_wrap=True)
        for v in exp["variants"]:
            table.add_row(v["variant"], *(["all"] if days else []), *_cells(v["totals"], cols))
            if days:
                for d in v["days"]:
                    table.add_row("", d["day"], *_cells(d, cols))
        if not exp["variants"]:
            table.add_row("(no results served in this period)", *[""] * (len(cols) + days))
        console.print(table)
        for line in _answer_lines(exp["answers"]):
            console.print(line)
    return buf.getvalue()


def _cells(row: Mapping[str, Any], cols: Sequence[str]) -> list[str]:
    return [fmt(c, row.get(c)) for c in cols]


def _answer_lines(answers: Mapping[str, Any]) -> list[str]:
    lines = []
    for variant, questions in answers["choices"].items():
        for question, shares in questions.items():
            parts = ", ".join(f"{label} {100 * s:.0f}%" for label, s in list(shares.items())[:8])
            lines.append(f"  answers ({variant}, {question}): {parts}")
    if answers["themes"]:
        parts = "; ".join(f'"{t["theme"]}" {100 * t["share"]:.0f}%' for t in answers["themes"])
        lines.append(f"  free-text themes: {parts}")
    return lines


# -- the page ------------------------------------------------------------------------------------

_ENV = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
_PAGE = _ENV.from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tastemaker report</title>
<style>
body{font:14px system-ui,sans-serif;margin:2em;color:#1f2328}
table{border-collapse:collapse;margin:.5em 0 1em}
td,th{border-bottom:1px solid #d0d7de;padding:.25em .6em;text-align:right}
td:first-child,th:first-child{text-align:left}
th.lead,td.lead{background:#f6f8fa;font-weight:600}
.muted{color:#656d76}
</style></head><body>
<h1>tastemaker report</h1>
<p class="muted">{{ report.since[:10] }} to {{ report.until[:10] }} (UTC)</p>
{% for exp in experiences %}
<section>
<h2>{{ exp.key }} <span class="muted">{{ exp.name }}</span></h2>
<p>Objective: <b>{{ exp.objective }}</b> ({{ exp.objective_metric }});
guardrails: {{ exp.guardrails | join(", ") or "none" }};
attribution window {{ exp.attribution_window_hours }} h.</p>
{{ exp.chart | safe }}
<table><tr><th>variant</th>
{% for c in exp.cols %}
<th class="{{ 'lead' if loop.index <= exp.lead }}">{{ c }}</th>{% endfor %}</tr>
{% for v in exp.rows %}<tr><td>{{ v.variant }}</td>
{% for cell in v.cells %}
<td class="{{ 'lead' if loop.index <= exp.lead }}">{{ cell }}</td>{% endfor %}
</tr>{% endfor %}</table>
{% for line in exp.answer_lines %}<p class="muted">{{ line }}</p>{% endfor %}
</section>
{% else %}<p>No experiences.</p>{% endfor %}
</body></html>
"""
)


def line_chart(
    series: Mapping[str, Sequence[tuple[str, float | None]]],
    *,
    title: str,
    width: int = 640,
    height: int = 220,
) -> str:
    """An inline SVG line chart: one line per series over the same days (text escaped)."""
    days = sorted({d for points in series.values() for d, _ in points})
    values = [v for points in series.values() for _, v in points if v is not None]
    pad_l, pad_r, pad_t, pad_b = 56, 16, 28, 36
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}">',
        f'<text x="{pad_l}" y="16" font-size="13">{escape(title)}</text>',
    ]
    if not days or not values:
        out.append(f'<text x="{pad_l}" y="{height // 2}" fill="#656d76">no data yet</text></svg>')
        return "".join(out)
    top = max(values) * 1.1 or 1.0
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b

    def x(i: int) -> float:
        return pad_l + (plot_w * i / (len(days) - 1) if len(days) > 1 else plot_w / 2)

    def y(v: float) -> float:
        return pad_t + plot_h * (1 - v / top)

    base = pad_t + plot_h
    out.append(
        f'<line x1="{pad_l}" y1="{base}" x2="{width - pad_r}" y2="{base}" stroke="#8c959f"/>'
    )
    for frac in (0.0, 0.5, 1.0):
        out.append(
            f'<text x="{pad_l - 6}" y="{y(top * frac) + 4:.1f}" font-size="11" '
            f'text-anchor="end">{top * frac:.3g}</text>'
        )
    for i in sorted({0, len(days) - 1, len(days) // 2}):
        out.append(
            f'<text x="{x(i):.1f}" y="{base + 16}" font-size="11" '
            f'text-anchor="middle">{escape(days[i])}</text>'
        )
    index = {d: i for i, d in enumerate(days)}
    for n, (name, points) in enumerate(sorted(series.items())):
        color = PALETTE[n % len(PALETTE)]
        pts = " ".join(f"{x(index[d]):.1f},{y(v):.1f}" for d, v in points if v is not None)
        out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{pts}"/>')
        for d, v in points:
            if v is not None:
                out.append(f'<circle cx="{x(index[d]):.1f}" cy="{y(v):.1f}" r="3" fill="{color}"/>')
        out.append(
            f'<text x="{width - pad_r}" y="{pad_t + 14 * n}" font-size="11" fill="{color}" '
            f'text-anchor="end">{escape(name)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def to_html(report: Mapping[str, Any]) -> str:
    """The report as a self-contained HTML page with one chart per experience."""
    experiences = []
    for exp in report["experiences"]:
        cols = columns(exp)
        metric = exp["objective_metric"]
        series = {
            v["variant"]: [(d["day"], d.get(metric)) for d in v["days"]] for v in exp["variants"]
        }
        experiences.append(
            {
                **exp,
                "cols": [SHORT.get(c, c) for c in cols],
                "lead": 1 + len(exp["guardrails"]),
                "rows": [
                    {"variant": v["variant"], "cells": _cells(v["totals"], cols)}
                    for v in exp["variants"]
                ],
                "chart": line_chart(series, title=f"{metric} per day, by variant"),
                "answer_lines": _answer_lines(exp["answers"]),
            }
        )
    return _PAGE.render(report=report, experiences=experiences)
