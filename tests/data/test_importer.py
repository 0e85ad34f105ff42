"""Importing files and folders: one transaction, idempotent, nothing written on failure."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from rotation.data.importer import import_paths
from rotation.data.store import Store
from rotation.errors import DataError


def test_real_data_import_matches_files(real_store: Path, shared_data: Path) -> None:
    with Store(real_store, read_only=True) as st:
        summary = {r["symbol"]: r for r in st.summary().iter_rows(named=True)}
    files = sorted(shared_data.glob("*.csv"))
    assert len(summary) == len(files) == 47
    for path in files:
        frame = pl.read_csv(path, columns=["date"], try_parse_dates=True)
        sym = path.stem if path.stem not in {"RUT", "NDX", "GSPC", "IXIC", "DJI", "SOX", "VIX"} else f"^{path.stem}"
        row = summary[sym]
        assert row["rows"] == frame.height, sym
        assert row["first_date"] == frame["date"].min() and row["last_date"] == frame["date"].max(), sym


def test_reimport_changes_nothing(store_copy: Path, shared_data: Path) -> None:
    with Store(store_copy) as st:
        report = import_paths(st, [shared_data])
    bars = report.by_kind()["bars"]
    assert (bars.added, bars.changed) == (0, 0)
    assert bars.unchanged == 301355


def test_bad_file_in_folder_writes_nothing(tmp_path: Path, shared_data: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "IWM.csv").write_bytes((shared_data / "IWM.csv").read_bytes())
    (folder / "ZZZ.csv").write_text("date,open,high,low,close\n2024-01-02,10,11,9,10\n2024-01-03,10,11,-9,10\n")
    store = tmp_path / "s.duckdb"
    with Store(store) as st:
        with pytest.raises(DataError, match=r"ZZZ.csv:3: non_positive_price"):
            import_paths(st, [folder])
        assert st.symbols() == []


def test_keep_bad_imports_flagged_rows(tmp_path: Path) -> None:
    path = tmp_path / "ZZZ.csv"
    path.write_text("date,open,high,low,close\n2024-01-02,10,11,9,10\n2024-01-03,10,9.5,9,10\n")
    from rotation.data.importer import ImportOptions

    with Store(tmp_path / "s.duckdb") as st:
        report = import_paths(st, [path], ImportOptions(keep_bad=True))
        assert report.total.added == 2
        assert any("kept 1 row" in n for n in report.files[0].notes)


def _big_csv(path: Path, symbols: int = 40, days: int = 25_000) -> None:
    import numpy as np

    dates = pl.date_range(pl.date(1900, 1, 1), pl.date(2200, 1, 1), "1d", eager=True).head(days)
    frames = []
    rng = np.random.default_rng(0)
    for i in range(symbols):
        close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, days)))
        frames.append(pl.DataFrame({
            "symbol": f"S{i:03d}", "date": dates, "open": close, "high": close * 1.01,
            "low": close * 0.99, "close": close, "adj_close": close, "volume": 1e6,
        }))
    pl.concat(frames).write_csv(path)


@pytest.mark.slow
def test_killed_import_leaves_store_as_before(tmp_path: Path, shared_data: Path) -> None:
    store = tmp_path / "s.duckdb"
    with Store(store) as st:
        import_paths(st, [shared_data / "IWM.csv"])
        before = st.query("SELECT symbol, count(*) n, sum(close) s FROM bars GROUP BY 1").rows()
    big = tmp_path / "big.csv"
    _big_csv(big)
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "rotation", "data", "import", str(big), "--store", str(store)],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env,
    )
    assert proc.stderr is not None
    line = proc.stderr.readline()
    assert line.startswith("writing"), line
    time.sleep(0.3)  # well inside the write of 1,000,000 rows
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    with Store(store) as st:
        after = st.query("SELECT symbol, count(*) n, sum(close) s FROM bars GROUP BY 1").rows()
    assert after == before


def test_cli_import_json_report(tmp_path: Path, shared_data: Path, cli) -> None:
    store = tmp_path / "s.duckdb"
    result = cli("data", "import", str(shared_data / "NVDA.csv"), str(shared_data / "RUT.csv"), "--store", str(store), "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["total"] == {"added": 6938 + 9811, "changed": 0, "unchanged": 0, "removed": 0}


def test_overlapping_files_in_one_import_apply_in_order(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a_first.csv").write_text(
        "symbol,date,open,high,low,close\nAAA,2024-01-02,10,11,9,10\nAAA,2024-01-03,10,11,9,10.5\n"
    )
    (folder / "b_second.csv").write_text(
        "symbol,date,open,high,low,close\nAAA,2024-01-03,10,11,9,10.7\nAAA,2024-01-04,10,11,9,10.9\n"
    )
    (folder / "BBB.csv").write_text("date,open,high,low,close\n2024-01-02,5,6,4,5\n")
    with Store(tmp_path / "s.duckdb") as st:
        report = import_paths(st, [folder])
        by_file = {f.path.name: f.total for f in report.files}
        assert (by_file["a_first.csv"].added, by_file["b_second.csv"].added, by_file["b_second.csv"].changed) == (2, 1, 1)
        closes = st.bars("AAA")["close"].to_list()
        assert closes == [10.0, 10.7, 10.9]  # the later file wins on the shared date
        sources = dict(st.query("SELECT symbol || ' ' || CAST(date AS VARCHAR), source FROM bars").rows())
        assert sources["AAA 2024-01-03"] == "file:b_second.csv"
        assert sources["BBB 2024-01-02"] == "file:BBB.csv"
