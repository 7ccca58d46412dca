"""CLI commands for editorial control: ``review``, ``rollback``, ``versions``, ``brand-kit``,
``audit``. Registered on the main app by :func:`register`; like the rest of the CLI they parse
arguments and call the library. The actor written to the audit log is ``cli:<user>`` (the login
name, or ``TASTEMAKER_ACTOR`` when set, e.g. by a deploy script).
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from pydantic import ValidationError

from tastemaker.cli import ExistingFile, Workspace, _echo_json, _engine
from tastemaker.errors import InvalidInput, NotFound

review_app = typer.Typer(help="The copy review queue: list, approve, edit, reject.")
rollback_app = typer.Typer(help="Make an old version current again (saved as a new version).")
brand_app = typer.Typer(help="The workspace's brand kit (versioned).")

Version = Annotated[int, typer.Option("--to", min=1, help="The version to make current again.")]


def actor() -> str:
    """Who is running the command, for the audit log."""
    explicit = os.environ.get("TASTEMAKER_ACTOR")
    if explicit:
        return explicit
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name in some containers
        return "cli:unknown"


def _ws_id(engine: Any, workspace: str) -> int:
    return int(engine.workspace(workspace).id)


@review_app.command("list")
def review_list(
    workspace: Workspace = "default",
    status: Annotated[str, typer.Option(help="pending, approved or rejected.")] = "pending",
    limit: Annotated[int, typer.Option(min=1)] = 100,
) -> None:
    """Copy waiting for an editor (oldest first), as JSON lines."""
    from tastemaker.store import editorial as db

    with _engine() as engine:
        rows = db.list_reviews(engine.store, _ws_id(engine, workspace), status=status, limit=limit)
    for row in rows:
        p = row.final or row.proposed  # what an editor approved, once they have
        typer.echo(
            f"{row.id}\t{row.experience_key}\t{row.answer_text}\t{', '.join(row.reasons)}\t"
            f"{p['title']} | {p['description']} | {p['cta']}"
        )


def _decide(workspace: str, review_id: int, status: str, final: dict[str, Any] | None) -> None:
    from tastemaker.store import editorial as db

    with _engine() as engine:
        rec = db.decide_review(
            engine.store,
            _ws_id(engine, workspace),
            review_id,
            "approved" if status == "approved" else "rejected",
            actor=actor(),
            final=final,
        )
    _echo_json(rec.public())


@review_app.command("approve")
def review_approve(review_id: int, workspace: Workspace = "default") -> None:
    """Approve copy as written; the same answer gets it from now on."""
    _decide(workspace, review_id, "approved", None)


@review_app.command("edit")
def review_edit(
    review_id: int,
    workspace: Workspace = "default",
    title: Annotated[str | None, typer.Option(help="New title.")] = None,
    description: Annotated[str | None, typer.Option(help="New description.")] = None,
    cta: Annotated[str | None, typer.Option(help="New call to action.")] = None,
) -> None:
    """Approve your own version of the copy (fields not given keep the proposed words)."""
    from tastemaker.pipeline.guard import MAX_CTA, MAX_DESCRIPTION, MAX_TITLE
    from tastemaker.store import editorial as db

    if title is None and description is None and cta is None:
        raise InvalidInput("give at least one of --title, --description, --cta", field="title")
    with _engine() as engine:
        rows = db.list_reviews(engine.store, _ws_id(engine, workspace), status=None, limit=100_000)
    row = next((r for r in rows if r.id == review_id), None)
    if row is None:
        raise NotFound(f"review item {review_id} does not exist")
    final = {
        "title": title or row.proposed["title"],
        "description": description or row.proposed["description"],
        "cta": cta or row.proposed["cta"],
    }
    for name, limit in (("title", MAX_TITLE), ("description", MAX_DESCRIPTION), ("cta", MAX_CTA)):
        if len(final[name]) > limit:
            raise InvalidInput(f"at most {limit} characters", field=name)
    _decide(workspace, review_id, "approved", final)


@review_app.command("reject")
def review_reject(review_id: int, workspace: Workspace = "default") -> None:
    """Reject copy; the answer keeps getting freshly written copy."""
    _decide(workspace, review_id, "rejected", None)


def _rollback(workspace: str, kind: str, key: str, to: int) -> None:
    with _engine() as engine:
        version = engine.rollback(workspace, kind, key, to, actor=actor())
    typer.echo(f"{kind} {key}: version {to} is current again as version {version}")


@rollback_app.command("experience")
def rollback_experience(key: str, to: Version, workspace: Workspace = "default") -> None:
    """Roll an experience back to an earlier version."""
    _rollback(workspace, "experience", key, to)


@rollback_app.command("brand-kit")
def rollback_brand_kit(to: Version, workspace: Workspace = "default") -> None:
    """Roll the brand kit back to an earlier version."""
    from tastemaker.editorial import BRAND_KIT_KEY

    _rollback(workspace, "brand_kit", BRAND_KIT_KEY, to)


@rollback_app.command("template")
def rollback_template(key: str, to: Version, workspace: Workspace = "default") -> None:
    """Roll a template back to an earlier version."""
    _rollback(workspace, "template", key, to)


def versions(
    kind: Annotated[str, typer.Argument(help="experience, brand_kit or template.")],
    key: Annotated[str, typer.Argument(help="Its key ('default' for the brand kit).")],
    workspace: Workspace = "default",
) -> None:
    """Every saved version, newest first: version, when, by whom."""
    from tastemaker.store import editorial as db

    with _engine() as engine:
        rows = db.list_versions(engine.store, _ws_id(engine, workspace), kind, key)
    if not rows:
        raise NotFound(f"no {kind} {key!r}")
    for r in rows:
        typer.echo(f"{r.version}\t{r.created_at:.0f}\t{r.created_by or '-'}")


@brand_app.command("set")
def brand_set(file: ExistingFile, workspace: Workspace = "default") -> None:
    """Save the brand kit from a YAML or JSON file (a change makes a new version)."""
    from tastemaker.brandkit import BrandKit
    from tastemaker.editorial import BRAND_KIT_KEY
    from tastemaker.store import editorial as db

    try:
        kit = BrandKit.model_validate(yaml.safe_load(Path(file).read_text("utf-8")))
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or None
        raise InvalidInput(str(err["msg"]), field=field, location=file.name) from exc
    with _engine() as engine:
        version = db.save_version(
            engine.store,
            _ws_id(engine, workspace),
            "brand_kit",
            BRAND_KIT_KEY,
            kit.model_dump(mode="json", exclude_defaults=True),
            actor=actor(),
        )
    typer.echo(f"brand kit: version {version}")


@brand_app.command("show")
def brand_show(workspace: Workspace = "default") -> None:
    """Print the current brand kit."""
    from tastemaker.editorial import BRAND_KIT_KEY
    from tastemaker.store import editorial as db

    with _engine() as engine:
        rec = db.get_version(engine.store, _ws_id(engine, workspace), "brand_kit", BRAND_KIT_KEY)
    if rec is None:
        raise NotFound("this workspace has no brand kit yet")
    _echo_json({"version": rec.version, "brand_kit": rec.body})


def audit(
    workspace: Workspace = "default",
    limit: Annotated[int, typer.Option(min=1)] = 50,
    action: Annotated[str | None, typer.Option(help="Only this action.")] = None,
) -> None:
    """Who changed what, when (newest first): time, actor, action, target, detail."""
    import datetime as dt

    import orjson

    from tastemaker.store import editorial as db

    with _engine() as engine:
        rows = db.list_audit(engine.store, _ws_id(engine, workspace), limit=limit, action=action)
    for r in rows:
        when = dt.datetime.fromtimestamp(r.ts, dt.UTC).isoformat(timespec="seconds")
        detail = orjson.dumps(r.detail).decode() if r.detail else ""
        typer.echo(f"{when}\t{r.actor}\t{r.action}\t{r.target}\t{detail}")


def register(app: typer.Typer) -> None:
    app.add_typer(review_app, name="review", no_args_is_help=True)
    app.add_typer(rollback_app, name="rollback", no_args_is_help=True)
    app.add_typer(brand_app, name="brand-kit", no_args_is_help=True)
    app.command("versions")(versions)
    app.command("audit")(audit)
