"""The DuckDB store: upserts, provenance, transactions, busy writers, library access."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import polars as pl
import pytest

import rotation
from conftest import make_bars
from rotation.data.store import Store, default_store_path
from rotation.errors import StoreBusyError, StoreError, UnknownSymbolError


def test_upsert_counts_added_changed_unchanged(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as st:
        first = make_bars("AAA", [10.0, 11.0, 12.0])
        assert st.upsert_bars(first, "t")["AAA"].added == 3
        again = st.upsert_bars(first, "t")["AAA"]
        assert (again.added, again.changed, again.unchanged) == (0, 0, 3)
        revised = pl.concat([first.with_columns(pl.when(pl.col("close") == 12.0).then(12.5).otherwise(pl.col("close")).alias("close")),
                             make_bars("AAA", [13.0], start=date(2024, 1, 5))])
        counts = st.upsert_bars(revised, "t2")["AAA"]
        assert (counts.added, counts.changed, counts.unchanged) == (1, 1, 2)
        stored = st.bars("AAA")
        assert stored["close"].to_list() == [10.0, 11.0, 12.5, 13.0]
        src = st.query("SELECT date, source FROM bars ORDER BY date")["source"].to_list()
        assert src == ["t", "t", "t2", "t2"]  # provenance follows the row that last changed


def test_transaction_rolls_back_everything(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as st:
        st.upsert_bars(make_bars("AAA", [10.0, 11.0]), "t")
        with pytest.raises(RuntimeError), st.transaction():
            st.upsert_bars(make_bars("BBB", [1.0, 2.0]), "t")
            raise RuntimeError("boom")
        assert st.symbols() == ["AAA"]


def test_bars_and_closes_accept_aliases(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store(path) as st:
        st.upsert_bars(pl.concat([make_bars("^RUT", [2000.0, 2050.0]), make_bars("NVDA", [130.0, 120.0])]), "t")
    frame = rotation.bars("rut", store=path)
    assert frame["symbol"].unique().to_list() == ["^RUT"]
    assert frame.to_pandas().shape == (2, 8)
    wide = rotation.closes(["NVDA", "RUT"], start="2024-01-03", store=path)
    assert wide.columns == ["date", "NVDA", "^RUT"] and wide.height == 1
    with pytest.raises(UnknownSymbolError, match="no bars for NOPE"):
        rotation.bars(["NVDA", "NOPE"], store=path)


def test_read_only_missing_store_says_how_to_fill(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="rotation data import"):
        Store(tmp_path / "none.duckdb", read_only=True)


def test_default_path_honours_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ROTATION_STORE", str(tmp_path / "x.duckdb"))
    assert default_store_path() == tmp_path / "x.duckdb"
    monkeypatch.delenv("ROTATION_STORE")
    assert default_store_path().name == "rotation.duckdb"


def test_second_writer_gets_busy_error(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    Store(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from rotation.data.store import Store
            st = Store({str(path)!r})
            print("holding", flush=True)
            time.sleep(30)
        """)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        with pytest.raises(StoreBusyError, match="is busy"):
            Store(path, busy_timeout=0.3)
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    Store(path).close()  # usable again once the other writer is gone
