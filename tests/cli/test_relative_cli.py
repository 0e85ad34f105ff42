"""``rotation ratio | leaders | rrg | events`` on the real store and on bad input."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from rotation.analytics.rrg import RrgParams, rrg, rrg_snapshot
from rotation.data.store import Store


def _json(result: object) -> dict:
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    return json.loads(result.stdout)  # type: ignore[attr-defined]


def test_events_on_the_rotation_day(cli, real_store: Path) -> None:
    out = _json(cli("events", "--pair", "RUT:NDX", "--on", "2024-07-11", "--store", str(real_store), "--json"))
    ev = out["event"]
    assert ev["a"] == "^RUT" and ev["b"] == "^NDX" and ev["date"] == "2024-07-11"
    assert round(ev["spread"] * 100, 2) == 5.82
    assert ev["pattern"] == "a_up_b_down" and out["classic"] is True
    assert ev["rank"] == 2 and ev["kind"] == "size"
    assert "2nd widest" in out["explain"]
    text = cli("events", "--pair", "^RUT:^NDX", "--on", "2024-07-11", "--store", str(real_store))
    assert text.exit_code == 0 and "2nd widest spread" in text.stdout


def test_events_top_and_windows(cli, real_store: Path) -> None:
    out = _json(
        cli("events", "--pair", "IWM:QQQ", "--window", "5d", "--top", "3", "--since", "2024-01-01",
            "--store", str(real_store), "--json")
    )
    assert out["window"] == "5d" and len(out["top"]) == 3
    assert all(r["date"] >= "2024-01-01" for r in out["top"])
    assert abs(out["top"][0]["spread"]) >= abs(out["top"][-1]["spread"])
    text = cli("events", "--pair", "IWM:QQQ", "--top", "3", "--store", str(real_store))
    assert text.exit_code == 0 and "Widest 1d spreads IWM:QQQ" in text.stdout


def test_events_scan_of_standard_pairs(cli, real_store: Path) -> None:
    out = _json(cli("events", "--universe", "pairs", "--as-of", "2024-07-11", "--store", str(real_store), "--json"))
    rows = {r["pair"]: r for r in out["pairs"]}
    assert rows["^RUT:^NDX"]["notable"] is True and rows["^RUT:^NDX"]["kind"] == "size"
    assert rows["RSP:SPY"]["kind"] == "weighting"
    assert out["pairs"][0]["notable"] is True  # notable pairs listed first


def test_events_bad_input_exit_2(cli, real_store: Path) -> None:
    store = str(real_store)
    assert cli("events", "--pair", "RUT-NDX", "--store", store).exit_code == 2
    assert cli("events", "--store", store).exit_code == 2
    assert cli("events", "--pair", "RUT:NDX", "--universe", "pairs", "--store", store).exit_code == 2
    assert cli("events", "--pair", "RUT:NDX", "--window", "3d", "--store", store).exit_code == 2
    assert cli("events", "--pair", "RUT:NDX", "--on", "2024-07-13", "--store", store).exit_code == 2  # Saturday
    assert cli("events", "--pair", "RUT:NOSUCH", "--store", store).exit_code == 2
    assert cli("events", "--universe", "sectors", "--store", store).exit_code == 2  # no pairs


def test_ratio_with_a_basket(cli, real_store: Path) -> None:
    out = _json(
        cli("ratio", "megacaps", "^RUT", "--start", "2024-06-20", "--end", "2024-07-30",
            "--store", str(real_store), "--json")
    )
    s = out["summary"]
    assert s["a"] == "@megacaps" and s["b"] == "^RUT" and s["start"] == "2024-06-20"
    # ^RUT +11.2% over 2024-06-20 .. 07-30 (seed figure: 2,017.39 -> 2,243.14 close)
    assert abs(s["return_b"] - (2243.14 / 2017.39 - 1)) < 1e-6
    assert s["spread"] == s["return_a"] - s["return_b"]
    assert out["line"][0]["ratio"] == 100.0
    same = _json(cli("ratio", "@megacaps", "RUT", "--start", "2024-06-20", "--end", "2024-07-30",
                     "--store", str(real_store), "--json"))
    assert same["summary"] == s
    text = cli("ratio", "IWM", "QQQ", "--start", "2024-01-01", "--end", "2024-07-31", "--store", str(real_store))
    assert text.exit_code == 0 and "IWM / QQQ" in text.stdout


def test_leaders_and_rrg(cli, real_store: Path) -> None:
    out = _json(cli("leaders", "--universe", "sectors", "--as-of", "2024-07-11", "--store", str(real_store), "--json"))
    assert out["benchmark"] == "SPY" and out["as_of"] == "2024-07-11"
    assert out["leaders"][0]["symbol"] == "XLK" and len(out["leaders"]) == 11
    text = cli("leaders", "--universe", "sectors", "--as-of", "2024-07-11", "--store", str(real_store))
    assert text.exit_code == 0 and "Leaders in sectors" in text.stdout

    out = _json(
        cli("rrg", "--universe", "sectors", "--benchmark", "SPY", "--as-of", "2024-07-12", "--tail", "4",
            "--transitions", "--store", str(real_store), "--json")
    )
    points = {p["symbol"]: p for p in out["points"]}
    assert len(points) == 11 and points["XLK"]["quadrant"] == "weakening"
    assert all(len(p["tail"]) == 4 for p in points.values())
    assert out["params"]["freq"] == "weekly"
    assert any(t["symbol"] == "XLK" and t["to_quadrant"] == "weakening" for t in out["transitions"])
    daily = _json(cli("rrg", "--universe", "sectors", "--freq", "daily", "--window", "42", "--as-of", "2024-07-12",
                      "--store", str(real_store), "--json"))
    assert daily["params"]["window"] == 42 and daily["points"][0]["date"] == "2024-07-12"
    text = cli("rrg", "--universe", "sectors", "--as-of", "2024-07-12", "--transitions", "--store", str(real_store))
    assert text.exit_code == 0 and "Quadrant transitions" in text.stdout
    assert cli("rrg", "--freq", "monthly", "--store", str(real_store)).exit_code == 2


def test_events_on_a_day_carry_breadth(cli, real_store: Path) -> None:
    out = _json(cli("events", "--pair", "IWM:SPY", "--on", "2024-07-11", "--store", str(real_store), "--json"))
    br = out["event"]["breadth"]
    assert br is not None and br["survivor_biased"] is True
    # issue 5's figures: about 94% of the Russell 2000 stocks and about 79% of the S&P 500 rose
    assert 0.90 < br["a"]["share_up"] < 0.97 and 0.74 < br["b"]["share_up"] < 0.83
    assert br["a"]["relative_volume"] > 2  # IWM volume surge on the rotation day
    assert "Breadth: IWM +3.6%" in out["explain"]
    basket = _json(cli("events", "--pair", "@megacaps:^RUT", "--on", "2024-07-11", "--store", str(real_store),
                       "--json"))
    assert basket["event"]["breadth"] is None and basket["event"]["a"] == "@megacaps"


def test_constituent_universe_in_one_pass(cli, real_store: Path) -> None:
    out = _json(cli("leaders", "--universe", "sp500", "--as-of", "2024-07-11", "--store", str(real_store), "--json"))
    rows = {r["symbol"]: r for r in out["leaders"]}
    assert 450 < len(rows) < 510  # members on the day (point-in-time membership)
    assert out["leaders"][0]["symbol"] == "NVDA"  # strongest over 3 months
    assert abs(rows["NVDA"]["r_1d"] - (-0.0557)) < 5e-4  # seed: NVDA -5.57% on 2024-07-11
    assert rows["NVDA"]["from_high"] is None  # a closes matrix has no highs
    rrg_out = _json(cli("rrg", "--universe", "sp500", "--as-of", "2024-07-12", "--tail", "2",
                        "--store", str(real_store), "--json"))
    points = {p["symbol"]: p for p in rrg_out["points"]}
    assert len(points) > 400 and rrg_out["benchmark"] == "SPY"
    # the whole-universe pass gives each symbol what a one-symbol run gives
    with Store(real_store, read_only=True) as st:
        alone = rrg(st.closes(["NVDA", "SPY"], end=date(2024, 7, 12)), "SPY", params=RrgParams.for_freq("weekly"))
    nvda = rrg_snapshot(alone)[0]
    assert nvda.quadrant == points["NVDA"]["quadrant"]
    assert abs(nvda.rs_ratio - points["NVDA"]["rs_ratio"]) < 0.05  # two vendors' adjusted closes


def test_windowed_event_words_say_window_and_breadth_day(cli, real_store: Path) -> None:
    out = json.loads(cli("events", "--pair", "IWM:SPY", "--window", "5d", "--on", "2024-07-16", "--json",
                         "--store", str(real_store)).stdout)
    text = out["explain"]
    assert "over the 5d window" in text and "rotation over 5d" in text and "rotation day" not in text
    assert "Breadth on 2024-07-16 alone:" in text  # breadth is the last day's, not the window's


def test_events_scan_on_a_day_is_the_scan_as_of_that_day(cli, real_store: Path) -> None:
    on = cli("events", "--universe", "pairs", "--on", "2024-07-11", "--json", "--store", str(real_store))
    as_of = cli("events", "--universe", "pairs", "--as-of", "2024-07-11", "--json", "--store", str(real_store))
    assert on.exit_code == 0 and on.stdout == as_of.stdout
    assert "2024-07-11" in on.stdout
    both = cli("events", "--universe", "pairs", "--on", "2024-07-11", "--as-of", "2024-07-12", "--store", str(real_store))
    assert both.exit_code == 2


def test_events_top_toward_one_side(cli, real_store: Path) -> None:
    """`--toward RUT`: the widest days in the Russell's favour; both directions mixed hide 2024-07-11."""
    store = str(real_store)
    out = _json(cli("events", "--pair", "RUT:NDX", "--top", "5", "--toward", "RUT", "--store", store, "--json"))
    assert out["toward"] == "^RUT"
    assert [r["date"] for r in out["top"][:2]] == ["2002-07-25", "2024-07-11"]
    assert all(r["toward"] == "^RUT" and r["spread"] > 0 for r in out["top"])
    spreads = [r["spread"] for r in out["top"]]
    assert spreads == sorted(spreads, reverse=True)
    mixed = _json(cli("events", "--pair", "RUT:NDX", "--top", "10", "--store", store, "--json"))
    assert "2024-07-11" not in [r["date"] for r in mixed["top"]]
    assert {r["toward"] for r in mixed["top"]} == {"^RUT", "^NDX"}  # each row says its direction
    ndx = _json(cli("events", "--pair", "RUT:NDX", "--top", "3", "--toward", "^NDX", "--store", store, "--json"))
    assert all(r["spread"] < 0 and r["toward"] == "^NDX" for r in ndx["top"])
    assert ndx["top"][0]["date"] == "2001-01-03"
    text = cli("events", "--pair", "RUT:NDX", "--top", "5", "--toward", "RUT", "--store", store)
    flat = " ".join(text.stdout.split())  # any terminal width
    assert text.exit_code == 0 and "spreads ^RUT:^NDX toward ^RUT" in flat
    assert "rank: among the days money moved the same way (the 'toward' column)" in flat
    bad = cli("events", "--pair", "RUT:NDX", "--toward", "SPY", "--store", store)
    assert bad.exit_code == 2 and "^RUT or ^NDX" in bad.output
