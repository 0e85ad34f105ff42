"""``rotation valuation`` on the real store: JSON figures, the table, the index view, bad input."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from rotation.data.store import Store


def _json(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_nvda_json_on_2024_06_20(cli: Any, real_store: Path) -> None:
    out = _json(cli("valuation", "NVDA", "--as-of", "2024-06-20", "--json", "--store", str(real_store)))
    nv = out["symbols"][0]
    assert (nv["symbol"], nv["date"], nv["close"]) == ("NVDA", "2024-06-20", 130.78)
    assert nv["eps_ttm"] == pytest.approx(1.709)
    assert nv["eps_period_end"] == "2024-04-28"
    assert nv["pe"] == pytest.approx(76.5, abs=0.05)
    assert nv["source_filed"] <= "2024-06-20"
    d = nv["decomposition"]
    assert (d["start"], d["end"]) == ("2023-06-20", "2024-06-20")
    assert 1 + d["price_change"] == pytest.approx((1 + d["eps_change"]) * (1 + d["pe_change"]))
    assert {(s["ticker"], s["ratio"]) for s in out["splits"]} == {("NVDA", 4.0), ("NVDA", 10.0)}


def test_as_of_before_the_may_filing(cli: Any, real_store: Path) -> None:
    out = _json(cli("valuation", "NVDA", "--as-of", "2024-05-01", "--json", "--store", str(real_store)))
    nv = out["symbols"][0]
    assert nv["eps_period_end"] == "2024-01-28"
    assert nv["eps_ttm"] == pytest.approx(1.193)


def test_since_sets_the_window(cli: Any, real_store: Path) -> None:
    out = _json(cli("valuation", "NVDA", "--as-of", "2024-06-20", "--since", "2024-04-19", "--json",
                    "--store", str(real_store)))
    d = out["symbols"][0]["decomposition"]
    assert d["start"] == "2024-04-19"
    assert d["price_change"] == pytest.approx(130.78 / 76.20 - 1, abs=0.01)  # the seed's "+84%" pivot


def test_table_output(cli: Any, real_store: Path) -> None:
    result = cli("valuation", "NVDA", "AAPL", "--as-of", "2024-06-20", "--store", str(real_store))
    assert result.exit_code == 0, result.output
    assert "76.5" in result.stdout
    assert "Price change = EPS change x P/E change" in result.stdout
    assert "split NVDA 10:1" in result.stdout


def test_basket(cli: Any, real_store: Path) -> None:
    out = _json(cli("valuation", "--basket", "megacaps", "--as-of", "2024-06-20", "--json", "--store", str(real_store)))
    assert out["basket"]["name"] == "megacaps"
    assert out["basket"]["members"] == 7
    assert len(out["symbols"]) == 8
    assert out["basket"]["pe"] > 20


def test_index(cli: Any, real_store: Path) -> None:
    out = _json(cli("valuation", "--index", "--as-of", "2024-07-31", "--json", "--store", str(real_store)))
    assert out["month"] == "2024-07-01"
    assert out["cape"] == pytest.approx(35.44, abs=0.005)
    assert any(s["year"] == 2023 and s["basis"] == "operating" for s in out["size"])
    table = cli("valuation", "--index", "--as-of", "2024-07-31", "--store", str(real_store))
    assert "Shiller CAPE" in table.stdout and "35.44" in table.stdout


def test_bad_input(cli: Any, real_store: Path, tmp_path: Path) -> None:
    none = cli("valuation", "--store", str(real_store))
    assert none.exit_code == 2
    bad_date = cli("valuation", "NVDA", "--as-of", "2024-13-01", "--store", str(real_store))
    assert bad_date.exit_code == 2 and "--as-of" in bad_date.output
    unknown = cli("valuation", "NOPE", "--store", str(real_store))
    assert unknown.exit_code == 2
    bars_only = tmp_path / "bars.duckdb"
    Store(bars_only).close()  # an empty store: no fundamentals tables
    no_facts = cli("valuation", "--index", "--store", str(bars_only))
    assert no_facts.exit_code == 2
    assert "import the fundamentals first" in no_facts.output


# -- valuation at the time: filings cut at the as-of date, splits on record ---------------------------


def _cut_filings(store: Path, day: str) -> None:
    import duckdb

    con = duckdb.connect(str(store))
    try:
        con.execute("DELETE FROM fund_facts WHERE filed > ?", [day])
    finally:
        con.close()


def _pe(cli, store: Path, *symbols: str, as_of: str = "2024-06-20") -> dict[str, float]:
    out = cli("valuation", *symbols, "--as-of", as_of, "--store", str(store), "--json")
    assert out.exit_code == 0, out.output
    return {s["symbol"]: s["pe"] for s in json.loads(out.stdout)["symbols"]}


def test_pe_at_the_time_uses_the_splits_on_record(cli, store_copy: Path, tmp_path: Path) -> None:
    """NVDA on 2024-06-20 knowing only the filings made by then: 76.5, not 7.65."""
    full = _pe(cli, store_copy, "NVDA", "AVGO")
    _cut_filings(store_copy, "2024-06-20")
    cut = _pe(cli, store_copy, "NVDA", "AVGO")
    assert cut["NVDA"] == pytest.approx(full["NVDA"] / 10, rel=1e-9)  # the split unknown: 10x too low
    assert round(cut["NVDA"], 2) == 7.65
    splits = tmp_path / "splits.csv"
    splits.write_text("symbol,date,ratio\nNVDA,2021-07-20,4\nNVDA,2024-06-10,10\nAVGO,2024-07-15,10:1\n")
    assert cli("data", "import", str(splits), "--store", str(store_copy)).exit_code == 0
    known = _pe(cli, store_copy, "NVDA", "AVGO")
    assert round(known["NVDA"], 1) == 76.5
    assert known["AVGO"] == pytest.approx(full["AVGO"], rel=1e-9)
    text = cli("valuation", "NVDA", "--as-of", "2024-06-20", "--store", str(store_copy))
    assert "split NVDA 10:1 on 2024-06-10 (on record" in text.stdout


def test_split_records_and_detected_splits_are_not_applied_twice(cli, store_copy: Path, tmp_path: Path) -> None:
    before = _pe(cli, store_copy, "NVDA", "AAPL", as_of="2024-06-20")
    splits = tmp_path / "splits.csv"
    splits.write_text("symbol,date,ratio\nNVDA,2021-07-20,4\nNVDA,2024-06-10,10\nAAPL,2020-08-31,4\n")
    assert cli("data", "import", str(splits), "--store", str(store_copy)).exit_code == 0
    after = _pe(cli, store_copy, "NVDA", "AAPL", as_of="2024-06-20")
    assert after == pytest.approx(before, rel=1e-9)


def test_pe_jump_by_a_split_ratio_is_warned(real_store: Path) -> None:
    """Prices left unadjusted across NVDA's 10:1 split: the P/E drops x0.1 overnight, which is flagged."""
    import polars as pl

    from rotation.analytics.split_basis import pe_split_jumps
    from rotation.analytics.valuation import CONCEPTS_USED, valuation_series
    from rotation.data.fundamentals import valuation_inputs
    from rotation.data.store import Store

    with Store(real_store, read_only=True) as st:
        bars, facts = valuation_inputs(st, ["NVDA"], CONCEPTS_USED)
    series = valuation_series(bars, facts)
    assert pe_split_jumps(series) == []  # the real, split-adjusted data: no warning
    raw = series.with_columns(
        [pl.when(pl.col("date") < date(2024, 6, 10)).then(pl.col(c) * 10).otherwise(pl.col(c)).alias(c)
         for c in ("close", "pe")]
    )
    warned = pe_split_jumps(raw)
    assert len(warned) == 1 and "2024-06-10" in warned[0] and "10:1" in warned[0]
