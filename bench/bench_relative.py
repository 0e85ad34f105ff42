"""Benchmark: RRG and rotation-event statistics, vectorized (numpy + numba) vs plain pandas.

Synthetic panel: ``--symbols`` random-walk price series (default 3,000) over ``--days``
sessions (default 5,000) plus one benchmark, with a few holes.  Both sides compute the
same math, in the same run:

* RRG (daily defaults: window 63, smooth 5, momentum 10): RS-Ratio, RS-Momentum,
  quadrant codes, heading (see ``rotation.analytics.rrg``);
* rotation events of every symbol against the benchmark (1-day window): return spread,
  expanding and whole-history direction ranks, counts and percentiles, trailing z-score
  (see ``rotation.analytics.events``).

Prints each side's time, the ratio, and each side's peak memory above the process's
resident set before it starts (the kernel's peak-RSS mark, reset through
``/proc/self/clear_refs`` before each side; tracemalloc would miss numba's allocations),
then asserts the results agree: ``np.allclose`` for values; ranks, counts and quadrants
exactly; headings as angles (mod 360) wherever the step is not vanishingly small, since
the direction of a ~1e-12 step is noise in either implementation.

    .venv/bin/python bench/bench_relative.py            # 3,000 x 5,000
    .venv/bin/python bench/bench_relative.py --small    # 300 x 1,500, a few seconds
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rotation.analytics.events import event_arrays
from rotation.analytics.rrg import FFILL_LIMIT, RrgParams, headings, quadrant_codes, rrg_arrays

Z_WINDOW = 252


def synthetic_panel(n_sym: int, n_days: int, seed: int = 42) -> tuple[np.ndarray, np.ndarray]:
    """``prices [day, symbol]`` and ``bench [day]``: correlated random walks with late starts and holes."""
    rng = np.random.default_rng(seed)
    market = rng.normal(0.0003, 0.011, n_days)
    beta = rng.uniform(0.5, 1.5, n_sym)
    noise = rng.normal(0.0, 0.015, (n_days, n_sym))
    prices = 50.0 * np.exp(np.cumsum(market[:, None] * beta + noise, axis=0))
    bench = 400.0 * np.exp(np.cumsum(market))
    starts = rng.integers(0, n_days // 3, n_sym)  # listings spread over the first third
    prices[np.arange(n_days)[:, None] < starts] = np.nan
    holes = rng.random((n_days, n_sym)) < 0.0005  # vendor holes of one day
    prices[holes] = np.nan
    return prices, bench


def vectorized(prices: np.ndarray, bench: np.ndarray, params: RrgParams) -> dict[str, np.ndarray]:
    ratio, mom = rrg_arrays(prices, bench, params)
    out = {"rs_ratio": ratio, "rs_momentum": mom, "quadrant": quadrant_codes(ratio, mom),
           "heading": headings(ratio, mom)}
    ev = event_arrays(prices, np.broadcast_to(bench[:, None], prices.shape), 1, Z_WINDOW)
    out.update({k: ev[k] for k in ("spread", "rank", "count", "percentile", "rank_all", "count_all",
                                   "percentile_all", "zscore")})
    return out


def pandas_baseline(prices: np.ndarray, bench: np.ndarray, params: RrgParams) -> dict[str, np.ndarray]:
    """The same math written the obvious way with pandas DataFrame methods."""
    p = pd.DataFrame(prices)
    b = pd.Series(bench)
    # RRG
    x = np.log(p.ffill(limit=FFILL_LIMIT).div(b.ffill(limit=FFILL_LIMIT), axis=0))
    mean = x.rolling(params.window).mean()
    std = x.rolling(params.window).std()
    z = ((x - mean) / std).where(std > 0, 0.0).where(std.notna())
    ratio = 100 + z.rolling(params.smooth).mean()
    mom = 100 + ratio - ratio.shift(params.momentum)
    quadrant = np.select(
        [ratio.isna() | mom.isna(), (ratio >= 100) & (mom >= 100), ratio >= 100, mom >= 100], [-1, 0, 1, 3], 2
    )
    heading = np.mod(np.degrees(np.arctan2(mom.diff(), ratio.diff())), 360.0)
    # events: each symbol against the benchmark
    ra = p / p.shift(1) - 1
    rb = b / b.shift(1) - 1
    spread = ra.sub(rb, axis=0)
    out: dict[str, Any] = {"rs_ratio": ratio, "rs_momentum": mom, "quadrant": quadrant, "heading": heading,
                           "spread": spread}
    parts: dict[str, list[pd.DataFrame]] = {k: [] for k in ("rank", "count", "percentile", "rank_all",
                                                             "count_all", "percentile_all")}
    for side in (spread.where(spread > 0), (-spread).where(spread < 0)):
        count = side.expanding().count().where(side.notna())
        parts["rank"].append(side.expanding().rank(method="min", ascending=False))
        parts["count"].append(count)
        parts["percentile"].append(side.expanding().rank(method="max") / count)
        total = side.count()
        parts["rank_all"].append(side.rank(method="min", ascending=False))
        parts["count_all"].append(side.notna() * total)
        parts["percentile_all"].append(side.rank(method="max") / total)
    up = spread > 0
    down = spread < 0
    for key, (pos, neg) in parts.items():
        out[key] = pos.where(up, neg.where(down))
    prior = spread.shift(1)
    pm = prior.rolling(Z_WINDOW).mean()
    ps = prior.rolling(Z_WINDOW).std()
    out["zscore"] = ((spread - pm) / ps).where(ps > 0)
    return {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_rss_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mib() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(fn: Callable[[], dict[str, np.ndarray]]) -> tuple[dict[str, np.ndarray], float, float, float]:
    """Result, wall seconds, CPU seconds, peak RSS above the start (MiB; NaN if it cannot be reset)."""
    gc.collect()
    base = _rss_mib()
    ok = _reset_peak()
    t0, c0 = time.perf_counter(), time.process_time()
    result = fn()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return result, seconds, cpu, (_peak_rss_mib() - base) if ok else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=3000)
    parser.add_argument("--days", type=int, default=5000)
    parser.add_argument("--small", action="store_true", help="300 symbols x 1,500 days")
    args = parser.parse_args()
    n_sym, n_days = (300, 1500) if args.small else (args.symbols, args.days)
    prices, bench = synthetic_panel(n_sym, n_days)
    params = RrgParams.for_freq("daily")
    # compile the numba kernel outside the timing (cached on disk after the first run)
    vectorized(prices[:300, :2], bench[:300], params)
    print(f"panel: {n_sym:,} symbols x {n_days:,} days ({prices.size:,} prices); RRG daily "
          f"window={params.window} smooth={params.smooth} momentum={params.momentum}; events 1d, z window {Z_WINDOW}")
    fast, t_fast, c_fast, rss_fast = measure(lambda: vectorized(prices, bench, params))
    print(f"vectorized (numpy + numba): {t_fast:8.2f} s wall {c_fast:8.2f} s CPU   peak memory +{rss_fast:,.0f} MiB")
    slow, t_slow, c_slow, rss_slow = measure(lambda: pandas_baseline(prices, bench, params))
    print(f"pandas baseline:            {t_slow:8.2f} s wall {c_slow:8.2f} s CPU   peak memory +{rss_slow:,.0f} MiB")
    memory = f"; peak memory {rss_slow / rss_fast:.1f}x lower" if rss_fast > 0 else ""
    print(f"speed-up: {t_slow / t_fast:.1f}x wall, {c_slow / c_fast:.1f}x CPU{memory}")
    compare(fast, slow)


def compare(fast: dict[str, np.ndarray], slow: dict[str, np.ndarray]) -> None:
    """Assert both sides computed the same numbers (see the module docstring)."""
    for key in fast:
        a, b = np.asarray(fast[key], dtype=np.float64), slow[key]
        if key in ("quadrant", "rank", "count", "rank_all", "count_all"):
            assert np.array_equal(a, b, equal_nan=True), f"{key} differs"
        elif key == "heading":
            assert np.array_equal(np.isnan(a), np.isnan(b)), "heading: missing values differ"
            step = np.hypot(np.diff(fast["rs_ratio"], axis=0), np.diff(fast["rs_momentum"], axis=0))
            sure = np.zeros(a.shape, dtype=bool)
            sure[1:] = step > 1e-9
            gap = np.abs(np.mod(a - b + 180.0, 360.0) - 180.0)
            assert np.allclose(gap[sure & ~np.isnan(a)], 0.0, atol=1e-6), "heading differs"
        else:
            assert np.allclose(a, b, rtol=1e-7, atol=1e-9, equal_nan=True), f"{key} differs"
    print(f"results identical: {len(fast)} arrays checked (np.allclose; ranks, counts, quadrants exactly)")


if __name__ == "__main__":
    main()
