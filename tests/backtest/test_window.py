"""The traded window: real starts and ends, --end past the data, gaps carried and flagged,
universe members joining late, and the stats over the real window recomputed with pandas."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import weekdays
from rotation.backtest.run import RunConfig, backtest, run_backtest
from rotation.backtest.strategies import Momentum, PairSwitch, Panel
from rotation.backtest.sweep import sweep
from rotation.backtest.window import GAP_LIMIT, defer_on_gaps, fit_window
from rotation.data.store import Store
from rotation.errors import DataError

IWM_FIRST, FUNDS_LAST = date(2000, 5, 26), date(2025, 9, 26)


def _json(result: object) -> dict:
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    return json.loads(result.stdout)  # type: ignore[attr-defined]


# -- real data ---------------------------------------------------------------
def test_iwm_qqq_on_rut_ndx_trades_only_inside_the_funds_life(cli, real_store: Path) -> None:
    """^RUT runs to 2026-08-21 and ^NDX to 2026-02-27; IWM starts 2000-05-26; both funds end 2025-09-26."""
    out = _json(cli("backtest", "run", "pair-switch", "--pair", "IWM:QQQ", "--signal", "RUT:NDX", "--json",
                    "--store", str(real_store)))
    win = out["window"]
    assert (out["start"], out["end"]) == (IWM_FIRST.isoformat(), FUNDS_LAST.isoformat())
    assert (win["start"], win["end"]) == (out["start"], out["end"])
    assert win["start_reason"] == "IWM's first bar" and win["end_reason"].endswith("last bar")
    assert win["symbols"]["^RUT"]["last"] == "2026-08-21" and win["gaps"] == []
    assert out["equity"][0]["date"] == "2000-05-26" and out["equity"][-1]["date"] == "2025-09-26"
    for t in out["trades"]:
        assert IWM_FIRST.isoformat() < t["entry_date"] <= FUNDS_LAST.isoformat()
        assert t["exit_date"] is None or t["exit_date"] <= FUNDS_LAST.isoformat()
    text = cli("backtest", "run", "pair-switch", "--signal", "RUT:NDX", "--trades", "0", "--store", str(real_store))
    assert "window 2000-05-26 .. 2025-09-26 (6,372 sessions; from IWM's first bar" in text.stdout  # type: ignore[attr-defined]


def test_end_past_a_symbols_data_is_an_error(cli, real_store: Path) -> None:
    res = cli("backtest", "run", "pair-switch", "--end", "2026-01-01", "--store", str(real_store))
    assert res.exit_code == 2  # type: ignore[attr-defined]
    assert "IWM's data ends on 2025-09-26" in res.output  # type: ignore[attr-defined]
    # a weekend after the last bar misses no session: fine
    ok = _json(cli("backtest", "run", "pair-switch", "--end", "2025-09-28", "--json", "--store", str(real_store)))
    assert ok["end"] == "2025-09-26"
    res = cli("backtest", "sweep", "pair-switch", "-g", "slow=50,100", "--end", "2026-01-01", "--store", str(real_store))
    assert res.exit_code == 2 and "IWM's data ends on 2025-09-26" in res.output  # type: ignore[attr-defined]


def test_sector_rrg_and_momentum_start_when_the_funds_exist(real_store: Path) -> None:
    with Store(real_store, read_only=True) as st:
        rrg = backtest(st, "rrg", {"symbols": "XLB+XLC+XLE+XLF+XLI+XLK+XLP+XLRE+XLU+XLV+XLY"}, RunConfig(),
                       date(1990, 1, 1))
        mom = backtest(st, "momentum", {"symbols": "XLB+XLC+XLE+XLF+XLI+XLK+XLP+XLRE+XLU+XLV+XLY", "top": "3"},
                       RunConfig())
    for res in (rrg, mom):
        assert res.start == date(1998, 12, 22)  # SPY starts 1993, the sector SPDRs on 1998-12-22
        assert res.end == date(2025, 9, 25)  # the sector files end a day before SPY's
        assert res.window.start_reason == "the first member's first bar (XLB)"
        late = {"XLC": date(2018, 6, 19), "XLRE": date(2015, 10, 8)}
        for sym, first in late.items():  # the late members rank only once they exist
            held = res.equity.filter(res.equity[f"w_{sym}"] > 0)
            assert held.height > 0 and held["date"].min() > first, sym
            assert res.trades.filter(res.trades["symbol"] == sym)["entry_date"].min() > first


def test_sweep_states_the_same_window(real_store: Path) -> None:
    with Store(real_store, read_only=True) as st:
        from rotation.backtest.sweep import sweep_store

        res = sweep_store(st, "pair-switch", {"slow": ["50", "100"]})
        one = backtest(st, "pair-switch", {"slow": "100"})
    assert res.window == one.window and (res.start, res.end) == (IWM_FIRST, FUNDS_LAST)
    assert res.table["total_return"][1] == one.stats["total_return"]


def _csv(shared: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(shared / f"{name}.csv", parse_dates=["date"]).set_index("date")


def test_stats_over_the_real_window_equal_a_pandas_recomputation(real_store: Path, shared_data: Path) -> None:
    """From the CSV files with pandas alone: the window, the signal, the book and the statistics."""
    with Store(real_store, read_only=True) as st:
        res = backtest(st, "pair-switch", {"slow": "50"}, RunConfig())
    iwm, qqq, rut, ndx = (_csv(shared_data, s) for s in ("IWM", "QQQ", "RUT", "NDX"))
    union = iwm.index.union(qqq.index).union(rut.index).union(ndx.index)
    ratio = (rut["adj_close"].reindex(union).ffill(limit=5) / ndx["adj_close"].reindex(union).ffill(limit=5))
    ma = ratio.rolling(50).mean()
    hold_a = (ratio > ma).where(ma.notna())  # decided at the close; NaN in the warm-up
    start, end = max(iwm.index[0], qqq.index[0]), min(iwm.index[-1], qqq.index[-1], rut.index[-1], ndx.index[-1])
    days = union[(union >= start) & (union <= end)]
    o = pd.DataFrame({s: f["open"] * f["adj_close"] / f["close"] for s, f in (("a", iwm), ("b", qqq))}).reindex(days)
    c = pd.DataFrame({s: f["adj_close"] for s, f in (("a", iwm), ("b", qqq))}).reindex(days)
    held = hold_a.reindex(days).map({True: "a", False: "b"})
    eq = [1.0]
    for i in range(1, len(days)):
        new, old = held.iloc[i - 1], (held.iloc[i - 2] if i > 1 else None)
        if old is None:
            g = c[new].iloc[i] / o[new].iloc[i]
        elif new == old:
            g = c[new].iloc[i] / c[new].iloc[i - 1]
        else:
            g = o[old].iloc[i] / c[old].iloc[i - 1] * c[new].iloc[i] / o[new].iloc[i]
        eq.append(eq[-1] * g)
    e = pd.Series(eq, index=days)
    r = e.pct_change().dropna()
    years = (days[-1] - days[0]).days / 365.25
    total = e.iloc[-1] / e.iloc[0] - 1
    cagr = (1 + total) ** (1 / years) - 1
    mdd = (e / e.cummax() - 1).min()
    want = {
        "total_return": total, "cagr": cagr, "volatility": r.std() * math.sqrt(252),
        "sharpe": r.mean() / r.std() * math.sqrt(252),
        "sortino": r.mean() / math.sqrt((r.clip(upper=0) ** 2).mean()) * math.sqrt(252),
        "max_drawdown": mdd, "calmar": cagr / abs(mdd),
    }
    assert (res.start, res.end) == (days[0].date(), days[-1].date())
    assert [d.isoformat() for d in res.equity["date"].to_list()] == [d.date().isoformat() for d in days]
    np.testing.assert_allclose(res.equity["equity"].to_numpy(), e.to_numpy(), rtol=1e-12)
    for k, v in want.items():
        assert res.stats[k] == pytest.approx(v, rel=1e-12), k
    assert res.stats["trades"] == 1 + int((held.iloc[:-1] != held.shift(1).iloc[:-1]).iloc[1:].sum())


# -- synthetic ---------------------------------------------------------------


def _panel(closes: dict[str, np.ndarray]) -> Panel:
    c = np.column_stack(list(closes.values())).astype(float)
    return Panel(weekdays(c.shape[0]), tuple(closes), c.copy(), c * 1.01, c * 0.99, c, c.copy())


def _walk(n: int, seed: int) -> np.ndarray:
    return 100 * np.cumprod(1 + np.random.default_rng(seed).normal(0, 0.01, n))


def test_window_starts_late_ends_early_and_drops_signal_only_rows() -> None:
    n = 60
    a, b, sa, sb = _walk(n, 1), _walk(n, 2), _walk(n, 3), _walk(n, 4)
    a[:10] = np.nan  # A starts on row 10
    a[50:] = b[50:] = np.nan  # both funds end on row 49; the signal indices go on
    a[30] = b[30] = np.nan  # a day only the indices traded
    panel = _panel({"A": a, "B": b, "SA": sa, "SB": sb})
    params = PairSwitch("A", "B", "SA", "SB", fast=1, slow=3)
    fitted, win = fit_window(panel, params)
    assert (win.start, win.end) == (panel.dates[10], panel.dates[49])
    assert panel.dates[30] not in fitted.dates and panel.dates[29] in fitted.dates
    assert win.sessions == 39 and win.gaps == ()
    res = run_backtest(panel, params)
    assert res.equity["date"].to_list() == list(fitted.dates[win.first:])
    assert res.trades["entry_date"].max() <= panel.dates[49]
    # --start before A's data starts at A's first bar; after, at --start
    assert fit_window(panel, params, panel.dates[3])[1].start == panel.dates[10]
    assert fit_window(panel, params, panel.dates[12])[1].start_reason == "--from"
    cut, w = fit_window(panel, params, None, panel.dates[40])  # --to inside the data cuts the rows there
    assert (w.end, w.end_reason, cut.dates[-1]) == (panel.dates[40], "--to", panel.dates[40])
    assert run_backtest(panel, params, end=panel.dates[40]).equity["date"][-1] == panel.dates[40]


def test_a_short_gap_is_carried_flagged_and_not_traded_a_long_one_is_an_error() -> None:
    n = 80
    a, b = _walk(n, 5), _walk(n, 6)
    sa = np.r_[np.ones(40), np.full(40, 3.0)]  # A leads from row 40: switch B -> A decided at row 40
    sb = np.full(n, 2.0)
    sa[20:24] = 0.5  # B from row 20 on (a quick switch back and forth before)
    a_gap = a.copy()
    a_gap[41:43] = np.nan  # A has no bar on rows 41 and 42 (2 sessions)
    panel = _panel({"A": a_gap, "B": b, "SA": sa, "SB": sb})
    params = PairSwitch("A", "B", "SA", "SB", fast=1, slow=10)
    res = run_backtest(panel, params, RunConfig(), panel.dates[5])
    gaps = res.window.gaps
    assert len(gaps) == 1 and (gaps[0].symbol, gaps[0].first, gaps[0].last, gaps[0].sessions) == (
        "A", panel.dates[41], panel.dates[42], 2)
    carried = res.equity.filter(res.equity["carried"])["date"].to_list()
    assert carried == [panel.dates[41], panel.dates[42]]
    # the switch decided at the close of row 40 waits for A's next real bar (row 43)
    buy_a = res.trades.filter(res.trades["symbol"] == "A")["entry_date"].to_list()
    assert panel.dates[43] in buy_a and panel.dates[41] not in buy_a
    assert res.window.as_dict()["gaps"][0] == {"symbol": "A", "first": panel.dates[41].isoformat(),
                                              "last": panel.dates[42].isoformat(), "sessions": 2}
    long = a.copy()
    long[41 : 41 + GAP_LIMIT + 1] = np.nan
    with pytest.raises(DataError, match=rf"A has no bars from {panel.dates[41]} .* \({GAP_LIMIT + 1} sessions\)"):
        run_backtest(_panel({"A": long, "B": b, "SA": sa, "SB": sb}), params)


def test_defer_on_gaps_keeps_the_last_real_bars_targets() -> None:
    t = np.array([[0, 0], [1, 0], [0, 1], [0, 1], [1, 0]], dtype=float)
    carried = np.array([False, False, True, True, False])
    np.testing.assert_array_equal(defer_on_gaps(t, carried), [[0, 0], [1, 0], [1, 0], [1, 0], [1, 0]])
    np.testing.assert_array_equal(defer_on_gaps(t[None], carried)[0], defer_on_gaps(t, carried))
    assert defer_on_gaps(t, np.zeros(5, dtype=bool)) is t


def test_momentum_ranks_only_members_that_exist() -> None:
    n = 120
    up = 100 * 1.01 ** np.arange(n)  # the strongest riser, but only from row 70
    late = up.copy()
    late[:70] = np.nan
    panel = _panel({"X": _walk(n, 7), "Y": _walk(n, 8), "L": late})
    res = run_backtest(panel, Momentum(("X", "Y", "L"), lookback=10, top=1, rebalance="daily"))
    assert res.start == panel.dates[0]
    held = res.equity.filter(res.equity["w_L"] > 0)["date"]
    assert held.min() > panel.dates[80]  # it needs its own 10-session history first
    res2 = sweep(panel, "momentum", {"lookback": ["10"]}, values={"symbols": ("X", "Y", "L"), "top": 1,
                                                                   "rebalance": "daily"})
    assert res2.table["total_return"][0] == res.stats["total_return"]
