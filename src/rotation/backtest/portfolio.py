"""Portfolio accounting: target weights -> trades at the next bar -> equity, in one numba loop.

Conventions (documented in ``docs/backtest.md``; the tests pin them):

* **Prices.** The book is valued on dividend-adjusted prices: each bar's
  ``open/high/low/close`` times ``adj_close / close`` (so returns include
  dividends, and a stop is a fraction of the adjusted entry price).  A missing
  bar is valued, and traded, at the symbol's last known adjusted close; a
  missing open (but present close) at that close.
* **Timing.** ``W[t]`` (decided at the close of bar ``t``) is executed on bar
  ``t+1``: at its open (``execution="open"``) or its close (``"close"``).
* **Rebalancing.** On a bar where the target row differs from the previous
  one, the whole book is reset to the targets at the execution price
  (continuing holdings are trimmed or topped up); otherwise holdings drift.
  Costs are ``cost = commission + slippage`` (fractions of traded value) on the
  traded notional ``T``; the book is then sized on ``V - cost * T`` so it never
  borrows: a full switch from A to B multiplies equity by ``1 - 2 * cost``.
* **Stops** (optional, from :mod:`rotation.trading.engine`): each holding
  period of a symbol is one engine tranche (entry at the execution price,
  pct stop and/or trailing stop on the adjusted bars); when the engine stops it
  out before the strategy does, the symbol is sold at the engine's fill price on
  that bar (after the open rebalance, before a close rebalance) and stays in
  cash until its target goes to zero and comes back (a fresh signal).
* **Shorts.** A negative target is a short: ``units = w * V / price < 0``, the
  sale's proceeds go to cash, and the book's value is ``cash + sum(units *
  price)``, so while the units are held a short's P&L is exactly minus the
  long's.  Exposure is then gross (``sum |units * price| / V``).  Engine stops
  of a short holding period run on the engine's short side (a stop above the
  entry, a trailing stop above the best low).
* **Trades.** A trade opens when a symbol's units go from 0 to non-zero (or
  flip sign) and closes when they return to 0 (or flip); its return is net of
  costs on both fills (:func:`trade_return`), from the first entry price even
  when the position was resized in between.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from rotation.backtest.strategies import Panel
from rotation.trading import engine

EXIT_SIGNAL = -1  # trade exit reason when the strategy (not a stop) closed it; else engine.R_* codes
OPEN_AT_END = -2


@dataclass(frozen=True)
class Prices:
    """Adjusted, gap-filled ``open/high/low/close`` of the traded columns, ``[bar, symbol]``."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray


def adjusted_prices(panel: Panel, symbols: list[str]) -> Prices:
    """Dividend-adjusted OHLC of ``symbols`` with missing bars filled from the last close."""
    idx = [panel.column(s) for s in symbols]
    close = panel.close[:, idx]
    adj = panel.adj_close[:, idx]
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(close > 0, adj / close, np.nan)
    c = _ffill_all(adj)
    o = panel.open[:, idx] * factor
    h = panel.high[:, idx] * factor
    lo = panel.low[:, idx] * factor
    o = np.where(np.isnan(o), c, o)
    h = np.where(np.isnan(h), np.maximum(o, c), h)
    lo = np.where(np.isnan(lo), np.minimum(o, c), lo)
    return Prices(*(np.ascontiguousarray(a, dtype=np.float64) for a in (o, h, lo, c)))


def _ffill_all(values: np.ndarray) -> np.ndarray:
    n = values.shape[0]
    rows = np.where(~np.isnan(values), np.arange(n)[:, None], -1)
    np.maximum.accumulate(rows, axis=0, out=rows)
    out = np.take_along_axis(values, np.maximum(rows, 0), axis=0)
    return np.where(rows >= 0, out, np.nan)


def lag_targets(weights: np.ndarray) -> np.ndarray:
    """``W[..., t, :]`` decided at close t becomes the target executed on bar t+1."""
    out = np.zeros_like(weights)
    out[..., 1:, :] = weights[..., :-1, :]
    return out


@njit(cache=True, nogil=True)
def _value(px, units, cash):  # pragma: no cover - numba
    value = cash
    for j in range(px.shape[0]):
        if units[j] != 0.0:
            value += units[j] * px[j]
    return value


@njit(cache=True, nogil=True)
def _rebalance(px, tgt, units, cash, stopped, cost):  # pragma: no cover - numba
    """Reset the book to ``tgt`` at prices ``px``; returns (cash, traded value, value before)."""
    k = px.shape[0]
    value = _value(px, units, cash)
    traded = 0.0
    for j in range(k):
        if px[j] > 0.0:
            want = tgt[j] * value / px[j] if (tgt[j] != 0.0 and not stopped[j]) else 0.0
            traded += abs(want - units[j]) * px[j]
    net = value - cost * traded
    new_cash = net
    for j in range(k):
        if px[j] > 0.0:  # a symbol without a price yet (or any more) is not traded
            want = tgt[j] * net / px[j] if (tgt[j] != 0.0 and not stopped[j]) else 0.0
            units[j] = want
            new_cash -= want * px[j]
    return new_cash, traded, value


@njit(cache=True, nogil=True)
def _won(side, entry, exit_, cost):  # pragma: no cover - numba
    """A closed trade's net return is positive (see :func:`trade_return`)."""
    if side > 0:
        return exit_ * (1.0 - cost) > entry * (1.0 + cost)
    return entry * (1.0 - cost) > exit_ * (1.0 + cost)


@njit(cache=True, nogil=True)
def _account(o, c, tgt, stop_px, stop_code, at_close, cost, equity, turnover, exposure,
             t_sym, t_in, t_out, t_pin, t_pout, t_code, t_side, record):  # pragma: no cover - numba
    """One run; returns (trades opened, trades closed, winners, trades recorded)."""
    n, k = c.shape
    units = np.zeros(k)
    before = np.zeros(k)
    stopped = np.zeros(k, dtype=np.bool_)
    open_tr = np.full(k, -1)
    entry_px = np.zeros(k)
    entry_side = np.zeros(k, dtype=np.int64)
    cash = 1.0
    opened = 0
    closed = 0
    wins = 0
    nrec = 0
    has_stops = stop_px.shape[0] == n
    for t in range(n):
        changed = False
        for j in range(k):
            prev = tgt[t - 1, j] if t > 0 else 0.0
            if tgt[t, j] == 0.0 or tgt[t, j] * prev < 0.0:  # flat, or a flip to the other side
                stopped[j] = False
            if tgt[t, j] != prev:
                changed = True
        traded = 0.0
        base = math.nan
        for phase in range(3):  # 0: open rebalance, 1: engine stops intrabar, 2: close rebalance
            if phase == 1:
                if not has_stops:
                    continue
                for j in range(k):
                    if units[j] != 0.0 and not math.isnan(stop_px[t, j]):
                        px = stop_px[t, j]
                        if math.isnan(base):
                            base = _value(o[t], units, cash)
                        traded += abs(units[j]) * px
                        # sell a long for px (1 - cost); cover a short (units < 0) for px (1 + cost)
                        cash += units[j] * px * ((1.0 - cost) if units[j] > 0.0 else (1.0 + cost))
                        units[j] = 0.0
                        stopped[j] = True
                        r = open_tr[j]
                        if r >= 0:
                            closed += 1
                            if _won(entry_side[j], entry_px[j], px, cost):
                                wins += 1
                            if record:
                                t_out[r] = t
                                t_pout[r] = px
                                t_code[r] = stop_code[t, j]
                            open_tr[j] = -1
                continue
            if not changed or (phase == 0) == at_close:
                continue
            pxs = o[t] if phase == 0 else c[t]
            for j in range(k):
                before[j] = units[j]
            cash, tr, value = _rebalance(pxs, tgt[t], units, cash, stopped, cost)
            traded += tr
            if math.isnan(base):
                base = value
            for j in range(k):
                b, u = before[j], units[j]
                flip = b * u < 0.0  # long to short (or back) in one rebalance: a close and an open
                if b != 0.0 and (u == 0.0 or flip) and open_tr[j] >= 0:
                    closed += 1
                    if _won(entry_side[j], entry_px[j], pxs[j], cost):
                        wins += 1
                    if record:
                        r = open_tr[j]
                        t_out[r] = t
                        t_pout[r] = pxs[j]
                        t_code[r] = EXIT_SIGNAL
                    open_tr[j] = -1
                if u != 0.0 and (b == 0.0 or flip):
                    opened += 1
                    open_tr[j] = nrec
                    entry_px[j] = pxs[j]
                    entry_side[j] = 1 if u > 0.0 else -1
                    if record:
                        t_sym[nrec] = j
                        t_in[nrec] = t
                        t_pin[nrec] = pxs[j]
                        t_out[nrec] = -1
                        t_pout[nrec] = math.nan
                        t_code[nrec] = OPEN_AT_END
                        t_side[nrec] = entry_side[j]
                    nrec += 1
        value = _value(c[t], units, cash)
        equity[t] = value
        short = False
        for j in range(k):
            if units[j] < 0.0:
                short = True
        if short:  # gross: longs plus shorts at market, over equity
            gross = 0.0
            for j in range(k):
                gross += abs(units[j]) * c[t, j]
            exposure[t] = gross / value if value > 0.0 else 0.0
        else:
            exposure[t] = (value - cash) / value if value > 0.0 else 0.0
        turnover[t] = traded / base if (traded > 0.0 and base > 0.0) else 0.0
    return opened, closed, wins, nrec


@dataclass(frozen=True)
class Book:
    """Accounting output of one run: per-bar ``equity`` (starts at 1.0), ``exposure``
    (invested fraction at the close), ``turnover`` (traded value / equity, both
    sides), trade counts, and the trades (parallel arrays, column indices)."""

    equity: np.ndarray
    exposure: np.ndarray
    turnover: np.ndarray
    opened: int
    closed: int
    wins: int
    trade_symbol: np.ndarray
    trade_entry_bar: np.ndarray
    trade_exit_bar: np.ndarray
    trade_entry_price: np.ndarray
    trade_exit_price: np.ndarray
    trade_exit_code: np.ndarray
    trade_side: np.ndarray  # +1 long, -1 short


def trade_return(side: np.ndarray, entry: np.ndarray, exit_: np.ndarray, cost: float) -> np.ndarray:
    """Net return of trades: long ``exit (1 - c) / (entry (1 + c)) - 1``; short
    ``(entry (1 - c) - exit (1 + c)) / entry`` (at zero cost ``1 - exit / entry``, the long's mirror)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        long = exit_ * (1.0 - cost) / (entry * (1.0 + cost)) - 1.0
        short = (entry * (1.0 - cost) - exit_ * (1.0 + cost)) / entry
    return np.where(np.asarray(side) < 0, short, long)


def account(prices: Prices, targets: np.ndarray, *, execution: str = "open", cost: float = 0.0,
            stops: tuple[np.ndarray, np.ndarray] | None = None, record: bool = True) -> Book:
    """Run the book over lagged ``targets[bar, symbol]`` (see :func:`lag_targets`)."""
    n, k = targets.shape
    cap = n * k if record else 1
    t_sym = np.zeros(cap, dtype=np.int64)
    t_in = np.zeros(cap, dtype=np.int64)
    t_out = np.zeros(cap, dtype=np.int64)
    t_pin = np.zeros(cap)
    t_pout = np.zeros(cap)
    t_code = np.zeros(cap, dtype=np.int64)
    t_side = np.ones(cap, dtype=np.int64)
    equity, exposure, turnover = np.zeros(n), np.zeros(n), np.zeros(n)
    stop_px, stop_code = stops if stops is not None else (np.zeros((0, k)), np.zeros((0, k), dtype=np.int64))
    opened, closed, wins, nrec = _account(
        prices.open, prices.close, np.ascontiguousarray(targets, dtype=np.float64), stop_px, stop_code,
        execution == "close", float(cost), equity, turnover, exposure,
        t_sym, t_in, t_out, t_pin, t_pout, t_code, t_side, record,
    )
    m = nrec if record else 0
    return Book(equity, exposure, turnover, int(opened), int(closed), int(wins),
                t_sym[:m], t_in[:m], t_out[:m], t_pin[:m], t_pout[:m], t_code[:m], t_side[:m])


@njit(cache=True, nogil=True)
def _account_many(o, c, tgt, stop_px, stop_code, at_close, cost, equity, turnover, exposure,
                  opened, closed, wins):  # pragma: no cover - numba
    one = np.zeros(1, dtype=np.int64)
    onef = np.zeros(1)
    no_stop = np.zeros((0, c.shape[1]))
    no_code = np.zeros((0, c.shape[1]), dtype=np.int64)
    for p in range(tgt.shape[0]):
        sp = stop_px[p] if stop_px.shape[0] == tgt.shape[0] else no_stop
        sc = stop_code[p] if stop_code.shape[0] == tgt.shape[0] else no_code
        a, b, w, _ = _account(o, c, tgt[p], sp, sc, at_close, cost, equity[p], turnover[p], exposure[p],
                              one, one, one, onef, onef, one, one, False)
        opened[p] = a
        closed[p] = b
        wins[p] = w


@dataclass(frozen=True)
class Books:
    """Accounting output of many runs (no trade list): arrays ``[run, bar]`` and ``[run]``."""

    equity: np.ndarray
    exposure: np.ndarray
    turnover: np.ndarray
    opened: np.ndarray
    closed: np.ndarray
    wins: np.ndarray


def account_many(prices: Prices, targets: np.ndarray, *, execution: str = "open", cost: float = 0.0,
                 stops: tuple[np.ndarray, np.ndarray] | None = None) -> Books:
    """:func:`account` for each of ``targets[run, bar, symbol]`` in one compiled loop (same kernel)."""
    runs, n, k = targets.shape
    equity, exposure, turnover = np.zeros((runs, n)), np.zeros((runs, n)), np.zeros((runs, n))
    opened = np.zeros(runs, dtype=np.int64)
    closed = np.zeros(runs, dtype=np.int64)
    wins = np.zeros(runs, dtype=np.int64)
    stop_px, stop_code = stops if stops is not None else (np.zeros((0, n, k)), np.zeros((0, n, k), dtype=np.int64))
    _account_many(prices.open, prices.close, np.ascontiguousarray(targets, dtype=np.float64), stop_px, stop_code,
                  execution == "close", float(cost), equity, turnover, exposure, opened, closed, wins)
    return Books(equity, exposure, turnover, opened, closed, wins)


def engine_stops(prices: Prices, targets: np.ndarray, *, execution: str = "open",
                 stop: float | None = None, trail: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Stop exits from the trading engine for every holding period of lagged ``targets``.

    Returns ``(price, reason)`` arrays ``[bar, symbol]``: the engine's fill price
    (and ``engine.R_*`` code) where a stop closed a holding period before the
    strategy did, ``NaN``/-1 elsewhere.  A holding period ``[a, b]`` (bars with a
    positive target) becomes a tranche entering at the open (or close) of ``a``;
    its time stop at ``b`` (open execution, the strategy exits at the open of
    ``b + 1``) or ``b + 1`` (close execution) ends it when no stop fired first.
    """
    n, k = targets.shape
    out_px = np.full((n, k), np.nan)
    out_code = np.full((n, k), -1, dtype=np.int64)
    if stop is None and trail is None:
        return out_px, out_code
    at_close = execution == "close"
    for j in range(k):
        for side in (1, -1):  # long holding periods, then short ones (the engine's short side)
            held = targets[:, j] * side > 0.0
            if not held.any():
                continue
            edges = np.diff(np.concatenate([[0], held.astype(np.int8), [0]]))
            starts = np.flatnonzero(edges == 1)
            ends = np.flatnonzero(edges == -1) - 1  # last held bar
            rows: list[dict[str, float]] = []
            for a, b in zip(starts, ends, strict=True):
                last = b + 1 if at_close else b
                rows.append({
                    "entry_kind": engine.ENTRY_CLOSE if at_close else engine.ENTRY_OPEN,
                    "entry_first": float(a), "entry_last": float(a), "qty": 1.0,
                    "stop_kind": engine.STOP_PCT if stop is not None else engine.STOP_NONE,
                    "stop_level": stop if stop is not None else math.nan,
                    "trail": trail if trail is not None else math.nan,
                    "time_last": float(last) if last < n else float(2**62),
                })
            res = engine.run_engine(prices.open[:, j], prices.high[:, j], prices.low[:, j], prices.close[:, j],
                                    engine.TrancheArrays.build(rows), side=side, whole_shares=False)
            exits = (res.fill_reason != engine.R_ENTRY) & (res.fill_reason != engine.R_TIME)
            bars = res.fill_bar[exits]
            out_px[bars, j] = res.fill_price[exits]
            out_code[bars, j] = res.fill_reason[exits]
    return out_px, out_code
