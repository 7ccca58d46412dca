"""The package's public surface is what ``__all__`` says, and every name in it exists."""

from __future__ import annotations

import tastemaker


def test_all_names_exist_and_are_public() -> None:
    for name in tastemaker.__all__:
        assert hasattr(tastemaker, name), name
    public = {n for n in dir(tastemaker) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(tastemaker, n)).__name__ == "module"}
    assert public - modules == set(tastemaker.__all__)
