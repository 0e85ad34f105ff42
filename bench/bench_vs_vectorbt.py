"""Benchmark: rotation against vectorbt on the same grids over the same real bars, in one run.

Needs the ``bench`` extra (``pip install 'rotation[bench]'``: vectorbt with its Rust
engine ``vectorbt-rust``).  vectorbt runs in its fastest published configuration: the
Rust engine (``vbt.settings["engine"] = "rust"``; the script says so if it is missing),
C-ordered float64 arrays, one ``from_signals``/``from_orders`` call per chunk of sets
(chunks keep its broadcast arrays under ~0.5 GB; the time is the sum over chunks).

**Signal + stops grid.** 32 real symbols from ``../shared/data`` on the sessions where
all of them have a bar (2004-08-19 .. 2024-12-30, dividend-adjusted OHLC), entry at
the next open after a close at a 20-session closing high, exits on a percent
stop-loss and take-profit: 20 stops (1%..20%) x 25 targets (2%..50%) = 500 sets,
5 bps a side.  rotation: :func:`rotation.backtest.signals.sweep_signals` with
``Conventions.vectorbt()`` (stops from the bar after the entry, measured from the
entry bar's close; the stop beats a target gap; vectorbt's fee model), full per-set
statistics (Sharpe, Sortino, drawdown, ...) computed in the kernel.  vectorbt:
``Portfolio.from_signals(close, entries shifted one bar, price=open, open/high/low,
sl_stop, tp_stop, fees)`` and ``total_return()`` (fewer statistics than ours).
Checked: every trade identical (entry and exit bar, entry and exit price to 1e-12),
trade counts equal, and returns per trade, per (set, symbol) and per set (the book's
total return, the mean of its sleeves') within 1e-12 relative.  A trade's return is
defined apart: ours is the sleeve's change over the trade, vectorbt's the PnL over the
position's cost before the entry fee, ``1 + fees`` times ours; the check converts.

**Short signal + stops grid.** The same bars, entry (a short at the next open) after a
close at a 20-session closing *low*, stops 1%..20% above and targets 2%..30% below the
entry bar's close: 10 x 15 = 150 sets (``--short-sets``), 5 bps a side.  rotation:
``side=-1`` with ``Conventions.vectorbt()``; vectorbt: the same call with
``direction="shortonly"``.  No convention differs from the long side's: vectorbt's stop
for a short is the close times ``1 + sl_stop``, filled at the open when the bar opens
at or above it, its target the close times ``1 - tp_stop``, at the open when the bar
opens at or below it, and the stop is tested first (it beats a target gap), as
rotation's mirrored rules with those conventions; a short sells ``value / (price (1 +
fees))`` units, as ``fees_vectorbt``.  Same checks as the long grid.

**Pair-switch grid.** ``pair-switch`` IWM/QQQ on the ^RUT/^NDX ratio, fast 1..20 x
slow 25..270 step 5 = 1,000 sets, 2005-01-03 .. 2024-12-31, no costs.  rotation:
:func:`rotation.backtest.sweep.sweep`; vectorbt: ``Portfolio.from_orders(size=targets,
size_type="targetpercent", price=open, group_by=set, cash_sharing=True,
call_seq="auto")``.  Checked: total returns equal (1e-9).  Each side is timed as the best of
``--repeat`` (3) runs: ours takes about a hundredth of vectorbt's time, so one neighbour's
burst would otherwise decide the ratio.

The machine is shared: figures are under whatever load there is; run it once.  Beside the
wall-clock ratio the script prints the ratio of process CPU time (``time.process_time``),
which a busy machine disturbs less (vectorbt runs on one thread; rotation's kernels on all).

    PYTHONPATH=src python bench/bench_vs_vectorbt.py             # all three grids
    PYTHONPATH=src python bench/bench_vs_vectorbt.py --sets 100  # a quicker look
    PYTHONPATH=src python bench/bench_vs_vectorbt.py --short-sets 0  # long and pair grids only
    NUMBA_NUM_THREADS=1 PYTHONPATH=src python bench/bench_vs_vectorbt.py --pair-sets 1 --repeat 5  # per core
"""

from __future__ import annotations

import argparse
import math
import time
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from rotation.backtest import breakout, signals
from rotation.backtest.portfolio import OPEN_AT_END
from rotation.backtest.strategies import Panel
from rotation.trading.engine import R_STOP, R_STOP_GAP, R_TARGET, R_TARGET_GAP

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SYMBOLS = ["AAPL", "AMZN", "DIA", "GOOGL", "GSPC", "IWB", "IWD", "IWF", "IWM", "IWN", "IWR", "IXIC", "MDY", "MSFT", "NDX", "NVDA", "OEF", "QQQ", "RSP", "RUT", "SMH", "SPY", "VIX", "XLB", "XLE", "XLF", "XLI", "XLK", "XLP", "XLU", "XLV", "XLY"]
COST = 0.0005


def load_panel(symbols: list[str], end: date | None = None) -> Panel:
    frames = []
    for s in symbols:
        f = pl.read_csv(DATA / f"{s.lstrip('^')}.csv", try_parse_dates=True)
        f = f.select("date", "open", "high", "low", "close", "adj_close").with_columns(pl.lit(s).alias("symbol"))
        frames.append(f.filter(pl.col("date") <= end) if end else f)
    bars = pl.concat(frames, how="diagonal_relaxed")
    dates = bars["date"].unique().sort()
    mats = []
    for fld in ("open", "high", "low", "close", "adj_close"):
        wide = pl.DataFrame({"date": dates}).join(bars.pivot(on="symbol", index="date", values=fld), on="date", how="left")
        mats.append(np.ascontiguousarray(
            wide.select([pl.col(s).cast(pl.Float64).fill_null(float("nan")) for s in symbols]).to_numpy()))
    return Panel(tuple(dates.to_list()), tuple(symbols), *mats)


def vbt_module() -> tuple[object, str]:
    import vectorbt as vbt

    try:
        import vectorbt_rust  # noqa: F401

        vbt.settings["engine"] = "rust"
        return vbt, "rust"
    except ImportError:
        return vbt, "numba (vectorbt-rust is not installed)"


#: The signal + stops grids: (stops, targets) per side; the short one is smaller (vectorbt takes ~40 ms a set).
GRIDS = {"long": (np.linspace(0.01, 0.20, 20), np.linspace(0.02, 0.50, 25)),
         "short": (np.linspace(0.01, 0.20, 10), np.linspace(0.02, 0.30, 15))}


def signal_grid(sets_wanted: int, repeat: int = 1, side: str = "long") -> tuple[str, float, float]:
    """One side's signal + stops grid (long: 20-session closing highs; short: lows, stops above)."""
    vbt, engine = vbt_module()
    panel = load_panel(SYMBOLS, date(2024, 12, 31))
    win = breakout.bars(panel, SYMBOLS)
    n, k = win.prices.shape
    ent = breakout.entries(win, 20, side)
    sgn = 1 if side == "long" else -1
    stops, targets = GRIDS[side]
    sl, tp = (a.ravel()[:sets_wanted] for a in np.meshgrid(stops, targets, indexing="ij"))
    s = sl.size
    sets = signals.StopSets.of(sl, tp)
    conv = signals.Conventions.vectorbt()
    label = "signal+stops" if side == "long" else "signal+stops short"
    print(f"{label}: {k} symbols x {n:,} sessions ({win.dates[0]} .. {win.dates[-1]}) x {s} sets "
          f"= {n * k * s:,} bar-steps; vectorbt engine: {engine}")

    def ours_run(st: signals.StopSets, conventions: signals.Conventions | None = None,
                 record: bool = False) -> signals.SignalSweep:
        return signals.sweep_signals(win.prices, ent, st, side=sgn, cost=COST, conventions=conventions,
                                     years=win.years, record=record)

    ours_run(signals.StopSets.of(sl[:2], tp[:2]), conventions=conv)
    ours_s = ours_cpu = math.inf
    for _ in range(max(1, repeat)):  # the fastest of `repeat` calls (wall and CPU each)
        t0, c0 = time.perf_counter(), time.process_time()
        ours = ours_run(sets, conventions=conv)
        ours_s, ours_cpu = min(ours_s, time.perf_counter() - t0), min(ours_cpu, time.process_time() - c0)
    rec = ours_run(sets, conventions=conv, record=True)

    o, h, lo, c = (np.ascontiguousarray(a.T) for a in (win.prices.open, win.prices.high, win.prices.low, win.prices.close))
    shifted = np.zeros_like(ent)
    shifted[1:] = ent[:-1]  # vectorbt fills on the signal's own bar: give it the next bar, at the open
    direction = "longonly" if side == "long" else "shortonly"  # shortonly: entries open shorts, stops above
    chunk = max(1, min(s, 50))
    vbt_s = vbt_cpu = 0.0
    v_ret, v_cnt, v_recs = np.zeros(s * k), np.zeros(s * k, dtype=np.int64), []
    for a in range(0, s, chunk):
        m = min(chunk, s - a)
        tile = [np.ascontiguousarray(np.tile(x, (1, m))) for x in (o, h, lo, c, shifted)]
        sl_c = np.repeat(sl[a : a + m], k)[None, :]
        tp_c = np.repeat(tp[a : a + m], k)[None, :]
        t0, c0 = time.perf_counter(), time.process_time()
        pf = vbt.Portfolio.from_signals(tile[3], tile[4], False, direction=direction, price=tile[0],  # type: ignore[attr-defined]
                                        open=tile[0], high=tile[1], low=tile[2], sl_stop=sl_c, tp_stop=tp_c, fees=COST)
        ret = np.atleast_1d(np.asarray(pf.total_return()))
        vbt_s += time.perf_counter() - t0
        vbt_cpu += time.process_time() - c0
        v_ret[a * k : (a + m) * k] = ret
        tr = pf.trades.records
        v_cnt[a * k : (a + m) * k] = np.bincount(tr["col"], minlength=m * k)
        v_recs.append((a * k, tr))

    ours_ret = ours.column_return.reshape(-1)
    ours_cnt = ours.column_trades.reshape(-1)
    same_counts = bool((ours_cnt == v_cnt).all())
    ret_diff = float(np.max(np.abs(ours_ret - v_ret) / np.maximum(np.abs(v_ret), 1.0)))
    # per set: the book is k sleeves of 1/k never rebalanced, so its total return is their mean
    v_set = v_ret.reshape(s, k).mean(axis=1)
    set_diff = float(np.max(np.abs(ours.stat("total_return") - v_set) / np.maximum(np.abs(v_set), 1.0)))
    # trade for trade: ours are in (set, symbol, time) order, vectorbt's in (column, time) order
    ours_tr = np.c_[rec.trade_entry_bar, rec.trade_exit_bar, rec.trade_entry_price, rec.trade_exit_price,
                    rec.trade_return]
    vb = np.vstack([np.c_[r["entry_idx"], np.where(r["status"] == 1, r["exit_idx"], -1), r["entry_price"],
                          np.where(r["status"] == 1, r["exit_price"], np.nan), r["return"]] for _, r in v_recs])
    identical = ours_tr.shape == vb.shape and bool(
        (ours_tr[:, :2] == vb[:, :2]).all()
        and np.allclose(ours_tr[:, 2:4], vb[:, 2:4], rtol=1e-12, atol=0, equal_nan=True))
    # a trade's return: ours is the sleeve's change over the trade (its equity before the entry, fees in);
    # vectorbt's is the PnL over the position's cost without the entry fee, (1 + cost) times ours
    as_vbt = ours_tr[:, 4] * (1.0 + COST)
    trade_diff = float(np.max(np.abs(as_vbt - vb[:, 4]) / np.maximum(np.abs(vb[:, 4]), 1.0))) \
        if ours_tr.shape == vb.shape else math.inf
    steps = n * k * s
    import numba

    threads = numba.get_num_threads()
    print(f"  rotation: {ours_s:.3f} s wall = {steps / ours_s / 1e6:,.0f}M bar-steps/s on {threads} threads "
          f"({steps / ours_s / threads / 1e6:,.0f}M per thread; {steps / ours_cpu / 1e6:,.0f}M per CPU-second), "
          f"11 statistics per set{f', fastest of {repeat} calls' if repeat > 1 else ''}")
    print(f"  vectorbt: {vbt_s:.3f} s wall = {steps / vbt_s / 1e6:,.1f}M bar-steps/s ({engine}, {direction}), "
          f"total return only; CPU time: rotation {ours_cpu:.3f} s, vectorbt {vbt_cpu:.3f} s = {vbt_cpu / ours_cpu:.1f}x")
    print(f"  {len(ours_tr):,} trades; counts {'equal' if same_counts else 'DIFFER'}; trade lists "
          f"{'identical' if identical else 'DIFFER'}; largest relative return difference: per trade {trade_diff:.1e}, "
          f"per (set, symbol) {ret_diff:.1e}, per set {set_diff:.1e}")
    code = np.bincount(rec.trade_exit_code - OPEN_AT_END, minlength=R_TARGET_GAP - OPEN_AT_END + 1)
    n_of = {r: int(code[r - OPEN_AT_END]) for r in (R_STOP, R_STOP_GAP, R_TARGET, R_TARGET_GAP, OPEN_AT_END)}
    print(f"  exits: {n_of[R_STOP] + n_of[R_STOP_GAP]:,} stops ({n_of[R_STOP_GAP]:,} at a gap open), "
          f"{n_of[R_TARGET] + n_of[R_TARGET_GAP]:,} targets ({n_of[R_TARGET_GAP]:,} at a gap open), "
          f"{n_of[OPEN_AT_END]:,} open at the end")
    rot = ours_run(sets)
    moved = int((rot.column_trades != ours.column_trades).sum())
    print(f"  with rotation's own conventions {moved:,} of {s * k:,} (set, symbol) columns trade differently")
    ok = identical and same_counts and max(ret_diff, set_diff, trade_diff) < 1e-12
    verdict = "trades identical" if ok else "TRADES DIFFER"
    return (f"{label} sweep: {vbt_s / ours_s:.1f}x vectorbt, {verdict} "
            f"({steps / ours_s / 1e6:,.0f}M vs {steps / vbt_s / 1e6:,.1f}M bar-steps/s wall, "
            f"{vbt_cpu / ours_cpu:.1f}x in CPU time; {s} sets x {k} symbols)"), ours_s, vbt_s


def pair_grid(sets_wanted: int, repeat: int = 3) -> tuple[str, float, float]:
    from rotation.backtest.run import RunConfig, start_row, window_targets
    from rotation.backtest.strategies import PairSwitch
    from rotation.backtest.sweep import sweep

    vbt, engine = vbt_module()
    panel = load_panel(["IWM", "QQQ", "^RUT", "^NDX"], date(2024, 12, 31))
    start = date(2005, 1, 1)
    fasts, slows = list(range(1, 21)), list(range(25, 275, 5))
    pairs = [(f, sl) for f in fasts for sl in slows][:sets_wanted]
    grid = {"fast": sorted({str(f) for f, _ in pairs}, key=int), "slow": sorted({str(x) for _, x in pairs}, key=int)}
    values = {"a": "IWM", "b": "QQQ", "sa": "^RUT", "sb": "^NDX"}
    config = RunConfig()
    sweep(panel, "pair-switch", {"fast": ["2"], "slow": ["20"]}, values=values, config=config, start=start, overfit=False)
    ours_s = ours_cpu = math.inf  # the best of `repeat` runs, wall and CPU apart (vectorbt's the same way)
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        ours = sweep(panel, "pair-switch", grid, values=values, config=config, start=start, overfit=False)
        ours_s, ours_cpu = min(ours_s, time.perf_counter() - t0), min(ours_cpu, time.process_time() - c0)
    params = [PairSwitch(fast=int(f), slow=int(x)) for f in grid["fast"] for x in grid["slow"]]
    first = start_row(panel, start)
    _, targets, prices = window_targets(panel, params, first)
    s, n, _ = targets.shape
    print(f"pair-switch: 2 symbols x {n:,} sessions x {s} sets = {2 * n * s:,} bar-steps; vectorbt engine: {engine}")
    chunk = max(1, min(s, 250))
    v_ret = np.zeros(s)
    inputs = []
    for a in range(0, s, chunk):
        m = min(chunk, s - a)
        size = np.ascontiguousarray(targets[a : a + m].transpose(1, 0, 2).reshape(n, 2 * m))
        same = np.zeros_like(size, dtype=bool)
        same[1:] = (size[1:] == size[:-1])
        size = np.where(same, np.nan, size)  # an order only where the target changes (the book's rule)
        size[0] = np.nan
        inputs.append((a, m, size, np.ascontiguousarray(np.tile(prices.close, (1, m))),
                       np.ascontiguousarray(np.tile(prices.open, (1, m)))))
    vbt_s = vbt_cpu = math.inf
    for _ in range(repeat):
        wall = cpu = 0.0
        for a, m, size, close, opens in inputs:
            t0, c0 = time.perf_counter(), time.process_time()
            pf = vbt.Portfolio.from_orders(close, size, size_type="targetpercent", price=opens,  # type: ignore[attr-defined]
                                           group_by=np.repeat(np.arange(m), 2), cash_sharing=True, call_seq="auto")
            v_ret[a : a + m] = np.atleast_1d(np.asarray(pf.total_return()))  # a scalar for one set
            wall += time.perf_counter() - t0
            cpu += time.process_time() - c0
        vbt_s, vbt_cpu = min(vbt_s, wall), min(vbt_cpu, cpu)
    mine = ours.table["total_return"].to_numpy()
    diff = float(np.max(np.abs(mine - v_ret) / np.maximum(np.abs(v_ret), 1.0)))
    steps = 2 * n * s
    print(f"  rotation: {ours_s:.4f} s = {steps / ours_s / 1e6:,.0f}M bar-steps/s, 11 statistics per set "
          f"(best of {repeat} runs, each side)")
    print(f"  vectorbt: {vbt_s:.3f} s = {steps / vbt_s / 1e6:,.1f}M bar-steps/s ({engine}), total return only; "
          f"CPU time: rotation {ours_cpu:.3f} s, vectorbt {vbt_cpu:.3f} s = {vbt_cpu / ours_cpu:.1f}x")
    verdict = "returns equal" if diff < 1e-9 else f"RETURNS DIFFER ({diff:.1e})"
    return (f"pair-switch sweep: {vbt_s / ours_s:.1f}x vectorbt, {verdict} (largest difference {diff:.1e}; "
            f"{vbt_cpu / ours_cpu:.1f}x in CPU time; {s} sets)"), ours_s, vbt_s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", type=int, default=500, help="signal+stops sets (at most 500)")
    ap.add_argument("--short-sets", type=int, default=150, help="short signal+stops sets (at most 150; 0 skips)")
    ap.add_argument("--pair-sets", type=int, default=1000, help="pair-switch sets (at most 1,000)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="the best of this many runs: both sides of the pair grid, rotation's side of the signal "
                         "grid (vectorbt's 20 s run there once); a busy machine disturbs a short call most")
    args = ap.parse_args()
    if not (DATA / "SPY.csv").is_file():
        raise SystemExit(f"needs the real data in {DATA}")
    lines = [signal_grid(args.sets, args.repeat)[0], pair_grid(args.pair_sets, args.repeat)[0]]
    if args.short_sets > 0:
        lines.append(signal_grid(args.short_sets, args.repeat, side="short")[0])
    print()
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
