"""Walk-forward: the splits by hand, each split equal to its own sweep and run, the stitched
curve, no look-ahead, and the real IWM/QQQ figures out of sample vs in sample."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from rotation.backtest.run import RunConfig, run_backtest
from rotation.backtest.stats import STAT_NAMES, compute_stats
from rotation.backtest.strategies import Panel, make_params
from rotation.backtest.sweep import sweep
from rotation.backtest.walkforward import split_rows, walk_forward
from rotation.errors import ConfigError, DataError

PAIR = {"a": "A", "b": "B", "sa": "SA", "sb": "SB"}
GRID = {"fast": ["1", "5"], "slow": ["10", "30", "60"]}


def synthetic_panel(n: int = 900, seed: int = 3) -> Panel:
    rng = np.random.default_rng(seed)
    span = np.arange(np.datetime64("2018-01-01"), np.datetime64("2026-01-01"))
    days = tuple(span[np.is_busday(span)][:n].tolist())
    c = 100 * np.cumprod(1 + rng.normal(0.0003, 0.015, size=(n, 4)), axis=0)
    o = c * (1 + rng.normal(0, 0.004, size=c.shape))
    return Panel(days, ("A", "B", "SA", "SB"), o, np.maximum(o, c) * 1.005, np.minimum(o, c) * 0.995, c, c.copy())


def test_split_rows_rolling_and_anchored() -> None:
    assert split_rows(10, 4, 3) == [(0, 3, 6), (3, 6, 9)]
    assert split_rows(10, 4, 3, anchored=True) == [(0, 3, 6), (0, 6, 9)]
    assert split_rows(11, 4, 3) == [(0, 3, 6), (3, 6, 9), (6, 9, 10)]  # the last test is shorter
    with pytest.raises(DataError, match="more than --train 10"):
        split_rows(10, 10, 3)
    with pytest.raises(ConfigError):
        split_rows(10, 1, 3)


@pytest.mark.parametrize("anchored", [False, True])
def test_each_split_is_its_own_sweep_and_run_and_the_curve_chains_them(anchored: bool) -> None:
    panel = synthetic_panel()
    config = RunConfig(commission=0.0005)
    wf = walk_forward(panel, "pair-switch", GRID, train=250, test=150, anchored=anchored, values=PAIR, config=config)
    assert len(wf.splits) == len(split_rows(900, 250, 150))
    grown = 1.0
    for i, s in enumerate(wf.splits):
        head = panel.head(panel.dates.index(s.train_end) + 1)
        fit = sweep(head, "pair-switch", GRID, values=PAIR, config=config, start=s.train_start, overfit=False)
        sharpe = fit.table["sharpe"].to_numpy()
        assert s.best_set == int(np.nanargmax(sharpe)) and s.train_metric == sharpe[s.best_set]
        params = make_params("pair-switch", {**PAIR, **s.values})
        one = run_backtest(panel, params, config, s.train_end, s.test_end)
        assert one.stats["sharpe"] == s.test_metric or (math.isnan(one.stats["sharpe"]) and math.isnan(s.test_metric))
        seg = wf.equity.filter(wf.equity["split"] == i)
        grown *= one.stats["total_return"] + 1
        assert seg["equity"][-1] == pytest.approx(grown, rel=1e-12)
        assert seg["date"][-1] == s.test_end and s.test_start > s.train_end
        if anchored:
            assert s.train_start == wf.splits[0].train_start
    # the statistics' window: the stitched tests, from the first test session (the curve's row 0 is the base)
    assert wf.out_of_sample == (wf.splits[0].test_start, wf.splits[-1].test_end)
    assert wf.equity["date"][0] == wf.splits[0].train_end
    e = wf.equity["equity"].to_numpy()
    mine = compute_stats(e, wf.equity["date"].to_list())
    for k in ("total_return", "cagr", "sharpe", "max_drawdown"):
        assert wf.oos_stats[k] == pytest.approx(float(mine[k][0]), rel=1e-12)
    # in sample: the best set of one sweep over the same sessions
    whole = sweep(panel, "pair-switch", GRID, values=PAIR, config=config, start=wf.equity["date"][0],
                  end=wf.equity["date"][-1], overfit=False)
    best = int(np.nanargmax(whole.table["sharpe"].to_numpy()))
    assert wf.is_stats["sharpe"] == whole.table["sharpe"][best]
    assert wf.is_stats["sharpe"] >= wf.oos_stats["sharpe"]  # hindsight is never worse on its own metric


def test_no_look_ahead_later_bars_do_not_change_earlier_splits() -> None:
    panel = synthetic_panel()
    whole = walk_forward(panel, "pair-switch", GRID, train=250, test=150, values=PAIR)
    cut = panel.dates.index(whole.splits[1].test_end) + 1
    part = walk_forward(panel.head(cut), "pair-switch", GRID, train=250, test=150, values=PAIR)
    assert part.splits == whole.splits[:2]
    n = part.equity.height
    np.testing.assert_array_equal(part.equity["equity"].to_numpy(), whole.equity["equity"].to_numpy()[:n])


def test_real_walkforward_out_of_sample_differs_from_in_sample(cli, real_store: Path) -> None:
    res = cli("backtest", "walkforward", "pair-switch", "-g", "fast=1,5,20", "-g", "slow=50,100,250",
              "--train", "756", "--test", "504", "--commission", "0.0005", "--json", "--store", str(real_store))
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    out = json.loads(res.stdout)  # type: ignore[attr-defined]
    assert out["window"]["start"] == "2000-05-26" and out["equity"][-1]["date"] == "2025-09-26"
    assert len(out["splits"]) == math.ceil((6372 - 756) / 504)
    assert out["splits"][0]["train_start"] == "2000-05-26" and out["equity"][0]["date"] == out["splits"][0]["train_end"]
    # the window the statistics cover: the first test session to the last, not the base day before them
    assert out["out_of_sample_window"] == {"start": out["splits"][0]["test_start"], "end": "2025-09-26"}
    assert out["out_of_sample_window"]["start"] == out["equity"][1]["date"] == "2003-06-04"
    oos, ins = out["out_of_sample"], out["in_sample"]
    assert set(oos) == set(ins) == set(STAT_NAMES)
    assert oos["sharpe"] != pytest.approx(ins["sharpe"], abs=1e-3) and oos["sharpe"] < ins["sharpe"]
    text = cli("backtest", "walkforward", "pair-switch", "-g", "slow=50,100", "--train", "2520", "--test", "2520",
               "--anchored", "--store", str(real_store))
    assert "out of sample" in text.stdout and "in sample" in text.stdout  # type: ignore[attr-defined]
    splits = json.loads(cli("backtest", "walkforward", "pair-switch", "-g", "slow=50,100", "--train", "2520", "--test",
                            "2520", "--anchored", "--json", "--store", str(real_store)).stdout)["splits"]  # type: ignore[attr-defined]
    heading = f"{splits[0]['test_start']} .. 2025-09-26: out of sample = the stitched tests (from cash at the "
    assert heading in " ".join(text.stdout.split())  # type: ignore[attr-defined]
    assert f"{splits[0]['train_end']} .." not in text.stdout  # type: ignore[attr-defined]
    assert "walk-forward (anchored" in text.stdout  # type: ignore[attr-defined]
    assert date.fromisoformat(out["splits"][-1]["test_end"]) == date(2025, 9, 26)
