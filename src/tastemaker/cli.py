"""The ``tastemaker`` command line: it parses arguments and calls the library, nothing more.

Every command reads :meth:`Settings.from_env` (``TASTEMAKER_DATABASE_URL``,
``TASTEMAKER_DATA_DIR``, ...), so the CLI, the server and a script see the same database.

Errors from the library (:class:`~tastemaker.errors.TastemakerError`) become a one-line message
on stderr and the error's ``exit_code`` in exactly one place, :class:`_Group`, so no command has
its own ``try``. ``tastemaker answer`` answers one request in-process and prints the JSON the API
would return, which makes the engine scriptable and testable without a server.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from pydantic import ValidationError
from tqdm import tqdm
from typer.core import TyperGroup

from tastemaker import cli_report
from tastemaker.cli_delivery import register as register_delivery
from tastemaker.errors import InvalidInput, NotFound, TastemakerError
from tastemaker.settings import Settings
from tastemaker.store import Store

FACTORY = "tastemaker.api.app:create_app_from_env"


class _Group(TyperGroup):
    """The root command group; the one place where library errors become exit codes."""

    # typer vendors click as ``typer._click``; its Context is the one the group is given.
    def invoke(self, ctx: typer._click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TastemakerError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from exc


app = typer.Typer(
    cls=_Group,
    name="tastemaker",
    help="Prompt-driven personalization: ask one short question, answer with a result made "
    "for the person.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
ingest_app = typer.Typer(help="Load items or events from CSV or JSONL files.", no_args_is_help=True)
experiences_app = typer.Typer(help="Create and list experiences.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")
app.add_typer(experiences_app, name="experiences")
cli_report.register(app)

Workspace = Annotated[
    str, typer.Option("--workspace", "-w", help="Workspace slug.", envvar="TASTEMAKER_WORKSPACE")
]
ExistingFile = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]


def _echo_json(data: Any) -> None:
    typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY))


@contextmanager
def _store(*, migrate: bool = False) -> Iterator[tuple[Settings, Store]]:
    settings = Settings.from_env()
    settings.data_dir.mkdir(parents=True, exist_ok=True)  # the default SQLite file lives here
    store = Store(settings.database_url)
    try:
        if migrate:
            store.migrate()
        yield settings, store
    finally:
        store.close()


@contextmanager
def _engine() -> Iterator[Any]:
    from tastemaker.engine import Engine  # heavy (numpy, encoders): only for commands that need it

    with _store() as (settings, store):
        engine = Engine(store, settings)
        try:
            yield engine
        finally:
            engine.close()


def _workspace_id(store: Store, slug: str) -> int:
    ws = store.get_workspace(slug)
    if ws is None:
        raise NotFound(
            f"no workspace {slug!r}; create it with `tastemaker init --workspace {slug}`"
        )
    return ws.id


class _Progress:
    """Adapts the ingest progress callback (cumulative rows) to a tqdm bar on stderr."""

    def __init__(self, label: str) -> None:
        self.bar = tqdm(desc=label, unit=" rows", unit_scale=True, file=sys.stderr, leave=False)

    def __call__(self, done: int) -> None:
        self.bar.update(done - self.bar.n)


@contextmanager
def _progress(label: str) -> Iterator[_Progress]:
    """A progress bar that is closed however the import ends."""
    progress = _Progress(label)
    try:
        yield progress
    finally:
        progress.bar.close()


def _ingest(kind: str, path: Path, workspace: str, skip_invalid: bool) -> None:
    from tastemaker.ingest import ingest_events_file, ingest_items_file

    ingest = ingest_items_file if kind == "items" else ingest_events_file
    with _store() as (_, store):
        ws_id = _workspace_id(store, workspace)
        with _progress(path.name) as progress:
            report = ingest(store, ws_id, path, skip_invalid=skip_invalid, progress=progress)
    for message in report.errors:
        typer.echo(f"skipped: {message}", err=True)
    typer.echo(
        f"{kind}: {report.stored} stored, {report.rows} valid rows, {report.skipped} skipped"
    )


@app.command()
def init(
    workspace: Workspace = "default",
    name: Annotated[str | None, typer.Option(help="Display name of the workspace.")] = None,
) -> None:
    """Create or upgrade the database, create the workspace if new, and mint its two keys.

    Keys are stored hashed and shown only here; running init again mints a fresh pair.
    """
    with _store(migrate=True) as (_, store):
        if store.get_workspace(workspace) is None:
            store.create_workspace(workspace, name or workspace)
        public = store.create_api_key(workspace, "public")
        admin = store.create_api_key(workspace, "admin")
    typer.echo(f"workspace: {workspace}")
    typer.echo(f"public key: {public}")
    typer.echo(f"admin key: {admin}")


@ingest_app.command("items")
def ingest_items(
    file: ExistingFile,
    workspace: Workspace = "default",
    skip_invalid: Annotated[
        bool, typer.Option(help="Store the valid rows and report the invalid ones.")
    ] = False,
) -> None:
    """Upsert items from a CSV or JSONL file (all or nothing unless --skip-invalid)."""
    _ingest("items", file, workspace, skip_invalid)


@ingest_app.command("events")
def ingest_events(
    file: ExistingFile,
    workspace: Workspace = "default",
    skip_invalid: Annotated[
        bool, typer.Option(help="Store the valid rows and report the invalid ones.")
    ] = False,
) -> None:
    """Insert events from a CSV or JSONL file; re-sent events are ignored."""
    _ingest("events", file, workspace, skip_invalid)


@app.command("import-movielens")
def import_movielens(
    folder: Annotated[Path, typer.Argument(exists=True, file_okay=False)],
    workspace: Workspace = "default",
    skip_invalid: Annotated[
        bool, typer.Option(help="Store the valid rows and report the invalid ones.")
    ] = False,
) -> None:
    """Import a MovieLens-format folder (movies.csv, ratings.csv, tags.csv) into a workspace."""
    from tastemaker.movielens import import_movielens as run_import

    with _store() as (_, store):
        ws_id = _workspace_id(store, workspace)
        with _progress(folder.name) as progress:
            report = run_import(store, ws_id, folder, skip_invalid=skip_invalid, progress=progress)
    for message in report.errors:
        typer.echo(f"skipped: {message}", err=True)
    typer.echo(
        f"movielens: {report.items} items, {report.ratings} ratings, {report.tags} tags stored "
        f"({report.movies_read} movies read)"
    )


@experiences_app.command("create")
def experiences_create(file: ExistingFile, workspace: Workspace = "default") -> None:
    """Create or update an experience from a YAML or JSON file (a change makes a new version)."""
    from tastemaker.experiences import load_spec

    try:
        spec = load_spec(file)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or None
        raise InvalidInput(str(err["msg"]), field=field, location=file.name) from exc
    with _engine() as engine:
        version = engine.save_experience(workspace, spec, actor=_actor())
    typer.echo(f"{spec.key}: version {version}")


@experiences_app.command("list")
def experiences_list(workspace: Workspace = "default") -> None:
    """List the workspace's experiences: key, prompt kind, name."""
    with _engine() as engine:
        specs = engine.list_experiences(workspace)
    for spec in specs:
        typer.echo(f"{spec.key}\t{spec.prompt.kind}\t{spec.name}")


@app.command()
def fit(workspace: Workspace = "default") -> None:
    """Build the workspace's model snapshot from its items and events; prints the report."""
    with _engine() as engine:
        report = engine.fit(workspace, actor=_actor())
    _echo_json(report)


@app.command()
def answer(
    key: Annotated[str, typer.Argument(help="The experience key.")],
    workspace: Workspace = "default",
    user: Annotated[str | None, typer.Option(help="The user id, for history.")] = None,
    choice: Annotated[str | None, typer.Option(help="The chosen choice id.")] = None,
    text: Annotated[str | None, typer.Option(help="Free-text answer.")] = None,
    hour: Annotated[int | None, typer.Option(min=0, max=23, help="Local hour, 0-23.")] = None,
    device: Annotated[str | None, typer.Option(help="mobile, desktop, tablet...")] = None,
    variant: Annotated[str, typer.Option(help="Experiment variant.")] = "default",
) -> None:
    """Answer one request in-process and print the JSON the API would return."""
    from tastemaker.types import RequestContext

    context = None
    if hour is not None or device is not None:
        context = RequestContext(hour=hour, device=device)
    with _engine() as engine:
        result = engine.answer(
            workspace,
            key,
            user_id=user,
            choice=choice,
            text=text,
            context=context,
            variant=variant,
        )
    _echo_json(result.to_public())


Host = Annotated[str, typer.Option(help="Interface to bind.")]
Port = Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")]
Workers = Annotated[int, typer.Option(min=1, help="Worker processes.")]


AccessLog = Annotated[
    bool,
    typer.Option(help="Log every request (costs a few percent of throughput under load)."),
]


def _serve(host: str, port: int, workers: int, access_log: bool) -> None:
    from tastemaker.serving import serve as run_server

    run_server(host, port, workers, access_log=access_log)


@app.command()
def serve(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    workers: Workers = 1,
    access_log: AccessLog = False,
) -> None:
    """Serve the HTTP API with uvicorn (migrates the database first)."""
    with _store(migrate=True):
        pass  # migrate once here, not racing in every worker
    _serve(host, port, workers, access_log)


@app.command()
def demo(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    workers: Workers = 1,
    access_log: AccessLog = False,
) -> None:
    """Load the demo catalog and experiences, fit, and serve the demo page."""
    from tastemaker.api.demo import demo_env
    from tastemaker.demo import load_demo

    with _store(migrate=True) as (_, store):
        info = load_demo(store)
    with _engine() as engine:
        engine.fit(info.workspace)
    typer.echo(f"tastemaker demo: http://{host}:{port}")
    typer.echo(f"public key: {info.public_key}")
    typer.echo(f"admin key: {info.admin_key}")
    os.environ.update(demo_env(info))  # read by create_app_from_env in each worker
    _serve(host, port, workers, access_log)


InputFile = Annotated[Path, typer.Option(exists=True, dir_okay=False, readable=True)]


@app.command("eval")
def eval_(
    items: InputFile,
    events: InputFile,
    cases: InputFile,
    rankings: Annotated[Path, typer.Option(dir_okay=False, help="Where to write rankings.")],
    k: Annotated[int, typer.Option(min=1, max=100, help="Items ranked per case.")] = 100,
    report: Annotated[
        Path | None, typer.Option(dir_okay=False, help="Also write the report as JSON.")
    ] = None,
    baselines: Annotated[
        bool, typer.Option("--baselines", help="Also rank with the peers, in one table.")
    ] = False,
    encoder: Annotated[str, typer.Option(help="Text encoder: static or minilm.")] = "static",
    database_url: Annotated[
        str | None, typer.Option(help="Database to use instead of a temporary SQLite file.")
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option(file_okay=False, help="Data dir instead of a temporary one.")
    ] = None,
) -> None:
    """Evaluate offline: answer every case with the serving pipeline, score, print a table."""
    from tastemaker.evaluate import format_table, run_eval

    result = run_eval(
        items,
        events,
        cases,
        rankings,
        k=k,
        baselines=baselines,
        encoder=encoder,
        database_url=database_url,
        data_dir=data_dir,
        show_progress=True,
    )
    typer.echo(format_table(result))
    if report is not None:
        report.write_bytes(orjson.dumps(result.to_json(), option=orjson.OPT_INDENT_2))


# Sub-command groups kept in their own modules; imported here, after the helpers they use.
from tastemaker.cli_experiments import experiments_app  # noqa: E402

app.add_typer(experiments_app, name="experiments")

# The privacy area's commands live in their own module (it imports the helpers above).
from tastemaker.cli_privacy import register as _register_privacy  # noqa: E402

_register_privacy(app)

# -- channels and syndication (issue 4): render, webhooks, deliveries, subscribe, refresh ------
register_delivery(app)

# Editorial control (review, rollback, versions, brand-kit, audit) lives in its own module.
from tastemaker.cli_editorial import actor as _actor  # noqa: E402
from tastemaker.cli_editorial import register as _register_editorial  # noqa: E402

_register_editorial(app)


def main() -> None:
    """The ``tastemaker`` console script."""
    app()
