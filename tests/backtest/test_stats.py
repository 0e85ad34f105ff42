"""Statistics pinned to hand computations, vectorized over runs, invariants and edge cases."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest

from rotation.backtest.stats import (
    STAT_NAMES,
    cagr,
    calmar,
    compute_stats,
    drawdown,
    max_drawdown,
    sharpe,
    sortino,
    total_return,
    volatility,
    years_between,
)

EQ = np.array([1.0, 1.1, 0.99, 1.2])
DATES = [date(2020, 1, 1), date(2020, 1, 2), date(2020, 1, 3), date(2021, 1, 1)]  # 366 days


def test_hand_computed_figures() -> None:
    r = [0.1, 0.99 / 1.1 - 1.0, 1.2 / 0.99 - 1.0]  # 0.1, -0.1, 0.212121...
    mean = sum(r) / 3
    sd = math.sqrt(sum((x - mean) ** 2 for x in r) / 2)
    years = 366 / 365.25
    assert years_between(DATES) == pytest.approx(years, rel=1e-15)
    assert total_return(EQ)[0] == pytest.approx(0.2, rel=1e-12)
    assert cagr(EQ, years)[0] == pytest.approx(1.2 ** (1 / years) - 1, rel=1e-12)
    assert volatility(EQ)[0] == pytest.approx(sd * math.sqrt(252), rel=1e-12)
    assert sharpe(EQ)[0] == pytest.approx(mean / sd * math.sqrt(252), rel=1e-12)
    down = math.sqrt((0.0 + 0.1**2 + 0.0) / 3)  # only the -10% day is below zero
    assert sortino(EQ)[0] == pytest.approx(mean / down * math.sqrt(252), rel=1e-12)
    assert max_drawdown(EQ)[0] == pytest.approx(-0.1, rel=1e-12)  # 1.1 -> 0.99
    assert calmar(EQ, years)[0] == pytest.approx((1.2 ** (1 / years) - 1) / 0.1, rel=1e-12)
    np.testing.assert_allclose(drawdown(EQ)[0], [0.0, 0.0, -0.1, 0.0], atol=1e-15)


def test_risk_free_rate_lowers_sharpe_by_the_daily_rate() -> None:
    rf_d = 1.03 ** (1 / 252) - 1
    r = EQ[1:] / EQ[:-1] - 1 - rf_d
    assert sharpe(EQ, 0.03)[0] == pytest.approx(r.mean() / r.std(ddof=1) * math.sqrt(252), rel=1e-12)


def test_compute_stats_counts_and_rates() -> None:
    out = compute_stats(EQ, DATES, exposure=np.array([0.0, 1.0, 1.0, 0.5]), turnover=np.array([0, 1.0, 2.0, 1.0]),
                        trades=np.array([3]), closed=np.array([2]), wins=np.array([1]))
    assert set(out) == set(STAT_NAMES)
    assert out["exposure"][0] == pytest.approx(0.625)
    assert out["turnover"][0] == pytest.approx(4.0 / (366 / 365.25))
    assert out["trades"][0] == 3
    assert out["win_rate"][0] == 0.5
    none_closed = compute_stats(EQ, DATES, trades=np.array([1]), closed=np.array([0]), wins=np.array([0]))
    assert math.isnan(none_closed["win_rate"][0])


def test_vectorized_over_runs_equals_one_by_one() -> None:
    rng = np.random.default_rng(7)
    curves = np.cumprod(1 + rng.normal(0.0004, 0.01, size=(5, 300)), axis=1)
    dates = [date(2020, 1, 1), *([date(2020, 6, 1)] * 298), date(2021, 3, 1)]
    many = compute_stats(curves, dates)
    for i in range(5):
        one = compute_stats(curves[i], dates)
        for k in STAT_NAMES:
            np.testing.assert_array_equal(many[k][i : i + 1], one[k])


def test_scale_invariance_and_drawdown_sign() -> None:
    rng = np.random.default_rng(1)
    curve = np.cumprod(1 + rng.normal(0, 0.02, 500))
    a = compute_stats(curve, DATES[:1] + DATES[-1:])
    b = compute_stats(curve * 1234.5, DATES[:1] + DATES[-1:])
    for k in ("total_return", "cagr", "volatility", "sharpe", "sortino", "max_drawdown", "calmar"):
        assert a[k][0] == pytest.approx(b[k][0], rel=1e-9)
    assert (drawdown(curve) <= 0).all()


def test_edge_cases() -> None:
    one = compute_stats(np.array([1.0]), [date(2020, 1, 1)])
    assert one["total_return"][0] == 0.0
    for k in ("cagr", "volatility", "sharpe", "sortino", "calmar"):
        assert math.isnan(one[k][0]), k
    flat = compute_stats(np.ones(10), DATES)
    assert flat["max_drawdown"][0] == 0.0
    assert math.isnan(flat["volatility"][0]) and math.isnan(flat["sharpe"][0]) and math.isnan(flat["calmar"][0])
    up = compute_stats(np.array([1.0, 1.01, 1.02, 1.05]), DATES)
    assert math.isnan(up["sortino"][0])  # no downside at all
    empty = compute_stats(np.zeros((2, 0)), [])
    assert np.isnan(empty["total_return"]).all() and np.isnan(empty["max_drawdown"]).all()
