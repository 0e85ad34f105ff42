"""Rotation events: spreads, direction ranks (brute force), z-scores and the 2024-07-11 rotation day."""

from __future__ import annotations

import itertools
import math
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from rotation.analytics.events import (
    direction_ranks,
    event_on,
    explain,
    pair_events,
    rotation_events,
    scan_pairs,
    top_events,
    toward_side,
    trailing_zscore,
    with_breadth,
)
from rotation.data.store import Store
from rotation.errors import DataError


def _brute_ranks(spread: np.ndarray) -> dict[str, list[float]]:
    """Plain-Python ranks of one column: the definition, written the obvious O(T^2) way."""
    out: dict[str, list[float]] = {k: [] for k in ("rank", "count", "rank_all", "count_all")}
    for t, s in enumerate(spread):
        if math.isnan(s) or s == 0:
            for k in out:
                out[k].append(math.nan)
            continue
        sign = 1 if s > 0 else -1
        hist = [v for v in spread[: t + 1] if not math.isnan(v) and v * sign > 0]
        full = [v for v in spread if not math.isnan(v) and v * sign > 0]
        out["rank"].append(1 + sum(1 for v in hist if abs(v) > abs(s)))
        out["count"].append(len(hist))
        out["rank_all"].append(1 + sum(1 for v in full if abs(v) > abs(s)))
        out["count_all"].append(len(full))
    return out


def test_direction_ranks_agree_with_brute_force() -> None:
    rng = np.random.default_rng(3)
    spread = np.round(rng.normal(0, 0.01, (300, 3)), 4)  # rounding makes ties
    spread[rng.random((300, 3)) < 0.05] = np.nan
    spread[10, 0] = 0.0
    got = direction_ranks(spread)
    for j in range(3):
        want = _brute_ranks(spread[:, j])
        for key, values in want.items():
            np.testing.assert_array_equal(got[key][:, j], np.array(values), err_msg=f"{key} col {j}")
    # percentile: share of same-direction days no wider; the widest is 1.0
    col = spread[:, 1]
    t = int(np.nanargmax(col))
    assert got["percentile_all"][t, 1] == 1.0 and got["rank_all"][t, 1] == 1


def test_expanding_ranks_do_not_look_ahead() -> None:
    rng = np.random.default_rng(5)
    spread = rng.normal(0, 0.01, (500, 2))
    short = direction_ranks(spread[:200])
    full = direction_ranks(spread)
    for key in ("rank", "count", "percentile"):
        np.testing.assert_array_equal(short[key], full[key][:200])


def test_trailing_zscore_uses_the_days_before() -> None:
    rng = np.random.default_rng(9)
    x = rng.normal(0, 1, (40, 1))
    z = trailing_zscore(x, 10)
    prior = x[20:30, 0]
    assert z[30, 0] == pytest.approx((x[30, 0] - prior.mean()) / prior.std(ddof=1))
    assert np.isnan(z[:10]).all() and not np.isnan(z[10:]).any()


def _pair_frame(a: list[float], b: list[float]) -> pl.DataFrame:
    days = [date(2024, 1, 1) + timedelta(days=i) for i in range(len(a))]
    return pl.DataFrame({"date": days, "A": a, "B": b})


def test_spreads_patterns_and_windows() -> None:
    frame = _pair_frame([100, 110, 99, 99, 105, 120], [100, 100, 101, 99, 104, 110])
    ev = rotation_events(frame, "A", "B")
    assert ev["date"].to_list()[0] == date(2024, 1, 2)
    assert ev["spread"][0] == pytest.approx(0.10)
    assert ev["pattern"].to_list() == ["both_up", "a_down_b_up", "both_down", "both_up", "both_up"]
    ev5 = rotation_events(frame, "A", "B", window="5d")
    assert ev5.height == 1 and ev5["spread"][0] == pytest.approx(0.20 - 0.10)
    with pytest.raises(DataError):
        rotation_events(frame, "A", "B", window="2d")


def test_missing_prices_give_no_spread() -> None:
    frame = _pair_frame([100, None, 102, 103], [100, 100, 100, 101])
    ev = rotation_events(frame, "A", "B")
    assert ev["date"].to_list() == [date(2024, 1, 4)]


def test_event_on_and_explain_small() -> None:
    frame = _pair_frame([100, 103, 101, 106], [100, 99, 100, 100])
    ev = rotation_events(frame, "A", "B")
    event = event_on(ev, date(2024, 1, 4))
    assert event.rank == 1 and event.count == 2 and event.wider_before is None
    assert event.classic is False and event.toward == "A"
    with pytest.raises(DataError):
        event_on(ev, date(2024, 1, 10))
    assert event_on(ev, date(2024, 1, 10), exact=False).date == date(2024, 1, 4)
    assert "widest" in explain(event)
    boosted = with_breadth(event, {"A members up": "80%"})
    assert "Breadth: A members up 80%" in explain(boosted) and event.breadth is None


def test_pairs_may_share_a_symbol_and_top_events_orders_by_size() -> None:
    frame = _pair_frame([100, 103, 101, 106], [100, 99, 100, 100]).with_columns(C=pl.lit(100.0))
    ev = pair_events(frame, [("A", "B"), ("A", "C"), ("B", "C")])
    assert set(ev["pair"].unique()) == {"A:B", "A:C", "B:C"}
    top = top_events(ev.filter(pl.col("pair") == "A:B"), 2)
    assert top["spread"].abs().to_list() == sorted(top["spread"].abs().to_list(), reverse=True)
    assert top.height == 2


@pytest.fixture(scope="module")
def rut_ndx(real_store: Path) -> pl.DataFrame:
    with Store(real_store, read_only=True) as st:
        return st.closes(["^RUT", "^NDX"])


def test_july_11_2024_is_a_classic_rotation_day(rut_ndx: pl.DataFrame) -> None:
    ev = rotation_events(rut_ndx, "^RUT", "^NDX")
    event = event_on(ev, date(2024, 7, 11))
    assert event.return_a == pytest.approx(2125.04 / 2051.75 - 1)
    assert event.return_a == pytest.approx(0.0357, abs=5e-5)
    assert event.return_b == pytest.approx(-0.0224, abs=5e-5)
    assert round(event.spread * 100, 2) == 5.82
    assert event.pattern == "a_up_b_down" and event.classic
    assert event.kind == "size" and event.toward == "^RUT"
    # Independent check of the rank: plain Python over the two close series.
    rows = [r for r in rut_ndx.sort("date").iter_rows() if r[1] is not None and r[2] is not None]
    spreads = []
    for (_, a0, b0), (d1, a1, b1) in itertools.pairwise(rows):
        spreads.append((d1, a1 / a0 - b1 / b0))
    target = next(s for d, s in spreads if d == date(2024, 7, 11))
    before = [s for d, s in spreads if d <= date(2024, 7, 11) and s > 0]
    everything = [s for _, s in spreads if s > 0]
    assert event.rank == 1 + sum(s > target for s in before) == 2
    assert event.count == len(before)
    assert event.rank_all == 1 + sum(s > target for s in everything)
    assert event.count_all == len(everything)
    assert event.wider_before == date(2002, 7, 25)  # the only wider one: +5.88 points
    assert event.first_date == date(1987, 9, 11)
    assert event.zscore is not None and event.zscore > 5
    text = explain(event)
    assert "the 2nd widest spread in ^RUT's favour since 1987" in text
    assert "classic rotation day toward ^RUT" in text


def test_scan_flags_the_rotation_day(real_store: Path) -> None:
    pairs = [("^RUT", "^NDX"), ("IWM", "QQQ"), ("XLP", "SPY")]
    with Store(real_store, read_only=True) as st:
        closes = st.closes(["^RUT", "^NDX", "IWM", "QQQ", "XLP", "SPY"])
    scan = scan_pairs(pair_events(closes, pairs), date(2024, 7, 11))
    by_pair = {r["pair"]: r for r in scan.iter_rows(named=True)}
    assert by_pair["^RUT:^NDX"]["notable"] and by_pair["IWM:QQQ"]["notable"]
    assert by_pair["IWM:QQQ"]["rank"] == 3
    assert not by_pair["XLP:SPY"]["notable"]  # +0.49 points, an ordinary day
    assert {r["date"] for r in scan.iter_rows(named=True)} == {date(2024, 7, 11)}


def test_top_events_toward_keeps_one_direction_and_names_it() -> None:
    a = [100.0, 103.0, 101.0, 104.0, 100.0, 101.0]
    b = [100.0, 100.0, 100.0, 100.0, 100.0, 100.0]
    wide = _pair_frame(a, b)
    ev = rotation_events(wide, "A", "B")
    both = top_events(ev, 10)
    assert set(both["toward"].to_list()) == {"A", "B"}
    to_a = top_events(ev, 10, toward=toward_side("A", "B", "a"))
    assert to_a.height == 3 and (to_a["spread"] > 0).all() and to_a["toward"].to_list() == ["A"] * 3
    to_b = top_events(ev, 1, toward="B")
    assert to_b["spread"][0] == pytest.approx(100 / 104 - 1)
    with pytest.raises(DataError, match="A or B"):
        toward_side("A", "B", "C")
