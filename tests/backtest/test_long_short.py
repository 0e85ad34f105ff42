"""Shorts in the book: a short mirrors the long at zero cost, costs and engine stops by hand,
flips, and the long-short pair switch on the real IWM/QQQ bars."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from rotation.backtest.portfolio import Prices, account, engine_stops, trade_return
from rotation.backtest.run import RunConfig, backtest
from rotation.backtest.strategies import PairSwitch, Panel, target_weights
from rotation.data.store import Store
from rotation.errors import ConfigError
from rotation.trading import engine


def _one(c: list[float], o: list[float] | None = None, h: list[float] | None = None,
         lo: list[float] | None = None) -> Prices:
    cc = np.array(c, dtype=float)
    oo = np.array(o, dtype=float) if o is not None else cc.copy()
    hh = np.array(h, dtype=float) if h is not None else np.maximum(oo, cc) * 1.01
    ll = np.array(lo, dtype=float) if lo is not None else np.minimum(oo, cc) * 0.99
    return Prices(*(x.reshape(-1, 1) for x in (oo, hh, ll, cc)))


def test_a_short_mirrors_the_long_exactly_at_zero_cost() -> None:
    rng = np.random.default_rng(8)
    c = list(100 * np.cumprod(1 + rng.normal(0, 0.02, 60)))
    o = list(np.array(c) * (1 + rng.normal(0, 0.005, 60)))
    p = _one(c, o)
    held = np.zeros((60, 1))
    held[5:40] = 1.0
    long, short = account(p, held), account(p, -held)
    np.testing.assert_allclose(short.equity - 1.0, -(long.equity - 1.0), rtol=1e-12, atol=1e-15)
    assert (long.opened, short.opened, long.closed, short.closed) == (1, 1, 1, 1)
    assert short.trade_side.tolist() == [-1] and long.trade_side.tolist() == [1]
    r_long = trade_return(long.trade_side, long.trade_entry_price, long.trade_exit_price, 0.0)
    r_short = trade_return(short.trade_side, short.trade_entry_price, short.trade_exit_price, 0.0)
    assert r_short[0] == pytest.approx(-r_long[0], rel=1e-15)
    assert (long.wins + short.wins) == 1  # exactly one of the two won
    np.testing.assert_allclose(short.exposure[5:40], np.array(c[5:40]) / o[5] / short.equity[5:40], rtol=1e-12)


def test_short_with_costs_by_hand() -> None:
    cost = 0.001
    o, c = [100.0, 100.0, 104.0, 95.0], [100.0, 102.0, 103.0, 96.0]
    tgt = np.array([[0.0], [-1.0], [-1.0], [0.0]])
    book = account(_one(c, o), tgt, cost=cost)
    units = -(1 - cost) / o[1]  # sized on V - cost * traded, traded = 1.0
    cash = (1 - cost) - units * o[1]  # the sale's proceeds: 2 (1 - cost)
    assert book.equity[1] == pytest.approx(cash + units * c[1], rel=1e-14)
    assert book.equity[2] == pytest.approx(cash + units * c[2], rel=1e-14)
    final = cash + units * o[3] * (1 + cost)  # cover at the open, paying the cost on top
    assert book.equity[3] == pytest.approx(final, rel=1e-14)
    np.testing.assert_allclose(book.turnover[[1, 3]], [1.0, -units * o[3] / (cash + units * o[3])], rtol=1e-12)
    ret = trade_return(book.trade_side, book.trade_entry_price, book.trade_exit_price, cost)[0]
    assert ret == pytest.approx((o[1] * (1 - cost) - o[3] * (1 + cost)) / o[1], rel=1e-14)
    assert book.wins == 1


def test_engine_stops_a_short_above_the_entry_and_a_flip_closes_and_opens() -> None:
    p = _one([100, 100, 104, 106, 103], o=[100, 100, 101, 107, 104], h=[100, 101, 106, 108, 105],
             lo=[100, 99, 100, 105, 102])
    tgt = np.array([0, -1, -1, -1, -1], dtype=float).reshape(-1, 1)
    px, code = engine_stops(p, tgt, stop=0.05)
    # short at 100 (open of bar 1): stop at 105, reached intrabar on bar 2 (high 106)
    assert px[2, 0] == pytest.approx(105.0) and code[2, 0] == engine.R_STOP
    book = account(p, tgt, stops=(px, code))
    assert book.equity[2] == pytest.approx(1 - 0.05) and book.equity[-1] == pytest.approx(0.95)
    assert book.trade_exit_code.tolist() == [engine.R_STOP]
    gap = engine_stops(_one([100, 100, 110], o=[100, 100, 110], h=[100, 101, 111], lo=[100, 99, 109]),
                       np.array([[0.0], [-1.0], [-1.0]]), stop=0.05)
    assert gap[0][2, 0] == 110.0 and gap[1][2, 0] == engine.R_STOP_GAP  # gapped through: filled at the open
    flip = account(_one([10, 10, 11, 12, 11]), np.array([[0], [1], [1], [-1], [-1]], dtype=float))
    assert flip.trade_side.tolist() == [1, -1] and flip.trade_entry_bar.tolist() == [1, 3]
    assert flip.trade_exit_bar.tolist() == [3, -1] and (flip.opened, flip.closed) == (2, 1)


def test_pair_switch_legs() -> None:
    n = 8
    sa = [1, 1, 1, 2, 2, 0.5, 0.5, 0.5]
    days = tuple(date(2024, 1, d) for d in (1, 2, 3, 4, 5, 8, 9, 10))
    c = np.column_stack([np.full(n, 10.0), np.full(n, 20.0), sa, np.ones(n)])
    panel = Panel(days, ("A", "B", "SA", "SB"), c, c, c, c, c.copy())
    base = PairSwitch("A", "B", "SA", "SB", fast=1, slow=3)
    _, w = target_weights(panel, [base, PairSwitch("A", "B", "SA", "SB", 1, 3, long=1.0, short=1.0),
                                  PairSwitch("A", "B", "SA", "SB", 1, 3, long=0.0, short=0.5)])
    np.testing.assert_array_equal(w[0, :, 0], [0, 0, 0, 1, 1, 0, 0, 0])
    np.testing.assert_array_equal(w[1, :, 0], [0, 0, -1, 1, 1, -1, -1, -1])
    np.testing.assert_array_equal(w[1, :, 1], [0, 0, 1, -1, -1, 1, 1, 1])
    np.testing.assert_array_equal(w[2, :, 1], [0, 0, 0, -0.5, -0.5, 0, 0, 0])
    for bad in ({"long": 1.5}, {"short": -0.1}, {"long": 0.0, "short": 0.0}):
        with pytest.raises(ConfigError):
            PairSwitch(**bad)  # type: ignore[arg-type]


def test_real_long_short_iwm_qqq_2015_2024(real_store: Path) -> None:
    window = (date(2015, 1, 1), date(2024, 12, 31))
    with Store(real_store, read_only=True) as st:
        plain = backtest(st, "pair-switch", {}, RunConfig(), *window)
        same = backtest(st, "pair-switch", {"long": "1", "short": "0"}, RunConfig(), *window)
        ls = backtest(st, "pair-switch", {"short": "1"}, RunConfig(), *window)
        only = backtest(st, "pair-switch", {"long": "0", "short": "1"}, RunConfig(), *window)
        mirror = backtest(st, "pair-switch", {"a": "QQQ", "b": "IWM"}, RunConfig(), *window)  # QQQ long when up
    assert same.equity.equals(plain.equity)  # long=1 short=0 is the long-only book, bit for bit
    assert ls.stats["trades"] == 2 * plain.stats["trades"] == 372
    assert set(ls.trades["side"]) == {"long", "short"} and set(only.trades["side"]) == {"short"}
    assert ls.stats["exposure"] == pytest.approx(1.93, abs=0.01)  # gross: 100% long + 100% short
    assert ls.stats["total_return"] == pytest.approx(-0.16079257667157432, rel=1e-9)
    assert only.stats["total_return"] == pytest.approx(-0.7912160407157238, rel=1e-9)
    # zero cost: each QQQ short (the ratio up, QQQ the laggard) mirrors a long QQQ over the same bars
    short_q = only.trades.filter((pl.col("symbol") == "QQQ") & pl.col("exit_date").is_not_null())
    long_q = mirror.trades.filter(pl.col("symbol") == "QQQ")
    both = short_q.join(long_q, on=["entry_date", "exit_date"], suffix="_long")
    assert both.height > 50
    np.testing.assert_allclose(both["return"].to_numpy(), -both["return_long"].to_numpy(), rtol=1e-12)
