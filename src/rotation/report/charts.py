"""Pure plotly figure builders: frames and plain values in, ``go.Figure`` out (no I/O, no analytics).

The section builders compute (through the analytics packages) and hand the
results here as Polars frames and small tuples, so the dashboard can reuse the
same figures.  Prices drawn as candles are as-traded OHLC; ratio and relative
lines are on ``adj_close`` (the caller says so in the title).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

UP = "#1a9850"
DOWN = "#d73027"
ROTATION = "rgba(255, 165, 0, 0.22)"
PALETTE: tuple[str, ...] = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31",
)
MA_COLORS: tuple[str, ...] = ("#ff7f0e", "#2ca02c", "#9467bd", "#8c564b")
QUADRANT_COLORS: Mapping[str, str] = {
    "leading": "rgba(26, 152, 80, 0.08)",
    "weakening": "rgba(254, 224, 139, 0.25)",
    "lagging": "rgba(215, 48, 39, 0.08)",
    "improving": "rgba(69, 117, 180, 0.10)",
}


@dataclass(frozen=True)
class Marker:
    """A dated point to mark on a price pane: a pivot, a high, a fill."""

    day: date
    price: float
    text: str
    kind: str = "pivot"  # "high" | "low" | "pivot" | "ath" | "buy" | "sell"


@dataclass(frozen=True)
class PaneSpec:
    """One price pane of a multi-pane candle chart."""

    symbol: str
    bars: pl.DataFrame  # date, open, high, low, close (as traded)
    markers: tuple[Marker, ...] = ()
    level: tuple[float, str] | None = None  # a horizontal line (price, label), e.g. the ATH
    note: str = ""  # a line of text in the pane's corner, e.g. "-19.7% from ATH"


_AXIS = {"gridcolor": "#ebeef2", "linecolor": "#ebeef2", "zerolinecolor": "#ebeef2", "ticks": "",
         "automargin": True}
# A light template with only what the report uses: plotly's "plotly_white" carries defaults for
# every trace type and is deep-copied into each figure, which cost more than the figures themselves.
# Validated once here: a plain dict would be validated again for every figure.
_TEMPLATE = go.layout.Template(
    {"layout": {"paper_bgcolor": "white", "plot_bgcolor": "white", "font": {"color": "#2a3f5f"},
                "xaxis": _AXIS, "yaxis": _AXIS, "colorway": list(PALETTE)}}
)


TEMPLATE = _TEMPLATE  # for builders in sibling modules (rotation.report.positioning_charts)


def restyle(fig: go.Figure) -> go.Figure:
    """Give a figure built elsewhere (e.g. the valuation charts) the report's light look."""
    fig.update_layout(template=_TEMPLATE)
    return fig


def _layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 15}},
        height=height,
        margin={"l": 60, "r": 30, "t": 60, "b": 40},
        template=_TEMPLATE,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
        hovermode="x unified",
    )
    return fig


def _day_bands(days: Sequence[date], xref: str, yref: str) -> list[dict[str, object]]:
    """Layout shapes: one band a session wide per day, spanning the whole height of one subplot.

    Built as plain dicts and set once: plotly's ``add_vrect`` re-validates the
    whole layout on every call, which costs more than the rest of the figure.
    """
    noon = [datetime.combine(d, time(12)) for d in days]  # a date minus 12 hours stays a date
    return [
        {"type": "rect", "xref": xref, "yref": yref, "x0": (t - timedelta(days=1)).isoformat(),
         "x1": t.isoformat(), "y0": 0, "y1": 1, "fillcolor": ROTATION, "line": {"width": 0}, "layer": "below"}
        for t in noon
    ]


def _axis_ref(axis: str, i: int) -> str:
    return axis if i == 1 else f"{axis}{i}"


def _missing_sessions(days: Sequence[date]) -> list[str]:
    """Weekdays with no bar between the first and last day (holidays), for plotly rangebreaks."""
    if not days:
        return []
    have = set(days)
    out, d = [], days[0]
    while d <= days[-1]:
        if d.weekday() < 5 and d not in have:
            out.append(d.isoformat())
        d += timedelta(days=1)
    return out


def candle_panes(
    panes: Sequence[PaneSpec],
    *,
    title: str,
    shade_days: Sequence[date] = (),
    shade_label: str = "rotation day",
    lower: Sequence[tuple[str, Sequence[date], Sequence[float | None]]] = (),
    lower_title: str = "",
    height: int = 720,
) -> go.Figure:
    """Candles of several symbols on one shared time axis, one pane each, days shaded across all panes.

    ``lower``: optional lines ``(name, dates, values)`` drawn together in a short bottom pane
    (e.g. each symbol's percent below its all-time high).
    """
    n = max(len(panes), 1)
    rows = n + (1 if lower else 0)
    heights = [1.0] * n + ([0.45] if lower else [])
    fig = make_subplots(
        rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.05, row_heights=heights,
        subplot_titles=[f"{p.symbol}  {p.note}".strip() for p in panes] + ([lower_title] if lower else []),
    )
    all_days: set[date] = set()
    for i, pane in enumerate(panes, start=1):
        b = pane.bars.sort("date")
        days = b["date"].to_list()
        all_days.update(days)
        fig.add_trace(
            go.Candlestick(
                x=days, open=b["open"].to_list(), high=b["high"].to_list(), low=b["low"].to_list(),
                close=b["close"].to_list(), name=pane.symbol, showlegend=False,
                increasing_line_color=UP, decreasing_line_color=DOWN,
            ),
            row=i, col=1,
        )
        if pane.level is not None and days:
            price, label = pane.level
            fig.add_trace(
                go.Scatter(
                    x=[days[0], days[-1]], y=[price, price], mode="lines", name=label,
                    line={"color": "#444", "dash": "dash", "width": 1}, showlegend=False, hoverinfo="skip",
                ),
                row=i, col=1,
            )
            fig.add_annotation(
                x=days[0], y=price, text=label, showarrow=False, xanchor="left", yanchor="bottom",
                font={"size": 11, "color": "#444"}, row=i, col=1,
            )
        if pane.markers:
            fig.add_trace(
                go.Scatter(
                    x=[m.day for m in pane.markers], y=[m.price for m in pane.markers],
                    mode="markers+text", text=[m.text for m in pane.markers],
                    textposition=["top center" if m.kind in ("high", "ath", "buy") else "bottom center"
                                  for m in pane.markers],
                    marker={"size": 9, "symbol": ["triangle-down" if m.kind in ("high", "ath", "sell")
                                                   else "triangle-up" for m in pane.markers],
                            "color": ["#000" if m.kind == "ath" else "#555" for m in pane.markers]},
                    textfont={"size": 10}, name=f"{pane.symbol} pivots", showlegend=False,
                ),
                row=i, col=1,
            )
        fig.update_yaxes(title_text=pane.symbol, row=i, col=1)
    for j, (name, days_l, values) in enumerate(lower):
        fig.add_trace(
            go.Scatter(x=list(days_l), y=list(values), mode="lines", name=name,
                       line={"color": PALETTE[j % len(PALETTE)], "width": 1.4}),
            row=rows, col=1,
        )
    if lower:
        fig.update_yaxes(title_text="%", row=rows, col=1)
    shapes = [
        band for i in range(1, rows + 1)
        for band in _day_bands(shade_days, _axis_ref("x", i), f"{_axis_ref('y', i)} domain")
    ]
    if shapes:
        fig.update_layout(shapes=shapes)
    if shade_days:
        fig.add_trace(
            go.Scatter(x=[None], y=[None], mode="markers", name=shade_label,
                       marker={"size": 12, "color": ROTATION, "symbol": "square"}),
            row=1, col=1,
        )
    fig.update_xaxes(
        rangeslider_visible=False,
        rangebreaks=[{"bounds": ["sat", "mon"]}, {"values": _missing_sessions(sorted(all_days))}],
    )
    return _layout(fig, title, height)


def heatmap(
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float | None]],
    *,
    title: str,
    height: int | None = None,
) -> go.Figure:
    """A diverging heat map of fractions (shown as percent), centred on zero."""
    z = [[None if v is None else v * 100 for v in row] for row in values]
    text = [["" if v is None else f"{v:+.1f}%" for v in row] for row in z]
    fig = go.Figure(
        go.Heatmap(
            z=z, x=list(columns), y=list(rows), text=text, texttemplate="%{text}",
            colorscale="RdYlGn", zmid=0, colorbar={"title": {"text": "%"}},
            hovertemplate="%{y} %{x}: %{text}<extra></extra>", xgap=2, ygap=2,
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(side="top")
    h = height or max(320, 28 * len(rows) + 140)
    _layout(fig, title, h)
    fig.update_layout(hovermode="closest", margin={"l": 200, "r": 30, "t": 90, "b": 20})
    return fig


@dataclass(frozen=True)
class LinePanel:
    """One small-multiple panel: a main line plus overlays (e.g. moving averages)."""

    title: str
    dates: tuple[date, ...]
    line: tuple[float | None, ...]
    line_name: str
    overlays: tuple[tuple[str, tuple[float | None, ...]], ...] = ()
    shade_days: tuple[date, ...] = ()
    hline: float | None = None


def line_panels(panels: Sequence[LinePanel], *, title: str, cols: int = 2, height: int | None = None) -> go.Figure:
    """A grid of line charts (ratio lines, breadth series), each with its overlays."""
    n = max(len(panels), 1)
    rows = (n + cols - 1) // cols
    fig = make_subplots(
        rows=rows, cols=cols, subplot_titles=[p.title for p in panels],
        vertical_spacing=0.12 if rows > 1 else 0.08, horizontal_spacing=0.08,
    )
    shapes: list[dict[str, object]] = []
    seen: set[str] = set()  # one legend entry per series name across the panels
    for i, p in enumerate(panels):
        r, c = i // cols + 1, i % cols + 1
        fig.add_trace(
            go.Scatter(x=list(p.dates), y=list(p.line), mode="lines", name=p.line_name,
                       line={"color": PALETTE[0], "width": 1.6}, showlegend=p.line_name not in seen,
                       legendgroup=p.line_name),
            row=r, col=c,
        )
        seen.add(p.line_name)
        for j, (name, ys) in enumerate(p.overlays):
            fig.add_trace(
                go.Scatter(x=list(p.dates), y=list(ys), mode="lines", name=name,
                           line={"color": MA_COLORS[j % len(MA_COLORS)], "width": 1.1},
                           showlegend=name not in seen, legendgroup=name),
                row=r, col=c,
            )
            seen.add(name)
        k = i + 1
        if p.hline is not None and p.dates:
            shapes.append({"type": "line", "xref": f"{_axis_ref('x', k)} domain", "yref": _axis_ref("y", k),
                           "x0": 0, "x1": 1, "y0": p.hline, "y1": p.hline,
                           "line": {"color": "#999", "width": 1, "dash": "dot"}})
        shapes.extend(_day_bands(p.shade_days, _axis_ref("x", k), f"{_axis_ref('y', k)} domain"))
    if shapes:
        fig.update_layout(shapes=shapes)
    _layout(fig, title, height or 300 * rows + 100)
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.06, "xanchor": "left", "x": 0})
    return fig


@dataclass(frozen=True)
class RRGTrail:
    """One symbol's RRG tail, oldest point first; the last point is the as-of position."""

    symbol: str
    label: str
    rs_ratio: tuple[float, ...]
    rs_momentum: tuple[float, ...]
    quadrant: str


def rrg(trails: Sequence[RRGTrail], *, title: str, height: int = 620) -> go.Figure:
    """A Relative Rotation Graph: RS-Ratio (x) against RS-Momentum (y), centred on 100, with tails."""
    xs = [v for t in trails for v in t.rs_ratio] or [100.0]
    ys = [v for t in trails for v in t.rs_momentum] or [100.0]
    span_x = max(abs(max(xs) - 100), abs(min(xs) - 100), 0.5) * 1.15
    span_y = max(abs(max(ys) - 100), abs(min(ys) - 100), 0.5) * 1.15
    fig = go.Figure()
    quads = {
        "leading": (100, 100 + span_x, 100, 100 + span_y),
        "weakening": (100, 100 + span_x, 100 - span_y, 100),
        "lagging": (100 - span_x, 100, 100 - span_y, 100),
        "improving": (100 - span_x, 100, 100, 100 + span_y),
    }
    shapes = [
        {"type": "rect", "x0": x0, "x1": x1, "y0": y0, "y1": y1, "fillcolor": QUADRANT_COLORS[name],
         "line": {"width": 0}, "layer": "below"}
        for name, (x0, x1, y0, y1) in quads.items()
    ]
    notes = [
        {"x": x1 if x0 >= 100 else x0, "y": y1 if y0 >= 100 else y0, "text": name.capitalize(),
         "showarrow": False, "xanchor": "right" if x0 >= 100 else "left",
         "yanchor": "top" if y0 >= 100 else "bottom", "font": {"size": 12, "color": "#666"}}
        for name, (x0, x1, y0, y1) in quads.items()
    ]
    for i, t in enumerate(trails):
        color = PALETTE[i % len(PALETTE)]
        n = len(t.rs_ratio)
        fig.add_trace(
            go.Scatter(
                x=list(t.rs_ratio), y=list(t.rs_momentum), mode="lines+markers", name=t.label,
                line={"color": color, "width": 1.4},
                marker={"size": [5] * (n - 1) + [11], "color": color},
                hovertemplate=f"{t.label}<br>RS-Ratio %{{x:.2f}}<br>RS-Momentum %{{y:.2f}}<extra></extra>",
            )
        )
        if n:
            notes.append({"x": t.rs_ratio[-1], "y": t.rs_momentum[-1], "text": t.symbol, "showarrow": False,
                          "xshift": 14, "yshift": 8, "font": {"size": 11, "color": color}})
    fig.update_layout(shapes=shapes, annotations=notes)
    fig.update_xaxes(title_text="RS-Ratio", range=[100 - span_x, 100 + span_x], zeroline=False)
    fig.update_yaxes(title_text="RS-Momentum", range=[100 - span_y, 100 + span_y], zeroline=False)
    _layout(fig, title, height)
    fig.update_layout(hovermode="closest",
                      legend={"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1, "yanchor": "top"})
    return fig


def compare_lines(
    frame: pl.DataFrame, *, title: str, base: float = 100.0, height: int = 520
) -> go.Figure:
    """Several series on one axis, each rebased to ``base`` at its first non-null value.

    ``frame``: ``date`` plus one column per series (e.g. adj_close of each symbol).
    """
    fig = go.Figure()
    days = frame["date"].to_list()
    for i, col in enumerate(c for c in frame.columns if c != "date"):
        s = frame[col]
        first = s.drop_nulls()
        if first.is_empty():
            continue
        ys = (s / first[0] * base).to_list()
        fig.add_trace(go.Scatter(x=days, y=ys, mode="lines", name=col,
                                 line={"color": PALETTE[i % len(PALETTE)], "width": 1.6}))
    fig.add_hline(y=base, line={"color": "#999", "width": 1, "dash": "dot"})
    return _layout(fig, title, height)


def symbol_chart(
    bars: pl.DataFrame, symbols: Sequence[str], *, vs: str | None = None, title: str | None = None
) -> go.Figure:
    """The one-off chart of ``rotation chart``: candles for one symbol (two panes with ``vs``),
    or, for several symbols, their ``adj_close`` lines rebased to 100 on one axis.
    """
    names = list(dict.fromkeys([*symbols, *([vs] if vs else [])]))
    if len(symbols) == 1:
        panes = [PaneSpec(s, bars.filter(pl.col("symbol") == s)) for s in names]
        span = f"{bars['date'].min()!s}..{bars['date'].max()!s}" if not bars.is_empty() else ""
        return candle_panes(panes, title=title or f"{' and '.join(names)}, daily (as traded) {span}",
                            height=420 * len(panes) + 60)
    wide = (
        bars.filter(pl.col("symbol").is_in(names))
        .pivot(on="symbol", index="date", values="adj_close").sort("date")
    )
    wide = wide.select(["date", *[n for n in names if n in wide.columns]])
    return compare_lines(wide, title=title or f"{', '.join(names)}: adj_close rebased to 100")


@dataclass(frozen=True)
class BarSeries:
    """One pair's daily spreads (fractions) with a label per bar (e.g. its rank when notable)."""

    name: str
    dates: tuple[date, ...]
    values: tuple[float | None, ...]
    labels: tuple[str, ...]


def spread_bars(series: Sequence[BarSeries], *, title: str, height: int = 420) -> go.Figure:
    """Grouped bars of daily return spreads in points, one colour per pair, labels above notable bars."""
    fig = go.Figure()
    for i, s in enumerate(series):
        fig.add_trace(go.Bar(
            x=list(s.dates), y=[None if v is None else v * 100 for v in s.values], name=s.name,
            text=list(s.labels), textposition="outside", marker_color=PALETTE[i % len(PALETTE)],
            hovertemplate=f"{s.name} %{{x|%Y-%m-%d}}: %{{y:+.2f}} points<extra></extra>",
        ))
    fig.update_yaxes(title_text="spread A - B (points)", zeroline=True, zerolinecolor="#999")
    fig.update_xaxes(type="category")
    _layout(fig, title, height)
    fig.update_layout(barmode="group", hovermode="closest")
    return fig
