"""The fill engine's documented rules, one by one, and properties on random plans and bars."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rotation.trading import engine as E


def bars(rows: list[tuple[float, float, float, float]]) -> tuple[np.ndarray, ...]:
    a = np.asarray(rows, dtype=float)
    return a[:, 0], a[:, 1], a[:, 2], a[:, 3]


def run(rows, tranche: dict, side: int = 1, watched=None, **kw) -> E.EngineResult:
    o, h, lo, c = bars(rows)
    spec = {"entry_kind": E.ENTRY_OPEN, "entry_first": 0, "entry_last": 0, "qty": 100.0, **tranche}
    w = None
    if watched is not None:
        wo, wh, wl, wc = bars(watched)
        w = (wo[None, :], wh[None, :], wl[None, :], wc[None, :])
    return E.run_engine(o, h, lo, c, E.TrancheArrays.build([spec]), side=side, watched=w, **kw)


def exit_of(res: E.EngineResult) -> tuple[int, float, int]:
    k = int(np.flatnonzero(res.fill_reason != E.R_ENTRY)[0])
    return int(res.fill_bar[k]), float(res.fill_price[k]), int(res.fill_reason[k])


FLAT = (100.0, 101.0, 99.0, 100.0)


def test_stop_touch_fills_at_stop_level() -> None:
    res = run([FLAT, (100.0, 100.5, 97.0, 98.0)], {"stop_kind": E.STOP_PRICE, "stop_level": 97.0})
    assert exit_of(res) == (1, 97.0, E.R_STOP)


def test_long_stop_below_opening_gap_fills_at_open() -> None:
    # Day 2 opens at 95, below the 97 stop: the fill is the open, not the stop.
    res = run([FLAT, (95.0, 96.0, 94.0, 95.5)], {"stop_kind": E.STOP_PRICE, "stop_level": 97.0})
    assert exit_of(res) == (1, 95.0, E.R_STOP_GAP)


def test_short_stop_above_opening_gap_fills_at_open() -> None:
    res = run([FLAT, (104.0, 105.0, 103.5, 104.5)], {"stop_kind": E.STOP_PRICE, "stop_level": 102.0}, side=-1)
    assert exit_of(res) == (1, 104.0, E.R_STOP_GAP)
    assert res.fill_qty.tolist() == [-100.0, 100.0]


def test_stop_and_target_in_one_bar_stop_wins() -> None:
    wide = (100.0, 110.0, 90.0, 100.0)
    res = run([FLAT, wide], {"stop_kind": E.STOP_PRICE, "stop_level": 95.0, "target_kind": E.TARGET_PRICE,
                             "target_level": 105.0})
    assert exit_of(res) == (1, 95.0, E.R_STOP)


def test_target_gap_at_open_beats_later_stop() -> None:
    # The open (108) is through the 105 target: that happens first, so the target fills at the open.
    res = run([FLAT, (108.0, 109.0, 90.0, 95.0)], {"stop_kind": E.STOP_PRICE, "stop_level": 95.0,
                                                     "target_kind": E.TARGET_PRICE, "target_level": 105.0})
    assert exit_of(res) == (1, 108.0, E.R_TARGET_GAP)


def test_target_alone_fills_at_level() -> None:
    res = run([FLAT, (100.0, 106.0, 99.5, 105.5)], {"target_kind": E.TARGET_PRICE, "target_level": 105.0})
    assert exit_of(res) == (1, 105.0, E.R_TARGET)


def test_pct_stop_and_target_from_entry() -> None:
    res = run([FLAT, (100.0, 100.5, 97.0, 98.0)], {"stop_kind": E.STOP_PCT, "stop_level": 0.02})
    assert exit_of(res) == (1, 98.0, E.R_STOP)
    res = run([FLAT, (100.0, 100.5, 97.0, 98.0)], {"stop_kind": E.STOP_PCT, "stop_level": 0.02}, side=-1)
    assert res.status.tolist() == [E.OPEN]
    assert res.stop_now[0] == pytest.approx(102.0)


def test_trailing_stop_acts_from_next_bar() -> None:
    rows = [FLAT, (100.0, 110.0, 99.0, 109.0), (108.0, 108.5, 103.0, 104.0), (104.0, 104.0, 98.0, 99.0)]
    res = run(rows, {"trail": 0.05})
    # Best high after bar 1 is 110 -> trail 104.5; bar 2's low 103 touches it.
    assert exit_of(res) == (2, pytest.approx(104.5), E.R_TRAIL)


def test_tighter_of_fixed_and_trailing_stop_applies() -> None:
    rows = [FLAT, (100.0, 110.0, 99.0, 109.0), (104.0, 104.0, 98.0, 99.0)]
    res = run(rows, {"trail": 0.05, "stop_kind": E.STOP_PRICE, "stop_level": 90.0})
    assert exit_of(res) == (2, 104.0, E.R_TRAIL_GAP)  # opened at 104, below the 104.5 trail


def test_time_stop_exits_at_close_of_nth_bar() -> None:
    rows = [FLAT, FLAT, (100.0, 101.0, 99.0, 100.7), FLAT]
    res = run(rows, {"time_bars": 2})
    assert exit_of(res) == (2, 100.7, E.R_TIME)
    res = run(rows, {"time_last": 1})
    assert exit_of(res) == (1, 100.0, E.R_TIME)


def test_entry_at_close_checks_exits_from_next_bar() -> None:
    rows = [(100.0, 101.0, 90.0, 100.0), FLAT, (99.0, 99.5, 94.0, 95.0)]
    res = run(rows, {"entry_kind": E.ENTRY_CLOSE, "stop_kind": E.STOP_PRICE, "stop_level": 95.0})
    assert res.checked[0].tolist() == [False, True, True]
    assert exit_of(res) == (2, 95.0, E.R_STOP)


def test_limit_entry_gap_and_intrabar() -> None:
    rows = [FLAT, (98.0, 99.0, 97.0, 98.5), (100.0, 101.0, 96.0, 100.0)]
    gap = run(rows, {"entry_kind": E.ENTRY_LIMIT, "entry_price": 99.0, "entry_first": 0, "entry_last": 2})
    assert (int(gap.fill_bar[0]), float(gap.fill_price[0])) == (0, 99.0)  # bar 0 low 99 reaches it
    lim = run(rows, {"entry_kind": E.ENTRY_LIMIT, "entry_price": 98.5, "entry_first": 0, "entry_last": 2})
    assert (int(lim.fill_bar[0]), float(lim.fill_price[0])) == (1, 98.0)  # opened below the limit
    late = run(rows, {"entry_kind": E.ENTRY_LIMIT, "entry_price": 90.0, "entry_first": 0, "entry_last": 1})
    assert late.status.tolist() == [E.EXPIRED] and late.fill_bar.size == 0


def test_intrabar_entry_checks_stop_not_target_on_entry_bar() -> None:
    rows = [(100.0, 106.0, 95.0, 100.0), FLAT]
    res = run(rows, {"entry_kind": E.ENTRY_STOP, "entry_price": 101.0, "entry_last": 1,
                     "stop_kind": E.STOP_PRICE, "stop_level": 96.0, "target_kind": E.TARGET_PRICE,
                     "target_level": 105.0})
    assert float(res.fill_price[0]) == 101.0
    assert exit_of(res) == (0, 96.0, E.R_STOP)  # pessimistic: the low may have come after the fill


WATCH_PREV = (1000.0, 1010.0, 990.0, 1000.0)


def test_watched_stop_mapped_fill() -> None:
    traded = [(100.0, 101.0, 99.0, 100.0), (100.5, 103.0, 100.0, 102.0)]
    watched = [WATCH_PREV, (1005.0, 1030.0, 1000.0, 1020.0)]
    res = run(traded, {"stop_kind": E.STOP_WATCH, "stop_level": 1025.0, "stop_dir": 1}, side=-1, watched=watched)
    # 1025 x (100 / 1000) = 102.5, inside the traded bar.
    assert exit_of(res) == (1, pytest.approx(102.5), E.R_WATCH)


def test_watched_stop_mapped_is_limited_to_traded_range() -> None:
    traded = [(100.0, 101.0, 99.0, 100.0), (100.5, 101.5, 100.0, 101.0)]
    watched = [WATCH_PREV, (1005.0, 1030.0, 1000.0, 1020.0)]
    res = run(traded, {"stop_kind": E.STOP_WATCH, "stop_level": 1025.0, "stop_dir": 1}, side=-1, watched=watched)
    assert exit_of(res) == (1, 101.5, E.R_WATCH)


def test_watched_gap_fills_traded_open() -> None:
    traded = [(100.0, 101.0, 99.0, 100.0), (103.0, 104.0, 102.0, 103.5)]
    watched = [WATCH_PREV, (1040.0, 1050.0, 1035.0, 1045.0)]
    res = run(traded, {"stop_kind": E.STOP_WATCH, "stop_level": 1025.0, "stop_dir": 1}, side=-1, watched=watched)
    assert exit_of(res) == (1, 103.0, E.R_WATCH_GAP)


def test_watched_stop_close_and_next_open_models() -> None:
    traded = [(100.0, 101.0, 99.0, 100.0), (100.5, 103.0, 100.0, 102.0), (101.0, 102.0, 100.0, 101.5)]
    watched = [WATCH_PREV, (1005.0, 1030.0, 1000.0, 1020.0), WATCH_PREV]
    spec = {"stop_kind": E.STOP_WATCH, "stop_level": 1025.0, "stop_dir": 1}
    close = run(traded, {**spec, "fill_model": E.MODEL_CLOSE}, side=-1, watched=watched)
    assert exit_of(close) == (1, 102.0, E.R_WATCH_CLOSE)
    nxt = run(traded, {**spec, "fill_model": E.MODEL_NEXT_OPEN}, side=-1, watched=watched)
    assert exit_of(nxt) == (2, 101.0, E.R_WATCH_NEXT)
    pending = run(traded[:2], {**spec, "fill_model": E.MODEL_NEXT_OPEN}, side=-1, watched=watched[:2])
    assert pending.status.tolist() == [E.EXIT_PENDING] and pending.fill_bar.size == 1


def test_watched_below_and_missing_bar() -> None:
    traded = [(100.0, 101.0, 99.0, 100.0)] * 3
    nan = (math.nan,) * 4
    watched = [WATCH_PREV, nan, (1000.0, 1001.0, 970.0, 980.0)]
    res = run(traded, {"stop_kind": E.STOP_WATCH, "stop_level": 975.0, "stop_dir": -1}, watched=watched)
    assert res.checked[0].tolist() == [True, False, True]
    assert exit_of(res)[0] == 2 and exit_of(res)[2] == E.R_WATCH


def test_watched_bar_without_high_uses_close() -> None:
    traded = [(100.0, 101.0, 99.0, 100.0)] * 2
    watched = [WATCH_PREV, (math.nan, math.nan, 990.0, 1030.0)]
    res = run(traded, {"stop_kind": E.STOP_WATCH, "stop_level": 1025.0, "stop_dir": 1}, side=-1, watched=watched)
    assert exit_of(res)[0] == 1


def test_worst_stop_wins_between_traded_and_watched() -> None:
    traded = [(100.0, 101.0, 99.0, 100.0), (100.5, 104.0, 100.0, 103.0)]
    watched = [WATCH_PREV, (1005.0, 1030.0, 1000.0, 1020.0)]
    res = run(traded, {"stop_kind": E.STOP_WATCH, "stop_level": 1025.0, "stop_dir": 1, "trail": 0.045},
              side=-1, watched=watched)
    # Trailing 99 x 1.045 = 103.455 (best low of the entry bar) vs mapped 102.5: a short
    # buying back takes the higher, worse price.
    assert exit_of(res) == (1, pytest.approx(103.455), E.R_TRAIL)
    res = run(traded, {"stop_kind": E.STOP_WATCH, "stop_level": 1025.0, "stop_dir": 1, "trail": 0.035},
              side=-1, watched=watched)
    assert exit_of(res) == (1, pytest.approx(102.5), E.R_WATCH)  # trailing 102.465 < mapped 102.5


def test_costs_slippage_and_commission() -> None:
    res = run([FLAT, (100.0, 100.5, 97.0, 98.0)], {"stop_kind": E.STOP_PRICE, "stop_level": 97.0},
              slippage=0.001, commission_per_share=0.01, commission_min=1.5)
    assert res.fill_exec.tolist() == pytest.approx([100.1, 96.903])
    assert res.fill_price.tolist() == [100.0, 97.0]
    assert res.fill_commission.tolist() == [1.5, 1.5]


def test_budget_sizing_whole_shares_and_too_small() -> None:
    res = run([FLAT], {"qty": math.nan, "budget": 1050.0})
    assert res.quantity.tolist() == [10.0]
    small = run([FLAT], {"qty": math.nan, "budget": 50.0})
    assert small.status.tolist() == [E.TOO_SMALL] and small.fill_bar.size == 0


def test_nan_bar_is_skipped() -> None:
    rows = [FLAT, (math.nan,) * 4, (100.0, 100.5, 96.0, 98.0)]
    res = run(rows, {"stop_kind": E.STOP_PRICE, "stop_level": 97.0})
    assert res.checked[0].tolist() == [True, False, True]


def test_empty_bars() -> None:
    res = E.run_engine(np.array([]), np.array([]), np.array([]), np.array([]),
                       E.TrancheArrays.build([{"qty": 1.0}]), side=1)
    assert res.status.tolist() == [E.PENDING] and res.fill_bar.size == 0


# -- properties on random plans and bars -----------------------------------------------


@st.composite
def bar_series(draw: st.DrawFn) -> np.ndarray:
    n = draw(st.integers(1, 40))
    rets = draw(st.lists(st.floats(-0.08, 0.08), min_size=n, max_size=n))
    gaps = draw(st.lists(st.floats(-0.05, 0.05), min_size=n, max_size=n))
    ups = draw(st.lists(st.floats(0.0, 0.04), min_size=n, max_size=n))
    downs = draw(st.lists(st.floats(0.0, 0.04), min_size=n, max_size=n))
    out = np.empty((n, 4))
    prev = 100.0
    for i in range(n):
        o = prev * (1 + gaps[i])
        c = o * (1 + rets[i])
        out[i] = (o, max(o, c) * (1 + ups[i]), min(o, c) * (1 - downs[i]), c)
        prev = c
    return out


@st.composite
def tranche_spec(draw: st.DrawFn, n: int, position: float) -> dict[str, float]:
    kind = draw(st.sampled_from([E.ENTRY_OPEN, E.ENTRY_CLOSE, E.ENTRY_LIMIT, E.ENTRY_STOP]))
    first = draw(st.integers(0, n - 1))
    spec: dict[str, float] = {
        "entry_kind": kind, "entry_first": first,
        "entry_last": first if kind in (E.ENTRY_OPEN, E.ENTRY_CLOSE) else draw(st.integers(first, n)),
        "entry_price": draw(st.floats(80, 120)),
        "qty": math.floor(position * draw(st.floats(0.0, 1.0)) / 3),
        "fill_model": draw(st.sampled_from([E.MODEL_MAPPED, E.MODEL_CLOSE, E.MODEL_NEXT_OPEN])),
    }
    stop = draw(st.sampled_from([E.STOP_NONE, E.STOP_PRICE, E.STOP_PCT, E.STOP_WATCH]))
    spec["stop_kind"] = stop
    spec["stop_level"] = {E.STOP_PRICE: draw(st.floats(70, 130)), E.STOP_PCT: draw(st.floats(0.005, 0.2)),
                          E.STOP_WATCH: draw(st.floats(700, 1300)), E.STOP_NONE: math.nan}[stop]
    spec["stop_dir"] = draw(st.sampled_from([1, -1]))
    if draw(st.booleans()):
        spec["target_kind"] = E.TARGET_PRICE
        spec["target_level"] = draw(st.floats(70, 130))
    if draw(st.booleans()):
        spec["trail"] = draw(st.floats(0.01, 0.2))
    if draw(st.booleans()):
        spec["time_bars"] = draw(st.integers(1, 10))
    return spec


@st.composite
def scenario(draw: st.DrawFn):
    traded = draw(bar_series())
    n = len(traded)
    watched = draw(bar_series().filter(lambda a: len(a) >= n))[:n] * 10.0
    position = float(draw(st.integers(1, 5000)))
    specs = draw(st.lists(tranche_spec(n, position), min_size=1, max_size=3))
    side = draw(st.sampled_from([1, -1]))
    return traded, watched, position, specs, side


@settings(max_examples=300, deadline=None)
@given(scenario())
def test_fills_stay_in_bar_range_and_quantities_within_position(case) -> None:
    traded, watched, position, specs, side = case
    o, h, lo, c = (traded[:, k].copy() for k in range(4))
    w = tuple(watched[:, k][None, :].copy() for k in range(4))
    res = E.run_engine(o, h, lo, c, E.TrancheArrays.build(specs), side=side, watched=w)
    for bar, price in zip(res.fill_bar, res.fill_price, strict=True):
        # Inside the bar's low-high (a gap fill at the open is inside it too).
        assert lo[bar] - 1e-9 <= price <= h[bar] + 1e-9
    for t, reason, bar, price in zip(res.fill_tranche, res.fill_reason, res.fill_bar, res.fill_price, strict=True):
        if reason in (E.R_STOP_GAP, E.R_TRAIL_GAP, E.R_WATCH_GAP, E.R_TARGET_GAP, E.R_WATCH_NEXT):
            # A gap fills at the open; on the entry bar the entry price stands in for it.
            on_entry_bar = bar == res.entry_bar[t]
            assert price == o[bar] or (on_entry_bar and price == res.entry_price[t])
    entries = res.fill_reason == E.R_ENTRY
    bought = np.abs(res.fill_qty[entries]).sum()
    assert bought <= position + 1e-9
    # Every tranche exits at most what it entered, once, after (or on) its entry bar.
    for t in range(len(specs)):
        mine = res.fill_tranche == t
        qty = res.fill_qty[mine]
        assert len(qty) <= 2
        if len(qty) == 2:
            assert qty[0] == -qty[1] and np.sign(qty[0]) == side
            assert res.fill_bar[mine][1] >= res.fill_bar[mine][0]


@settings(max_examples=100, deadline=None)
@given(scenario(), st.integers(1, 40))
def test_no_look_ahead_truncated_bars_give_the_same_early_fills(case, cut) -> None:
    traded, watched, _, specs, side = case
    n = len(traded)
    cut = min(cut, n)
    full = E.run_engine(*(traded[:, k].copy() for k in range(4)), E.TrancheArrays.build(specs), side=side,
                        watched=tuple(watched[:, k][None, :].copy() for k in range(4)))
    part = E.run_engine(*(traded[:cut, k].copy() for k in range(4)), E.TrancheArrays.build(specs), side=side,
                        watched=tuple(watched[:cut, k][None, :].copy() for k in range(4)))
    early = full.fill_bar < cut
    # A next-open exit lands on the bar after its trigger, so it is pending in the cut run.
    assert sorted(zip(part.fill_bar.tolist(), part.fill_price.tolist(), strict=True)) == sorted(
        zip(full.fill_bar[early].tolist(), full.fill_price[early].tolist(), strict=True)
    )
