"""``tastemaker report``: the measure report in the terminal (or as JSON, or as an HTML page).

A module of its own, registered by ``cli.py``, so the measure area's commands do not grow the
core CLI; library errors still become exit codes in ``cli.py``'s one handler.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import orjson
import typer

Workspace = Annotated[
    str, typer.Option("--workspace", "-w", help="Workspace slug.", envvar="TASTEMAKER_WORKSPACE")
]


def report(
    workspace: Workspace,
    days: Annotated[int, typer.Option(min=1, max=366, help="The last N UTC days.")] = 30,
    experience: Annotated[
        str | None, typer.Option("--experience", "-e", help="Only this experience.")
    ] = None,
    by_day: Annotated[bool, typer.Option("--by-day", help="A row per day, too.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    html: Annotated[
        Path | None, typer.Option(dir_okay=False, help="Also write the HTML page with its chart.")
    ] = None,
) -> None:
    """Metrics per experience and variant: objective and guardrails first, then the rest."""
    from tastemaker.engine import Engine
    from tastemaker.measure.metrics import workspace_report
    from tastemaker.measure.report import to_html, to_text
    from tastemaker.settings import Settings
    from tastemaker.store import Store

    settings = Settings.from_env()
    store = Store(settings.database_url)
    engine = Engine(store, settings)
    try:
        data = workspace_report(engine, workspace, days=days, experience=experience)
    finally:
        engine.close()
        store.close()
    if as_json:
        typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
    else:
        typer.echo(to_text(data, days=by_day), nl=False)
    if html is not None:
        html.write_text(to_html(data), encoding="utf-8")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
