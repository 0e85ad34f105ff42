"""Breadth, participation and concentration: how broad a move was, and where the volume went.

Inputs are frames, outputs are frames or frozen dataclasses; nothing here reads the store.

Conventions (all prices are split+dividend adjusted closes unless said otherwise):

* ``closes``: a wide frame, ``date`` then one Float64 column per ticker, null where
  there is no price.  A close <= 0 is treated as missing (a vendor placeholder).
* ``members``: the same shape, Boolean: True where the ticker was a member that day
  (see :func:`rotation.data.constituents.membership_mask`).  ``None``: every cell counts.
* A ticker's return on row t is ``close[t] / close[t-1] - 1`` over consecutive rows
  of the matrix; it exists only when both cells have a price.  A missing cell is
  never an advance, a decline, an unchanged stock or a zero return: it is not counted.
* A ticker counts on day t only while it is a member on t.  Its moving averages and
  52-week range use its whole price history (a stock's past is real before it joins).
* Moving average over ``n`` rows: defined only when all ``n`` closes are present
  (pandas ``rolling(n, min_periods=n)``); "above" means ``close > ma * (1 + 1e-9)``,
  so a close that equals its average (to float noise) is not above it.  New 52-week high: the close equals the
  highest close of the last 252 rows (all present); low likewise.
* McClellan oscillator (ratio-adjusted, the form that compares universes of
  different size): ``EMA19(x) - EMA39(x)`` with ``x = 1000 * (A - D) / (A + D)``;
  ``mcclellan_classic`` uses ``x = A - D``.  EMAs are recursive with
  ``alpha = 2 / (n + 1)``, seeded with the first value (pandas
  ``ewm(span=n, adjust=False)``).
* Shares are fractions (0.79 = 79%).  Constituent sets are survivor-biased; the CLI says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from rotation.errors import DataError

MA_WINDOWS: tuple[int, ...] = (20, 50, 200)
HIGH_LOW_WINDOW = 252
MCCLELLAN_SPANS: tuple[int, int] = (19, 39)
SPREAD_WINDOWS: dict[str, int] = {"1d": 1, "1w": 5, "1m": 21, "3m": 63, "6m": 126, "1y": 252}
VOLUME_WINDOW = 50
ABOVE_MARGIN = 1e-9  # relative: a close must beat its average by more than this to count as above

# Which constituents and which traded fund's volume speak for a symbol (confirmation).
SIDE_SOURCES: dict[str, tuple[str | None, str | None]] = {
    "^RUT": ("russell2000", "IWM"),
    "IWM": ("russell2000", "IWM"),
    "^GSPC": ("sp500", "SPY"),
    "SPY": ("sp500", "SPY"),
    "RSP": ("sp500", "RSP"),
    "^NDX": (None, "QQQ"),
    "QQQ": (None, "QQQ"),
}


# -- matrices -----------------------------------------------------------------

def price_matrix(closes: pl.DataFrame) -> tuple[pl.Series, list[str], np.ndarray]:
    """(dates, tickers, T x N float matrix with NaN where missing or <= 0).

    The matrix is Fortran-ordered: each ticker's history is contiguous, which is
    what the rolling windows below run along.
    """
    if "date" not in closes.columns:
        raise DataError("closes frame: expected a date column")
    symbols = [c for c in closes.columns if c != "date"]
    if not symbols:
        return closes["date"], symbols, np.empty((closes.height, 0), order="F")
    m = closes.select(pl.col(symbols).cast(pl.Float64)).to_numpy(order="fortran", writable=True)
    m[~(m > 0)] = np.nan  # null -> NaN already; non-positive closes are placeholders
    return closes["date"], symbols, m


def member_matrix(members: pl.DataFrame | None, closes: pl.DataFrame) -> np.ndarray:
    """``members`` aligned to ``closes`` (same dates, same ticker order) as a T x N bool matrix."""
    symbols = [c for c in closes.columns if c != "date"]
    if members is None:
        return np.ones((closes.height, len(symbols)), dtype=bool, order="F")
    if members.height != closes.height or not members["date"].equals(closes["date"]):
        raise DataError("members frame: expected the same dates as the closes frame")
    have = set(members.columns)
    cols = [pl.col(s).fill_null(False) if s in have else pl.lit(False).alias(s) for s in symbols]
    return np.asfortranarray(members.select(cols).to_numpy(), dtype=bool)


def daily_returns(m: np.ndarray) -> np.ndarray:
    """Row-over-row simple returns; NaN where either close is missing (first row NaN)."""
    out = np.empty_like(m)
    out[:1] = np.nan
    if len(m) > 1:
        np.divide(m[1:], m[:-1], out=out[1:])
        out[1:] -= 1.0
    return out


# The window helpers run on the transposed layout (tickers x time, C-contiguous), so
# cumulative sums and block scans walk contiguous memory.

class _RunningSums:
    """Cumulative sums and counts of present cells, shared by every moving-average window."""

    def __init__(self, x: np.ndarray) -> None:
        valid = ~np.isnan(x)
        self.sums = np.zeros((x.shape[0], x.shape[1] + 1))
        np.cumsum(np.where(valid, x, 0.0), axis=1, out=self.sums[:, 1:])
        self.counts = np.zeros((x.shape[0], x.shape[1] + 1), dtype=np.int32)
        np.cumsum(valid, axis=1, out=self.counts[:, 1:])

    def mean(self, n: int) -> np.ndarray:
        out = np.empty((self.sums.shape[0], self.sums.shape[1] - 1))
        out[:, : n - 1] = np.nan
        if out.shape[1] >= n:
            full = (self.counts[:, n:] - self.counts[:, :-n]) == n
            np.subtract(self.sums[:, n:], self.sums[:, :-n], out=out[:, n - 1 :])
            out[:, n - 1 :] /= n
            out[:, n - 1 :][~full] = np.nan
        return out


def _extreme_t(x: np.ndarray, n: int, highest: bool) -> np.ndarray:
    cols, rows = x.shape
    out = np.empty((cols, rows))
    out[:, : n - 1] = np.nan
    if rows < n or cols == 0:
        out[:] = np.nan
        return out
    op = np.maximum if highest else np.minimum
    pad = (-rows) % n  # padding only ever meets windows that end past the last row
    blocks = np.concatenate([x, np.full((cols, pad), np.nan)], axis=1).reshape(cols, -1, n)
    forward = op.accumulate(blocks, axis=2).reshape(cols, -1)
    backward = op.accumulate(blocks[:, :, ::-1], axis=2)[:, :, ::-1].reshape(cols, -1)
    op(backward[:, : rows - n + 1], forward[:, n - 1 : rows], out=out[:, n - 1 :])
    return out


def rolling_mean(m: np.ndarray, n: int) -> np.ndarray:
    """Mean of the last ``n`` rows per column of a T x N matrix, NaN unless all ``n`` are present."""
    return _RunningSums(np.ascontiguousarray(m.T)).mean(n).T


def rolling_extreme(m: np.ndarray, n: int, *, highest: bool) -> np.ndarray:
    """Rolling max (or min) over ``n`` rows per column, NaN unless all ``n`` are present.

    Van Herk / Gil-Werman: running extremes forward and backward inside blocks of
    ``n`` rows, combined, so each cell is touched a fixed number of times whatever
    ``n``.  NaN propagates through ``np.maximum``, which gives the all-present rule.
    """
    return _extreme_t(np.ascontiguousarray(m.T), n, highest).T


def _ema(values: pl.Series, span: int) -> pl.Series:
    return values.ewm_mean(span=span, adjust=False, ignore_nulls=True)


# -- breadth --------------------------------------------------------------------

def breadth(
    closes: pl.DataFrame,
    members: pl.DataFrame | None = None,
    *,
    ma_windows: Sequence[int] = MA_WINDOWS,
    high_low_window: int = HIGH_LOW_WINDOW,
    mcclellan_spans: tuple[int, int] = MCCLELLAN_SPANS,
) -> pl.DataFrame:
    """Daily breadth of a universe: one row per date of ``closes``.

    Columns: ``members`` (members with a price), ``counted`` (members with a
    return), ``advancers``, ``decliners``, ``unchanged``, ``net_advances``,
    ``ad_line`` (cumulative net advances from the first date), ``share_up`` and
    ``share_down`` (of ``counted``), ``above_ma<n>`` (share of members whose close
    is above its n-row average, among those with one), ``new_highs``/``new_lows``
    (counts), ``net_new_highs``, ``mcclellan`` (ratio-adjusted) and
    ``mcclellan_classic``.  Shares are null on a day nobody counts.
    """
    dates, _, m = price_matrix(closes)
    x = m.T  # tickers x time, C-contiguous (m is Fortran-ordered)
    member = member_matrix(members, closes).T
    r = daily_returns(m).T
    has_ret = ~np.isnan(r) & member
    adv = ((r > 0) & has_ret).sum(axis=0)
    dec = ((r < 0) & has_ret).sum(axis=0)
    counted = has_ret.sum(axis=0)
    priced_member = ~np.isnan(x) & member
    sums = _RunningSums(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        cols: dict[str, np.ndarray | pl.Series] = {
            "date": dates,
            "members": priced_member.sum(axis=0),
            "counted": counted,
            "advancers": adv,
            "decliners": dec,
            "unchanged": counted - adv - dec,
            "net_advances": adv - dec,
            "ad_line": np.cumsum(adv - dec),
            "share_up": np.where(counted > 0, adv / counted, np.nan),
            "share_down": np.where(counted > 0, dec / counted, np.nan),
        }
        for n in ma_windows:
            ma = sums.mean(n)
            ok = ~np.isnan(ma) & priced_member
            k = ok.sum(axis=0)
            # "Above" means by more than ABOVE_MARGIN (relative): a close equal to its average
            # is not above it, whatever float noise the running sums leave in the mean.
            above = x > ma * (1.0 + ABOVE_MARGIN)
            cols[f"above_ma{n}"] = np.where(k > 0, (above & ok).sum(axis=0) / k, np.nan)
        hi = _extreme_t(x, high_low_window, True)
        lo = _extreme_t(x, high_low_window, False)
        ok = ~np.isnan(hi) & priced_member
        highs = ((x >= hi) & ok).sum(axis=0)
        lows = ((x <= lo) & ok).sum(axis=0)
        cols["new_highs"] = highs
        cols["new_lows"] = lows
        cols["net_new_highs"] = highs - lows
        ratio = np.where(adv + dec > 0, 1000.0 * (adv - dec) / (adv + dec), np.nan)
    out = pl.DataFrame(cols, nan_to_null=True)
    fast, slow = mcclellan_spans
    ratio_s = pl.Series(ratio, nan_to_null=True)
    net = out["net_advances"].cast(pl.Float64).set(out["counted"] == 0, None)
    return out.with_columns(
        (_ema(ratio_s, fast) - _ema(ratio_s, slow)).alias("mcclellan"),
        (_ema(net, fast) - _ema(net, slow)).alias("mcclellan_classic"),
    )


def breadth_on(frame: pl.DataFrame, day: date | None = None) -> dict[str, object]:
    """The row of a :func:`breadth` frame on ``day`` (default: the last row), as a dict."""
    if frame.is_empty():
        raise DataError("breadth: no dates to report")
    if day is None:
        return frame.row(frame.height - 1, named=True)
    hit = frame.filter(pl.col("date") == day)
    if hit.is_empty():
        first, last = frame["date"][0], frame["date"][-1]
        raise DataError(f"breadth: no row on {day} (dates run {first} .. {last}; weekends and holidays have none)")
    return hit.row(0, named=True)


# -- cap vs equal weight ----------------------------------------------------------

def equal_weight_returns(closes: pl.DataFrame, members: pl.DataFrame | None = None) -> pl.DataFrame:
    """``date, ew_return, counted, ew_index``: the daily mean return of members, rebalanced daily.

    ``ew_index`` compounds ``ew_return`` from 1.0 on the first date.
    """
    dates, _, m = price_matrix(closes)
    r = daily_returns(m)
    has = ~np.isnan(r) & member_matrix(members, closes)
    counted = has.sum(axis=1)
    with np.errstate(invalid="ignore"):
        ew = np.where(counted > 0, np.where(has, r, 0.0).sum(axis=1) / counted, np.nan)
    index = np.cumprod(1.0 + np.nan_to_num(ew))
    return pl.DataFrame(
        {"date": dates, "ew_return": ew, "counted": counted, "ew_index": index}, nan_to_null=True
    )


def window_returns(levels: pl.DataFrame, as_of: date, windows: Mapping[str, int] = SPREAD_WINDOWS) -> pl.DataFrame:
    """Returns of each level column over windows of sessions ending on ``as_of``.

    ``levels``: ``date`` + one column of levels (prices, index values) per series.
    One row per window: ``window, sessions, start, end`` then one return per series
    (``level[end] / level[start] - 1``; null when either level is missing).
    """
    frame = levels.filter(pl.col("date") <= as_of).sort("date")
    if frame.is_empty() or frame["date"][-1] != as_of:
        raise DataError(f"window returns: no row on {as_of} (a session with data is needed)")
    names = [c for c in frame.columns if c != "date"]
    end = frame.height - 1
    rows = []
    for label, n in windows.items():
        if n > end:
            continue
        start = end - n
        row: dict[str, object] = {"window": label, "sessions": n, "start": frame["date"][start], "end": as_of}
        for name in names:
            a, b = frame[name][start], frame[name][end]
            row[name] = None if a is None or b is None or a <= 0 else b / a - 1.0
        rows.append(row)
    schema = {"window": pl.Utf8, "sessions": pl.Int64, "start": pl.Date, "end": pl.Date}
    return pl.DataFrame(rows, schema={**schema, **dict.fromkeys(names, pl.Float64)})


@dataclass(frozen=True)
class CapVsEqual:
    """Equal weight against cap weight over standard windows, ending ``as_of``.

    ``table``: one row per window with the return of the constituents' equal-weighted
    mean (``constituents_ew``), of each fund/index in ``levels``, the ratio fund's
    spread (``equal_fund`` minus ``cap_fund``) and the constituent gap
    (``constituents_ew`` minus ``cap_fund``).  ``ratio``: ``equal_fund / cap_fund``
    on ``as_of`` (adjusted closes; only its changes mean anything).
    """

    as_of: date
    equal_fund: str | None
    cap_fund: str
    ratio: float | None
    table: pl.DataFrame


def cap_vs_equal(
    ew: pl.DataFrame,
    levels: pl.DataFrame,
    as_of: date,
    *,
    cap_fund: str,
    equal_fund: str | None = None,
    windows: Mapping[str, int] = SPREAD_WINDOWS,
) -> CapVsEqual:
    """Compare the constituents' equal-weighted return (:func:`equal_weight_returns`) with funds.

    ``levels``: ``date`` + adjusted closes of the cap-weighted fund (``cap_fund``,
    e.g. SPY), an equal-weighted fund (``equal_fund``, e.g. RSP) and any index.
    Sessions are the constituents' dates.
    """
    if cap_fund not in levels.columns:
        raise DataError(f"cap vs equal: no prices for {cap_fund}")
    joined = ew.select("date", pl.col("ew_index").alias("constituents_ew")).join(levels, on="date", how="left")
    table = window_returns(joined, as_of, windows)
    extra = [pl.col("constituents_ew") - pl.col(cap_fund)]
    names = ["gap_ew_vs_cap"]
    if equal_fund is not None and equal_fund in levels.columns:
        extra.insert(0, pl.col(equal_fund) - pl.col(cap_fund))
        names.insert(0, "spread_equal_vs_cap")
    table = table.with_columns([e.alias(n) for e, n in zip(extra, names, strict=True)])
    ratio = None
    if equal_fund is not None and equal_fund in levels.columns:
        day = levels.filter(pl.col("date") == as_of)
        if not day.is_empty() and day[equal_fund][0] is not None and day[cap_fund][0]:
            ratio = float(day[equal_fund][0]) / float(day[cap_fund][0])
    return CapVsEqual(as_of, equal_fund, cap_fund, ratio, table)


# -- volume -------------------------------------------------------------------

def relative_volume(bars: pl.DataFrame, window: int = VOLUME_WINDOW) -> pl.DataFrame:
    """``symbol, date, volume, avg_volume, relative_volume, dollar_volume`` per bar.

    ``avg_volume`` is the mean volume of the ``window`` sessions *before* the day
    (the day itself excluded, so a surge does not raise its own yardstick; needs
    all ``window`` volumes).  ``dollar_volume = close * volume`` (as-traded close).
    """
    return (
        bars.sort("symbol", "date")
        .select(
            "symbol",
            "date",
            "volume",
            pl.col("volume")
            .rolling_mean(window, min_samples=window)
            .shift(1)
            .over("symbol")
            .alias("avg_volume"),
            (pl.col("close") * pl.col("volume")).alias("dollar_volume"),
        )
        .with_columns((pl.col("volume") / pl.col("avg_volume")).alias("relative_volume"))
        .select("symbol", "date", "volume", "avg_volume", "relative_volume", "dollar_volume")
    )


def dollar_volume_share(
    bars: pl.DataFrame, basket: Sequence[str], references: Sequence[str], window: int = 20
) -> pl.DataFrame:
    """Dollar volume (close x volume) of a basket against reference funds, by date.

    Columns: ``date``, ``basket`` (sum over the basket, null unless every member
    traded), one column per reference, ``basket_vs_<ref>`` (ratio) and the same
    ratios averaged over ``window`` sessions (``..._avg<window>``).
    """
    dv = bars.select("symbol", "date", (pl.col("close") * pl.col("volume")).alias("dv"))
    wide = dv.filter(pl.col("symbol").is_in([*basket, *references])).pivot(
        on="symbol", index="date", values="dv"
    ).sort("date")
    missing = [s for s in [*basket, *references] if s not in wide.columns]
    if missing:
        raise DataError(f"dollar volume: no bars for {', '.join(missing)}")
    out = wide.select(
        "date",
        pl.sum_horizontal(list(basket)).set_sorted().alias("basket").cast(pl.Float64),
        pl.any_horizontal([pl.col(s).is_null() for s in basket]).alias("_gap"),
        *references,
    )
    out = out.with_columns(pl.when(pl.col("_gap")).then(None).otherwise(pl.col("basket")).alias("basket")).drop("_gap")
    ratios = [(pl.col("basket") / pl.col(r)).alias(f"basket_vs_{r}") for r in references]
    out = out.with_columns(ratios)
    return out.with_columns(
        pl.col(f"basket_vs_{r}").rolling_mean(window, min_samples=window).alias(f"basket_vs_{r}_avg{window}")
        for r in references
    )


# -- concentration ----------------------------------------------------------------

@dataclass(frozen=True)
class MoveExplained:
    """How much of an index's daily move its largest holdings made.

    Weights are the holdings' weights on ``holdings_date`` drifted with each
    stock's price to the close before ``date`` (shares held fixed), renormalised
    over holdings with a return that day.  ``index_return`` is the weighted sum
    (a reconstruction: compare it with the fund's own return).  ``top_share`` is
    ``top_contribution / index_return``: it can exceed 1 or be negative when the
    rest of the index moved the other way.
    """

    date: dt.date
    holdings_date: dt.date
    top: int
    index_return: float
    covered_weight: float  # snapshot weight of holdings with a return that day
    top_weight: float
    top_contribution: float
    top_share: float | None
    share_up_weighted: float  # weight of holdings that rose
    table: pl.DataFrame  # symbol, weight, return, contribution (the top holdings)


def index_move_explained(
    holdings: pl.DataFrame, closes: pl.DataFrame, day: date, *, holdings_date: date, top: int = 10
) -> MoveExplained:
    """Share of the weighted move on ``day`` made by the ``top`` largest holdings.

    ``holdings``: ``symbol, weight`` (fractions, as of ``holdings_date``);
    ``closes``: the constituents' wide matrix (adjusted closes).
    """
    dates, symbols, m = price_matrix(closes)
    days = dates.to_list()
    if day not in days or days.index(day) == 0:
        raise DataError(f"move explained: no session before {day} in the closes matrix")
    if holdings_date not in days:
        raise DataError(f"move explained: the closes matrix has no row on the holdings date {holdings_date}")
    t, h = days.index(day), days.index(holdings_date)
    col = {s: i for i, s in enumerate(symbols)}
    held = holdings.filter(pl.col("symbol").is_in(symbols))
    idx = np.array([col[s] for s in held["symbol"].to_list()], dtype=np.int64)
    w0 = held["weight"].to_numpy().astype(np.float64)
    p_prev, p_now, p_snap = m[t - 1, idx], m[t, idx], m[h, idx]
    ok = ~np.isnan(p_prev) & ~np.isnan(p_now) & ~np.isnan(p_snap)
    if not ok.any():
        raise DataError(f"move explained: no holding has a return on {day}")
    drifted = np.where(ok, w0 * p_prev / np.where(ok, p_snap, 1.0), 0.0)
    w = drifted / drifted.sum()
    r = np.where(ok, p_now / np.where(ok, p_prev, 1.0) - 1.0, 0.0)
    contrib = w * r
    total = float(contrib.sum())
    order = np.argsort(-w, kind="stable")[:top]
    top_c = float(contrib[order].sum())
    table = pl.DataFrame(
        {
            "symbol": [held["symbol"][int(i)] for i in order],
            "weight": w[order],
            "return": r[order],
            "contribution": contrib[order],
        }
    )
    return MoveExplained(
        date=day,
        holdings_date=holdings_date,
        top=top,
        index_return=total,
        covered_weight=float(w0[ok].sum() / w0.sum()),
        top_weight=float(w[order].sum()),
        top_contribution=top_c,
        top_share=top_c / total if total != 0 else None,
        share_up_weighted=float(w[(r > 0) & ok].sum()),
        table=table,
    )


# -- confirmation -------------------------------------------------------------------

@dataclass(frozen=True)
class SideParticipation:
    """One side of a pair on one day: its move, how many members joined, its fund's volume."""

    symbol: str
    ret: float | None
    universe: str | None
    share_up: float | None
    counted: int
    volume_symbol: str | None
    relative_volume: float | None

    @property
    def description(self) -> str:
        name = self.symbol.lstrip("^")
        move = "n/a" if self.ret is None else f"{self.ret * 100:+.1f}%"
        text = f"{name} {move}"
        if self.share_up is not None:
            text += f" with {self.share_up * 100:.0f}% of members up"
        if self.volume_symbol is not None and self.relative_volume is not None:
            text += f", on {self.volume_symbol} volume {self.relative_volume:.1f}x its {VOLUME_WINDOW}-day average"
        return text


@dataclass(frozen=True)
class Confirmation:
    """How broad a pair's move was on ``date`` on each side (see :func:`confirmation`)."""

    date: dt.date
    a: SideParticipation
    b: SideParticipation
    survivor_biased: bool

    @property
    def description(self) -> str:
        """One line, e.g. ``RUT +3.6% with 94% of members up, on IWM volume 1.8x its 50-day average``."""
        return f"{self.a.description}; {self.b.description}"


def _side(
    symbol: str,
    day: date,
    closes: pl.DataFrame,
    volumes: pl.DataFrame,
    breadth_by_universe: Mapping[str, pl.DataFrame],
    sources: Mapping[str, tuple[str | None, str | None]],
) -> SideParticipation:
    universe, vol_symbol = sources.get(symbol, (None, None if symbol.startswith("^") else symbol))
    ret = None
    if symbol in closes.columns:
        series = closes.select("date", symbol).drop_nulls().filter(pl.col("date") <= day)
        if series.height >= 2 and series["date"][-1] == day:
            ret = float(series[symbol][-1] / series[symbol][-2] - 1.0)
    share_up, counted = None, 0
    if universe is not None and universe in breadth_by_universe:
        row = breadth_by_universe[universe].filter(pl.col("date") == day)
        if not row.is_empty():
            share_up, counted = row["share_up"][0], int(row["counted"][0])
    rel = None
    if vol_symbol is not None:
        row = volumes.filter((pl.col("symbol") == vol_symbol) & (pl.col("date") == day))
        if not row.is_empty():
            rel = row["relative_volume"][0]
        else:
            vol_symbol = None
    return SideParticipation(symbol, ret, universe if share_up is not None else None, share_up, counted,
                             vol_symbol, rel)


def confirmation(
    day: date,
    a: str,
    b: str,
    *,
    closes: pl.DataFrame,
    volumes: pl.DataFrame,
    breadth_by_universe: Mapping[str, pl.DataFrame],
    sources: Mapping[str, tuple[str | None, str | None]] = SIDE_SOURCES,
) -> Confirmation:
    """How broad the move of pair ``a``:``b`` was on ``day``, on each side.

    ``closes``: wide adjusted closes with columns ``a`` and ``b``; ``volumes``: a
    :func:`relative_volume` frame covering the volume funds; ``breadth_by_universe``:
    :func:`breadth` frames by universe name.  ``sources`` maps a symbol to its
    (universe, volume fund); an unmapped ETF or stock uses its own volume, an
    unmapped index (``^...``) has none (index volume is not usable).
    """
    if a == b:
        raise DataError(f"pair {a}:{b}: expected two different sides A:B")
    side_a = _side(a, day, closes, volumes, breadth_by_universe, sources)
    side_b = _side(b, day, closes, volumes, breadth_by_universe, sources)
    biased = side_a.share_up is not None or side_b.share_up is not None
    return Confirmation(day, side_a, side_b, biased)


__all__ = [
    "ABOVE_MARGIN",
    "HIGH_LOW_WINDOW",
    "MA_WINDOWS",
    "MCCLELLAN_SPANS",
    "SIDE_SOURCES",
    "SPREAD_WINDOWS",
    "VOLUME_WINDOW",
    "CapVsEqual",
    "Confirmation",
    "MoveExplained",
    "SideParticipation",
    "breadth",
    "breadth_on",
    "cap_vs_equal",
    "confirmation",
    "daily_returns",
    "dollar_volume_share",
    "equal_weight_returns",
    "index_move_explained",
    "member_matrix",
    "price_matrix",
    "relative_volume",
    "rolling_extreme",
    "rolling_mean",
    "window_returns",
]
