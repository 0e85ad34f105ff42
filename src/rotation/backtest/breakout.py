"""The ``breakout`` strategy: signal + stops runs and streaming sweeps over the store's bars.

A run (:func:`run_breakout`, :func:`backtest_breakout`), its window (:func:`bars`) and its
signals (:func:`entries`) are :mod:`rotation.backtest.breakout_run`'s, named here too.

* **Sweeps** stream: sets are evaluated in chunks; the table keeps every set up
  to :data:`KEEP_ALL` sets, beyond that only the ``top`` best by ``by``, with
  summary statistics (mean, standard deviation, skew, kurtosis, min, max) of
  every statistic over all sets.  A plan (:func:`plan_sweep`) states the
  bar-steps, memory and (after a pilot chunk) the time before the sweep runs,
  and a grid beyond :data:`MAX_BAR_STEPS` is refused unless ``force``.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

import numpy as np
import polars as pl

from rotation.backtest import signals
from rotation.backtest.breakout_run import Bars as Bars
from rotation.backtest.breakout_run import backtest_breakout as backtest_breakout
from rotation.backtest.breakout_run import bars as bars
from rotation.backtest.breakout_run import check_lookback, merge_config
from rotation.backtest.breakout_run import entries as entries
from rotation.backtest.breakout_run import run_breakout as run_breakout
from rotation.backtest.guard import SweepGuard, pbo_subsample
from rotation.backtest.overfit import (
    PBO_BLOCKS,
    DeflatedSharpe,
    deflated_sharpe,
    expected_max_sharpe,
    moments,
    pbo_cscv,
    probabilistic_sharpe,
)
from rotation.backtest.run import RunConfig
from rotation.backtest.stats import PERIODS, STAT_NAMES, daily_returns
from rotation.backtest.strategies import Breakout, Panel, coerce_value, make_params
from rotation.backtest.sweep import SweepResult, check_grid_windows
from rotation.errors import ConfigError

SIGNAL_KEYS: tuple[str, ...] = ("lookback", "side")
STOP_KEYS: tuple[str, ...] = ("stop", "target", "trail", "hold")
#: Run options a grid may sweep too (as the book's): each combination is its own kernel call.
RUN_KEYS: tuple[str, ...] = ("execution", "commission", "slippage")
CALL_KEYS = SIGNAL_KEYS + RUN_KEYS  # the keys one chunk holds fixed
#: A sweep beyond this many bar-steps (bars x sets x symbols) needs ``force``.
MAX_BAR_STEPS = 2_000_000_000_000
#: Up to this many sets the table keeps every set; beyond, the top ones and a summary.
KEEP_ALL = 200_000
CHUNK_SETS = 4096
TASKS_PER_SLOT = 4  # chunks per executor slot in a wave
MIN_TASK_SETS = 64  # sets: the smallest chunk sent to an executor
Progress = Callable[[int, int], None]


# -- sweeps -------------------------------------------------------------------------------
def _run_value(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if key == "execution":
        return value.strip()
    try:
        return float(value)
    except ValueError:
        raise ConfigError(f"--grid {key}: expected a number, got {value!r}") from None


def _grid_values(grid: Mapping[str, Sequence[Any]], base: Breakout, config: RunConfig) -> dict[str, list[Any]]:
    fields = {f.name: f for f in dataclasses.fields(Breakout)}
    out: dict[str, list[Any]] = {}
    for key, vals in grid.items():
        if key not in SIGNAL_KEYS + STOP_KEYS + RUN_KEYS:
            raise ConfigError(f"--grid {key}: a breakout sweep varies {', '.join(SIGNAL_KEYS + STOP_KEYS + RUN_KEYS)}")
        if not vals:
            raise ConfigError(f"--grid {key}: expected at least one value")
        if key in RUN_KEYS:
            parsed = [_run_value(key, v) for v in vals]
            for v in parsed:  # validated by the run configuration
                dataclasses.replace(config, **{key: v})
        else:
            parsed = [coerce_value(fields[key], v) if isinstance(v, str) else v for v in vals]
            for v in parsed:  # validate each value once through the dataclass
                dataclasses.replace(base, **{key: v})
        out[key] = parsed
    return out


def grid_set(values: Mapping[str, Any], config: RunConfig, row: Mapping[str, Any]) -> tuple[Breakout, RunConfig]:
    """One set of a grid as a single run: ``row`` holds its swept values (as given to the grid). A
    swept ``stop`` or ``trail`` replaces ``--stop``/``--trail``, as it does in the sweep."""
    p = make_params("breakout", {**values, **{k: v for k, v in row.items() if k not in RUN_KEYS}})
    assert isinstance(p, Breakout)
    cleared: dict[str, Any] = {k: None for k in ("stop", "trail") if k in row}
    config = dataclasses.replace(config, **cleared)
    return p, dataclasses.replace(config, **{k: _run_value(k, v) for k, v in row.items() if k in RUN_KEYS})


def _call(base: Breakout, config: RunConfig, grid: Mapping[str, Sequence[Any]], chosen: Mapping[str, int]
          ) -> tuple[Breakout, RunConfig]:
    """The signal parameters and run options of one chunk: ``chosen`` maps call keys to value indices."""
    p = dataclasses.replace(base, **{k: grid[k][j] for k, j in chosen.items() if k in SIGNAL_KEYS})
    return p, dataclasses.replace(config, **{k: grid[k][j] for k, j in chosen.items() if k in RUN_KEYS})


@dataclass(frozen=True)
class SweepPlan:
    """What a sweep will do, before it runs: ``sets``, ``bar_steps`` (bars x sets x symbols),
    ``memory`` (bytes it holds at once) and, after :meth:`pilot`, ``seconds`` (estimated)."""

    base: Breakout
    config: RunConfig
    win: Bars
    grid: dict[str, list[Any]]
    sets: int
    bar_steps: int
    memory: int
    seconds: float = math.nan
    rate: float = math.nan

    def pilot(self, sets: int = 64) -> SweepPlan:
        """Time a small chunk of the grid and extrapolate (compilation excluded)."""
        m = max(1, min(sets, self.sets))
        base, cost = merge_config(self.base, self.config)
        ent = entries(self.win, base.lookback, base.side)
        one = signals.StopSets.of(np.full(m, 0.05), np.full(m, 0.1))
        ex = self.config.execution
        signals.sweep_signals(self.win.prices, ent, signals.StopSets.of(0.05, 0.1), cost=cost, execution=ex)  # compile
        t0 = time.perf_counter()
        signals.sweep_signals(self.win.prices, ent, one, cost=cost, years=self.win.years, execution=ex)
        rate = m * self.win.prices.close.size / max(time.perf_counter() - t0, 1e-9)
        return dataclasses.replace(self, rate=rate, seconds=self.bar_steps / rate)

    def check(self, force: bool = False) -> None:
        """Refuse a grid beyond :data:`MAX_BAR_STEPS` unless ``force``."""
        if self.bar_steps > MAX_BAR_STEPS and not force:
            raise ConfigError(f"--grid: {self.sets:,} sets x {len(self.win.symbols)} symbols x {len(self.win.dates):,} "
                              f"bars = {self.bar_steps:.3g} bar-steps, more than the limit {MAX_BAR_STEPS:.3g}; "
                              "narrow the grid or pass --force")


def plan_sweep(panel: Panel, grid: Mapping[str, Sequence[Any]], *, values: Mapping[str, Any] | None = None,
               config: RunConfig | None = None, start: date | None = None, end: date | None = None,
               top: int = 10, check_windows: bool = True) -> SweepPlan:
    """The sweep of ``grid`` over ``panel`` from ``start``, planned (nothing runs); ``check_windows``:
    refuse a swept lookback longer than ``panel``, as a single run does (a walk-forward checks once
    on its whole panel, not on each training split's)."""
    config = config or RunConfig()
    base = make_params("breakout", dict(values or {}))
    assert isinstance(base, Breakout)
    merge_config(base, config)
    vals = _grid_values(grid, base, config)
    if check_windows:
        check_grid_windows(panel, base, grid)
    for ex in vals.get("execution", [config.execution]):  # a time stop of 0 bars cannot follow a close fill
        run = dataclasses.replace(config, execution=ex)
        merge_config(base, run)
        if 0 in vals.get("hold", ()):
            merge_config(dataclasses.replace(base, hold=0), run)  # the error naming hold
    sets = int(np.prod([len(v) for v in vals.values()])) if vals else 1
    win = bars(panel, base.symbols, start, end)
    if check_windows:
        try:
            check_lookback(win, max(vals.get("lookback", [base.lookback])))
        except ConfigError as exc:
            raise ConfigError(f"--grid: {exc}" if "lookback" in vals else str(exc)) from None
    n, k = win.prices.shape
    chunk = min(sets, CHUNK_SETS)
    kept = sets if sets <= KEEP_ALL else max(top, 100)
    memory = (6 * n * k * 8 + n * k  # prices, scan ranges, next-entry index, signals
              + chunk * (len(STAT_NAMES) + 2 * k) * 8  # one chunk's results
              + 64 * 4 * (n + 1) * 8  # per-thread buffers
              + kept * (len(STAT_NAMES) + len(vals) + 1) * 8)
    return SweepPlan(base, config, win, vals, sets, sets * n * k, memory)


@dataclass(frozen=True)
class StreamedSweep(SweepResult):
    """A :class:`SweepResult` whose ``table`` holds every set (``complete``) or, beyond
    :data:`KEEP_ALL` sets, the best ``len(table)`` by ``by``; ``summary[stat]`` has
    ``count, mean, std, skew, kurtosis, min, max`` over all ``sets``."""

    sets: int = 0
    complete: bool = True
    by: str = "sharpe"
    summary: dict[str, dict[str, float]] = field(default_factory=dict)
    bar_steps: int = 0
    seconds: float = 0.0


class _Moments:
    """Power sums of each statistic over sets (NaN skipped), mergeable chunk by chunk."""

    def __init__(self) -> None:
        z = np.zeros(len(STAT_NAMES))
        self.n, self.s1, self.s2, self.s3, self.s4 = z.copy(), z.copy(), z.copy(), z.copy(), z.copy()
        self.lo = np.full(len(STAT_NAMES), np.inf)
        self.hi = np.full(len(STAT_NAMES), -np.inf)

    def add(self, stats: np.ndarray) -> None:
        ok = np.isfinite(stats)
        x = np.where(ok, stats, 0.0)
        self.n += ok.sum(axis=0)
        self.s1 += x.sum(axis=0)
        self.s2 += (x * x).sum(axis=0)
        self.s3 += (x**3).sum(axis=0)
        self.s4 += (x**4).sum(axis=0)
        self.lo = np.minimum(self.lo, np.where(ok, stats, np.inf).min(axis=0))
        self.hi = np.maximum(self.hi, np.where(ok, stats, -np.inf).max(axis=0))

    def summary(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for i, name in enumerate(STAT_NAMES):
            n = self.n[i]
            if n == 0:
                out[name] = {"count": 0.0, **dict.fromkeys(("mean", "std", "skew", "kurtosis", "min", "max"), math.nan)}
                continue
            mean = self.s1[i] / n
            m2 = max(self.s2[i] / n - mean**2, 0.0)
            m3 = self.s3[i] / n - 3 * mean * self.s2[i] / n + 2 * mean**3
            m4 = self.s4[i] / n - 4 * mean * self.s3[i] / n + 6 * mean**2 * self.s2[i] / n - 3 * mean**4
            out[name] = {
                "count": float(n), "mean": mean,
                "std": math.sqrt(m2 * n / (n - 1)) if n > 1 else math.nan,
                "skew": m3 / m2**1.5 if m2 > 0 else math.nan,
                "kurtosis": m4 / m2**2 if m2 > 0 else math.nan,  # not excess: 3 for a normal
                "min": float(self.lo[i]), "max": float(self.hi[i]),
            }
        return out


def _top(ids: np.ndarray, stats: np.ndarray, col: int, keep: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``keep`` best rows by column ``col`` (NaN last; ties: lower set id first)."""
    if ids.shape[0] <= keep:
        return ids, stats
    key = np.where(np.isnan(stats[:, col]), -np.inf, stats[:, col])
    order = np.lexsort((ids, -key))[:keep]
    return ids[order], stats[order]


class TaskRunner(Protocol):
    """Runs ``fn(shared, *args)`` for each ``args`` of ``tasks`` (results in task order) on
    ``slots`` workers at once: :class:`rotation.backtest.distributed.DaskExecutor`."""

    @property
    def slots(self) -> int: ...

    def run(self, fn: Callable[..., Any], shared: Any, tasks: Sequence[tuple[Any, ...]]) -> list[Any]: ...


def chunk_stats(win: Bars, params: Breakout, sets: signals.StopSets, cost: float, risk_free: float,
                execution: str = "open") -> np.ndarray:
    """Statistics ``[set, statistic]`` of the stop sets ``sets`` under the signal of ``params``
    (the unit of work of a sweep on a :class:`TaskRunner`)."""
    return signals.sweep_signals(win.prices, entries(win, params.lookback, params.side), sets,
                                 side=1 if params.side == "long" else -1, cost=cost,
                                 conventions=signals.Conventions.named(params.conventions),
                                 years=win.years, risk_free=risk_free, execution=execution).stats


def run_plan(plan: SweepPlan, *, top: int = 10, by: str = "sharpe", progress: Progress | None = None,
             force: bool = False, chunk_sets: int = CHUNK_SETS, overfit: bool = True,
             device: str = "cpu", executor: TaskRunner | None = None) -> StreamedSweep:
    """Run a planned sweep chunk by chunk (``progress(done, total)`` after each); ``overfit``:
    add the deflated Sharpe ratio and PBO (:func:`_guard`); ``device="gpu"``: the CUDA
    kernel (:mod:`rotation.backtest.signals_gpu`); ``executor``: the chunks on its workers
    (about :data:`TASKS_PER_SLOT` per slot, at most ``chunk_sets`` sets each, in waves of that
    many tasks so that the results still stream; the table is the local one, the summary equal
    to rounding as its sums are taken chunk by chunk)."""
    if device not in ("cpu", "gpu"):
        raise ConfigError(f"--device: expected cpu or gpu, got {device!r}")
    evaluate: Callable[..., signals.SignalSweep] = signals.sweep_signals
    if device == "gpu":
        from rotation.backtest.signals_gpu import gpu_available, sweep_signals_gpu

        if executor is not None:
            raise ConfigError("--device gpu: runs in this process, not on Dask")
        if not gpu_available():
            raise ConfigError("--device gpu: no CUDA GPU found (numba.cuda.is_available() is False); "
                              "use --device cpu")
        evaluate = sweep_signals_gpu
    if by not in STAT_NAMES:
        raise ConfigError(f"--by: expected one of {', '.join(STAT_NAMES)}, got {by!r}")
    plan.check(force)
    t0 = time.perf_counter()
    base, _ = merge_config(plan.base, plan.config)
    keys = list(plan.grid)
    shape = tuple(len(plan.grid[k]) for k in keys)
    sig_pos = [i for i, k in enumerate(keys) if k in CALL_KEYS]
    stop_pos = [i for i, k in enumerate(keys) if k in STOP_KEYS]
    complete = plan.sets <= KEEP_ALL
    keep = max(top, 100)
    col = STAT_NAMES.index(by)
    tally = _Moments()
    all_stats = np.full((plan.sets if complete else 0, len(STAT_NAMES)), np.nan)
    best_ids, best_stats = np.zeros(0, dtype=np.int64), np.zeros((0, len(STAT_NAMES)))
    n_stop = int(np.prod([shape[i] for i in stop_pos])) if stop_pos else 1
    sh = STAT_NAMES.index("sharpe")
    best_sharpe, best_set = -np.inf, 0
    done = 0
    step = max(1, chunk_sets)
    if executor is not None:
        step = min(step, max(MIN_TASK_SETS, -(-plan.sets // (TASKS_PER_SLOT * executor.slots))))

    def chunks() -> Iterator[tuple[Breakout, RunConfig, np.ndarray, signals.StopSets]]:
        """(signal params, run options, grid ids, stop sets) of each chunk, in grid order."""
        for sig_idx in np.ndindex(*(shape[i] for i in sig_pos)):
            p, cfg = _call(base, plan.config, plan.grid, {keys[i]: j for i, j in zip(sig_pos, sig_idx, strict=True)})
            for lo in range(0, n_stop, step):
                flat = np.arange(lo, min(n_stop, lo + step))
                sub = np.unravel_index(flat, tuple(shape[i] for i in stop_pos)) if stop_pos else ()
                cols: dict[str, Any] = {k: getattr(p, k) for k in STOP_KEYS}
                for i, s in zip(stop_pos, sub, strict=True):
                    cols[keys[i]] = np.array([np.nan if v is None else v for v in plan.grid[keys[i]]], dtype=float)[s]
                hold = cols["hold"]
                sets = signals.StopSets.of(cols["stop"], cols["target"], cols["trail"], -1 if hold is None else hold)
                if sets.size == 1 and flat.size > 1:
                    sets = signals.StopSets.of(*(np.repeat(a, flat.size)
                                                 for a in (sets.stop, sets.target, sets.trail, sets.hold)))
                index: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * len(keys)
                for i, j in zip(sig_pos, sig_idx, strict=True):
                    index[i] = np.full(flat.size, j)
                for i, a in zip(stop_pos, sub, strict=True):
                    index[i] = np.asarray(a)
                ids = np.ravel_multi_index(tuple(index), shape) if keys else np.zeros(1, dtype=np.int64)
                yield p, cfg, ids, sets

    def take(ids: np.ndarray, stats: np.ndarray) -> None:
        nonlocal best_sharpe, best_set, best_ids, best_stats, done
        tally.add(stats)
        col_sh = np.where(np.isfinite(stats[:, sh]), stats[:, sh], -np.inf)
        at = int(np.argmax(col_sh))
        if col_sh[at] > best_sharpe or (col_sh[at] == best_sharpe and ids[at] < best_set):
            best_sharpe, best_set = float(col_sh[at]), int(ids[at])
        if complete:
            all_stats[ids] = stats
        else:
            best_ids, best_stats = _top(np.concatenate([best_ids, ids]), np.vstack([best_stats, stats]), col, keep)
        done += ids.size
        if progress is not None:
            progress(done, plan.sets)

    if executor is None:
        signal: tuple[tuple[int, str] | None, np.ndarray] = (None, np.zeros((0, 0), dtype=bool))
        for p, cfg, ids, sets in chunks():
            if signal[0] != (p.lookback, p.side):
                signal = ((p.lookback, p.side), entries(plan.win, p.lookback, p.side))
            res = evaluate(plan.win.prices, signal[1], sets, side=1 if p.side == "long" else -1, cost=cfg.cost,
                           conventions=signals.Conventions.named(p.conventions),
                           years=plan.win.years, risk_free=cfg.risk_free, execution=cfg.execution)
            take(ids, res.stats)
    else:
        wave: list[tuple[Breakout, RunConfig, np.ndarray, signals.StopSets]] = []
        for chunk in itertools.chain(chunks(), [None]):
            if chunk is not None:
                wave.append(chunk)
            if wave and (chunk is None or len(wave) == TASKS_PER_SLOT * executor.slots):
                out = executor.run(chunk_stats, plan.win, [(p, sets, cfg.cost, cfg.risk_free, cfg.execution)
                                                           for p, cfg, _, sets in wave])
                for (_, _, ids, _), stats in zip(wave, out, strict=True):
                    take(ids, stats)
                wave = []
    if complete:
        best_ids, best_stats = np.arange(plan.sets), all_stats
    table = _table(plan, keys, shape, best_ids, best_stats)
    summary = tally.summary()
    guard = (_guard(plan, keys, shape, best_set, all_stats[:, sh] if complete else None, summary["sharpe"])
             if overfit else None)
    return StreamedSweep("breakout", base, plan.config, plan.win.dates[0], plan.win.dates[-1],
                         {k: tuple(v) for k, v in plan.grid.items()}, table, plan.win.window, guard,
                         sets=plan.sets, complete=complete,
                         by=by, summary=summary, bar_steps=plan.bar_steps,
                         seconds=time.perf_counter() - t0)


def _variants(plan: SweepPlan, keys: list[str], shape: tuple[int, ...], ids: np.ndarray
              ) -> list[tuple[Breakout, RunConfig, np.ndarray, signals.StopSets]]:
    """The sets ``ids`` (grid indices) grouped by kernel call: (params, run options, ids, their stop sets)."""
    base, _ = merge_config(plan.base, plan.config)
    idx = np.unravel_index(ids, shape) if keys else ()
    groups: dict[tuple[int, ...], list[int]] = {}
    for row in range(len(ids)):
        groups.setdefault(tuple(int(idx[i][row]) for i, k in enumerate(keys) if k in CALL_KEYS), []).append(row)
    out = []
    sig_keys = [k for k in keys if k in CALL_KEYS]
    for sig, rows in groups.items():
        p, cfg = _call(base, plan.config, plan.grid, dict(zip(sig_keys, sig, strict=True)))
        cols: dict[str, Any] = {k: np.full(len(rows), np.nan if getattr(p, k) is None else getattr(p, k), dtype=float)
                                for k in STOP_KEYS}
        for i, k in enumerate(keys):
            if k in STOP_KEYS:
                vals = np.array([np.nan if v is None else v for v in plan.grid[k]], dtype=float)
                cols[k] = vals[idx[i][rows]]
        out.append((p, cfg, ids[rows], signals.StopSets.of(cols["stop"], cols["target"], cols["trail"], cols["hold"])))
    return out


def _guard(plan: SweepPlan, keys: list[str], shape: tuple[int, ...], best: int, sharpes: np.ndarray | None,
           summary: dict[str, float]) -> SweepGuard:
    """DSR of the best set by Sharpe and PBO (CSCV) over a subsample, as for the book's sweeps
    (:mod:`rotation.backtest.guard`); a streamed sweep's DSR uses the Sharpe moments of all sets."""
    ids = pbo_subsample(plan.sets, best)
    rets = np.full((len(plan.win.dates) - 1, len(ids)), np.nan)
    rf = (1.0 + plan.config.risk_free) ** (1.0 / PERIODS) - 1.0
    for p, cfg, sub, sets in _variants(plan, keys, shape, ids):
        res = signals.sweep_signals(plan.win.prices, entries(plan.win, p.lookback, p.side), sets,
                                    side=1 if p.side == "long" else -1, cost=cfg.cost,
                                    conventions=signals.Conventions.named(p.conventions), record=True,
                                    execution=cfg.execution)
        rets[:, np.searchsorted(ids, sub)] = (daily_returns(res.equity) - rf).T
    best_r = rets[:, int(np.searchsorted(ids, best))]
    if sharpes is not None:
        dsr = deflated_sharpe(best_r, sharpes / math.sqrt(PERIODS))
    else:
        sr, skew, kurt, t = moments(best_r)
        var = summary["std"] ** 2 / PERIODS if summary["count"] > 1 else 0.0
        sr0 = expected_max_sharpe(int(summary["count"]), var)
        dsr = DeflatedSharpe(sr, sr0, var, int(summary["count"]), t, skew, kurt,
                             probabilistic_sharpe(sr, sr0, t, skew, kurt))
    note = (f"all {plan.sets:,} sets" if len(ids) == plan.sets
            else f"a subsample of {len(ids):,} of {plan.sets:,} sets, evenly spaced in grid order, with the best")
    pbo = None
    if len(ids) < 2:
        note = "needs at least two parameter sets"
    elif rets.shape[0] < 2 * PBO_BLOCKS:
        note = f"needs at least {2 * PBO_BLOCKS} sessions in the window, got {rets.shape[0] + 1}"
    else:
        pbo = pbo_cscv(rets, PBO_BLOCKS)
    return SweepGuard(best, dsr, pbo, len(ids), note)


def _table(plan: SweepPlan, keys: list[str], shape: tuple[int, ...], ids: np.ndarray,
           stats: np.ndarray) -> pl.DataFrame:
    order = np.argsort(ids, kind="stable")
    ids, stats = ids[order], stats[order]
    table = pl.DataFrame({"set": pl.Series(ids, dtype=pl.Int64)})
    if keys:
        idx = np.unravel_index(ids, shape)
        for key, i in zip(keys, idx, strict=True):
            vals = [plan.grid[key][j] for j in i]
            dtype = pl.Utf8 if key in ("side", "execution") else (pl.Int64 if key in ("lookback", "hold") else pl.Float64)
            table = table.with_columns(pl.Series(key, vals, dtype=dtype))
    cols = [pl.Series(k, stats[:, i]) for i, k in enumerate(STAT_NAMES)]
    table = table.with_columns(*cols).with_columns(pl.col("trades").cast(pl.Int64))
    return table


def sweep_breakout(panel: Panel, grid: Mapping[str, Sequence[Any]], *, values: Mapping[str, Any] | None = None,
                   config: RunConfig | None = None, start: date | None = None, end: date | None = None,
                   top: int = 10, by: str = "sharpe", progress: Progress | None = None,
                   force: bool = False, overfit: bool = True, device: str = "cpu",
                   executor: TaskRunner | None = None, check_windows: bool = True) -> StreamedSweep:
    """:func:`plan_sweep` then :func:`run_plan`."""
    plan = plan_sweep(panel, grid, values=values, config=config, start=start, end=end, top=top,
                      check_windows=check_windows)
    return run_plan(plan, top=top, by=by, progress=progress, force=force, overfit=overfit, device=device,
                    executor=executor)
