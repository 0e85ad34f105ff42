"""Plotly figures for the valuation section: pure builders, frames in, ``go.Figure`` out.

Inputs are the frames of :func:`rotation.analytics.valuation.valuation_series` (one
symbol) and :func:`rotation.analytics.valuation.expanding_bands`; prices are the
as-traded (split-adjusted) ``close``, EPS is TTM diluted EPS on the latest share basis.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

PRICE_COLOR = "#1f77b4"
EPS_COLOR = "#2ca02c"
MULTIPLE_COLOR = "#d62728"
BAND_FILL = "rgba(127, 127, 127, 0.18)"

_LABELS = {"pe": "P/E", "ps": "P/S", "earnings_yield": "earnings yield"}


def price_eps_chart(series: pl.DataFrame, symbol: str) -> go.Figure:
    """Close (left axis) and point-in-time TTM diluted EPS (right axis, steps on filing days)."""
    s = series.filter(pl.col("symbol") == symbol).sort("date") if "symbol" in series.columns else series.sort("date")
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(
        go.Scatter(x=s["date"].to_list(), y=s["close"].to_list(), name=f"{symbol} close",
                   line={"color": PRICE_COLOR, "width": 1.4}),
        secondary_y=False,
    )
    fig.add_trace(
        go.Scatter(x=s["date"].to_list(), y=s["eps_ttm"].to_list(), name="TTM diluted EPS (as known that day)",
                   line={"color": EPS_COLOR, "width": 2, "shape": "hv"}),
        secondary_y=True,
    )
    fig.update_layout(
        title=f"{symbol}: price and trailing-12-month EPS (close as traded, EPS on the latest share basis)",
        hovermode="x unified", legend={"orientation": "h", "y": -0.15}, margin={"l": 50, "r": 50, "t": 60, "b": 40},
    )
    fig.update_yaxes(title_text="close ($)", secondary_y=False)
    fig.update_yaxes(title_text="TTM EPS ($)", secondary_y=True)
    return fig


def multiple_bands_chart(bands: pl.DataFrame, symbol: str, multiple: str = "pe") -> go.Figure:
    """A multiple's daily history with its own expanding percentile bands (q10-q90 shaded, q50 dashed).

    ``bands`` comes from ``expanding_bands(series, multiple)``: ``date, <multiple>, q10, q50, q90``.
    """
    b = bands.sort("date")
    x = b["date"].to_list()
    label = _LABELS.get(multiple, multiple)
    fig = go.Figure()
    q_cols = sorted((c for c in b.columns if c.startswith("q") and c[1:].isdigit()), key=lambda c: int(c[1:]))
    if len(q_cols) >= 2:
        lo, hi = q_cols[0], q_cols[-1]
        fig.add_trace(go.Scatter(x=x, y=b[hi].to_list(), name=f"{hi[1:]}th percentile", mode="lines",
                                 line={"width": 0.5, "color": "grey"}))
        fig.add_trace(go.Scatter(x=x, y=b[lo].to_list(), name=f"{lo[1:]}th percentile", mode="lines",
                                 line={"width": 0.5, "color": "grey"}, fill="tonexty", fillcolor=BAND_FILL))
    for c in q_cols[1:-1]:
        fig.add_trace(go.Scatter(x=x, y=b[c].to_list(), name="median" if c == "q50" else f"{c[1:]}th percentile",
                                 mode="lines", line={"dash": "dash", "color": "grey", "width": 1}))
    fig.add_trace(go.Scatter(x=x, y=b[multiple].to_list(), name=f"{symbol} {label}", mode="lines",
                             line={"color": MULTIPLE_COLOR, "width": 1.6}))
    fig.update_layout(
        title=f"{symbol}: {label} vs its own history (bands use only data up to each day)",
        hovermode="x unified", yaxis_title=label, legend={"orientation": "h", "y": -0.15},
        margin={"l": 50, "r": 30, "t": 60, "b": 40},
    )
    return fig


def cape_chart(cape: pl.DataFrame, mark: str | None = None) -> go.Figure:
    """Shiller CAPE by month (``date, cape[, shiller_pe]``), with its long-run median."""
    c = cape.sort("date")
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=c["date"].to_list(), y=c["cape"].to_list(), name="CAPE (P/E10)",
                             line={"color": PRICE_COLOR, "width": 1.4}))
    if "shiller_pe" in c.columns:
        fig.add_trace(go.Scatter(x=c["date"].to_list(), y=c["shiller_pe"].to_list(), name="P/E (trailing)",
                                 line={"color": "grey", "width": 0.8}, visible="legendonly"))
    median = c["cape"].median()
    if median is not None:
        fig.add_hline(y=float(median), line_dash="dash", line_color="grey",  # type: ignore[arg-type]
                      annotation_text=f"median {float(median):.1f}")  # type: ignore[arg-type]
    fig.update_layout(title=mark or "Shiller CAPE, S&P Composite", yaxis_title="CAPE", hovermode="x unified")
    return fig


__all__ = ["cape_chart", "multiple_bands_chart", "price_eps_chart"]
