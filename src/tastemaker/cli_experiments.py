"""``tastemaker experiments ...``: declare, list, stop and read experiments and the holdout.

Registered by :mod:`tastemaker.cli` (which owns error handling and exit codes); like every
command it only parses arguments and calls the library.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from tastemaker.cli import ExistingFile, Workspace, _echo_json, _engine, _store, _workspace_id
from tastemaker.errors import InvalidInput
from tastemaker.measure.design import ExperimentSpec, MetricSpec
from tastemaker.measure.service import ExperimentService

experiments_app = typer.Typer(
    help="Experiments: variants, the workspace holdout, analysis.", no_args_is_help=True
)
Json = Annotated[bool, typer.Option("--json", help="Print the full analysis as JSON.")]


def _load(path: Path) -> ExperimentSpec:
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    return ExperimentSpec.model_validate(data)


@experiments_app.command("create")
def create(file: ExistingFile, workspace: Workspace = "default") -> None:
    """Declare an experiment (YAML or JSON), or change one's variants."""
    try:
        spec = _load(file)
    except ValueError as exc:  # pydantic's ValidationError and JSON/YAML errors
        raise InvalidInput(str(exc), location=str(file)) from exc
    with _engine() as engine:
        rec = engine.save_experiment(workspace, spec)
    typer.echo(f"experiment {rec.key} on {rec.experience_key}: {rec.status}")


@experiments_app.command("list")
def list_(workspace: Workspace = "default") -> None:
    """Experiments of the workspace: key, experience, status, variants."""
    with _store() as (_, store):
        service = ExperimentService(store)
        for rec in service.list_all(_workspace_id(store, workspace)):
            names = ", ".join(v["name"] for v in rec.spec["variants"])
            typer.echo(f"{rec.key}\t{rec.experience_key}\t{rec.status}\t{names}")


@experiments_app.command("stop")
def stop(key: str, workspace: Workspace = "default") -> None:
    """Stop an experiment: everyone gets the experience as declared."""
    with _store() as (_, store):
        ExperimentService(store).set_status(_workspace_id(store, workspace), key, "stopped")
    typer.echo(f"experiment {key}: stopped")


@experiments_app.command("start")
def start(key: str, workspace: Workspace = "default") -> None:
    """Restart a stopped experiment (units keep their variants)."""
    with _store() as (_, store):
        ExperimentService(store).set_status(_workspace_id(store, workspace), key, "running")
    typer.echo(f"experiment {key}: running")


@experiments_app.command("holdout")
def holdout(
    share: Annotated[float, typer.Argument(help="Share held out, 0 to 0.5.")],
    workspace: Workspace = "default",
) -> None:
    """Set the workspace holdout: people who never see prompted personalization."""
    with _store() as (_, store):
        rec = ExperimentService(store).set_holdout(_workspace_id(store, workspace), share)
    typer.echo(f"holdout: {rec.share:.1%} of people")


@experiments_app.command("report")
def report(
    key: Annotated[str, typer.Argument(help="Experiment key, or 'holdout'.")],
    workspace: Workspace = "default",
    event: Annotated[str, typer.Option(help="Holdout metric: event type.")] = "purchase",
    as_json: Json = False,
) -> None:
    """The analysis: lift with intervals per metric, SRM check, and the decision."""
    with _store() as (_, store):
        service = ExperimentService(store)
        ws_id = _workspace_id(store, workspace)
        if key == "holdout":
            out = service.analyse_holdout(ws_id, MetricSpec(event=event))
        else:
            out = service.analyse(ws_id, key)
    if as_json:
        _echo_json(out)
        return
    typer.echo(_render(out))


def _pct(v: Any) -> str:
    return "n/a" if v is None or not math.isfinite(v) else f"{v:+.1%}"


def _render(out: dict[str, Any]) -> str:
    lines = [f"experiment {out['experiment']} on {out['experience']} ({out['status']})"]
    units = ", ".join(f"{v['name']} {v['units']}" for v in out["variants"])
    lines.append(f"units: {units}")
    if out["srm"]["alarm"]:
        lines.append(f"SRM ALARM (p = {out['srm']['p_value']:.2g}): {out['srm']['message']}")
    for r in out["results"]:
        lo, hi = r["lift_ci"]
        p = "n/a" if r["p_value"] is None else f"{r['p_value']:.3g}"
        seq = "yes" if r["sequential"]["significant"] else "no"
        lines.append(
            f"  {r['role']:9s} {r['metric']:16s} {r['variant']:12s} lift {_pct(r['lift'])} "
            f"[{_pct(lo)}, {_pct(hi)}]  p={p}  always-valid significant: {seq}"
            + (f"  ({r['message']})" if r["message"] else "")
        )
    for d in out["decisions"]:
        lines.append(f"{d['variant']}: {d['decision'].upper()} ({d['reason']})")
    return "\n".join(lines)
