"""``rotation positioning [flows]`` and ``rotation sentiment`` on the real store: the issue's check figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rotation.data.store import Store


def _json(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _groups(contract: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {g["group"]: g for g in contract["groups"]}


def test_rty_as_of_the_release_friday(cli: Any, real_store: Path) -> None:
    out = _json(cli("positioning", "RTY", "--as-of", "2024-07-19", "--json", "--store", str(real_store)))
    (rty,) = out["contracts"]
    assert (rty["contract"], rty["report_date"], rty["release_date"]) == ("RTY", "2024-07-16", "2024-07-19")
    assert rty["open_interest"] == 488_061
    g = _groups(rty)
    assert (g["lev_money"]["long"], g["lev_money"]["short"], g["lev_money"]["net"]) == (85_333, 121_376, -36_043)
    assert g["asset_mgr"]["net"] == 64_300 and g["nonrept"]["net"] == 11_964
    assert g["asset_mgr"]["change"] == 44_102 and g["lev_money"]["change"] == 33_818
    assert g["asset_mgr"]["net_pct_oi"] == pytest.approx(64_300 / 488_061)
    assert rty["index_symbol"] == "^RUT" and rty["index_close"] == pytest.approx(2263.67)
    assert g["asset_mgr"]["net_dollars"] == pytest.approx(64_300 * 50 * 2263.67)
    # 2022-01-04 .. 2024-07-16: fewer reports than the 156-week window
    assert rty["window_reports"] == 133 and rty["window_start"] == "2022-01-04"
    for grp in g.values():
        assert 0 <= grp["percentile"] <= 1 and 0 <= grp["cot_index"] <= 100
        assert grp["window_low"] <= grp["net"] <= grp["window_high"]


def test_the_day_before_the_release_sees_the_previous_report(cli: Any, real_store: Path) -> None:
    out = _json(cli("positioning", "RTY", "--as-of", "2024-07-18", "--json", "--store", str(real_store)))
    (rty,) = out["contracts"]
    assert (rty["report_date"], rty["release_date"]) == ("2024-07-09", "2024-07-12")
    g = _groups(rty)
    assert (g["lev_money"]["net"], g["asset_mgr"]["net"], g["nonrept"]["net"]) == (-69_861, 20_198, 8_837)


def test_default_contracts_and_table(cli: Any, real_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rotation.cli import common

    monkeypatch.setattr(common.console, "width", 200)  # a wide terminal: no cell folds
    out = _json(cli("positioning", "--as-of", "2024-07-19", "--weeks", "52", "--json", "--store", str(real_store)))
    assert [c["contract"] for c in out["contracts"]] == ["RTY", "NQ", "ES"]
    assert [c["index_symbol"] for c in out["contracts"]] == ["^RUT", "^NDX", "^GSPC"]
    assert all(c["window_reports"] == 52 and c["report_date"] == "2024-07-16" for c in out["contracts"])
    text = cli("positioning", "rty", "nq", "--as-of", "2024-07-19", "--store", str(real_store)).stdout
    assert "report of 2024-07-16 (released 2024-07-19" in text
    assert "asset managers" in text and "+64,300" in text and "+$7.28bn" in text


def test_flows_rty_around_the_rotation_day(cli: Any, real_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rotation.cli import common

    monkeypatch.setattr(common.console, "width", 200)
    out = _json(cli("positioning", "flows", "RTY", "--from", "2024-07-12", "--to", "2024-07-19", "--json",
                    "--store", str(real_store)))
    (f,) = out["contracts"]
    assert (f["from_report"], f["from_release"], f["to_report"], f["to_release"]) == (
        "2024-07-09", "2024-07-12", "2024-07-16", "2024-07-19")
    assert f["index_close"] == pytest.approx(2263.67) and f["index_date"] == "2024-07-16"
    g = _groups(f)
    assert g["asset_mgr"]["contracts"] == 44_102
    assert g["asset_mgr"]["dollars"] == pytest.approx(44_102 * 50 * 2263.67)
    assert round(g["asset_mgr"]["dollars"] / 1e9, 1) == 5.0
    assert g["lev_money"]["contracts"] == 33_818 and g["nonrept"]["contracts"] == 3_127
    # all groups' changes net to zero (every long has a short)
    assert sum(x["contracts"] for x in g.values()) == 0
    text = cli("positioning", "flows", "RTY", "--from", "2024-07-12", "--to", "2024-07-19",
               "--store", str(real_store)).stdout
    assert "+44,102" in text and "+$4.99bn" in text and "2024-07-09 (released 2024-07-12)" in text


def test_flows_compare_contracts_in_dollars(cli: Any, real_store: Path) -> None:
    out = _json(cli("positioning", "flows", "RTY", "NQ", "--from", "2024-07-05", "--to", "2024-07-26", "--json",
                    "--store", str(real_store)))
    rty, nq = out["contracts"]
    assert (rty["from_report"], rty["to_report"], rty["reports"]) == ("2024-07-02", "2024-07-23", 3)
    assert nq["multiplier"] == 20 and nq["index_symbol"] == "^NDX"
    for c in (rty, nq):
        for grp in c["groups"]:
            assert grp["dollars"] == pytest.approx(grp["contracts"] * c["multiplier"] * c["index_close"])


def test_sentiment_on_the_rotation_day(cli: Any, real_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rotation.cli import common

    monkeypatch.setattr(common.console, "width", 200)
    out = _json(cli("sentiment", "--as-of", "2024-07-11", "--json", "--store", str(real_store)))
    a = out["aaii"]
    assert (a["date"], a["release_date"]) == ("2024-07-11", "2024-07-11")
    assert round(a["bullish"] * 100, 1) == 49.2 and round(a["bearish"] * 100, 1) == 21.7
    assert round(a["neutral"] * 100, 1) == 29.1
    assert a["spread"] == pytest.approx(a["bullish"] - a["bearish"])
    assert 0.5 < a["spread_percentile"] <= 1 and a["history_start"] == "1987-07-24"
    assert (out["naaim"]["date"], out["naaim"]["value"]) == ("2024-07-10", pytest.approx(93.84))
    pc = {p["series"]: p for p in out["put_call"]}
    assert pc["pc_equity"]["value"] == pytest.approx(0.61) and pc["pc_total"]["value"] == pytest.approx(0.80)
    assert pc["pc_equity"]["average_days"] == 10 and 0 <= pc["pc_equity"]["average_percentile"] <= 1
    # the day before, the 07-11 survey was not out
    before = _json(cli("sentiment", "--as-of", "2024-07-10", "--json", "--store", str(real_store)))
    assert before["aaii"]["date"] == "2024-07-04" and before["naaim"]["date"] == "2024-07-10"
    text = cli("sentiment", "--as-of", "2024-07-11", "--store", str(real_store)).stdout
    assert "49.2%" in text and "21.7%" in text and "AAII bull-bear spread" in text


def test_a_store_cut_at_2024_07_26_gives_the_same_output(cli: Any, store_copy: Path) -> None:
    full = [cli(*args, "--store", str(store_copy)).stdout for args in _CUT_ARGS]
    with Store(store_copy) as st:
        con = st.connection
        con.execute("DELETE FROM positioning WHERE release_date > DATE '2024-07-26'")
        con.execute("DELETE FROM sentiment WHERE release_date > DATE '2024-07-26'")
        con.execute("DELETE FROM bars WHERE date > DATE '2024-07-26'")
    cut = [cli(*args, "--store", str(store_copy)).stdout for args in _CUT_ARGS]
    assert cut == full
    assert json.loads(full[0])["contracts"][0]["report_date"] == "2024-07-23"


_CUT_ARGS = [
    ("positioning", "--as-of", "2024-07-26", "--json"),
    ("positioning", "flows", "--from", "2024-07-05", "--to", "2024-07-26", "--json"),
    ("sentiment", "--as-of", "2024-07-26", "--json"),
    ("positioning", "RTY", "--as-of", "2024-07-26"),
]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["positioning", "XYZ"], "unknown contract 'XYZ': expected one of RTY, NQ, ES"),
        (["positioning", "RTY", "--as-of", "2024-13-01"], "--as-of"),
        (["positioning", "RTY", "--as-of", "2021-06-01"], "no tff positioning report released by 2021-06-01"),
        (["positioning", "RTY", "--weeks", "1"], "weeks"),
        (["positioning", "RTY", "--report", "disagg"], "--report"),
        (["positioning", "flows", "RTY", "--from", "2024-07-12"], "give both --from"),
        (["positioning", "flows", "RTY", "--from", "2024-07-19", "--to", "2024-07-12"], "before --from"),
        (["sentiment", "--as-of", "yesterday"], "--as-of"),
    ],
)
def test_bad_input_exits_2(cli: Any, real_store: Path, args: list[str], needle: str) -> None:
    result = cli(*args, "--store", str(real_store))
    assert result.exit_code == 2, result.output
    assert needle in result.output


def test_a_store_without_positioning(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "bars.duckdb"
    with Store(path):
        pass
    result = cli("positioning", "RTY", "--store", str(path))
    assert result.exit_code == 2 and "no positioning data" in result.output


def test_events_on_gains_a_positioning_block(cli: Any, real_store: Path) -> None:
    out = _json(cli("events", "--pair", "RUT:NDX", "--on", "2024-07-11", "--json", "--store", str(real_store)))
    block = out["positioning"]
    assert (block["report_date"], block["release_date"], block["known"]) == ("2024-07-16", "2024-07-19", True)
    assert block["contracts"] == ["RTY", "NQ"]
    rty = {g["group"]: g for g in block["flows"][0]["groups"]}
    assert block["flows"][0]["from_report"] == "2024-07-09" and rty["asset_mgr"]["contracts"] == 44_102
    assert "RTY asset managers +44,102 (+$4.99bn)" in out["positioning_text"]
    text = cli("events", "--pair", "RUT:NDX", "--on", "2024-07-11", "--store", str(real_store)).stdout
    assert "Positioning (CFTC report of 2024-07-16, released 2024-07-19, vs 2024-07-09)" in text


def test_events_before_the_release_says_when_it_comes_out(cli: Any, real_store: Path) -> None:
    out = _json(cli("events", "--pair", "RUT:NDX", "--on", "2024-07-11", "--as-of", "2024-07-18", "--json",
                    "--store", str(real_store)))
    assert out["positioning"]["known"] is False and out["positioning"]["flows"] == []
    assert out["positioning_text"] == (
        "Positioning: the CFTC report covering 2024-07-11 is that of 2024-07-16; it comes out on 2024-07-19, "
        "after the as-of date 2024-07-18.")


def test_chart_positioning(cli: Any, real_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "rty.html"
    result = cli("chart", "--positioning", "rty", "--to", "2024-07-26", "--out", str(out), "--store", str(real_store))
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert "RTY (E-mini Russell 2000): net contracts by trader group under ^RUT" in html
    assert "asset managers" in html and "non-reportables" in html
    both = cli("chart", "NVDA", "--positioning", "RTY", "--out", str(out), "--store", str(real_store))
    assert both.exit_code == 2 and "--positioning" in both.output
    bad = cli("chart", "--positioning", "XYZ", "--out", str(out), "--store", str(real_store))
    assert bad.exit_code == 2 and "unknown contract 'XYZ'" in bad.output


def test_legacy_report(cli: Any, real_store: Path) -> None:
    out = _json(cli("positioning", "RTY", "--report", "legacy", "--as-of", "2024-07-19", "--json",
                    "--store", str(real_store)))
    (rty,) = out["contracts"]
    assert (rty["report"], rty["report_date"], rty["release_date"]) == ("legacy", "2024-07-16", "2024-07-19")
    assert [g["group"] for g in rty["groups"]] == ["noncommercial", "commercial", "nonrept"]
    g = _groups(rty)
    # non-reportables are defined alike in both reports (SOURCES.md: equal in all 218 shared weeks)
    assert g["nonrept"]["net"] == 11_964 and g["nonrept"]["change"] == 3_127
    assert rty["open_interest"] is None and g["nonrept"]["net_pct_oi"] is None  # the compilation has none
    assert rty["window_reports"] == 156  # the legacy series is longer than the TFF files
