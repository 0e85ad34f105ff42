"""The signal + stops kernel under ``Conventions.vectorbt()``, long and short, against an
independent loop in vectorbt's own accounting (cash and a signed position, as
``Portfolio.from_signals`` keeps them), trade for trade; on the real bars too, where the
figures pinned below are the ones vectorbt 1.2 gives; and against vectorbt itself when
it is installed (the ``bench`` extra)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from rotation.backtest import breakout
from rotation.backtest.run import load_panel
from rotation.backtest.signals import Conventions, SignalPrices, StopSets, sweep_signals
from rotation.data.store import Store
from rotation.trading import engine

VBT = Conventions.vectorbt()


def vbt_loop(o, h, lo, c, ent, side, sl, tp, cost):
    """One column as vectorbt runs it with ``entries`` shifted one bar, ``price=open``,
    ``sl_stop``/``tp_stop`` and ``fees``, ``direction`` long or short only.

    Cash starts at 1.0; an entry at the open buys (long) or sells (short) ``cash / (open
    (1 + fees))`` units, fees paid in cash; the stop and the target are set from the entry
    bar's close and tested from the next bar: the stop first (at the open when the bar
    opens beyond it, else at its level when the bar's range holds it), then the target the
    same way; an exit bar takes no new entry.  Returns (trades as (entry bar, exit bar or
    -1, entry price, exit price or NaN, the value's change over the trade), the final value,
    and how often each case came up)."""
    n = len(c)
    cash, pos = 1.0, 0.0
    e, px0, init, before = -1, math.nan, math.nan, math.nan  # the open trade's entry bar, fill, close, value
    trades, seen = [], {"stop gap": 0, "target gap": 0, "target gap, stop touched": 0, "entry bar touched": 0}
    for i in range(n):
        if pos != 0.0 and i > e:
            stop_px, tgt_px = init * (1 - side * sl), init * (1 + side * tp)
            fill = None
            beyond_stop = o[i] <= stop_px if side > 0 else o[i] >= stop_px
            beyond_tgt = o[i] >= tgt_px if side > 0 else o[i] <= tgt_px
            if beyond_stop:
                fill = o[i]
                seen["stop gap"] += 1
            elif lo[i] <= stop_px <= h[i]:
                fill = stop_px
                seen["target gap, stop touched"] += beyond_tgt
            elif beyond_tgt:
                fill = o[i]
                seen["target gap"] += 1
            elif lo[i] <= tgt_px <= h[i]:
                fill = tgt_px
            if fill is not None:
                units = abs(pos)
                cash += pos * fill - units * fill * cost
                pos = 0.0
                trades.append((e, i, px0, fill, cash / before - 1))
                continue
        if pos == 0.0 and i >= 1 and ent[i - 1]:
            before = cash
            units = cash / (o[i] * (1 + cost))
            pos = side * units
            cash += -pos * o[i] - units * o[i] * cost
            e, px0, init = i, o[i], c[i]
            stop_px = init * (1 - side * sl)
            seen["entry bar touched"] += lo[i] <= stop_px <= h[i] or (o[i] - stop_px) * side <= 0
    final = cash + pos * c[-1]
    if pos != 0.0:
        trades.append((e, -1, px0, math.nan, final / before - 1))
    return trades, final, seen


def random_bars(n: int, k: int, seed: int) -> tuple[SignalPrices, np.ndarray]:
    """Bars with gaps at the open (about 1%), 2% a day, and entries on 8% of the bars."""
    rng = np.random.default_rng(seed)
    c = 100 * np.cumprod(1 + rng.normal(0.0, 0.02, size=(n, k)), axis=0)
    o = np.vstack([c[:1], c[:-1]]) * (1 + rng.normal(0, 0.012, size=(n, k)))
    h = np.maximum(o, c) * (1 + np.abs(rng.normal(0, 0.01, size=(n, k))))
    lo = np.minimum(o, c) * (1 - np.abs(rng.normal(0, 0.01, size=(n, k))))
    return SignalPrices.from_bars(o, h, lo, c), rng.random((n, k)) < 0.08


def check_against_loop(prices: SignalPrices, ent: np.ndarray, side: int, sl: np.ndarray, tp: np.ndarray,
                       cost: float) -> tuple[dict[str, int], int]:
    """The kernel equals :func:`vbt_loop` on every (set, symbol): trades, final values, and
    each set's total return (the mean of its sleeves'); returns the cases seen and the trades."""
    res = sweep_signals(prices, ent, StopSets.of(sl, tp), side=side, cost=cost, conventions=VBT, record=True)
    k = prices.shape[1]
    seen = dict.fromkeys(("stop gap", "target gap", "target gap, stop touched", "entry bar touched"), 0)
    for p in range(sl.size):
        finals = []
        for j in range(k):
            want, final, cases = vbt_loop(prices.open[j], prices.high[j], prices.low[j], prices.close[j], ent[:, j],
                                          side, sl[p], tp[p], cost)
            for key in seen:
                seen[key] += cases[key]
            m = (res.trade_set == p) & (res.trade_symbol == j)
            got = list(zip(res.trade_entry_bar[m], res.trade_exit_bar[m], res.trade_entry_price[m],
                           res.trade_exit_price[m], res.trade_return[m], strict=True))
            assert len(got) == len(want) == res.column_trades[p, j]
            for g, w in zip(got, want, strict=True):
                assert g[:2] == w[:2], (p, j, g, w)
                np.testing.assert_allclose(g[2:4], w[2:4], rtol=1e-12)
                assert 1 + g[4] == pytest.approx(1 + w[4], rel=1e-12)  # values, not returns near 0
            assert 1 + res.column_return[p, j] == pytest.approx(final, rel=1e-12)
            finals.append(final)
        assert 1 + res.stat("total_return")[p] == pytest.approx(np.mean(finals), rel=1e-12)
    return seen, len(res.trade_set)


def test_short_gap_rules_by_hand() -> None:
    """A short in at 100 (the entry bar closes at 100 too): stop 105 above, target 90 below."""
    flat = (100.0, 101.0, 99.0, 100.0)
    cases = [((107, 108, 104, 106), 107.0, engine.R_STOP_GAP),  # opens above the stop: the open
             ((100, 106, 99, 104), 105.0, engine.R_STOP),  # trades up through it
             ((95, 96, 89, 91), 90.0, engine.R_TARGET),  # trades down through the target
             ((88, 89, 85, 86), 88.0, engine.R_TARGET_GAP),  # opens below it: the open
             ((88, 106, 87, 100), 105.0, engine.R_STOP)]  # opens below the target, then up through the stop
    for bar, price, code in cases:
        rows = np.array([flat, flat, bar, flat])
        p = SignalPrices.from_bars(*(rows[:, i : i + 1] for i in range(4)))
        ent = np.array([[True], [False], [False], [False]])
        r = sweep_signals(p, ent, StopSets.of(0.05, 0.1), side=-1, conventions=VBT, record=True)
        assert (r.trade_exit_bar[0], r.trade_exit_price[0], r.trade_exit_code[0]) == (2, pytest.approx(price), code)
        want, _, _ = vbt_loop(*rows.T, ent[:, 0], -1, 0.05, 0.1, 0.0)
        assert want[0][1:4:2] == (2, pytest.approx(price))
    # rotation's own rule for the last case: the target at the open (target_gap_first)
    r = sweep_signals(p, ent, StopSets.of(0.05, 0.1), side=-1, record=True)
    assert (r.trade_exit_price[0], r.trade_exit_code[0]) == (88.0, engine.R_TARGET_GAP)


@pytest.mark.parametrize("side", [1, -1])
def test_kernel_equals_a_loop_in_vectorbts_accounting(side: int) -> None:
    prices, ent = random_bars(600, 3, seed=31 if side > 0 else 32)
    sl = np.array([0.01, 0.02, 0.04, 0.08, 0.03])
    tp = np.array([0.01, 0.05, 0.02, 0.15, 0.5])
    seen, trades = check_against_loop(prices, ent, side, sl, tp, cost=0.001)
    assert trades > 200
    # every rule that tells the two conventions apart came up (so the test can fail on each)
    assert all(v > 0 for v in seen.values()), seen


#: vectorbt 1.2 (Rust engine) on the case of :func:`test_short_sleeves_on_real_bars`: trades
#: and total return per (set, symbol), ``from_signals(close, entries shifted one bar,
#: direction="shortonly", price=open, open/high/low, sl_stop, tp_stop, fees=0.0005)``.
PINNED: dict[str, object] = {
    "window": ("2000-06-05", "2024-12-30", 6182),
    "trades": [[278, 273, 321, 245], [132, 137, 179, 118], [50, 51, 72, 35]],
    "returns": [[-0.6976423208012136, -0.8193749343618347, -0.867226975681761, -0.4419919690312484],
                [-0.8601234041211321, -0.8929490928209287, -0.9497256091687392, -0.7759507080753064],
                [-0.9605950067975353, -0.9557649016464411, -0.9857529939362111, -0.9264336235025943]],
}


def test_short_sleeves_on_real_bars(real_store: Path) -> None:
    """Short breakouts (20-session closing lows) on four real symbols, dividend-adjusted,
    on their common sessions: the kernel equals the loop trade for trade, and the counts
    and returns pinned here are vectorbt 1.2's (``from_signals(direction="shortonly")``,
    Rust engine) to the digits shown."""
    symbols = ["XLE", "XLK", "SMH", "IWM"]
    with Store(real_store, read_only=True) as st:
        panel = load_panel(st, symbols)
    win = breakout.bars(panel, symbols)
    ent = breakout.entries(win, 20, "short")
    sl, tp = np.array([0.02, 0.05, 0.1]), np.array([0.04, 0.1, 0.3])
    seen, trades = check_against_loop(win.prices, ent, -1, sl, tp, cost=0.0005)
    assert (win.dates[0].isoformat(), win.dates[-1].isoformat(), len(win.dates)) == PINNED["window"]
    res = sweep_signals(win.prices, ent, StopSets.of(sl, tp), side=-1, cost=0.0005, conventions=VBT)
    assert res.column_trades.tolist() == PINNED["trades"]
    np.testing.assert_allclose(res.column_return, PINNED["returns"], rtol=1e-12)
    assert trades == 1891 and seen["stop gap"] > 0 and seen["target gap"] > 0


def test_short_vectorbt_parity_on_random_bars() -> None:
    vbt = pytest.importorskip("vectorbt", reason="vectorbt is not installed (the bench extra)")
    prices, ent = random_bars(500, 3, seed=41)
    sl, tp = np.array([0.02, 0.05, 0.1, 0.03]), np.array([0.04, 0.2, 0.05, 0.5])
    cost = 0.001
    ours = sweep_signals(prices, ent, StopSets.of(sl, tp), side=-1, cost=cost, conventions=VBT, record=True)
    o, h, lo, c = (np.tile(a.T, (1, 4)) for a in (prices.open, prices.high, prices.low, prices.close))
    shifted = np.zeros_like(ent)
    shifted[1:] = ent[:-1]
    pf = vbt.Portfolio.from_signals(c, np.tile(shifted, (1, 4)), False, direction="shortonly", price=o, open=o,
                                    high=h, low=lo, sl_stop=np.repeat(sl, 3)[None], tp_stop=np.repeat(tp, 3)[None],
                                    fees=cost)
    np.testing.assert_allclose(ours.column_return.reshape(-1), pf.total_return().to_numpy(), rtol=1e-12)
    rec = pf.trades.records
    assert (rec["direction"] == 1).all()  # vectorbt's TradeDirection.Short
    np.testing.assert_array_equal(ours.trade_entry_bar, rec["entry_idx"])
    closed = rec["status"] == 1
    np.testing.assert_array_equal(ours.trade_exit_bar[closed], rec["exit_idx"][closed])
    np.testing.assert_allclose(ours.trade_exit_price[closed], rec["exit_price"][closed], rtol=1e-12)
    # vectorbt's trade return is the PnL over the position's cost before the entry fee
    np.testing.assert_allclose(ours.trade_return * (1 + cost), rec["return"], rtol=1e-12)
