"""Yahoo Finance through ``yfinance`` (optional extra: ``pip install 'rotation[yahoo]'``).

``yfinance`` returns a pandas frame indexed by a timezone-aware ``Date`` with
``Open, High, Low, Close, Adj Close, Volume`` when ``auto_adjust=False``:
``Close`` is split-adjusted as traded, ``Adj Close`` also folds in dividends,
which is exactly our bar schema.  With ``actions=True`` it also has a ``Stock Splits``
column (the ratio on a split's ex-date, 0 elsewhere): :meth:`YahooProvider.fetch_with_splits`
returns those as split records (``symbol, date, ratio``) for the store's ``splits`` table.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import polars as pl

from rotation.data.providers.base import DEFAULT_RETRY, RetryPolicy, TransientError, with_retries
from rotation.data.schema import BAR_SCHEMA
from rotation.errors import ProviderError

Download = Callable[[str, date | None, date | None], Any]
_TRANSIENT_WORDS = ("rate limit", "too many requests", "timed out", "timeout", "connection", "429", "502", "503", "504")


def _yfinance_download(symbol: str, start: date | None, end: date | None) -> Any:
    try:
        import yfinance as yf
    except ImportError as exc:
        raise ProviderError(
            "the yahoo provider needs yfinance: pip install 'rotation[yahoo]' (or use --provider stooq)"
        ) from exc
    kwargs: dict[str, Any] = {"interval": "1d", "auto_adjust": False, "actions": True}
    if start is None:
        kwargs["period"] = "max"
    else:
        kwargs["start"] = start.isoformat()
        # yfinance's end is exclusive
        kwargs["end"] = ((end or date.today()) + timedelta(days=1)).isoformat()
    return yf.Ticker(symbol).history(**kwargs, raise_errors=True)


def yahoo_frame_to_bars(frame: Any, symbol: str) -> pl.DataFrame:
    """Convert yfinance's pandas frame to the bar schema (rows without prices dropped)."""
    if frame is None or len(frame) == 0:
        return pl.DataFrame(schema=BAR_SCHEMA)
    cols = {str(c).lower().replace(" ", "_"): c for c in frame.columns}
    missing = [c for c in ("open", "high", "low", "close") if c not in cols]
    if missing:
        raise ProviderError(f"yahoo: {symbol}: response lacks column(s) {', '.join(missing)}")
    index = frame.index
    days = [ts.date() for ts in index]
    data = {
        "symbol": [symbol] * len(days),
        "date": days,
        **{k: [float(v) for v in frame[cols[k]].to_numpy()] for k in ("open", "high", "low", "close")},
    }
    data["adj_close"] = (
        [float(v) for v in frame[cols["adj_close"]].to_numpy()] if "adj_close" in cols else data["close"]
    )
    data["volume"] = [float(v) for v in frame[cols["volume"]].to_numpy()] if "volume" in cols else [None] * len(days)
    out = pl.DataFrame(data, schema=BAR_SCHEMA).with_columns(pl.col(pl.Float64).fill_nan(None))
    return out.drop_nulls(["open", "high", "low", "close"]).unique("date", keep="last").sort("date")


def yahoo_frame_to_splits(frame: Any, symbol: str) -> pl.DataFrame:
    """The split records in yfinance's ``Stock Splits`` column (``symbol, date, ratio``)."""
    schema = {"symbol": pl.Utf8(), "date": pl.Date(), "ratio": pl.Float64()}
    if frame is None or len(frame) == 0:
        return pl.DataFrame(schema=schema)
    col = next((c for c in frame.columns if str(c).lower().replace(" ", "_") == "stock_splits"), None)
    if col is None:
        return pl.DataFrame(schema=schema)
    rows = [
        (symbol, ts.date(), float(v))
        for ts, v in zip(frame.index, frame[col].to_numpy(), strict=True)
        if v == v and float(v) > 0 and float(v) != 1.0
    ]
    return pl.DataFrame(rows, schema=schema, orient="row").unique("date", keep="last").sort("date")


class YahooProvider:
    """Daily bars from Yahoo; ``download`` and ``sleep`` are injectable for offline tests."""

    name = "yahoo"

    def __init__(
        self,
        download: Download | None = None,
        *,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._download = download or _yfinance_download
        self._retry = retry
        self._sleep = sleep

    def _call(self, symbol: str, start: date | None, end: date | None) -> Any:
        try:
            return self._download(symbol, start, end)
        except ProviderError:
            raise
        except Exception as exc:  # yfinance raises many types; sort them by message
            text = f"{type(exc).__name__}: {exc}"
            if any(w in text.lower() for w in _TRANSIENT_WORDS):
                raise TransientError(text) from exc
            raise ProviderError(f"yahoo: {symbol}: {text}") from exc

    def fetch(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        return self.fetch_with_splits(symbol, start, end)[0]

    def fetch_with_splits(self, symbol: str, start: date | None, end: date | None) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Bars and the split records Yahoo reports over the same dates."""
        kwargs = {} if self._sleep is None else {"sleep": self._sleep}
        raw = with_retries(lambda: self._call(symbol, start, end), f"yahoo: {symbol}", self._retry, **kwargs)
        bars = yahoo_frame_to_bars(raw, symbol)
        splits = yahoo_frame_to_splits(raw, symbol)
        if end is not None:
            bars = bars.filter(pl.col("date") <= end)
            splits = splits.filter(pl.col("date") <= end)
        if bars.is_empty() and start is None:
            raise ProviderError(f"yahoo: {symbol}: no data (unknown symbol?)")
        return bars, splits
