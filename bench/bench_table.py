"""Benchmark: printing a long terminal table, ``LongTable`` vs a plain ``rich.table.Table``.

The table is the one ``rotation breadth volume --days N`` prints (date, symbol, volume,
average, ratio, dollar volume), ``--rows`` rows of made-up but realistic cells.  Both
sides render to the same 160-column console (and, with ``--width``, a narrower one that
makes rich wrap the headers and fold some cells); the outputs must be identical, then the
CPU times and their ratio are printed.

    .venv/bin/python bench/bench_table.py                  # 20,000 rows, 160 columns
    .venv/bin/python bench/bench_table.py --rows 5000 --width 60
"""

from __future__ import annotations

import argparse
import io
import time

from rich.console import Console
from rich.table import Table

from rotation.cli.long_table import LongTable

COLUMNS = ["date", "symbol", "volume", "avg 50d", "ratio", "$ volume (bn)"]


def _rows(n: int) -> list[list[str]]:
    return [[f"{1993 + i // 756}-{1 + i // 63 % 12:02d}-{1 + i // 3 % 28:02d}", ("IWM", "SPY", "QQQ")[i % 3],
             f"{(i * 7919) % 90_000_000 + 100_000:,}", "-" if i < 150 else f"{(i * 104_729) % 80_000_000:,}",
             "-" if i < 150 else f"{(i % 311) / 100:.2f}x", f"{(i % 5000) / 100:.2f}"] for i in range(n)]


def _rich(rows: list[list[str]]) -> Table:
    table = Table(title="Volume vs its previous 50-session average (shares)", title_justify="left", header_style="bold")
    for col in COLUMNS:
        table.add_column(col, overflow="fold", no_wrap=col in ("date", "symbol"))
    for row in rows:
        table.add_row(*row)
    return table


def _render(table: Table, width: int) -> tuple[str, float]:
    buf = io.StringIO()
    console = Console(file=buf, width=width, color_system=None, highlight=False, soft_wrap=False, markup=False)
    t0 = time.process_time()
    console.print(table)
    return buf.getvalue(), time.process_time() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--width", type=int, default=160)
    args = ap.parse_args()
    rows = _rows(args.rows)
    ours, t_ours = _render(LongTable("Volume vs its previous 50-session average (shares)", COLUMNS, rows), args.width)
    theirs, t_rich = _render(_rich(rows), args.width)
    assert ours == theirs, "LongTable printed something else than rich"
    print(f"{args.rows:,} rows x {len(COLUMNS)} columns at {args.width} columns, identical output "
          f"({len(ours.splitlines()):,} lines)")
    print(f"rich Table  {t_rich:8.3f} s CPU")
    print(f"LongTable   {t_ours:8.3f} s CPU   ({t_rich / max(t_ours, 1e-9):,.0f}x faster)")


if __name__ == "__main__":
    main()
