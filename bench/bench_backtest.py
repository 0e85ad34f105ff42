"""Benchmark: a 1,000-set pair-switch sweep, our vectorized/numba path vs a plain pandas loop.

The strategy (``pair-switch``, see ``rotation.backtest.strategies``): hold IWM while
the moving average of ^RUT/^NDX (``adj_close``) over ``fast`` sessions is above the one
over ``slow`` sessions, else QQQ; act at the next open; 5 bps commission + 5 bps
slippage on traded value.  Grid: ``fast`` 1..20 x ``slow`` 25..270 step 5 = 1,000 sets,
traded 2005-01-03 .. 2024-12-31 on the real files in ``../shared/data`` (signals use
the history before 2005), or on synthetic random walks with ``--synthetic``.

Both sides compute the same rules in the same run:

* ours: :func:`rotation.backtest.sweep.sweep` (one moving average per distinct window,
  signals for all sets as a matrix, the numba book per set, statistics vectorized over
  all sets), on the local executor; numba compilation is done (and timed) beforehand;
* reference: for each set, pandas ``rolling().mean()`` for the signal, then a Python
  loop over the rows that keeps cash and shares (the book of ``docs/backtest.md``), and
  pandas for the statistics.

Prints both times and the ratio, then checks the results: positions identical, every
statistic equal to ``rtol=1e-9``.  Sweeps on Dask against one process: ``bench/bench_dask.py``.

    .venv/bin/python bench/bench_backtest.py                 # real data, 1,000 sets
    .venv/bin/python bench/bench_backtest.py --sets 100      # a quicker look
    .venv/bin/python bench/bench_backtest.py --synthetic
"""

from __future__ import annotations

import argparse
import math
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

from rotation.backtest.run import RunConfig, start_row
from rotation.backtest.stats import STAT_NAMES
from rotation.backtest.strategies import Panel
from rotation.backtest.sweep import sweep

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FILES = {"IWM": "IWM.csv", "QQQ": "QQQ.csv", "^RUT": "RUT.csv", "^NDX": "NDX.csv"}
START, END = date(2005, 1, 1), date(2024, 12, 31)
COMMISSION = SLIPPAGE = 0.0005


def real_panel() -> Panel:
    frames = []
    for sym, name in FILES.items():
        f = pl.read_csv(DATA / name, try_parse_dates=True).with_columns(pl.lit(sym).alias("symbol"))
        frames.append(f.filter(pl.col("date") <= END))
    bars = pl.concat(frames, how="diagonal_relaxed")
    dates = bars["date"].unique().sort()
    mats = []
    for fld in ("open", "high", "low", "close", "adj_close"):
        wide = pl.DataFrame({"date": dates}).join(bars.pivot(on="symbol", index="date", values=fld), on="date", how="left")
        mats.append(wide.select([pl.col(s).cast(pl.Float64).fill_null(float("nan")) for s in FILES]).to_numpy())
    return Panel(tuple(dates.to_list()), tuple(FILES), *(np.ascontiguousarray(m) for m in mats))


def synthetic_panel(n: int = 7000, seed: int = 1) -> Panel:
    rng = np.random.default_rng(seed)
    days: list[date] = []
    d = END - timedelta(days=int(n * 1.45))
    while len(days) < n:
        if d.weekday() < 5:
            days.append(d)
        d += timedelta(days=1)
    c = 100 * np.cumprod(1 + rng.normal(0.0003, 0.013, size=(n, 4)), axis=0)
    o = c * (1 + rng.normal(0, 0.004, size=c.shape))
    h, lo = np.maximum(o, c) * 1.004, np.minimum(o, c) * 0.996
    return Panel(tuple(days), tuple(FILES), o, h, lo, c, c * 0.95)


# -- the reference: pandas signals, a Python loop for the book -----------------------
def pandas_sweep(panel: Panel, sets: list[tuple[int, int]], cost: float) -> tuple[pd.DataFrame, np.ndarray]:
    idx = pd.DatetimeIndex(pd.to_datetime(list(panel.dates)))
    adj = pd.DataFrame(panel.adj_close, index=idx, columns=list(panel.symbols))
    close = pd.DataFrame(panel.close, index=idx, columns=list(panel.symbols))
    opens = pd.DataFrame(panel.open, index=idx, columns=list(panel.symbols))
    ratio = adj["^RUT"].ffill(limit=5) / adj["^NDX"].ffill(limit=5)
    # The book's prices: dividend-adjusted, missing bars carried from the last close.
    c = adj[["IWM", "QQQ"]].ffill()
    o = (opens[["IWM", "QQQ"]] * adj[["IWM", "QQQ"]] / close[["IWM", "QQQ"]]).fillna(c)
    first = int(np.searchsorted(idx.values, np.datetime64(START)))
    c_rows, o_rows = c.iloc[first:].to_numpy(), o.iloc[first:].to_numpy()
    years = (panel.dates[-1] - panel.dates[first]).days / 365.25
    rows, holdings = [], []
    for fast, slow in sets:
        mf = ratio.rolling(fast).mean()
        ms = ratio.rolling(slow).mean()
        ok = mf.notna() & ms.notna()
        want = np.where(ok & (mf > ms), 0, np.where(ok, 1, -1))  # 0 IWM, 1 QQQ, -1 flat; at the close
        target = np.concatenate([[-1], want[:-1]])[first:]
        target[0] = -1  # in cash at the first close of the window
        cash, units, held = 1.0, 0.0, -1
        equity, turnover, exposure = [], [], []
        trades = closed = wins = 0
        entry = 0.0
        for t in range(len(target)):
            traded = 0.0
            base = 0.0
            if t == 0 or target[t] != target[t - 1]:
                value = cash + (units * o_rows[t, held] if held >= 0 else 0.0)
                want_units = value / o_rows[t, target[t]] if target[t] >= 0 else 0.0
                if target[t] == held:
                    traded = abs(want_units - units) * o_rows[t, held]
                else:
                    traded = (units * o_rows[t, held] if held >= 0 else 0.0) + (value if target[t] >= 0 else 0.0)
                if held >= 0 and target[t] != held:
                    closed += 1
                    wins += o_rows[t, held] * (1 - cost) > entry * (1 + cost)
                net = value - cost * traded
                if target[t] >= 0:
                    units = net / o_rows[t, target[t]]
                    cash = net - units * o_rows[t, target[t]]
                    if target[t] != held:
                        trades += 1
                        entry = o_rows[t, target[t]]
                else:
                    units, cash = 0.0, net
                held = target[t]
                base = value
            value = cash + (units * c_rows[t, held] if held >= 0 else 0.0)
            equity.append(value)
            exposure.append((value - cash) / value)
            turnover.append(traded / base if traded > 0 else 0.0)
        eq = pd.Series(equity)
        r = eq.pct_change().dropna()
        dd = eq / eq.cummax() - 1
        total = eq.iloc[-1] / eq.iloc[0] - 1
        cagr = (1 + total) ** (1 / years) - 1
        sd = r.std()
        down = math.sqrt((r.clip(upper=0) ** 2).mean())
        mdd = dd.min()
        rows.append({
            "total_return": total, "cagr": cagr, "volatility": sd * math.sqrt(252),
            "sharpe": r.mean() / sd * math.sqrt(252), "sortino": r.mean() / down * math.sqrt(252),
            "max_drawdown": mdd, "calmar": cagr / abs(mdd) if mdd < 0 else math.nan,
            "exposure": float(np.mean(exposure)), "turnover": sum(turnover) / years, "trades": trades,
            "win_rate": wins / closed if closed else math.nan,
        })
        holdings.append(target)
    return pd.DataFrame(rows), np.array(holdings)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", type=int, default=1000, help="parameter sets (a prefix of the 1,000-set grid)")
    ap.add_argument("--synthetic", action="store_true", help="random walks instead of ../shared/data")
    args = ap.parse_args()
    panel = synthetic_panel() if args.synthetic or not (DATA / "RUT.csv").is_file() else real_panel()
    fasts, slows = list(range(1, 21)), list(range(25, 275, 5))
    sets = [(f, s) for f in fasts for s in slows][: args.sets]
    grid_sets = sorted({f for f, _ in sets}), sorted({s for _, s in sets})
    values = {"a": "IWM", "b": "QQQ", "sa": "^RUT", "sb": "^NDX"}
    config = RunConfig(commission=COMMISSION, slippage=SLIPPAGE)
    print(f"data: {'synthetic' if args.synthetic else 'real ../shared/data'}, {panel.n:,} sessions loaded, "
          f"trading {panel.dates[start_row(panel, START)]} .. {panel.dates[-1]}; {len(sets):,} parameter sets")

    t0 = time.perf_counter()
    sweep(panel, "pair-switch", {"fast": ["2"], "slow": ["20"]}, values=values, config=config, start=START)
    compile_s = time.perf_counter() - t0

    grid = {"fast": [str(f) for f in grid_sets[0]], "slow": [str(s) for s in grid_sets[1]]}
    t0 = time.perf_counter()
    ours = sweep(panel, "pair-switch", grid, values=values, config=config, start=START, overfit=False)
    ours_s = time.perf_counter() - t0
    table = ours.table.filter(pl.struct("fast", "slow").is_in([{"fast": f, "slow": s} for f, s in sets]))

    t0 = time.perf_counter()
    ref, ref_hold = pandas_sweep(panel, sets, COMMISSION + SLIPPAGE)
    ref_s = time.perf_counter() - t0

    print(f"ours (vectorized signals + numba book): {ours_s:8.3f} s  (numba compile/warm-up {compile_s:.2f} s, not included)")
    print(f"pandas loop reference:                  {ref_s:8.3f} s")
    print(f"ratio: {ref_s / ours_s:,.1f}x faster")

    from rotation.backtest.run import window_targets
    from rotation.backtest.strategies import PairSwitch

    _, targets, _ = window_targets(panel, [PairSwitch(fast=f, slow=s) for f, s in sets], start_row(panel, START))
    our_hold = np.where(targets[:, :, 0] > 0, 0, np.where(targets[:, :, 1] > 0, 1, -1))
    same_pos = int((our_hold == ref_hold).all(axis=1).sum())
    print(f"positions identical in {same_pos:,} of {len(sets):,} sets")
    worst = 0.0
    for k in STAT_NAMES:
        a = table[k].to_numpy().astype(float)
        b = ref[k].to_numpy().astype(float)
        assert np.allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True), k
        both = ~(np.isnan(a) | np.isnan(b))
        if both.any():
            worst = max(worst, float(np.max(np.abs(a[both] - b[both]) / np.maximum(np.abs(b[both]), 1e-12))))
    assert same_pos == len(sets)
    print(f"all {len(STAT_NAMES)} statistics equal (largest relative difference {worst:.1e})")
    best = table.sort("sharpe", descending=True).row(0, named=True)
    print(f"best by Sharpe: fast={best['fast']} slow={best['slow']}: total return {best['total_return']:+.1%}, "
          f"Sharpe {best['sharpe']:.2f}, max drawdown {best['max_drawdown']:.1%}, {best['trades']} trades")


if __name__ == "__main__":
    main()
