"""The package's public names: a small, sorted, honest ``__all__``."""

from __future__ import annotations

import rotation


def test_all_is_sorted_and_exists() -> None:
    assert list(rotation.__all__) == sorted(rotation.__all__)
    for name in rotation.__all__:
        assert hasattr(rotation, name), name


def test_no_stray_public_names() -> None:
    public = {n for n in dir(rotation) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(rotation, n)).__name__ == "module"}
    assert public - modules - {"annotations"} == set(rotation.__all__) - {"__version__"}
