"""``rotation backtest run | sweep`` on the real store: figures, JSON, Dask, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def _json(result: object) -> dict:
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    return json.loads(result.stdout)  # type: ignore[attr-defined]


def test_run_pair_switch_json(cli, real_store: Path) -> None:
    out = _json(cli("backtest", "run", "pair-switch", "--start", "2015-01-01", "--end", "2024-12-31",
                    "--json", "--store", str(real_store)))
    assert out["params"] == {"a": "IWM", "b": "QQQ", "sa": "^RUT", "sb": "^NDX", "fast": 1, "slow": 50,
                             "long": 1.0, "short": 0.0}
    assert out["stats"]["total_return"] == pytest.approx(2.2144587095647856, rel=1e-9)
    assert out["stats"]["trades"] == 186
    assert out["equity"][0] == {"date": "2015-01-02", "equity": 1.0, "drawdown": 0.0, "exposure": 0.0,
                                "turnover": 0.0, "carried": False}
    assert out["trades"][0]["entry_date"] == "2015-01-05"
    assert out["trades"][-1]["exit_reason"] == "open" and out["trades"][-1]["exit_date"] is None


def test_run_table_with_pair_signal_universe_and_stops(cli, real_store: Path) -> None:
    res = cli("backtest", "run", "pair-switch", "--pair", "IWM:SPY", "--signal", "rut/gspc", "-p", "slow=100",
              "--start", "2020-01-01", "--end", "2024-12-31", "--stop", "0.05", "--commission", "0.0005",
              "--store", str(real_store))
    assert res.exit_code == 0, res.output
    assert "sa=^RUT, sb=^GSPC" in res.stdout and "stop 5.00%" in res.stdout and "Sharpe" in res.stdout
    out = _json(cli("backtest", "run", "momentum", "--universe", "sectors", "-p", "top=2", "-p", "lookback=63",
                    "--start", "2019-01-01", "--end", "2024-12-31", "--execution", "close", "--json",
                    "--store", str(real_store)))
    assert "XLC" in out["params"]["symbols"] and out["config"]["execution"] == "close"
    assert {t["symbol"] for t in out["trades"]} <= set(out["params"]["symbols"])


def test_sweep_local_and_local_cluster_agree(cli, real_store: Path) -> None:
    args = ["backtest", "sweep", "pair-switch", "--grid", "fast=1,5", "--grid", "slow=50:200:50",
            "--start", "2015-01-01", "--end", "2024-12-31", "--top", "0", "--json", "--store", str(real_store)]
    local = _json(cli(*args))
    dask = _json(cli(*args, "--local-cluster", "2", "--chunk-size", "3"))
    assert local["sets"] == 8 and len(local["rows"]) == 8
    assert dask["rows"] == local["rows"]
    guard = local["overfit"]  # DSR and PBO of the grid, the same whichever executor ran it
    assert guard == dask["overfit"] and guard["pbo"]["splits"] == 12_870 and guard["pbo"]["sets"] == 8
    assert 0.0 <= guard["deflated_sharpe"]["dsr"] <= 1.0 and guard["deflated_sharpe"]["trials"] == 8
    assert local["window"]["start"] == "2015-01-02" and guard["pbo_note"] == "all 8 sets"
    assert local["executor"] == "local" and "2 workers" in dask["executor"]
    by_set = {r["set"]: r for r in local["rows"]}
    assert (by_set[0]["fast"], by_set[0]["slow"]) == (1, 50)
    assert by_set[0]["total_return"] == pytest.approx(2.2144587095647856, rel=1e-9)  # == the single run
    sharpe = [r["sharpe"] for r in local["rows"]]
    assert sharpe == sorted(sharpe, reverse=True)


def test_sweep_table(cli, real_store: Path) -> None:
    res = cli("backtest", "sweep", "rrg", "-g", "window=21,63", "-g", "quadrants=leading,leading+improving",
              "--top", "3", "--by", "calmar", "--start", "2018-01-01", "--end", "2024-12-31",
              "--store", str(real_store))
    assert res.exit_code == 0, res.output
    assert "4 parameter sets" in res.stdout and "top 3 by calmar" in res.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "buy-the-dip"], "unknown strategy"),
        (["run", "pair-switch", "-p", "window=5"], "no parameter 'window'"),
        (["run", "pair-switch", "--universe", "sectors"], "--universe"),
        (["run", "momentum", "--pair", "IWM:QQQ"], "--pair"),
        (["run", "pair-switch", "--pair", "IWM"], "expected A:B"),
        (["run", "pair-switch", "--execution", "vwap"], "execution"),
        (["sweep", "pair-switch", "--grid", "fast"], "key=v1,v2"),
        (["sweep", "pair-switch", "--grid", "a=IWM,SPY"], "cannot be swept"),
        (["sweep", "pair-switch", "--grid", "fast=1,2", "--by", "alpha"], "--by"),
        (["sweep", "pair-switch", "--grid", "fast=1,2", "--dask", "x", "--local-cluster", "2"], "choose one"),
    ],
)
def test_bad_input_exits_2(cli, real_store: Path, args: list[str], message: str) -> None:
    res = cli("backtest", *args, "--store", str(real_store))
    assert res.exit_code == 2, res.output
    assert message in res.stderr


def test_sweep_on_a_scheduler_address(cli, real_store: Path) -> None:
    """``--dask ADDRESS``: the same code pointed at a running scheduler (here an in-process one)."""
    distributed = pytest.importorskip("distributed")
    args = ["backtest", "sweep", "momentum", "-g", "lookback=63,126", "-g", "top=1,3", "--start", "2020-01-01",
            "--end", "2024-12-31", "--top", "0", "--json", "--store", str(real_store)]
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address="127.0.0.1:0") as cluster:  # ":8787" clashes under xdist
        remote = _json(cli(*args, "--dask", cluster.scheduler_address, "--chunk-size", "1"))
    local = _json(cli(*args))
    assert remote["rows"] == local["rows"] and remote["sets"] == 4
    assert remote["executor"].startswith("Dask at ")
