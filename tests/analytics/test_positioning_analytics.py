"""Positioning analytics on frames built in code (the columns of the data layer's read API)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl
import pytest

from rotation.analytics.positioning import (
    contract_flows,
    contract_positioning,
    positioning_history,
    report_covering,
)
from rotation.errors import DataError


@dataclass(frozen=True)
class _Spec:
    key: str = "RTY"
    market_code: str = "239742"
    name: str = "E-mini Russell 2000"
    multiplier: int = 50
    index_symbol: str = "^RUT"


SPEC = _Spec()
T0 = date(2024, 1, 2)  # a Tuesday


def _frame(nets: dict[str, list[int]], oi: int = 100_000, market: str = "239742") -> pl.DataFrame:
    rows = []
    n = len(next(iter(nets.values())))
    for i in range(n):
        rd = T0 + timedelta(weeks=i)
        for g, vals in nets.items():
            long = 50_000 + max(vals[i], 0)
            short = 50_000 - min(vals[i], 0)
            rows.append({
                "report": "tff", "contract": "RTY", "market_code": market, "market_name": "E-MINI RUSSELL 2000",
                "report_date": rd, "release_date": rd + timedelta(days=3), "group": g, "long": long,
                "short": short, "spread": None if g == "nonrept" else 10, "open_interest": oi,
            })
    return pl.DataFrame(rows, schema_overrides={"spread": pl.Int64, "long": pl.Int64, "short": pl.Int64,
                                                "open_interest": pl.Int64})


def test_net_change_and_share_of_open_interest() -> None:
    h = positioning_history(_frame({"asset_mgr": [100, 300, 250]}))
    assert h["net"].to_list() == [100, 300, 250]
    assert h["change"].to_list() == [None, 200, -50]
    assert h["net_pct_oi"].to_list() == pytest.approx([0.001, 0.003, 0.0025])


def test_trailing_stats_against_a_hand_computation() -> None:
    vals = [*range(20), 5]
    h = positioning_history(_frame({"lev_money": vals}), weeks=10)
    last = h.row(-1, named=True)
    window = vals[-10:]
    import statistics

    assert last["zscore"] == pytest.approx((5 - statistics.mean(window)) / statistics.stdev(window))
    assert last["percentile"] == pytest.approx(sum(v <= 5 for v in window) / 10)
    assert last["cot_index"] == pytest.approx(100 * (5 - min(window)) / (max(window) - min(window)))
    assert (last["window_high"], last["window_low"], last["window_reports"]) == (19, 5, 10)
    # too short a history: no statistics yet, but extremes exist
    first = h.row(0, named=True)
    assert first["zscore"] is None and first["percentile"] is None and first["window_high"] == 0


def test_no_look_ahead_appending_reports_never_changes_the_past() -> None:
    vals = [((i * 37) % 23) - 11 for i in range(60)]
    full = positioning_history(_frame({"asset_mgr": vals}), weeks=20)
    cut = positioning_history(_frame({"asset_mgr": vals[:40]}), weeks=20)
    assert full.head(40).select(cut.columns).equals(cut)


def test_scale_invariance_of_z_and_percentile() -> None:
    vals = [((i * 37) % 23) - 11 for i in range(40)]
    a = positioning_history(_frame({"asset_mgr": vals}), weeks=20)
    b = positioning_history(_frame({"asset_mgr": [v * 7 for v in vals]}), weeks=20)
    for c in ("zscore", "percentile", "cot_index"):
        assert a[c].to_list() == pytest.approx(b[c].to_list(), nan_ok=True)


def test_contract_positioning_as_of_release_and_dollars() -> None:
    f = _frame({"asset_mgr": [10, 20, 30], "lev_money": [-5, -6, -7]})
    closes = pl.DataFrame({"date": [T0 + timedelta(weeks=1), T0 + timedelta(weeks=2) - timedelta(days=1)],
                           "close": [2000.0, 2100.0]})
    # the third report (T0+2w) is released on its Friday: not known the day before
    day = T0 + timedelta(weeks=2, days=2)
    p = contract_positioning(f, SPEC, closes, day, weeks=10)
    assert p.report_date == T0 + timedelta(weeks=1) and p.release_date == T0 + timedelta(weeks=1, days=3)
    am = p.group("asset_mgr")
    assert am is not None and (am.net, am.change) == (20, 10)
    assert am.net_dollars == pytest.approx(20 * 50 * 2000.0)
    p2 = contract_positioning(f, SPEC, closes, day + timedelta(days=1), weeks=10)
    assert p2.report_date == T0 + timedelta(weeks=2)
    assert p2.index_date == T0 + timedelta(weeks=2) - timedelta(days=1)  # the close on or before
    assert [g.group for g in p2.groups] == ["asset_mgr", "lev_money"]
    with pytest.raises(DataError, match="RTY: no tff positioning report released by"):
        contract_positioning(f, SPEC, closes, T0)


def test_other_markets_are_ignored() -> None:
    f = pl.concat([_frame({"asset_mgr": [1, 2]}), _frame({"asset_mgr": [99, 98]}, market="209742")])
    p = contract_positioning(f, SPEC)
    assert p.group("asset_mgr").net == 2  # type: ignore[union-attr]


def test_flows_between_reports_known_at_two_dates() -> None:
    f = _frame({"asset_mgr": [10, 20, 55], "nonrept": [3, 1, 2]})
    closes = pl.DataFrame({"date": [T0 + timedelta(weeks=2)], "close": [2263.67]})
    fl = contract_flows(f, SPEC, T0 + timedelta(days=3), T0 + timedelta(weeks=2, days=3), closes)
    assert (fl.from_report, fl.to_report, fl.reports) == (T0, T0 + timedelta(weeks=2), 2)
    am = fl.group("asset_mgr")
    assert am is not None and (am.net_from, am.net_to, am.contracts) == (10, 55, 45)
    assert am.dollars == pytest.approx(45 * 50 * 2263.67)
    assert fl.group("nonrept").contracts == -1  # type: ignore[union-attr]
    same = contract_flows(f, SPEC, T0 + timedelta(days=3), T0 + timedelta(days=5), closes)
    assert all(g.contracts == 0 for g in same.groups)
    with pytest.raises(DataError, match="before --from"):
        contract_flows(f, SPEC, T0 + timedelta(days=9), T0)


def test_report_covering_a_day() -> None:
    dates = [date(2024, 7, 9), date(2024, 7, 16), date(2024, 7, 23)]
    assert report_covering(dates, date(2024, 7, 11)) == date(2024, 7, 16)
    assert report_covering(dates, date(2024, 7, 16)) == date(2024, 7, 16)
    assert report_covering(dates, date(2024, 7, 17)) == date(2024, 7, 23)
    assert report_covering(dates, date(2024, 7, 24)) is None


def test_bad_window() -> None:
    with pytest.raises(DataError, match="weeks"):
        positioning_history(_frame({"asset_mgr": [1]}), weeks=1)
