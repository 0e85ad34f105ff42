"""Benchmark: filling and reading the store, beside a straightforward pandas baseline, in one run.

Run from the repository root:

    .venv/bin/python bench/bench_store.py [--data ../shared/data] [--repeat 3]

Timed, best of ``--repeat``:

* import: ``import_paths`` of every bar file of ``--data`` (parse, hard checks, one
  transaction into a fresh DuckDB store) beside pandas reading the same CSVs
  (``read_csv(parse_dates)`` + concat), which parses but neither checks nor stores;
* re-import of the same files (nothing changes: the diff against the store);
* reading two symbols' bars (``Store.bars``) beside pandas reading their two CSV files;
* validation (``check_bars`` on every stored bar, NYSE calendar included).

Prints each pair and the ratio; results are checked equal (row counts, closes).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from rotation.data.importer import import_paths
from rotation.data.store import Store
from rotation.data.validate import check_bars


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "data"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = sorted(Path(args.data).glob("*.csv"))
    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(1000))

        def fresh_import() -> int:
            with Store(Path(tmp) / f"s{next(counter)}.duckdb") as st:
                return import_paths(st, files).total.added

        def pandas_read() -> int:
            frames = [pd.read_csv(p, parse_dates=["date"]) for p in files]
            return len(pd.concat(frames, ignore_index=True))

        t_ours, added = best(fresh_import, args.repeat)
        t_pd, rows = best(pandas_read, args.repeat)
        assert added == rows, (added, rows)
        print(f"{len(files)} bar files, {rows:,} rows")
        print(f"import into a fresh store (parse + checks + write): {t_ours:7.3f} s")
        print(f"pandas read_csv + concat (parse only):             {t_pd:7.3f} s   ratio ours/pandas {t_ours / t_pd:.2f}")

        store = Path(tmp) / "s0.duckdb"
        with Store(store) as st:
            t_re, rep = best(lambda: import_paths(st, files), args.repeat)
        assert rep.total.added == 0 and rep.total.changed == 0
        print(f"re-import, nothing changes:                        {t_re:7.3f} s")

        with Store(store, read_only=True) as st:
            t_q, frame = best(lambda: st.bars(["NVDA", "^RUT"]), max(args.repeat, 10))
            t_c, pdf = best(
                lambda: pd.concat([pd.read_csv(Path(args.data) / n, parse_dates=["date"]) for n in ("NVDA.csv", "RUT.csv")]),
                max(args.repeat, 10),
            )
            assert frame.height == len(pdf) and abs(frame["close"].sum() - pdf["close"].sum()) < 1e-6
            print(f"read NVDA + ^RUT bars from the store:              {t_q * 1000:7.1f} ms")
            print(f"pandas read_csv of the two files:                  {t_c * 1000:7.1f} ms   ratio pandas/ours {t_c / t_q:.1f}x")
            everything = st.bars(st.symbols())
        t_v, found = best(lambda: check_bars(everything), args.repeat)
        print(f"check_bars on all {everything.height:,} bars:            {t_v:7.3f} s   ({len(found)} findings)")


if __name__ == "__main__":
    main()
