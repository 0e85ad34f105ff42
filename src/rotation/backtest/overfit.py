"""Overfitting guards for a parameter sweep: the deflated Sharpe ratio and the probability
of backtest overfitting.  Pure functions of Sharpe ratios and return matrices.

**Deflated Sharpe ratio** (Bailey & Lopez de Prado, "The Deflated Sharpe Ratio", 2014).
All Sharpe ratios here are *per period* (daily, not annualized).  With ``N``
parameter sets tried, ``V`` the variance of their Sharpe ratios, ``gamma`` the
Euler-Mascheroni constant and ``Z`` the standard normal quantile, the Sharpe
ratio the best of ``N`` unskilled sets is expected to reach is

    SR0 = sqrt(V) * ((1 - gamma) * Z(1 - 1/N) + gamma * Z(1 - 1/(N e)))

and the DSR of the best set (Sharpe ``SR``, ``T`` returns, skewness ``g3`` and
kurtosis ``g4``, not excess) is its probabilistic Sharpe ratio against SR0:

    DSR = Phi((SR - SR0) * sqrt(T - 1) / sqrt(1 - g3 * SR + (g4 - 1) / 4 * SR^2))

the probability that the true Sharpe ratio is above zero after the selection
among ``N`` tries.  It falls as ``N`` or ``V`` rises.

**Probability of backtest overfitting** by combinatorially symmetric
cross-validation (Bailey, Borwein, Lopez de Prado & Zhu, "The Probability of
Backtest Overfitting", 2017).  The ``T x N`` matrix of per-set returns is cut
into ``S`` (even) blocks of consecutive rows.  For every one of the
``C(S, S/2)`` ways to pick half of the blocks as the training set (the rest is
the test set), the set with the best training Sharpe ratio is found and its
test Sharpe ratio ranked among all ``N`` (``rank`` 1 = worst); with
``w = rank / (N + 1)`` the logit is ``ln(w / (1 - w))``.  PBO is the share of
splits whose logit is ``<= 0``: how often the in-sample best is at or below the
median out of sample.  About 0.5 for sets without skill, near 0 when one set
truly dominates.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

EULER_GAMMA = 0.5772156649015329
PBO_BLOCKS = 16  # S: C(16, 8) = 12,870 splits
_N = NormalDist()


def expected_max_sharpe(n_trials: int, var_sharpe: float) -> float:
    """SR0: the Sharpe ratio the best of ``n_trials`` unskilled sets is expected to reach."""
    if n_trials < 2 or not var_sharpe > 0:
        return 0.0
    q1 = _N.inv_cdf(1.0 - 1.0 / n_trials)
    q2 = _N.inv_cdf(1.0 - 1.0 / (n_trials * math.e))
    return math.sqrt(var_sharpe) * ((1.0 - EULER_GAMMA) * q1 + EULER_GAMMA * q2)


def probabilistic_sharpe(sharpe: float, benchmark: float, n_obs: int, skew: float, kurtosis: float) -> float:
    """PSR: probability that the true (per-period) Sharpe ratio exceeds ``benchmark``."""
    var = 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    if n_obs < 2 or not var > 0 or not math.isfinite(sharpe):
        return math.nan
    return _N.cdf((sharpe - benchmark) * math.sqrt(n_obs - 1) / math.sqrt(var))


def moments(returns: np.ndarray) -> tuple[float, float, float, int]:
    """``(sharpe, skew, kurtosis, T)`` of one return series: per-period Sharpe (ddof=1),
    population skewness and kurtosis (not excess), as the DSR formula uses them."""
    r = np.asarray(returns, dtype=np.float64)
    r = r[np.isfinite(r)]
    if r.size < 3:
        return math.nan, math.nan, math.nan, int(r.size)
    sd = r.std(ddof=1)
    d = r - r.mean()
    m2 = float(np.mean(d**2))
    if not sd > 0 or not m2 > 0:
        return math.nan, math.nan, math.nan, int(r.size)
    return float(r.mean() / sd), float(np.mean(d**3) / m2**1.5), float(np.mean(d**4) / m2**2), int(r.size)


@dataclass(frozen=True)
class DeflatedSharpe:
    """DSR of the best of ``trials`` sets: per-period ``sharpe`` of the best, ``sr0`` the
    expected best Sharpe without skill, ``var_sharpe`` across the sets, the best set's
    ``skew``/``kurtosis`` over ``n_obs`` returns, and ``dsr`` (a probability)."""

    sharpe: float
    sr0: float
    var_sharpe: float
    trials: int
    n_obs: int
    skew: float
    kurtosis: float
    dsr: float


def deflated_sharpe(best_returns: np.ndarray, sharpes: np.ndarray) -> DeflatedSharpe:
    """DSR of the set with returns ``best_returns``, chosen among sets of per-period Sharpe ``sharpes``."""
    sr, skew, kurt, t = moments(best_returns)
    s = np.asarray(sharpes, dtype=np.float64)
    s = s[np.isfinite(s)]
    var = float(s.var(ddof=1)) if s.size > 1 else 0.0
    sr0 = expected_max_sharpe(int(s.size), var)
    return DeflatedSharpe(sr, sr0, var, int(s.size), t, skew, kurt, probabilistic_sharpe(sr, sr0, t, skew, kurt))


@dataclass(frozen=True)
class Pbo:
    """CSCV result: ``pbo``, the ``logits`` of every split, ``blocks`` (S), ``sets`` (N)
    and ``rows`` (T used: a whole number of rows per block), plus the median logit and
    the share of splits whose in-sample best lost money out of sample."""

    pbo: float
    logits: np.ndarray
    blocks: int
    sets: int
    rows: int
    median_logit: float
    prob_oos_loss: float


def _sharpe_from_sums(s1: np.ndarray, s2: np.ndarray, n: int) -> np.ndarray:
    mean = s1 / n
    var = (s2 - n * mean**2) / (n - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = mean / np.sqrt(var)
    return np.where(var > 1e-300, out, np.nan)


def pbo_cscv(returns: np.ndarray, blocks: int = PBO_BLOCKS) -> Pbo:
    """PBO of the ``returns[T, N]`` matrix (rows: periods, columns: parameter sets) by CSCV.

    The last ``T mod S`` rows are left out so that every block has ``T // S`` rows.
    A set whose Sharpe ratio is undefined on a part (no spread) ranks below every other.
    """
    r = np.asarray(returns, dtype=np.float64)
    if r.ndim != 2 or r.shape[1] < 2:
        raise ValueError("PBO needs a returns matrix [periods, sets] with at least two sets")
    if blocks < 2 or blocks % 2:
        raise ValueError(f"PBO needs an even number of blocks >= 2, got {blocks}")
    size = r.shape[0] // blocks
    if size < 2:
        raise ValueError(f"PBO needs at least {2 * blocks} periods for {blocks} blocks, got {r.shape[0]}")
    t = size * blocks
    r = np.nan_to_num(r[:t], nan=0.0)
    parts = r.reshape(blocks, size, r.shape[1])
    s1, s2 = parts.sum(axis=1), (parts**2).sum(axis=1)  # [block, set]
    combos = np.array(list(itertools.combinations(range(blocks), blocks // 2)))
    pick = np.zeros((len(combos), blocks))
    np.put_along_axis(pick, combos, 1.0, axis=1)
    n_half = size * blocks // 2
    train = _sharpe_from_sums(pick @ s1, pick @ s2, n_half)
    test = _sharpe_from_sums((1 - pick) @ s1, (1 - pick) @ s2, n_half)
    train = np.where(np.isnan(train), -np.inf, train)
    test = np.where(np.isnan(test), -np.inf, test)
    best = np.argmax(train, axis=1)  # first of equals
    oos = test[np.arange(len(combos)), best]
    rank = (test < oos[:, None]).sum(axis=1) + 1  # 1 = worst out of sample
    n = r.shape[1]
    w = rank / (n + 1)
    logits = np.log(w / (1 - w))
    return Pbo(float(np.mean(logits <= 0)), logits, blocks, n, t, float(np.median(logits)),
               float(np.mean(oos < 0)))
