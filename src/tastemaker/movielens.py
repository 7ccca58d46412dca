"""Import a MovieLens-format folder (``movies.csv``, ``ratings.csv``, optional ``tags.csv`` and
``links.csv``) into a workspace.

MovieLens is the standard public test bed for recommenders, so it is how most people will first
try tastemaker on real data. Movies become items whose text and attributes carry what the
prompt stages can match on (title, year, genres and the tags people use most for the film);
ratings and tags become events. Every row goes through the same validation as any other ingest,
and ids are stable, so importing the same folder twice changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tastemaker.errors import InvalidInput
from tastemaker.ingest import (
    _EVENTS,
    _ITEMS,
    Progress,
    Row,
    _gc_paused,
    _Tally,
    _validated,
)

if TYPE_CHECKING:
    from tastemaker.store import Store

__all__ = ["MovieLensReport", "import_movielens", "parse_title"]

TOP_TAGS = 10
NO_GENRES = "(no genres listed)"

_YEAR = re.compile(r"^(?P<title>.*?)\s*\((?P<year>\d{4})(?:\s*[-–]\s*(?:\d{4})?)?\)\s*$")
# "Shawshank Redemption, The" -> "The Shawshank Redemption" (MovieLens keeps library order).
_ARTICLE = re.compile(r"^(?P<rest>.+), (?P<article>The|A|An|Les|Le|La|L'|Il|El|Der|Die|Das)$")


@dataclass(frozen=True, slots=True)
class MovieLensReport:
    """Counts of what changed: new or changed movies, new rating and tag events."""

    items: int
    ratings: int
    tags: int
    movies_read: int
    errors: tuple[str, ...] = ()


def parse_title(raw: str) -> tuple[str, int | None]:
    """``"American President, The (1995)"`` -> ``("The American President", 1995)``."""
    title, year = raw.strip(), None
    if m := _YEAR.match(title):
        title, year = m["title"], int(m["year"])
    if m := _ARTICLE.match(title):
        sep = "" if m["article"].endswith("'") else " "
        title = f"{m['article']}{sep}{m['rest']}"
    return title, year


def _rows(path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """Located rows of a MovieLens CSV (1-based line numbers, header on line 1)."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        start = 2
        for row in reader:
            yield f"{path.name}:{start}", row
            start = reader.line_num + 1


def _need(row: dict[str, str], location: str, *cols: str) -> list[str]:
    missing = [c for c in cols if not row.get(c)]
    if missing:
        raise InvalidInput("missing value", field=missing[0], location=location)
    return [row[c] for c in cols]


def _tag_event_id(user: str, movie: str, ts: str, tag: str) -> str:
    # The generic derived id ignores context, and one person can give a film several tags in
    # the same second: the tag text is part of this id.
    key = "\x1f".join((user, movie, ts, tag))
    return "ml-tag:" + hashlib.blake2b(key.encode(), digest_size=16).hexdigest()


def _read_tags(path: Path) -> dict[str, Counter[str]]:
    by_movie: dict[str, Counter[str]] = defaultdict(Counter)
    # Rows without a movie or tag are skipped here; the tag events pass reports them.
    for _, row in _rows(path):
        movie, tag = row.get("movieId"), " ".join((row.get("tag") or "").lower().split())
        if movie and tag:
            by_movie[movie][tag] += 1
    return by_movie


def _read_links(path: Path) -> dict[str, str]:
    urls = {}
    for _, row in _rows(path):
        if row.get("movieId") and row.get("imdbId"):
            urls[row["movieId"]] = f"https://www.imdb.com/title/tt{row['imdbId']}/"
    return urls


def _movie_rows(
    path: Path, tags: dict[str, Counter[str]], urls: dict[str, str], top_tags: int
) -> Iterator[Row]:
    for location, row in _rows(path):
        try:
            movie, raw_title = _need(row, location, "movieId", "title")
        except InvalidInput as exc:
            yield location, exc
            continue
        title, year = parse_title(raw_title)
        genres = [g for g in (row.get("genres") or "").split("|") if g and g != NO_GENRES]
        counts = tags.get(movie, Counter())
        top = sorted(counts, key=lambda t: (-counts[t], t))[:top_tags]
        attributes: dict[str, Any] = {"genres": genres}
        if year is not None:
            attributes["year"] = year
        if top:
            attributes["tags"] = top
        parts = [f"{title} ({year})." if year else f"{title}."]
        if genres:
            parts.append("Genres: " + ", ".join(genres) + ".")
        if top:
            parts.append("Tags: " + ", ".join(top) + ".")
        item: dict[str, Any] = {
            "id": movie,
            "title": title,
            "text": " ".join(parts),
            "attributes": attributes,
        }
        if movie in urls:
            item["url"] = urls[movie]
        yield location, item


def _rating_rows(path: Path) -> Iterator[Row]:
    for location, row in _rows(path):
        yield (
            location,
            {
                "user_id": row.get("userId"),
                "item_id": row.get("movieId"),
                "type": "rating",
                "value": row.get("rating"),
                "ts": row.get("timestamp"),
            },
        )


def _tag_event_rows(path: Path) -> Iterator[Row]:
    for location, row in _rows(path):
        user, movie, tag, ts = (row.get(c) or "" for c in ("userId", "movieId", "tag", "timestamp"))
        yield (
            location,
            {
                "user_id": user,
                "item_id": movie,
                "type": "tag",
                "ts": ts,
                "event_id": _tag_event_id(user, movie, ts, tag),
                "context": {"tag": tag},
            },
        )


def import_movielens(
    store: Store,
    ws_id: int,
    folder: str | Path,
    *,
    top_tags: int = TOP_TAGS,
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> MovieLensReport:
    """Import movies, ratings and tags from a MovieLens-format folder.

    Movies are stored in one transaction, ratings in another, tags in a third; each is
    all-or-nothing unless ``skip_invalid``. ``progress`` receives the cumulative number of rows
    read across the files.
    """
    root = Path(folder)
    movies_csv, ratings_csv = root / "movies.csv", root / "ratings.csv"
    for required in (movies_csv, ratings_csv):
        if not required.is_file():
            raise InvalidInput("file not found", field="folder", location=str(required))
    tags_csv, links_csv = root / "tags.csv", root / "links.csv"

    done = 0

    def step(base: int) -> Progress | None:
        if progress is None:
            return None
        return lambda n: progress(base + n)

    tally = _Tally()
    with _gc_paused():
        tags = _read_tags(tags_csv) if tags_csv.is_file() else {}
        urls = _read_links(links_csv) if links_csv.is_file() else {}
        items = store.upsert_items(
            ws_id,
            _validated(
                _movie_rows(movies_csv, tags, urls, top_tags),
                _ITEMS,
                tally,
                skip_invalid=skip_invalid,
                progress=step(done),
            ),
        )
        movies_read = tally.rows
        done += tally.rows + tally.invalid
        before = tally.rows + tally.invalid
        ratings = store.insert_events(
            ws_id,
            _validated(
                _rating_rows(ratings_csv),
                _EVENTS,
                tally,
                skip_invalid=skip_invalid,
                progress=step(done),
            ),
        )
        done += tally.rows + tally.invalid - before
        tag_events = 0
        if tags_csv.is_file():
            tag_events = store.insert_events(
                ws_id,
                _validated(
                    _tag_event_rows(tags_csv),
                    _EVENTS,
                    tally,
                    skip_invalid=skip_invalid,
                    progress=step(done),
                ),
            )
    return MovieLensReport(
        items=items,
        ratings=ratings,
        tags=tag_events,
        movies_read=movies_read,
        errors=tuple(tally.messages()),
    )
