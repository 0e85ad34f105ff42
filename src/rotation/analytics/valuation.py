"""Valuation against fundamentals: point-in-time TTM figures, split rebasing, daily multiples.

Conventions (see docs/valuation.md):

* **Point in time.**  A figure "as of" day *d* uses only facts whose ``filed`` date is on
  or before *d*.  Among those, each period takes the latest filing (restated history);
  the TTM series changes only on filing dates ("vintages") and is joined to the bars
  backward, so a price never meets a filing made after its date.
* **Periods by dates**, not ``fy``/``fp``: a quarter lasts 80-100 days, a year 350-380.
  A missing quarter is derived from year-to-date figures with the same start
  (Q4 = FY - 9M, Q3 = 9M - 6M...).  TTM = the four latest contiguous quarters, or the
  fiscal year when it ends as late (then the annual figure is used as reported).
* **Concept fallbacks** per period, in order (``METRICS``): revenue tags vary across
  companies and years, net income falls back from ``NetIncomeLoss`` to ``ProfitLoss``.
* **Splits.**  Per-share and share-count facts are on the basis of their filing.  Splits
  come from the store's split records (``symbol,date,ratio``: a filing made before a
  split's date is on the old basis) and from the filings themselves (:func:`detect_splits`,
  which needs a filing after the split); every value is rebased to the latest share basis,
  the basis of the split-adjusted ``close`` in the bars.
* Multiples use the as-traded (split-adjusted) ``close``: P/E = close / TTM diluted EPS
  (null when EPS <= 0), earnings yield = EPS / close, P/S = market value / TTM revenue with
  market value = close x shares (cover shares, else balance-sheet shares, else diluted
  weighted-average shares of the latest quarter).
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

import numpy as np
import polars as pl

from rotation.analytics.split_basis import SPLIT_SCHEMA, combine_splits, pe_split_jumps
from rotation.errors import DataError

# metric -> (concepts in order of preference, unit)
METRICS: dict[str, tuple[tuple[str, ...], str]] = {
    "revenue": (
        (
            "Revenues",
            "RevenueFromContractWithCustomerExcludingAssessedTax",
            "SalesRevenueNet",
            "RevenueFromContractWithCustomerIncludingAssessedTax",
            "SalesRevenueGoodsNet",
        ),
        "USD",
    ),
    "net_income": (("NetIncomeLoss", "ProfitLoss", "NetIncomeLossAvailableToCommonStockholdersBasic"), "USD"),
    "eps_diluted": (("EarningsPerShareDiluted", "EarningsPerShareBasicAndDiluted"), "USD/shares"),
}
SHARE_CONCEPTS: tuple[str, ...] = (
    "EntityCommonStockSharesOutstanding",
    "CommonStockSharesOutstanding",
    "WeightedAverageNumberOfDilutedSharesOutstanding",
)
SPLIT_CONCEPTS: tuple[str, ...] = (
    "EarningsPerShareDiluted",
    "EarningsPerShareBasic",
    "WeightedAverageNumberOfDilutedSharesOutstanding",
    "WeightedAverageNumberOfSharesOutstandingBasic",
)
CONCEPTS_USED: tuple[str, ...] = tuple(
    dict.fromkeys([c for cs, _ in METRICS.values() for c in cs] + list(SHARE_CONCEPTS) + list(SPLIT_CONCEPTS))
)
MIN_SPLIT_SUPPORT = 3
QUARTER_DAYS = (80, 100)
YEAR_DAYS = (350, 380)


# -- splits ---------------------------------------------------------------

def _snap_ratio(r: float) -> float | None:
    """A share multiplier close (2%) to a split ratio such as 10, 4, 3/2 or 1/10; else None."""
    if not math.isfinite(r) or r <= 0:
        return None
    q = Fraction(r).limit_denominator(3) if r >= 1 else 1 / Fraction(1 / r).limit_denominator(3)
    if abs(float(q) / r - 1) > 0.02 or not (float(q) >= 1.45 or float(q) <= 1 / 1.45):
        return None
    if not 0.01 <= float(q) <= 100:  # x1000 jumps are share counts tagged in thousands, not splits
        return None
    return float(q)


def detect_splits(facts: pl.DataFrame) -> pl.DataFrame:
    """Stock splits found in the filings: ``ticker, ratio, last_old_filed, first_new_filed, support, source``.

    Evidence: (a) the same period's EPS or weighted share count reported again in a later
    filing scaled by a split ratio (NVDA FY2024 EPS 11.93 then 1.19); (b) consecutive cover
    share counts (``dei:EntityCommonStockSharesOutstanding``) jumping by such a ratio.
    Each pair says "filings up to ``last_old_filed`` are on the old basis, filings from
    ``first_new_filed`` on the new one"; pairs with the same ratio whose windows overlap
    are one split (window = their intersection).  A split needs three pieces of evidence
    (a single restated figure can be a genuine restatement) and a ratio within 1/100..100
    (x1000 jumps are share counts tagged in thousands).
    ``ratio`` is the share multiplier (10.0 for a 10:1 split).
    """
    if facts.is_empty():
        return pl.DataFrame(schema=SPLIT_SCHEMA)
    dur = facts.filter(pl.col("concept").is_in(SPLIT_CONCEPTS) & pl.col("period_start").is_not_null())
    keys = ["ticker", "concept", "unit", "period_start", "period_end"]
    dur = dur.sort([*keys, "filed"]).with_columns(
        pl.col("val").shift(1).over(keys).alias("prev"), pl.col("filed").shift(1).over(keys).alias("prev_filed")
    )
    per_share = pl.col("unit").str.contains("/shares")
    dur = dur.filter(
        pl.col("prev").is_not_null() & (pl.col("filed") > pl.col("prev_filed"))
        & (pl.col("val") != 0) & (pl.col("prev") != 0)
        # per-share values are rounded to cents: small ones give noisy ratios
        & (~per_share | (pl.min_horizontal(pl.col("val").abs(), pl.col("prev").abs()) >= 0.1))
    ).with_columns(pl.when(per_share).then(pl.col("prev") / pl.col("val")).otherwise(pl.col("val") / pl.col("prev")).alias("r"))
    cover = (
        facts.filter(pl.col("concept") == "EntityCommonStockSharesOutstanding")
        .sort("ticker", "period_end", "filed")
        .unique(subset=["ticker", "period_end"], keep="last", maintain_order=True)
        .with_columns(
            pl.col("val").shift(1).over("ticker").alias("prev"), pl.col("filed").shift(1).over("ticker").alias("prev_filed")
        )
        .filter(pl.col("prev").is_not_null() & (pl.col("prev") > 0) & (pl.col("filed") > pl.col("prev_filed")))
        .with_columns((pl.col("val") / pl.col("prev")).alias("r"))
    )
    pairs = pl.concat([d.select("ticker", "r", "prev_filed", "filed") for d in (dur, cover)])
    pairs = pairs.with_columns(pl.col("r").map_elements(_snap_ratio, return_dtype=pl.Float64).alias("q")).drop_nulls("q")
    events: list[tuple[str, float, date, date, int, str]] = []
    for (ticker, q), grp in pairs.sort("prev_filed").group_by(["ticker", "q"], maintain_order=True):
        lo = hi = None
        n = 0
        for a, b in grp.select("prev_filed", "filed").iter_rows():
            if lo is not None and hi is not None and max(lo, a) < min(hi, b):
                lo, hi, n = max(lo, a), min(hi, b), n + 1
                continue
            if lo is not None and hi is not None and n >= MIN_SPLIT_SUPPORT:
                events.append((str(ticker), float(q), lo, hi, n, "filings"))
            lo, hi, n = a, b, 1
        if lo is not None and hi is not None and n >= MIN_SPLIT_SUPPORT:
            events.append((str(ticker), float(q), lo, hi, n, "filings"))
    # Evidence spanning two splits snaps to their product: keep the best-supported of overlapping events.
    kept: list[tuple[str, float, date, date, int, str]] = []
    for ev in sorted(events, key=lambda e: -e[4]):
        if not any(k[0] == ev[0] and max(k[2], ev[2]) < min(k[3], ev[3]) for k in kept):
            kept.append(ev)
    return pl.DataFrame(kept, schema=SPLIT_SCHEMA, orient="row").sort("ticker", "last_old_filed")


def rebase_facts(facts: pl.DataFrame, splits: pl.DataFrame) -> pl.DataFrame:
    """Add ``split_factor`` and ``value`` (on the latest share basis) to facts.

    A fact filed on or before a split's ``last_old_filed`` is on the old basis: per-share
    values are divided by the ratios of every later split, share counts multiplied.
    """
    factor = (
        facts.select("ticker", "filed").unique()
        .join(splits.select("ticker", "ratio", "last_old_filed"), on="ticker", how="left")
        .with_columns(
            pl.when(pl.col("filed") <= pl.col("last_old_filed")).then(pl.col("ratio")).otherwise(1.0)
            .fill_null(1.0).alias("r")
        )
        .group_by("ticker", "filed").agg(pl.col("r").product().alias("split_factor"))
    )
    out = facts.join(factor, on=["ticker", "filed"], how="left")
    return out.with_columns(
        pl.when(pl.col("unit").str.contains("/shares")).then(pl.col("val") / pl.col("split_factor"))
        .when(pl.col("unit") == "shares").then(pl.col("val") * pl.col("split_factor"))
        .otherwise(pl.col("val")).alias("value")
    )


# -- point-in-time TTM ----------------------------------------------------

def _concept_table() -> pl.DataFrame:
    rows = [(m, c, i, unit) for m, (cs, unit) in METRICS.items() for i, c in enumerate(cs)]
    return pl.DataFrame(rows, schema={"metric": pl.Utf8, "concept": pl.Utf8, "priority": pl.Int64,
                                      "unit": pl.Utf8}, orient="row")


def _days(a: str, b: str) -> pl.Expr:
    return (pl.col(b) - pl.col(a)).dt.total_days()


def _between(e: pl.Expr, bounds: tuple[int, int]) -> pl.Expr:
    return (e >= bounds[0]) & (e <= bounds[1])


def ttm_history(facts: pl.DataFrame, splits: pl.DataFrame | None = None) -> pl.DataFrame:
    """TTM revenue, net income and diluted EPS per filing vintage, point in time.

    Returns ``ticker, metric, vintage, period_end, ttm, basis, source_filed, prior_end,
    prior_ttm``: the figure known from ``vintage`` (a filing date) until the next one,
    computed from facts filed on or before ``vintage`` only; ``source_filed`` is the
    latest filing date among the facts used (<= vintage); ``prior_*`` is the TTM ending
    about a year earlier, from the same vintage (for growth).  Per-share values are on
    the latest share basis.
    """
    splits = detect_splits(facts) if splits is None else splits
    mf = rebase_facts(
        facts.filter(pl.col("period_start").is_not_null()).join(_concept_table(), on=["concept", "unit"]), splits
    ).select("ticker", "metric", "priority", "period_start", "period_end", "filed", "accn", "value")
    empty = pl.DataFrame(schema={"ticker": pl.Utf8, "metric": pl.Utf8, "vintage": pl.Date, "period_end": pl.Date,
                                 "ttm": pl.Float64, "basis": pl.Utf8, "source_filed": pl.Date,
                                 "prior_end": pl.Date, "prior_ttm": pl.Float64})
    if mf.is_empty():
        return empty
    vintages = mf.select("ticker", pl.col("filed").alias("vintage")).unique()
    snap = (
        mf.join(vintages, on="ticker").filter(pl.col("filed") <= pl.col("vintage"))
        .sort(["priority", "filed", "accn"], descending=[False, True, True])
        .unique(subset=["ticker", "metric", "vintage", "period_start", "period_end"], keep="first", maintain_order=True)
        .with_columns(_days("period_start", "period_end").alias("days"))
    )
    g = ["ticker", "metric", "vintage"]
    # Quarters not reported as such: differences of year-to-date figures sharing a start.
    cum = snap.sort([*g, "period_start", "period_end"]).with_columns(
        pl.col("period_end").shift(1).over([*g, "period_start"]).alias("prev_end"),
        pl.col("value").shift(1).over([*g, "period_start"]).alias("prev_value"),
        pl.col("filed").shift(1).over([*g, "period_start"]).alias("prev_filed"),
    )
    derived = cum.filter(pl.col("prev_end").is_not_null()).select(
        *g,
        (pl.col("prev_end") + timedelta(days=1)).alias("period_start"),
        "period_end",
        (pl.col("value") - pl.col("prev_value")).alias("value"),
        pl.max_horizontal("filed", "prev_filed").alias("filed"),
        pl.lit(1).alias("derived"),
    ).filter(_between(_days("period_start", "period_end"), QUARTER_DAYS))
    reported = snap.filter(_between(pl.col("days"), QUARTER_DAYS)).select(
        *g, "period_start", "period_end", "value", "filed", pl.lit(0).alias("derived")
    )
    quarters = (
        pl.concat([reported, derived]).sort([*g, "period_end", "derived"])
        .unique(subset=[*g, "period_end"], keep="first", maintain_order=True)
        .sort([*g, "period_end"])
    )
    link = (pl.col("period_start") - pl.col("period_end").shift(1).over(g)).dt.total_days()
    quarters = quarters.with_columns(link.alias("link")).with_columns(
        pl.col("value").rolling_sum(4).over(g).alias("ttm"),
        pl.col("filed").cast(pl.Int32).rolling_max(4).over(g).cast(pl.Date).alias("source_filed"),
        _between(pl.col("link"), (1, 7)).alias("ok"),
        (pl.col("period_end") - pl.col("period_start").shift(3).over(g)).dt.total_days().alias("span"),
    )
    contiguous = pl.col("ok") & pl.col("ok").shift(1).over(g) & pl.col("ok").shift(2).over(g)
    q_ttm = quarters.filter(contiguous.fill_null(False) & _between(pl.col("span"), YEAR_DAYS)).select(
        *g, "period_end", "ttm", pl.lit("4 quarters").alias("basis"), "source_filed"
    )
    a_ttm = snap.filter(_between(pl.col("days"), YEAR_DAYS)).select(
        *g, "period_end", pl.col("value").alias("ttm"), pl.lit("annual").alias("basis"),
        pl.col("filed").alias("source_filed"),
    )
    all_ttm = (
        pl.concat([a_ttm, q_ttm]).unique(subset=[*g, "period_end"], keep="first", maintain_order=True)
        .sort([*g, "period_end"])
    )
    latest = all_ttm.group_by(g).agg(pl.all().sort_by("period_end").last())
    prior = (
        latest.select(*g, pl.col("period_end").alias("latest_end"))
        .join(all_ttm.select(*g, pl.col("period_end").alias("prior_end"), pl.col("ttm").alias("prior_ttm")), on=g)
        .with_columns(((pl.col("latest_end") - pl.col("prior_end")).dt.total_days() - 364).abs().alias("gap"))
        .filter(pl.col("gap") <= 10)
        .sort("gap").unique(subset=g, keep="first", maintain_order=True)
        .drop("latest_end", "gap")
    )
    out = latest.join(prior, on=g, how="left").select(empty.columns).sort(g)
    return out.cast(empty.schema)


def shares_history(facts: pl.DataFrame, splits: pl.DataFrame | None = None) -> pl.DataFrame:
    """Share count per filing vintage (latest basis): ``ticker, vintage, shares, shares_concept``.

    Preference: cover shares (dei), balance-sheet shares outstanding, diluted weighted
    average of the latest quarter; within one, the latest date, then the latest filing.
    """
    splits = detect_splits(facts) if splits is None else splits
    order = pl.DataFrame({"concept": list(SHARE_CONCEPTS), "priority": list(range(len(SHARE_CONCEPTS)))})
    sf = facts.filter(pl.col("unit") == "shares").join(order, on="concept")
    sf = sf.filter(
        pl.col("period_start").is_null() | _between(_days("period_start", "period_end"), QUARTER_DAYS)
    )
    schema = {"ticker": pl.Utf8, "vintage": pl.Date, "shares": pl.Float64, "shares_concept": pl.Utf8}
    if sf.is_empty():
        return pl.DataFrame(schema=schema)
    sf = rebase_facts(sf, splits)
    vintages = facts.select("ticker", pl.col("filed").alias("vintage")).unique()
    snap = (
        sf.join(vintages, on="ticker").filter(pl.col("filed") <= pl.col("vintage"))
        .sort(["priority", "period_end", "filed"], descending=[False, True, True])
        .unique(subset=["ticker", "vintage"], keep="first", maintain_order=True)
    )
    return snap.select("ticker", "vintage", pl.col("value").alias("shares"), pl.col("concept").alias("shares_concept")).sort(
        "ticker", "vintage"
    )


def fundamentals_as_of(facts: pl.DataFrame, as_of: date, splits: pl.DataFrame | None = None) -> pl.DataFrame:
    """TTM figures per ticker and metric as of ``as_of`` (filings made by that day only)."""
    hist = ttm_history(facts, splits)
    return (
        hist.filter(pl.col("vintage") <= as_of).sort("vintage")
        .group_by("ticker", "metric").agg(pl.all().last()).sort("ticker", "metric")
    )


# -- daily multiples ------------------------------------------------------

VALUATION_SCHEMA = {
    "symbol": pl.Utf8, "date": pl.Date, "close": pl.Float64, "eps_ttm": pl.Float64, "revenue_ttm": pl.Float64,
    "net_income_ttm": pl.Float64, "eps_period_end": pl.Date, "source_filed": pl.Date, "shares": pl.Float64,
    "market_value": pl.Float64, "pe": pl.Float64, "ps": pl.Float64, "earnings_yield": pl.Float64,
}


def valuation_series(
    bars: pl.DataFrame, facts: pl.DataFrame, splits: pl.DataFrame | None = None,
    history: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Daily P/E, P/S and earnings yield per symbol from the bars' ``close`` (see module doc).

    ``source_filed`` is the latest filing date behind that day's figures: never after ``date``.
    Days before a symbol's first usable filing are left out.
    """
    splits = detect_splits(facts) if splits is None else splits
    hist = ttm_history(facts, splits) if history is None else history
    if hist.is_empty() or bars.is_empty():
        return pl.DataFrame(schema=VALUATION_SCHEMA)
    wide = hist.pivot(on="metric", index=["ticker", "vintage"], values=["ttm", "period_end", "source_filed"])
    for m in METRICS:
        for p in ("ttm", "period_end", "source_filed"):
            if f"{p}_{m}" not in wide.columns:
                wide = wide.with_columns(pl.lit(None, dtype=pl.Date if p != "ttm" else pl.Float64).alias(f"{p}_{m}"))
    wide = wide.select(
        "ticker", "vintage",
        pl.col("ttm_eps_diluted").alias("eps_ttm"), pl.col("ttm_revenue").alias("revenue_ttm"),
        pl.col("ttm_net_income").alias("net_income_ttm"), pl.col("period_end_eps_diluted").alias("eps_period_end"),
        pl.max_horizontal("source_filed_revenue", "source_filed_net_income", "source_filed_eps_diluted").alias("source_filed"),
    )
    shares = shares_history(facts, splits)
    wide = wide.join(shares.select("ticker", "vintage", "shares"), on=["ticker", "vintage"], how="full", coalesce=True)
    # Each metric carries forward from its own last vintage (a vintage may hold only shares).
    wide = wide.sort("ticker", "vintage").with_columns(
        pl.col("eps_ttm", "revenue_ttm", "net_income_ttm", "eps_period_end", "source_filed", "shares")
        .forward_fill().over("ticker")
    )
    px = bars.select("symbol", "date", "close").drop_nulls("close").sort("symbol", "date")
    out = px.join_asof(
        wide.sort("ticker", "vintage"), left_on="date", right_on="vintage", by_left="symbol", by_right="ticker",
        strategy="backward", check_sortedness=False,
    ).filter(pl.col("vintage").is_not_null())
    mv = pl.col("close") * pl.col("shares")
    out = out.with_columns(
        mv.alias("market_value"),
        pl.when(pl.col("eps_ttm") > 0).then(pl.col("close") / pl.col("eps_ttm")).alias("pe"),
        pl.when(pl.col("revenue_ttm") > 0).then(mv / pl.col("revenue_ttm")).alias("ps"),
        (pl.col("eps_ttm") / pl.col("close")).alias("earnings_yield"),
    )
    return out.select(list(VALUATION_SCHEMA)).cast(VALUATION_SCHEMA)  # type: ignore[arg-type]


def basket_series(series: pl.DataFrame) -> pl.DataFrame:
    """A basket's daily valuation: total market value / total TTM earnings (and revenue).

    Members count on a day only when they have a market value and both TTM figures
    (share counts missing -> left out, e.g. the MSFT subset).  ``date, members,
    market_value, net_income_ttm, revenue_ttm, pe, ps, earnings_yield``.
    """
    ok = series.filter(
        pl.col("market_value").is_not_null() & pl.col("net_income_ttm").is_not_null() & pl.col("revenue_ttm").is_not_null()
    )
    out = ok.group_by("date").agg(
        pl.len().alias("members"), pl.col("market_value").sum(), pl.col("net_income_ttm").sum(), pl.col("revenue_ttm").sum(),
        pl.col("symbol").sort().alias("member_symbols"),
    ).sort("date")
    return out.with_columns(
        pl.when(pl.col("net_income_ttm") > 0).then(pl.col("market_value") / pl.col("net_income_ttm")).alias("pe"),
        (pl.col("market_value") / pl.col("revenue_ttm")).alias("ps"),
        (pl.col("net_income_ttm") / pl.col("market_value")).alias("earnings_yield"),
    )


def percentile_rank(history: pl.Series | Sequence[float], value: float | None) -> float | None:
    """Share of ``history`` (nulls/NaN dropped) at or below ``value``, as a fraction."""
    arr = np.asarray(pl.Series(history, dtype=pl.Float64).drop_nulls().drop_nans().to_numpy(), dtype=float)
    if value is None or not math.isfinite(value) or arr.size == 0:
        return None
    return float(np.count_nonzero(arr <= value) / arr.size)


def expanding_bands(
    series: pl.DataFrame, column: str, quantiles: Sequence[float] = (0.1, 0.5, 0.9), min_samples: int = 250
) -> pl.DataFrame:
    """``date, <column>, q10, q50, q90...``: quantiles of the column's own history up to each day.

    No look-ahead: a day's bands use that day and earlier only.  Null/NaN values are dropped.
    """
    s = series.select("date", column).drop_nulls(column).filter(pl.col(column).is_finite()).sort("date")
    n = max(s.height, 1)
    return s.with_columns(
        pl.col(column).rolling_quantile(q, window_size=n, min_samples=min(min_samples, n)).alias(f"q{round(q * 100)}")
        for q in quantiles
    )


# -- summaries ------------------------------------------------------------

@dataclass(frozen=True)
class Decomposition:
    """Price change = EPS change x P/E change over [start, end] (fractions; as-traded close)."""

    start: date
    end: date
    price_start: float
    price_end: float
    eps_start: float | None
    eps_end: float | None
    pe_start: float | None
    pe_end: float | None
    price_change: float
    eps_change: float | None
    pe_change: float | None
    earnings_share: float | None  # share of log(price change) explained by earnings


def decompose(series: pl.DataFrame, start: date, end: date) -> Decomposition | None:
    """(1 + price change) = (1 + EPS change) x (1 + P/E change) between the last bars on or before the dates."""
    s = series.sort("date")
    a = s.filter(pl.col("date") <= start).tail(1)
    b = s.filter(pl.col("date") <= end).tail(1)
    if a.is_empty() or b.is_empty():
        return None
    ra, rb = a.row(0, named=True), b.row(0, named=True)
    pc = rb["close"] / ra["close"] - 1
    ea, eb, pa, pb = ra["eps_ttm"], rb["eps_ttm"], ra["pe"], rb["pe"]
    ec = eb / ea - 1 if ea and eb and ea > 0 and eb > 0 else None
    mc = pb / pa - 1 if pa and pb else None
    share = None
    if ec is not None and pc != 0 and pc > -1:
        share = math.log1p(ec) / math.log1p(pc)
    return Decomposition(ra["date"], rb["date"], ra["close"], rb["close"], ea, eb, pa, pb, pc, ec, mc, share)


@dataclass(frozen=True)
class SymbolValuation:
    """One symbol's valuation as of a day (multiples on the latest share basis)."""

    symbol: str
    date: date
    close: float
    eps_ttm: float | None
    eps_period_end: _dt.date | None
    revenue_ttm: float | None
    net_income_ttm: float | None
    revenue_growth: float | None  # TTM vs TTM a year earlier, same vintage
    eps_growth: float | None
    shares: float | None
    market_value: float | None
    pe: float | None
    ps: float | None
    earnings_yield: float | None
    pe_percentile: float | None  # vs the symbol's own daily history up to ``date``
    ps_percentile: float | None
    history_start: _dt.date
    source_filed: _dt.date | None
    decomposition: Decomposition | None
    # True when the TTM EPS ends more than STALE_EPS_DAYS before ``date`` (e.g. annual-only
    # filings, as in the MSFT subset): the multiples then rest on old earnings.
    eps_stale: bool = False


STALE_EPS_DAYS = 200  # a quarter (91 days) plus the longest 10-K filing lag, with room


def _opt(x: object) -> float | None:
    return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else float(x)  # type: ignore[arg-type]


def summarize(
    series: pl.DataFrame, facts: pl.DataFrame, as_of: date | None = None, since: date | None = None,
    splits: pl.DataFrame | None = None, history: pl.DataFrame | None = None,
) -> list[SymbolValuation]:
    """Per symbol in ``series``: multiples, their percentiles, growth and the decomposition since ``since``.

    ``as_of`` defaults to each symbol's last bar; ``since`` to one year before the as-of day;
    ``history`` is :func:`ttm_history` of ``facts`` when already computed.
    """
    out: list[SymbolValuation] = []
    hist = ttm_history(facts, splits) if history is None else history
    for (sym,), s in series.sort("symbol", "date").group_by(["symbol"], maintain_order=True):
        upto = s if as_of is None else s.filter(pl.col("date") <= as_of)
        if upto.is_empty():
            continue
        r = upto.row(upto.height - 1, named=True)
        day: date = r["date"]
        grow = hist.filter((pl.col("ticker") == sym) & (pl.col("vintage") <= day)).sort("vintage")
        growth: dict[str, float | None] = {}
        for m in ("revenue", "eps_diluted"):
            g = grow.filter(pl.col("metric") == m).tail(1)
            cur, prev = (g["ttm"][0], g["prior_ttm"][0]) if g.height else (None, None)
            growth[m] = cur / prev - 1 if cur is not None and prev is not None and prev > 0 else None
        if since is not None and since >= day:
            raise DataError(f"{sym}: the decomposition starts {since}, not before the as-of day {day}: "
                            "expected a start before it")
        start = since or date(day.year - 1, day.month, min(day.day, 28))
        out.append(
            SymbolValuation(
                str(sym), day, r["close"], _opt(r["eps_ttm"]), r["eps_period_end"], _opt(r["revenue_ttm"]),
                _opt(r["net_income_ttm"]), growth["revenue"], growth["eps_diluted"], _opt(r["shares"]),
                _opt(r["market_value"]), _opt(r["pe"]), _opt(r["ps"]), _opt(r["earnings_yield"]),
                percentile_rank(upto["pe"], r["pe"]), percentile_rank(upto["ps"], r["ps"]),
                upto["date"][0], r["source_filed"], decompose(upto, start, day),
                eps_stale=r["eps_period_end"] is not None and (day - r["eps_period_end"]).days > STALE_EPS_DAYS,
            )
        )
    return out


@dataclass(frozen=True)
class BasketValuation:
    """A basket's aggregate multiples as of a day, with percentiles vs its own history."""

    name: str
    date: date
    members: int
    market_value: float
    net_income_ttm: float
    revenue_ttm: float
    pe: float | None
    ps: float | None
    earnings_yield: float | None
    pe_percentile: float | None
    ps_percentile: float | None
    history_start: _dt.date
    member_symbols: tuple[str, ...] = ()  # the members counted that day


def summarize_basket(name: str, basket: pl.DataFrame, as_of: date | None = None) -> BasketValuation | None:
    """The basket's row on (or before) ``as_of`` and its percentiles vs history up to then."""
    upto = basket if as_of is None else basket.filter(pl.col("date") <= as_of)
    if upto.is_empty():
        return None
    r = upto.row(upto.height - 1, named=True)
    return BasketValuation(
        name, r["date"], int(r["members"]), r["market_value"], r["net_income_ttm"], r["revenue_ttm"],
        _opt(r["pe"]), _opt(r["ps"]), _opt(r["earnings_yield"]), percentile_rank(upto["pe"], r["pe"]),
        percentile_rank(upto["ps"], r["ps"]), upto["date"][0], tuple(r["member_symbols"] or ()),
    )


@dataclass(frozen=True)
class ValuationReport:
    """What ``rotation valuation SYMBOL...`` shows: per-symbol and basket valuation, splits used."""

    as_of: date | None
    symbols: tuple[SymbolValuation, ...]
    basket: BasketValuation | None
    splits: pl.DataFrame
    missing: tuple[str, ...]  # symbols with bars but no fundamentals
    warnings: tuple[str, ...] = ()  # P/E jumps by about a split ratio overnight (a split not on record?)


def valuation_report(
    bars: pl.DataFrame,
    facts: pl.DataFrame,
    as_of: date | None = None,
    since: date | None = None,
    basket: str | None = None,
    split_events: pl.DataFrame | None = None,
) -> ValuationReport:
    """Multiples, percentiles, growth and decomposition per symbol; the basket aggregate when named.

    ``split_events`` (``symbol, date, ratio``: the store's split records) join the splits
    detected in the filings (see :func:`rotation.analytics.split_basis.combine_splits`).
    """
    splits = combine_splits(detect_splits(facts), split_events)
    history = ttm_history(facts, splits)
    series = valuation_series(bars, facts, splits, history)
    rows = tuple(summarize(series, facts, as_of, since, splits, history))
    have = {r.symbol for r in rows}
    missing = tuple(s for s in bars["symbol"].unique(maintain_order=True).to_list() if s not in have)
    bv = summarize_basket(basket, basket_series(series), as_of) if basket else None
    upto = series if as_of is None else series.filter(pl.col("date") <= as_of)
    return ValuationReport(as_of, rows, bv, splits, missing, tuple(pe_split_jumps(upto)))


__all__ = [
    "METRICS",
    "BasketValuation",
    "Decomposition",
    "SymbolValuation",
    "ValuationReport",
    "basket_series",
    "decompose",
    "detect_splits",
    "expanding_bands",
    "fundamentals_as_of",
    "percentile_rank",
    "rebase_facts",
    "shares_history",
    "summarize",
    "summarize_basket",
    "ttm_history",
    "valuation_report",
    "valuation_series",
]
