"""Shared pieces of the command line: options, output, errors.

Commands stay thin: parse, call one library function, render.  Results go to
stdout (a rich table, or JSON with ``--json``); messages and progress go to
stderr so that ``--json`` output can be piped.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any, NoReturn

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from rotation.cli.long_table import LongTable
from rotation.data.store import Store
from rotation.errors import ConfigError
from rotation.jsonable import to_jsonable


def _width() -> int | None:
    # Piped output is not wrapped at rich's default of 80 columns.
    if os.environ.get("COLUMNS") or sys.stdout.isatty():
        return None
    return 160


# 128 + SIGPIPE: the status a shell reports for a Unix tool whose reader went away (`| head`).
PIPE_CLOSED = 141


def reader_gone() -> NoReturn:
    """stdout's reader closed the pipe: stop quietly with :data:`PIPE_CLOSED`.

    Not 1, which says "findings" (a failed claim, a fired stop), and not the safety net's
    "a bug in rotation": the output was cut by the reader, as `head` does.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # the interpreter's last flush must not fail again
    raise SystemExit(PIPE_CLOSED)


class _Console(Console):
    def on_broken_pipe(self) -> None:  # rich's default exits 1
        self.quiet = True
        reader_gone()


# markup=False: text is printed as it is ("[[tranche]]" stays), whatever a message or a
# value contains; the few styled lines pass markup=True and escape what they interpolate.
console = _Console(highlight=False, soft_wrap=False, width=_width(), markup=False)
err_console = _Console(stderr=True, highlight=False, width=_width(), markup=False)

StoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="Store file (default: $ROTATION_STORE or the user data dir).",
        envvar="ROTATION_STORE",
        show_envvar=True,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
# One vocabulary for dates (docs/cli.md): --from/--to bound a range, --as-of is the point
# in time, --on one day.  --start/--end (and --since) are the same options under older names.
StartOpt = Annotated[str | None, typer.Option("--from", "--start", help="First date (YYYY-MM-DD).")]
EndOpt = Annotated[str | None, typer.Option("--to", "--end", help="Last date (YYYY-MM-DD).")]
AsOfOpt = Annotated[
    str | None, typer.Option("--as-of", help="Compute as of this date (YYYY-MM-DD); default: latest.")
]


def read_store(path: Path | None) -> Store:
    """Open the store for reading (fails clearly when it does not exist)."""
    return Store(path, read_only=True)


def write_store(path: Path | None) -> Store:
    """Open the store for writing (creates it; fails clearly when busy)."""
    return Store(path)


def parse_date(text: str | None, option: str) -> date | None:
    """``YYYY-MM-DD`` -> date; ``None`` stays ``None``; anything else is a clear error."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"{option}: expected a date YYYY-MM-DD, got {text!r}") from None


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(to_jsonable(obj), indent=2, allow_nan=False) + "\n")
    sys.stdout.flush()


def fmt_pct(x: float | None, digits: int = 2, signed: bool = True) -> str:
    """A fraction shown as percent: 0.0357 -> ``+3.57%``."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x * 100:+.{digits}f}%" if signed else f"{x * 100:.{digits}f}%"


def fmt_num(x: float | None, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:,.{digits}f}"


def make_table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    """A rich table of plain text (long ones print fast: ``LongTable``)."""
    return LongTable(title, columns, (["" if v is None else str(v) for v in row] for row in rows))


def frame_table(title: str | None, frame: pl.DataFrame, floats: int = 2) -> Table:
    """A rich table of a Polars frame (floats rounded to ``floats`` digits)."""
    rows = []
    for rec in frame.iter_rows():
        rows.append([fmt_num(v, floats) if isinstance(v, float) else v for v in rec])
    return make_table(title, frame.columns, rows)
