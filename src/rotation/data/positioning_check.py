"""Checks on stored positioning: the weekly series of each market, across the yearly files.

An import checks one file at a time (a duplicated row is refused, a gap is a note); these
rules judge what the store holds once the files are together, so a gap at a year's turn
(the last report of one yearly file, the first of the next) is seen too.  One finding
per problem, in the shape of the bar checks (:class:`rotation.data.validate.Finding`),
for ``rotation data check``:

* ``positioning_gap`` (warning): two consecutive reports of one market (and report kind)
  12 days or more apart, i.e. at least one weekly report missing.  A holiday moves a
  report by a day or two (Monday 2023-07-03 for Tuesday the 4th), which is not a gap.
  Sparse markets have real gaps: the CFTC lists a market only in the weeks it has
  enough reportable traders, and the legacy E-mini Russell 2000 series stops from
  2008-09-16 to 2017-08-15 (the contract traded on ICE then).
* ``positioning_duplicate_week`` (error): two report dates of one market in the same
  Monday-to-Sunday week (a weekly report exists once a week; the store's key keeps
  exact duplicates out, so this is a second report under a shifted date).
* ``positioning_release_date`` (error): a ``release_date`` other than the rule's
  (:func:`rotation.data.positioning.cftc_release_date`: the Friday after the report
  date, or the next federal business day), or two release dates for one report.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from rotation.data.positioning import contract_for_code, has_positioning, release_dates
from rotation.data.store import Store
from rotation.data.validate import Finding

POSITIONING_RULES: tuple[str, ...] = ("positioning_gap", "positioning_duplicate_week", "positioning_release_date")
GAP_DAYS = 12  # a normal week is 7 days, a holiday-shifted one 6 to 8


def _series_name(report: str, market_code: str, market_name: str | None) -> str:
    contract = contract_for_code(market_code)
    label = contract.key if contract else (market_name or "").split(" - ")[0].strip() or market_code
    return f"{report}:{market_code} {label}"


def check_positioning(reports: pl.DataFrame) -> list[Finding]:
    """Findings over ``report, market_code, market_name, report_date, release_date`` (one row per report and
    release date; more rows for one report, e.g. one per trader group, are collapsed first)."""
    reports = reports.select("report", "market_code", "market_name", "report_date", "release_date").unique()
    out: list[Finding] = []
    releases = reports.group_by("report", "market_code", "report_date").agg(
        pl.col("market_name").first(), pl.col("release_date").unique().sort().alias("releases"))
    expected = release_dates(releases["report_date"])
    releases = releases.with_columns(expected.alias("expected"))
    for r in releases.sort("report", "market_code", "report_date").iter_rows(named=True):
        if r["releases"] != [r["expected"]]:
            got = ", ".join(d.isoformat() for d in r["releases"])
            out.append(Finding(_series_name(r["report"], r["market_code"], r["market_name"]), r["report_date"],
                               "positioning_release_date", "error",
                               f"released {got}; the rule gives {r['expected']} (the Friday after the report "
                               "date, or the next federal business day)",
                               {"release_date": got, "expected": r["expected"]}))
    dates = (
        releases.select("report", "market_code", "market_name", "report_date").sort("report", "market_code", "report_date")
        .with_columns(pl.col("report_date").shift(1).over("report", "market_code").alias("prev"))
        .filter(pl.col("prev").is_not_null())
    )
    for r in dates.iter_rows(named=True):
        day, prev = r["report_date"], r["prev"]
        name = _series_name(r["report"], r["market_code"], r["market_name"])
        gap = (day - prev).days
        if gap >= GAP_DAYS:
            weeks = max(1, (gap + 3) // 7 - 1)
            out.append(Finding(name, day, "positioning_gap", "warning",
                               f"no report between {prev} and {day}: about {weeks} weekly report(s) missing",
                               {"previous": prev, "days": gap, "weeks_missing": weeks}))
        elif (monday := day - timedelta(days=day.weekday())) == prev - timedelta(days=prev.weekday()):
            out.append(Finding(name, day, "positioning_duplicate_week", "error",
                               f"a second report in the week of Monday {monday}: report dates {prev} and {day}",
                               {"previous": prev}))
    return out


def stored_positioning_findings(store: Store) -> list[Finding]:
    """:func:`check_positioning` on every stored report (none when the store holds no positioning)."""
    if not has_positioning(store):
        return []
    reports = store.query(
        "SELECT DISTINCT report, market_code, market_name, report_date, release_date FROM positioning"
    ).with_columns(pl.col("report_date").cast(pl.Date), pl.col("release_date").cast(pl.Date))
    return check_positioning(reports)
