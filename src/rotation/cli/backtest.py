"""``rotation backtest run | sweep | walkforward``: backtest a rotation strategy, sweep its
parameters, or walk a sweep forward (choose on train, trade on test).

Strategies: ``pair-switch``, ``momentum``, ``rrg`` (target weights through the book) and
``breakout`` (signal + stops, :mod:`rotation.backtest.breakout`; its sweep streams, shows
a progress bar and an estimate, and refuses a grid beyond the documented limit unless
``--force``); every one runs, sweeps and walks forward at the next open or, with
``--execution close``, the next close; see ``docs/backtest.md``.
Parameters come from ``--param key=value`` (strategy fields; tuples joined
with ``+``: ``quadrants=leading+improving``), ``--universe`` (the symbols of a
universe preset, and its benchmark for ``rrg``), ``--pair A:B`` and
``--signal A:B`` (``pair-switch``: traded pair and signal pair; the signal
defaults to the traded pair when only ``--pair`` is given).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from rotation.backtest.run import BacktestResult, RunConfig, backtest, stats_row
from rotation.backtest.stats import STAT_NAMES
from rotation.backtest.strategies import STRATEGIES, strategy_class
from rotation.backtest.sweep import SweepResult, parse_grid, sweep_store
from rotation.backtest.walkforward import WalkForward, walk_forward_store
from rotation.cli.common import (
    EndOpt,
    JsonOpt,
    StartOpt,
    StoreOpt,
    console,
    err_console,
    fmt_num,
    fmt_pct,
    make_table,
    parse_date,
    print_json,
    read_store,
)
from rotation.data.universes import load_universe
from rotation.errors import ConfigError

backtest_app = typer.Typer(help="Backtest rotation strategies and sweep their parameters.", no_args_is_help=True)

StrategyArg = Annotated[str, typer.Argument(help=f"Strategy: {', '.join(STRATEGIES)}.")]
UniverseOpt = Annotated[str | None, typer.Option("--universe", help="Universe preset (momentum, rrg): its symbols and benchmark.")]
PairOpt = Annotated[str | None, typer.Option("--pair", help="Traded pair A:B (pair-switch), e.g. IWM:QQQ.")]
SignalOpt = Annotated[str | None, typer.Option("--signal", help="Signal pair A:B (pair-switch), e.g. RUT:NDX.")]
ParamOpt = Annotated[list[str] | None, typer.Option("--param", "-p", help="Strategy parameter key=value (repeatable).")]
ExecOpt = Annotated[str, typer.Option("--execution", help="Act on a signal at the next bar's open or close "
                                                           "(breakout: stops from the bar after a close fill).")]
CommOpt = Annotated[float, typer.Option("--commission", min=0.0, help="Commission, fraction of traded value (0.0005 = 5 bps).")]
SlipOpt = Annotated[float, typer.Option("--slippage", min=0.0, help="Slippage, fraction of price against the trade.")]
StopOpt = Annotated[float | None, typer.Option("--stop", min=0.0, max=1.0, help="Stop loss, fraction below the entry (engine stop).")]
TrailOpt = Annotated[float | None, typer.Option("--trail", min=0.0, max=1.0, help="Trailing stop, fraction below the best high.")]
DaskOpt = Annotated[str | None, typer.Option("--dask", help="Dask scheduler address (tcp://host:8786).")]
LocalClusterOpt = Annotated[int | None, typer.Option("--local-cluster", min=1, help="Start a local Dask cluster of N workers.")]
DaskTimeoutOpt = Annotated[float, typer.Option("--dask-timeout", min=0.001, help="Seconds to wait for the --dask scheduler.")]


@contextmanager
def _executor(dask: str | None, local_cluster: int | None, timeout: float,
              doing: str = "sweeping") -> Iterator[tuple[Any, str]]:
    """``(executor, where)``: a Dask executor for ``--dask``/``--local-cluster`` (``doing`` on it said
    on stderr), else ``(None, "local")``."""
    if dask and local_cluster:
        raise ConfigError("--dask and --local-cluster: choose one")
    if not (dask or local_cluster):
        yield None, "local"
        return
    from rotation.backtest.distributed import dask_executor

    where = f"Dask at {dask}" if dask else f"local Dask cluster, {local_cluster} workers"
    err_console.print(f"{doing} on {where}", highlight=False)
    with dask_executor(dask, workers=local_cluster or 2, timeout=timeout) as ex:
        yield ex, where

STAT_LABELS = {
    "total_return": "total return", "cagr": "CAGR", "volatility": "volatility", "sharpe": "Sharpe",
    "sortino": "Sortino", "max_drawdown": "max drawdown", "calmar": "Calmar", "exposure": "exposure",
    "turnover": "turnover / year", "trades": "trades", "win_rate": "win rate",
}
SHORT_LABELS = {
    "total_return": "total", "cagr": "CAGR", "volatility": "vol", "sharpe": "Sharpe", "sortino": "Sortino",
    "max_drawdown": "max DD", "calmar": "Calmar", "exposure": "exposure", "turnover": "turn/yr",
    "trades": "trades", "win_rate": "win",
}
PCT_STATS = {"total_return", "cagr", "volatility", "max_drawdown", "exposure", "win_rate"}


def _split_pair(text: str, option: str) -> tuple[str, str]:
    for sep in (":", "/"):
        if sep in text:
            a, b = (p.strip() for p in text.split(sep, 1))
            if a and b:
                return a, b
    raise ConfigError(f"{option}: expected A:B, got {text!r}")


def _values(strategy: str, universe: str | None, pair: str | None, signal: str | None,
            params: list[str] | None) -> dict[str, Any]:
    """Strategy values from the options (``--param`` wins over ``--universe``/``--pair``)."""
    cls = strategy_class(strategy)
    values: dict[str, Any] = {}
    if universe is not None:
        if cls.name == "pair-switch":
            raise ConfigError("--universe: pair-switch trades a pair; use --pair A:B")
        uni = load_universe(universe)
        values["symbols"] = uni.symbols
        if cls.name == "rrg" and uni.benchmark:
            values["benchmark"] = uni.benchmark
    if pair is not None or signal is not None:
        if cls.name != "pair-switch":
            raise ConfigError("--pair/--signal: only for pair-switch; use --universe for the others")
        if pair is not None:
            values["a"], values["b"] = _split_pair(pair, "--pair")
            values["sa"], values["sb"] = values["a"], values["b"]
        if signal is not None:
            values["sa"], values["sb"] = _split_pair(signal, "--signal")
    for spec in params or []:
        key, sep, value = spec.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--param: expected key=value, got {spec!r}")
        values[key.strip()] = value
    return values


def _fmt_stat(key: str, value: float | None) -> str:
    if value is None:
        return "-"
    if key in PCT_STATS:
        return fmt_pct(value, signed=key in ("total_return", "cagr", "max_drawdown"))
    if key == "trades":
        return f"{value:,.0f}"
    return fmt_num(value)


def _describe(params: Any) -> str:
    fields = {k: v for k, v in vars(params).items()}
    return ", ".join(f"{k}={'+'.join(v) if isinstance(v, tuple) else v}" for k, v in fields.items())


def _render_run(res: BacktestResult, last: int) -> None:
    stats = stats_row(res.stats)
    console.print(f"[bold]{escape(res.strategy)}[/] {escape(_describe(res.params))}", markup=True)
    console.print(f"window {res.window.describe()}")
    console.print(f"execution at the next {res.config.execution}, "
                  f"cost {res.config.cost * 1e4:g} bps a side"
                  + (f", stop {fmt_pct(res.config.stop, signed=False)}" if res.config.stop else "")
                  + (f", trailing {fmt_pct(res.config.trail, signed=False)}" if res.config.trail else ""))
    console.print(make_table("statistics", ["statistic", "value"],
                             [[STAT_LABELS[k], _fmt_stat(k, stats[k])] for k in STAT_NAMES]))
    if last > 0 and res.trades.height:
        rows = [[r["symbol"], r["side"], r["entry_date"], fmt_num(r["entry_price"]), r["exit_date"] or "open",
                 fmt_num(r["exit_price"]), fmt_pct(r["return"]), r["bars"], r["exit_reason"]]
                for r in res.trades.tail(last).iter_rows(named=True)]
        console.print(make_table(f"last {len(rows)} of {res.trades.height} trades (adjusted prices)",
                                 ["symbol", "side", "entry", "price", "exit", "price", "return", "bars", "reason"],
                                 rows))


@backtest_app.command("run")
def run_cmd(
    strategy: StrategyArg,
    universe: UniverseOpt = None,
    pair: PairOpt = None,
    signal: SignalOpt = None,
    param: ParamOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    execution: ExecOpt = "open",
    commission: CommOpt = 0.0,
    slippage: SlipOpt = 0.0,
    stop: StopOpt = None,
    trail: TrailOpt = None,
    trades: Annotated[int, typer.Option("--trades", min=0, help="Show the last N trades (0: none).")] = 10,
    out: Annotated[Path | None, typer.Option("--out", help="Write a tearsheet (self-contained HTML) here.")] = None,
    benchmark: Annotated[str, typer.Option("--benchmark", help="Tearsheet benchmark: buy and hold of this symbol.")] = "SPY",
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Run one strategy: statistics, trades, (with --json) the equity curve, (with --out) a tearsheet."""
    values = _values(strategy, universe, pair, signal, param)
    config = RunConfig(execution=execution, commission=commission, slippage=slippage, stop=stop, trail=trail)
    if out is not None and out.suffix.lower() not in (".html", ".htm"):
        raise ConfigError(f"--out: expected an .html file, got {out}")
    with read_store(store) as st:
        if strategy == "breakout":
            from rotation.backtest.breakout import backtest_breakout

            res = backtest_breakout(st, values, config, parse_date(start, "--from"), parse_date(end, "--to"))
        else:
            res = backtest(st, strategy, values, config, parse_date(start, "--from"), parse_date(end, "--to"))
        if out is not None:
            from rotation.report.tearsheet import write_tearsheet

            path = write_tearsheet(st, res, out, benchmark)
            err_console.print(f"tearsheet written to {path}", highlight=False)
    if json_out:
        print_json({
            "strategy": res.strategy, "params": res.params, "config": res.config, "start": res.start,
            "end": res.end, "window": res.window.as_dict(), "symbols": res.symbols,
            "prices": "adj_close-adjusted OHLC",
            "stats": stats_row(res.stats), "trades": res.trades,
            "equity": res.equity.select(c for c in ("date", "equity", "drawdown", "exposure", "turnover", "carried")
                                        if c in res.equity.columns),
        })
    else:
        _render_run(res, trades)


def _render_sweep(res: SweepResult, top: int, by: str, seconds: float, where: str) -> None:
    console.print(f"[bold]{escape(res.strategy)}[/] sweep: {getattr(res, 'sets', res.table.height):,} parameter sets, "
                  f"{res.start} .. {res.end}, {seconds:.2f} s ({escape(where)})", markup=True)
    if res.window is not None:
        console.print(f"window {res.window.describe()}")
    frame = res.top(top or res.table.height, by)
    swept = list(res.grid)
    cols = ["set", *swept, *STAT_NAMES]
    rows = []
    for r in frame.iter_rows(named=True):
        rows.append([r["set"], *(r[k] for k in swept), *(_fmt_stat(k, r[k]) for k in STAT_NAMES)])
    console.print(make_table(f"top {len(rows)} by {by}", [SHORT_LABELS.get(c, c) for c in cols], rows))
    if res.guard is not None:
        console.print(res.guard.describe(), highlight=False)


@backtest_app.command("sweep")
def sweep_cmd(
    strategy: StrategyArg,
    grid: Annotated[list[str], typer.Option("--grid", "-g", help="key=v1,v2,... or key=start:stop:step (repeatable).")],
    universe: UniverseOpt = None,
    pair: PairOpt = None,
    signal: SignalOpt = None,
    param: ParamOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    execution: ExecOpt = "open",
    commission: CommOpt = 0.0,
    slippage: SlipOpt = 0.0,
    stop: StopOpt = None,
    trail: TrailOpt = None,
    dask: DaskOpt = None,
    local_cluster: LocalClusterOpt = None,
    dask_timeout: DaskTimeoutOpt = 10.0,
    chunk_size: Annotated[int | None, typer.Option(
        "--chunk-size", min=1, help="Parameter sets per task (default: 128 through the book; fused pair-switch: "
                                    "up to 65,536 sets a task locally, about 4,096 on Dask).")] = None,
    top: Annotated[int, typer.Option("--top", min=0, help="Show the N best sets (0: all).")] = 10,
    by: Annotated[str, typer.Option("--by", help=f"Rank by: {', '.join(STAT_NAMES)}.")] = "sharpe",
    force: Annotated[bool, typer.Option("--force", help="Run a breakout grid beyond the bar-step limit.")] = False,
    device: Annotated[str, typer.Option("--device", help="breakout: cpu, or gpu (a CUDA GPU via numba.cuda).")] = "cpu",
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Sweep a parameter grid (local, or on Dask with --dask/--local-cluster) and rank the sets."""
    if dask and local_cluster:
        raise ConfigError("--dask and --local-cluster: choose one")
    if by not in STAT_NAMES:
        raise ConfigError(f"--by: expected one of {', '.join(STAT_NAMES)}, got {by!r}")
    if top < 0:
        raise ConfigError(f"--top: expected 0 or more, got {top}")
    values = _values(strategy, universe, pair, signal, param)
    specs = parse_grid(grid)
    config = RunConfig(execution=execution, commission=commission, slippage=slippage, stop=stop, trail=trail)
    s, e = parse_date(start, "--from"), parse_date(end, "--to")
    if strategy == "breakout":
        if device != "cpu" and (dask or local_cluster):
            raise ConfigError("--device gpu: runs in this process, not with --dask/--local-cluster")
        with _executor(dask, local_cluster, dask_timeout) as (ex, where):
            _breakout_sweep(store, specs, values, config, s, e, top, by, force, json_out, device, ex, where)
        return
    if device != "cpu":
        raise ConfigError("--device gpu: only the breakout sweep has a GPU kernel")
    t0 = time.perf_counter()
    with read_store(store) as st, _executor(dask, local_cluster, dask_timeout) as (ex, where):
        res = sweep_store(st, strategy, specs, values=values, config=config, start=s, end=e, executor=ex,
                          chunk_size=chunk_size)
    seconds = time.perf_counter() - t0
    if json_out:
        print_json({
            "strategy": res.strategy, "base": res.base, "config": res.config, "start": res.start, "end": res.end,
            "window": res.window.as_dict() if res.window else None,
            "overfit": res.guard.as_dict() if res.guard else None,
            "grid": res.grid, "sets": res.table.height, "by": by, "executor": where,
            "rows": res.top(top or res.table.height, by),
        })
    else:
        _render_sweep(res, top, by, seconds, where)


def _breakout_sweep(store: Any, specs: dict[str, list[str]], values: dict[str, Any], config: RunConfig,
                    start: Any, end: Any, top: int, by: str, force: bool, json_out: bool, device: str,
                    executor: Any = None, where: str = "local") -> None:
    """Plan (estimate, limit), then stream the sweep with a progress bar on stderr."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from rotation.backtest.breakout import plan_sweep, run_plan
    from rotation.backtest.run import load_panel
    from rotation.backtest.strategies import make_params

    with read_store(store) as st:
        panel = load_panel(st, make_params("breakout", values).needs, start, end)
    plan = plan_sweep(panel, specs, values=values, config=config, start=start, end=end, top=top)
    plan.check(force)
    if device == "gpu":
        from rotation.backtest.signals_gpu import gpu_available

        if not gpu_available():
            raise ConfigError("--device gpu: no CUDA GPU found (numba.cuda.is_available() is False); use --device cpu")
    plan = plan.pilot()
    n, k = plan.win.prices.shape
    err_console.print(f"breakout sweep: {plan.sets:,} sets x {k} symbols x {n:,} bars = {plan.bar_steps:,} "
                      f"bar-steps; estimated {plan.seconds:,.1f} s at {plan.rate / 1e6:,.0f}M bar-steps/s "
                      f"(pilot), memory about {plan.memory / 2**20:,.0f} MiB", highlight=False)
    with Progress(TextColumn("sets"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err_console, transient=True, disable=json_out or not err_console.is_terminal) as bar:
        task = bar.add_task("sweep", total=plan.sets)
        res = run_plan(plan, top=top, by=by, force=force, device=device, executor=executor,
                       progress=lambda done, total: bar.update(task, completed=done))
    if json_out:
        print_json({
            "strategy": res.strategy, "base": res.base, "config": res.config, "start": res.start, "end": res.end,
            "window": res.window.as_dict() if res.window else None,
            "overfit": res.guard.as_dict() if res.guard else None,
            "grid": res.grid, "sets": res.sets, "complete": res.complete, "by": by, "executor": where,
            "bar_steps": res.bar_steps, "seconds": res.seconds, "summary": res.summary,
            "rows": res.top(top or res.table.height, by),
        })
        return
    _render_sweep(res, top, by, res.seconds, f"{where}, {res.bar_steps / max(res.seconds, 1e-9) / 1e6:,.0f}M bar-steps/s")
    if not res.complete:
        console.print(f"{res.sets:,} sets: the table keeps the best {res.table.height:,} by {by}")
    sh = res.summary["sharpe"]
    console.print(f"Sharpe over all {res.sets:,} sets: mean {fmt_num(sh['mean'])}, std {fmt_num(sh['std'])}, "
                  f"min {fmt_num(sh['min'])}, max {fmt_num(sh['max'])}")


def _render_walkforward(wf: WalkForward) -> None:
    kind = "anchored" if wf.anchored else "rolling"
    console.print(f"[bold]{escape(wf.strategy)}[/] walk-forward ({kind}, train {wf.train} / test {wf.test} "
                  f"sessions, best by {wf.by}): {len(wf.splits)} splits", markup=True)
    console.print(f"window {wf.window.describe()}")
    rows = [[i, f"{s.train_start} .. {s.train_end}", f"{s.test_start} .. {s.test_end}",
             ", ".join(f"{k}={v}" for k, v in s.values.items()), _fmt_stat(wf.by, s.train_metric),
             _fmt_stat(wf.by, s.test_metric)] for i, s in enumerate(wf.splits)]
    console.print(make_table("splits", ["split", "train", "test", "chosen on train", f"{wf.by} train",
                                        f"{wf.by} test"], rows))
    oos, ins = stats_row(wf.oos_stats), stats_row(wf.is_stats)
    best = ", ".join(f"{k}={v}" for k, v in wf.is_values.items())
    first, last = wf.out_of_sample
    console.print(make_table(f"{first} .. {last}: out of sample = the stitched tests (from cash at the "
                             f"{wf.equity['date'][0]} close); in sample = the best set in hindsight ({best})",
                             ["statistic", "out of sample", "in sample"],
                             [[STAT_LABELS[k], _fmt_stat(k, oos[k]), _fmt_stat(k, ins[k])] for k in STAT_NAMES]))


@backtest_app.command("walkforward")
def walkforward_cmd(
    strategy: StrategyArg,
    grid: Annotated[list[str], typer.Option("--grid", "-g", help="key=v1,v2,... or key=start:stop:step (repeatable).")],
    train: Annotated[int, typer.Option("--train", help="Training window, sessions.")] = 756,
    test: Annotated[int, typer.Option("--test", help="Test window (and step), sessions.")] = 252,
    anchored: Annotated[bool, typer.Option("--anchored", help="Training windows all start at the window's start.")] = False,
    by: Annotated[str, typer.Option("--by", help=f"Choose on train by: {', '.join(STAT_NAMES)}.")] = "sharpe",
    universe: UniverseOpt = None,
    pair: PairOpt = None,
    signal: SignalOpt = None,
    param: ParamOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    execution: ExecOpt = "open",
    commission: CommOpt = 0.0,
    slippage: SlipOpt = 0.0,
    stop: StopOpt = None,
    trail: TrailOpt = None,
    dask: DaskOpt = None,
    local_cluster: LocalClusterOpt = None,
    dask_timeout: DaskTimeoutOpt = 10.0,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Walk-forward: choose the best set on each training window, trade it on the next test window (any strategy;
    each training sweep on Dask with --dask/--local-cluster)."""
    values = _values(strategy, universe, pair, signal, param)
    specs = parse_grid(grid)
    config = RunConfig(execution=execution, commission=commission, slippage=slippage, stop=stop, trail=trail)
    with read_store(store) as st, _executor(dask, local_cluster, dask_timeout, "training sweeps") as (ex, _):
        wf = walk_forward_store(st, strategy, specs, train=train, test=test, anchored=anchored, by=by,
                                values=values, config=config, start=parse_date(start, "--from"),
                                end=parse_date(end, "--to"), executor=ex)
    if json_out:
        print_json({
            "strategy": wf.strategy, "by": wf.by, "anchored": wf.anchored, "train": wf.train, "test": wf.test,
            "window": wf.window.as_dict(), "splits": wf.splits,
            "out_of_sample_window": dict(zip(("start", "end"), wf.out_of_sample, strict=True)),
            "out_of_sample": stats_row(wf.oos_stats), "in_sample": stats_row(wf.is_stats),
            "in_sample_values": wf.is_values, "equity": wf.equity,
        })
    else:
        _render_walkforward(wf)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(backtest_app, name="backtest")
