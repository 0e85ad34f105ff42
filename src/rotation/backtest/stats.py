"""Performance statistics of equity curves, vectorized over many curves at once.

Every function takes ``equity[run, bar]`` (a 1-D curve is one run) and returns
one value per run.  Returns are simple daily returns ``r[t] = E[t] / E[t-1] - 1``
(``n - 1`` of them for ``n`` bars); fractions throughout.

* ``total_return`` = ``E[-1] / E[0] - 1``
* ``cagr`` = ``(E[-1] / E[0]) ** (1 / years) - 1``, ``years`` = calendar days
  between the first and last date / 365.25
* ``volatility`` = ``std(r, ddof=1) * sqrt(252)``
* ``sharpe`` = ``mean(r - rf) / std(r, ddof=1) * sqrt(252)``, ``rf`` the daily
  rate of ``risk_free`` (annual, compounded over 252 sessions; default 0)
* ``sortino`` = ``mean(r - rf) / sqrt(mean(min(r - rf, 0) ** 2)) * sqrt(252)``
  (downside deviation over all returns, not only the negative ones)
* ``max_drawdown`` = ``min(E / running max(E) - 1)`` (<= 0)
* ``calmar`` = ``cagr / |max_drawdown|`` (NaN without a drawdown)
* ``exposure`` = mean invested fraction of equity at the close
* ``turnover`` = traded value / equity, both sides, summed and divided by
  ``years`` (a full switch from A to B is 2.0)
* ``trades`` = positions opened; ``win_rate`` = closed trades with a positive
  net return / closed trades (NaN with none closed)

A statistic that needs a spread of returns (volatility, Sharpe, Sortino) is NaN
with fewer than two returns or zero spread.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np

PERIODS = 252
STAT_NAMES: tuple[str, ...] = (
    "total_return", "cagr", "volatility", "sharpe", "sortino", "max_drawdown", "calmar",
    "exposure", "turnover", "trades", "win_rate",
)


def _2d(values: np.ndarray) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    return arr.reshape(1, -1) if arr.ndim == 1 else arr


def years_between(dates: Sequence[date]) -> float:
    """Calendar years from the first to the last date (365.25 days a year); 0 for < 2 dates."""
    if len(dates) < 2:
        return 0.0
    return (dates[-1] - dates[0]).days / 365.25


def daily_returns(equity: np.ndarray) -> np.ndarray:
    """``E[t] / E[t-1] - 1`` along the bars, ``[run, bar - 1]``."""
    eq = _2d(equity)
    with np.errstate(divide="ignore", invalid="ignore"):
        return eq[:, 1:] / eq[:, :-1] - 1.0


def total_return(equity: np.ndarray) -> np.ndarray:
    eq = _2d(equity)
    if eq.shape[1] == 0:
        return np.full(eq.shape[0], np.nan)
    return eq[:, -1] / eq[:, 0] - 1.0


def cagr(equity: np.ndarray, years: float) -> np.ndarray:
    total = total_return(equity)
    if years <= 0:
        return np.full_like(total, np.nan)
    with np.errstate(invalid="ignore"):
        return np.power(1.0 + total, 1.0 / years) - 1.0


def _daily_rf(risk_free: float) -> float:
    return (1.0 + risk_free) ** (1.0 / PERIODS) - 1.0


def _std(r: np.ndarray) -> np.ndarray:
    if r.shape[1] < 2:
        return np.full(r.shape[0], np.nan)
    sd = r.std(axis=1, ddof=1)
    return np.where(sd > 0, sd, np.nan)


def volatility(equity: np.ndarray) -> np.ndarray:
    return _std(daily_returns(equity)) * np.sqrt(PERIODS)


def sharpe(equity: np.ndarray, risk_free: float = 0.0) -> np.ndarray:
    r = daily_returns(equity) - _daily_rf(risk_free)
    if r.shape[1] < 2:
        return np.full(r.shape[0], np.nan)
    return r.mean(axis=1) / _std(r) * np.sqrt(PERIODS)


def sortino(equity: np.ndarray, risk_free: float = 0.0) -> np.ndarray:
    r = daily_returns(equity) - _daily_rf(risk_free)
    if r.shape[1] < 2:
        return np.full(r.shape[0], np.nan)
    down = np.sqrt(np.mean(np.minimum(r, 0.0) ** 2, axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(down > 0, r.mean(axis=1) / down * np.sqrt(PERIODS), np.nan)


def drawdown(equity: np.ndarray) -> np.ndarray:
    """``E / running max(E) - 1`` per bar (<= 0)."""
    eq = _2d(equity)
    return eq / np.maximum.accumulate(eq, axis=1) - 1.0


def max_drawdown(equity: np.ndarray) -> np.ndarray:
    eq = _2d(equity)
    if eq.shape[1] == 0:
        return np.full(eq.shape[0], np.nan)
    return drawdown(eq).min(axis=1)


def calmar(equity: np.ndarray, years: float) -> np.ndarray:
    mdd = max_drawdown(equity)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(mdd < 0, cagr(equity, years) / np.abs(mdd), np.nan)


def compute_stats(
    equity: np.ndarray,
    dates: Sequence[date],
    *,
    exposure: np.ndarray | None = None,
    turnover: np.ndarray | None = None,
    trades: np.ndarray | None = None,
    closed: np.ndarray | None = None,
    wins: np.ndarray | None = None,
    risk_free: float = 0.0,
) -> dict[str, np.ndarray]:
    """Every statistic of :data:`STAT_NAMES` for each run (arrays of length ``runs``)."""
    eq = _2d(equity)
    runs = eq.shape[0]
    years = years_between(dates)
    nan = np.full(runs, np.nan)
    out = {
        "total_return": total_return(eq),
        "cagr": cagr(eq, years),
        "volatility": volatility(eq),
        "sharpe": sharpe(eq, risk_free),
        "sortino": sortino(eq, risk_free),
        "max_drawdown": max_drawdown(eq),
        "calmar": calmar(eq, years),
        "exposure": _2d(exposure).mean(axis=1) if exposure is not None and eq.shape[1] else nan,
        "turnover": _2d(turnover).sum(axis=1) / years if turnover is not None and years > 0 else nan,
        "trades": np.asarray(trades, dtype=np.float64).reshape(-1) if trades is not None else nan,
    }
    if closed is not None and wins is not None:
        c = np.asarray(closed, dtype=np.float64).reshape(-1)
        w = np.asarray(wins, dtype=np.float64).reshape(-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["win_rate"] = np.where(c > 0, w / c, np.nan)
    else:
        out["win_rate"] = nan
    return out
