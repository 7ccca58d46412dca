"""Reading, validating and storing items and events from CSV, JSONL and JSON batches.

The same pydantic models (:class:`ItemIn`, :class:`EventIn`) validate a file line and an HTTP
batch element, so a row is accepted or refused for the same reason everywhere, and every refusal
names where it came from (``events.jsonl:12`` or ``events[3]``) and which field was wrong.

A file is all-or-nothing by default: rows stream through validation into one store transaction,
and the first invalid row makes the whole file roll back, after the rest of the file has been
read so that the error lists every bad row at once. Streaming (rather than validating the whole
file before writing) keeps memory flat for a 30-million-rating import. With ``skip_invalid=True``
the bad rows are reported and the good ones stored.

Validation runs over chunks of rows with one ``TypeAdapter(list[Model])`` call each: pydantic's
per-call overhead, not per-field work, dominates small models, and ingest must reach tens of
thousands of events per second.
"""

from __future__ import annotations

import contextlib
import csv
import gc
import gzip
import hashlib
import io
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any, Literal, TypeVar, cast

import orjson
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from tastemaker.errors import InvalidInput

if TYPE_CHECKING:
    from tastemaker.store import Store

__all__ = [
    "EventIn",
    "Format",
    "IngestReport",
    "ItemIn",
    "Progress",
    "derive_event_id",
    "ingest_events_file",
    "ingest_items_file",
    "read_rows",
    "validate_events",
    "validate_items",
]

Format = Literal["csv", "jsonl"]
Progress = Callable[[int], object]
"""Called with the number of rows read so far (cumulative), e.g. to drive a tqdm bar."""

CHUNK_ROWS = 5_000
MAX_ERRORS = 1_000  # messages kept in a report; the counts stay exact
MAX_ERRORS_IN_MESSAGE = 10
LIST_SEPARATOR = "|"  # inside a CSV ``attr.<name>`` cell

Id = Annotated[str, StringConstraints(min_length=1, max_length=128)]


def _to_epoch(value: object) -> object:
    """Accept epoch seconds (number or numeric string) or an ISO 8601 date-time.

    A date-time without a zone is taken as UTC, so the same file gives the same timestamps on
    every machine.
    """
    if isinstance(value, bool):
        raise ValueError("expected epoch seconds or an ISO 8601 date-time, got a boolean")
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            return float(text)
        except ValueError:
            pass
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"expected epoch seconds or an ISO 8601 date-time, got {value!r}"
            ) from None
    else:
        raise ValueError(
            f"expected epoch seconds or an ISO 8601 date-time, got {type(value).__name__}"
        )
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


# 1970 to 3000: activity is bucketed by week from the first event to the last, so one event
# dated in the year 10**8 would make a fit allocate billions of buckets.
Timestamp = Annotated[
    float, Field(allow_inf_nan=False, ge=0, le=32_503_680_000), BeforeValidator(_to_epoch)
]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]

AttrScalar = str | bool | int | float
# Numeric attributes become float32 columns at fit, which also squares them to standardize:
# past ~1e19 that square is infinite in float32. 1e15 leaves room and still holds any price,
# count or timestamp in milliseconds.
_ATTR_MAX = 1e15
AttrValue = AttrScalar | list[str]


def _attr_value(value: object) -> AttrValue:
    """One clear message instead of pydantic's one-line-per-union-member."""
    if isinstance(value, str | bool):
        return value
    if isinstance(value, int | float):
        # Past _ATTR_MAX a number would turn into infinity at fit and poison every score.
        if not (isinstance(value, int) or math.isfinite(value)) or abs(value) > _ATTR_MAX:
            raise ValueError(f"attribute numbers must be finite and within ±{_ATTR_MAX:g}")
        return value
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ValueError("attribute values are strings, numbers, booleans or lists of strings")


def _drop_nulls(value: object) -> object:
    """A null attribute means "not known", as an empty CSV cell does: leave it out.

    Exports from databases and dataframes write unknown values (a film's missing year) as
    null; refusing the whole file for that would make such data unusable.
    """
    if isinstance(value, dict) and None in value.values():
        return {k: v for k, v in value.items() if v is not None}
    return value


Attributes = Annotated[
    dict[
        Annotated[str, StringConstraints(min_length=1, max_length=64)],
        Annotated[AttrValue, PlainValidator(_attr_value, json_schema_input_type=AttrValue)],
    ],
    BeforeValidator(_drop_nulls),
]


class _In(BaseModel):
    # extra="forbid": a misspelt column or key is an error, not silently dropped data.
    # coerce_numbers_to_str: ids are often numeric (MovieLens, database keys); 42 means "42".
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)


class ItemIn(_In):
    """One catalog item, as sent in a file or an API batch."""

    id: Id
    title: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    text: Annotated[str, StringConstraints(max_length=20_000)] = ""
    attributes: Attributes = Field(default_factory=dict)
    price: Annotated[FiniteFloat, Field(ge=0, le=_ATTR_MAX)] | None = None
    available: bool = True
    url: Annotated[str, StringConstraints(max_length=2_048)] | None = None


def derive_event_id(
    user_id: str, item_id: str | None, type_: str, ts: float, value: float | None
) -> str:
    """A stable id for an event sent without one, so a re-sent file never double counts.

    The inputs are joined with a separator that cannot appear in JSON text unescaped and
    hashed; ``repr`` of the floats keeps ``1.0`` and ``1`` (and ISO vs epoch ``ts``) equal.
    """
    key = "\x1f".join(
        (user_id, item_id or "", type_, repr(float(ts)), "" if value is None else repr(value))
    )
    return "h:" + hashlib.blake2b(key.encode(), digest_size=16).hexdigest()


class EventIn(_In):
    """One interaction of a user with an item (or with the site, when ``item_id`` is None)."""

    user_id: Id
    item_id: Id | None = None
    type: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")] = Field(
        description="view, click, rating, like, save, add_to_cart, purchase, skip, ..."
    )
    value: FiniteFloat | None = None
    ts: Timestamp
    event_id: Id | None = None
    request_id: Id | None = None
    context: dict[str, Any] | None = None

    @field_validator("context")
    @classmethod
    def _storable_context(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        """The context is stored as JSON: refuse what JSON storage cannot hold (2**64)."""
        if value is not None:
            try:
                orjson.dumps(value)
            except TypeError as exc:
                raise ValueError(f"context cannot be stored as JSON: {exc}") from None
        return value

    @model_validator(mode="after")
    def _derive_event_id(self) -> EventIn:
        if self.event_id is None:
            # Straight into __dict__ (pydantic's field storage): __setattr__ costs more than the
            # hash, and this runs once per ingested event.
            self.__dict__["event_id"] = derive_event_id(
                self.user_id, self.item_id, self.type, self.ts, self.value
            )
        return self


M = TypeVar("M", ItemIn, EventIn)

_ITEMS = TypeAdapter(list[ItemIn])
_EVENTS = TypeAdapter(list[EventIn])


@dataclass(frozen=True, slots=True)
class IngestReport:
    """What an ingest did. ``stored`` counts rows that changed the store: new or changed items,
    new events (a re-ingest of the same file reports 0). ``rows`` counts valid rows read."""

    stored: int
    skipped: int
    errors: list[str] = field(default_factory=list)
    rows: int = 0


# -- validation ------------------------------------------------------------------------------


def _field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _describe(err: Any) -> str:
    msg = str(err["msg"]).removeprefix("Value error, ")
    value = err.get("input")
    if err["type"] not in ("missing", "extra_forbidden") and isinstance(
        value, str | int | float | bool
    ):
        shown = repr(value)
        if len(shown) <= 40 and "got " not in msg:
            msg += f" (got {shown})"
    return msg


def _row_error(location: str, errors: Sequence[Any], offset: int = 0) -> InvalidInput:
    """One InvalidInput per row: the first bad field in ``field``, the others in the message."""
    parts = [(_field_path(tuple(e["loc"])[offset:]), _describe(e)) for e in errors]
    first_field, first_msg = parts[0]
    rest = "; ".join(f"{f}: {m}" if f else m for f, m in parts[1:])
    return InvalidInput(
        f"{first_msg}; {rest}" if rest else first_msg,
        field=first_field or None,
        location=location,
    )


def _validate_chunk(
    adapter: TypeAdapter[list[M]], rows: Sequence[tuple[str, object]]
) -> tuple[list[M], list[tuple[int, InvalidInput]]]:
    """Validate a chunk in one call; only when it fails, sort out the bad rows.

    Returns the valid models and, for the others, their index in ``rows`` and their error.
    """
    try:
        return adapter.validate_python([row for _, row in rows]), []
    except ValidationError as exc:
        by_row: dict[int, list[Any]] = {}
        for err in exc.errors():
            by_row.setdefault(int(err["loc"][0]), []).append(err)
    good_rows = [row for i, (_, row) in enumerate(rows) if i not in by_row]
    good = adapter.validate_python(good_rows) if good_rows else []
    bad = [(i, _row_error(rows[i][0], errs, offset=1)) for i, errs in sorted(by_row.items())]
    return good, bad


def _summarize(errors: Sequence[InvalidInput], total: int) -> InvalidInput:
    """One error for a refused batch: the first bad row in field/location, more in the text."""
    first = errors[0]
    shown = [str(e) for e in errors[1:MAX_ERRORS_IN_MESSAGE]]
    more = total - 1 - len(shown)
    extra = ""
    if shown:
        extra = " | also: " + " | ".join(shown)
    if more > 0:
        extra += f" | and {more} more invalid rows"
    return InvalidInput(f"{first.message}{extra}", field=first.field, location=first.location)


def _validate_batch(adapter: TypeAdapter[list[M]], rows: Sequence[object], name: str) -> list[M]:
    located = [(f"{name}[{i}]", row) for i, row in enumerate(rows)]
    good, bad = _validate_chunk(adapter, located)
    if bad:
        raise _summarize([err for _, err in bad], len(bad))
    return good


def validate_items(rows: Sequence[object]) -> list[ItemIn]:
    """Validate a JSON batch of items (all or nothing); errors are located as ``items[3]``."""
    return _validate_batch(_ITEMS, rows, "items")


def validate_events(rows: Sequence[object]) -> list[EventIn]:
    """Validate a JSON batch of events (all or nothing); errors are located as ``events[3]``."""
    return _validate_batch(_EVENTS, rows, "events")


# -- reading files ---------------------------------------------------------------------------

Row = tuple[str, dict[str, Any] | InvalidInput]
"""A located row: ``("file.csv:12", {...})``, or the error that made it unreadable."""


def _format_of(path: Path, fmt: Format | None) -> Format:
    if fmt is not None:
        return fmt
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    ext = suffixes[-1] if suffixes else ""
    if ext == ".csv":
        return "csv"
    if ext in (".jsonl", ".ndjson"):
        return "jsonl"
    raise InvalidInput(
        f"cannot tell the format from the extension {ext or '(none)'!r}; "
        "use .csv or .jsonl, or pass the format explicitly",
        field="format",
        location=path.name,
    )


def _open_binary(path: Path) -> IO[bytes]:
    if path.suffix.lower() == ".gz":
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def _read_jsonl(path: Path) -> Iterator[Row]:
    name = path.name
    with _open_binary(path) as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            location = f"{name}:{lineno}"
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                yield location, InvalidInput(f"invalid JSON: {exc}", location=location)
                continue
            if not isinstance(obj, dict):
                yield location, InvalidInput("expected a JSON object", location=location)
                continue
            yield location, obj


_NUMBER_CHARS = frozenset("0123456789.-+eE")


def _csv_attr(cell: str) -> AttrValue:
    """A CSV ``attr.<name>`` cell: ``a|b`` is a list, a plain number is a number."""
    if LIST_SEPARATOR in cell:
        return [v.strip() for v in cell.split(LIST_SEPARATOR) if v.strip()]
    # Numbers become numbers (so "year" or "abv" can be filtered by range), but not codes with
    # leading zeros such as "02134", which are identifiers.
    if cell and set(cell) <= _NUMBER_CHARS and not (len(cell) > 1 and cell.startswith("0")):
        try:
            number = float(cell)
        except ValueError:
            return cell
        if math.isfinite(number):
            return int(number) if number.is_integer() and "." not in cell else number
    return cell


_ITEM_COLUMNS = frozenset(ItemIn.model_fields)
_EVENT_COLUMNS = frozenset(EventIn.model_fields)
_JSON_COLUMNS = frozenset({"attributes", "context"})


def _read_csv(path: Path, kind: Literal["items", "events"]) -> Iterator[Row]:
    name = path.name
    allowed = _ITEM_COLUMNS if kind == "items" else _EVENT_COLUMNS
    with _open_binary(path) as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            return
        for col in header:
            if col not in allowed and not (kind == "items" and col.startswith("attr.")):
                expected = ", ".join(sorted(allowed))
                hint = " or attr.<name>" if kind == "items" else ""
                raise InvalidInput(
                    f"unknown column; expected {expected}{hint}",
                    field=col,
                    location=f"{name}:1",
                )
        start = reader.line_num + 1
        for cells in reader:
            location = f"{name}:{start}"
            start = reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                yield (
                    location,
                    InvalidInput(
                        f"expected {len(header)} columns, found {len(cells)}", location=location
                    ),
                )
                continue
            row: dict[str, Any] = {}
            attrs: dict[str, Any] = {}
            error: InvalidInput | None = None
            for col, cell in zip(header, cells, strict=True):
                if cell == "":
                    continue  # an empty cell means "not given": the default applies
                if col.startswith("attr."):
                    attrs[col[5:]] = _csv_attr(cell)
                elif col in _JSON_COLUMNS:
                    try:
                        row[col] = orjson.loads(cell)
                    except orjson.JSONDecodeError as exc:
                        error = InvalidInput(f"invalid JSON: {exc}", field=col, location=location)
                        break
                else:
                    row[col] = cell
            if error is not None:
                yield location, error
                continue
            if attrs:
                merged = row.get("attributes")
                row["attributes"] = {**merged, **attrs} if isinstance(merged, dict) else attrs
            yield location, row


def read_rows(
    path: str | Path, kind: Literal["items", "events"], fmt: Format | None = None
) -> Iterator[Row]:
    """Yield located raw rows of a CSV or JSONL file (optionally gzipped), not yet validated.

    The format comes from the extension (``.csv``, ``.jsonl``/``.ndjson``, plus ``.gz``) unless
    given. An unreadable row is yielded as its :class:`InvalidInput`, so the caller decides
    whether it ends the batch.
    """
    p = Path(path)
    if not p.is_file():
        raise InvalidInput("file not found", field="path", location=str(p))
    if _format_of(p, fmt) == "csv":
        return _read_csv(p, kind)
    return _read_jsonl(p)


# -- ingest ----------------------------------------------------------------------------------


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector during a bulk ingest.

    Ingest allocates millions of short-lived, acyclic objects (dicts, models, tuples); the
    collector's repeated passes over them cost about a third of the run and free nothing.
    Reference counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass
class _Tally:
    rows: int = 0
    invalid: int = 0
    errors: list[InvalidInput] = field(default_factory=list)

    def add_errors(self, errors: Iterable[InvalidInput]) -> None:
        for err in errors:
            self.invalid += 1
            if len(self.errors) < MAX_ERRORS:
                self.errors.append(err)

    def messages(self) -> list[str]:
        out = [str(e) for e in self.errors]
        if self.invalid > len(self.errors):
            out.append(f"... and {self.invalid - len(self.errors)} more invalid rows")
        return out


def _validated(
    rows: Iterable[Row],
    adapter: TypeAdapter[list[M]],
    tally: _Tally,
    *,
    skip_invalid: bool,
    progress: Progress | None,
) -> Iterator[M]:
    """Validate rows chunk by chunk and yield the good ones.

    Without ``skip_invalid`` the first bad row stops the yielding, the rest of the file is still
    read (to list all its errors), and then InvalidInput is raised inside the consumer's
    transaction, which rolls it back.
    """
    # Unreadable rows stay in the chunk as their error, so errors are reported in file order.
    chunk: list[Row] = []
    done = 0

    def flush() -> list[M]:
        nonlocal done
        readable = [(i, (loc, row)) for i, (loc, row) in enumerate(chunk) if isinstance(row, dict)]
        good, bad = _validate_chunk(adapter, [r for _, r in readable])
        errors = [(readable[j][0], err) for j, err in bad]
        errors += [(i, row) for i, (_, row) in enumerate(chunk) if isinstance(row, InvalidInput)]
        tally.add_errors(err for _, err in sorted(errors, key=lambda e: e[0]))
        tally.rows += len(good)
        done += len(chunk)
        chunk.clear()
        if progress is not None:
            progress(done)
        return good if (skip_invalid or not tally.invalid) else []

    for entry in rows:
        chunk.append(entry)
        if len(chunk) >= CHUNK_ROWS:
            yield from flush()
    if chunk:
        yield from flush()
    elif progress is not None:
        progress(done)
    if tally.invalid and not skip_invalid:
        raise _summarize(tally.errors, tally.invalid)


def ingest_items_file(
    store: Store,
    ws_id: int,
    path: str | Path,
    *,
    fmt: Format | None = None,
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    """Upsert the items of a CSV or JSONL file into a workspace.

    CSV columns are the :class:`ItemIn` fields; attributes come as ``attr.<name>`` columns
    (``a|b`` is a list, plain numbers are numbers) and/or a JSON ``attributes`` column.
    Raises InvalidInput (nothing stored) on any bad row unless ``skip_invalid``.
    """
    tally = _Tally()
    rows = read_rows(path, "items", fmt)
    with _gc_paused():
        stored = store.upsert_items(
            ws_id, _validated(rows, _ITEMS, tally, skip_invalid=skip_invalid, progress=progress)
        )
    return IngestReport(stored, tally.invalid, tally.messages(), tally.rows)


def ingest_events_file(
    store: Store,
    ws_id: int,
    path: str | Path,
    *,
    fmt: Format | None = None,
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    """Insert the events of a CSV or JSONL file into a workspace; duplicates are ignored.

    CSV columns are the :class:`EventIn` fields, ``context`` as JSON. ``ts`` is epoch seconds or
    ISO 8601. Raises InvalidInput (nothing stored) on any bad row unless ``skip_invalid``.
    """
    tally = _Tally()
    rows = read_rows(path, "events", fmt)
    with _gc_paused():
        stored = store.insert_events(
            ws_id, _validated(rows, _EVENTS, tally, skip_invalid=skip_invalid, progress=progress)
        )
    return IngestReport(stored, tally.invalid, tally.messages(), tally.rows)
