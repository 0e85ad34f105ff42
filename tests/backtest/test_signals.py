"""Signal + stops kernel: hand cases for every fill rule, an independent Python loop,
statistics equal to ``compute_stats``, long/short symmetry, vectorbt parity."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest

from rotation.backtest import signals
from rotation.backtest.portfolio import EXIT_SIGNAL, OPEN_AT_END
from rotation.backtest.signals import Conventions, SignalPrices, StopSets, sweep_signals
from rotation.backtest.stats import STAT_NAMES, compute_stats
from rotation.errors import ConfigError, DataError
from rotation.trading import engine

VBT = Conventions.vectorbt()


def bars(rows: list[tuple[float, float, float, float]]) -> SignalPrices:
    a = np.array(rows, dtype=float)
    return SignalPrices.from_bars(*(a[:, i : i + 1] for i in range(4)))


def one(prices: SignalPrices, entry_bars: list[int], *, exits: list[int] | None = None, side: int = 1,
        cost: float = 0.0, conv: Conventions | None = None, **stops: float) -> signals.SignalSweep:
    n = prices.shape[0]
    ent = np.zeros((n, 1), dtype=bool)
    ent[entry_bars, 0] = True
    ex = None
    if exits is not None:
        ex = np.zeros((n, 1), dtype=bool)
        ex[exits, 0] = True
    return sweep_signals(prices, ent, StopSets.of(**stops), exits=ex, side=side, cost=cost, conventions=conv,
                         record=True)


FLAT = (100.0, 101.0, 99.0, 100.0)


def test_stop_touch_gap_and_target() -> None:
    p = bars([FLAT, FLAT, (100, 101, 94, 96), FLAT])  # signal at close 0 -> in at open 1
    r = one(p, [0], stop=0.05)
    assert (r.trade_entry_bar[0], r.trade_exit_bar[0]) == (1, 2) and r.trade_exit_price[0] == pytest.approx(95.0)
    assert r.trade_exit_code[0] == engine.R_STOP
    p = bars([FLAT, FLAT, (93, 94, 90, 92), FLAT])  # opens through the stop: the open
    r = one(p, [0], stop=0.05)
    assert (r.trade_exit_price[0], r.trade_exit_code[0]) == (93.0, engine.R_STOP_GAP)
    p = bars([FLAT, FLAT, (100, 111, 99, 110), FLAT])
    r = one(p, [0], target=0.1)
    assert r.trade_exit_price[0] == pytest.approx(110.0) and r.trade_exit_code[0] == engine.R_TARGET
    p = bars([FLAT, FLAT, (100, 111, 94, 100), FLAT])  # both touched: the stop (pessimistic)
    r = one(p, [0], stop=0.05, target=0.1)
    assert r.trade_exit_price[0] == pytest.approx(95.0) and r.trade_exit_code[0] == engine.R_STOP


def test_target_gap_that_trades_through_the_stop_is_a_convention() -> None:
    p = bars([FLAT, FLAT, (112, 113, 94, 100), FLAT])
    ours = one(p, [0], stop=0.05, target=0.1)
    assert (ours.trade_exit_price[0], ours.trade_exit_code[0]) == (112.0, engine.R_TARGET_GAP)
    vb = one(p, [0], stop=0.05, target=0.1, conv=Conventions(target_gap_first=False))
    assert vb.trade_exit_price[0] == pytest.approx(95.0) and vb.trade_exit_code[0] == engine.R_STOP


def test_entry_bar_checked_or_not() -> None:
    p = bars([FLAT, (100, 101, 94, 96), FLAT, (100, 101, 80, 90)])
    ours = one(p, [0], stop=0.05)
    assert ours.trade_exit_bar[0] == 1 and ours.trade_exit_price[0] == pytest.approx(95.0)
    later = one(p, [0], stop=0.05, conv=Conventions(stops_on_entry_bar=False))
    assert later.trade_exit_bar[0] == 3 and later.trade_exit_price[0] == pytest.approx(95.0)
    # measured from the entry bar's close (96): stop at 91.2
    vb = one(p, [0], stop=0.05, conv=VBT)
    assert vb.trade_exit_price[0] == pytest.approx(96 * 0.95, rel=1e-15)
    with pytest.raises(ConfigError, match="stop_from_close"):
        Conventions(stop_from_close=True)


def test_trailing_time_and_signal_exits() -> None:
    p = bars([FLAT, FLAT, (100, 110, 100, 109), (108, 108, 98, 99), FLAT])
    r = one(p, [0], trail=0.1)  # best high 110 after bar 2 -> 99 from bar 3
    assert (r.trade_exit_bar[0], r.trade_exit_code[0]) == (3, engine.R_TRAIL) and r.trade_exit_price[0] == pytest.approx(99.0)
    r = one(p, [0], stop=0.2, trail=0.05)  # the tighter one: 104.5
    assert r.trade_exit_price[0] == pytest.approx(104.5) and r.trade_exit_code[0] == engine.R_TRAIL
    r = one(bars([FLAT] * 6), [0], hold=2)
    assert (r.trade_exit_bar[0], r.trade_exit_price[0], r.trade_exit_code[0]) == (3, 100.0, engine.R_TIME)
    p = bars([FLAT, FLAT, FLAT, (100, 101, 90, 95), FLAT])
    r = one(p, [0], exits=[2], stop=0.05)  # exit signal at close 2 -> the open of 3 beats the stop
    assert (r.trade_exit_bar[0], r.trade_exit_price[0], r.trade_exit_code[0]) == (3, 100.0, EXIT_SIGNAL)
    r = one(p, [0], exits=[2], stop=0.05, conv=Conventions(signal_exit_first=False))
    assert r.trade_exit_price[0] == pytest.approx(95.0) and r.trade_exit_code[0] == engine.R_STOP


def test_reentry_after_exit_and_open_at_end() -> None:
    p = bars([FLAT, FLAT, (100, 101, 94, 96), FLAT, FLAT, FLAT])
    r = one(p, [0, 1, 2, 3], stop=0.05)  # stopped on bar 2; signal at close 2 -> back in at 3
    assert list(r.trade_entry_bar) == [1, 3] and list(r.trade_exit_bar) == [2, -1]
    assert r.trade_exit_code[1] == OPEN_AT_END and r.column_trades[0, 0] == 2


def test_short_mirrors_long() -> None:
    p = bars([FLAT, FLAT, (100, 106, 99, 104), FLAT])
    r = one(p, [0], side=-1, stop=0.05)
    assert r.trade_exit_price[0] == pytest.approx(105.0) and r.trade_exit_code[0] == engine.R_STOP
    assert r.trade_return[0] == pytest.approx(2 - 105 / 100 - 1)
    p = bars([FLAT, FLAT, (100, 101, 89, 90), FLAT])
    r = one(p, [0], side=-1, target=0.1)
    assert r.trade_exit_price[0] == pytest.approx(90.0) and r.column_return[0, 0] == pytest.approx(0.1)
    # a short's equity mirrors the price: 100 -> 90 is +10% at the close
    assert r.equity[0, 2] == pytest.approx(1.1)


def test_costs_book_and_vectorbt_models() -> None:
    p = bars([FLAT, FLAT, (100, 111, 99, 110), FLAT])
    c = 0.01
    r = one(p, [0], target=0.1, cost=c)
    assert r.column_return[0, 0] == pytest.approx((1 - c) * 1.1 * (1 - c) - 1, rel=1e-14)
    r = one(p, [0], target=0.1, cost=c, conv=Conventions(fees_vectorbt=True))
    assert r.column_return[0, 0] == pytest.approx(1.1 * (1 - c) / (1 + c) - 1, rel=1e-14)


def test_bad_input() -> None:
    with pytest.raises(DataError, match="positive price"):
        bars([FLAT, (math.nan, 1, 1, 1)])
    p = bars([FLAT, FLAT])
    with pytest.raises(ConfigError, match="entries"):
        sweep_signals(p, np.zeros((3, 1), dtype=bool), StopSets.of(0.1))
    with pytest.raises(ConfigError, match="stop"):
        StopSets.of(stop=1.5)
    with pytest.raises(ConfigError, match="side"):
        sweep_signals(p, np.zeros((2, 1), dtype=bool), StopSets.of(0.1), side=0)


# -- an independent loop over the rules (rotation conventions) -----------------------------
def reference(o, h, lo, c, ent, side, sl, tp, tr, hold, cost, ex=None):
    """One sleeve, bar by bar, in plain Python: (trades, equity curve, invested value).
    ``ex``: exit signals at the close, filled at the next open before any stop."""
    n = len(c)
    eq, trades, curve, inv = 1.0, [], [], []
    pos = None
    for i in range(n):
        if pos is None and i >= 1 and ent[i - 1]:
            units = eq * (1 - cost) / o[i]
            pos = {"e": i, "px": o[i], "u": units, "best": o[i], "eq": eq}
        if pos is not None:
            px0, u = pos["px"], pos["u"]
            lvls = [x for x in (px0 * (1 - side * sl) if sl == sl else None,
                                pos["best"] * (1 - side * tr) if tr == tr else None) if x is not None]
            stop = (max(lvls) if side > 0 else min(lvls)) if lvls else None
            tgt = px0 * (1 + side * tp) if tp == tp else None
            fill = None
            if ex is not None and i > pos["e"] and ex[i - 1]:
                fill = o[i]
            if fill is None and stop is not None and side * (o[i] - stop) <= 0:
                fill = o[i]
            if tgt is not None and side * (o[i] - tgt) >= 0 and fill is None:
                fill = o[i]
            if fill is None and stop is not None and ((side > 0 and lo[i] <= stop) or (side < 0 and h[i] >= stop)):
                fill = stop
            if fill is None and tgt is not None and ((side > 0 and h[i] >= tgt) or (side < 0 and lo[i] <= tgt)):
                fill = tgt
            if fill is None and hold >= 0 and i - pos["e"] >= hold:
                fill = c[i]
            if fill is not None:
                value = u * fill if side > 0 else u * (2 * px0 - fill)
                new = value - cost * u * fill
                trades.append((pos["e"], i, px0, fill, new / pos["eq"] - 1))
                eq, pos = new, None
            else:
                pos["best"] = max(pos["best"], h[i]) if side > 0 else min(pos["best"], lo[i])
        if pos is None:
            curve.append(eq)
            inv.append(0.0)
        else:
            u, px0 = pos["u"], pos["px"]
            curve.append(u * c[i] if side > 0 else u * (2 * px0 - c[i]))
            inv.append(u * c[i])
    if pos is not None:
        trades.append((pos["e"], -1, pos["px"], math.nan, curve[-1] / pos["eq"] - 1))
    return trades, np.array(curve), np.array(inv)


def random_bars(n: int, k: int, seed: int) -> tuple[SignalPrices, np.ndarray]:
    rng = np.random.default_rng(seed)
    c = 100 * np.cumprod(1 + rng.normal(0.0004, 0.02, size=(n, k)), axis=0)
    o = np.vstack([c[:1], c[:-1]]) * (1 + rng.normal(0, 0.01, size=(n, k)))  # gaps
    h = np.maximum(o, c) * (1 + np.abs(rng.normal(0, 0.01, size=(n, k))))
    lo = np.minimum(o, c) * (1 - np.abs(rng.normal(0, 0.01, size=(n, k))))
    return SignalPrices.from_bars(o, h, lo, c), rng.random((n, k)) < 0.08


@pytest.mark.parametrize(("side", "with_exits"), [(1, False), (-1, False), (1, True), (-1, True)])
def test_kernel_equals_the_python_loop(side: int, with_exits: bool) -> None:
    # 403 bars: the scan's blocks of 16 leave a partial one at the end
    prices, ent = random_bars(403, 3, seed=(5 if side > 0 else 6) + 2 * with_exits)
    exits = np.random.default_rng(11).random(ent.shape) < 0.03 if with_exits else None
    nan = math.nan
    grid = [(0.03, 0.06, nan, -1), (nan, nan, 0.05, -1), (0.1, nan, 0.04, 7), (nan, 0.02, nan, 0), (nan, nan, nan, 3),
            (0.02, 0.5, nan, -1)]
    sets = StopSets.of(*(np.array(col, dtype=float) for col in zip(*grid, strict=True)))
    cost = 0.001
    years = 400 / 252
    res = sweep_signals(prices, ent, sets, exits=exits, side=side, cost=cost, years=years, record=True)
    o, h, lo, c = prices.open, prices.high, prices.low, prices.close
    n, k = prices.shape
    for p, (sl, tp, tr, hold) in enumerate(grid):
        curves, invs = [], []
        for j in range(k):
            want, curve, inv = reference(o[j], h[j], lo[j], c[j], ent[:, j], side, sl, tp, tr, hold, cost,
                                         None if exits is None else exits[:, j])
            m = (res.trade_set == p) & (res.trade_symbol == j)
            got = list(zip(res.trade_entry_bar[m], res.trade_exit_bar[m], res.trade_entry_price[m],
                           res.trade_exit_price[m], res.trade_return[m], strict=True))
            assert len(got) == len(want) and len(want) > 0
            for g, w in zip(got, want, strict=True):
                assert g[:2] == w[:2]
                np.testing.assert_allclose(g[2:], w[2:], rtol=1e-12)
            assert res.column_return[p, j] == pytest.approx(curve[-1] - 1, rel=1e-12)
            curves.append(curve)
            invs.append(inv)
        book = np.sum(curves, axis=0) / k
        np.testing.assert_allclose(res.equity[p], book, rtol=1e-12)
        # the kernel's statistics are compute_stats' on that curve
        dates = [date(2020, 1, 1) + timedelta(days=round(i * 365.25 * years / (n - 1))) for i in range(n)]
        want_stats = compute_stats(book, [dates[0], dates[-1]], exposure=np.sum(invs, axis=0) / k / book,
                                   turnover=res.turnover[p], trades=np.array([res.column_trades[p].sum()]),
                                   closed=np.array([(res.trade_exit_bar[res.trade_set == p] >= 0).sum()]),
                                   wins=np.array([((res.trade_set == p) & (res.trade_exit_bar >= 0)
                                                   & (res.trade_return > 0)).sum()]))
        for i, name in enumerate(STAT_NAMES):
            if name in ("cagr", "calmar", "turnover"):
                continue  # their years come from the dates above; checked below
            assert res.stats[p, i] == pytest.approx(float(want_stats[name][0]), rel=1e-12, nan_ok=True), name
        assert res.stats[p, 1] == pytest.approx((book[-1] / book[0]) ** (1 / years) - 1, rel=1e-12)
        assert res.stats[p, 8] == pytest.approx(res.turnover[p].sum() / years, rel=1e-12)


def test_scan_arrays_mark_exit_bars_and_summarise_whole_blocks() -> None:
    rng = np.random.default_rng(2)
    k, n = 2, 3 * signals.BLOCK + 5
    lo2 = rng.uniform(90, 100, size=(k, n))
    hi2 = lo2 + rng.uniform(0, 10, size=(k, n))
    ex = np.zeros((k, n), dtype=bool)
    ex[1, signals.BLOCK + 3] = True
    slo, bmin, bmax = signals.scan_arrays(lo2, hi2, ex)
    assert slo[1, signals.BLOCK + 3] == -np.inf and np.isfinite(np.delete(slo.ravel(), n + signals.BLOCK + 3)).all()
    assert bmin.shape == bmax.shape == (k, 3)  # the 5 bars past the last whole block have no summary
    for b in range(3):
        cut = slice(b * signals.BLOCK, (b + 1) * signals.BLOCK)
        np.testing.assert_array_equal(bmin[:, b], slo[:, cut].min(axis=1))
        np.testing.assert_array_equal(bmax[:, b], hi2[:, cut].max(axis=1))
    assert bmin[1, 1] == -np.inf and bmin[0, 1] > 0
    same, _, _ = signals.scan_arrays(lo2, hi2, np.zeros((k, 0), dtype=bool))
    assert same is lo2  # without exit signals the lows are the scan's


def test_sets_are_independent_and_threads_do_not_matter() -> None:
    prices, ent = random_bars(300, 4, seed=9)
    sets = StopSets.of(np.linspace(0.01, 0.2, 37), np.linspace(0.3, 0.02, 37))
    allr = sweep_signals(prices, ent, sets, years=1.2)
    for p in (0, 17, 36):
        single = sweep_signals(prices, ent, StopSets.of(sets.stop[p], sets.target[p]), years=1.2)
        np.testing.assert_array_equal(single.stats[0], allr.stats[p])
    rec = sweep_signals(prices, ent, sets, years=1.2, record=True)
    np.testing.assert_array_equal(rec.stats, allr.stats)
    assert len(rec.trade_set) == int(allr.column_trades.sum())


def test_no_look_ahead() -> None:
    prices, ent = random_bars(300, 2, seed=3)
    sets = StopSets.of([0.05, math.nan], [0.1, math.nan], [math.nan, 0.08])
    full = sweep_signals(prices, ent, sets, record=True)
    cut = 200
    head = SignalPrices(*(np.ascontiguousarray(a[:, :cut]) for a in (prices.open, prices.high, prices.low, prices.close)))
    part = sweep_signals(head, ent[:cut], sets, record=True)
    np.testing.assert_allclose(part.equity, full.equity[:, :cut], rtol=1e-13)
    done = (part.trade_exit_bar >= 0)
    key_full = set(zip(full.trade_set, full.trade_symbol, full.trade_entry_bar, full.trade_exit_bar, strict=True))
    assert all(t in key_full for t in zip(part.trade_set[done], part.trade_symbol[done], part.trade_entry_bar[done],
                                          part.trade_exit_bar[done], strict=True))


def test_vectorbt_parity_on_random_bars() -> None:
    vbt = pytest.importorskip("vectorbt")
    prices, ent = random_bars(500, 3, seed=21)
    sl, tp = np.array([0.02, 0.05, 0.1, 0.03]), np.array([0.04, 0.2, 0.05, 0.5])
    cost = 0.001
    ours = sweep_signals(prices, ent, StopSets.of(sl, tp), cost=cost, conventions=VBT, record=True)
    o, h, lo, c = (np.tile(a.T, (1, 4)) for a in (prices.open, prices.high, prices.low, prices.close))
    shifted = np.zeros_like(ent)
    shifted[1:] = ent[:-1]
    pf = vbt.Portfolio.from_signals(c, np.tile(shifted, (1, 4)), False, price=o, open=o, high=h, low=lo,
                                    sl_stop=np.repeat(sl, 3)[None], tp_stop=np.repeat(tp, 3)[None], fees=cost)
    np.testing.assert_allclose(ours.column_return.reshape(-1), pf.total_return().to_numpy(), rtol=1e-10)
    rec = pf.trades.records
    np.testing.assert_array_equal(ours.trade_entry_bar, rec["entry_idx"])
    closed = rec["status"] == 1
    np.testing.assert_array_equal(ours.trade_exit_bar[closed], rec["exit_idx"][closed])
    np.testing.assert_allclose(ours.trade_exit_price[closed], rec["exit_price"][closed], rtol=1e-12)


def test_the_kernel_compiles_without_reference_counting_on_this_numba() -> None:
    """The fast path is in effect: the installed numba has the private ``_nrt`` option (a numba
    without it would compile the same kernel with reference counting, about 2x slower)."""
    assert signals._NO_NRT == {"_nrt": False}
