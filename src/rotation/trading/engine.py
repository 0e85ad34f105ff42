"""The fill engine: tranches walked bar by bar over daily OHLC arrays (numba).

Arrays in, arrays out, no dates and no I/O, so the replay, the alerts and the
backtester share one implementation and thousands of runs reuse the compiled
loop.  Prices are as-traded (split-adjusted) ``open/high/low/close``.

Fill rules (documented in ``docs/trading.md``; the tests pin each one):

* **Entries.** ``open``/``close``: that price of the entry bar.  ``limit``: a
  long fills at the open when the bar opens at or below the limit, else at the
  limit when the low reaches it (a short mirrors this above).  ``stop`` entry:
  a long fills at the open when the bar opens at or above the stop price, else
  at the stop price when the high reaches it.  ``fill``: a known execution
  (journal); exits are checked from the next bar.
* **Stops on the traded instrument** trigger on touch (long: low <= stop;
  short: high >= stop).  A bar that opens beyond the stop fills at the open
  (gap), otherwise at the stop level.  A trailing stop sits ``trail`` below
  the best high since entry (long) or above the best low (short), updated at
  the end of each bar, so it acts from the next bar on; when both a fixed and
  a trailing stop exist the tighter one applies.
* **Stops on another instrument** trigger on that instrument's high (``above``)
  or low (``below``) and fill the traded one by the fill model: ``mapped``
  (default) = the level times (traded prior close / watched prior close),
  limited to the traded bar's low-high range, or the traded open when the
  watched instrument opened beyond the level; ``close`` = the traded close of
  the trigger bar; ``next-open`` = the traded open of the next bar.
* **Order inside a bar.** The open comes first: a gap through a stop (or a
  watched level) fills at the open, and a gap through the target fills the
  target at the open.  Within the bar, when a stop and a target could both
  fill, the stop wins (pessimistic); among several stops, the worst price
  wins; an immediate fill wins over a ``next-open`` one.  A time stop exits
  at the close of its bar when nothing else did.
* **Entry bar.** The entry price plays the open for the rest of the bar (a stop
  or target already beyond it fills at the entry price).  After an entry at the
  open the whole bar is checked (its range came after the open).  After an
  intrabar entry (limit/stop) only the stops are checked on that bar
  (pessimistic: the range may have come after the fill), never the target.
  After an entry at the close or a known ``fill``, exits start on the next bar.
* **Costs.** Slippage moves each execution against the trader by
  ``slippage`` x price (``exec_price``); the market ``price`` stays inside the
  bar.  Commission per fill = max(min, per_trade + per_share x shares).
* **Missing data.** A traded bar with a NaN close is skipped.  A watched bar
  with NaN high (low) is checked on its other valid prices (open/close); a bar
  whose watched prices are all NaN is not checked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

# Codes shared with rotation.trading.plan / replay (positions in FILL_REASONS).
R_ENTRY, R_STOP, R_STOP_GAP, R_TRAIL, R_TRAIL_GAP = 0, 1, 2, 3, 4
R_WATCH, R_WATCH_GAP, R_WATCH_CLOSE, R_WATCH_NEXT = 5, 6, 7, 8
R_TARGET, R_TARGET_GAP, R_TIME = 9, 10, 11

ENTRY_OPEN, ENTRY_CLOSE, ENTRY_LIMIT, ENTRY_STOP, ENTRY_FILL = 0, 1, 2, 3, 4
STOP_NONE, STOP_PRICE, STOP_PCT, STOP_WATCH = 0, 1, 2, 3
TARGET_NONE, TARGET_PRICE, TARGET_PCT = 0, 1, 2
MODEL_MAPPED, MODEL_CLOSE, MODEL_NEXT_OPEN = 0, 1, 2
#: Tranche states after a run.
PENDING, OPEN, CLOSED, EXIT_PENDING, EXPIRED, TOO_SMALL = 0, 1, 2, 3, 4, 5
STATUS_NAMES = ("pending", "open", "closed", "exit-pending", "expired", "too-small")


@dataclass(frozen=True)
class TrancheArrays:
    """Per-tranche rules as parallel arrays (length m); bar indices refer to the bars.

    ``entry_first``/``entry_last``: first and last bar on which the entry may fill;
    ``qty``: shares (NaN = size from ``budget`` money at the entry price);
    ``stop_watch``: row of the watched arrays; ``stop_dir``: +1 above, -1 below;
    ``time_bars``: -1 for none; ``time_last``: bar index of a dated time stop, or a
    large number for none.
    """

    entry_kind: np.ndarray
    entry_first: np.ndarray
    entry_last: np.ndarray
    entry_price: np.ndarray
    qty: np.ndarray
    budget: np.ndarray
    stop_kind: np.ndarray
    stop_level: np.ndarray
    stop_watch: np.ndarray
    stop_dir: np.ndarray
    fill_model: np.ndarray
    target_kind: np.ndarray
    target_level: np.ndarray
    trail: np.ndarray
    time_bars: np.ndarray
    time_last: np.ndarray

    @classmethod
    def build(cls, rows: list[dict[str, float]]) -> TrancheArrays:
        """From one dict per tranche (missing keys take neutral defaults)."""
        defaults = {
            "entry_kind": ENTRY_OPEN, "entry_first": 0, "entry_last": 0, "entry_price": math.nan,
            "qty": math.nan, "budget": math.nan, "stop_kind": STOP_NONE, "stop_level": math.nan,
            "stop_watch": 0, "stop_dir": 1, "fill_model": MODEL_MAPPED, "target_kind": TARGET_NONE,
            "target_level": math.nan, "trail": math.nan, "time_bars": -1, "time_last": 2**62,
        }
        ints = {"entry_kind", "entry_first", "entry_last", "stop_kind", "stop_watch", "stop_dir",
                "fill_model", "target_kind", "time_bars", "time_last"}
        cols = {}
        for key, default in defaults.items():
            values = [r.get(key, default) for r in rows]
            cols[key] = np.asarray(values, dtype=np.int64 if key in ints else np.float64)
        return cls(**cols)


@dataclass(frozen=True)
class EngineResult:
    """Fills (parallel arrays, in time order per tranche) and each tranche's final state.

    ``fill_qty`` is signed (+ bought, - sold).  ``stop_now`` is the traded-instrument
    stop in force after the last bar (fixed/pct or trailing, the tighter), NaN if none.
    ``checked[t, i]`` is True when tranche t's stops were checked on bar i.
    """

    fill_tranche: np.ndarray
    fill_bar: np.ndarray
    fill_price: np.ndarray
    fill_exec: np.ndarray
    fill_qty: np.ndarray
    fill_reason: np.ndarray
    fill_commission: np.ndarray
    status: np.ndarray
    entry_bar: np.ndarray
    exit_bar: np.ndarray
    quantity: np.ndarray
    entry_price: np.ndarray
    stop_now: np.ndarray
    checked: np.ndarray


@njit(cache=True)
def _commission(q: float, per_share: float, per_trade: float, cmin: float) -> float:
    fee = per_trade + per_share * abs(q)
    if fee <= 0.0 and cmin <= 0.0:
        return 0.0
    return max(fee, cmin)


@njit(cache=True)
def _worse(side: int, a: float, b: float) -> bool:
    """Is exit price a worse than b for the holder (long sells low, short buys high)?"""
    return a < b if side > 0 else a > b


@njit(cache=True)
def _run(o, h, lo, c, wo, wh, wl, wc, side,
         e_kind, e_first, e_last, e_price, qty_in, budget, whole,
         s_kind, s_level, s_watch, s_dir, s_model, t_kind, t_level, trail, t_bars, t_last,
         per_share, per_trade, cmin, slip,
         f_tr, f_bar, f_price, f_exec, f_qty, f_reason, f_comm,
         status, entry_bar, exit_bar, quantity, entry_px, stop_now, checked):  # pragma: no cover - numba
    n = o.shape[0]
    m = e_kind.shape[0]
    nf = 0
    for t in range(m):
        state = PENDING
        ebar = -1
        q = 0.0
        stop_fixed = math.nan
        tgt = math.nan
        best = math.nan
        trail_lvl = math.nan
        prev_c = math.nan
        prev_wc = math.nan
        wj = s_watch[t]
        for i in range(n):
            if state in (CLOSED, EXPIRED, TOO_SMALL):
                break
            if math.isnan(c[i]):
                continue
            check_stops = False
            check_target = False
            ref = o[i]  # the first price of what is left of the bar
            update_trail = False
            if state == PENDING:
                if i > e_last[t]:
                    state = EXPIRED
                    break
                if i >= e_first[t]:
                    px = math.nan
                    at_open = False
                    k = e_kind[t]
                    if k == ENTRY_OPEN:
                        px = o[i]
                        at_open = True
                    elif k == ENTRY_CLOSE:
                        px = c[i]
                    elif k == ENTRY_FILL:
                        px = e_price[t]
                    elif k == ENTRY_LIMIT:
                        lim = e_price[t]
                        if side > 0:
                            if o[i] <= lim:
                                px = o[i]
                                at_open = True
                            elif lo[i] <= lim:
                                px = lim
                        else:
                            if o[i] >= lim:
                                px = o[i]
                                at_open = True
                            elif h[i] >= lim:
                                px = lim
                    else:  # stop entry
                        sp = e_price[t]
                        if side > 0:
                            if o[i] >= sp:
                                px = o[i]
                                at_open = True
                            elif h[i] >= sp:
                                px = sp
                        else:
                            if o[i] <= sp:
                                px = o[i]
                                at_open = True
                            elif lo[i] <= sp:
                                px = sp
                    if not math.isnan(px):
                        ex = px * (1.0 + slip * side)
                        if not math.isnan(qty_in[t]):
                            q = qty_in[t]
                        else:
                            q = budget[t] / ex
                            if whole:
                                q = math.floor(q + 1e-9)
                        if q <= 0.0:
                            state = TOO_SMALL
                            break
                        f_tr[nf] = t
                        f_bar[nf] = i
                        f_price[nf] = px
                        f_exec[nf] = ex
                        f_qty[nf] = q * side
                        f_reason[nf] = R_ENTRY
                        f_comm[nf] = _commission(q, per_share, per_trade, cmin)
                        nf += 1
                        state = OPEN
                        ebar = i
                        ref = px
                        entry_px[t] = px
                        quantity[t] = q
                        if s_kind[t] == STOP_PRICE:
                            stop_fixed = s_level[t]
                        elif s_kind[t] == STOP_PCT:
                            stop_fixed = px * (1.0 - s_level[t] * side)
                        if t_kind[t] == TARGET_PRICE:
                            tgt = t_level[t]
                        elif t_kind[t] == TARGET_PCT:
                            tgt = px * (1.0 + t_level[t] * side)
                        if not math.isnan(trail[t]):
                            best = px
                            trail_lvl = best * (1.0 - trail[t] * side)
                        if at_open:
                            check_stops = True
                            check_target = True
                            update_trail = True
                        elif k in (ENTRY_LIMIT, ENTRY_STOP):
                            check_stops = True
            elif state == OPEN:
                check_stops = True
                check_target = True
                update_trail = True
            elif state == EXIT_PENDING:
                px = o[i]
                ex = px * (1.0 - slip * side)
                f_tr[nf] = t
                f_bar[nf] = i
                f_price[nf] = px
                f_exec[nf] = ex
                f_qty[nf] = -q * side
                f_reason[nf] = R_WATCH_NEXT
                f_comm[nf] = _commission(q, per_share, per_trade, cmin)
                nf += 1
                state = CLOSED
                exit_bar[t] = i
                break

            if state == OPEN and check_stops:
                # -- traded-instrument stop (fixed or trailing, the tighter one)
                cand_px = math.nan
                cand_r = -1
                cand_open = False
                pending = False
                lvl = stop_fixed
                base = R_STOP
                if not math.isnan(trail_lvl) and (
                    math.isnan(lvl) or (side > 0 and trail_lvl > lvl) or (side < 0 and trail_lvl < lvl)
                ):
                    lvl = trail_lvl
                    base = R_TRAIL
                if not math.isnan(lvl):
                    checked[t, i] = True
                    if (side > 0 and ref <= lvl) or (side < 0 and ref >= lvl):
                        cand_px, cand_r, cand_open = ref, base + 1, True
                    elif (side > 0 and lo[i] <= lvl) or (side < 0 and h[i] >= lvl):
                        cand_px, cand_r = lvl, base
                # -- stop on another instrument
                if s_kind[t] == STOP_WATCH:
                    wop, wcl = wo[wj, i], wc[wj, i]
                    hi_w = wh[wj, i]
                    if math.isnan(hi_w):
                        hi_w = max(wop, wcl) if not math.isnan(wop) else wcl
                    lo_w = wl[wj, i]
                    if math.isnan(lo_w):
                        lo_w = min(wop, wcl) if not math.isnan(wop) else wcl
                    if not (math.isnan(hi_w) and math.isnan(lo_w)):
                        checked[t, i] = True
                        lvl_w = s_level[t]
                        if s_dir[t] > 0:
                            wgap = not math.isnan(wop) and wop >= lvl_w
                            trig = wgap or hi_w >= lvl_w
                        else:
                            wgap = not math.isnan(wop) and wop <= lvl_w
                            trig = wgap or lo_w <= lvl_w
                        if trig:
                            model = s_model[t]
                            px = math.nan
                            r = R_WATCH
                            w_open = False
                            if model == MODEL_MAPPED:
                                if wgap:
                                    px, r, w_open = ref, R_WATCH_GAP, True
                                else:
                                    pc, pw = prev_c, prev_wc
                                    if math.isnan(pc) or math.isnan(pw) or pw <= 0.0:
                                        # No prior closes (first bar): translate through today's opens.
                                        pc, pw = o[i], wop
                                    if math.isnan(pw) or pw <= 0.0:
                                        px, r = c[i], R_WATCH_CLOSE
                                    else:
                                        px = min(max(lvl_w * pc / pw, lo[i]), h[i])
                            elif model == MODEL_CLOSE:
                                px, r = c[i], R_WATCH_CLOSE
                            else:
                                pending = True
                            if not math.isnan(px):
                                # The open comes first; otherwise the worse price wins.
                                take = cand_r < 0
                                if not take and w_open != cand_open:
                                    take = w_open
                                elif not take:
                                    take = _worse(side, px, cand_px)
                                if take:
                                    cand_px, cand_r, cand_open = px, r, w_open
                # -- target: only when no stop fired, except a gap through it at the open
                if check_target and not math.isnan(tgt):
                    gap_t = (side > 0 and ref >= tgt) or (side < 0 and ref <= tgt)
                    if gap_t and not cand_open:
                        cand_px, cand_r, cand_open = ref, R_TARGET_GAP, True
                        pending = False
                    elif cand_r < 0 and not pending and (
                        (side > 0 and h[i] >= tgt) or (side < 0 and lo[i] <= tgt)
                    ):
                        cand_px, cand_r = tgt, R_TARGET
                # -- time stop at the close
                if cand_r < 0 and not pending and (
                    (t_bars[t] >= 0 and i - ebar >= t_bars[t]) or i >= t_last[t]
                ):
                    cand_px, cand_r = c[i], R_TIME
                if cand_r >= 0:
                    ex = cand_px * (1.0 - slip * side)
                    f_tr[nf] = t
                    f_bar[nf] = i
                    f_price[nf] = cand_px
                    f_exec[nf] = ex
                    f_qty[nf] = -q * side
                    f_reason[nf] = cand_r
                    f_comm[nf] = _commission(q, per_share, per_trade, cmin)
                    nf += 1
                    state = CLOSED
                    exit_bar[t] = i
                    break
                if pending:
                    state = EXIT_PENDING
                    exit_bar[t] = i
                elif update_trail and not math.isnan(trail[t]):
                    best = max(best, h[i]) if side > 0 else min(best, lo[i])
                    trail_lvl = best * (1.0 - trail[t] * side)
            prev_c = c[i]
            if not math.isnan(wc[wj, i]):
                prev_wc = wc[wj, i]
        status[t] = state
        entry_bar[t] = ebar
        if state in (OPEN, EXIT_PENDING):
            lvl = stop_fixed
            if not math.isnan(trail_lvl) and (
                math.isnan(lvl) or (side > 0 and trail_lvl > lvl) or (side < 0 and trail_lvl < lvl)
            ):
                lvl = trail_lvl
            stop_now[t] = lvl
    return nf


def run_engine(
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    tranches: TrancheArrays,
    *,
    side: int,
    watched: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
    whole_shares: bool = True,
    commission_per_share: float = 0.0,
    commission_per_trade: float = 0.0,
    commission_min: float = 0.0,
    slippage: float = 0.0,
) -> EngineResult:
    """Run every tranche over the bars; see the module docstring for the fill rules.

    ``open_``..``close``: the traded instrument's bars (length n).  ``watched``:
    (open, high, low, close) of the watched instruments, each of shape (k, n),
    aligned to the same bars (NaN where a watched bar is missing).  ``side``: +1
    long, -1 short.
    """
    if side not in (1, -1):
        raise ValueError("side must be +1 (long) or -1 (short)")
    arrs = [np.ascontiguousarray(a, dtype=np.float64) for a in (open_, high, low, close)]
    n = arrs[0].shape[0]
    if any(a.shape != (n,) for a in arrs):
        raise ValueError("open, high, low and close must be 1-D arrays of one length")
    if watched is None:
        w = [np.full((1, n), np.nan) for _ in range(4)]
    else:
        w = [np.ascontiguousarray(np.atleast_2d(a), dtype=np.float64) for a in watched]
        if any(a.shape[1] != n for a in w):
            raise ValueError("watched arrays must have the bars' length on axis 1")
    m = tranches.entry_kind.shape[0]
    cap = 2 * m
    f_tr = np.full(cap, -1, dtype=np.int64)
    f_bar = np.full(cap, -1, dtype=np.int64)
    f_price = np.full(cap, np.nan)
    f_exec = np.full(cap, np.nan)
    f_qty = np.zeros(cap)
    f_reason = np.full(cap, -1, dtype=np.int64)
    f_comm = np.zeros(cap)
    status = np.zeros(m, dtype=np.int64)
    entry_bar = np.full(m, -1, dtype=np.int64)
    exit_bar = np.full(m, -1, dtype=np.int64)
    quantity = np.zeros(m)
    entry_px = np.full(m, np.nan)
    stop_now = np.full(m, np.nan)
    checked = np.zeros((m, n), dtype=np.bool_)
    tr = tranches
    nf = _run(  # type: ignore[call-arg]  # numba's Dispatcher hides the signature
        *arrs, *w, int(side),
        tr.entry_kind, tr.entry_first, tr.entry_last, tr.entry_price, tr.qty, tr.budget, bool(whole_shares),
        tr.stop_kind, tr.stop_level, tr.stop_watch, tr.stop_dir, tr.fill_model,
        tr.target_kind, tr.target_level, tr.trail, tr.time_bars, tr.time_last,
        float(commission_per_share), float(commission_per_trade), float(commission_min), float(slippage),
        f_tr, f_bar, f_price, f_exec, f_qty, f_reason, f_comm,
        status, entry_bar, exit_bar, quantity, entry_px, stop_now, checked,
    )
    return EngineResult(
        f_tr[:nf], f_bar[:nf], f_price[:nf], f_exec[:nf], f_qty[:nf], f_reason[:nf], f_comm[:nf],
        status, entry_bar, exit_bar, quantity, entry_px, stop_now, checked,
    )
