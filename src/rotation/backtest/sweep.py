"""Parameter sweeps: a grid of parameter sets, evaluated in chunks on a local or Dask executor.

A grid maps parameter names to values (``{"fast": [1, 5, 10], "slow": [50, 100]}``);
the sweep evaluates the cartesian product, in the grid's order (the last key
varies fastest).  Strategy parameters and the run parameters ``execution``,
``commission``, ``slippage``, ``stop`` and ``trail`` can both be swept.

Work is cut into chunks of parameter sets that share one run configuration;
each chunk is one task: :func:`evaluate_chunk` computes the chunk's signals in
one vectorized call (one moving average per distinct window, and so on), runs
the numba book once per set, and returns the statistics as arrays.  An executor
maps that function over the chunks: :class:`LocalExecutor` in this process, or
:class:`rotation.backtest.distributed.DaskExecutor` on a Dask cluster.  Both run
the same function, and a set's statistics do not depend on the chunk it is in,
so their results are identical; the table keeps the grid order whatever order
the tasks finish in.

Chunk sizes (``chunk_size=None``): :data:`CHUNK_SIZE` sets per task through the
book (it holds ``[set, bar, symbol]`` arrays); on the fused pair-switch path
(no per-set arrays) the whole grid is one task in this process (up to
:data:`FUSED_CHUNK` sets), and on an executor with several ``slots`` tasks of about
:data:`FUSED_TASK_SETS` sets, a whole number of them per slot (at least 1, at most
:data:`FUSED_TASKS_PER_SLOT`), its sets ordered so that a task needs few distinct
moving-average windows.  A long-only pair-switch grid of ``fast`` and ``slow`` alone (no run
key swept) is a product of windows (:class:`_PairSets`: the base and the two keys' values;
no per-set list), cut into parts of the product (:func:`_grid_tasks`: every window of one key
by a share of the other's, dealt so that the parts cost alike), each one call of
:func:`rotation.backtest.fastbook.switch_grid_stats`; the set objects are built only if
something reads them (the overfitting report).  A grid that is valid as a whole is not
validated set by set (:func:`_expand`).
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import numpy as np
import polars as pl

from rotation.backtest import fastbook
from rotation.backtest.guard import SweepGuard, assess_sweep
from rotation.backtest.run import RunConfig, book_stats, check_signal_window, load_panel, simulate_many
from rotation.backtest.stats import STAT_NAMES
from rotation.backtest.strategies import PairSwitch, Panel, Strategy, coerce_value, make_params
from rotation.backtest.window import Window, fit_window
from rotation.data.store import Store
from rotation.errors import ConfigError, DataError

RUN_KEYS: tuple[str, ...] = ("execution", "commission", "slippage", "stop", "trail")
SYMBOL_KEYS: tuple[str, ...] = ("a", "b", "sa", "sb", "symbols", "benchmark")
CHUNK_SIZE = 128  # sets per task through the book
FUSED_CHUNK = 65_536  # sets per local task on the fused pair-switch path (statistics only)
FUSED_TASKS_PER_SLOT = 4  # at most this many fused tasks per executor slot (a slow worker does not hold the rest)
FUSED_TASK_SETS = 4096  # sets a fused task aims at: about 50 ms at 5,000 bars, well above a Dask round trip
MAX_SETS = 1_000_000

Task = tuple[Sequence[Strategy], RunConfig, int]  # the sets: a list, or a _PairSets


class Executor(Protocol):
    """Maps ``fn(panel, params, config, first)`` over tasks, results in task order;
    ``slots``: how many tasks it runs at once."""

    @property
    def slots(self) -> int: ...

    def map(self, fn: Callable[..., dict[str, np.ndarray]], panel: Panel,
            tasks: Sequence[Task]) -> list[dict[str, np.ndarray]]: ...


class LocalExecutor:
    """Runs every task here, one after another."""

    slots = 1

    def map(self, fn: Callable[..., dict[str, np.ndarray]], panel: Panel,
            tasks: Sequence[Task]) -> list[dict[str, np.ndarray]]:
        return [fn(panel, *task) for task in tasks]


@dataclass(frozen=True)
class SweepResult:
    """``table``: one row per parameter set (grid order): ``set``, the swept parameters,
    then the statistics of :data:`rotation.backtest.stats.STAT_NAMES`."""

    strategy: str
    base: Strategy
    config: RunConfig
    start: date
    end: date
    grid: dict[str, tuple[Any, ...]]
    table: pl.DataFrame
    window: Window | None = None
    guard: SweepGuard | None = None  # deflated Sharpe ratio and PBO (rotation.backtest.guard)

    def top(self, n: int = 10, by: str = "sharpe") -> pl.DataFrame:
        """The ``n`` best rows by ``by`` (descending; NaN last; ties keep grid order)."""
        if by not in self.table.columns:
            raise ConfigError(f"--by: expected one of {', '.join(STAT_NAMES)}, got {by!r}")
        # Higher is better for every statistic (drawdowns are <= 0, so -5% beats -30%).
        return self.table.sort(pl.col(by).fill_nan(None), descending=True, nulls_last=True,
                               maintain_order=True).head(n)


def _parse_values(key: str, text: str) -> list[str]:
    """``"1,5,10"`` or a range ``"20:200:10"`` (start:stop:step, stop included) -> strings."""
    text = text.strip()
    if ":" in text and "," not in text:
        parts = text.split(":")
        try:
            if len(parts) != 3:
                raise ValueError(text)
            nums = [float(p) for p in parts]
            if nums[2] <= 0 or nums[1] < nums[0]:
                raise ValueError(text)
            count = int(np.floor((nums[1] - nums[0]) / nums[2] + 1e-9)) + 1
            steps = [nums[0] + i * nums[2] for i in range(count)]
        except ValueError:
            raise ConfigError(f"--grid {key}: expected start:stop:step with step > 0, got {text!r}") from None
        whole = all(float(p).is_integer() for p in parts)
        return [str(round(v)) if whole else repr(round(v, 12)) for v in steps]
    values = [v.strip() for v in text.split(",") if v.strip()]
    if not values:
        raise ConfigError(f"--grid {key}: expected comma-separated values, got {text!r}")
    return values


def parse_grid(specs: Sequence[str]) -> dict[str, list[str]]:
    """``["fast=1,5,10", "slow=20:200:10"]`` -> ``{"fast": [...], "slow": [...]}`` (strings)."""
    grid: dict[str, list[str]] = {}
    for spec in specs:
        key, sep, text = spec.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise ConfigError(f"--grid: expected key=v1,v2,... got {spec!r}")
        if key in grid:
            raise ConfigError(f"--grid: {key} given twice")
        grid[key] = _parse_values(key, text)
    return grid


def _run_value(key: str, value: Any) -> Any:
    if key == "execution":
        return str(value)
    if isinstance(value, str) and value.strip().lower() in ("none", "off", ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key}: expected a number, got {value!r}") from None


def expand_grid(strategy: str, grid: Mapping[str, Sequence[Any]], values: Mapping[str, Any] | None = None,
                config: RunConfig | None = None) -> tuple[list[dict[str, Any]], list[Strategy], list[RunConfig]]:
    """The cartesian product: ``(rows of swept values, strategy params, run configs)``."""
    combos, sets, configs, _ = _expand(strategy, grid, values, config)
    params = list(sets)
    keys = list(grid)
    rows = [{k: grid[k][i] for k, i in zip(keys, combo, strict=True)} for combo in combos.tolist()]
    return rows, params, configs


def _expand(strategy: str, grid: Mapping[str, Sequence[Any]], values: Mapping[str, Any] | None,
            config: RunConfig | None) -> tuple[np.ndarray, Sequence[Strategy], list[RunConfig], Strategy]:
    """:func:`expand_grid` with the rows as value indices ``[set, key]`` (grid order, the last key
    fastest), and the base parameters (``values`` alone).  A grid that is valid as a whole is built without validating set by set: each run
    configuration once, and a pair-switch ``fast`` x ``slow`` grid checked on its extremes."""
    config = config or RunConfig()
    keys = list(grid)
    fixed = [k for k in keys if k in SYMBOL_KEYS]
    if fixed:
        raise ConfigError(f"--grid: {', '.join(fixed)} cannot be swept (one sweep trades one set of symbols)")
    sizes = [len(grid[k]) for k in keys]
    total = int(np.prod(sizes)) if keys else 1
    if total > MAX_SETS:
        raise ConfigError(f"--grid: {total:,} parameter sets is more than {MAX_SETS:,}")
    if any(s == 0 for s in sizes):
        raise ConfigError("--grid: every key needs at least one value")
    base = make_params(strategy, dict(values or {}))
    fields = {f.name: f for f in dataclasses.fields(base)}
    for k in keys:
        if k not in RUN_KEYS and k not in fields:
            raise ConfigError(f"strategy {strategy} has no parameter {k!r} (parameters: {', '.join(fields)})")
    # Parse each swept value once; every set is the validated base with its values replaced.
    parsed = {k: [(_run_value(k, v) if k in RUN_KEYS else
                   (coerce_value(fields[k], v) if isinstance(v, str) else v)) for v in grid[k]] for k in keys}
    combos = np.indices(sizes, dtype=np.int64).reshape(len(keys), total).T if keys else np.zeros((1, 0), np.int64)
    run_at = [i for i, k in enumerate(keys) if k in RUN_KEYS]
    strat_at = [i for i, k in enumerate(keys) if k not in RUN_KEYS]
    try:
        configs = _configs(config, [keys[i] for i in run_at], [parsed[keys[i]] for i in run_at], combos[:, run_at])
        params = _params(base, [keys[i] for i in strat_at], [parsed[keys[i]] for i in strat_at], combos[:, strat_at],
                         product=not run_at)
    except ConfigError:
        params, configs = _one_by_one(base, config, keys, grid, parsed, combos)  # names the first invalid set
    return combos, params, configs, base


def check_grid_windows(panel: Panel, base: Strategy, grid: Mapping[str, Sequence[Any]]) -> None:
    """A clear error when a swept signal window is longer than the data (as a single run's
    :func:`rotation.backtest.run.check_signal_window`): such sets could never trade, and would
    count as trials in the deflated Sharpe ratio.  Checked on the set with the largest windows."""
    fields = {f.name: f for f in dataclasses.fields(base)}
    largest: dict[str, Any] = {}
    for key, vals in grid.items():
        if key in fields and key not in RUN_KEYS:
            nums = [coerce_value(fields[key], v) if isinstance(v, str) else v for v in vals]
            if all(isinstance(v, int) and not isinstance(v, bool) for v in nums):
                largest[key] = max(nums)
    if not largest:
        return
    try:
        biggest = dataclasses.replace(base, **largest)
    except ConfigError:
        return  # no single set holds every maximum; each set's own run checks it
    try:
        check_signal_window(panel, biggest)
    except ConfigError as exc:
        raise ConfigError(f"--grid: {exc}") from None


def _configs(config: RunConfig, keys: list[str], parsed: list[list[Any]], combos: np.ndarray) -> list[RunConfig]:
    """The run configuration of each set: one validated object per distinct combination."""
    if not keys:
        return [config] * combos.shape[0]
    made: dict[tuple[int, ...], RunConfig] = {}
    out = []
    for combo in map(tuple, combos.tolist()):
        cfg = made.get(combo)
        if cfg is None:
            cfg = made[combo] = dataclasses.replace(config, **{k: parsed[i][c] for i, (k, c) in
                                                              enumerate(zip(keys, combo, strict=True))})
        out.append(cfg)
    return out


def _params(base: Strategy, keys: list[str], parsed: list[list[Any]], combos: np.ndarray, *,
            product: bool) -> Sequence[Strategy]:
    """The strategy parameters of each set (a :class:`ConfigError` when some set is invalid);
    ``product``: the grid is ``keys`` alone (no run key), its sets their product in order."""
    if not keys:
        return [base] * combos.shape[0]
    if product and isinstance(base, PairSwitch) and set(keys) <= {"fast", "slow"}:
        values = {k: parsed[i] for i, k in enumerate(keys)}
        fasts, slows = values.get("fast", [base.fast]), values.get("slow", [base.slow])
        PairSwitch.check_grid(base, fasts, slows, product=True)  # the distinct windows: every set of the product
        return _PairSets(base, fasts, slows, fast_major=keys[0] == "fast")
    return [dataclasses.replace(base, **{k: parsed[i][c] for i, (k, c) in enumerate(zip(keys, combo, strict=True))})
            for combo in combos.tolist()]


class _PairSets(Sequence[PairSwitch]):
    """The sets of a validated pair-switch ``fast`` x ``slow`` grid: ``base`` with every
    ``(fasts[i], slows[j])``, in grid order (``fast_major``: the slow window varies fastest, as
    when ``fast`` is the grid's first key).  A fused sweep reads only the windows (:attr:`fast`,
    :attr:`slow`; :func:`rotation.backtest.fastbook.switch_grid_stats`) and its tasks are parts of
    the product (:meth:`part`); a set object is built only when read (the overfitting report
    reads a few hundred of a million), all of them when iterated."""

    def __init__(self, base: PairSwitch, fasts: Sequence[Any], slows: Sequence[Any], fast_major: bool = True) -> None:
        self.base, self.fasts, self.slows, self.fast_major = base, list(fasts), list(slows), fast_major

    def __len__(self) -> int:
        return len(self.fasts) * len(self.slows)

    @property
    def fast(self) -> np.ndarray:
        """Each set's fast window, in order."""
        f = np.asarray(self.fasts, dtype=np.int64)
        return np.repeat(f, len(self.slows)) if self.fast_major else np.tile(f, len(self.slows))

    @property
    def slow(self) -> np.ndarray:
        """Each set's slow window, in order."""
        s = np.asarray(self.slows, dtype=np.int64)
        return np.tile(s, len(self.fasts)) if self.fast_major else np.repeat(s, len(self.fasts))

    def part(self, fi: np.ndarray, si: np.ndarray) -> tuple[_PairSets, np.ndarray]:
        """The sets of the fast windows ``fi`` x the slow windows ``si`` (indices), and their
        positions in this grid."""
        part = _PairSets(self.base, [self.fasts[i] for i in fi], [self.slows[j] for j in si], self.fast_major)
        major, minor, width = (fi, si, len(self.slows)) if self.fast_major else (si, fi, len(self.fasts))
        return part, (np.asarray(major, dtype=np.int64)[:, None] * width + np.asarray(minor)[None, :]).ravel()

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        j = operator.index(i)
        j += len(self) if j < 0 else 0
        if not 0 <= j < len(self):
            raise IndexError(f"set {i} of {len(self)}")
        f, s = divmod(j, len(self.slows)) if self.fast_major else divmod(j, len(self.fasts))[::-1]
        return PairSwitch.grid(self.base, [self.fasts[f]], [self.slows[s]])[0]

    def __iter__(self) -> Iterator[PairSwitch]:
        return iter(PairSwitch.grid(self.base, self.fast.tolist(), self.slow.tolist()))

    def __reduce__(self) -> tuple[Any, ...]:  # a task carries the windows, never the built sets
        return (_PairSets, (self.base, self.fasts, self.slows, self.fast_major))


def _one_by_one(base: Strategy, config: RunConfig, keys: list[str], grid: Mapping[str, Sequence[Any]],
                parsed: dict[str, list[Any]], combos: np.ndarray) -> tuple[list[Strategy], list[RunConfig]]:
    """Every set validated on its own, in grid order: the error names the first invalid set."""
    params, configs = [], []
    for combo in combos.tolist():
        strat_vals = {k: parsed[k][i] for k, i in zip(keys, combo, strict=True) if k not in RUN_KEYS}
        run_vals = {k: parsed[k][i] for k, i in zip(keys, combo, strict=True) if k in RUN_KEYS}
        try:
            params.append(dataclasses.replace(base, **strat_vals) if strat_vals else base)
            configs.append(dataclasses.replace(config, **run_vals) if run_vals else config)
        except ConfigError as exc:
            named = ", ".join(f"{k}={grid[k][i]}" for k, i in zip(keys, combo, strict=True))
            raise ConfigError(f"--grid: the set {named} is invalid: {exc}") from None
    return params, configs


def fused(params: Sequence[Strategy], config: RunConfig) -> bool:
    """Whether all of ``params`` under ``config`` take the fused pair-switch kernel: no stops, and
    the kernel's weights (all in the leader, nothing short; :func:`rotation.backtest.fastbook.fused`)."""
    return all(fastbook.fused(p, config) for p in params)


def evaluate_chunk(panel: Panel, params: Sequence[Strategy], config: RunConfig, first: int
                   ) -> dict[str, np.ndarray]:
    """Statistics of each parameter set of one chunk (the unit of work sent to an executor).

    Long-only pair-switch sets without stops take the fused kernel (:mod:`rotation.backtest.fastbook`:
    signal, book and statistics in one compiled loop, as their single runs); the rest the book per chunk.
    A :class:`_PairSets` chunk goes to the kernel on its windows without building its sets."""
    if isinstance(params, _PairSets):
        if fastbook.fused(params.base, config):
            grid = fastbook.switch_grid_stats(panel, params.base, params.fast, params.slow, first, config.execution,
                                              config.cost, config.risk_free, panel.dates[first:])
            if grid is not None:
                return grid
        params = list(params)
    fused = [i for i, p in enumerate(params) if fastbook.fused(p, config)]
    found = None
    if fused:
        sets = [p for p in (params if len(fused) == len(params) else [params[i] for i in fused])
                if isinstance(p, PairSwitch)]
        found = fastbook.pair_switch_stats(panel, sets, first, config.execution, config.cost, config.risk_free,
                                           panel.dates[first:])
    if found is not None and len(fused) == len(params):
        return found
    rest = [i for i in range(len(params)) if found is None or not fastbook.fused(params[i], config)]
    books = book_stats(simulate_many(panel, [params[i] for i in rest], config, first), panel.dates[first:],
                       config.risk_free)
    if found is None:
        return books
    out = {k: np.empty(len(params)) for k in STAT_NAMES}
    for k in STAT_NAMES:
        out[k][fused] = found[k]
        out[k][rest] = books[k]
    return out


def _by_windows(params: list[Strategy], members: list[int], parts: int = 1) -> list[list[int]]:
    """Pair-switch sets cut into ``parts`` runs that share few windows and cost alike: each in
    :func:`rotation.backtest.fastbook.window_order`, the window it is ordered by first dealt to the
    parts by :func:`_deal` over its sorted values (a part of 1/k of F fast x S slow values then
    needs about min(F, S) + max(F, S)/k moving averages, not F/k + S)."""
    pairs = [p for i in members if isinstance(p := params[i], PairSwitch)]  # fused sets: all of them
    fast = np.array([p.fast for p in pairs], dtype=np.int64)
    slow = np.array([p.slow for p in pairs], dtype=np.int64)
    order = fastbook.window_order(fast, slow)
    key = slow if fastbook.slow_first(fast, slow) else fast
    values = np.unique(key)
    if parts <= 1 or len(values) < parts:
        return [[members[j] for j in order]]
    owner = np.empty(len(values), dtype=np.int64)
    for k, idx in enumerate(_deal(len(values), parts)):
        owner[idx] = k
    part = owner[np.searchsorted(values, key)][order]
    by_part = order[np.argsort(part, kind="stable")]
    cuts = np.cumsum(np.bincount(part, minlength=parts))[:-1]
    return [[members[j] for j in run] for run in np.split(by_part, cuts) if len(run)]


def _fused_size(n: int, slots: int) -> int:
    """Sets per fused task on ``slots`` slots: tasks of about :data:`FUSED_TASK_SETS`, as many per
    slot on every slot (1 to :data:`FUSED_TASKS_PER_SLOT`), equal in size."""
    per_slot = min(FUSED_TASKS_PER_SLOT, max(1, -(-n // (FUSED_TASK_SETS * slots))))
    return max(1, -(-n // (per_slot * slots)))


def _deal(count: int, parts: int) -> list[np.ndarray]:
    """``0..count-1`` dealt to ``parts`` parts back and forth (0, 1, .., p-1, p-1, .., 0, ...): where
    a cost falls (or rises) along the windows, each part gets as much of it."""
    turn = np.arange(count) % (2 * parts)
    owner = np.where(turn < parts, turn, 2 * parts - 1 - turn)
    return [np.flatnonzero(owner == k) for k in range(parts)]


def _grid_tasks(sets: _PairSets, config: RunConfig, first: int, chunk_size: int | None,
                slots: int) -> tuple[list[Task], list[np.ndarray]]:
    """A long-only ``fast`` x ``slow`` grid as tasks of windows, each a part of the product
    (:meth:`_PairSets.part`, all the windows of one key by some of the other's): one task here
    (up to :data:`FUSED_CHUNK` sets), :func:`_fused_size` ones on a parallel executor.  The key
    with more distinct windows is dealt to the tasks by :func:`_deal` over its sorted values, so
    that the tasks cost alike (a short slow window trades more often), and each needs the other
    key's windows and 1/k of this one's."""
    n = len(sets)
    if slots <= 1:
        size = max(chunk_size or 0, FUSED_CHUNK)
    else:
        size = chunk_size or min(FUSED_CHUNK, _fused_size(n, slots))
    by_slow = fastbook.slow_first(sets.fasts, sets.slows)
    dealt, other = (sets.slows, sets.fasts) if by_slow else (sets.fasts, sets.slows)
    rest = np.arange(len(other))
    if size >= len(other):  # a task: whole runs of the other key for some of the dealt key's windows
        order = np.argsort(np.asarray(dealt, dtype=np.float64), kind="stable")
        parts = -(-n // size)  # tasks of about size sets (a run more at most), as many a slot
        parts = max(1, min(len(dealt), parts if slots <= 1 or chunk_size else -(-parts // slots) * slots))
        pieces = [(order[idx], rest) for idx in _deal(len(dealt), parts)]
    else:  # a task smaller than a run: one window of the dealt key, a slice of the other
        pieces = [(np.array([i]), rest[lo : lo + size]) for i in range(len(dealt)) for lo in range(0, len(other), size)]
    tasks: list[Task] = []
    index: list[np.ndarray] = []
    for mine, others in pieces:
        part, at = sets.part(others, mine) if by_slow else sets.part(mine, others)
        tasks.append((part, config, first))
        index.append(at)
    return tasks, index


def _tasks(params: list[Strategy], configs: list[RunConfig], first: int, chunk_size: int | None,
           slots: int) -> tuple[list[Task], list[np.ndarray]]:
    groups: dict[RunConfig, list[int]] = {}
    if all(cfg is configs[0] for cfg in configs):  # nothing of the run swept: one group, no hashing
        groups[configs[0]] = list(range(len(configs)))
    else:
        for i, cfg in enumerate(configs):
            groups.setdefault(cfg, []).append(i)
    tasks: list[Task] = []
    index: list[np.ndarray] = []
    for cfg, members in groups.items():
        size = chunk_size or CHUNK_SIZE
        runs = [members]
        if fused([params[i] for i in members], cfg):
            if slots <= 1:
                size = max(size, FUSED_CHUNK)  # one task: the kernel's prange spreads it over the cores
            elif chunk_size is None:  # dealt into parts that cost alike, as many a slot: a part a task
                size = min(FUSED_CHUNK, _fused_size(len(members), slots))
                runs = _by_windows(params, members, -(-len(members) // size))
                size = max(map(len, runs)) if len(runs) > 1 else size  # too few windows to deal: runs of size
            else:
                runs = _by_windows(params, members)
        for run in runs:
            for lo in range(0, len(run), size):
                idx = run[lo : lo + size]
                tasks.append(([params[i] for i in idx], cfg, first))
                index.append(np.asarray(idx, dtype=np.int64))
    return tasks, index


def _column(values: list[Any]) -> pl.Series:
    """Swept values as a typed column: whole numbers, numbers (``none`` -> null), else text."""
    texts = [str(v).strip() for v in values]
    if all(t.lstrip("-").isdigit() for t in texts):
        return pl.Series([int(t) for t in texts], dtype=pl.Int64)
    try:
        return pl.Series([None if t.lower() in ("none", "off") else float(t) for t in texts], dtype=pl.Float64)
    except ValueError:
        return pl.Series(texts, dtype=pl.Utf8)


def sweep(panel: Panel, strategy: str, grid: Mapping[str, Sequence[Any]], *,
          values: Mapping[str, Any] | None = None, config: RunConfig | None = None, start: date | None = None,
          end: date | None = None, executor: Executor | None = None, chunk_size: int | None = None,
          overfit: bool = True, check_windows: bool = True) -> SweepResult:
    """Evaluate every parameter set of ``grid`` over ``panel`` from ``start`` to ``end`` (inside
    the window where the strategy's symbols have data, :func:`rotation.backtest.window.fit_window`);
    ``chunk_size``: sets per task (``None``: see the module docstring); ``overfit``: add the
    deflated Sharpe ratio and PBO of the grid (:mod:`rotation.backtest.guard`); ``check_windows``:
    refuse a swept signal window longer than ``panel`` (:func:`check_grid_windows`; a walk-forward
    checks once on its whole panel, not on each training split's)."""
    if chunk_size is not None and (not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1):
        raise ConfigError(f"chunk size: expected a whole number of parameter sets >= 1, got {chunk_size!r}")
    config = config or RunConfig()
    combos, sets, configs, base = _expand(strategy, grid, values, config)
    if check_windows:
        check_grid_windows(panel, base, grid)
    panel, window = fit_window(panel, base, start, end)  # every set trades base's symbols
    first = window.first
    if panel.n - first < 2:
        raise DataError(f"a backtest needs at least two sessions in the window, got {panel.n - first}")
    executor = executor or LocalExecutor()
    slots = int(getattr(executor, "slots", 1))  # an executor from before slots: one at a time
    size = None if chunk_size is None else int(chunk_size)
    params: Sequence[Strategy] = sets
    if isinstance(sets, _PairSets) and fastbook.fused(base, config) and configs.count(config) == len(configs):
        tasks, index = _grid_tasks(sets, config, first, size, slots)  # windows only, no set objects
    else:
        params = list(sets)
        tasks, index = _tasks(params, configs, first, size, slots)
    results = executor.map(evaluate_chunk, panel, tasks)
    stats = {k: np.full(len(params), np.nan) for k in STAT_NAMES}
    for idx, res in zip(index, results, strict=True):
        for k in STAT_NAMES:
            stats[k][idx] = res[k]
    table = pl.DataFrame([
        pl.Series("set", np.arange(len(sets)), dtype=pl.Int64),
        *(_column(list(values_)).gather(combos[:, i]).alias(key) for i, (key, values_) in enumerate(grid.items())),
        *(pl.Series(k, stats[k]) if k != "trades" else pl.Series(k, stats[k]).cast(pl.Int64) for k in STAT_NAMES),
    ])
    guard = assess_sweep(panel, first, params, configs, stats["sharpe"]) if overfit else None  # reads a subsample
    return SweepResult(strategy, base, config, panel.dates[first], panel.dates[-1],
                       {k: tuple(v) for k, v in grid.items()}, table, window, guard)


def sweep_store(store: Store, strategy: str, grid: Mapping[str, Sequence[Any]], *,
                values: Mapping[str, Any] | None = None, config: RunConfig | None = None,
                start: date | None = None, end: date | None = None, executor: Executor | None = None,
                chunk_size: int | None = None, overfit: bool = True) -> SweepResult:
    """:func:`sweep` over bars loaded from ``store`` (the symbols the strategy needs)."""
    base = make_params(strategy, dict(values or {}))
    panel = load_panel(store, base.needs, start, end)
    return sweep(panel, strategy, grid, values=values, config=config, start=start, end=end, executor=executor,
                 chunk_size=chunk_size, overfit=overfit)
