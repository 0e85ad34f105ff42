"""The report's "Who is buying" section and the headline's positioning line, on the real store."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from rotation.data.store import Store
from rotation.report.build import ReportOptions, load_report_data
from rotation.report.inputs import ReportData
from rotation.report.model import table_records
from rotation.report.who_is_buying import day_sentence, positioning_section


@pytest.fixture(scope="module")
def data(real_store: Path) -> ReportData:
    with Store(real_store, read_only=True) as st:
        return load_report_data(st, date(2024, 7, 19), ("core",))


def test_section_as_of_the_release_friday(data: ReportData) -> None:
    sec = positioning_section(data, ReportOptions())
    assert (sec.status, sec.number, sec.key) == ("ok", 10, "positioning")
    assert sec.facts["RTY"] == {"report_date": "2024-07-16", "release_date": "2024-07-19", "dealer": -3_392,
                                "asset_mgr": 64_300, "lev_money": -36_043, "other_rept": -36_829,
                                "nonrept": 11_964}
    assert set(sec.facts) == {"RTY", "NQ", "ES"}
    assert any(line.startswith("RTY (E-mini Russell 2000), CFTC report of 2024-07-16 released 2024-07-19: "
                               "asset managers net +64,300, +$7.28bn, +44,102 on the week") for line in sec.lines)
    pos, flows, sent = sec.tables
    rows = table_records(pos)
    am = next(r for r in rows if r["contract"] == "RTY" and r["group"] == "asset managers")
    assert am["net $"] == pytest.approx(64_300 * 50 * 2263.67)
    # four weeks back: the report known at 2024-06-21 (06-18) -> 07-16
    fl = next(r for r in table_records(flows) if r["contract"] == "RTY" and r["group"] == "leveraged funds")
    assert (fl["from"], fl["to"], fl["net to"]) == (date(2024, 6, 18), date(2024, 7, 16), -36_043)
    aaii = next(r for r in table_records(sent) if r["measure"] == "AAII bullish")
    assert aaii["date"] == date(2024, 7, 18) and 0 <= aaii["pctile"] <= 1
    assert [f.key for f in sec.figures] == ["positioning_rty", "positioning_nq"]
    rty = sec.figures[0].figure
    assert {t.name for t in rty.data} >= {"^RUT close", "asset managers", "leveraged funds", "non-reportables"}
    last = max(rty.data[1].x)
    assert str(last)[:10] == "2024-07-16"  # nothing released after the as-of date is drawn


def test_headline_line_for_the_rotation_day(data: ReportData) -> None:
    text = day_sentence(data, date(2024, 7, 11), ("^RUT", "^NDX"))
    assert text is not None and text.startswith(
        "Positioning (CFTC report of 2024-07-16, released 2024-07-19, vs 2024-07-09): "
        "RTY asset managers +44,102 (+$4.99bn), leveraged funds +33,818 (+$3.83bn), non-reportables +3,127")
    assert "NQ asset managers" in text
    assert day_sentence(data, date(2024, 7, 11), ("XLK", "XLE")) is None  # no contract on either side


def test_before_the_release_the_headline_says_when(real_store: Path) -> None:
    with Store(real_store, read_only=True) as st:
        early = load_report_data(st, date(2024, 7, 18), ("core",))
    assert day_sentence(early, date(2024, 7, 11), ("^RUT", "^NDX")) == (
        "Positioning: the CFTC report covering 2024-07-11 is that of 2024-07-16; it comes out on 2024-07-19, "
        "after the as-of date 2024-07-18.")
    sec = positioning_section(early, ReportOptions())
    assert sec.facts["RTY"]["report_date"] == "2024-07-09" and sec.facts["RTY"]["lev_money"] == -69_861
