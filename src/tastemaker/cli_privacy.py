"""The privacy commands: consent, memory, policy, export, erase and maintain.

Kept out of ``cli.py`` so the area's commands live together; :func:`register` adds them to the
root app. Like every command, they parse and call the library (:mod:`tastemaker.privacy`);
errors become exit codes in the root group.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from tastemaker.errors import InvalidInput

# Defined here rather than imported from cli.py, which imports this module to register it.
Workspace = Annotated[
    str, typer.Option("--workspace", "-w", help="Workspace slug.", envvar="TASTEMAKER_WORKSPACE")
]


@contextmanager
def _engine() -> Iterator[Any]:
    from tastemaker.cli import _engine as engine_context

    with engine_context() as engine:
        yield engine


def _echo_json(data: Any) -> None:
    typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY))


consent_app = typer.Typer(help="Show or change a person's consent.", no_args_is_help=True)
memory_app = typer.Typer(help="What is remembered about a person.", no_args_is_help=True)
policy_app = typer.Typer(help="The workspace's retention periods and consent defaults.")

User = Annotated[str, typer.Argument(help="The person's user id.")]
Purposes = Annotated[
    list[str] | None, typer.Option(help="A purpose: history, memory or marketing. Repeatable.")
]


@consent_app.command("show")
def consent_show(user_id: User, workspace: Workspace = "default") -> None:
    """Where the person stands on each purpose."""
    with _engine() as engine:
        _echo_json(engine.privacy.consent(workspace, user_id))


@consent_app.command("history")
def consent_history(user_id: User, workspace: Workspace = "default") -> None:
    """Every consent change the person made: purpose, granted, source, time."""
    with _engine() as engine:
        _echo_json(engine.privacy.consent_history(workspace, user_id))


@consent_app.command("set")
def consent_set(
    user_id: User,
    grant: Purposes = None,
    revoke: Purposes = None,
    source: Annotated[str, typer.Option(help="Where the person said it.")] = "cli",
    workspace: Workspace = "default",
) -> None:
    """Record consent given (--grant) or withdrawn (--revoke); prints the new state."""
    changes: dict[str, Any] = {p: True for p in grant or []}
    for p in revoke or []:
        if p in changes:
            raise InvalidInput(f"{p!r} is both granted and revoked", field="purpose")
        changes[p] = False
    with _engine() as engine:
        _echo_json(engine.privacy.set_consent(workspace, user_id, changes, source=source))


@memory_app.command("list")
def memory_list(user_id: User, workspace: Workspace = "default") -> None:
    """What we remember about the person."""
    with _engine() as engine:
        _echo_json([p.to_json() for p in engine.privacy.memory(workspace, user_id)])


@memory_app.command("forget")
def memory_forget(
    user_id: User,
    preference_id: Annotated[int, typer.Argument(help="The id shown by `memory list`.")],
    workspace: Workspace = "default",
) -> None:
    """Forget one remembered fact."""
    with _engine() as engine:
        engine.privacy.forget(workspace, user_id, preference_id)
    typer.echo(f"forgot {preference_id}")


@policy_app.callback(invoke_without_command=True)
def policy(
    events_days: Annotated[int | None, typer.Option(min=1, help="Keep raw events N days.")] = None,
    answers_days: Annotated[int | None, typer.Option(min=1, help="Keep answers N days.")] = None,
    memory_days: Annotated[
        int | None, typer.Option(min=1, help="Remembered facts expire after N days.")
    ] = None,
    workspace: Workspace = "default",
) -> None:
    """Show the policy, or change the periods given."""
    changes = {
        k: v
        for k, v in {
            "events_days": events_days,
            "answers_days": answers_days,
            "memory_days": memory_days,
        }.items()
        if v is not None
    }
    with _engine() as engine:
        p = (
            engine.privacy.set_policy(workspace, **changes)
            if changes
            else engine.privacy.policy(workspace)
        )
    _echo_json(p.to_json())


def export(
    user_id: User,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file.")] = None,
    workspace: Workspace = "default",
) -> None:
    """Everything held about a person, as one JSON document."""
    with _engine() as engine:
        doc = engine.privacy.export(workspace, user_id)
    if out is None:
        _echo_json(doc)
    else:
        out.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
        typer.echo(f"wrote {out}")


def erase(
    user_id: User,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    refit: Annotated[bool, typer.Option(help="Refit the model snapshot without them.")] = True,
    workspace: Workspace = "default",
) -> None:
    """Erase a person from every table, cache and the model; prints the receipt."""
    if not yes:
        typer.confirm(f"Erase {user_id!r} from workspace {workspace!r}?", abort=True)
    with _engine() as engine:
        _echo_json(engine.privacy.erase(workspace, user_id, refit=refit))


def maintain(
    workspace: Annotated[
        str | None, typer.Option("--workspace", "-w", help="One workspace (default: all).")
    ] = None,
) -> None:
    """Apply retention: delete events, answers and memories older than each policy allows;
    then build the report's daily rollups of the days closed or changed since the last run."""
    from tastemaker.measure.metrics import refresh_rollups

    with _engine() as engine:
        out = engine.privacy.maintain(workspace)
        for slug, counts in out.items():
            counts["report_days_built"] = refresh_rollups(engine, slug)
        _echo_json(out)


def register(app: typer.Typer) -> None:
    app.add_typer(consent_app, name="consent")
    app.add_typer(memory_app, name="memory")
    app.add_typer(policy_app, name="policy")
    app.command()(export)
    app.command()(erase)
    app.command()(maintain)
