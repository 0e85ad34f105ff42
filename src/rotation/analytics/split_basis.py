"""Split records on the filings' time line, and P/E jumps that look like a missing split.

A company's filings report per-share figures on the share basis of their filing date,
while the stored ``close`` is split-adjusted to the latest basis.  The filings alone
reveal a split only once a filing after it restates the figures (NVDA's 10:1 of
2024-06-10 first shows in the 10-Q filed 2024-08-28): between the split and that filing,
a valuation "as it was known then" would divide a post-split price by pre-split EPS, a
P/E ten times too low.  A split *record* (``symbol, date, ratio``, from the price
provider or a user CSV) closes that gap: a filing made before the record's date is on
the old basis.

:func:`combine_splits` turns records into the rows :func:`rotation.analytics.valuation.rebase_facts`
reads (``last_old_filed`` = the day before the split, ``first_new_filed`` = its date) and
drops the splits detected in the filings that the records already cover (same ratio,
record date inside the detected window), so nothing is applied twice.

Every recorded split after a filing rebases it, whether or not the split had happened by
the as-of day: the stored closes before a later split are divided by its ratio too, so
applying it to both sides leaves the P/E what it was at the time, in that day's as-traded
terms.  Pure functions, no I/O.
"""

from __future__ import annotations

import math
from datetime import timedelta

import polars as pl

# Detected or recorded splits, one row each (the valuation module's split frame).
SPLIT_SCHEMA = {"ticker": pl.Utf8, "ratio": pl.Float64, "last_old_filed": pl.Date,
                "first_new_filed": pl.Date, "support": pl.Int64, "source": pl.Utf8}

#: Ratios whose overnight P/E jump (within :data:`JUMP_TOL`) is flagged as a likely missing split.
JUMP_RATIOS: tuple[float, ...] = (2, 3, 4, 5, 8, 10, 15, 20)
JUMP_TOL = 0.05  # in log terms, about 5%
_WINDOW_SLACK = timedelta(days=5)


def events_as_splits(events: pl.DataFrame) -> pl.DataFrame:
    """Split records (``symbol, date, ratio``) as split rows (``SPLIT_SCHEMA``, source ``record``)."""
    if events.is_empty():
        return pl.DataFrame(schema=SPLIT_SCHEMA)
    return events.select(
        pl.col("symbol").alias("ticker"),
        pl.col("ratio").cast(pl.Float64),
        (pl.col("date") - pl.duration(days=1)).alias("last_old_filed"),
        pl.col("date").alias("first_new_filed"),
        pl.lit(0, pl.Int64).alias("support"),
        pl.lit("record").alias("source"),
    ).cast(SPLIT_SCHEMA)  # type: ignore[arg-type]


def combine_splits(detected: pl.DataFrame, events: pl.DataFrame | None) -> pl.DataFrame:
    """Detected splits plus recorded ones; a detected split a record covers is dropped."""
    if events is None or events.is_empty():
        return detected
    rec = events_as_splits(events)
    keep: list[dict[str, object]] = []
    for d in detected.iter_rows(named=True):
        covered = any(
            r["ticker"] == d["ticker"]
            and abs(math.log(r["ratio"] / d["ratio"])) < JUMP_TOL
            and d["last_old_filed"] - _WINDOW_SLACK < r["first_new_filed"] <= d["first_new_filed"] + _WINDOW_SLACK
            for r in rec.iter_rows(named=True)
        )
        if not covered:
            keep.append(d)
    kept = pl.DataFrame(keep, schema=SPLIT_SCHEMA) if keep else pl.DataFrame(schema=SPLIT_SCHEMA)
    return pl.concat([kept, rec]).sort("ticker", "last_old_filed")


def pe_split_jumps(series: pl.DataFrame) -> list[str]:
    """Warnings for a P/E that moves by about a split ratio from one bar to the next.

    ``series`` is :func:`rotation.analytics.valuation.valuation_series` output.  A split the
    valuation does not know about shows as one of: the close drops by the ratio while the
    EPS stays (prices not split-adjusted), or the EPS moves by the ratio itself, within 2%,
    on a filing (a new filing on the new basis, not rebased).  An earnings change that only
    happens to be near a ratio (AVGO's TTM EPS halving in March 2019) is neither.  Import the
    split (``symbol,date,ratio``) to fix it.
    """
    s = series.select("symbol", "date", "pe", "close", "eps_ttm").drop_nulls("pe").sort("symbol", "date")
    s = s.with_columns(
        pl.col("pe").shift(1).over("symbol").alias("prev_pe"), pl.col("date").shift(1).over("symbol").alias("prev_date"),
        (pl.col("close") / pl.col("close").shift(1).over("symbol")).log().alias("lc"),
        (pl.col("eps_ttm") / pl.col("eps_ttm").shift(1).over("symbol")).log().alias("le"),
    ).filter(pl.col("prev_pe").is_not_null() & (pl.col("prev_pe") > 0) & (pl.col("pe") > 0))
    s = s.with_columns((pl.col("pe") / pl.col("prev_pe")).log().alias("lr")).filter(pl.col("lr").abs() > math.log(1.8))
    out: list[str] = []
    for r in s.iter_rows(named=True):
        for k in JUMP_RATIOS:
            lk = math.log(k)
            if abs(abs(r["lr"]) - lk) >= JUMP_TOL:
                continue
            by_price = r["lc"] is not None and abs(abs(r["lc"]) - lk) < JUMP_TOL
            by_eps = r["le"] is not None and abs(abs(r["le"]) - lk) < 0.02
            if by_price or by_eps:
                out.append(
                    f"{r['symbol']}: P/E moved x{math.exp(r['lr']):.3g} from {r['prev_date']} ({r['prev_pe']:.1f}) "
                    f"to {r['date']} ({r['pe']:.1f}) as its {'close' if by_price else 'EPS'} moved by about a "
                    f"{k:g}:1 split's ratio: a split not on record? (import it as symbol,date,ratio)"
                )
            break
    return out


__all__ = ["JUMP_RATIOS", "combine_splits", "events_as_splits", "pe_split_jumps"]
