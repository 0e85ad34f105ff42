"""Replays on the real store: the commentary's IWM short, gaps, other instruments and dates.

Fill model for the ^RUT stop (the default, ``mapped``): the ^RUT level translated
into IWM through the prior closes' ratio, limited to IWM's low-high that day.
On 2024-07-31 ^RUT traded to 2,300.00 (open 2,253.57, so no gap); the prior
closes (2024-07-30) are IWM 222.57 and ^RUT 2,243.14, so the half is bought back
at 2,278.12 x 222.57 / 2,243.14 = 226.0408, a loss of 3.865% on 217.63.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rotation.data.store import Store
from rotation.errors import PlanError
from rotation.trading.plan import load_plan, parse_plan
from rotation.trading.replay import plan_bars, replay, replay_from_store

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "iwm-short-2024-07.toml"
MAPPED_FILL = 2278.12 * 222.57 / 2243.14


@pytest.fixture(scope="module")
def example_bars(real_store: Path) -> pl.DataFrame:
    with Store(real_store, read_only=True) as st:
        return plan_bars(st, load_plan(EXAMPLE))


def test_example_half_one_stopped_at_220_65_for_1_39_percent(example_bars: pl.DataFrame) -> None:
    rep = replay(load_plan(EXAMPLE), example_bars)
    entries = [f for f in rep.fills if f.reason == "entry"]
    assert [(f.date, f.price, f.quantity) for f in entries] == [(date(2024, 7, 19), 217.63, -500.0)] * 2
    one = rep.tranches[0]
    assert (one.status, one.exit_date, one.exit_price, one.exit_reason) == ("closed", date(2024, 7, 22), 220.65, "stop")
    assert round(one.pnl_pct * 100, 2) == -1.39
    assert one.pnl == pytest.approx(-500 * (220.65 - 217.63))
    # Checked on the entry bar (entered at the open) and on the stop bar.
    assert one.stop_checked == (date(2024, 7, 19), date(2024, 7, 22))


def test_example_half_two_open_at_july_26_close(example_bars: pl.DataFrame) -> None:
    rep = replay(load_plan(EXAMPLE), example_bars, as_of=date(2024, 7, 26))
    two = rep.tranches[1]
    assert two.status == "open" and two.exit_date is None
    assert (two.mark_date, two.mark_price) == (date(2024, 7, 26), 224.22)
    assert two.pnl_pct == pytest.approx(-(224.22 / 217.63 - 1))
    assert two.watched_distance_pct == pytest.approx(2278.12 / 2260.07 - 1)  # ^RUT close 2,260.07
    mapped_now = 2278.12 * 224.22 / 2260.07
    assert two.stop_price == pytest.approx(mapped_now)
    assert two.risk_to_stop == pytest.approx(-(mapped_now - 224.22) * 500)
    assert two.stop_checked == tuple(
        date(2024, 7, d) for d in (19, 22, 23, 24, 25, 26)
    )
    assert rep.last_date == date(2024, 7, 26)
    assert rep.realized == pytest.approx(-1510.0) and rep.unrealized == pytest.approx(-500 * (224.22 - 217.63))


def test_example_half_two_stopped_july_31_by_mapped_model(example_bars: pl.DataFrame) -> None:
    rep = replay(load_plan(EXAMPLE), example_bars)
    two = rep.tranches[1]
    assert (two.status, two.exit_date, two.exit_reason) == ("closed", date(2024, 7, 31), "watch-stop")
    assert two.exit_price == pytest.approx(MAPPED_FILL) and round(MAPPED_FILL, 2) == 226.04
    assert round(two.pnl_pct * 100, 3) == -3.865
    assert two.pnl == pytest.approx(-500 * (MAPPED_FILL - 217.63))
    assert two.stop_checked[-1] == date(2024, 7, 31) and len(two.stop_checked) == 9
    assert rep.pnl == pytest.approx(-1510.0 - 500 * (MAPPED_FILL - 217.63))
    assert rep.pnl_pct == pytest.approx(rep.pnl / (1000 * 217.63))


@pytest.mark.parametrize(
    ("model", "exit_date", "price"),
    [("close", date(2024, 7, 31), 223.86), ("next-open", date(2024, 8, 1), 223.77)],
)
def test_example_other_fill_models(example_bars: pl.DataFrame, model: str, exit_date: date, price: float) -> None:
    text = EXAMPLE.read_text().replace('fill = "mapped"', f'fill = "{model}"')
    import tomllib

    rep = replay(parse_plan(tomllib.loads(text), "x.toml"), example_bars)
    two = rep.tranches[1]
    assert (two.exit_date, two.exit_price) == (exit_date, price)


def test_rut_vendor_error_is_reported_and_distrusted(example_bars: pl.DataFrame) -> None:
    plan = load_plan(EXAMPLE)
    rep = replay(plan, example_bars)
    assert len(rep.warnings) == 1
    assert rep.warnings[0].startswith("^RUT 2024-07-19: suspect bar") and "not used" in rep.warnings[0]
    # Its bogus high (2,261.16) is below the level either way, so the fills agree.
    used = replay(plan, example_bars, suspect="use")
    assert used.fills == rep.fills and "used as it is" in used.warnings[0]


def test_no_look_ahead_prefix_replays_agree(example_bars: pl.DataFrame) -> None:
    plan = load_plan(EXAMPLE)
    full = replay(plan, example_bars)
    for day in (date(2024, 7, 19), date(2024, 7, 22), date(2024, 7, 30), date(2024, 7, 31)):
        part = replay(plan, example_bars, as_of=day)
        assert part.fills == tuple(f for f in full.fills if f.date <= day)


def test_before_entry_everything_is_pending(example_bars: pl.DataFrame) -> None:
    rep = replay(load_plan(EXAMPLE), example_bars, as_of=date(2024, 7, 18))
    assert [t.status for t in rep.tranches] == ["pending", "pending"] and rep.fills == ()
    assert rep.pnl == 0 and rep.pnl_pct is None


def _replay_text(real_store: Path, text: str, as_of: date | None = None):
    import tomllib

    plan = parse_plan(tomllib.loads(text), "t.toml")
    with Store(real_store, read_only=True) as st:
        return replay_from_store(st, plan, as_of)


def test_gap_rule_on_real_bars_long_iwm_august_2024(real_store: Path) -> None:
    # IWM closed 216.58 on 2024-08-01 and opened 208.85 on 2024-08-02, below the 212 stop.
    rep = _replay_text(real_store, """
symbol = "IWM"
side = "long"
size = { dollars = 100000 }
[[tranche]]
entry = { date = 2024-07-31, at = "close" }
stop = 212.0
""")
    t = rep.tranches[0]
    assert t.quantity == 446  # floor(100,000 / 223.86)
    assert (t.exit_date, t.exit_price, t.exit_reason) == (date(2024, 8, 2), 208.85, "stop-gap")
    assert t.stop_checked == (date(2024, 8, 1), date(2024, 8, 2))  # entered at the close: from the next bar


def test_nvda_target_and_trailing_stop(real_store: Path) -> None:
    rep = _replay_text(real_store, """
symbol = "NVDA"
side = "long"
size = { shares = 100 }
[[tranche]]
entry = { date = 2024-04-19, at = "close" }
stop = 70
target = 140
[[tranche]]
entry = { date = 2024-04-19, at = "close" }
trailing_stop = "10%"
""")
    target, trail = rep.tranches
    # 2024-06-20 opened 139.80 and traded to 140.76: the 140 target fills at 140 (+83.7%).
    assert (target.exit_date, target.exit_price, target.exit_reason) == (date(2024, 6, 20), 140.0, "target")
    assert round(target.pnl_pct * 100, 1) == 83.7
    # Best high 140.76 (2024-06-20) -> trail 126.684; 2024-06-21 opened 127.12, low 124.30.
    assert (trail.exit_date, trail.exit_reason) == (date(2024, 6, 21), "trailing-stop")
    assert trail.exit_price == pytest.approx(140.76 * 0.9)


def test_long_iwm_with_stop_on_rut_below_each_model(real_store: Path) -> None:
    body = """
symbol = "IWM"
side = "long"
size = { shares = 300 }
[[tranche]]
entry = { date = 2024-07-11, at = "close" }
stop = { symbol = "RUT", below = 2100 }
fill = "close"
[[tranche]]
entry = { date = 2024-07-11, at = "close" }
stop = { symbol = "RUT", below = 2100 }
[[tranche]]
entry = { date = 2024-07-11, at = "close" }
stop = { symbol = "RUT", below = 2100 }
fill = "next-open"
"""
    rep = _replay_text(real_store, body)
    close, mapped, nxt = rep.tranches
    # ^RUT first trades below 2,100 on 2024-08-02 (low 2,090.84, open 2,127.25).
    assert (close.exit_date, close.exit_price) == (date(2024, 8, 2), 208.92)
    assert mapped.exit_date == date(2024, 8, 2)
    assert mapped.exit_price == pytest.approx(2100 * 216.58 / 2186.16)
    assert (nxt.exit_date, nxt.exit_price, nxt.exit_reason) == (date(2024, 8, 5), 197.90, "watch-stop-next-open")
    pending = _replay_text(real_store, body, as_of=date(2024, 8, 2)).tranches[2]
    assert pending.status == "exit-pending"


def test_entry_on_a_day_without_bar_is_an_error(real_store: Path) -> None:
    with pytest.raises(PlanError, match=r"t.toml: tranche\[1\].entry.date: expected a day with a IWM bar, got 2024-07-20"):
        _replay_text(real_store, """
symbol = "IWM"
side = "short"
size = { shares = 10 }
[[tranche]]
entry = { date = 2024-07-20, at = "open" }
""")


def test_costs_reduce_money_pnl(real_store: Path) -> None:
    rep = _replay_text(real_store, EXAMPLE.read_text().replace(
        "commission_per_share = 0.0\nslippage = 0.0", "commission_per_share = 0.01\nslippage = \"0.1%\""))
    one = rep.tranches[0]
    assert one.entry_price == pytest.approx(217.63 * 0.999)  # a short sells lower
    assert one.exit_price == pytest.approx(220.65 * 1.001)  # and buys back higher
    assert one.commission == pytest.approx(2 * 500 * 0.01)
    assert one.pnl == pytest.approx(-(220.65 * 1.001 - 217.63 * 0.999) * 500 - 10.0)


def test_watched_instrument_ending_early_is_reported(real_store: Path) -> None:
    # SMH's file ends 2024-12-30 while SPY runs to 2025-09-26.
    rep = _replay_text(real_store, """
symbol = "SPY"
side = "long"
size = { shares = 10 }
[[tranche]]
entry = { date = 2024-12-02, at = "open" }
stop = { symbol = "SMH", below = 10 }
""")
    t = rep.tranches[0]
    assert t.status == "open" and t.stop_checked[-1] == date(2024, 12, 30)
    assert any(w.startswith("SMH has no bars after 2024-12-30") for w in rep.warnings)


# -- property: whatever the plan, the tranches never add up to more than the position ----

_fracs = st.lists(st.floats(0.01, 1.0), min_size=1, max_size=4)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    closes=st.lists(st.floats(20.0, 400.0), min_size=2, max_size=30),
    weights=_fracs,
    total=st.floats(0.2, 1.0),
    size=st.one_of(st.integers(1, 10_000).map(lambda n: {"shares": n}),
                   st.floats(100.0, 1e6).map(lambda x: {"dollars": x})),
    side=st.sampled_from(["long", "short"]),
    stop_pct=st.floats(0.005, 0.3),
)
def test_random_plans_never_exceed_the_position(closes, weights, total, size, side, stop_pct) -> None:
    from conftest import make_bars

    bars = make_bars("XYZ", closes)
    scale = total / sum(weights)
    first = bars["date"][0]
    plan = parse_plan({
        "symbol": "XYZ", "side": side, "size": size,
        "tranche": [{"fraction": w * scale, "entry": {"date": first, "at": "open"}, "stop": {"pct": stop_pct}}
                    for w in weights],
    }, "random.toml")
    rep = replay(plan, bars)
    entries = [f for f in rep.fills if f.reason == "entry"]
    if "shares" in size:
        assert sum(abs(f.quantity) for f in entries) <= size["shares"]
    else:
        assert sum(abs(f.quantity) * f.exec_price for f in entries) <= size["dollars"] * (1 + 1e-9)
    lows = dict(zip(bars["date"], bars["low"], strict=True))
    highs = dict(zip(bars["date"], bars["high"], strict=True))
    for f in rep.fills:
        assert lows[f.date] - 1e-9 <= f.price <= highs[f.date] + 1e-9
    for t in rep.tranches:
        exits = [f for f in rep.fills if f.tranche == t.index and f.reason != "entry"]
        assert sum(abs(f.quantity) for f in exits) <= t.quantity
