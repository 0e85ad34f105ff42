"""Positioning and sentiment claims: parsing with clear errors, evaluation on frames built in code."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from rotation.analytics.claims import evaluate_claims, parse_claims
from rotation.errors import ConfigError

T0 = date(2024, 7, 2)

POS = """
[[claims]]
id = "p"
sentence = "asset managers sold"
kind = "positioning"
contract = "RTY"
group = "asset_mgr"
from = 2024-07-05
to = 2024-07-19
stated = {stated}
"""


def _positioning() -> pl.DataFrame:
    rows = []
    for i, (am, nr) in enumerate([(100, 5), (150, 6), (90, 9)]):
        rd = T0 + timedelta(weeks=i)
        for g, net in (("asset_mgr", am), ("nonrept", nr)):
            rows.append({"report": "tff", "contract": "RTY", "market_code": "239742", "market_name": "R",
                         "report_date": rd, "release_date": rd + timedelta(days=3), "group": g,
                         "long": 1000 + net, "short": 1000, "spread": 0, "open_interest": 5000})
    return pl.DataFrame(rows)


def _sentiment() -> pl.DataFrame:
    return pl.DataFrame({"series": ["aaii_bullish"] * 2 + ["naaim_exposure"] * 2,
                         "date": [date(2024, 7, 4), date(2024, 7, 11), date(2024, 7, 3), date(2024, 7, 10)],
                         "release_date": [date(2024, 7, 4), date(2024, 7, 11), date(2024, 7, 3), date(2024, 7, 10)],
                         "value": [0.45, 0.492, 103.66, 93.84]})


@pytest.mark.parametrize(("stated", "ok", "computed"), [
    ('"down"', True, -10.0), ('"up"', False, -10.0), ('"not up"', True, -10.0), ('"Not  Down"', False, -10.0),
    ("-10", True, -10.0), ("-12", False, -10.0),
])
def test_positioning_directions_and_numbers(stated: str, ok: bool, computed: float) -> None:
    (r,) = evaluate_claims(parse_claims(POS.format(stated=stated), "t.toml"), {}, _positioning())
    assert (r.ok, r.computed, r.unit) == (ok, computed, "contracts")
    assert "reports 2024-07-02 (released 2024-07-05) -> 2024-07-16 (released 2024-07-19)" in r.detail


def test_number_with_tolerance() -> None:
    (r,) = evaluate_claims(parse_claims(POS.format(stated="-12") + "tolerance = 2\n", "t.toml"), {}, _positioning())
    assert r.ok and r.difference == 2


def test_sentiment_level_and_change() -> None:
    text = """
[defaults]
tolerance = 0.05
[[claims]]
id = "lvl"
sentence = "AAII bulls at 49.2%"
kind = "sentiment"
series = "aaii_bullish"
date = 2024-07-11
stated = 49.2
[[claims]]
id = "chg"
sentence = "active managers cut exposure"
kind = "sentiment"
series = "naaim_exposure"
from = 2024-07-03
to = 2024-07-10
stated = "down"
"""
    lvl, chg = evaluate_claims(parse_claims(text, "t.toml"), {}, None, _sentiment())
    assert lvl.ok and lvl.unit == "percent" and lvl.tolerance == pytest.approx(0.0005)
    assert lvl.computed == pytest.approx(0.492) and "released 2024-07-11" in lvl.detail
    assert chg.ok and chg.computed == pytest.approx(93.84 - 103.66) and chg.unit == "value"
    # known at 07-10, the 07-11 survey was not out
    early = parse_claims(text.replace("date = 2024-07-11", "date = 2024-07-10"), "t.toml")
    assert not evaluate_claims(early, {}, None, _sentiment())[0].ok


@pytest.mark.parametrize(("change", "needle"), [
    (("stated = ", "statd = "), "key 'statd'"),
    (('stated = "down"', 'stated = "sideways"'), "key 'stated': expected a direction"),
    (('group = "asset_mgr"', 'groups = []'), "key 'groups'"),
    (('group = "asset_mgr"\n', ''), "key 'groups': expected one of group"),
    (('contract = "RTY"', 'contract = 5'), "key 'contract'"),
    (("from = 2024-07-05", 'from = "July"'), "key 'from': expected a date"),
    (("from = 2024-07-05", "from = 2024-07-26"), "key 'to': expected a date on or after from"),
])
def test_parse_errors_name_file_and_key(change: tuple[str, str], needle: str) -> None:
    with pytest.raises(ConfigError, match=r"t\.toml: claim #1 \('p'\)") as err:
        parse_claims(POS.format(stated='"down"').replace(*change), "t.toml")
    assert needle in str(err.value)


def test_evaluation_errors() -> None:
    cf = parse_claims(POS.format(stated='"down"'), "t.toml")
    with pytest.raises(ConfigError, match="no positioning data given"):
        evaluate_claims(cf, {})
    with pytest.raises(ConfigError, match="no trader group 'lev_money'"):
        evaluate_claims(parse_claims(POS.format(stated='"down"').replace("asset_mgr", "lev_money"), "t.toml"), {},
                        _positioning())
    with pytest.raises(ConfigError, match="no tff positioning rows for contract 'NQ'"):
        evaluate_claims(parse_claims(POS.format(stated='"down"').replace("RTY", "NQ"), "t.toml"), {}, _positioning())
