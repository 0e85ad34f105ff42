"""Benchmark: the tearsheet's statistics against QuantStats, side by side on real backtests.

Runs three strategies on the real files in ``../shared/data`` over their real windows
(pair-switch IWM/QQQ on ^RUT/^NDX, momentum and rrg over the nine sector SPDRs), takes
each equity curve's daily returns, and computes every statistic of
:data:`rotation.report.tearsheet.TEARSHEET_STATS` with ours
(:func:`rotation.report.tearsheet.tearsheet_stats`) and with QuantStats
(``quantstats.stats``: comp, cagr, volatility, sharpe, sortino, max_drawdown, calmar,
skew, kurtosis, best, worst, win_rate).  Prints the largest relative difference per
statistic, then the time of both for all statistics of all three curves (one run,
after a warm-up) and the ratio.  Needs the ``bench`` extra (``pip install
'rotation[bench]'``).

    .venv/bin/python bench/bench_stats_vs_quantstats.py
"""

from __future__ import annotations

import math
import time
import warnings
from pathlib import Path

import pandas as pd
import polars as pl

from rotation.backtest.run import RunConfig, run_backtest
from rotation.backtest.strategies import Panel, make_params
from rotation.report.tearsheet import TEARSHEET_STATS, tearsheet_stats

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SECTORS = ("XLB", "XLE", "XLF", "XLI", "XLK", "XLP", "XLU", "XLV", "XLY")
FILE = {"^RUT": "RUT", "^NDX": "NDX"}
RUNS = (
    ("pair-switch", {}),
    ("momentum", {"symbols": SECTORS, "top": 3}),
    ("rrg", {"symbols": SECTORS, "benchmark": "SPY"}),
)
QS = {  # ours -> quantstats.stats function
    "total_return": "comp", "cagr": "cagr", "volatility": "volatility", "sharpe": "sharpe",
    "sortino": "sortino", "max_drawdown": "max_drawdown", "calmar": "calmar", "skew": "skew",
    "kurtosis": "kurtosis", "best_day": "best", "worst_day": "worst", "win_days": "win_rate",
}


def panel(symbols: tuple[str, ...]) -> Panel:
    frames = [pl.read_csv(DATA / f"{FILE.get(s, s)}.csv", try_parse_dates=True).with_columns(pl.lit(s).alias("symbol"))
              for s in symbols]
    bars = pl.concat(frames, how="diagonal_relaxed")
    dates = bars["date"].unique().sort()
    mats = []
    for fld in ("open", "high", "low", "close", "adj_close"):
        wide = pl.DataFrame({"date": dates}).join(bars.pivot(on="symbol", index="date", values=fld), on="date",
                                                  how="left")
        mats.append(wide.select([pl.col(s).cast(pl.Float64).fill_null(float("nan")) for s in symbols]).to_numpy())
    return Panel(tuple(dates.to_list()), symbols, *mats)


def main() -> None:
    import quantstats as qs

    curves = []
    for name, values in RUNS:
        params = make_params(name, dict(values))
        res = run_backtest(panel(tuple(params.needs)), params, RunConfig(commission=0.0005))
        eq = res.equity["equity"].to_numpy()
        days = pd.DatetimeIndex(res.equity["date"].to_list())
        curves.append((name, res, pd.Series(eq[1:] / eq[:-1] - 1.0, index=days[1:]), res.equity["date"].to_list()))
        print(f"{name}: {res.window.describe()}")

    def ours() -> list[dict[str, float]]:
        return [tearsheet_stats(r.to_numpy(), d) for _, _, r, d in curves]

    def theirs() -> list[dict[str, float]]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [{k: float(getattr(qs.stats, f)(r)) for k, f in QS.items()} for _, _, r, _ in curves]

    a, b = ours(), theirs()  # warm-up
    t0 = time.perf_counter()
    a = ours()
    t1 = time.perf_counter()
    b = theirs()
    t2 = time.perf_counter()
    print(f"\n{'statistic':<14} {'largest relative difference':>28}   {'example (' + curves[0][0] + ')':>26}")
    worst = 0.0
    for s in TEARSHEET_STATS:
        if s.key not in QS:
            continue
        diffs = [abs(x[s.key] - y[s.key]) / max(abs(y[s.key]), 1e-300) for x, y in zip(a, b, strict=True)]
        worst = max(worst, *diffs)
        print(f"{s.key:<14} {max(diffs):>28.2e}   {a[0][s.key]:>12.6f} vs {b[0][s.key]:<12.6f}")
    print(f"\nours: {(t1 - t0) * 1e3:.2f} ms, QuantStats: {(t2 - t1) * 1e3:.2f} ms for {len(QS)} statistics x "
          f"{len(curves)} curves; ratio {(t2 - t1) / (t1 - t0):.1f}x")
    status = "all equal" if worst < 1e-9 else "DIFFERENT"
    print(f"tearsheet statistics vs QuantStats {qs.__version__}: {status} (largest relative difference {worst:.1e})")
    if not math.isfinite(worst) or worst >= 1e-9:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
