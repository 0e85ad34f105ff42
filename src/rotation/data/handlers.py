"""What an import handler is: how one kind of file is recognised, loaded and written.

Its own module so that the modules that register handlers (fundamentals,
constituents) and the importer that runs them do not import each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rotation.data.store import Store, UpsertCounts


@dataclass(frozen=True)
class ImportOptions:
    """Choices a user makes for one import."""

    keep_bad: bool = False  # keep rows that break a hard rule (they stay flagged by `data check`)
    symbol: str | None = None  # force the symbol of a single bar file


@dataclass(frozen=True)
class ImportHandler:
    """How one kind of file is recognised, loaded and written."""

    kind: str
    claims: Callable[[Path], bool]
    load: Callable[[Path, ImportOptions], Any]
    write: Callable[[Store, Any], dict[str, UpsertCounts]]
    # Optional: write many loaded files at once (one counts dict per file, in order).
    write_many: Callable[[Store, list[Any]], list[dict[str, UpsertCounts]]] | None = None
