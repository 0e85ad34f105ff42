"""``rotation breadth ...`` on the real store: figures, survivorship notes, clear errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Cli = Callable[..., Any]


def _json(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_breadth_as_of_json(cli: Cli, real_store: Path) -> None:
    out = _json(cli("breadth", "--universe", "sp500", "--as-of", "2024-07-11", "--json", "--store", str(real_store)))
    assert out["universe"] == "sp500" and out["membership"] == "point-in-time"
    assert out["survivor_biased"] is True
    assert any("survivor-biased" in n for n in out["notes"])
    row = out["as_of"]
    assert row["date"] == "2024-07-11"
    assert (row["advancers"], row["counted"]) == (372, 475)
    assert row["share_up"] == pytest.approx(0.7832, abs=5e-5)
    assert out["series"] is None


def test_breadth_series_and_text(cli: Cli, real_store: Path) -> None:
    res = cli("breadth", "--universe", "russell2000", "--as-of", "2024-07-11", "--start", "2024-07-08",
              "--end", "2024-07-12", "--store", str(real_store))
    assert res.exit_code == 0, res.output
    assert "94.8%" in res.stdout and "survivor-biased" in res.stdout
    assert "no membership history" in res.stdout
    out = _json(cli("breadth", "--universe", "russell2000", "--start", "2024-07-08", "--end", "2024-07-12",
                    "--json", "--store", str(real_store)))
    assert [r["date"] for r in out["series"]] == ["2024-07-08", "2024-07-09", "2024-07-10", "2024-07-11", "2024-07-12"]
    assert out["as_of"]["date"] == "2024-07-12"  # default: the end of the range
    latest = _json(cli("breadth", "--universe", "russell2000", "--json", "--store", str(real_store)))
    assert latest["as_of"]["date"] == "2026-08-03"  # no range: the latest row


def test_weights(cli: Cli, real_store: Path) -> None:
    out = _json(cli("breadth", "weights", "--as-of", "2024-07-11", "--json", "--store", str(real_store)))
    one = next(r for r in out["result"]["table"] if r["window"] == "1d")
    assert one["spread_equal_vs_cap"] == pytest.approx(0.02068, abs=1e-5)
    assert out["result"]["cap_fund"] == "SPY" and out["result"]["equal_fund"] == "RSP"
    assert out["survivor_biased"] is True
    text = cli("breadth", "weights", "--universe", "russell2000", "--as-of", "2024-07-11", "--store", str(real_store))
    assert text.exit_code == 0 and "IWM" in text.stdout and "survivor-biased" in text.stdout


def test_volume(cli: Cli, real_store: Path) -> None:
    out = _json(cli("breadth", "volume", "--as-of", "2024-07-11", "--json", "--store", str(real_store)))
    iwm = next(r for r in out["relative_volume"] if r["symbol"] == "IWM")
    assert iwm["relative_volume"] == pytest.approx(2.6809, abs=1e-4)
    assert out["basket_symbols"][:2] == ["AAPL", "MSFT"]
    assert out["dollar_volume"][0]["basket_vs_IWM"] == pytest.approx(11.39, abs=0.01)
    text = cli("breadth", "volume", "--as-of", "2024-07-11", "--days", "3", "--store", str(real_store))
    assert text.exit_code == 0 and "2.68x" in text.stdout


def test_concentration(cli: Cli, real_store: Path) -> None:
    out = _json(cli("breadth", "concentration", "--as-of", "2024-07-11", "--top", "5", "--json",
                    "--store", str(real_store)))
    res = out["result"]
    assert res["holdings_date"] == "2024-09-27" and res["top"] == 5
    assert res["index_return"] == pytest.approx(0.0358, abs=5e-4)
    assert len(res["table"]) == 5
    assert any("drifted" in n for n in out["notes"])


def test_confirm(cli: Cli, real_store: Path) -> None:
    res = cli("breadth", "confirm", "--pair", "RUT:NDX", "--on", "2024-07-11", "--store", str(real_store))
    assert res.exit_code == 0, res.output
    assert "RUT +3.6% with 95% of members up, on IWM volume 2.7x its 50-day average" in res.stdout
    assert "survivor-biased" in res.stdout
    out = _json(cli("breadth", "confirm", "--pair", "IWM:SPY", "--on", "2024-07-11", "--json",
                    "--store", str(real_store)))
    assert out["confirmation"]["b"]["share_up"] == pytest.approx(0.7832, abs=5e-5)


def test_universes(cli: Cli, real_store: Path) -> None:
    out = _json(cli("breadth", "universes", "--json", "--store", str(real_store)))
    names = {u["universe"]: u for u in out}
    assert names["sp500"]["symbols"] == 583 and names["russell2000"]["membership"] == "fixed"
    assert all(u["survivor_biased"] for u in out)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("breadth", "--universe", "nasdaq"), "no constituent data for universe 'nasdaq'"),
        (("breadth", "--as-of", "2010-07-13"), "before the constituent matrix's first date"),
        (("breadth", "--as-of", "2024-7-xx"), "--as-of: expected a date"),
        (("breadth", "confirm", "--pair", "RUT", "--on", "2024-07-11"), "expected A:B"),
    ],
)
def test_bad_input_is_one_clear_line(cli: Cli, real_store: Path, args: tuple[str, ...], message: str) -> None:
    res = cli(*args, "--store", str(real_store))
    assert res.exit_code == 2
    assert message in res.stderr
    assert "Traceback" not in res.output


def test_user_universe_through_data_import(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "tiny_closes.csv").write_text(
        "date,A,B\n2024-01-02,10,20\n2024-01-03,11,19\n2024-01-04,12,\n"
    )
    store = str(tmp_path / "s.duckdb")
    res = cli("data", "import", str(folder), "--store", store)
    assert res.exit_code == 0, res.output
    out = _json(cli("breadth", "--universe", "tiny", "--json", "--store", store))
    assert out["membership"] == "fixed"
    assert (out["as_of"]["advancers"], out["as_of"]["counted"]) == (1, 1)  # B has no price: not a decline


def test_weekend_as_of_means_the_session_before(cli: Cli, real_store: Path) -> None:
    out = _json(cli("breadth", "--universe", "sp500", "--as-of", "2024-07-13", "--json", "--store", str(real_store)))
    assert out["as_of"]["date"] == "2024-07-12"
