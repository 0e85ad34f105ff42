"""The overfitting report of a sweep: deflated Sharpe ratio of its best set and PBO of its grid.

Both use Sharpe ratios (per period, of returns in excess of the daily risk-free
rate), whatever ``--by`` ranks the table on:

* the **DSR** of the best set by Sharpe, given every set's Sharpe ratio (their
  number and variance) and the best set's own skewness and kurtosis
  (:func:`rotation.backtest.overfit.deflated_sharpe`);
* the **PBO** by CSCV (:func:`rotation.backtest.overfit.pbo_cscv`), from the
  daily returns of the sets.  The sweep keeps statistics, not curves, so the
  returns of the sets are computed again here: all of them for a grid of up to
  :data:`PBO_MAX_SETS` sets; for a larger grid, :data:`PBO_MAX_SETS` sets evenly
  spaced in grid order plus the best set (a subsample, said in the result).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rotation.backtest.overfit import PBO_BLOCKS, DeflatedSharpe, Pbo, deflated_sharpe, pbo_cscv
from rotation.backtest.run import RunConfig, simulate_many
from rotation.backtest.stats import PERIODS, daily_returns
from rotation.backtest.strategies import Panel, Strategy

PBO_MAX_SETS = 256


@dataclass(frozen=True)
class SweepGuard:
    """``dsr`` of the best set (``best_set``, grid index) and ``pbo`` over ``pbo_sets`` sets
    (all of the grid, or a subsample: ``pbo_note`` says which); ``pbo`` is None when the
    window is too short for the CSCV blocks."""

    best_set: int
    dsr: DeflatedSharpe
    pbo: Pbo | None
    pbo_sets: int
    pbo_note: str

    def as_dict(self) -> dict[str, Any]:
        d = self.dsr

        def num(x: float) -> float | None:
            return None if not math.isfinite(x) else x

        return {
            "best_set": self.best_set,
            "deflated_sharpe": {
                "dsr": num(d.dsr), "sharpe_per_period": num(d.sharpe), "expected_max_sharpe": num(d.sr0),
                "sharpe_variance": num(d.var_sharpe), "trials": d.trials, "returns": d.n_obs,
                "skew": num(d.skew), "kurtosis": num(d.kurtosis),
            },
            "pbo": None if self.pbo is None else {
                "pbo": self.pbo.pbo, "splits": int(self.pbo.logits.size), "blocks": self.pbo.blocks,
                "sets": self.pbo.sets, "rows": self.pbo.rows, "median_logit": self.pbo.median_logit,
                "prob_oos_loss": self.pbo.prob_oos_loss,
            },
            "pbo_note": self.pbo_note,
        }

    def describe(self) -> str:
        d = self.dsr
        text = (f"deflated Sharpe ratio of set {self.best_set}: {d.dsr:.3f} (daily Sharpe {d.sharpe:.4f} against "
                f"{d.sr0:.4f} expected from the best of {d.trials:,} sets without skill)")
        if self.pbo is not None:
            text += (f"; probability of backtest overfitting {self.pbo.pbo:.3f} "
                     f"({self.pbo.logits.size:,} CSCV splits, {self.pbo_note})")
        else:
            text += f"; PBO: {self.pbo_note}"
        return text


def pbo_subsample(n: int, best: int, limit: int = PBO_MAX_SETS) -> np.ndarray:
    """Grid indices whose returns feed the PBO: all up to ``limit``, else ``limit`` evenly
    spaced ones and ``best``."""
    if n <= limit:
        return np.arange(n)
    idx = np.unique(np.round(np.linspace(0, n - 1, limit)).astype(np.int64))
    return np.union1d(idx, [best])


def returns_matrix(panel: Panel, first: int, params: Sequence[Strategy], configs: Sequence[RunConfig],
                   sets: np.ndarray) -> np.ndarray:
    """Daily returns in excess of the risk-free rate, ``[bar - 1, set]``, of the ``sets`` chosen."""
    out = np.full((panel.n - first - 1, len(sets)), np.nan)
    groups: dict[RunConfig, list[int]] = {}
    for col, i in enumerate(sets):
        groups.setdefault(configs[int(i)], []).append(col)
    for cfg, cols in groups.items():
        books = simulate_many(panel, [params[int(sets[c])] for c in cols], cfg, first)
        rf = (1.0 + cfg.risk_free) ** (1.0 / PERIODS) - 1.0
        out[:, cols] = (daily_returns(books.equity) - rf).T
    return out


def assess_sweep(panel: Panel, first: int, params: Sequence[Strategy], configs: Sequence[RunConfig],
                 sharpe: np.ndarray, limit: int = PBO_MAX_SETS, blocks: int = PBO_BLOCKS) -> SweepGuard:
    """DSR and PBO of a sweep whose sets have annualized Sharpe ratios ``sharpe`` (grid order)."""
    s = np.asarray(sharpe, dtype=np.float64)
    best = int(np.argmax(np.where(np.isfinite(s), s, -np.inf)))
    sets = pbo_subsample(len(params), best, limit)
    rets = returns_matrix(panel, first, params, configs, sets)
    dsr = deflated_sharpe(rets[:, int(np.searchsorted(sets, best))], s / math.sqrt(PERIODS))
    note = (f"all {len(params):,} sets" if len(sets) == len(params)
            else f"a subsample of {len(sets):,} of {len(params):,} sets, evenly spaced in grid order, with the best")
    pbo: Pbo | None = None
    defined = int(np.isfinite(s[sets]).sum())
    if len(sets) < 2:
        note = "needs at least two parameter sets"
    elif defined < 2:  # ranking sets that never moved against each other would give a number for nothing
        note = f"needs at least two parameter sets with a defined Sharpe ratio, got {defined}"
    elif rets.shape[0] < 2 * blocks:
        note = f"needs at least {2 * blocks} sessions in the window, got {rets.shape[0] + 1}"
    else:
        pbo = pbo_cscv(rets, blocks)
    return SweepGuard(best, dsr, pbo, len(sets), note)
