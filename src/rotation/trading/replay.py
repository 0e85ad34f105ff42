"""Replay a trade plan against daily bars: every fill, P&L, open risk, checked bars.

:func:`replay` is pure (a plan and a bars frame in, a :class:`Replay` out); the
fills come from :mod:`rotation.trading.engine`.  Prices are as-traded
``open/high/low/close``; P&L uses execution prices (slippage included) and
money P&L subtracts commissions.  Open tranches are marked at the traded
instrument's last close on or before ``as_of``.

Suspect bars: a bar whose open and high repeat the previous bar exactly (the
``stale_bar`` rule of :mod:`rotation.data.validate`, e.g. ^RUT on 2024-07-19)
is reported in ``warnings``.  On a *watched* instrument its open and high are
not trusted: the stop is checked on that bar's low and close only (policy
``suspect="distrust"``, the default; ``"use"`` keeps the bar as it is).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from rotation.data.store import Store
from rotation.data.validate import check_bars
from rotation.errors import DataError, PlanError, UnknownSymbolError
from rotation.trading import engine as E
from rotation.trading.plan import FILL_REASONS, Fill, Plan, Tranche, tranche_quantities, wrong_side

_ENTRY_CODES = {"open": E.ENTRY_OPEN, "close": E.ENTRY_CLOSE, "limit": E.ENTRY_LIMIT,
                "stop": E.ENTRY_STOP, "fill": E.ENTRY_FILL}
_MODEL_CODES = {"mapped": E.MODEL_MAPPED, "close": E.MODEL_CLOSE, "next-open": E.MODEL_NEXT_OPEN}
_FAR = 2**62


@dataclass(frozen=True)
class TrancheResult:
    """One tranche after the replay.

    ``pnl`` is money net of commissions (unrealized at the mark when open);
    ``pnl_pct`` the side-aware price return on execution prices, before
    commissions.  ``traded_stop`` is the stop in force on the traded instrument
    (fixed, from-entry or trailing, the tighter); ``stop_price`` is the tighter
    of it and a watched level translated through the last closes' ratio;
    ``target_price`` the target as a price; ``risk_to_stop`` the money change from the mark if it filled
    there (negative = a loss), ``risk_to_stop_pct`` the same as a fraction of
    the mark; ``watched_distance_pct`` how far the watched instrument's last
    close is from its level (positive = not reached).
    """

    index: int
    name: str
    status: str
    stop: str | None
    target: str | None
    quantity: float
    entry_date: date | None
    entry_price: float | None
    exit_date: date | None
    exit_price: float | None
    exit_reason: str | None
    mark_date: date | None
    mark_price: float | None
    pnl: float | None
    pnl_pct: float | None
    commission: float
    traded_stop: float | None
    target_price: float | None
    stop_price: float | None
    risk_to_stop: float | None
    risk_to_stop_pct: float | None
    watched_distance_pct: float | None
    stop_checked: tuple[date, ...]


@dataclass(frozen=True)
class Replay:
    """The replay of one plan: fills in time order, tranches, totals, data warnings.

    ``pnl_pct`` = total money P&L / money put in (entry execution price x shares,
    summed over entered tranches).
    """

    plan: str
    source: str
    symbol: str
    side: str
    as_of: date | None
    last_date: date | None
    fills: tuple[Fill, ...]
    tranches: tuple[TrancheResult, ...]
    realized: float
    unrealized: float
    pnl: float
    pnl_pct: float | None
    invested: float
    warnings: tuple[str, ...]


def _bar_index(dates: list[date], day: date) -> int:
    """Index of the first bar on or after ``day`` (len(dates) when none)."""
    lo, hi = 0, len(dates)
    while lo < hi:
        mid = (lo + hi) // 2
        if dates[mid] < day:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _compile(plan: Plan, dates: list[date], watched: tuple[str, ...], full_end: date | None) -> E.TrancheArrays:
    n = len(dates)
    qty = tranche_quantities(plan)
    rows: list[dict[str, float]] = []
    for k, t in enumerate(plan.tranches):
        first = _bar_index(dates, t.entry.date)
        if t.entry.kind in ("open", "close", "fill"):
            exact = first < n and dates[first] == t.entry.date
            if not exact and full_end is not None and t.entry.date <= full_end:
                raise PlanError(
                    f"{plan.source}: tranche[{k + 1}].entry.date: expected a day with a {plan.symbol} bar, "
                    f"got {t.entry.date} (no bar that day)"
                )
            last = first if exact else n  # n: not reached yet
        else:
            last = n - 1 if t.entry.until is None else _bar_index(dates, t.entry.until + timedelta(days=1)) - 1
        row: dict[str, float] = {
            "entry_kind": _ENTRY_CODES[t.entry.kind],
            "entry_first": first,
            "entry_last": last,
            "entry_price": t.entry.price if t.entry.price is not None else math.nan,
            "qty": qty[k],
            "budget": plan.size.value * t.fraction if plan.size.kind == "dollars" else math.nan,
            "fill_model": _MODEL_CODES[t.fill_model],
        }
        if t.stop is not None:
            row["stop_level"] = t.stop.level
            if t.stop.kind == "price":
                row["stop_kind"] = E.STOP_PRICE
            elif t.stop.kind == "pct":
                row["stop_kind"] = E.STOP_PCT
            else:
                row["stop_kind"] = E.STOP_WATCH
                row["stop_watch"] = watched.index(t.stop.symbol or "")
                row["stop_dir"] = 1 if t.stop.direction == "above" else -1
        if t.target is not None:
            row["target_kind"] = E.TARGET_PRICE if t.target.kind == "price" else E.TARGET_PCT
            row["target_level"] = t.target.level
        if t.trailing_stop is not None:
            row["trail"] = t.trailing_stop
        if t.time_stop_bars is not None:
            row["time_bars"] = t.time_stop_bars
        if t.time_stop_date is not None:
            reached = full_end is not None and t.time_stop_date <= full_end
            idx = _bar_index(dates, t.time_stop_date + timedelta(days=1)) - 1
            row["time_last"] = idx if reached else _FAR
        rows.append(row)
    return E.TrancheArrays.build(rows)


def _suspect(frame: pl.DataFrame) -> list[tuple[str, date, str]]:
    findings = check_bars(frame, calendar=False)
    return [(f.symbol, f.date, f.message) for f in findings if f.rule == "stale_bar"]


def _stop_text(t: Tranche) -> str | None:
    parts = []
    if t.stop is not None:
        parts.append(t.stop.describe + (f" (fill {t.fill_model})" if t.stop.kind == "watch" else ""))
    if t.trailing_stop is not None:
        parts.append(f"trailing {t.trailing_stop * 100:g}%")
    if t.time_stop_bars is not None:
        parts.append(f"time {t.time_stop_bars} bars")
    if t.time_stop_date is not None:
        parts.append(f"time {t.time_stop_date}")
    return "; ".join(parts) or None


def _check_sides(plan: Plan, traded: pl.DataFrame) -> None:
    """Refuse a price stop or target on the wrong side of the entry (it would exit at once).

    A priced entry (fill, limit, stop) is judged at its price; an entry at the open
    or close at that bar's price, once the bar is there.
    """
    for k, t in enumerate(plan.tranches):
        price = t.entry.price
        if price is None:
            row = traded.filter(pl.col("date") == t.entry.date)
            value = row[t.entry.kind][0] if row.height else None
            if value is None or not math.isfinite(value):
                continue
            price = float(value)
        for rule, level in (("stop", t.stop.level if t.stop is not None and t.stop.kind == "price" else None),
                            ("target", t.target.level if t.target is not None and t.target.kind == "price" else None)):
            why = None if level is None else wrong_side(plan.side, price, level, rule)
            if why:
                at = "" if t.entry.price is not None else f" (the {t.entry.kind} of {t.entry.date})"
                raise PlanError(f"{plan.source}: tranche[{k + 1}].{rule}: expected {why}{at}")


def replay(
    plan: Plan, bars: pl.DataFrame, as_of: date | None = None, *, suspect: str = "distrust"
) -> Replay:
    """Replay ``plan`` over ``bars`` (a bars frame holding the traded and watched symbols)."""
    if suspect not in ("distrust", "use"):
        raise ValueError("suspect must be 'distrust' or 'use'")
    if as_of is not None:
        bars = bars.filter(pl.col("date") <= as_of)
    traded = bars.filter(pl.col("symbol") == plan.symbol).sort("date")
    if traded.is_empty():
        raise UnknownSymbolError(f"{plan.source}: no {plan.symbol} bars" + (f" up to {as_of}" if as_of else ""))
    watched = plan.watched
    dates: list[date] = traded["date"].to_list()
    n = len(dates)
    warnings: list[str] = []
    window = bars.filter(pl.col("date") >= plan.first_date - timedelta(days=10))
    suspects = _suspect(window.filter(pl.col("symbol").is_in([plan.symbol, *watched])))
    w_arrays = [np.full((max(1, len(watched)), n), np.nan) for _ in range(4)]
    for j, sym in enumerate(watched):
        wf = bars.filter(pl.col("symbol") == sym).select("date", "open", "high", "low", "close")
        if wf.is_empty():
            raise UnknownSymbolError(f"{plan.source}: no {sym} bars (the stop watches it)")
        if suspect == "distrust":
            bad = [d for s, d, _ in suspects if s == sym]
            wf = wf.with_columns(
                [pl.when(pl.col("date").is_in(bad)).then(None).otherwise(pl.col(c)).alias(c) for c in ("open", "high")]
            )
        aligned = traded.select("date").join(wf, on="date", how="left").sort("date")
        w_last = wf["date"].max()
        if isinstance(w_last, date) and w_last < dates[-1]:
            warnings.append(f"{sym} has no bars after {w_last}: stops watching it were not checked after that day")
        for a, col in zip(w_arrays, ("open", "high", "low", "close"), strict=True):
            a[j] = aligned[col].fill_null(np.nan).to_numpy()
    for s, d, msg in suspects:
        if d < plan.first_date:
            continue
        role = "traded" if s == plan.symbol else "watched"
        how = (
            "its open and high were not used for the stop check (low and close were)"
            if role == "watched" and suspect == "distrust"
            else "used as it is"
        )
        warnings.append(f"{s} {d}: suspect bar ({msg}); {role} instrument, {how}")
    full_end = bars["date"].max() if as_of is None else as_of
    assert full_end is None or isinstance(full_end, date)
    _check_sides(plan, traded)
    arrays = _compile(plan, dates, watched, full_end)
    o, h, lo, c = (traded[col].fill_null(np.nan).to_numpy() for col in ("open", "high", "low", "close"))
    costs = plan.costs
    res = E.run_engine(
        o, h, lo, c, arrays, side=plan.sign, watched=(w_arrays[0], w_arrays[1], w_arrays[2], w_arrays[3]),
        whole_shares=plan.size.whole_shares, commission_per_share=costs.commission_per_share,
        commission_per_trade=costs.commission_per_trade, commission_min=costs.commission_min,
        slippage=costs.slippage,
    )
    return _summarize(plan, res, dates, c, w_arrays[3], as_of, full_end, warnings)


def _summarize(
    plan: Plan, res: E.EngineResult, dates: list[date], c: np.ndarray, wclose: np.ndarray,
    as_of: date | None, full_end: date | None, warnings: list[str],
) -> Replay:
    fills: list[Fill] = []
    for k in range(len(res.fill_bar)):
        ti = int(res.fill_tranche[k])
        fills.append(
            Fill(ti + 1, plan.tranches[ti].name, dates[int(res.fill_bar[k])], float(res.fill_price[k]),
                 float(res.fill_exec[k]), float(res.fill_qty[k]), FILL_REASONS[int(res.fill_reason[k])],
                 float(res.fill_commission[k]))
        )
    fills.sort(key=lambda f: (f.date, f.tranche, f.reason != "entry"))
    valid = np.flatnonzero(~np.isnan(c))
    mark_i = int(valid[-1]) if valid.size else -1
    mark = float(c[mark_i]) if mark_i >= 0 else None
    mark_date = dates[mark_i] if mark_i >= 0 else None
    side = plan.sign
    results: list[TrancheResult] = []
    realized = unrealized = invested = 0.0
    for k, t in enumerate(plan.tranches):
        mine = [f for f in fills if f.tranche == k + 1]
        entry = next((f for f in mine if f.reason == "entry"), None)
        exit_ = next((f for f in mine if f.reason != "entry"), None)
        status = E.STATUS_NAMES[int(res.status[k])]
        if status == "pending" and t.entry.until is not None and full_end is not None and t.entry.until <= full_end:
            status = "expired"  # the window closed on the last bar without a fill
        q = float(res.quantity[k])
        comm = sum(f.commission for f in mine)
        pnl = pnl_pct = stop_px = risk = risk_pct = wdist = traded_stop = target_px = None
        if entry is not None:
            invested += entry.exec_price * q
            if exit_ is not None:
                pnl = side * (exit_.exec_price - entry.exec_price) * q - comm
                pnl_pct = side * (exit_.exec_price / entry.exec_price - 1.0)
                realized += pnl
            elif mark is not None:
                pnl = side * (mark - entry.exec_price) * q - comm
                pnl_pct = side * (mark / entry.exec_price - 1.0)
                unrealized += pnl
                stop_now = float(res.stop_now[k])
                traded_stop = None if math.isnan(stop_now) else stop_now
                if t.target is not None:
                    target_px = (t.target.level if t.target.kind == "price"
                                 else entry.price * (1.0 + t.target.level * side))
                if t.stop is not None and t.stop.kind == "watch":
                    j = plan.watched.index(t.stop.symbol or "")
                    wv = wclose[j][~np.isnan(wclose[j])]
                    if wv.size:
                        wlast = float(wv[-1])
                        mapped = t.stop.level * mark / wlast
                        wdist = (t.stop.level / wlast - 1.0) * (1 if t.stop.direction == "above" else -1)
                        # The tighter of the watched level (in traded terms) and any trailing stop.
                        if math.isnan(stop_now) or (side > 0 and mapped > stop_now) or (side < 0 and mapped < stop_now):
                            stop_now = mapped
                if not math.isnan(stop_now):
                    stop_px = stop_now
                    risk = side * (stop_now - mark) * q
                    risk_pct = side * (stop_now / mark - 1.0)
        checked = tuple(dates[i] for i in np.flatnonzero(res.checked[k]))
        results.append(
            TrancheResult(
                index=k + 1, name=t.name, status=status, stop=_stop_text(t),
                target=t.target.describe if t.target else None, quantity=q,
                entry_date=entry.date if entry else None, entry_price=entry.exec_price if entry else None,
                exit_date=exit_.date if exit_ else None, exit_price=exit_.exec_price if exit_ else None,
                exit_reason=exit_.reason if exit_ else None,
                mark_date=mark_date if entry and not exit_ else None,
                mark_price=mark if entry and not exit_ else None,
                pnl=pnl, pnl_pct=pnl_pct, commission=comm, traded_stop=traded_stop,
                target_price=target_px, stop_price=stop_px, risk_to_stop=risk,
                risk_to_stop_pct=risk_pct, watched_distance_pct=wdist, stop_checked=checked,
            )
        )
    total = realized + unrealized
    return Replay(
        plan=plan.name, source=plan.source, symbol=plan.symbol, side=plan.side, as_of=as_of,
        last_date=mark_date, fills=tuple(fills), tranches=tuple(results), realized=realized,
        unrealized=unrealized, pnl=total, pnl_pct=total / invested if invested > 0 else None,
        invested=invested, warnings=tuple(warnings),
    )


def plan_bars(store: Store, plan: Plan, as_of: date | None = None) -> pl.DataFrame:
    """The bars a replay of ``plan`` needs, read from ``store`` (from a few days
    before the first entry, for the prior closes, up to ``as_of``)."""
    symbols = [plan.symbol, *plan.watched]
    # Before the first entry everything is pending: an as-of before it still reads a few bars.
    start = min(plan.first_date, as_of or plan.first_date) - timedelta(days=15)
    try:
        bars = store.bars(symbols, start, as_of)
    except UnknownSymbolError as exc:
        raise DataError(f"{plan.source}: {exc}") from None
    last = store.query("SELECT max(date) AS d FROM bars WHERE symbol = ?", [plan.symbol])["d"][0]
    if last is not None and plan.first_date > last:
        raise PlanError(
            f"{plan.source}: the entry date {plan.first_date} is after the last {plan.symbol} bar in the store "
            f"({last}): nothing to replay yet; update the bars (`rotation data update {plan.symbol}`) or fix the date"
        )
    return bars


def replay_from_store(store: Store, plan: Plan, as_of: date | None = None, *, suspect: str = "distrust") -> Replay:
    """Read the bars ``plan`` needs from ``store`` and replay it."""
    return replay(plan, plan_bars(store, plan, as_of), as_of, suspect=suspect)
