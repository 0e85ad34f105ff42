"""Deflated Sharpe ratio and PBO (CSCV): the published formulas by hand, and the properties
that must hold; the sweep's overfitting report."""

from __future__ import annotations

import itertools
import math
from statistics import NormalDist

import numpy as np
import pytest

from rotation.backtest.guard import PBO_MAX_SETS, assess_sweep, pbo_subsample
from rotation.backtest.overfit import (
    EULER_GAMMA,
    deflated_sharpe,
    expected_max_sharpe,
    moments,
    pbo_cscv,
    probabilistic_sharpe,
)
from rotation.backtest.run import RunConfig
from rotation.backtest.strategies import Panel
from rotation.backtest.sweep import expand_grid, sweep
from rotation.backtest.window import fit_window

PAIR = {"a": "A", "b": "B", "sa": "SA", "sb": "SB"}


def synthetic_panel(n: int, seed: int = 11) -> Panel:
    """Four random walks on consecutive weekdays from 2020-01-01 (A, B traded; SA, SB signal)."""
    rng = np.random.default_rng(seed)
    days = tuple(np.arange(np.datetime64("2020-01-01"), np.datetime64("2030-01-01"))
                 [np.is_busday(np.arange(np.datetime64("2020-01-01"), np.datetime64("2030-01-01")))][:n].tolist())
    c = 100 * np.cumprod(1 + rng.normal(0.0003, 0.015, size=(n, 4)), axis=0)
    o = c * (1 + rng.normal(0, 0.004, size=c.shape))
    return Panel(days, ("A", "B", "SA", "SB"), o, np.maximum(o, c) * 1.005, np.minimum(o, c) * 0.995, c, c.copy())

Z = NormalDist()


def test_dsr_reproduces_the_papers_numerical_example() -> None:
    """Bailey & Lopez de Prado (2014): annual SR 2.5 over 5 years of 250 days, 100 trials whose annualized
    Sharpe ratios have variance 0.5, skew -3, kurtosis 10 -> DSR 0.9004."""
    sr, var = 2.5 / math.sqrt(250), 0.5 / 250
    sr0 = expected_max_sharpe(100, var)
    by_hand = math.sqrt(var) * ((1 - EULER_GAMMA) * Z.inv_cdf(1 - 1 / 100) + EULER_GAMMA * Z.inv_cdf(1 - 1 / (100 * math.e)))
    assert sr0 == pytest.approx(by_hand, rel=1e-15)
    assert sr0 == pytest.approx(0.1132, abs=5e-5)
    dsr = probabilistic_sharpe(sr, sr0, 1250, -3.0, 10.0)
    z = (sr - sr0) * math.sqrt(1249) / math.sqrt(1 + 3 * sr + 9 / 4 * sr**2)
    assert dsr == pytest.approx(Z.cdf(z), rel=1e-15)
    assert dsr == pytest.approx(0.9004, abs=5e-5)


def test_moments_by_hand_and_dsr_falls_with_more_trials() -> None:
    r = np.array([0.01, -0.02, 0.03, 0.0, 0.015, -0.005])
    sr, skew, kurt, t = moments(r)
    d = r - r.mean()
    assert sr == pytest.approx(r.mean() / r.std(ddof=1))
    assert skew == pytest.approx(np.mean(d**3) / np.mean(d**2) ** 1.5)
    assert kurt == pytest.approx(np.mean(d**4) / np.mean(d**2) ** 2) and t == 6
    best = np.random.default_rng(1).normal(0.0008, 0.01, 2500)
    rng = np.random.default_rng(2)
    values = [deflated_sharpe(best, rng.normal(0, 0.02, n)).dsr for n in (2, 10, 100, 1000, 10000)]
    assert all(a > b for a, b in itertools.pairwise(values)), values
    wide = deflated_sharpe(best, np.random.default_rng(3).normal(0, 0.04, 100)).dsr
    assert wide < deflated_sharpe(best, np.random.default_rng(3).normal(0, 0.02, 100)).dsr  # more spread, lower
    one = deflated_sharpe(best, np.array([0.05]))
    assert one.sr0 == 0.0 and one.dsr == pytest.approx(probabilistic_sharpe(one.sharpe, 0.0, 2500, one.skew, one.kurtosis))


def _pbo_by_hand(r: np.ndarray, s: int) -> tuple[float, list[float]]:
    """CSCV as the paper states it, one split at a time."""
    size = r.shape[0] // s
    blocks = [r[i * size : (i + 1) * size] for i in range(s)]
    logits = []
    for c in itertools.combinations(range(s), s // 2):
        train = np.vstack([blocks[i] for i in c])
        test = np.vstack([blocks[i] for i in range(s) if i not in c])
        sr_in = train.mean(axis=0) / train.std(axis=0, ddof=1)
        sr_out = test.mean(axis=0) / test.std(axis=0, ddof=1)
        star = int(np.argmax(sr_in))
        rank = 1 + sum(1 for j in range(r.shape[1]) if sr_out[j] < sr_out[star])
        w = rank / (r.shape[1] + 1)
        logits.append(math.log(w / (1 - w)))
    return sum(1 for x in logits if x <= 0) / len(logits), logits


def test_pbo_equals_the_split_by_split_computation() -> None:
    r = np.random.default_rng(4).normal(0, 0.01, (203, 7))  # 3 rows left over for 8 blocks of 25
    got = pbo_cscv(r, blocks=8)
    pbo, logits = _pbo_by_hand(r, 8)
    assert got.rows == 200 and got.sets == 7 and got.logits.size == 70
    np.testing.assert_allclose(got.logits, logits, rtol=1e-12)
    assert got.pbo == pbo


def test_pbo_is_about_half_for_noise_and_near_zero_for_a_dominant_set() -> None:
    noise = [pbo_cscv(np.random.default_rng(seed).normal(0, 0.01, (1000, 30)), blocks=10).pbo for seed in range(20)]
    assert 0.4 < float(np.mean(noise)) < 0.6, noise
    r = np.random.default_rng(5).normal(0, 0.01, (1000, 30))
    r[:, 11] += 0.002  # a daily Sharpe of 0.2 where the others have none
    strong = pbo_cscv(r)
    assert strong.pbo < 0.02 and strong.median_logit > 2
    with pytest.raises(ValueError, match="even number"):
        pbo_cscv(r, blocks=5)
    with pytest.raises(ValueError, match="at least two sets"):
        pbo_cscv(r[:, :1])


def test_pbo_subsample() -> None:
    np.testing.assert_array_equal(pbo_subsample(10, 3), np.arange(10))
    big = pbo_subsample(10_000, 5_001)
    assert big.size in (PBO_MAX_SETS, PBO_MAX_SETS + 1) and 5_001 in big and big[0] == 0 and big[-1] == 9_999


def test_sweep_reports_dsr_and_pbo_from_its_own_sets() -> None:
    panel = synthetic_panel(900)
    grid = {"fast": ["1", "3", "5"], "slow": ["20", "40", "60", "80"]}
    res = sweep(panel, "pair-switch", grid, values=PAIR, config=RunConfig(commission=0.0005))
    g = res.guard
    assert g is not None and g.pbo is not None
    sharpe = res.table["sharpe"].to_numpy()
    assert g.best_set == int(np.nanargmax(sharpe)) and g.dsr.trials == 12 and g.pbo.sets == 12
    assert g.dsr.var_sharpe == pytest.approx(np.var(sharpe / math.sqrt(252), ddof=1), rel=1e-12)
    assert g.dsr.sharpe == pytest.approx(sharpe[g.best_set] / math.sqrt(252), rel=1e-9)
    # a grid beyond the limit: a subsample with the best set in it
    _, params, configs = expand_grid("pair-switch", grid, PAIR, RunConfig(commission=0.0005))
    fitted, win = fit_window(panel, params[0])
    again = assess_sweep(fitted, win.first, params, configs, sharpe, limit=5)
    assert again.pbo is not None and again.pbo_sets in (5, 6) and "subsample" in again.pbo_note
    assert g.as_dict()["pbo"]["splits"] == 12_870
    assert sweep(panel, "pair-switch", grid, values=PAIR, overfit=False).guard is None


def test_no_pbo_when_fewer_than_two_sets_have_a_sharpe_ratio() -> None:
    """Funds that never move give every set an undefined Sharpe: no PBO (it used to say 1.000)."""
    p = synthetic_panel(400)
    o, h, lo, c, adj = (a.copy() for a in (p.open, p.high, p.low, p.close, p.adj_close))
    for a in (o, h, lo, c, adj):
        a[:, :2] = 50.0  # A and B flat; the signal pair still crosses
    flat = Panel(p.dates, p.symbols, o, h, lo, c, adj)
    res = sweep(flat, "pair-switch", {"fast": ["1", "3"], "slow": ["20", "40"]}, values=PAIR)
    assert res.table["trades"].sum() > 0 and res.table["sharpe"].is_nan().all()
    assert res.guard is not None and res.guard.pbo is None
    assert "two parameter sets with a defined Sharpe ratio, got 0" in res.guard.pbo_note


def test_a_swept_window_longer_than_the_data_is_refused() -> None:
    from rotation.errors import ConfigError

    panel = synthetic_panel(300)
    with pytest.raises(ConfigError, match=r"--grid: slow 300: longer than the data: .* span 300"):
        sweep(panel, "pair-switch", {"fast": ["5"], "slow": ["50", "300"]}, values=PAIR)
    assert sweep(panel, "pair-switch", {"fast": ["5"], "slow": ["50", "299"]}, values=PAIR).table.height == 2
