"""The pair-switch sweep in one compiled loop: signal, book and statistics per set, no arrays per set.

:func:`rotation.backtest.sweep.evaluate_chunk` sends a chunk of ``pair-switch`` sets
without stops here.  The work per chunk:

* one moving average of the signal ratio per *distinct* window (as
  :func:`rotation.backtest.strategies.target_weights`);
* a numba ``prange`` over blocks of sets; per set, its targets are read off the
  two averages bar by bar (lagged one bar, held over carried gaps exactly as
  :func:`rotation.backtest.window.defer_on_gaps`), the book is
  :func:`rotation.backtest.portfolio._account` unrolled for two symbols, operation
  for operation (its curves are bit-identical to a single run's), and the
  statistics of :data:`STAT_NAMES` come from the curve in two passes (the definitions of :mod:`rotation.backtest.stats`).

Only the ``[set, statistic]`` table leaves the kernel.  The statistics agree with
:func:`rotation.backtest.stats.compute_stats` on the same curve to rounding
(sums in a different order: relative differences around 1e-15).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import numpy as np
from numba import njit, prange

from rotation.analytics.returns import ffill, rolling
from rotation.backtest import portfolio
from rotation.backtest.stats import PERIODS, STAT_NAMES, years_between
from rotation.backtest.strategies import FFILL_LIMIT, PairSwitch, Panel
from rotation.backtest.window import carried_rows

NSTAT = len(STAT_NAMES)


@njit(cache=True, nogil=True)
def curve_stats(eq, expo, turn, years, rf, out, ret):  # pragma: no cover - numba
    """Statistics 0..8 of :data:`STAT_NAMES` of one curve (trades and win rate are the caller's).
    ``ret``: scratch of at least ``len(eq)`` (the bar returns of the first pass, reused by the second
    instead of dividing again: the same numbers)."""
    n = eq.shape[0]
    nan = math.nan
    for i in range(9):
        out[i] = nan
    if n == 0:
        return
    total = eq[n - 1] / eq[0] - 1.0
    out[0] = total
    out[1] = (1.0 + total) ** (1.0 / years) - 1.0 if years > 0.0 else nan
    peak = eq[0]
    mdd = 0.0
    s = 0.0
    ex = 0.0
    tu = 0.0
    for t in range(n):
        if eq[t] > peak:
            peak = eq[t]
        dd = eq[t] / peak - 1.0
        if dd < mdd:
            mdd = dd
        ex += expo[t]
        tu += turn[t]
        if t > 0:
            r = eq[t] / eq[t - 1] - 1.0
            ret[t] = r
            s += r
    out[5] = mdd
    out[6] = out[1] / abs(mdd) if mdd < 0.0 else nan
    out[7] = ex / n
    out[8] = tu / years if years > 0.0 else nan
    m = n - 1
    if m < 2:
        return
    rfd = (1.0 + rf) ** (1.0 / PERIODS) - 1.0
    mean = s / m - rfd
    ss = 0.0
    down = 0.0
    for t in range(1, n):
        x = ret[t] - rfd
        d = x - mean
        ss += d * d
        if x < 0.0:
            down += x * x
    sd = math.sqrt(ss / (m - 1))
    if sd > 0.0:
        out[2] = sd * math.sqrt(PERIODS)
        out[3] = mean / sd * math.sqrt(PERIODS)
    dn = math.sqrt(down / m)
    if dn > 0.0:
        out[4] = mean / dn * math.sqrt(PERIODS)


@njit(cache=True, nogil=True, parallel=True)
def _curves_stats(equity, exposure, turnover, years, rf, out):  # pragma: no cover - numba
    for p in prange(equity.shape[0]):
        curve_stats(equity[p], exposure[p], turnover[p], years, rf, out[p], np.empty(equity.shape[1]))


def books_stats(equity: np.ndarray, exposure: np.ndarray, turnover: np.ndarray, opened: np.ndarray,
                closed: np.ndarray, wins: np.ndarray, dates: Sequence[date], risk_free: float = 0.0
                ) -> dict[str, np.ndarray]:
    """:data:`STAT_NAMES` of each run ``[run, bar]`` with :func:`curve_stats` (the fused kernel's
    statistics, so a single run and a sweep row agree exactly)."""
    eq = np.ascontiguousarray(np.atleast_2d(equity), dtype=np.float64)
    out = np.zeros((eq.shape[0], NSTAT))
    _curves_stats(eq, np.ascontiguousarray(np.atleast_2d(exposure), dtype=np.float64),
                  np.ascontiguousarray(np.atleast_2d(turnover), dtype=np.float64), years_between(dates),
                  float(risk_free), out)
    c = np.asarray(closed, dtype=np.float64).reshape(-1)
    w = np.asarray(wins, dtype=np.float64).reshape(-1)
    out[:, 9] = np.asarray(opened, dtype=np.float64).reshape(-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out[:, 10] = np.where(c > 0, w / c, np.nan)
    return {k: out[:, i].copy() for i, k in enumerate(STAT_NAMES)}


@njit(cache=True, nogil=True)
def _pair_book(o, c, f, s, wrow, at_close, cost, equity, turnover, exposure):  # pragma: no cover - numba
    """:func:`rotation.backtest.portfolio._account` for two symbols without stops, operation for
    operation (so the curves are bit-identical), with the loops over symbols and phases unrolled.
    The targets are read off the averages ``f``/``s`` on the fly: bar ``t`` acts on row ``wrow[t]``
    (none where it is negative or an average is NaN; else all in ``a`` where ``f > s``, else in ``b``).
    Returns (opened, closed, winners)."""
    n = c.shape[0]
    u0 = 0.0
    u1 = 0.0
    cash = 1.0
    opened = 0
    closed = 0
    wins = 0
    e0 = 0.0
    e1 = 0.0
    p0 = 0.0
    p1 = 0.0
    for t in range(n):
        w0 = 0.0
        w1 = 0.0
        r = wrow[t]
        if r >= 0 and not (math.isnan(f[r]) or math.isnan(s[r])):
            if f[r] > s[r]:
                w0 = 1.0
            else:
                w1 = 1.0
        traded = 0.0
        base = math.nan
        if w0 != p0 or w1 != p1:
            x0 = c[t, 0] if at_close else o[t, 0]
            x1 = c[t, 1] if at_close else o[t, 1]
            value = cash
            if u0 != 0.0:
                value += u0 * x0
            if u1 != 0.0:
                value += u1 * x1
            tr = 0.0
            if x0 > 0.0:
                want = w0 * value / x0 if w0 > 0.0 else 0.0
                tr += abs(want - u0) * x0
            if x1 > 0.0:
                want = w1 * value / x1 if w1 > 0.0 else 0.0
                tr += abs(want - u1) * x1
            net = value - cost * tr
            b0, b1 = u0, u1
            cash = net
            if x0 > 0.0:
                u0 = w0 * net / x0 if w0 > 0.0 else 0.0
                cash -= u0 * x0
            if x1 > 0.0:
                u1 = w1 * net / x1 if w1 > 0.0 else 0.0
                cash -= u1 * x1
            traded += tr
            base = value
            if b0 == 0.0 and u0 > 0.0:
                opened += 1
                e0 = x0
            elif b0 > 0.0 and u0 == 0.0:
                closed += 1
                if x0 * (1.0 - cost) > e0 * (1.0 + cost):
                    wins += 1
            if b1 == 0.0 and u1 > 0.0:
                opened += 1
                e1 = x1
            elif b1 > 0.0 and u1 == 0.0:
                closed += 1
                if x1 * (1.0 - cost) > e1 * (1.0 + cost):
                    wins += 1
        p0 = w0
        p1 = w1
        value = cash
        if u0 != 0.0:
            value += u0 * c[t, 0]
        if u1 != 0.0:
            value += u1 * c[t, 1]
        equity[t] = value
        exposure[t] = (value - cash) / value if value > 0.0 else 0.0
        turnover[t] = traded / base if (traded > 0.0 and base > 0.0) else 0.0
    return opened, closed, wins


@njit(cache=True, nogil=True, parallel=True)
def _pair_sweep(mas, fi, si, wrow, o, c, at_close, cost, years, rf, chunks, stats):  # pragma: no cover - numba
    n = c.shape[0]
    sets = fi.shape[0]
    for b in prange(chunks):
        equity = np.zeros(n)
        turnover = np.zeros(n)
        exposure = np.zeros(n)
        ret = np.zeros(n)
        for p in range(b * sets // chunks, (b + 1) * sets // chunks):
            opened, closed, wins = _pair_book(o, c, mas[fi[p]], mas[si[p]], wrow, at_close, cost, equity, turnover,
                                              exposure)
            curve_stats(equity, exposure, turnover, years, rf, stats[p], ret)
            stats[p, 9] = opened
            stats[p, 10] = wins / closed if closed > 0 else math.nan


def pair_switch_stats(panel: Panel, params: Sequence[PairSwitch], first: int, execution: str, cost: float,
                      risk_free: float, dates: Sequence[date]) -> dict[str, np.ndarray]:
    """Statistics of each pair-switch set (no stops) over rows ``first..`` of a fitted panel."""
    p0 = params[0]
    sa = ffill(panel.adj_close[:, panel.column(p0.sa)], FFILL_LIMIT)
    sb = ffill(panel.adj_close[:, panel.column(p0.sb)], FFILL_LIMIT)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (sa / sb).reshape(-1, 1)
    ratio[~np.isfinite(ratio)] = np.nan
    windows = sorted({w for p in params for w in (p.fast, p.slow)})
    mas = np.empty((len(windows), panel.n))
    for i, w in enumerate(windows):
        mas[i] = ratio[:, 0] if w == 1 else rolling(ratio, w, "mean")[:, 0]
    pos = {w: i for i, w in enumerate(windows)}
    fi = np.array([pos[p.fast] for p in params], dtype=np.int64)
    si = np.array([pos[p.slow] for p in params], dtype=np.int64)
    n = panel.n - first
    carried = carried_rows(panel, [p0.a, p0.b], first)
    src = np.where(~carried, np.arange(n), -1)
    np.maximum.accumulate(src, out=src)
    wrow = np.where(src >= 1, first + src - 1, -1).astype(np.int64)  # the decision row each bar acts on
    prices = portfolio.adjusted_prices(panel, [p0.a, p0.b])
    o, c = (np.ascontiguousarray(a[first:]) for a in (prices.open, prices.close))
    stats = np.zeros((len(params), NSTAT))
    import numba

    chunks = max(1, min(len(params), 4 * int(numba.get_num_threads())))
    _pair_sweep(mas, fi, si, wrow, o, c, execution == "close", float(cost), years_between(dates), float(risk_free),
                chunks, stats)
    return {k: stats[:, i].copy() for i, k in enumerate(STAT_NAMES)}
