"""Signal + stops sweeps: entry/exit signal matrices and percent stops, one compiled loop.

The general form behind the ``breakout`` strategy (:mod:`rotation.backtest.breakout`),
public for Python users with their own signals (:func:`sweep_signals`).  Every
symbol is a **sleeve** holding ``1/k`` of the book, all in or all out of its
symbol; a parameter set's book is the sum of its ``k`` sleeves (never
rebalanced between them).  Per set, the statistics of :data:`STAT_NAMES` are
computed inside the kernel from the book's equity curve, in the definitions
of :mod:`rotation.backtest.stats`.

Rules (``docs/backtest.md``; the defaults are the trading engine's,
:mod:`rotation.trading.engine`):

* **Entries.** ``entries[t, j]`` is decided at the close of bar ``t``; a flat
  sleeve enters at the open of bar ``t + 1`` (``execution="close"``: at its
  close, stops checked from the bar after, :mod:`rotation.backtest.signal_sets`).
  The book starts in cash at the close of bar 0.  A signal while the sleeve is
  in its position is ignored.
* **Exits.** ``exits[t, j]`` (optional) exits at the open of bar ``t + 1``.  A
  percent stop-loss ``stop`` and take-profit ``target`` are fractions of the
  fill price; a trailing stop ``trail`` sits that fraction from the best
  high (long) or low (short) since entry, updated at the end of each bar (it
  acts from the next bar); with both a fixed and a trailing stop the tighter
  one applies.  A time stop ``hold`` exits at the close ``hold`` bars after the
  entry bar when nothing else did.
* **Inside a bar.** The open comes first: an exit signal fills at the open;
  a bar that opens through the stop fills the stop at the open, and one that
  opens through the target fills the target at the open (even when the bar
  later trades through the stop).  Otherwise, when the stop and the target
  could both fill, the stop wins (pessimistic).  After an entry at the open
  the whole entry bar is checked (its range came after the fill).
* **Costs.** ``cost`` is a fraction of traded value per fill: entering
  multiplies the sleeve by ``1 - cost``, leaving by ``1 - cost`` on the exit
  value (a round trip ``(1 - cost)^2`` times the price ratio, like the book's
  ``1 - 2 * cost`` per switch to first order).
* **Shorts** (``side=-1``): the sleeve sells ``units`` at the fill and is
  worth ``units * (2 * entry - price)``; stops sit above and targets below.

:class:`Conventions` selects each rule where vectorbt's ``Portfolio.from_signals``
differs (``Conventions.vectorbt()`` reproduces it trade for trade, see
``bench/bench_vs_vectorbt.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit, prange
from numba.core import options as numba_options

from rotation.backtest.portfolio import EXIT_SIGNAL, OPEN_AT_END
from rotation.backtest.signal_sets import EXECUTIONS as EXECUTIONS
from rotation.backtest.signal_sets import Conventions as Conventions
from rotation.backtest.signal_sets import StopSets as StopSets
from rotation.backtest.signal_sets import check_execution, kernel_flags
from rotation.backtest.stats import PERIODS, STAT_NAMES
from rotation.errors import ConfigError, DataError
from rotation.trading.engine import R_STOP, R_TARGET, R_TARGET_GAP, R_TIME, R_TRAIL

NSTAT = len(STAT_NAMES)


def next_entry(entries: np.ndarray) -> np.ndarray:
    """``[k, n + 1]``: for each bar, the first bar at or after it where an entry may fill
    (the bar after a signal; never bar 0); ``n`` for none."""
    n, k = entries.shape
    allowed = np.zeros((k, n + 1), dtype=bool)
    allowed[:, 1:n] = np.asarray(entries, dtype=bool).T[:, : n - 1]
    idx = np.where(allowed, np.arange(n + 1, dtype=np.int32)[None, :], np.int32(n))
    idx[:, n] = n
    return np.ascontiguousarray(np.minimum.accumulate(idx[:, ::-1], axis=1)[:, ::-1], dtype=np.int32)


#: Bars per block of the scan's summaries (:func:`scan_arrays`): a position skips a block in one test.
BLOCK = 16
#: Sets that run one symbol after another on a thread, so that symbol's bars stay in the core's cache.
GROUP = 8


def scan_arrays(lo2: np.ndarray, hi2: np.ndarray, ex: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What the scan reads, ``[k, n]`` ranges in: the lows with ``-inf`` on a bar whose open
    fills an exit signal (so one comparison finds either), and per block of :data:`BLOCK`
    bars ``[k, n // BLOCK]`` the lowest of those lows and the highest high."""
    k, n = lo2.shape
    slo = np.ascontiguousarray(np.where(ex, -np.inf, lo2)) if ex.shape[1] == n else lo2
    nb = n // BLOCK
    bmin = np.ascontiguousarray(slo[:, : nb * BLOCK].reshape(k, nb, BLOCK).min(axis=2))
    bmax = np.ascontiguousarray(hi2[:, : nb * BLOCK].reshape(k, nb, BLOCK).max(axis=2))
    return slo, bmin, bmax


# The kernel's inner functions take ``_nrt=False``: they allocate nothing, and without it numba
# counts references on every array argument at every call (atomic increments, about 20 per
# trade), more than the trade's own work (``_nrt`` is private: without it, the same, slower).
# Bar indices are unsigned: no negative-index check, so LLVM can vectorize the loops.
_NO_NRT: dict[str, Any] = {"_nrt": False} if hasattr(numba_options.DefaultOptions, "_nrt") else {}


@njit(cache=True, nogil=True, **_NO_NRT)
def _scan(lo, hi, lo2, bmin, bmax, j, end, side, sl_lvl, tp_lvl, trail, best):  # pragma: no cover - numba
    """First bar in ``[j, end)`` where an exit may trigger; returns (bar, best high/low).

    ``lo``/``hi`` are the bar's range including its open (``min(low, open)``,
    ``max(high, open)``), so a gap counts as a touch, and ``lo`` is ``-inf`` where an
    exit signal fills (:func:`scan_arrays`); ``lo2`` is the range's true low (a short's
    trailing low).  The exact fill is :func:`_resolve`'s.  Without a trailing stop
    the levels are fixed: whole blocks whose extremes stay inside them are skipped
    by their summaries ``bmin``/``bmax``, and only the bars of the first and the
    hit block are tested one by one.
    """
    inf = math.inf
    if side > 0:
        s = -inf if math.isnan(sl_lvl) else sl_lvl
        t = inf if math.isnan(tp_lvl) else tp_lvl
    else:
        s = inf if math.isnan(sl_lvl) else sl_lvl
        t = -inf if math.isnan(tp_lvl) else tp_lvl
    one = np.uint64(1)
    u = np.uint64(j)
    stop = np.uint64(end)
    if math.isnan(trail):
        # lower and upper trigger levels: long stop below / target above, short the other way
        down = s if side > 0 else t
        up = t if side > 0 else s
        blk = np.uint64(BLOCK)
        while u < stop and u % blk != 0:
            if lo[u] <= down or hi[u] >= up:
                return np.int64(u), best
            u += one
        b = u // blk
        while (b + one) * blk <= stop and bmin[b] > down and bmax[b] < up:
            b += one
        if b * blk > u:
            u = b * blk
        while u < stop:
            if lo[u] <= down or hi[u] >= up:
                return np.int64(u), best
            u += one
        return np.int64(u), best
    if side > 0:
        f = 1.0 - trail
        while u < stop:
            lvl = max(s, best * f)
            if lo[u] <= lvl or hi[u] >= t:
                return np.int64(u), best
            best = max(best, hi[u])
            u += one
    else:
        f = 1.0 + trail
        while u < stop:
            lvl = min(s, best * f)
            if hi[u] >= lvl or lo[u] <= t:
                return np.int64(u), best
            best = min(best, lo2[u])
            u += one
    return np.int64(u), best


@njit(cache=True, nogil=True, **_NO_NRT)
def _resolve(o, h, lo, c, ex, has_ex, j, e, side, sl_lvl, tp_lvl, trail_lvl, hold, gap_first, sig_first):  # pragma: no cover - numba
    """The exit on bar ``j`` of a trade entered on bar ``e``: (price, reason) or (NaN, 0).

    ``h``/``lo`` may be the bar's high/low or its range including the open (the kernel
    passes the latter): a touch is tested only when the open did not gap through that
    level, and then the two agree."""
    ref = o[j]
    sig = has_ex and j > e and ex[j]
    if sig and sig_first:
        return ref, EXIT_SIGNAL
    cand = math.nan
    code = 0
    gap = False
    lvl = sl_lvl
    kind = R_STOP
    if not math.isnan(trail_lvl) and (math.isnan(lvl) or side * (trail_lvl - lvl) > 0.0):
        lvl = trail_lvl
        kind = R_TRAIL
    if not math.isnan(lvl):
        if side * (ref - lvl) <= 0.0:
            cand, code, gap = ref, kind + 1, True
        elif (side > 0 and lo[j] <= lvl) or (side < 0 and h[j] >= lvl):
            cand, code = lvl, kind
    if not math.isnan(tp_lvl):
        gap_t = side * (ref - tp_lvl) >= 0.0
        if gap_t and (math.isnan(cand) or (gap_first and not gap)):
            cand, code = ref, R_TARGET_GAP
        elif math.isnan(cand) and ((side > 0 and h[j] >= tp_lvl) or (side < 0 and lo[j] <= tp_lvl)):
            cand, code = tp_lvl, R_TARGET
    if math.isnan(cand) and sig:
        cand, code = ref, EXIT_SIGNAL
    if math.isnan(cand) and hold >= 0 and j - e >= hold:
        cand, code = c[j], R_TIME
    return cand, code


@njit(cache=True, nogil=True, **_NO_NRT)
def _sleeve(o, c, slo, lo2, hi2, bmin, bmax, nxt, ex, side, sl, tp, trail, hold, flags, cost,
            cash, pos, traded, rec, r0, t_in, t_out, t_pin, t_pout, t_ret, t_code):  # pragma: no cover - numba
    """One (set, symbol) sleeve from equity 1.0, added into the buffers: ``cash`` (a
    difference array of the money not in the symbol), ``pos`` (units x close) and
    ``traded`` (fill values).  Returns (final equity, opened, closed, winners)."""
    n = c.shape[0]
    has_ex = ex.shape[0] == n
    on_entry, from_close, gap_first, vbt_fee, sig_first = flags[0], flags[1], flags[2], flags[3], flags[4]
    at_close = flags[5]  # the entry fills at the close: nothing of its bar is left to check
    eq = 1.0
    opened = 0
    closed = 0
    wins = 0
    r = r0
    flat_from = 0
    i = nxt[1] if n > 1 else n
    while i < n:
        cash[flat_from] += eq
        cash[i] -= eq
        px0 = c[i] if at_close else o[i]
        units = eq / (px0 * (1.0 + cost)) if vbt_fee else eq * (1.0 - cost) / px0
        traded[i] += units * px0
        opened += 1
        base = c[i] if from_close else px0
        sl_lvl = base * (1.0 - side * sl)
        tp_lvl = base * (1.0 + side * tp)
        best = base
        e = i
        end = n if hold < 0 else min(n, e + hold)
        exit_bar = -1
        exit_px = math.nan
        code = OPEN_AT_END
        j = e if on_entry and not at_close else e + 1  # vectorbt checks from the bar after the entry
        while exit_bar < 0 and j < n:
            j, best = _scan(slo, hi2, lo2, bmin, bmax, j, end, side, sl_lvl, tp_lvl, trail, best)
            if j >= n:
                break
            cand, cd = _resolve(o, hi2, lo2, c, ex, has_ex, j, e, side, sl_lvl, tp_lvl,
                                best * (1.0 - side * trail), hold, gap_first, sig_first)
            if not math.isnan(cand):
                exit_bar, exit_px, code = j, cand, cd
                break
            if not math.isnan(trail):
                best = max(best, hi2[j]) if side > 0 else min(best, lo2[j])
            j += 1
        stop_at = n if exit_bar < 0 else exit_bar
        for t in range(np.uint64(e), np.uint64(stop_at)):  # the position's value at each close (vectorized)
            pos[t] += units * c[t]
        if side < 0:  # a short is worth 2 * units * entry - units * close
            cash[e] += 2.0 * units * px0
            cash[stop_at] -= 2.0 * units * px0
        if exit_bar < 0:
            last = units * c[n - 1] if side > 0 else units * (2.0 * px0 - c[n - 1])
            if rec:
                t_in[r], t_pin[r], t_out[r], t_pout[r], t_code[r] = e, px0, -1, math.nan, OPEN_AT_END
                t_ret[r] = last / eq - 1.0
            return last, opened, closed, wins
        value = units * exit_px if side > 0 else units * (2.0 * px0 - exit_px)
        new_eq = value - cost * units * exit_px
        traded[exit_bar] += units * exit_px
        closed += 1
        if new_eq > eq:
            wins += 1
        if rec:
            t_in[r], t_pin[r], t_out[r], t_pout[r], t_code[r] = e, px0, exit_bar, exit_px, code
            t_ret[r] = new_eq / eq - 1.0
            r += 1
        eq = new_eq
        flat_from = exit_bar
        i = nxt[exit_bar + 1]
    cash[flat_from] += eq
    cash[n] -= eq
    return eq, opened, closed, wins


@njit(cache=True, nogil=True)
def _book_stats(cash, pos, traded, k, side, years, rf, out, curve, exposure_out, turnover_out):  # pragma: no cover - numba
    """Statistics of the summed sleeves (``k`` of them, 1.0 each) into ``out``; clears the buffers.

    The first pass keeps each bar's return in ``cash`` (read by then) for the second."""
    n = pos.shape[0]
    run = 0.0
    prev = 0.0
    first = 0.0
    peak = 0.0
    mdd = 0.0
    s = 0.0
    expo = 0.0
    turn = 0.0
    keep = curve.shape[0] == n
    for t in range(n):
        run += cash[t]
        gross = pos[t] / k
        val = run / k + side * gross
        pos[t] = 0.0
        x = gross / val if val > 0.0 else 0.0
        expo += x
        if keep:
            curve[t] = val
            exposure_out[t] = x
        if t > 0:
            ret = val / prev - 1.0
            s += ret
            cash[t] = ret
            if traded[t] > 0.0:
                turn += traded[t] / k / prev
                if keep:
                    turnover_out[t] = traded[t] / k / prev
        else:
            first = val
            cash[t] = 0.0
        if val > peak:
            peak = val
        dd = val / peak - 1.0
        if dd < mdd:
            mdd = dd
        prev = val
        traded[t] = 0.0
    cash[n] = 0.0
    m = n - 1
    total = prev / first - 1.0
    nan = math.nan
    cagr = (1.0 + total) ** (1.0 / years) - 1.0 if years > 0.0 and total >= -1.0 else nan
    vol, sharpe, sortino = nan, nan, nan
    if m >= 2:
        mean = s / m
        rfd = (1.0 + rf) ** (1.0 / PERIODS) - 1.0
        ss = 0.0
        down = 0.0
        for t in range(1, n):
            x = cash[t]
            cash[t] = 0.0
            d = x - mean
            ss += d * d
            y = x - rfd
            if y < 0.0:
                down += y * y
        sd = math.sqrt(ss / (m - 1))
        if sd > 0.0:
            vol = sd * math.sqrt(PERIODS)
            sharpe = (mean - rfd) / sd * math.sqrt(PERIODS)
        dn = math.sqrt(down / m)
        if dn > 0.0:
            sortino = (mean - rfd) / dn * math.sqrt(PERIODS)
    else:
        for t in range(1, n):
            cash[t] = 0.0
    out[0] = total
    out[1] = cagr
    out[2] = vol
    out[3] = sharpe
    out[4] = sortino
    out[5] = mdd
    out[6] = cagr / abs(mdd) if mdd < 0.0 else nan
    out[7] = expo / n
    out[8] = turn / years if years > 0.0 else nan


@njit(cache=True, nogil=True, parallel=True)
def _sweep(o, c, slo, lo2, hi2, bmin, bmax, nxt, ex, side, sl, tp, trail, hold, flags, cost, years, rf, chunks,
           stats, col_ret, col_trades, rec, offsets, t_in, t_out, t_pin, t_pout, t_ret, t_code,
           curve, exposure, turnover):  # pragma: no cover - numba
    """Every (set, symbol) sleeve; sets dealt to ``chunks`` parallel blocks (set ``p`` to block
    ``p % chunks``, so neighbouring sets, alike in cost, land on different threads), each
    block in groups of up to :data:`GROUP` sets that take the symbols in turn (one buffer
    row per set of a group)."""
    k, n = c.shape
    nsets = sl.shape[0]
    rows = max(1, min(GROUP, (nsets + chunks - 1) // chunks))
    for b in prange(chunks):
        cash = np.zeros((rows, n + 1))
        pos = np.zeros((rows, n))
        traded = np.zeros((rows, n))
        closed = np.zeros(rows, dtype=np.int64)
        wins = np.zeros(rows, dtype=np.int64)
        mine = (nsets - b + chunks - 1) // chunks  # sets b, b + chunks, b + 2 * chunks, ...
        for g0 in range(0, mine, rows):
            g1 = min(mine, g0 + rows)
            closed[:] = 0
            wins[:] = 0
            for j in range(k):  # each set still adds its sleeves in symbol order
                for i in range(g0, g1):
                    p = b + i * chunks
                    r0 = offsets[p * k + j] if rec else 0
                    fin, a, cl, w = _sleeve(o[j], c[j], slo[j], lo2[j], hi2[j], bmin[j], bmax[j], nxt[j], ex[j], side,
                                            sl[p], tp[p], trail[p], hold[p], flags, cost, cash[i - g0], pos[i - g0],
                                            traded[i - g0], rec, r0, t_in, t_out, t_pin, t_pout, t_ret, t_code)
                    col_ret[p, j] = fin - 1.0
                    col_trades[p, j] = a
                    closed[i - g0] += cl
                    wins[i - g0] += w
            for i in range(g0, g1):
                p = b + i * chunks
                _book_stats(cash[i - g0], pos[i - g0], traded[i - g0], k, side, years, rf, stats[p], curve[p],
                            exposure[p], turnover[p])
                stats[p, 9] = col_trades[p].sum()
                stats[p, 10] = wins[i - g0] / closed[i - g0] if closed[i - g0] > 0 else math.nan


@dataclass(frozen=True)
class SignalPrices:
    """Symbol-major, contiguous ``open/high/low/close`` ``[k, n]`` (finite, > 0)."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray

    @classmethod
    def from_bars(cls, open_: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray) -> SignalPrices:
        """From ``[bar, symbol]`` matrices; every price must be a positive number."""
        arrs = [np.ascontiguousarray(np.asarray(a, dtype=np.float64).T) for a in (open_, high, low, close)]
        if any(a.shape != arrs[0].shape for a in arrs) or arrs[0].ndim != 2:
            raise ConfigError("open, high, low and close must be [bar, symbol] matrices of one shape")
        for name, a in zip(("open", "high", "low", "close"), arrs, strict=True):
            bad = ~(np.isfinite(a) & (a > 0))
            if bad.any():
                j, t = np.argwhere(bad)[0]
                raise DataError(f"signal backtest: {name} of symbol column {j} at bar {t} is {a[j, t]!r}; "
                                "expected a positive price on every bar (trade only where every symbol has data)")
        return cls(*arrs)

    @property
    def shape(self) -> tuple[int, int]:
        """``(bars, symbols)``."""
        return int(self.close.shape[1]), int(self.close.shape[0])


@dataclass(frozen=True)
class SignalSweep:
    """Per set ``stats[S, len(STAT_NAMES)]``; per (set, symbol) ``column_return`` and
    ``column_trades``; with ``record``: the trades (parallel arrays, bar indices,
    ``trade_set``/``trade_symbol`` columns) and each set's ``equity``/``exposure`` curves."""

    stats: np.ndarray
    column_return: np.ndarray
    column_trades: np.ndarray
    trade_set: np.ndarray
    trade_symbol: np.ndarray
    trade_entry_bar: np.ndarray
    trade_exit_bar: np.ndarray
    trade_entry_price: np.ndarray
    trade_exit_price: np.ndarray
    trade_return: np.ndarray
    trade_exit_code: np.ndarray
    equity: np.ndarray
    exposure: np.ndarray
    turnover: np.ndarray

    def stat(self, name: str) -> np.ndarray:
        return self.stats[:, STAT_NAMES.index(name)]


def _threads() -> int:
    import numba

    return int(numba.get_num_threads())


def prepare(prices: SignalPrices, entries: np.ndarray, exits: np.ndarray | None, side: int,
            cost: float) -> tuple[np.ndarray, np.ndarray]:
    """Check the inputs; the next-entry index ``[k, n + 1]`` and the exits at the open ``[k, n]``."""
    if side not in (1, -1):
        raise ConfigError(f"side: expected +1 (long) or -1 (short), got {side!r}")
    if not 0.0 <= cost < 0.5:
        raise ConfigError(f"cost: expected a fraction in [0, 0.5), got {cost!r}")
    n, k = prices.shape
    ent = np.asarray(entries, dtype=bool)
    if ent.shape != (n, k):
        raise ConfigError(f"entries: expected shape {(n, k)} ([bar, symbol]), got {ent.shape}")
    if n < 2:
        raise DataError(f"a backtest needs at least two sessions, got {n}")
    if exits is None:
        ex = np.zeros((k, 0), dtype=np.bool_)
    else:
        exa = np.asarray(exits, dtype=bool)
        if exa.shape != (n, k):
            raise ConfigError(f"exits: expected shape {(n, k)} ([bar, symbol]), got {exa.shape}")
        ex = np.zeros((k, n), dtype=np.bool_)
        ex[:, 1:] = exa.T[:, :-1]  # the exit fills at the next open
    return next_entry(ent), ex


def sweep_signals(prices: SignalPrices, entries: np.ndarray, sets: StopSets, *, exits: np.ndarray | None = None,
                  side: int = 1, cost: float = 0.0, conventions: Conventions | None = None,
                  years: float = math.nan, risk_free: float = 0.0, record: bool = False,
                  execution: str = "open") -> SignalSweep:
    """Evaluate every parameter set of ``sets`` on the signals (see the module docstring).

    ``entries``/``exits``: boolean ``[bar, symbol]``, decided at each bar's close.
    ``years``: the window's calendar length (CAGR, Calmar, turnover; NaN leaves
    them empty).  ``record``: also return every trade and each set's curves.
    ``execution``: fill entries at the next ``open`` or ``close`` (:mod:`rotation.backtest.signal_sets`).
    """
    conv = conventions or Conventions()
    flags = kernel_flags(conv, execution)
    check_execution(execution, sets, exits is not None)
    nxt, ex = prepare(prices, entries, exits, side, cost)
    n, k = prices.shape
    s = sets.size
    stats = np.zeros((s, NSTAT))
    col_ret = np.zeros((s, k))
    col_trades = np.zeros((s, k), dtype=np.int64)
    chunks = max(1, min(s, 4 * _threads()))
    yrs = float(years) if years == years else -1.0
    lo2 = np.minimum(prices.low, prices.open)
    hi2 = np.maximum(prices.high, prices.open)
    slo, bmin, bmax = scan_arrays(lo2, hi2, ex)
    args = (prices.open, prices.close, slo, lo2, hi2, bmin, bmax, nxt, ex, int(side), sets.stop, sets.target,
            sets.trail, sets.hold, flags, float(cost), yrs, float(risk_free), chunks)
    empty_i, empty_f = np.zeros(0, dtype=np.int64), np.zeros(0)
    no_curve = np.zeros((s, 0))
    if not record:
        _sweep(*args, stats, col_ret, col_trades, False, empty_i, empty_i, empty_i, empty_f, empty_f,
               empty_f, empty_i, no_curve, no_curve, no_curve)
        return SignalSweep(stats, col_ret, col_trades, empty_i, empty_i, empty_i, empty_i, empty_f, empty_f,
                           empty_f, empty_i, no_curve, no_curve, no_curve)
    # Count first (no records), then write each sleeve's trades at its offset.
    _sweep(*args, stats, col_ret, col_trades, False, empty_i, empty_i, empty_i, empty_f, empty_f,
           empty_f, empty_i, no_curve, no_curve, no_curve)
    counts = col_trades.reshape(-1)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    m = int(counts.sum())
    t_in, t_out, t_code = (np.zeros(m, dtype=np.int64) for _ in range(3))
    t_pin, t_pout, t_ret = np.zeros(m), np.zeros(m), np.zeros(m)
    curve, expo, turn = np.zeros((s, n)), np.zeros((s, n)), np.zeros((s, n))
    _sweep(*args, stats, col_ret, col_trades, True, offsets, t_in, t_out, t_pin, t_pout, t_ret, t_code,
           curve, expo, turn)
    owner = np.repeat(np.arange(s * k), counts)
    return SignalSweep(stats, col_ret, col_trades, owner // k, owner % k, t_in, t_out, t_pin, t_pout, t_ret,
                       t_code, curve, expo, turn)
