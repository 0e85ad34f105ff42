"""``rotation valuation`` on the real store: JSON figures, the table, the index view, bad input."""

from __future__ import annotations

import json
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
