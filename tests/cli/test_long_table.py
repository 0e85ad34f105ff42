"""``LongTable`` prints what rich prints for the same table, character for character."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pytest
from rich.console import Console
from rich.table import Table

from rotation.cli.long_table import FAST_ROWS, LongTable


def _rich(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> Table:
    """The table ``make_table`` built before ``LongTable``: plain rich."""
    table = Table(title=title, title_justify="left", header_style="bold")
    for col in columns:
        table.add_column(col, overflow="fold", no_wrap=col in ("date", "symbol"))
    for row in rows:
        table.add_row(*row)
    return table


def _console(width: int, color: bool, buf: io.TextIOWrapper | None = None) -> Console:
    return Console(file=buf, width=width, color_system="standard" if color else None,
                   force_terminal=color, highlight=False, soft_wrap=False, markup=False)


def _fast(table: LongTable, width: int) -> bool:
    console = _console(width, False)
    return table._body_widths(console, console.options) is not None


def _print(table: Table, *, width: int, color: bool, encoding: str = "utf-8") -> str:
    buf = io.TextIOWrapper(io.BytesIO(), encoding=encoding, errors="strict", write_through=True)
    _console(width, color, buf).print(table)
    buf.seek(0)
    return buf.read()


def _rows(n: int) -> list[list[str]]:
    # varied widths, empty cells, a non-ASCII minus and a wide character, and text rich could mistake for markup
    return [[f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}", ["IWM", "SPY", "QQQ", "^RUT"][i % 4],
             f"{(i * 7919) % 100003:,}", "" if i % 5 == 0 else f"{i / 7:.2f}x",
             "\u2212" + str(i % 97) if i % 3 else "\u65e5", "[bold]" if i % 11 == 0 else "-"]
            for i in range(n)]


COLUMNS = ["date", "symbol", "volume", "ratio", "change", "note"]


@pytest.mark.parametrize("color", [False, True])
@pytest.mark.parametrize("title", [None, "Volume", "A title much longer than the table is wide, so rich wraps it " * 2])
def test_long_body_prints_as_rich_does(color: bool, title: str | None) -> None:
    rows = _rows(FAST_ROWS + 123)
    fast = LongTable(title, COLUMNS, rows)
    assert _fast(fast, 100)  # the fast path is the one compared
    assert _print(fast, width=100, color=color) == _print(_rich(title, COLUMNS, rows), width=100, color=color)


@pytest.mark.parametrize("width", [60, 54])
def test_narrow_console_wraps_headers_as_rich_does(width: int) -> None:
    # rich narrows the columns to fit: the long headers wrap, the body cells still fit
    columns = ["date", "basket $bn", "x IWM 20d avg", "x SPY 20d avg", "a b c d e f g"]
    rows = [[f"2024-07-{1 + i % 28:02d}", f"{i / 3:.1f}", f"{i % 17:.2f}", "1 2", "x y z"] for i in range(FAST_ROWS)]
    fast = LongTable("Dollar volume of the megacaps vs the funds", columns, rows)
    assert _fast(fast, width)
    assert _print(fast, width=width, color=False) == _print(_rich(fast.title, columns, rows), width=width, color=False)  # type: ignore[arg-type]


def test_ascii_console_gets_rich_ascii_box() -> None:
    rows = [[r[0], r[1], r[2]] for r in _rows(FAST_ROWS)]
    fast = _print(LongTable("t", COLUMNS[:3], rows), width=100, color=False, encoding="ascii")
    assert fast == _print(_rich("t", COLUMNS[:3], rows), width=100, color=False, encoding="ascii")
    assert "+" in fast and "\u2502" not in fast


def test_narrow_console_folds_cells_as_rich_does() -> None:
    rows = _rows(FAST_ROWS + 1)
    rows[3][2] = "117,362,123,456.70"  # folded over lines in a narrow column
    rows[9][4] = "a few words that wrap"
    fast = LongTable("t", COLUMNS, rows)
    assert _fast(fast, 40)
    assert _print(fast, width=40, color=False) == _print(_rich("t", COLUMNS, rows), width=40, color=False)


@pytest.mark.parametrize("case", ["short", "line break", "edge spaces"])
def test_rich_lays_out_what_the_fast_path_cannot(case: str) -> None:
    rows = _rows(FAST_ROWS + 1 if case != "short" else 20)
    if case == "line break":
        rows[7][5] = "two\nlines"
    if case == "edge spaces":
        rows[7][5] = " padded "
    fast = LongTable("t", COLUMNS, rows)
    assert not _fast(fast, 100)
    assert _print(fast, width=100, color=False) == _print(_rich("t", COLUMNS, rows), width=100, color=False)


@pytest.mark.parametrize("width", [30, 40])
def test_columns_squeezed_below_their_padding_print_as_rich_does(width: int) -> None:
    # a sweep table (14 columns) on a narrow console: rich collapses columns to one or two
    # characters, less than the padding; the fast path wrote a negative width (and folded a
    # cell by a step of 0: ValueError), so rich lays such a table out itself
    columns = ["set", "fast", "slow", "total", "CAGR", "vol", "Sharpe", "Sortino", "max DD", "Calmar",
               "exposure", "turn/yr", "trades", "win"]
    rows = [[str(i), str(1 + i % 10), str(50 + 10 * (i % 21)), f"+{i * 7.31:,.2f}%", f"+{i / 9:.2f}%", "23.20%",
             f"{i / 300:.2f}", "0.85", "-56.99%", "0.21", "99.98%", "13.10", str(100 + i), "57.80%"]
            for i in range(FAST_ROWS + 10)]
    fast = LongTable("top 210 by sharpe", columns, rows)
    assert _print(fast, width=width, color=False) == _print(_rich(fast.title, columns, rows), width=width,  # type: ignore[arg-type]
                                                            color=False)
