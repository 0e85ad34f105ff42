"""Strategy signals: hand-checked weights, no look-ahead on real data, parameter parsing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from conftest import weekdays
from rotation.analytics.rrg import RrgParams, rrg
from rotation.backtest.run import RunConfig, load_panel, run_backtest
from rotation.backtest.strategies import (
    Momentum,
    PairSwitch,
    Panel,
    RrgQuadrant,
    make_params,
    rebalance_rows,
    target_weights,
)
from rotation.data.store import Store
from rotation.errors import ConfigError, DataError

SECTORS = ("XLB", "XLE", "XLF", "XLI", "XLK", "XLP", "XLU", "XLV", "XLY")




def make_panel(closes: dict[str, list[float]], start: date = date(2024, 1, 1)) -> Panel:
    """A panel on consecutive weekdays; open = previous close, high/low 1% around."""
    c = np.array(list(closes.values()), dtype=float).T
    o = np.vstack([c[:1], c[:-1]])
    return Panel(weekdays(c.shape[0], start), tuple(closes), o, np.maximum(o, c) * 1.01,
                 np.minimum(o, c) * 0.99, c, c.copy())


def test_pair_switch_by_hand() -> None:
    # ratio SA/SB = 1, 1, 1, 2, 2, 0.5, 0.5: MA1 vs MA3
    sa = [1, 1, 1, 2, 2, 0.5, 0.5]
    panel = make_panel({"A": [10.0] * 7, "B": [20.0] * 7, "SA": sa, "SB": [1.0] * 7})
    cols, w = target_weights(panel, [PairSwitch("A", "B", "SA", "SB", fast=1, slow=3)])
    assert cols == ["A", "B"]
    # MA3: -, -, 1, 4/3, 5/3, 1.5, 1.0 ; ratio > MA3 on rows 3, 4 only; rows 0-1 warm-up (flat)
    np.testing.assert_array_equal(w[0, :, 0], [0, 0, 0, 1, 1, 0, 0])
    np.testing.assert_array_equal(w[0, :, 1], [0, 0, 1, 0, 0, 1, 1])


def test_pair_switch_many_equals_one_by_one() -> None:
    rng = np.random.default_rng(3)
    sa = list(np.cumprod(1 + rng.normal(0, 0.01, 300)))
    panel = make_panel({"A": sa, "B": [1.0] * 300, "SA": sa, "SB": [1.0] * 300})
    sets = [PairSwitch("A", "B", "SA", "SB", fast=f, slow=s) for f in (1, 3, 10) for s in (20, 50)]
    _, many = target_weights(panel, sets)
    for i, p in enumerate(sets):
        np.testing.assert_array_equal(many[i], target_weights(panel, [p])[1][0])


def test_momentum_top_one_by_hand() -> None:
    panel = make_panel({"X": [10, 11, 12, 12, 12, 12], "Y": [10, 10, 13, 14, 15, 16], "Z": [10, 10, 10, 13, 13, 13]})
    _, w = target_weights(panel, [Momentum(("X", "Y", "Z"), lookback=2, top=1, rebalance="daily")])
    # 2-bar momentum: row2 X .2, Y .3 -> Y; row3 X .09, Y .4, Z .3 -> Y; row4 Y .154, Z .3 -> Z; row5 Z 0, X 0, Y .143 -> Y
    expected = np.zeros((6, 3))
    expected[2, 1] = expected[3, 1] = expected[5, 1] = 1.0
    expected[4, 2] = 1.0
    np.testing.assert_allclose(w[0], expected)


def test_momentum_absolute_filter_and_ties_keep_universe_order() -> None:
    panel = make_panel({"X": [10, 9, 8], "Y": [10, 10, 10], "Z": [10, 10, 10]})
    _, w = target_weights(panel, [Momentum(("X", "Y", "Z"), lookback=2, top=2, rebalance="daily")])
    np.testing.assert_allclose(w[0, 2], [0.0, 0.5, 0.5])  # Y and Z tie at 0 and beat X; in order
    _, w = target_weights(panel, [Momentum(("X", "Y", "Z"), lookback=2, top=2, rebalance="daily", absolute=True)])
    np.testing.assert_allclose(w[0, 2], [0.0, 0.0, 0.0])  # nothing with positive momentum: cash


def test_rebalance_rows_are_first_sessions_of_a_period() -> None:
    dates = (date(2024, 1, 30), date(2024, 1, 31), date(2024, 2, 1), date(2024, 2, 2), date(2024, 2, 5),
             date(2024, 3, 1))
    np.testing.assert_array_equal(rebalance_rows(dates, "monthly"), [0, 0, 1, 0, 0, 1])
    np.testing.assert_array_equal(rebalance_rows(dates, "weekly"), [0, 0, 0, 0, 1, 1])
    assert rebalance_rows(dates, "daily").all()


def test_monthly_weights_change_only_on_rebalance_rows() -> None:
    rng = np.random.default_rng(5)
    closes = {s: list(np.cumprod(1 + rng.normal(0, 0.02, 400))) for s in "ABCD"}
    panel = make_panel(closes)
    _, w = target_weights(panel, [Momentum(tuple("ABCD"), lookback=10, top=2, rebalance="monthly")])
    changes = np.flatnonzero(np.any(np.diff(w[0], axis=0) != 0, axis=1)) + 1
    assert set(changes) <= set(np.flatnonzero(rebalance_rows(panel.dates, "monthly")))
    assert len(changes) >= 3
    np.testing.assert_allclose(w[0].sum(axis=1)[w[0].sum(axis=1) > 0], 1.0)


@pytest.fixture(scope="module")
def sector_panel(real_store: Path) -> Panel:
    with Store(real_store, read_only=True) as st:
        return load_panel(st, [*SECTORS, "SPY"], None, date(2024, 12, 31))


@pytest.fixture(scope="module")
def pair_panel(real_store: Path) -> Panel:
    with Store(real_store, read_only=True) as st:
        return load_panel(st, ["IWM", "QQQ", "^RUT", "^NDX"], None, date(2024, 12, 31))


def test_rrg_strategy_holds_the_analytics_quadrants(real_store: Path, sector_panel: Panel) -> None:
    params = RrgQuadrant(SECTORS, "SPY", rebalance="daily")
    cols, w = target_weights(sector_panel, [params])
    with Store(real_store, read_only=True) as st:
        closes = st.closes([*SECTORS, "SPY"], end=date(2024, 12, 31))
    graph = rrg(closes, "SPY", list(SECTORS), RrgParams("daily", 63, 5, 10))
    for day in (date(2024, 7, 11), date(2022, 6, 16), date(2020, 3, 23)):
        row = sector_panel.dates.index(day)
        on = graph.filter(pl.col("date") == day)
        held = set(on.filter(pl.col("quadrant").is_in(["leading", "improving"]))["symbol"])
        got = {cols[j] for j in np.flatnonzero(w[0, row])}
        assert got == held, day
        assert w[0, row].sum() == pytest.approx(1.0)


@pytest.mark.parametrize("which", ["pair", "momentum", "rrg"])
def test_no_look_ahead_signals_and_equity(which: str, pair_panel: Panel, sector_panel: Panel) -> None:
    """Appending later bars never changes earlier weights, equity or trades."""
    if which == "pair":
        panel, params = pair_panel, PairSwitch(fast=5, slow=100)
    elif which == "momentum":
        panel, params = sector_panel, Momentum(SECTORS, lookback=63, top=2, rebalance="weekly")
    else:
        panel, params = sector_panel, RrgQuadrant(SECTORS, "SPY")
    _, full = target_weights(panel, [params])
    config = RunConfig(commission=0.001, stop=0.05, trail=0.1)
    start = date(2019, 1, 2)
    whole = run_backtest(panel, params, config, start)
    for cut in (date(2020, 3, 16), date(2022, 6, 30), date(2024, 7, 19)):
        m = panel.dates.index(cut) + 1
        _, part = target_weights(panel.head(m), [params])
        np.testing.assert_array_equal(part[0], full[0, :m])
        short = run_backtest(panel.head(m), params, config, start)
        assert short.equity.equals(whole.equity.head(short.equity.height))
        closed = short.trades.filter(pl.col("exit_date").is_not_null())
        assert closed.equals(whole.trades.filter(pl.col("exit_date") <= cut))


def test_make_params_parses_strings_and_rejects_bad_input() -> None:
    p = make_params("pair-switch", {"fast": "5", "slow": "200", "a": "iwm", "sa": "rut"})
    assert p == PairSwitch(a="IWM", b="QQQ", sa="^RUT", sb="^NDX", fast=5, slow=200)
    m = make_params("momentum", {"symbols": "XLK+XLE", "absolute": "yes", "rebalance": "weekly", "top": "2"})
    assert m == Momentum(("XLK", "XLE"), absolute=True, rebalance="weekly", top=2)
    r = make_params("rrg", {"quadrants": "leading"})
    assert isinstance(r, RrgQuadrant) and r.quadrants == ("leading",)
    with pytest.raises(ConfigError, match="no parameter 'window'"):
        make_params("pair-switch", {"window": "5"})
    with pytest.raises(ConfigError, match="unknown strategy"):
        make_params("buy-the-dip")
    with pytest.raises(ConfigError, match="fast"):
        make_params("pair-switch", {"fast": "0"})
    with pytest.raises(ConfigError, match="fast: expected int"):
        make_params("pair-switch", {"fast": "five"})
    with pytest.raises(ConfigError, match="skip"):
        Momentum(lookback=20, skip=20)
    with pytest.raises(ConfigError, match="rebalance"):
        Momentum(rebalance="yearly")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="quadrants"):
        RrgQuadrant(quadrants=("north",))
    with pytest.raises(DataError, match="window"):
        RrgQuadrant(window=2)


def test_missing_symbol_and_mixed_strategies_are_errors() -> None:
    panel = make_panel({"A": [1.0, 2.0], "B": [1.0, 2.0]})
    with pytest.raises(DataError, match="no bars for 'SA'"):
        target_weights(panel, [PairSwitch("A", "B", "SA", "B")])
    with pytest.raises(ConfigError, match="one strategy"):
        target_weights(panel, [PairSwitch("A", "B", "A", "B"), Momentum(("A", "B"), top=2)])
    with pytest.raises(ConfigError, match="no parameter sets"):
        target_weights(panel, [])
