"""The MovieLens importer, on a tiny folder written here (and, if present, the real small set)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tastemaker.errors import InvalidInput
from tastemaker.movielens import import_movielens, parse_title
from tastemaker.store import Store, WorkspaceRecord

SHARED = Path("/work/shared/data/movielens-latest-small")

MOVIES = """movieId,title,genres
1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy
2,"American President, The (1995)",Comedy|Drama|Romance
3,Babylon 5,(no genres listed)
4,Fawlty Towers (1975-1979) ,Comedy
"""
RATINGS = """userId,movieId,rating,timestamp
1,1,4.0,964982703
1,2,3.5,964981247
2,1,5.0,964982224
2,4,2.0,964983815
"""
TAGS = """userId,movieId,tag,timestamp
1,1,Pixar,1445714994
1,1,funny,1445714994
2,1,pixar,1445715000
2,2,politics,1445715001
"""
LINKS = """movieId,imdbId,tmdbId
1,0114709,862
"""


def write_folder(root: Path, ratings: str = RATINGS) -> Path:
    root.mkdir(exist_ok=True)
    for name, body in (
        ("movies.csv", MOVIES),
        ("ratings.csv", ratings),
        ("tags.csv", TAGS),
        ("links.csv", LINKS),
    ):
        (root / name).write_text(body, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Toy Story (1995)", ("Toy Story", 1995)),
        ("American President, The (1995)", ("The American President", 1995)),
        ("Fawlty Towers (1975-1979) ", ("Fawlty Towers", 1975)),
        ("Babylon 5", ("Babylon 5", None)),
        ("Seven (a.k.a. Se7en) (1995)", ("Seven (a.k.a. Se7en)", 1995)),
        ("Misérables, Les (1995)", ("Les Misérables", 1995)),
    ],
)
def test_parse_title(raw: str, expected: tuple[str, int | None]) -> None:
    assert parse_title(raw) == expected


def test_import_tiny_folder(store: Store, workspace: WorkspaceRecord, tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "ml")
    seen: list[int] = []
    report = import_movielens(store, workspace.id, folder, progress=seen.append)
    assert (report.items, report.ratings, report.tags, report.movies_read) == (4, 4, 4, 4)
    assert seen[-1] == 12  # rows read across the three files

    toy, president, babylon, fawlty = store.get_items(workspace.id, ["1", "2", "3", "4"])
    assert toy.title == "Toy Story"
    assert toy.attributes["year"] == 1995
    assert toy.attributes["genres"] == ["Adventure", "Animation", "Children", "Comedy", "Fantasy"]
    assert toy.attributes["tags"] == ["pixar", "funny"]  # most frequent first
    assert "pixar" in toy.text and "Animation" in toy.text and "1995" in toy.text
    assert toy.url == "https://www.imdb.com/title/tt0114709/"
    assert president.title == "The American President" and president.url is None
    assert babylon.attributes == {"genres": []}
    assert fawlty.attributes["year"] == 1975

    ratings = [e for e in store.user_events(workspace.id, "1") if e.type == "rating"]
    assert {(e.item_id, e.value, e.ts) for e in ratings} == {
        ("1", 4.0, 964982703.0),
        ("2", 3.5, 964981247.0),
    }
    # two tags by one person in the same second are two events
    tags = [e for e in store.user_events(workspace.id, "1") if e.type == "tag"]
    assert sorted(e.context["tag"] for e in tags if e.context) == ["Pixar", "funny"]
    assert store.list_users(workspace.id) == ["1", "2"]

    again = import_movielens(store, workspace.id, folder)
    assert (again.items, again.ratings, again.tags) == (0, 0, 0)
    assert store.count_events(workspace.id) == 8


def test_bad_rating_names_file_line_and_field(
    store: Store, workspace: WorkspaceRecord, tmp_path: Path
) -> None:
    folder = write_folder(tmp_path / "ml", ratings=RATINGS + "3,1,great,964982703\n")
    with pytest.raises(InvalidInput) as err:
        import_movielens(store, workspace.id, folder)
    assert (err.value.location, err.value.field) == ("ratings.csv:6", "value")
    assert store.count_events(workspace.id) == 0

    report = import_movielens(store, workspace.id, folder, skip_invalid=True)
    assert report.ratings == 4 and len(report.errors) == 1


def test_missing_files_are_reported(
    store: Store, workspace: WorkspaceRecord, tmp_path: Path
) -> None:
    with pytest.raises(InvalidInput) as err:
        import_movielens(store, workspace.id, tmp_path)
    assert err.value.location is not None and err.value.location.endswith("movies.csv")


@pytest.mark.slow
@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared MovieLens small set is not here")
def test_import_movielens_latest_small(store: Store, workspace: WorkspaceRecord) -> None:
    report = import_movielens(store, workspace.id, SHARED)
    assert report.items == report.movies_read > 9_000
    assert report.ratings > 100_000 and report.tags > 3_000
    assert store.count_items(workspace.id) == report.items
    matrix = store.get_items(workspace.id, ["2571"])[0]
    assert matrix.title == "The Matrix" and matrix.attributes["year"] == 1999
