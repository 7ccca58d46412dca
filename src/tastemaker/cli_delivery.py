"""CLI commands for channels and syndication: ``render``, ``webhooks``, ``deliveries``,
``subscribe`` and ``refresh``. Registered on the root app by :mod:`tastemaker.cli`.

Like the rest of the CLI they only parse and call the library (:class:`Syndication`, the
engine, the channel renderers); library errors become exit codes in the root group. This
module imports nothing from ``cli.py`` so that either can be imported first.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer

from tastemaker.errors import InvalidInput
from tastemaker.settings import Settings
from tastemaker.store import Store

if TYPE_CHECKING:
    from tastemaker.syndication.service import Syndication

Workspace = Annotated[
    str, typer.Option("--workspace", "-w", help="Workspace slug.", envvar="TASTEMAKER_WORKSPACE")
]
AnyWorkspace = Annotated[
    str | None,
    typer.Option("--workspace", "-w", help="Only this workspace (default: every workspace)."),
]
Now = Annotated[
    str | None,
    typer.Option(help="Act as if it were this moment (epoch seconds or ISO 8601); for replays."),
]

webhooks_app = typer.Typer(
    help="Webhook destinations: add, list, rotate keys.", no_args_is_help=True
)
deliveries_app = typer.Typer(
    help="The delivery queue: list, show receipts, replay dead letters, run the worker.",
    no_args_is_help=True,
)


def _echo(data: Any) -> None:
    typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY))


def _clock(now: str | None) -> Any:
    if now is None:
        return time.time
    try:
        fixed = float(now)
    except ValueError:
        try:
            fixed = datetime.fromisoformat(now.replace("Z", "+00:00")).timestamp()
        except ValueError:
            raise InvalidInput("give epoch seconds or an ISO 8601 time", field="now") from None
    return lambda: fixed


@contextmanager
def _syndication(now: str | None = None) -> Iterator[Syndication]:
    from tastemaker.engine import Engine
    from tastemaker.syndication.service import Syndication

    settings = Settings.from_env()
    store = Store(settings.database_url)
    engine = Engine(store, settings)
    try:
        yield Syndication(engine, clock=_clock(now))
    finally:
        engine.close()
        store.close()


@webhooks_app.command("add")
def webhooks_add(
    name: Annotated[str, typer.Argument(help="A short name, e.g. cms.")],
    url: Annotated[str, typer.Argument(help="Where to POST (http or https).")],
    channel: Annotated[
        list[str] | None, typer.Option("--channel", "-c", help="web, landing, email, ads...")
    ] = None,
    workspace: Workspace = "default",
) -> None:
    """Register a destination; prints its signing secret (shown this once)."""
    with _syndication() as syn:
        rec, secret = syn.add_webhook(workspace, name, url, channel or ["json"])
    _echo({**rec.public(), "secret": secret})


@webhooks_app.command("list")
def webhooks_list(workspace: Workspace = "default") -> None:
    with _syndication() as syn:
        _echo([h.public() for h in syn.list_webhooks(workspace)])


@webhooks_app.command("rotate")
def webhooks_rotate(name: str, workspace: Workspace = "default") -> None:
    """Add a new secret; old and new both sign until `webhooks retire`."""
    with _syndication() as syn:
        rec, secret = syn.rotate(workspace, name)
    _echo({**rec.public(), "secret": secret})


@webhooks_app.command("retire")
def webhooks_retire(name: str, workspace: Workspace = "default") -> None:
    """End a rotation: keep only the newest secret."""
    with _syndication() as syn:
        _echo(syn.retire_old_secrets(workspace, name).public())


@webhooks_app.command("pause")
def webhooks_pause(name: str, workspace: Workspace = "default") -> None:
    with _syndication() as syn:
        _echo(syn.set_active(workspace, name, False).public())


@webhooks_app.command("resume")
def webhooks_resume(name: str, workspace: Workspace = "default") -> None:
    with _syndication() as syn:
        _echo(syn.set_active(workspace, name, True).public())


@deliveries_app.command("list")
def deliveries_list(
    status: Annotated[str | None, typer.Option(help="pending, delivered or dead.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    workspace: Workspace = "default",
) -> None:
    """The queue, newest first; `--status dead` is the dead-letter list."""
    with _syndication() as syn:
        _echo([d.public() for d in syn.deliveries(workspace, status, limit)])


@deliveries_app.command("show")
def deliveries_show(msg_id: str, workspace: Workspace = "default") -> None:
    """One delivery with its receipts."""
    with _syndication() as syn:
        _echo(syn.delivery(workspace, msg_id).public())


@deliveries_app.command("replay")
def deliveries_replay(
    msg_ids: Annotated[list[str] | None, typer.Argument(help="Message ids to replay.")] = None,
    all_dead: Annotated[bool, typer.Option("--all", help="Replay every dead letter.")] = False,
    workspace: Workspace = "default",
) -> None:
    """Requeue dead letters; the next worker pass sends them."""
    if not msg_ids and not all_dead:
        raise InvalidInput("name message ids or pass --all", field="msg_ids")
    with _syndication() as syn:
        n = syn.replay(workspace, None if all_dead else msg_ids)
    typer.echo(f"replayed: {n}")


@deliveries_app.command("run")
def deliveries_run(
    loop: Annotated[bool, typer.Option(help="Keep polling until interrupted.")] = False,
    interval: Annotated[float, typer.Option(min=0.1, help="Seconds between passes.")] = 5.0,
    now: Now = None,
    workspace: AnyWorkspace = None,
) -> None:
    """Send what is due (one pass, or forever with --loop); prints each pass's counts."""
    with _syndication(now) as syn:
        worker = syn.deliverer(workspace)
        try:
            while True:
                _echo(worker.run_once().as_dict())
                if not loop:
                    break
                time.sleep(interval)
        except KeyboardInterrupt:
            pass
        finally:
            worker.close()


def subscribe(
    key: Annotated[str, typer.Argument(help="The experience key.")],
    user: Annotated[str, typer.Option(help="The person's user id.")],
    choice: Annotated[str | None, typer.Option()] = None,
    text: Annotated[str | None, typer.Option()] = None,
    cadence: Annotated[str, typer.Option(help="daily or weekly.")] = "weekly",
    workspace: Workspace = "default",
    now: Now = None,
) -> None:
    """Save a person's answer to be refreshed on a schedule and pushed to the webhooks."""
    with _syndication(now) as syn:
        rec = syn.subscribe(workspace, key, user_id=user, choice=choice, text=text, cadence=cadence)
    _echo(rec.public())


def refresh(
    now: Now = None,
    send: Annotated[bool, typer.Option(help="Also run one delivery pass.")] = True,
    workspace: AnyWorkspace = None,
) -> None:
    """Refresh every saved prompt that is due and push the results."""
    with _syndication(now) as syn:
        results = syn.refresh(workspace)
        sent = None
        if send:
            worker = syn.deliverer(workspace)
            try:
                sent = worker.run_once().as_dict()
            finally:
                worker.close()
    _echo(
        {
            "refreshed": [
                {
                    "workspace": r.workspace,
                    "user_id": r.user_id,
                    "experience": r.experience,
                    "request_id": r.request_id,
                    "items": r.items,
                    "msg_ids": r.msg_ids,
                    "error": r.error,
                }
                for r in results
            ],
            "deliveries": sent,
        }
    )


def render(
    key: Annotated[str, typer.Argument(help="The experience key.")],
    channel: Annotated[
        list[str] | None,
        typer.Option("--channel", "-c", help="web, landing, email, ads, message, json."),
    ] = None,
    user: Annotated[str | None, typer.Option()] = None,
    choice: Annotated[str | None, typer.Option()] = None,
    text: Annotated[str | None, typer.Option()] = None,
    workspace: Workspace = "default",
) -> None:
    """Answer one request in-process and print it rendered for each channel."""
    from tastemaker.channels import formats
    from tastemaker.channels.spec import CHANNELS

    with _syndication() as syn:
        engine = syn.engine
        answer = engine.answer(workspace, key, user_id=user, choice=choice, text=text)
        spec = engine.get_experience(workspace, key)
        wanted = channel or list(CHANNELS)
        _echo({c: formats.render(answer, spec, c) for c in wanted})


def register(app: typer.Typer) -> None:
    """Add the commands to the root ``tastemaker`` app."""
    app.add_typer(webhooks_app, name="webhooks")
    app.add_typer(deliveries_app, name="deliveries")
    app.command("subscribe")(subscribe)
    app.command("refresh")(refresh)
    app.command("render")(render)
