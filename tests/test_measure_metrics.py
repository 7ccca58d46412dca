"""Attribution and metrics in SQL, on hand-made rows whose every figure is computed by hand.

The rows go straight into the store (served results, answer logs, events) with fixed times, so
each expected number below can be checked with pencil and paper; the same tests run on SQLite
and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest

from measure_fixtures import encoder
from tastemaker.experiences import ExperienceSpec
from tastemaker.ingest import EventIn
from tastemaker.measure import metrics
from tastemaker.measure.report import line_chart, to_html, to_text
from tastemaker.store import ServedRecord, Store, WorkspaceRecord
from tastemaker.store import measure as q
from tastemaker.store import metrics as sql

DAY = 86400.0
D0 = 20_000 * DAY  # 2024-10-04, 00:00 UTC
D1 = D0 + DAY
H = 3600.0

SPEC = ExperienceSpec.model_validate(
    {
        "key": "films",
        "name": "Film night",
        "prompt": {
            "kind": "choice",
            "question": "Mood?",
            "choices": [
                {"id": "laugh", "label": "Make me laugh"},
                {"id": "thrill", "label": "Thrill me"},
            ],
        },
        "followup": {
            "kind": "choice",
            "question": "Era?",
            "choices": [{"id": "classic", "label": "A classic"}],
        },
        "measure": {
            "objective": "revenue",
            "guardrails": ["fallback_rate", "abandonment_rate"],
            "attribution_window_hours": 24,
        },
    }
)


def _served(
    ws: int, rid: str, variant: str, user: str | None, at: float, ms: float, fb: bool = False
) -> ServedRecord:
    return ServedRecord(ws, rid, "films", 1, variant, user, ("f1", "f2"), fb, at, ms)


def _log(
    ws: int,
    rid: str,
    variant: str,
    kind: str,
    choice: str | None,
    text: str | None,
    conf: float | None,
    at: float,
) -> q.AnswerLog:
    return q.AnswerLog(ws, rid, kind, "films", variant, None, choice, text, conf, None, at)


def _event(user: str, type_: str, at: float, **kw: Any) -> EventIn:
    return EventIn.model_validate({"user_id": user, "type": type_, "ts": at, **kw})


@pytest.fixture
def filled(store: Store, workspace: WorkspaceRecord) -> int:
    ws = workspace.id
    store.record_served(
        [
            _served(ws, "a1", "A", "u1", D0 + H, 10.0),
            _served(ws, "a2", "A", "u2", D0 + H + 60, 20.0),
            _served(ws, "a3", "A", "u1", D0 + H + 120, 30.0, fb=True),
            _served(ws, "b1", "B", "u3", D0 + H, 40.0),
            _served(ws, "a4", "A", "u4", D1 + H, 50.0),
            _served(ws, "old", "A", "u5", D0 - 40 * DAY, 1.0),  # outside the period
        ]
    )
    q.record_answers(
        store,
        [
            _log(ws, "a1", "A", "answer", "laugh", None, 0.5, D0 + H),
            _log(ws, "a2", "A", "answer", "thrill", None, 0.7, D0 + H),
            _log(ws, "a3", "A", "followup", "classic", None, None, D0 + H),
            _log(ws, "b1", "B", "answer", None, "something calm", 0.6, D0 + H),
            _log(ws, "a4", "A", "answer", "laugh", None, 0.9, D1 + H),
        ],
    )
    shown = {"experience": "films", "variant": "A"}
    store.insert_events(
        ws,
        [
            *[_event(f"v{i}", "prompt_shown", D0 + i, context=shown) for i in range(4)],
            _event("v9", "prompt_abandoned", D0 + 9, context=shown),
            _event("u1", "click", D0 + 2 * H, item_id="f1", request_id="a1"),
            _event("u1", "click", D0 + 2 * H + 1, item_id="f2", request_id="a1"),
            _event("u2", "click", D0 + 2 * H, item_id="f1", request_id="a2"),
            _event("u2", "save", D0 + 2 * H, item_id="f1", request_id="a2"),
            _event("u1", "add_to_cart", D0 + 2 * H, item_id="f1", request_id="a1"),
            # u1 bought after two results of theirs: the newer (a3) is the last touch, a1 assists
            _event("u1", "purchase", D0 + 2 * H, value=30.0, event_id="o1"),
            # u3 names the result it came from
            _event("u3", "purchase", D0 + 3 * H, value=10.0, request_id="b1", event_id="o2"),
            # u3 again, 100 hours later: outside the 24 h window, credited to nothing
            _event("u3", "purchase", D0 + 100 * H, value=99.0, request_id="b1", event_id="o3"),
            _event("u4", "purchase", D1 + 2 * H, value=5.0, event_id="o4"),
            _event("zz", "purchase", D0 + 2 * H, value=7.0, event_id="o5"),  # never served
            _event("u2", "unsubscribe", D0 + 2 * H),
        ],
    )
    return ws


def test_last_touch_and_assisted_attribution(store: Store, filled: int) -> None:
    credits = sql.attributions(store, filled, ["purchase"], window_s=24 * H)
    got = {(a.event_id, a.request_id, a.last_touch) for a in credits}
    assert got == {
        ("o1", "a3", True),
        ("o1", "a1", False),
        ("o2", "b1", True),
        ("o4", "a4", True),
    }
    # A shorter window drops what is older than it: a1 and a3 were 1-2 h before o1.
    short = sql.attributions(store, filled, ["purchase"], window_s=0.5 * H)
    assert {a.event_id for a in short} == set()


def _report(store: Store, ws: int) -> dict[str, Any]:
    period = metrics.Period(D0 - DAY, D1 + DAY)
    return metrics.report(store, ws, {"films": SPEC}, period, encoder=encoder())


def test_metrics_per_variant_computed_in_sql(store: Store, filled: int) -> None:
    (exp,) = _report(store, filled)["experiences"]
    assert exp["objective_metric"] == "revenue_per_visitor"
    variants = {v["variant"]: v for v in exp["variants"]}
    a = variants["A"]["totals"]
    assert a["results"] == 4 and a["answers"] == 3 and a["followups"] == 1
    assert a["visitors"] == 3  # u1 twice is one visitor
    assert a["prompts_shown"] == 4
    assert a["answer_rate"] == pytest.approx(3 / 4)
    assert a["abandonment_rate"] == pytest.approx(1 / 4)
    assert a["click_through_rate"] == pytest.approx(2 / 4)  # a1 (two clicks) and a2
    assert a["save_rate"] == pytest.approx(1 / 4)
    assert a["add_to_cart_rate"] == pytest.approx(1 / 4)
    assert a["conversions"] == 2 and a["assisted_conversions"] == 1
    assert a["conversion_rate"] == pytest.approx(2 / 3)
    assert a["revenue"] == 35.0
    assert a["revenue_per_visitor"] == pytest.approx(35 / 3)
    assert a["unsubscribe_rate"] == pytest.approx(1 / 3)
    assert a["fallback_rate"] == pytest.approx(1 / 4)
    assert a["mean_confidence"] == pytest.approx(0.7)
    assert a["p50_latency_ms"] == 20.0 and a["p99_latency_ms"] == 50.0  # nearest rank
    b = variants["B"]["totals"]
    assert b["revenue_per_visitor"] == 10.0 and b["answer_rate"] is None  # nothing shown
    # The headline leads with the objective, then the declared guardrails.
    assert list(variants["A"]["headline"]) == [
        "revenue_per_visitor",
        "fallback_rate",
        "abandonment_rate",
    ]


def test_metrics_per_day(store: Store, filled: int) -> None:
    (exp,) = _report(store, filled)["experiences"]
    days = {d["day"]: d for v in exp["variants"] if v["variant"] == "A" for d in v["days"]}
    assert set(days) == {"2024-10-04", "2024-10-05"}
    first, second = days["2024-10-04"], days["2024-10-05"]
    assert first["results"] == 3 and first["revenue"] == 30.0 and first["visitors"] == 2
    assert first["p50_latency_ms"] == 20.0 and first["p99_latency_ms"] == 30.0
    assert second["results"] == 1 and second["revenue"] == 5.0
    assert second["prompts_shown"] == 0 and second["answer_rate"] is None


def test_answer_distribution(store: Store, filled: int) -> None:
    (exp,) = _report(store, filled)["experiences"]
    choices = exp["answers"]["choices"]
    assert choices["A"]["prompt"] == {
        "Make me laugh": pytest.approx(2 / 3),
        "Thrill me": pytest.approx(1 / 3),
    }
    assert choices["A"]["followup"] == {"A classic": 1.0}
    assert exp["answers"]["themes"][0]["theme"] == "something calm"


def test_free_text_themes_group_by_meaning() -> None:
    texts = [
        ("something calm", 5),
        ("loud punk rock", 4),
        ("calm and quiet please", 3),
        ("heavy loud rock", 2),
        ("a funny comedy", 1),
    ]
    found = metrics.themes(texts, encoder())
    assert [(t["theme"], t["answers"]) for t in found] == [
        ("something calm", 8),
        ("loud punk rock", 6),
        ("a funny comedy", 1),
    ]
    assert found[0]["share"] == pytest.approx(8 / 15)
    # Without an encoder only identical answers group.
    assert len(metrics.themes(texts, None)) == 5


def test_percentiles_use_nearest_rank(store: Store, workspace: WorkspaceRecord) -> None:
    ws = workspace.id
    store.record_served(
        [_served(ws, f"r{i}", "A", f"u{i}", D0 + i, float(i)) for i in range(1, 101)]
    )
    rows = sql.served_metrics(store, ws, D0, D1, by_day=False)
    assert rows[("films", "A", -1)]["p50_latency_ms"] == 50.0
    assert rows[("films", "A", -1)]["p99_latency_ms"] == 99.0


def test_report_text_and_page(store: Store, filled: int) -> None:
    report = _report(store, filled)
    text = to_text(report, days=True)
    assert "objective revenue -> revenue_per_visitor" in text
    header = next(line for line in text.splitlines() if "variant" in line)
    assert header.index("rev/visitor") < header.index("fallback") < header.index("abandon")
    assert "2024-10-05" in text and "Make me laugh 67%" in text
    page = to_html(report)
    assert page.count("<svg") == 1 and "<polyline" in page
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "11.67" in page  # A's revenue per visitor


def test_chart_escapes_text_and_handles_no_data() -> None:
    svg = line_chart({"<b>": [("2024-01-01", 1.0)]}, title="a & b")
    assert "&lt;b&gt;" in svg and "a &amp; b" in svg
    assert "no data yet" in line_chart({}, title="empty")


def test_days_and_totals_in_one_pass_equal_two_passes(store: Store, filled: int) -> None:
    # The report asks each query family for days and totals at once; that must be exactly
    # what asking for each separately gives.
    a, b = D0 - DAY, D1 + DAY
    families = [
        lambda by_day: sql.served_metrics(store, filled, a, b, by_day=by_day),
        lambda by_day: sql.prompt_events(
            store, filled, ("prompt_shown", "prompt_abandoned"), a, b, by_day=by_day
        ),
        lambda by_day: sql.engagement(store, filled, ("click", "save"), a, b, by_day=by_day),
        lambda by_day: sql.conversions(
            store, filled, ["purchase"], window_s=24 * H, since=a, until=b, by_day=by_day
        ),
    ]
    for family in families:
        both = family("both")
        assert both == {**family(True), **family(False)}
        assert {k[2] for k in both} >= {sql.TOTAL, int(D0 // DAY)}
