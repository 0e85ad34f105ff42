"""The seed's July 2024 figures on the embedded sample: the core real-data tests that run with no ../shared.

They pin the same numbers as the full-data tests wherever the figure falls inside
the sample's window (2023-01-03..2024-12-31); ranks against history are ranks
within the sample.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from rotation.analytics.events import rotation_events
from rotation.analytics.measure import measure
from rotation.data.store import Store
from rotation.trading.plan import load_plan
from rotation.trading.replay import replay_from_store

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "iwm-short-2024-07.toml"
MAPPED_FILL = 2278.12 * 222.57 / 2243.14


def test_nvda_down_19_68_percent_from_its_high(sample_store: Path) -> None:
    with Store(sample_store, read_only=True) as st:
        m = measure(st.bars("NVDA"), "ath", "2024-07-26")
    assert m.start.date == date(2024, 6, 20) and m.start.price == pytest.approx(140.76)
    assert m.end.price == pytest.approx(113.06)
    assert m.pct_change == pytest.approx(-0.1968, abs=5e-5)


def test_rut_up_3_57_percent_on_july_11_and_the_widest_day_in_the_sample(sample_store: Path) -> None:
    with Store(sample_store, read_only=True) as st:
        closes = st.closes(["^RUT", "^NDX"])
    ev = rotation_events(closes, "^RUT", "^NDX").filter(date=date(2024, 7, 11)).row(0, named=True)
    assert ev["return_a"] == pytest.approx(0.0357, abs=5e-5)
    assert ev["return_b"] == pytest.approx(-0.0224, abs=5e-5)
    assert ev["spread"] == pytest.approx(0.0582, abs=5e-5)
    assert ev["pattern"] == "a_up_b_down"
    # Within the sample: the widest of the 173 days ^RUT beat ^NDX from 2023-01-04 to that day.
    assert (ev["rank"], ev["count"]) == (1, 173)
    assert ev["zscore"] == pytest.approx(5.894, abs=1e-3)


def test_iwm_short_fills(sample_store: Path) -> None:
    with Store(sample_store, read_only=True) as st:
        rep = replay_from_store(st, load_plan(EXAMPLE))
    fills = [(f.tranche, f.date, f.reason, round(f.price, 4), f.quantity) for f in rep.fills]
    assert fills == [
        (1, date(2024, 7, 19), "entry", 217.63, -500.0),
        (2, date(2024, 7, 19), "entry", 217.63, -500.0),
        (1, date(2024, 7, 22), "stop", 220.65, 500.0),
        (2, date(2024, 7, 31), "watch-stop", round(MAPPED_FILL, 4), 500.0),
    ]
    half1 = rep.tranches[0]
    assert half1.pnl_pct == pytest.approx(-0.0139, abs=5e-5)


def test_iwm_short_fills_identical_to_the_full_data(sample_store: Path, real_store: Path) -> None:
    plan = load_plan(EXAMPLE)
    with Store(sample_store, read_only=True) as st:
        sample = replay_from_store(st, plan, date(2024, 12, 31))
    with Store(real_store, read_only=True) as st:
        full = replay_from_store(st, plan, date(2024, 12, 31))
    assert sample.fills == full.fills
    assert [t.pnl for t in sample.tranches] == [t.pnl for t in full.tranches]


def test_rty_positioning_and_aaii_sentiment_of_july_2024(sample_store: Path) -> None:
    from rotation.data.positioning import positioning_frame, sentiment_frame

    with Store(sample_store, read_only=True) as st:
        pos = positioning_frame(st, ["RTY"], as_of=date(2024, 7, 19))
        early = positioning_frame(st, ["RTY"], as_of=date(2024, 7, 18))
        sent = sentiment_frame(st, ["aaii_bullish", "aaii_neutral", "aaii_bearish"], as_of=date(2024, 7, 11))
    week = pos.filter(report_date=date(2024, 7, 16))
    assert week["release_date"].unique().to_list() == [date(2024, 7, 19)]
    net = {r["group"]: r["long"] - r["short"] for r in week.iter_rows(named=True)}
    assert net["lev_money"] == 85_333 - 121_376 == -36_043
    assert net["asset_mgr"] == 64_300 and net["nonrept"] == 11_964
    assert week["open_interest"].unique().to_list() == [488_061]
    assert early["report_date"].max() == date(2024, 7, 9)  # not released before Friday
    aaii = {r["series"]: r["value"] for r in sent.filter(date=date(2024, 7, 11)).iter_rows(named=True)}
    assert aaii == pytest.approx({"aaii_bullish": 0.492, "aaii_neutral": 0.291, "aaii_bearish": 0.217}, abs=5e-4)
