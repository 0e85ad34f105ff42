"""Walk-forward analysis: choose the best parameter set on a training window, trade it on
the test window after it, step forward, and stitch the test windows together.

Splits count sessions of the traded window (:mod:`rotation.backtest.window`):

* **rolling** (default): train on ``train`` sessions, test on the next ``test``;
  then move both forward by ``test`` (the test windows tile the history);
* **anchored**: the training window always starts at the window's start and grows
  by ``test`` sessions each split.

On each split the grid is swept over the training window (fresh from cash at
its start, exactly like ``rotation backtest sweep --from .. --to ..``) and the
best set by ``by`` is traded on the test window: the book starts in cash at the
close of the last training session, so the first test session trades on the
signal decided there, with only data up to it.  The out-of-sample curve chains
the test runs (each one's growth multiplied onto the last), and its statistics
sit beside the in-sample ones: the best set of one sweep over the same sessions
as the stitched curve, chosen in hindsight (what a user who skipped the
walk-forward would report).

``breakout`` (:mod:`rotation.backtest.breakout`) walks the same way through its own sweep
(:func:`rotation.backtest.breakout.sweep_breakout`, ranked by ``by``) and run; its splits
count the sessions of its window, where every traded symbol has a bar.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

import numpy as np
import polars as pl

from rotation.backtest import breakout
from rotation.backtest.run import BacktestResult, RunConfig, load_panel, run_backtest
from rotation.backtest.stats import STAT_NAMES, compute_stats
from rotation.backtest.strategies import Panel, make_params
from rotation.backtest.sweep import Executor, SweepResult, check_grid_windows, expand_grid, sweep
from rotation.backtest.window import Window, fit_window
from rotation.data.store import Store
from rotation.errors import ConfigError, DataError


@dataclass(frozen=True)
class Split:
    """One split: its windows, the set chosen on train (grid index and swept values), the
    ``by`` statistic of that set on train and on test."""

    train_start: date
    train_end: date
    test_start: date
    test_end: date
    best_set: int
    values: dict[str, Any]
    train_metric: float
    test_metric: float


@dataclass(frozen=True)
class WalkForward:
    """The splits, the stitched out-of-sample ``equity`` (``date, equity, split``) and its
    ``oos_stats``, and ``is_stats``/``is_values``: the best set in hindsight over the same sessions."""

    strategy: str
    by: str
    anchored: bool
    train: int
    test: int
    window: Window
    splits: tuple[Split, ...]
    oos_stats: dict[str, float]
    is_stats: dict[str, float]
    is_values: dict[str, Any]
    equity: pl.DataFrame = field(repr=False)

    @property
    def out_of_sample(self) -> tuple[date, date]:
        """The first and last sessions the stitched curve earns on: the first test session to the last.

        ``equity`` starts a row earlier, at 1.0 on the close of the first split's last training
        session (the book in cash, as a run's curve starts), which is in sample.
        """
        return self.equity["date"][1], self.equity["date"][-1]


def split_rows(sessions: int, train: int, test: int, anchored: bool = False) -> list[tuple[int, int, int]]:
    """``(train_first, train_last, test_last)`` rows (0 = the window's first session) of each split."""
    if train < 2 or test < 1:
        raise ConfigError(f"--train/--test: expected train >= 2 and test >= 1 sessions, got {train} and {test}")
    if sessions < train + 1:
        raise DataError(f"walk-forward needs more than --train {train} sessions, the window has {sessions}")
    out = []
    last_train = train - 1
    while last_train < sessions - 1:
        out.append((0 if anchored else last_train - train + 1, last_train, min(last_train + test, sessions - 1)))
        last_train += test
    return out


def _best(res: SweepResult, by: str) -> tuple[int, float]:
    row = res.top(1, by).row(0, named=True)
    return int(row["set"]), float(row[by]) if row[by] is not None else float("nan")


Part = tuple[np.ndarray, np.ndarray, np.ndarray, pl.DataFrame]


def _part(res: BacktestResult) -> Part:
    """A test run's curves (equity, exposure, turnover) and trades."""
    return (res.equity["equity"].to_numpy(), res.equity["exposure"].to_numpy(), res.equity["turnover"].to_numpy(),
            res.trades)


def _stitch(parts: Sequence[Part], oos_days: Sequence[date], risk_free: float) -> tuple[pl.DataFrame, dict[str, float]]:
    """The chained test runs (``date, equity, split``) and their statistics."""
    # chain the test runs: each starts at 1.0 on the last training session, the previous test's end
    eq, exp, turn, split_no = [1.0], [0.0], [0.0], [0]
    opened = closed = wins = 0
    for i, (e, x, t, trades) in enumerate(parts):
        eq.extend((eq[-1] * e[1:]).tolist())
        exp.extend(x[1:].tolist())
        turn.extend(t[1:].tolist())
        split_no.extend([i] * (e.size - 1))
        opened += trades.height
        done = trades.filter(pl.col("exit_date").is_not_null())
        closed += done.height
        wins += int((done["return"] > 0).sum())
    stats = compute_stats(np.array(eq), oos_days, exposure=np.array(exp), turnover=np.array(turn),
                          trades=np.array([opened]), closed=np.array([closed]), wins=np.array([wins]),
                          risk_free=risk_free)
    equity = pl.DataFrame({"date": pl.Series(list(oos_days), dtype=pl.Date), "equity": eq, "split": split_no})
    return equity, {k: float(v[0]) for k, v in stats.items()}


def walk_forward(panel: Panel, strategy: str, grid: Mapping[str, Sequence[Any]], *, train: int = 756,
                 test: int = 252, anchored: bool = False, by: str = "sharpe",
                 values: Mapping[str, Any] | None = None, config: RunConfig | None = None,
                 start: date | None = None, end: date | None = None,
                 executor: Executor | None = None) -> WalkForward:
    """Walk-forward analysis of ``grid`` over ``panel`` (see the module docstring); for
    ``breakout`` an ``executor`` runs its sweeps' chunks (``run``, as a ``DaskExecutor`` does)."""
    if by not in STAT_NAMES:
        raise ConfigError(f"--by: expected one of {', '.join(STAT_NAMES)}, got {by!r}")
    config = config or RunConfig()
    if strategy == "breakout":
        return _walk_breakout(panel, grid, train, test, anchored, by, values, config, start, end, executor)
    rows, params, configs = expand_grid(strategy, grid, values, config)
    check_grid_windows(panel, params[0], grid)
    panel, window = fit_window(panel, params[0], start, end)
    f = window.first
    days = panel.dates
    span = split_rows(window.sessions, train, test, anchored)
    splits: list[Split] = []
    parts: list[Part] = []
    for a, b, c in span:
        head = panel.head(f + b + 1)
        fit = sweep(head, strategy, grid, values=values, config=config, start=days[f + a], executor=executor,
                    overfit=False, check_windows=False)
        best, metric = _best(fit, by)
        res = run_backtest(panel.head(f + c + 1), params[best], configs[best], days[f + b])
        splits.append(Split(days[f + a], days[f + b], days[f + b + 1], days[f + c], best, rows[best], metric,
                            res.stats[by]))
        parts.append(_part(res))
    oos_days = days[f + span[0][1] : f + span[-1][2] + 1]
    equity, oos = _stitch(parts, oos_days, config.risk_free)
    # in sample: the best set in hindsight, from one sweep over the same sessions as the stitched curve
    whole = sweep(panel.head(f + span[-1][2] + 1), strategy, grid, values=values, config=config,
                  start=days[f + span[0][1]], executor=executor, overfit=False, check_windows=False)
    is_best, _ = _best(whole, by)
    is_row = whole.table.row(is_best, named=True)
    base = make_params(strategy, dict(values or {}))
    return WalkForward(base.name, by, anchored, train, test, window, tuple(splits), oos,
                       {k: float(is_row[k]) if is_row[k] is not None else float("nan") for k in STAT_NAMES},
                       rows[is_best], equity)


def _walk_breakout(panel: Panel, grid: Mapping[str, Sequence[Any]], train: int, test: int, anchored: bool, by: str,
                   values: Mapping[str, Any] | None, config: RunConfig, start: date | None, end: date | None,
                   executor: Any) -> WalkForward:
    """:func:`walk_forward` for ``breakout``: its sweep on each training window, its run on each test."""
    runner = cast(breakout.TaskRunner | None, executor)
    vals = dict(values or {})
    base = make_params("breakout", vals)
    plan = breakout.plan_sweep(panel, grid, values=vals, config=config, start=start, end=end)  # checks the grid
    days, window = plan.win.dates, plan.win.window
    assert window is not None
    row_of = {d: i for i, d in enumerate(panel.dates)}
    keys = list(grid)
    shape = tuple(len(grid[k]) for k in keys)

    def chosen(res: SweepResult) -> tuple[int, float, dict[str, Any]]:
        best, metric = _best(res, by)
        idx = np.unravel_index(best, shape) if keys else ()
        return best, metric, {k: grid[k][int(i)] for k, i in zip(keys, idx, strict=True)}

    def fit(first: int, last: int) -> SweepResult:  # the sweep over sessions first..last, with no bar after last
        return breakout.sweep_breakout(panel.head(row_of[days[last]] + 1), grid, values=vals, config=config,
                                       start=days[first], by=by, overfit=False, executor=runner, check_windows=False)

    span = split_rows(len(days), train, test, anchored)
    splits: list[Split] = []
    parts: list[Part] = []
    for a, b, c in span:
        best, metric, row = chosen(fit(a, b))
        params, run = breakout.grid_set(vals, config, row)  # swept run options (execution, costs) too
        res = breakout.run_breakout(panel.head(row_of[days[c]] + 1), params, run, days[b])
        splits.append(Split(days[a], days[b], days[b + 1], days[c], best, row, metric, res.stats[by]))
        parts.append(_part(res))
    equity, oos = _stitch(parts, days[span[0][1] : span[-1][2] + 1], config.risk_free)
    whole = fit(span[0][1], span[-1][2])
    is_best, _, is_values = chosen(whole)
    is_row = whole.table.filter(pl.col("set") == is_best).row(0, named=True)
    return WalkForward(base.name, by, anchored, train, test, window, tuple(splits), oos,
                       {k: float(is_row[k]) if is_row[k] is not None else float("nan") for k in STAT_NAMES},
                       is_values, equity)


def walk_forward_store(store: Store, strategy: str, grid: Mapping[str, Sequence[Any]], **kwargs: Any) -> WalkForward:
    """:func:`walk_forward` over bars loaded from ``store`` (the symbols the strategy needs)."""
    base = make_params(strategy, dict(kwargs.get("values") or {}))
    panel = load_panel(store, base.needs, kwargs.get("start"), kwargs.get("end"))
    return walk_forward(panel, strategy, grid, **kwargs)
