"""Plotly figure for "who is buying": net futures positions by trader group under the index price.

A pure builder (frames in, ``go.Figure`` out) like :mod:`rotation.report.charts`; the
section and ``rotation chart --positioning`` hand it the wide frame of
:func:`rotation.analytics.positioning.net_series` and the index's as-traded closes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import plotly.graph_objects as go
import polars as pl

from rotation.report.charts import PALETTE, TEMPLATE

GROUP_COLORS: Mapping[str, str] = {
    "asset_mgr": "#1f77b4",
    "lev_money": "#d62728",
    "dealer": "#7f7f7f",
    "other_rept": "#9467bd",
    "nonrept": "#2ca02c",
    "noncommercial": "#d62728",
    "commercial": "#7f7f7f",
}
ROTATION_LINE = "rgba(255, 140, 0, 0.8)"


def positioning_chart(
    net: pl.DataFrame,
    closes: pl.DataFrame | None,
    *,
    contract: str,
    index_symbol: str,
    labels: Mapping[str, str],
    title: str,
    marks: Sequence[date] = (),
    height: int = 560,
) -> go.Figure:
    """Index close (top pane) over each group's net contracts by report date (bottom pane).

    ``net``: ``report_date`` plus one column of net contracts per group (the columns named in
    ``labels``, in that order); ``closes``: ``date, close``; ``marks``: days drawn as
    vertical lines (e.g. the rotation day).
    """
    # Two panes on one x axis, laid out by hand: make_subplots costs more than the traces here.
    # Plain dicts and numpy columns: validated once by go.Figure, not copied per trace.
    traces: list[dict[str, object]] = []
    if closes is not None and not closes.is_empty():
        traces.append(dict(
            type="scatter", x=closes["date"].to_numpy(), y=closes["close"].to_numpy(), name=f"{index_symbol} close",
            yaxis="y", line={"color": "#2a3f5f", "width": 1.3},
            hovertemplate="%{y:,.2f}<extra>" + index_symbol + "</extra>",
        ))
    n = net.sort("report_date")
    for i, (group, label) in enumerate(labels.items()):
        if group not in n.columns:
            continue
        traces.append(dict(
            type="scatter", x=n["report_date"].to_numpy(), y=n[group].to_numpy(), name=label, mode="lines",
            yaxis="y2",
            line={"color": GROUP_COLORS.get(group, PALETTE[i % len(PALETTE)]), "width": 1.6, "shape": "hv"},
            hovertemplate="%{y:+,}<extra>" + label + "</extra>",
        ))
    shapes = [
        {"type": "line", "xref": "x", "yref": "paper", "x0": d.isoformat(), "x1": d.isoformat(), "y0": 0, "y1": 1,
         "line": {"color": ROTATION_LINE, "width": 1, "dash": "dot"}}
        for d in marks
    ]
    layout = go.Layout(
        template=TEMPLATE,
        title={"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 15}}, height=height,
        margin={"l": 60, "r": 30, "t": 60, "b": 40}, hovermode="x unified",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
        xaxis={"anchor": "y2"},
        yaxis={"domain": [0.64, 1.0], "title": {"text": index_symbol}},
        yaxis2={"domain": [0.0, 0.60], "title": {"text": f"{contract} net contracts"}, "zeroline": True,
                "zerolinecolor": "#999"},
        shapes=shapes,
    )
    return go.Figure(data=traces, layout=layout)
