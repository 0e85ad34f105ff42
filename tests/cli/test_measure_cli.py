"""``rotation measure | compare | drawdown | pivots | claims`` on the real store."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from conftest import make_bars
from rotation.data.store import Store

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "claims-2024-07.toml"


def _json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_measure_nvda_april_to_june_high(cli, real_store: Path) -> None:
    out = _json(cli("measure", "NVDA", "--from", "2024-04-19", "--to", "2024-06-20:high",
                    "--store", str(real_store), "--json"))
    assert round(out["pct_change"] * 100, 2) == 84.72
    assert out["start"] == {"text": "2024-04-19", "date": "2024-04-19", "field": "close", "price": 76.2, "note": ""}
    assert (out["end"]["date"], out["end"]["field"], out["end"]["price"]) == ("2024-06-20", "high", 140.76)
    assert (out["trading_days"], out["calendar_days"], out["basis"]) == (42, 62, "price")


def test_measure_nvda_from_ath(cli, real_store: Path) -> None:
    out = _json(cli("measure", "NVDA", "--from", "ath", "--to", "2024-07-26", "--store", str(real_store), "--json"))
    assert round(out["pct_change"] * 100, 2) == -19.68
    assert (out["start"]["date"], out["start"]["field"], out["start"]["price"]) == ("2024-06-20", "high", 140.76)
    assert out["start"]["note"] == "highest high up to 2024-07-26"
    assert (out["end"]["date"], out["end"]["price"]) == ("2024-07-26", 113.06)


def test_measure_rut_alias_and_one_day_moves(cli, real_store: Path) -> None:
    rut = _json(cli("measure", "rut", "--from", "2024-06-20", "--to", "2024-07-26", "--store", str(real_store),
                    "--json"))
    assert rut["symbol"] == "^RUT" and round(rut["pct_change"] * 100, 2) == 12.03
    assert (rut["start"]["price"], rut["end"]["price"]) == (2017.39, 2260.07)
    day = _json(cli("measure", "^RUT", "--from", "-1d", "--to", "2024-07-11", "--store", str(real_store), "--json"))
    assert day["start"]["date"] == "2024-07-10" and round(day["pct_change"] * 100, 2) == 3.57
    ndx = _json(cli("measure", "NDX", "--from=-1d", "--to", "2024-07-11", "--store", str(real_store), "--json"))
    assert round(ndx["pct_change"] * 100, 2) == -2.24


def test_measure_table_says_what_it_used(cli, real_store: Path) -> None:
    result = cli("measure", "NVDA", "--from", "ath", "--to", "2024-07-26", "--store", str(real_store))
    assert result.exit_code == 0
    text = result.stdout
    for needle in ("-19.68%", "2024-06-20", "high", "140.76", "113.06", "25 trading days", "36 calendar days",
                   "basis: price"):
        assert needle in text


def test_measure_roll_and_total_return(cli, real_store: Path) -> None:
    out = _json(cli("measure", "NVDA", "--from", "2024-07-13", "--to", "2024-07-26", "--roll", "prev",
                    "--total-return", "--store", str(real_store), "--json"))
    assert out["start"]["date"] == "2024-07-12" and "rolled from 2024-07-13 (Saturday)" in out["start"]["note"]
    assert out["start"]["field"] == "adj_close" and out["basis"] == "total return (adj_close)"


def test_compare_side_by_side(cli, real_store: Path) -> None:
    out = _json(cli("compare", "NVDA", "RUT", "--from", "2024-06-20", "--to", "2024-07-26",
                    "--store", str(real_store), "--json"))
    assert [m["symbol"] for m in out["measurements"]] == ["NVDA", "^RUT"]
    nv, rut = out["measurements"]
    assert round(rut["pct_change"] * 100, 2) == 12.03
    assert out["spreads"][0]["spread"] == pytest.approx(nv["pct_change"] - rut["pct_change"])
    assert out["basis"] == "price" and out["same_window"] is True
    text = cli("compare", "NVDA", "RUT", "--from", "2024-06-20", "--to", "2024-07-26", "--total-return",
               "--store", str(real_store)).stdout
    assert "+12.03%" in text and "adj_close" in text and "total return" in text


def test_drawdown(cli, real_store: Path) -> None:
    out = _json(cli("drawdown", "NVDA", "--as-of", "2024-07-26", "--store", str(real_store), "--json"))
    assert (out["ath_date"], out["ath"], out["close"]) == ("2024-06-20", 140.76, 113.06)
    assert round(out["pct_below"] * 100, 2) == -19.68
    assert (out["low_since_date"], out["low_since"], out["trading_days"]) == ("2024-07-25", 106.3, 25)
    text = cli("drawdown", "NVDA", "--as-of", "2024-07-26", "--store", str(real_store)).stdout
    assert "140.76 on 2024-06-20" in text and "-19.68%" in text


def test_pivots(cli, real_store: Path) -> None:
    out = _json(cli("pivots", "NVDA", "--threshold", "10%", "--start", "2024-01-01", "--end", "2024-12-31",
                    "--store", str(real_store), "--json"))
    assert out["threshold"] == pytest.approx(0.10)
    got = {(p["date"], p["kind"]): p for p in out["pivots"]}
    assert got[("2024-04-19", "low")]["price"] == 75.61
    assert got[("2024-06-20", "high")]["price"] == 140.76 and got[("2024-06-20", "high")]["confirmed"] == "2024-06-21"
    text = cli("pivots", "NVDA", "--threshold", "10%", "--start", "2024-01-01", "--end", "2024-12-31",
               "--store", str(real_store)).stdout
    assert "tentative" in text and "140.76" in text


def test_claims_example_rejects_big_money_not_buying(cli, real_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rotation.cli import common

    monkeypatch.setattr(common.console, "width", 250)  # a wide terminal: no cell folds
    result = cli("claims", str(EXAMPLE), "--store", str(real_store), "--json")
    assert result.exit_code == 1, result.output
    out = json.loads(result.stdout)
    assert (out["checked"], out["mismatches"]) == (11, 2)
    ath = next(r for r in out["results"] if r["key"] == "nvda-from-ath")
    assert round(ath["computed"] * 100, 2) == -19.68 and ath["ok"] is True
    assert ath["anchors"][0]["field"] == "high" and ath["anchors"][0]["date"] == "2024-06-20"
    bad = [r for r in out["results"] if not r["ok"]]
    assert [(r["key"], r["computed"]) for r in bad] == [("big-money-small-caps", 44_102),
                                                        ("big-money-small-caps", 33_818)]
    assert all(r["ok"] for r in out["results"] if r["basis"] == "price")
    result = cli("claims", str(EXAMPLE), "--store", str(real_store))
    assert result.exit_code == 1
    text = result.stdout
    assert text.count("MISMATCH") == 2 and "11 figure(s) checked, 2 mismatch(es)" in text
    assert "+44,102" in text and "+33,818" in text and "net +20,198 -> +64,300" in text


def test_claims_mismatch_exits_1(cli, real_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rotation.cli import common

    monkeypatch.setattr(common.console, "width", 250)  # an 80-column console (xdist workers) folds MISMATCH
    f = tmp_path / "wrong.toml"
    f.write_text('[[claims]]\nid = "w"\nsentence = "NVDA fell 25% from its high"\nsymbol = "NVDA"\n'
                 'from = "ath"\nto = "2024-07-26"\nstated = -25\ntolerance = 0.5\n')
    result = cli("claims", str(f), "--store", str(real_store))
    assert result.exit_code == 1
    assert "MISMATCH" in result.stdout and "1 mismatch(es)" in result.stdout
    out = json.loads(cli("claims", str(f), "--store", str(real_store), "--json").stdout)
    assert out["mismatches"] == 1 and out["results"][0]["difference"] == pytest.approx(-0.1968 + 0.25, abs=1e-4)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["measure", "NVDA", "--from", "2024-07-13", "--to", "2024-07-26"],
         "2024-07-13 (Saturday) is not a trading day for NVDA; nearest sessions 2024-07-12 (before) and 2024-07-15"),
        (["measure", "NVDA", "--from", "2024-06-20:hi", "--to", "2024-07-26"], "unknown price field 'hi'"),
        (["measure", "NVDA", "--from", "1990-01-02", "--to", "2024-07-26"], "before NVDA's first bar (1999-01-22)"),
        (["measure", "NVDA", "--from", "yesterday-ish", "--to", "2024-07-26"], "cannot read anchor"),
        (["measure", "NVDA", "--from", "2024-07-26", "--to", "2024-06-20"], "after to"),
        (["measure", "NVDA", "--from", "2024-07-12", "--to", "2024-07-26", "--roll", "back"], "--roll"),
        (["compare", "NVDA", "RUT", "--from", "2024-07-04", "--to", "2024-07-26"], "Thursday"),
        (["drawdown", "NVDA", "--as-of", "1990-01-01"], "before NVDA's first bar"),
        (["drawdown", "NVDA", "--as-of", "26/07/2024"], "--as-of"),
        (["pivots", "NVDA", "--threshold", "lots"], "threshold 'lots'"),
        (["measure", "NOPE", "--from", "ath"], "no bars for NOPE"),
    ],
)
def test_bad_input_exits_2_with_one_line(cli, real_store: Path, args: list[str], needle: str) -> None:
    result = cli(*args, "--store", str(real_store))
    assert result.exit_code == 2
    err = result.stderr.strip()
    assert err.count("\n") == 0 and err.startswith("error:")
    assert needle in err


def test_bad_claims_file_exits_2(cli, real_store: Path, tmp_path: Path) -> None:
    f = tmp_path / "bad.toml"
    f.write_text('[[claims]]\nsentence = "x"\nsymbol = "NVDA"\nfrom = "2024-06-20:hi"\nto = "last"\nstated = 1\n')
    result = cli("claims", str(f), "--store", str(real_store))
    assert result.exit_code == 2
    assert f"{f}: claim #1, key 'from'" in result.stderr and "unknown price field" in result.stderr
    missing = cli("claims", str(tmp_path / "none.toml"), "--store", str(real_store))
    assert missing.exit_code == 2 and "cannot read claims file" in missing.stderr


def test_bars_after_to_never_change_results(cli, real_store: Path, tmp_path: Path) -> None:
    """The same commands on a store cut at 2024-07-26 and on one with far higher/lower bars appended."""
    with Store(real_store, read_only=True) as st:
        full = st.bars(["NVDA", "^RUT"])
    cut = full.filter(pl.col("date") <= date(2024, 7, 26))
    wild = pl.concat([full, make_bars("NVDA", [9999.0, 1.0, 5000.0], start=date(2026, 9, 1)),
                      make_bars("^RUT", [1.0, 99999.0], start=date(2026, 9, 1))])
    stores = {}
    for name, frame in (("cut", cut), ("wild", wild)):
        path = tmp_path / f"{name}.duckdb"
        with Store(path) as st:
            st.upsert_bars(frame, "test")
        stores[name] = str(path)
    commands = [
        ["measure", "NVDA", "--from", "ath", "--to", "2024-07-26"],
        ["measure", "NVDA", "--from", "pivot-low:10%", "--to", "2024-07-26"],
        ["measure", "NVDA", "--from", "low-since:2024-06-20", "--to", "2024-07-26"],
        ["measure", "^RUT", "--from=-20d", "--to", "2024-07-26", "--total-return"],
        ["compare", "NVDA", "^RUT", "--from", "ytd", "--to", "2024-07-26"],
        ["drawdown", "NVDA", "--as-of", "2024-07-26"],
    ]
    for args in commands:
        a = _json(cli(*args, "--store", stores["cut"], "--json"))
        b = _json(cli(*args, "--store", stores["wild"], "--json"))
        assert a == b, args
