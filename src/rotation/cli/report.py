"""``rotation report`` (the evening report: HTML, text or JSON) and ``rotation chart`` (one-off charts)."""

from __future__ import annotations

import webbrowser
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from rotation.cli.common import (
    AsOfOpt,
    EndOpt,
    JsonOpt,
    StartOpt,
    StoreOpt,
    console,
    err_console,
    parse_date,
    print_json,
    read_store,
    write_store,
)
from rotation.data.textio import write_atomic
from rotation.errors import ConfigError, DataError

FORMATS: tuple[str, ...] = ("html", "text", "json")


def _fetch(store: Path | None, universes: list[str], provider: str) -> None:
    """``--fetch``: download the report's symbols with ``rotation data update``'s library function."""
    try:
        from rotation.data.providers import get_provider
        from rotation.data.update import update_symbols
    except ImportError as exc:  # pragma: no cover - the data layer ships both
        raise ConfigError(f"--fetch needs rotation.data.update: {exc}") from exc
    from rotation.data.universes import load_universe, standard_pairs
    from rotation.report.build import ReportOptions, report_symbols

    unis = {name: load_universe(name) for name in universes}
    symbols = report_symbols(unis, standard_pairs(), ReportOptions())
    source = get_provider(provider)
    err_console.print(f"fetching {len(symbols)} symbols from {source.name} (rotation data update)...")
    with write_store(store) as st:
        result = update_symbols(st, source, symbols)
    for failed in result.failed:
        err_console.print(f"[yellow]could not update {escape(failed.symbol)}:[/] {escape(str(failed.error))}",
                          markup=True, highlight=False)


def report_cmd(
    as_of: AsOfOpt = None,
    universe: Annotated[
        list[str] | None,
        typer.Option("--universe", "-u", help="Universe(s) to cover (repeat); default: core sectors styles megacaps."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="HTML file to write (default: rotation-report-DATE.html).")
    ] = None,
    open_: Annotated[bool, typer.Option("--open", help="Open the HTML file in the default browser.")] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="html (a file), text (terminal) or json.")] = "html",
    leader: Annotated[str, typer.Option("--leader", help="Leader drawn in the daily chart.")] = "NVDA",
    laggard: Annotated[str, typer.Option("--laggard", help="Second pane of the daily chart.")] = "^RUT",
    plan: Annotated[
        list[Path] | None, typer.Option("--plan", help="Trade plan TOML file(s) for the trades section (default: the saved plans in $ROTATION_PLANS or ~/.config/rotation/plans).")
    ] = None,
    fetch: Annotated[
        bool, typer.Option("--fetch", help="First download the report's symbols (`rotation data update`; online).")
    ] = False,
    provider: Annotated[str, typer.Option("--provider", help="Provider for --fetch: yahoo or stooq.")] = "yahoo",
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """The evening report: what rotated, how big by history's standard, where segments stand, your trades.

    Writes one self-contained HTML file (plotly.js inside: opens offline, can be
    mailed), or prints the same content as text (120 columns) or JSON.  On an
    empty store it says how to fill it and exits 2.
    """
    from rotation.report.build import DEFAULT_UNIVERSES, ReportOptions, build_report
    from rotation.report.model import report_dict

    fmt = "json" if json_out else fmt.strip().lower()
    if fmt not in FORMATS:
        raise ConfigError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    universes = list(universe) if universe else list(DEFAULT_UNIVERSES)
    if fetch:
        _fetch(store, universes, provider)
    from rotation.trading.plan import saved_plans

    options = ReportOptions(leader=leader, laggard=laggard, plans=tuple(plan) if plan else saved_plans())
    with read_store(store) as st:
        report = build_report(st, parse_date(as_of, "--as-of"), universes, options)
    if fmt == "json":
        print_json(report_dict(report))
        return
    if fmt == "text":
        from rotation.report.terminal import WIDTH, print_report

        con = console if console.width <= WIDTH else type(console)(
            width=WIDTH, highlight=False, soft_wrap=False, force_terminal=console.is_terminal, markup=False
        )
        print_report(report, con)
        return
    from rotation.report.html import write_html

    path = write_html(report, out or Path(f"rotation-report-{report.as_of.isoformat()}.html"))
    states = ", ".join(f"{s.number} {s.key}" + ("" if s.status == "ok" else f" ({s.status})")
                       for s in report.sections)
    console.print(f"wrote {path} (as of {report.as_of.isoformat()}, "
                  f"{report.timings.get('total', 0.0):.2f}s): {states}", highlight=False, soft_wrap=True)
    if open_:
        webbrowser.open(path.resolve().as_uri())


def _positioning_figure(store: Path | None, contract: str, start: str | None, end: str | None) -> Any:
    """``chart --positioning``: net contracts by trader group under the contract's index."""
    from rotation.analytics.positioning import group_label
    from rotation.query.positioning import positioning_chart_inputs
    from rotation.report.model import FigureRef
    from rotation.report.positioning_charts import positioning_chart

    with read_store(store) as st:
        got = positioning_chart_inputs(st, contract, parse_date(start, "--from"), parse_date(end, "--to"))
    groups = [c for c in got.net.columns if c not in ("report_date", "release_date", "open_interest")]
    c = got.contract
    fig = positioning_chart(
        got.net, got.closes, contract=c.key, index_symbol=c.index_symbol,
        labels={g: group_label(g) for g in groups if g != "other_rept"},
        title=f"{c.key} ({c.name}): net contracts by trader group under {c.index_symbol}, "
              f"CFTC reports from {got.start} released by {got.end}",
    )
    return FigureRef("chart", f"{c.key} positioning", fig, height=560)


def chart_cmd(
    symbols: Annotated[
        list[str] | None, typer.Argument(help="Symbol(s): one gives candles, several give rebased lines.")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output file: .html (offline) or .png (needs Chromium).")] = None,
    vs: Annotated[str | None, typer.Option("--vs", help="A second symbol on the same time axis.")] = None,
    positioning: Annotated[
        str | None, typer.Option("--positioning", help="A contract (RTY, NQ, ES): net by trader group under its index.")
    ] = None,
    start: StartOpt = None,
    end: EndOpt = None,
    store: StoreOpt = None,
) -> None:
    """A one-off chart: candles of SYMBOL (with --vs, a second pane on one time axis), rebased lines,
    or with --positioning CONTRACT the CFTC net positions by trader group under the index."""
    from rotation.data.symbols import normalize_symbol
    from rotation.report.charts import symbol_chart
    from rotation.report.model import FigureRef

    if out is None:
        raise ConfigError("--out FILE is required (.html or .png)")
    suffix = out.suffix.lower()
    if suffix not in (".html", ".png"):
        raise ConfigError(f"--out {out}: expected a file name ending in .html or .png")
    if positioning is not None:
        if symbols or vs:
            raise ConfigError("--positioning draws a contract's chart: give no SYMBOLs or --vs with it")
        _write_figure(_positioning_figure(store, positioning, start, end), out)
        return
    if not symbols:
        raise ConfigError("give one or more SYMBOLs, or --positioning CONTRACT")
    names = [normalize_symbol(s) for s in symbols]
    other = normalize_symbol(vs) if vs else None
    twice = sorted({s for s in names if names.count(s) > 1})
    if twice:
        raise ConfigError(f"SYMBOLS: expected different symbols, got {', '.join(twice)} more than once")
    if other is not None and other in names:
        raise ConfigError(f"--vs {vs}: expected a symbol other than the one charted ({', '.join(names)})")
    end_d = parse_date(end, "--to")
    start_d = parse_date(start, "--from")
    wanted = list(dict.fromkeys([*names, *([other] if other else [])]))
    with read_store(store) as st:
        if end_d is None:
            last = st.last_dates()
            known = [last[s] for s in names if s in last]
            end_d = max(known) if known else None  # none known: st.bars names the unknown ones
        if start_d is None and end_d is not None:
            start_d = end_d - timedelta(days=365)
        bars = st.bars(wanted, start_d, end_d)
    empty = [s for s in wanted if s not in set(bars["symbol"].to_list())]
    if empty:
        raise DataError(f"chart: no bars for {', '.join(empty)} between {start_d or 'the first bar'} and "
                        f"{end_d or 'the last bar'}; expected a range that overlaps the stored bars "
                        "(`rotation data list` shows them)")
    fig = symbol_chart(bars, names, vs=other)
    _write_figure(FigureRef("chart", " ".join(names), fig, height=int(fig.layout.height or 520)), out)


def _write_figure(ref: Any, out: Path) -> None:
    from rotation.report.html import figure_page

    if out.suffix.lower() == ".png":
        from rotation.report.png import figure_to_png

        path = figure_to_png(ref, out)
    else:
        path = write_atomic(out, figure_page(ref), "chart")
    console.print(f"wrote {path}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``report`` and ``chart`` to the root app."""
    app.command("report")(report_cmd)
    app.command("chart")(chart_cmd)
