"""Valuation against fundamentals: real figures from ../shared/data/fundamentals, invariants, edge cases."""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from rotation.analytics.index_valuation import index_valuation
from rotation.analytics.valuation import (
    CONCEPTS_USED,
    basket_series,
    decompose,
    detect_splits,
    expanding_bands,
    fundamentals_as_of,
    percentile_rank,
    rebase_facts,
    summarize,
    ttm_history,
    valuation_series,
)
from rotation.data.fundamentals import FACT_SCHEMA, index_inputs, load_facts
from rotation.data.store import Store
from rotation.report.valuation_charts import multiple_bands_chart, price_eps_chart

MEGACAPS = ["AAPL", "MSFT", "AMZN", "GOOGL", "META", "NVDA", "TSLA", "AVGO"]


@pytest.fixture(scope="module")
def real(real_store: Path) -> dict[str, pl.DataFrame]:
    with Store(real_store, read_only=True) as st:
        facts = load_facts(st, MEGACAPS, CONCEPTS_USED)
        bars = st.bars(MEGACAPS)
        idx = index_inputs(st)
    splits = detect_splits(facts)
    return {"facts": facts, "bars": bars, "splits": splits, "series": valuation_series(bars, facts, splits), **idx}


def _ttm(real: dict[str, pl.DataFrame], ticker: str, metric: str, as_of: date) -> dict:
    f = fundamentals_as_of(real["facts"], as_of, real["splits"])
    return f.filter((pl.col("ticker") == ticker) & (pl.col("metric") == metric)).row(0, named=True)


def _day(real: dict[str, pl.DataFrame], symbol: str, day: date) -> dict:
    return real["series"].filter((pl.col("symbol") == symbol) & (pl.col("date") == day)).row(0, named=True)


# -- splits ---------------------------------------------------------------

def test_splits_detected_from_filings(real: dict[str, pl.DataFrame]) -> None:
    got = {(r["ticker"], r["ratio"]): (r["last_old_filed"], r["first_new_filed"])
           for r in real["splits"].iter_rows(named=True)}
    assert set(got) == {("NVDA", 4.0), ("NVDA", 10.0), ("AAPL", 7.0), ("AAPL", 4.0), ("AMZN", 20.0),
                        ("GOOGL", 20.0), ("TSLA", 5.0), ("TSLA", 3.0), ("AVGO", 10.0)}
    # NVDA's 10:1 took effect 2024-06-10: the window brackets it between two 10-Qs.
    assert got[("NVDA", 10.0)] == (date(2024, 5, 29), date(2024, 8, 28))
    lo, hi = got[("NVDA", 4.0)]
    assert lo < date(2021, 7, 20) <= hi


def test_nvda_fy2024_eps_as_filed_and_rebased(real: dict[str, pl.DataFrame]) -> None:
    f = rebase_facts(
        real["facts"].filter(
            (pl.col("ticker") == "NVDA") & (pl.col("concept") == "EarningsPerShareDiluted")
            & (pl.col("period_start") == date(2023, 1, 30)) & (pl.col("period_end") == date(2024, 1, 28))
        ),
        real["splits"],
    ).sort("filed")
    assert f["val"].to_list() == [11.93, 1.19, 1.19]  # as filed
    assert f["split_factor"].to_list() == [10.0, 1.0, 1.0]
    assert f["value"].to_list() == pytest.approx([1.193, 1.19, 1.19])


# -- point-in-time TTM ----------------------------------------------------

def test_nvda_revenue_fy2024_and_fy2025(real: dict[str, pl.DataFrame]) -> None:
    fy24 = _ttm(real, "NVDA", "revenue", date(2024, 3, 1))
    assert (fy24["period_end"], fy24["ttm"], fy24["basis"]) == (date(2024, 1, 28), 60_922_000_000.0, "annual")
    fy25 = _ttm(real, "NVDA", "revenue", date(2025, 3, 1))
    assert (fy25["period_end"], fy25["ttm"]) == (date(2025, 1, 26), 130_497_000_000.0)
    eps = _ttm(real, "NVDA", "eps_diluted", date(2024, 3, 1))
    assert eps["ttm"] == pytest.approx(1.193)  # 11.93 as first filed, on the post-split basis


def test_nvda_ttm_eps_quarter_ended_2024_04_28(real: dict[str, pl.DataFrame]) -> None:
    # 2.48 + 3.71 + (11.93 - 7.01) + 5.98 = 17.09 pre-split: Q4 derived as FY - 9M.
    r = _ttm(real, "NVDA", "eps_diluted", date(2024, 6, 20))
    assert r["period_end"] == date(2024, 4, 28)
    assert r["basis"] == "4 quarters"
    assert r["ttm"] == pytest.approx(1.709)
    assert r["source_filed"] == date(2024, 5, 29)


def test_nvda_pe_on_2024_06_20(real: dict[str, pl.DataFrame]) -> None:
    d = _day(real, "NVDA", date(2024, 6, 20))
    assert d["close"] == 130.78
    assert d["eps_ttm"] == pytest.approx(1.709)
    assert d["pe"] == pytest.approx(76.5, abs=0.05)
    assert d["earnings_yield"] == pytest.approx(1.709 / 130.78)


def test_no_look_ahead_before_late_may_2024_filing(real: dict[str, pl.DataFrame]) -> None:
    d = _day(real, "NVDA", date(2024, 5, 1))
    assert d["eps_period_end"] == date(2024, 1, 28)  # the quarter to 2024-04-28 was filed 2024-05-29
    assert d["eps_ttm"] == pytest.approx(1.193)
    assert d["source_filed"] <= date(2024, 5, 1)
    before = _day(real, "NVDA", date(2024, 5, 28))
    after = _day(real, "NVDA", date(2024, 5, 29))
    assert before["eps_period_end"] == date(2024, 1, 28)
    assert after["eps_period_end"] == date(2024, 4, 28)


@pytest.mark.parametrize(
    ("ticker", "as_of", "period_end", "revenue", "eps"),
    [
        ("AAPL", date(2024, 12, 1), date(2024, 9, 28), 391_035_000_000.0, 6.08),
        ("AMZN", date(2025, 3, 1), date(2024, 12, 31), 637_959_000_000.0, 5.53),
        ("GOOGL", date(2025, 3, 1), date(2024, 12, 31), 350_018_000_000.0, 8.04),
        ("META", date(2025, 3, 1), date(2024, 12, 31), 164_501_000_000.0, 23.86),
        ("TSLA", date(2025, 3, 1), date(2024, 12, 31), 97_690_000_000.0, 2.04),
        ("AVGO", date(2025, 1, 15), date(2024, 11, 3), 51_574_000_000.0, 1.23),
        ("MSFT", date(2024, 9, 1), date(2024, 6, 30), 245_122_000_000.0, 11.80),
    ],
)
def test_other_companies_fiscal_years(
    real: dict[str, pl.DataFrame], ticker: str, as_of: date, period_end: date, revenue: float, eps: float
) -> None:
    rev = _ttm(real, ticker, "revenue", as_of)
    e = _ttm(real, ticker, "eps_diluted", as_of)
    assert (rev["period_end"], rev["ttm"]) == (period_end, revenue)
    assert (e["period_end"], e["ttm"]) == (period_end, pytest.approx(eps))


def test_avgo_net_income_falls_back_to_profitloss(real: dict[str, pl.DataFrame]) -> None:
    # Broadcom stopped tagging NetIncomeLoss in FY2025; its FY2025 net income is under ProfitLoss.
    f = real["facts"].filter((pl.col("ticker") == "AVGO") & (pl.col("concept") == "NetIncomeLoss"))
    assert f["period_end"].max() < date(2025, 1, 1)
    r = _ttm(real, "AVGO", "net_income", date(2026, 1, 15))
    assert r["period_end"].year == 2025 and r["period_end"].month in (10, 11)
    assert r["ttm"] == 23_126_000_000.0


def test_aapl_revenue_tag_change(real: dict[str, pl.DataFrame]) -> None:
    # SalesRevenueNet until 2018, RevenueFromContractWithCustomerExcludingAssessedTax after.
    assert _ttm(real, "AAPL", "revenue", date(2016, 12, 1))["ttm"] == 215_639_000_000.0
    assert _ttm(real, "AAPL", "revenue", date(2020, 12, 1))["ttm"] == 274_515_000_000.0


# -- invariants -----------------------------------------------------------

def test_pe_never_uses_a_filing_after_the_price_date(real: dict[str, pl.DataFrame]) -> None:
    s = real["series"]
    assert s.height > 20_000
    assert s.filter(pl.col("source_filed") > pl.col("date")).is_empty()
    assert s.filter(pl.col("source_filed").is_null() & pl.col("pe").is_not_null()).is_empty()


def test_later_filings_never_change_earlier_days(real: dict[str, pl.DataFrame]) -> None:
    cut = date(2024, 6, 20)
    early = real["facts"].filter(pl.col("filed") <= cut)
    # The split basis is a unit (the bars are split-adjusted with hindsight): keep it fixed.
    part = valuation_series(real["bars"].filter(pl.col("date") <= cut), early, real["splits"])
    full = real["series"].filter(pl.col("date") <= cut)
    cols = ["symbol", "date", "eps_ttm", "revenue_ttm", "net_income_ttm", "shares", "pe", "ps"]
    assert part.select(cols).equals(full.select(cols))


def test_pe_scales_with_price(real: dict[str, pl.DataFrame]) -> None:
    bars = real["bars"].filter(pl.col("symbol") == "NVDA")
    double = valuation_series(bars.with_columns(pl.col("close") * 2), real["facts"], real["splits"])
    base = real["series"].filter(pl.col("symbol") == "NVDA")
    ratio = (double["pe"] / base["pe"]).drop_nulls()
    assert ratio.min() == pytest.approx(2.0) and ratio.max() == pytest.approx(2.0)


def test_decomposition_identity(real: dict[str, pl.DataFrame]) -> None:
    s = real["series"].filter(pl.col("symbol") == "NVDA")
    d = decompose(s, date(2023, 6, 20), date(2024, 6, 20))
    assert d is not None and d.eps_change is not None and d.pe_change is not None
    assert 1 + d.price_change == pytest.approx((1 + d.eps_change) * (1 + d.pe_change))
    assert d.price_change > 1.9  # NVDA roughly tripled ...
    assert d.eps_change > 7  # ... while TTM EPS rose ~9x: the multiple fell
    assert d.pe_change < -0.6


def test_summary_percentiles_and_growth(real: dict[str, pl.DataFrame]) -> None:
    rows = {r.symbol: r for r in summarize(real["series"], real["facts"], date(2024, 6, 20), splits=real["splits"])}
    nv = rows["NVDA"]
    assert nv.pe == pytest.approx(76.52, abs=0.01)
    assert 0 < nv.pe_percentile < 1  # type: ignore[operator]
    hist = real["series"].filter((pl.col("symbol") == "NVDA") & (pl.col("date") <= date(2024, 6, 20)))["pe"]
    assert nv.pe_percentile == percentile_rank(hist, nv.pe)
    assert nv.revenue_growth == pytest.approx(79_774 / 25_878 - 1, rel=1e-6)  # TTM to 2024-04 vs 2023-04
    assert rows["MSFT"].market_value is None and rows["MSFT"].pe is not None  # subset: no share counts


def test_basket_is_market_value_over_earnings(real: dict[str, pl.DataFrame]) -> None:
    b = basket_series(real["series"])
    row = b.filter(pl.col("date") == date(2024, 6, 20)).row(0, named=True)
    assert row["members"] == 7  # MSFT's subset has no share counts
    members = real["series"].filter((pl.col("date") == date(2024, 6, 20)) & pl.col("market_value").is_not_null())
    assert row["pe"] == pytest.approx(members["market_value"].sum() / members["net_income_ttm"].sum())
    ratio = members["market_value"] / members["net_income_ttm"]
    assert ratio.min() <= row["pe"] <= ratio.max()


def test_expanding_bands_do_not_look_ahead(real: dict[str, pl.DataFrame]) -> None:
    s = real["series"].filter(pl.col("symbol") == "NVDA")
    full = expanding_bands(s, "pe")
    part = expanding_bands(s.filter(pl.col("date") <= date(2020, 1, 1)), "pe")
    joined = part.join(full, on="date", suffix="_full")
    assert joined.height == part.height
    for q in ("q10", "q50", "q90"):
        assert (joined[q] - joined[f"{q}_full"]).abs().max() == pytest.approx(0.0, abs=1e-9)
    last = full.tail(1).row(0, named=True)
    assert last["q10"] <= last["q50"] <= last["q90"]


def test_charts_build(real: dict[str, pl.DataFrame]) -> None:
    s = real["series"].filter(pl.col("symbol") == "NVDA")
    fig = price_eps_chart(s, "NVDA")
    assert [t.name for t in fig.data] == ["NVDA close", "TTM diluted EPS (as known that day)"]
    bands = multiple_bands_chart(expanding_bands(s, "pe"), "NVDA", "pe")
    assert len(bands.data) == 4 and bands.data[-1].name == "NVDA P/E"


# -- index ----------------------------------------------------------------

def test_cape_july_2024_and_size_view(real: dict[str, pl.DataFrame]) -> None:
    iv = index_valuation(real["shiller"], real["sp500_pe"], real["annual"], real["snapshots"], date(2024, 7, 31))
    assert iv.month == date(2024, 7, 1)
    assert iv.cape == pytest.approx(35.44, abs=0.005)
    assert iv.multpl_pe == 28.08
    assert iv.cape_percentile > 0.95  # type: ignore[operator]
    later = index_valuation(real["shiller"], real["sp500_pe"], real["annual"], real["snapshots"], date(2025, 9, 1))
    y24 = next(s for s in later.size if s.year == 2024 and s.basis == "operating")
    assert (y24.sp500_pe, y24.sp600_pe) == (25.20, 22.76)
    assert y24.small_vs_large == pytest.approx(22.76 / 25.20)
    assert later.snapshot is not None and later.snapshot.as_of == date(2025, 8, 26)
    assert (later.snapshot.sp500_pe, later.snapshot.sp600_pe) == (25.03, 20.11)
    y20 = next(s for s in later.size if s.year == 2020 and s.basis == "operating")
    assert y20.small_vs_large is None  # negative S&P 600 EPS: no meaningful ratio


# -- synthetic edge cases -------------------------------------------------

def _fact(concept: str, start: date | None, end: date, val: float, filed: date, unit: str = "USD") -> dict:
    return {"ticker": "XYZ", "cik": 1, "taxonomy": "us-gaap", "concept": concept, "unit": unit,
            "period_start": start, "period_end": end, "val": val, "accn": f"a-{filed}", "fy": None, "fp": None,
            "form": "10-K", "filed": filed, "frame": None}


def _facts(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"ticker": pl.Utf8, **FACT_SCHEMA})


def test_q4_derived_when_only_annual_and_ytd_reported() -> None:
    y0 = date(2023, 1, 1)
    rows = [
        _fact("Revenues", y0, date(2023, 3, 31), 10, date(2023, 5, 1)),
        _fact("Revenues", y0, date(2023, 6, 30), 22, date(2023, 8, 1)),  # 6M only
        _fact("Revenues", y0, date(2023, 9, 30), 36, date(2023, 11, 1)),  # 9M only
        _fact("Revenues", y0, date(2023, 12, 31), 50, date(2024, 2, 1)),  # FY
        _fact("ProfitLoss", date(2024, 1, 1), date(2024, 3, 31), 5, date(2024, 5, 1)),
        _fact("Revenues", date(2024, 1, 1), date(2024, 3, 31), 20, date(2024, 5, 1)),
    ]
    facts = _facts(rows)
    h = fundamentals_as_of(facts, date(2024, 6, 1))
    rev = h.filter(pl.col("metric") == "revenue").row(0, named=True)
    # Q2 = 22-10, Q3 = 36-22, Q4 = 50-36, Q1'24 = 20 -> 12 + 14 + 14 + 20
    assert (rev["period_end"], rev["ttm"], rev["basis"]) == (date(2024, 3, 31), 60.0, "4 quarters")
    assert rev["prior_ttm"] is None  # no TTM a year earlier
    at_fy = fundamentals_as_of(facts, date(2024, 2, 1)).filter(pl.col("metric") == "revenue").row(0, named=True)
    assert (at_fy["ttm"], at_fy["basis"]) == (50.0, "annual")
    assert fundamentals_as_of(facts, date(2023, 4, 1)).is_empty()
    ni = h.filter(pl.col("metric") == "net_income")
    assert ni.is_empty()  # one quarter of ProfitLoss is not a TTM


def test_empty_inputs() -> None:
    empty = _facts([])
    assert detect_splits(empty).is_empty()
    assert ttm_history(empty).is_empty()
    bars = pl.DataFrame({"symbol": ["XYZ"], "date": [date(2024, 1, 2)], "close": [10.0]})
    assert valuation_series(bars, empty).is_empty()
    assert percentile_rank([], 1.0) is None
    assert percentile_rank([1.0, float("nan"), None, 3.0], 2.0) == 0.5  # type: ignore[list-item]


def test_negative_eps_gives_no_pe() -> None:
    rows = [_fact("EarningsPerShareDiluted", date(2023, 1, 1), date(2023, 12, 31), -2.0, date(2024, 2, 1),
                  "USD/shares")]
    bars = pl.DataFrame({"symbol": ["XYZ"] * 2, "date": [date(2024, 1, 31), date(2024, 2, 1)], "close": [10.0, 11.0]})
    s = valuation_series(bars, _facts(rows))
    assert s.height == 1  # no filing before 2024-02-01
    r = s.row(0, named=True)
    assert r["pe"] is None and r["earnings_yield"] == pytest.approx(-2 / 11)


def test_split_rebasing_synthetic() -> None:
    # A 2:1 split between filings of 2024-03-01 and 2024-06-01: three restated facts show it.
    rows = []
    for k, (old, new) in enumerate([(4.0, 2.0), (3.0, 1.5), (2.2, 1.1)]):
        s = date(2023, 1, 1) + timedelta(days=91 * k)
        e = s + timedelta(days=89)
        rows.append(_fact("EarningsPerShareDiluted", s, e, old, date(2024, 3, 1), "USD/shares"))
        rows.append(_fact("EarningsPerShareDiluted", s, e, new, date(2024, 6, 1), "USD/shares"))
    splits = detect_splits(_facts(rows))
    assert splits.select("ratio", "last_old_filed", "first_new_filed").rows() == [
        (2.0, date(2024, 3, 1), date(2024, 6, 1))
    ]
    reb = rebase_facts(_facts(rows), splits)
    old = reb.filter(pl.col("filed") == date(2024, 3, 1)).sort("period_start")
    new = reb.filter(pl.col("filed") == date(2024, 6, 1)).sort("period_start")
    assert old["value"].to_list() == new["value"].to_list()
    # Two restated facts are not enough evidence.
    assert detect_splits(_facts(rows[:4])).is_empty()
    assert not math.isnan(reb["value"].sum())


def test_stale_earnings_are_flagged_and_basket_members_named(real_store) -> None:
    from datetime import date

    from rotation.analytics.valuation import (
        CONCEPTS_USED,
        basket_series,
        detect_splits,
        summarize,
        summarize_basket,
        ttm_history,
        valuation_series,
    )
    from rotation.data.fundamentals import load_facts
    from rotation.data.store import Store

    names = ["MSFT", "NVDA", "AAPL"]
    with Store(real_store, read_only=True) as st:
        facts = load_facts(st, names, CONCEPTS_USED)
        bars = st.bars(names, end=date(2024, 6, 20))
    splits = detect_splits(facts)
    history = ttm_history(facts, splits)
    series = valuation_series(bars, facts, splits, history)
    rows = {r.symbol: r for r in summarize(series, facts, date(2024, 6, 20), None, splits, history)}
    assert rows["MSFT"].eps_stale  # the 10-K-only subset: TTM to 2023-06-30
    assert not rows["NVDA"].eps_stale and not rows["AAPL"].eps_stale
    basket = summarize_basket("test", basket_series(series), date(2024, 6, 20))
    assert basket is not None and basket.member_symbols == ("AAPL", "NVDA")  # MSFT has no share counts
