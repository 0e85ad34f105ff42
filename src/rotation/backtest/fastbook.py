"""The pair-switch sweep in one compiled loop: signal, book and statistics per set, no arrays per set.

Long-only ``pair-switch`` sets without stops come here (:func:`fused`), from a sweep
(:func:`rotation.backtest.sweep.sweep`, :func:`rotation.backtest.sweep.evaluate_chunk`)
and from a single run (:func:`rotation.backtest.run.run_backtest`) alike, so a sweep row
equals the single run of its set exactly.  The work per call:

* the averages of the signal ratio for all distinct windows in one compiled call
  (:func:`rotation.analytics.returns.rolling_means`, bit for bit ``rolling(..., "mean")``),
  read at the decision row of each bar (lagged one bar, held over carried gaps as
  :func:`rotation.backtest.window.defer_on_gaps`);
* shared by all sets: the pair's open and close (as :func:`rotation.backtest.portfolio.adjusted_prices`),
  prefix sums of each symbol's bar returns, squared excess returns, squared shortfalls and
  ``1 / close``, and the extremes of every average and close over blocks of :data:`BLOCK` bars;
* a numba ``prange`` over the sets, taken in :func:`window_order` (a run of sets shares the
  averages it reads, which stay in cache) in groups of :data:`GROUP` dealt to the threads in
  turn (neighbouring groups cost about the same).  Per set a block where the fast average stays above
  (below) the slow one by the block's extremes, and the equity cannot make a new low, passes
  in one test; other bars go one by one.  On a bar where the target changes the book is
  :func:`rotation.backtest.portfolio._account` for two symbols, operation for operation;
  between such bars a bar's return is the held symbol's own and is summed from the prefix
  sums, so there is no division per bar.

Only the ``[set, statistic]`` table leaves the kernel.  Total return, CAGR, drawdown,
Calmar, turnover, trades and win rate are bit-identical to those of the per-bar book's
curve (:func:`books_stats`); exposure agrees to an ulp or so (a bar's ``1 - cash / value``
is written ``1 - (cash / units) / close``: a real set differs by 2e-16); volatility, Sharpe
and Sortino, summed from the prefix sums, agree to about 1e-14 (the tests hold both to 1e-12).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import Protocol

import numpy as np
from numba import njit, prange

from rotation.analytics.returns import ffill, rolling_means
from rotation.backtest.stats import PERIODS, STAT_NAMES, years_between
from rotation.backtest.strategies import FFILL_LIMIT, PairSwitch, Panel, Strategy
from rotation.backtest.window import carried_rows


class HasStops(Protocol):
    """What :func:`fused` reads of a run configuration (:class:`rotation.backtest.run.RunConfig`,
    which imports this module: a protocol keeps the package's imports acyclic)."""

    @property
    def stop(self) -> float | None: ...

    @property
    def trail(self) -> float | None: ...

NSTAT = len(STAT_NAMES)
BLOCK = 8  # bars tested at once for a change of target (one AVX-512 compare of doubles)
GROUP = 16  # consecutive sets (in window order) one thread takes at a time


@njit(cache=True, nogil=True, inline="always")
def _ratios(mean, sdev, down, m, out):  # pragma: no cover - numba
    """Volatility, Sharpe and Sortino (statistics 2..4) from the mean excess return, the standard
    deviation of the ``m`` bar returns and the sum of their squared shortfalls; NaN kept where undefined."""
    if sdev > 0.0:
        out[2] = sdev * math.sqrt(PERIODS)
        out[3] = mean / sdev * math.sqrt(PERIODS)
    dn = math.sqrt(down / m)
    if dn > 0.0:
        out[4] = mean / dn * math.sqrt(PERIODS)


@njit(cache=True, nogil=True, error_model="numpy")  # a curve that reaches 0 gives inf/NaN, not an error
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
    _ratios(mean, math.sqrt(ss / (m - 1)), down, m, out)


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


@njit(cache=True, nogil=True, inline="always")
def _segment(ps, j, seg, t, cash, u, rfd):  # pragma: no cover - numba
    """The sums over bars ``seg..t-1`` without a trade, holding symbol ``j`` (-1: flat): bar
    returns, squared excess returns, squared shortfalls and exposures (each added once by the
    caller, so the additions are those of a bar-by-bar loop over the prefix sums)."""
    if j < 0:
        flat = (t - seg) * (rfd * rfd)
        return 0.0, flat, flat if rfd > 0.0 else 0.0, 0.0
    e = float(t - seg)
    if cash != 0.0:  # (value - cash) / value = 1 - cash / (cash + u c) ~ 1 - (cash / u) / c
        e -= cash / u * (ps[j, t - 1, 3] - ps[j, seg - 1, 3])
    return (ps[j, t - 1, 0] - ps[j, seg - 1, 0], ps[j, t - 1, 1] - ps[j, seg - 1, 1],
            ps[j, t - 1, 2] - ps[j, seg - 1, 2], e)


@njit(cache=True, nogil=True)
def _switch_set(fm, sm, fmin, fmax, smin, smax, o, c, cmin, cmax, at_close, cost, years, rf, ps,
                out):  # pragma: no cover - numba
    """One long-only pair-switch set, :data:`STAT_NAMES` into ``out``.

    The book is :func:`rotation.backtest.portfolio._account` for two symbols without stops,
    operation for operation on the bars where it trades (with one symbol held at a time its
    sums have one non-zero term, so they are written with that term alone: the same numbers),
    so the equity of every bar, the drawdown, total return, turnover and trades are
    bit-identical to a single run's curve (exposure to an ulp or so).  Between trades a bar's return is the held symbol's
    own, summed from the prefix sums ``ps`` (no division per bar): volatility, Sharpe and
    Sortino agree with the curve's to ~1e-14.  ``fm``/``sm``: the two averages at each bar's
    decision row (NaN: none, flat); ``fmin``..``smax``, ``cmin``/``cmax``: their and the
    closes' extremes per block of :data:`BLOCK` bars, which let a block without a change of
    target pass in one test."""
    n = c.shape[1]
    nan = math.nan
    rfd = (1.0 + rf) ** (1.0 / PERIODS) - 1.0
    sr = 0.0  # sum of bar returns
    sq = 0.0  # sum of squared excess returns
    sd = 0.0  # sum of squared shortfalls below the risk-free rate
    ex = 0.0  # sum of exposures
    tu = 0.0  # sum of turnovers
    cash = 1.0
    j = -1  # the symbol held (-1: flat)
    u = 0.0  # its units
    entry = 0.0
    opened = 0
    closed = 0
    wins = 0
    peak = 1.0  # the equity at the close of bar 0 (flat: the targets start on bar 1)
    mdd = 0.0
    floor = 1.0 + mdd + 1e-12  # at or above peak * floor a bar cannot deepen the drawdown
    seg = 1  # first bar of the run without a trade
    full = fmin.shape[0]  # blocks of BLOCK bars from bar 1; a shorter one at the end
    for blk in range((n - 1 + BLOCK - 1) // BLOCK):
        # A block where the fast average stays above (below) the slow one on every bar, by the
        # block's extremes, keeps the target; its drawdown comes from the block's extreme closes
        # (the equity is increasing in the held close).  Any other block goes bar by bar.
        if j >= 0 and blk < full and ((fmin[blk] > smax[blk]) if j == 0 else (fmax[blk] <= smin[blk])):
            top = max(peak, cash + u * cmax[j, blk])
            if cash + u * cmin[j, blk] >= top * floor:
                peak = top
                continue
        for t in range(1 + blk * BLOCK, min(1 + (blk + 1) * BLOCK, n)):
            f = fm[t]
            s = sm[t]
            d = 0 if f > s else (1 if f <= s else -1)  # the symbol wanted (-1: none)
            if d == j:
                value = cash + u * c[j, t] if j >= 0 else cash
            else:
                if t > seg:  # the bars seg..t-1: the held symbol's returns, or 0 when flat
                    a, b, q, e = _segment(ps, j, seg, t, cash, u, rfd)
                    sr += a
                    sq += b
                    sd += q
                    ex += e
                before = cash + u * c[j, t - 1] if j >= 0 else cash  # the equity at bar t - 1
                value = cash  # the rebalance at the open (close) of bar t
                tr = 0.0
                if j >= 0:
                    x = c[j, t] if at_close else o[j, t]
                    value += u * x
                    tr = u * x  # |0 - u| x
                    closed += 1
                    if x * (1.0 - cost) > entry * (1.0 + cost):
                        wins += 1
                if d >= 0:
                    x = c[d, t] if at_close else o[d, t]
                    tr += value / x * x  # |value / x - 0| x
                    net = value - cost * tr
                    u = net / x
                    cash = net - u * x
                    opened += 1
                    entry = x
                else:
                    cash = value - cost * tr
                    u = 0.0
                base = value
                j = d
                value = cash + u * c[j, t] if j >= 0 else cash
                r = value / before - 1.0
                sr += r
                q = r - rfd
                sq += q * q
                if q < 0.0:
                    sd += q * q
                ex += (value - cash) / value
                if tr > 0.0:
                    tu += tr / base
                seg = t + 1
            peak = max(peak, value)  # branch-free: new highs come at random in a rise
            if value < peak * floor:
                dd = value / peak - 1.0
                if dd < mdd:
                    mdd = dd
                    floor = 1.0 + mdd + 1e-12
    if n > seg:  # the last run of bars without a trade
        a, b, q, e = _segment(ps, j, seg, n, cash, u, rfd)
        sr += a
        sq += b
        sd += q
        ex += e
    value = cash + u * c[j, n - 1] if j >= 0 else cash
    for i in range(NSTAT):
        out[i] = nan
    total = value - 1.0  # equity / equity at bar 0 (1.0) - 1
    out[0] = total
    out[1] = (1.0 + total) ** (1.0 / years) - 1.0 if years > 0.0 else nan
    out[5] = mdd
    out[6] = out[1] / abs(mdd) if mdd < 0.0 else nan
    out[7] = ex / n
    out[8] = tu / years if years > 0.0 else nan
    out[9] = opened
    out[10] = wins / closed if closed > 0 else nan
    m = n - 1
    if m < 2:
        return
    mean = sr / m - rfd
    ss = sq - m * (mean * mean) if opened > 0 else 0.0  # never invested: every return is 0
    _ratios(mean, math.sqrt(ss / (m - 1)) if ss > 0.0 else 0.0, sd, m, out)


@njit(cache=True, nogil=True, parallel=True)
def _switch_sweep(g, gmin, gmax, fi, si, o, c, cmin, cmax, at_close, cost, years, rf, ps, lanes, order,
                  stats):  # pragma: no cover - numba
    sets = order.shape[0]
    groups = (sets + GROUP - 1) // GROUP
    for b in prange(lanes):
        for q in range(b, groups, lanes):  # every lanes-th group of GROUP sets: neighbouring groups cost
            for k in range(q * GROUP, min(sets, (q + 1) * GROUP)):  # about the same (even threads), and
                p = order[k]  # the lanes move through the averages together (they stay in cache)
                a, z = fi[p], si[p]
                _switch_set(g[a], g[z], gmin[a], gmax[a], gmin[z], gmax[z], o, c, cmin, cmax, at_close, cost,
                            years, rf, ps, stats[p])


@njit(cache=True, nogil=True)
def _prefix_sums(c, rfd):  # pragma: no cover - numba
    """``[symbol, bar, 4]``: running sums of each symbol's bar returns ``c[t] / c[t-1] - 1``, of their
    squared excess over ``rfd``, of the squared shortfalls below it, and of ``1 / c`` (0 at bar 0;
    the four side by side, so a run of bars reads one cache line at each end)."""
    k, n = c.shape
    ps = np.zeros((k, n, 4))
    for j in range(k):
        for t in range(1, n):
            r = c[j, t] / c[j, t - 1] - 1.0
            x = r - rfd
            ps[j, t, 0] = ps[j, t - 1, 0] + r
            ps[j, t, 1] = ps[j, t - 1, 1] + x * x
            ps[j, t, 2] = ps[j, t - 1, 2] + (x * x if x < 0.0 else 0.0)
            ps[j, t, 3] = ps[j, t - 1, 3] + 1.0 / c[j, t]
    return ps


@njit(cache=True, nogil=True)
def _block_extremes(a):  # pragma: no cover - numba
    """Least and greatest of each row of ``a[row, bar]`` over the blocks of :data:`BLOCK` bars from
    bar 1: ``[row, block]`` (NaN where a block holds a NaN)."""
    rows, n = a.shape
    nb = (n - 1) // BLOCK
    lo = np.empty((rows, nb))
    hi = np.empty((rows, nb))
    for i in range(rows):
        for b in range(nb):
            x = a[i, 1 + b * BLOCK]
            mn = x
            mx = x
            bad = math.isnan(x)
            for q in range(2 + b * BLOCK, 1 + (b + 1) * BLOCK):
                x = a[i, q]
                bad |= math.isnan(x)
                mn = min(mn, x)
                mx = max(mx, x)
            lo[i, b] = math.nan if bad else mn
            hi[i, b] = math.nan if bad else mx
    return lo, hi


@njit(cache=True, nogil=True)
def _open_close(op, cl, adj, cols, first):  # pragma: no cover - numba
    """:func:`rotation.backtest.portfolio.adjusted_prices` (open and close only, the same operations)
    of ``cols`` over rows ``first..``, as ``[symbol, bar]``: the close is the last adjusted close,
    the open ``open * adj / close``, or that close where it is NaN."""
    n = cl.shape[0]
    k = cols.shape[0]
    o = np.empty((k, n - first))
    c = np.empty((k, n - first))
    for i in range(k):
        j = cols[i]
        lo = first
        while lo > 0 and math.isnan(adj[lo, j]):  # the carried close comes from here
            lo -= 1
        last = math.nan
        for t in range(lo, n):
            if not math.isnan(adj[t, j]):
                last = adj[t, j]
            if t >= first:
                factor = adj[t, j] / cl[t, j] if cl[t, j] > 0.0 else math.nan
                x = op[t, j] * factor
                c[i, t - first] = last
                o[i, t - first] = last if math.isnan(x) else x
    return o, c


def slow_first(fast: Sequence[int] | np.ndarray, slow: Sequence[int] | np.ndarray) -> bool:
    """Whether the slow windows have at least as many distinct values as the fast ones: the key
    sets are ordered by first (:func:`window_order`) and a sweep deals to its tasks."""
    return len(np.unique(np.asarray(slow))) >= len(np.unique(np.asarray(fast)))


def window_order(fast: np.ndarray, slow: np.ndarray) -> np.ndarray:
    """The sets in the order that reads the fewest averages at a time: by the window with more
    distinct values (:func:`slow_first`), then the other (a run of sets then shares one row of that
    window's averages and walks the other's few rows, which stay in cache; in grid order a ``fast``
    x ``slow`` grid of thousands of slow windows streams them all from memory once per fast window)."""
    return np.lexsort((fast, slow) if slow_first(fast, slow) else (slow, fast)).astype(np.int64)  # last key first


def fused(params: Strategy, config: HasStops) -> bool:
    """True for the sets :func:`pair_switch_stats` evaluates: long-only pair-switch, no stops."""
    return (isinstance(params, PairSwitch) and params.long == 1.0 and params.short == 0.0
            and config.stop is None and config.trail is None)


def pair_switch_stats(panel: Panel, params: Sequence[PairSwitch], first: int, execution: str, cost: float,
                      risk_free: float, dates: Sequence[date]) -> dict[str, np.ndarray] | None:
    """Statistics of each long-only pair-switch set (no stops) over rows ``first..`` of a fitted
    panel, or None when a traded price in the window is not positive and finite (the per-bar
    book then, :func:`rotation.backtest.run.book_stats`).  Single runs of such a set take this
    path too, so a sweep row equals the single run exactly."""
    return switch_grid_stats(panel, params[0], [p.fast for p in params], [p.slow for p in params], first,
                             execution, cost, risk_free, dates)


def switch_grid_stats(panel: Panel, p0: PairSwitch, fast: Sequence[int] | np.ndarray, slow: Sequence[int] | np.ndarray,
                      first: int,
                      execution: str, cost: float, risk_free: float, dates: Sequence[date]
                      ) -> dict[str, np.ndarray] | None:
    """:func:`pair_switch_stats` of the sets ``p0`` with windows ``(fast[i], slow[i])``."""
    o, c = _open_close(panel.open, panel.close, panel.adj_close,
                       np.array([panel.column(p0.a), panel.column(p0.b)], dtype=np.int64), first)
    if not (np.isfinite(o).all() and np.isfinite(c).all() and (o > 0).all() and (c > 0).all()):
        return None
    sa = ffill(panel.adj_close[:, panel.column(p0.sa)], FFILL_LIMIT)
    sb = ffill(panel.adj_close[:, panel.column(p0.sb)], FFILL_LIMIT)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = sa / sb
    ratio[~np.isfinite(ratio)] = np.nan
    n = panel.n - first
    carried = carried_rows(panel, [p0.a, p0.b], first)
    src = np.where(~carried, np.arange(n), -1)
    np.maximum.accumulate(src, out=src)
    wrow = np.where(src >= 1, first + src - 1, -1).astype(np.int64)  # the decision row each bar acts on
    sets = len(fast)
    windows, inverse = np.unique(np.concatenate([np.asarray(fast, dtype=np.int64), np.asarray(slow, dtype=np.int64)]),
                                 return_inverse=True)
    g = rolling_means(ratio, windows.tolist(), wrow)  # [window, bar]: the average each bar acts on
    fi = np.ascontiguousarray(inverse[:sets], dtype=np.int64)
    si = np.ascontiguousarray(inverse[sets:], dtype=np.int64)
    rfd = (1.0 + float(risk_free)) ** (1.0 / PERIODS) - 1.0
    ps = _prefix_sums(c, rfd)
    stats = np.empty((sets, NSTAT))
    import numba

    lanes = max(1, min(-(-sets // GROUP), int(numba.get_num_threads())))
    gmin, gmax = _block_extremes(g)
    cmin, cmax = _block_extremes(c)
    _switch_sweep(g, gmin, gmax, fi, si, o, c, cmin, cmax, execution == "close", float(cost), years_between(dates),
                  float(risk_free), ps, lanes, window_order(fi, si), stats)
    return {k: stats[:, i].copy() for i, k in enumerate(STAT_NAMES)}
