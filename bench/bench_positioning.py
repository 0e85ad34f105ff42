"""Benchmark: importing the five CFTC TFF years and an as-of query, beside pandas, in one run.

Run from the repository root:

    .venv/bin/python bench/bench_positioning.py [--data ../shared/data] [--repeat 3]

Timed, best of ``--repeat``:

* import of ``positioning/cftc_tff/fut_fin_xls_2022..2026.zip`` (every market: about
  13k rows x 84 columns; read with Polars ``read_excel`` on calamine, checks, reshaped to
  one row per trader group, one transaction into a fresh DuckDB store);
* the same years in the CFTC's text form (``FinFutYY.txt`` in a zip, made here from the
  Excel files), imported by us beside pandas ``read_csv`` of the same zips (parse only:
  no checks, no reshaping, nothing stored); pandas cannot read the ``.xls`` here without
  ``xlrd`` or ``python-calamine``, which the project does not need; and beside what a
  pandas user would write for the same result (read, one row per group, a DuckDB table;
  no checks, no provenance, no diff against what is stored);
* re-import (nothing changes);
* the as-of query: RTY, NQ and ES rows known on 2024-07-19 (``positioning_frame``) beside
  pandas filtering the frame it already holds in memory (release dates by the same rule).

Prints each pair and the ratio; results are checked equal (row counts, nets).
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl

from rotation.data.importer import import_paths
from rotation.data.positioning import CONTRACTS, cftc_release_date, positioning_frame
from rotation.data.store import Store

AS_OF = date(2024, 7, 19)


CPU: dict[int, float] = {}  # id of the timed function -> its best process CPU time (all threads)


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best wall time of ``repeat`` runs (the CPU time of the same runs goes to :data:`CPU`)."""
    times, cpus, out = [], [], None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    CPU[id(fn)] = min(cpus)
    return min(times), out


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """``(wall, cpu, result)``: on a loaded machine the CPU time is the steadier figure."""
    wall, out = best(fn, repeat)
    return wall, CPU[id(fn)], out


def text_form(xls_zip: Path, dest: Path) -> Path:
    """The CFTC's comma-separated form of a year, from its Excel form."""
    with zipfile.ZipFile(xls_zip) as zf:
        member = next(m for m in zf.namelist() if m.lower().endswith(".xls"))
        frame = pl.read_excel(io.BytesIO(zf.read(member)), engine="calamine")
    frame = frame.with_columns(pl.col("Report_Date_as_MM_DD_YYYY").dt.strftime("%Y-%m-%d"))
    out = dest / xls_zip.name.replace("_xls_", "_txt_")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(member.replace(".xls", ".txt"), frame.write_csv())
    return out


def pandas_read(files: list[Path]) -> pd.DataFrame:
    frames = [pd.read_csv(p, compression="zip", dtype={"CFTC_Contract_Market_Code": str}) for p in files]
    out = pd.concat(frames, ignore_index=True)
    out["Report_Date_as_MM_DD_YYYY"] = pd.to_datetime(out["Report_Date_as_MM_DD_YYYY"])
    return out


GROUPS = {"Dealer": "dealer", "Asset_Mgr": "asset_mgr", "Lev_Money": "lev_money", "Other_Rept": "other_rept",
          "NonRept": "nonrept"}


def pandas_store(files: list[Path], path: Path) -> int:
    """What a pandas user would write for the same result: read, one row per group, a DuckDB table."""
    import duckdb

    wide = pandas_read(files)
    parts = []
    for prefix, group in GROUPS.items():
        part = pd.DataFrame({
            "market_code": wide["CFTC_Contract_Market_Code"].str.strip(),
            "market_name": wide["Market_and_Exchange_Names"],
            "report_date": wide["Report_Date_as_MM_DD_YYYY"],
            "group": group,
            "long": wide[f"{prefix}_Positions_Long_All"],
            "short": wide[f"{prefix}_Positions_Short_All"],
            "spread": wide.get(f"{prefix}_Positions_Spread_All"),
            "open_interest": wide["Open_Interest_All"],
        })
        parts.append(part)
    long = pd.concat(parts, ignore_index=True)
    with duckdb.connect(str(path)) as con:
        con.register("long_rows", long)
        con.execute("CREATE TABLE positioning AS SELECT * FROM long_rows")
    return len(long)


def pandas_as_of(frame: pd.DataFrame, as_of: date) -> pd.DataFrame:
    codes = [c.market_code for c in CONTRACTS.values()]
    sub = frame[frame["CFTC_Contract_Market_Code"].str.strip().isin(codes)]
    days = sub["Report_Date_as_MM_DD_YYYY"].dt.date
    released = days.map({d: cftc_release_date(d) for d in days.unique()})
    return sub[released <= as_of]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "data"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    xls = sorted((Path(args.data) / "positioning" / "cftc_tff").glob("fut_fin_xls_*.zip"))
    if not xls:
        raise SystemExit(f"no fut_fin_xls_*.zip under {args.data}/positioning/cftc_tff")
    with tempfile.TemporaryDirectory() as tmp:
        txt = [text_form(p, Path(tmp)) for p in xls]
        counter = iter(range(1000))

        def fresh_import(files: list[Path]) -> int:
            with Store(Path(tmp) / f"s{next(counter)}.duckdb") as st:
                return import_paths(st, files).total.added

        t_xls, c_xls, added = timed(lambda: fresh_import(xls), args.repeat)
        t_txt, c_txt, added_txt = timed(lambda: fresh_import(txt), args.repeat)
        t_pd, c_pd, pdf = timed(lambda: pandas_read(txt), args.repeat)
        assert added == added_txt == 5 * len(pdf), (added, added_txt, len(pdf))
        print(f"{len(xls)} TFF years, {len(pdf):,} rows x {pdf.shape[1]} columns -> {added:,} stored group rows")
        print("                                                  wall s   (cpu s)")
        print(f"import .xls zips into a fresh store (read+check+write): {t_xls:6.3f}  ({c_xls:6.3f})")
        print(f"import .txt zips into a fresh store (read+check+write): {t_txt:6.3f}  ({c_txt:6.3f})")
        print(f"pandas read_csv of the .txt zips + concat (parse only): {t_pd:6.3f}  ({c_pd:6.3f})   "
              f"ratio ours/pandas: txt {t_txt / t_pd:.2f} ({c_txt / c_pd:.2f} cpu), xls {t_xls / t_pd:.2f} "
              f"({c_xls / c_pd:.2f} cpu)")
        t_ps, c_ps, n_ps = timed(lambda: pandas_store(txt, Path(tmp) / f"pd{next(counter)}.duckdb"), args.repeat)
        assert n_ps == added
        print(f"pandas read + reshape + DuckDB table (no checks):      {t_ps:6.3f}  ({c_ps:6.3f})   "
              f"ratio ours/pandas: txt {t_txt / t_ps:.2f} ({c_txt / c_ps:.2f} cpu), xls {t_xls / t_ps:.2f} "
              f"({c_xls / c_ps:.2f} cpu)")

        store = Path(tmp) / "s0.duckdb"
        with Store(store) as st:
            t_re, c_re, rep = timed(lambda: import_paths(st, xls), args.repeat)
        assert rep.total.added == 0 and rep.total.changed == 0
        print(f"re-import of the .xls zips, nothing changes:            {t_re:6.3f}  ({c_re:6.3f})")

        with Store(store, read_only=True) as st:
            t_q, ours = best(lambda: positioning_frame(st, ["RTY", "NQ", "ES"], as_of=AS_OF), max(args.repeat, 10))
        t_pq, theirs = best(lambda: pandas_as_of(pdf, AS_OF), max(args.repeat, 10))
        assert ours.height == 5 * len(theirs), (ours.height, len(theirs))
        lev = ours.filter((pl.col("contract") == "RTY") & (pl.col("group") == "lev_money"))
        assert lev["report_date"].max() == date(2024, 7, 16)
        print(f"as-of {AS_OF} query, RTY NQ ES, from the store:   {t_q * 1000:6.1f} ms")
        print(f"pandas filter of the frame already in memory:           {t_pq * 1000:6.1f} ms   "
              f"ratio pandas/ours {t_pq / t_q:.1f}x")


if __name__ == "__main__":
    main()
