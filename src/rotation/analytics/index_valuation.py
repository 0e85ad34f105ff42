"""Index valuation: Shiller CAPE, the S&P 500 trailing P/E, and large vs small caps (S&P 500 vs 600).

Inputs are the frames of :func:`rotation.data.fundamentals.load_table` (pure: no I/O):

* Shiller's monthly table: ``cape`` = real price / 10-year average real earnings; the
  month's price is the average of its daily closes, so the month holding ``as_of`` is used.
* multpl's S&P 500 trailing-12-month P/E by month.
* S&P DJI year-end P/E (year-end price / that calendar year's EPS, operating and as
  reported) for the S&P 500, 400 and 600, and the dated snapshots' operating P/E on the
  current-year estimate.  A year counts once its year end is on or before ``as_of``;
  ``estimate`` marks years whose EPS the workbook labels as estimated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from rotation.analytics.valuation import percentile_rank


@dataclass(frozen=True)
class SizeValuation:
    """Year-end P/E of the S&P 500, 400 and 600 on one EPS basis; ``small_vs_large`` = 600 / 500."""

    year: int
    basis: str
    sp500_pe: float | None
    sp400_pe: float | None
    sp600_pe: float | None
    small_vs_large: float | None
    small_vs_large_percentile: float | None  # vs the same ratio in earlier years (same basis)
    estimate: bool


@dataclass(frozen=True)
class SnapshotValuation:
    """S&P's operating P/E on the current-year estimate at a dated snapshot (forward-ish)."""

    as_of: date
    estimate_year: int
    sp500_pe: float | None
    sp400_pe: float | None
    sp600_pe: float | None
    small_vs_large: float | None


@dataclass(frozen=True)
class IndexValuation:
    """The market's valuation as of a day (percentiles vs each series' own history to then)."""

    as_of: date
    month: date | None
    sp_price: float | None
    earnings: float | None  # Shiller's trailing-12-month reported earnings (index points)
    cape: float | None
    cape_percentile: float | None
    cape_median: float | None
    shiller_pe: float | None  # price / trailing earnings
    multpl_month: date | None
    multpl_pe: float | None
    multpl_pe_percentile: float | None
    size: tuple[SizeValuation, ...]
    snapshot: SnapshotValuation | None


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b is not None and a > 0 and b > 0 else None


def size_valuation(annual: pl.DataFrame, as_of: date) -> tuple[SizeValuation, ...]:
    """S&P 500 / 400 / 600 year-end P/E per year and basis, years ended by ``as_of``."""
    idx = {"S&P 500": "sp500", "S&P 400": "sp400", "S&P 600": "sp600"}
    a = annual.filter(pl.col("index_name").is_in(list(idx)) & (pl.col("year") < as_of.year))
    if a.is_empty():
        return ()
    wide = (
        a.with_columns(pl.col("index_name").replace_strict(idx).alias("k"))
        .pivot(on="k", index=["year", "basis"], values=["pe", "estimate"], aggregate_function="first")
        .sort("basis", "year")
    )
    out: list[SizeValuation] = []
    history: dict[str, list[float]] = {}
    for r in wide.iter_rows(named=True):
        ratio = _ratio(r.get("pe_sp600"), r.get("pe_sp500"))
        past = history.setdefault(r["basis"], [])
        if ratio is not None:
            past.append(ratio)
        est = any(bool(r.get(f"estimate_{k}")) for k in idx.values())
        out.append(
            SizeValuation(int(r["year"]), r["basis"], r.get("pe_sp500"), r.get("pe_sp400"), r.get("pe_sp600"),
                          ratio, percentile_rank(past, ratio), est)
        )
    return tuple(sorted(out, key=lambda s: (s.year, s.basis)))


def index_valuation(
    shiller: pl.DataFrame,
    sp500_pe: pl.DataFrame | None,
    annual: pl.DataFrame | None,
    snapshots: pl.DataFrame | None,
    as_of: date,
) -> IndexValuation:
    """CAPE, trailing P/E and the S&P 500 vs 600 comparison as of ``as_of``."""
    month_start = as_of.replace(day=1)
    sh = shiller.filter(pl.col("date") <= month_start).sort("date")
    cape_hist = sh.drop_nulls("cape")
    row = cape_hist.row(cape_hist.height - 1, named=True) if cape_hist.height else None
    cape = row["cape"] if row else None
    price = row["sp_comp_price"] if row else None
    earn = row["earnings"] if row else None
    mp_month = mp = mp_pct = None
    if sp500_pe is not None:
        m = sp500_pe.filter(pl.col("date") <= as_of).drop_nulls("sp500_pe_ttm").sort("date")
        if m.height:
            mp_month, mp = m["date"][-1], m["sp500_pe_ttm"][-1]
            mp_pct = percentile_rank(m["sp500_pe_ttm"], mp)
    snap = None
    if snapshots is not None:
        s = snapshots.filter(pl.col("as_of") <= as_of).sort("as_of")
        if s.height:
            r = s.row(s.height - 1, named=True)
            snap = SnapshotValuation(
                r["as_of"], int(r["estimate_year"]), r["sp500_oper_pe_on_est"], r["sp400_oper_pe_on_est"],
                r["sp600_oper_pe_on_est"], _ratio(r["sp600_oper_pe_on_est"], r["sp500_oper_pe_on_est"]),
            )
    return IndexValuation(
        as_of,
        row["date"] if row else None,
        price,
        earn,
        cape,
        percentile_rank(cape_hist["cape"], cape) if row else None,
        float(cape_hist["cape"].median()) if row else None,  # type: ignore[arg-type]
        _ratio(price, earn),
        mp_month,
        mp,
        mp_pct,
        size_valuation(annual, as_of) if annual is not None else (),
        snap,
    )


def cape_series(shiller: pl.DataFrame) -> pl.DataFrame:
    """``date, cape, shiller_pe``: monthly CAPE and price / trailing earnings."""
    return shiller.select(
        "date", "cape", pl.when(pl.col("earnings") > 0).then(pl.col("sp_comp_price") / pl.col("earnings")).alias("shiller_pe")
    ).drop_nulls("cape")


__all__ = ["IndexValuation", "SizeValuation", "SnapshotValuation", "cape_series", "index_valuation", "size_valuation"]
