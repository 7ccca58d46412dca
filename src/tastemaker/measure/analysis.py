"""An experiment's analysis, as one JSON-ready dict: what the API and CLI show.

Per metric and treatment (against the first variant, the control): the fixed-horizon test
(CUPED-adjusted when the units have pre-exposure data for the metric, which only removes
variance), the always-valid hybrid reading (:mod:`tastemaker.measure.sequential`, designed from
the experiment's planned units), Holm-adjusted p-values across every guardrail comparison (several
metrics must not multiply the chance of a false alarm) and Benjamini-Hochberg ones across all
comparisons for the curious; then the sample-ratio check and one decision per treatment.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from tastemaker.measure.design import ExperimentSpec, MetricSpec
from tastemaker.measure.sequential import SequentialDesign, sequential_reading
from tastemaker.measure.stats import (
    PairedStats,
    SampleStats,
    TestResult,
    cuped_test,
    means_test,
    proportions_test,
)
from tastemaker.measure.verdict import benjamini_hochberg, decide, holm, srm_check
from tastemaker.store.experiments import ExperimentStore, VariantTotals


def paired(t: VariantTotals | None) -> PairedStats:
    """A variant's totals from SQL as the statistics the tests take (none yet: empty)."""
    if t is None:
        return PairedStats()
    return PairedStats(t.n, t.sum_x, t.sum_y, t.sum_xx, t.sum_yy, t.sum_xy)


def compare(
    metric: MetricSpec, control: PairedStats, treatment: PairedStats, alpha: float
) -> TestResult:
    """CUPED when there is pre-exposure variation, else the plain test for the metric's kind."""
    pooled = control + treatment
    if pooled.x.variance > 0:
        return cuped_test(control, treatment, alpha=alpha, metric=metric.name)
    if metric.kind == "conversion":
        c = SampleStats.proportion(int(control.sum_y), control.n)
        t = SampleStats.proportion(int(treatment.sum_y), treatment.n)
        return proportions_test(c, t, alpha=alpha, metric=metric.name)
    return means_test(control.y, treatment.y, alpha=alpha, metric=metric.name)


def analyse(
    db: ExperimentStore, ws_id: int, key: str, spec: ExperimentSpec, *, until: float | None = None
) -> dict[str, Any]:
    names = [v.name for v in spec.variants]
    control, treatments = names[0], names[1:]
    design = SequentialDesign(planned_n=spec.planned_units, alpha=spec.alpha)
    counts = db.exposure_counts(ws_id, key)
    srm = srm_check([counts.get(n, 0) for n in names], [v.weight for v in spec.variants])
    metrics = [("primary", spec.metric)] + [("guardrail", g) for g in spec.guardrails]
    results: list[tuple[str, str, TestResult]] = []  # (role, variant, result)
    directions: list[bool] = []  # per result: is higher better for its metric
    for role, m in metrics:
        totals = db.metric_totals(ws_id, key, m.event, kind=m.kind, until=until)
        base = paired(totals.get(control))
        for v in treatments:
            results.append((role, v, compare(m, base, paired(totals.get(v)), spec.alpha)))
            directions.append(m.higher_is_better)
    guard_idx = [
        i for i, r in enumerate(results) if r[0] == "guardrail" and r[2].p_value is not None
    ]
    holm_adj = dict(
        zip(guard_idx, holm([results[i][2].p_value or 1.0 for i in guard_idx]), strict=True)
    )
    all_idx = [i for i, r in enumerate(results) if r[2].p_value is not None]
    bh_adj = dict(
        zip(
            all_idx,
            benjamini_hochberg([results[i][2].p_value or 1.0 for i in all_idx]),
            strict=True,
        )
    )
    out_metrics: list[dict[str, Any]] = []
    decisions: list[dict[str, str]] = []
    for v in treatments:
        primary: TestResult | None = None
        reading = None
        guards: list[TestResult] = []
        ups: list[bool] = []
        for i, (role, variant, res) in enumerate(results):
            if variant != v:
                continue
            seq = sequential_reading(res, design)
            row = {"role": role, "variant": v, **res.as_dict(), "sequential": seq.as_dict()}
            row["p_bh"] = bh_adj.get(i)
            if role == "guardrail":
                row["p_holm"] = holm_adj.get(i)
                if i in holm_adj:
                    guards.append(dataclasses.replace(res, p_value=holm_adj[i]))
                    ups.append(directions[i])
            else:
                primary, reading = res, seq
            out_metrics.append(row)
        assert primary is not None and reading is not None
        d = decide(
            primary,
            guards,
            srm=srm,
            higher_is_better=spec.metric.higher_is_better,
            guardrails_higher_is_better=ups,
            significant=reading.significant,
        )
        decisions.append({"variant": v, "decision": d.decision, "reason": d.reason})
    return {
        "experiment": key,
        "experience": spec.experience,
        "control": control,
        "variants": [
            {"name": v.name, "weight": v.weight, "units": counts.get(v.name, 0)}
            for v in spec.variants
        ],
        "design": {
            "planned_units": spec.planned_units,
            "alpha": spec.alpha,
            "alpha_sequential": design.alpha_sequential,
            "alpha_final": design.alpha_final,
        },
        "srm": {
            "p_value": srm.p_value,
            "alarm": srm.alarm,
            "message": srm.message,
        },
        "results": out_metrics,
        "decisions": decisions,
    }
