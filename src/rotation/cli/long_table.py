"""A rich table of plain text that prints thousands of rows in milliseconds.

rich measures and renders every cell through its full layout machinery, about
0.15 ms a cell: ``rotation breadth volume --days 100000`` (6,000 sessions x 3 funds,
two tables) spent over 30 s of CPU in rich alone.  ``LongTable`` is a
``rich.table.Table`` whose cells are plain strings.  When it has many rows, rich
sizes its columns (from a two-row stand-in, see ``_body_widths``) and renders the
title and the header (a table with the same columns and no rows), and the body
lines are written here: each cell left-justified and padded to its column's width
between the box's rules, which is what rich prints for such a table, character for
character (a test compares the two).  A row with a cell wider than its column (a
narrow console) is laid out by rich, cell by cell.  Short tables, cells with a
line break, a tab or edge spaces, and a console so narrow that rich squeezes a column
below its padding go through rich unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from rich.table import Table

# Below this many rows rich is fast enough (a few ms) and renders the table itself.
FAST_ROWS = 200


class LongTable(Table):
    """A rich table of plain-text cells (never markup) with a fast path for long bodies."""

    def __init__(self, title: str | None, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
        super().__init__(title=title, title_justify="left", header_style="bold")
        self._headers = [str(c) for c in columns]
        for col in self._headers:
            self.add_column(col, overflow="fold", no_wrap=col in ("date", "symbol"))
        self._plain: list[list[str]] = []
        for row in rows:
            cells = [str(v) for v in row]
            self._plain.append(cells)
            self.add_row(*cells)

    def _head(self, widths: Sequence[int]) -> Table:
        """The same title and columns at fixed content widths, and no rows."""
        head = Table(title=self.title, title_justify=self.title_justify, header_style=self.header_style,
                     box=self.box, safe_box=self.safe_box)
        for column, width in zip(self.columns, widths, strict=True):
            head.add_column(column.header, width=width, overflow=column.overflow, no_wrap=column.no_wrap)
        return head

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        widths = self._body_widths(console, options)
        if widths is None or self.box is None:
            yield from super().__rich_console__(console, options)
            return
        lines = list(Segment.split_lines(console.render(self._head(widths), options)))
        bottom = lines.pop()  # the empty table's bottom rule closes the body below
        for line in lines:
            yield from line
            yield Segment.line()
        box = self.box.substitute(options, safe=console.safe_box if self.safe_box is None else self.safe_box)
        last = len(self._plain) - 1
        for i, row in enumerate(self._plain):
            left, mid, right = ((box.foot_left, box.foot_vertical, box.foot_right) if i == last
                                else (box.mid_left, box.mid_vertical, box.mid_right))
            if all(_width(cell) <= w for cell, w in zip(row, widths, strict=True)):
                text = mid.join(f" {cell}{' ' * (w - _width(cell))} " for cell, w in zip(row, widths, strict=True))
                yield Segment(f"{left}{text}{right}")
                yield Segment.line()
            else:
                yield from self._wrapped_row(console, options, row, widths, (left, mid, right))
        yield from bottom
        yield Segment.line()

    def _wrapped_row(self, console: Console, options: ConsoleOptions, row: Sequence[str],
                     widths: Sequence[int], rules: tuple[str, str, str]) -> RenderResult:
        """A row with a cell wider than its column, laid out by rich as ``Table._render`` does."""
        cells = []
        for cell, w, column in zip(row, widths, self.columns, strict=True):
            if _width(cell) <= w:
                cells.append([[Segment(f" {cell}{' ' * (w - _width(cell))} ")]])
            elif cell.isascii() and " " not in cell and not column.no_wrap and column.overflow == "fold":
                # one word wider than the column: rich folds it into pieces of the column's width
                cells.append([[Segment(f" {cell[k:k + w]:<{w}} ")] for k in range(0, len(cell), w)])
            else:
                cell_options = options.update(width=w + 2, justify=column.justify, no_wrap=column.no_wrap,
                                              overflow=column.overflow, height=None, highlight=column.highlight)
                cells.append(console.render_lines(Padding(cell, (0, 1, 0, 1)), cell_options, style=Style.null()))
        height = max(len(lines) for lines in cells)
        # every line is already its column's width (render_lines pads); shorter cells get blank lines below
        shaped = [lines + [[Segment(" " * (w + 2))]] * (height - len(lines))
                  for lines, w in zip(cells, widths, strict=True)]
        left, mid, right = (Segment(rule) for rule in rules)
        for line_no in range(height):
            yield left
            for k, lines in enumerate(shaped):
                if k:
                    yield mid
                yield from lines[line_no]
            yield right
            yield Segment.line()

    def _body_widths(self, console: Console, options: ConsoleOptions) -> list[int] | None:
        """Each column's content width as rich lays it out, or None when rich must render it all.

        rich sizes a column from the largest minimum (longest word) and maximum (whole
        cell) widths of its cells, so a two-row table of each column's widest cell and
        its cell with the longest word gets the same widths as the whole table.
        """
        if len(self._plain) < FAST_ROWS or not all(_plain_cell(h) for h in self._headers):
            return None
        n = len(self._headers)
        widest, widest_len = [""] * n, [0] * n
        wordiest, word_len = [""] * n, [0] * n
        for row in self._plain:
            for i, cell in enumerate(row):
                if not _plain_cell(cell):
                    return None
                w = _width(cell)
                if w > widest_len[i]:
                    widest[i], widest_len[i] = cell, w
                m = max((_width(word) for word in cell.split()), default=0) if " " in cell else w
                if m > word_len[i]:
                    wordiest[i], word_len[i] = cell, m
        proxy = Table(title=self.title, title_justify=self.title_justify, header_style=self.header_style,
                      box=self.box, safe_box=self.safe_box)
        for column in self.columns:
            proxy.add_column(column.header, overflow=column.overflow, no_wrap=column.no_wrap)
        proxy.add_row(*widest)
        proxy.add_row(*wordiest)
        # what Table.__rich_console__ does to size the columns (self.width is None)
        laid_out = proxy._calculate_column_widths(console, options.update_width(options.max_width - proxy._extra_width))
        if min(laid_out) < 3:  # a column narrower than its padding and one character: rich collapses it
            return None
        return [w - 2 for w in laid_out]  # one space of padding each side


def _plain_cell(text: str) -> bool:
    # rich lays out line breaks, tabs and control characters, and may strip edge spaces
    return text.isprintable() and text == text.strip()


def _width(text: str) -> int:
    return len(text) if text.isascii() else cell_len(text)
