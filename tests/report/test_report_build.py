"""The report's builders on the real store: the figures the evening report must show, and edge cases."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from rotation.data.store import Store
from rotation.errors import DataError
from rotation.report.build import SECTIONS, ReportOptions, build_report, load_report_data
from rotation.report.model import Report, report_dict
from rotation.report.sections import MissingAnalytics, need

AS_OF = date(2024, 7, 26)


@pytest.fixture(scope="module")
def report(real_store: Path) -> Report:
    with Store(real_store, read_only=True) as st:
        return build_report(st, AS_OF)


def test_every_section_is_built_in_order(report: Report) -> None:
    assert [s.key for s in report.sections] == [key for _, key, _, _ in SECTIONS]
    assert [s.number for s in report.sections] == list(range(1, 11))
    for s in report.sections:
        assert s.status in ("ok", "empty"), (s.key, s.status, s.missing)
    assert report.as_of == AS_OF


def test_headline_names_2024_07_11_with_its_rank(report: Report) -> None:
    from rotation.analytics.events import event_on, pair_events

    head = report.section("headline")
    explained = {(e["date"], e["pair"]): e for e in head.facts["explained"]}
    hit = explained[("2024-07-11", "^RUT:^NDX")]
    # The rank is the events module's, for the same day and pair, up to that day.
    with Store(Path(report.store), read_only=True) as st:
        closes = st.closes(["^RUT", "^NDX"], end=AS_OF)
    event = event_on(pair_events(closes, [("^RUT", "^NDX")]), date(2024, 7, 11))
    assert hit["rank"] == event.rank
    assert hit["count"] == event.count
    assert hit["rank"] <= 3  # one of the widest small-cap days since 1987
    assert hit["spread"] == pytest.approx(0.0582, abs=5e-5)
    text = " ".join(head.lines)
    assert "2024-07-11 ^RUT:^NDX" in text and f"rank {event.rank} of" in text
    assert "2024-07-11" in head.facts["notable_days"]
    # Breadth confirmation (issue 5) rides along in the table.
    table = head.tables[0]
    row = next(r for r in table.rows if r[0] == date(2024, 7, 11) and r[1] == "^RUT:^NDX")
    assert "% up" in row[-1] and "vol" in row[-1]
    assert "members up" in text


def test_daily_chart_shows_the_nvda_high_and_the_rut_since(report: Report) -> None:
    chart = report.section("daily_chart")
    nvda = chart.facts["NVDA"]
    assert nvda["ath_date"] == "2024-06-20"
    assert nvda["ath"] == pytest.approx(140.76)
    assert nvda["close"] == pytest.approx(113.06)
    assert nvda["pct_below"] == pytest.approx(113.06 / 140.76 - 1, abs=1e-9)
    since = chart.facts["since_leader_high"]
    assert since["from"] == "2024-06-20"
    assert since["^RUT"] == pytest.approx(2260.07 / 2017.39 - 1, abs=1e-6)  # +12.03%
    assert "2024-07-11" in chart.facts["rotation_days"]
    fig = chart.figures[0].figure
    # Two candle panes plus the drawdown pane, all on one shared time axis.
    assert [t.type for t in fig.data].count("candlestick") == 2
    labels = [a.text for a in fig.layout.annotations]
    assert any("ATH 140.76 (2024-06-20)" in str(x) for x in labels)
    marker_text = [x for t in fig.data if t.type == "scatter" and t.text is not None for x in t.text]
    assert "ATH 06-20 140.76" in marker_text


def test_leadership_heat_maps_hold_the_leaders_returns(report: Report) -> None:
    lead = report.section("leadership")
    assert {f.key for f in lead.figures} == {f"leadership_{u}" for u in ("core", "sectors", "styles", "megacaps")}
    heat = next(f for f in lead.figures if f.key == "leadership_megacaps").figure.data[0]
    assert list(heat.x) == ["1d", "1w", "1m", "3m", "6m", "ytd", "1y"]
    nvda = lead.facts["megacaps"]["NVDA"]
    # NVDA's 1-day return on 2024-07-26 on adj_close (issue 4's leaders table).
    assert nvda["1d"] == pytest.approx(113.06 / 112.28 - 1, abs=2e-3)
    row = [r for r in heat.y].index("NVIDIA (NVDA)")
    assert heat.z[row][0] == pytest.approx(nvda["1d"] * 100)


def test_ratios_rrg_breadth_and_health(report: Report) -> None:
    ratios = report.section("ratios")
    assert [r[0] for r in ratios.tables[0].rows] == ["^RUT/^NDX", "IWM/QQQ", "RSP/SPY", "IWD/IWF"]
    rrg = report.section("rrg")
    assert set(rrg.facts["sectors"]) == {"XLB", "XLC", "XLE", "XLF", "XLI", "XLK", "XLP", "XLRE", "XLU", "XLV", "XLY"}
    assert set(rrg.facts["sectors"].values()) <= {"leading", "weakening", "lagging", "improving"}
    breadth = report.section("breadth")
    assert set(breadth.facts) == {"sp500", "russell2000"}
    assert 0 <= breadth.facts["sp500"]["share_up"] <= 1
    health = report.section("health")
    findings = health.tables[-1].rows
    assert ("^RUT", date(2024, 7, 19), "stale_bar") in {(r[0], r[1], r[2]) for r in findings}
    assert health.facts["stale"] == []


def test_breadth_on_the_rotation_day(real_store: Path) -> None:
    with Store(real_store, read_only=True) as st:
        rep = build_report(st, date(2024, 7, 11))
    facts = rep.section("breadth").facts
    # Issue 5's figures: about 79% of the S&P 500 and about 94% of the Russell 2000 rose.
    assert facts["sp500"]["share_up"] == pytest.approx(0.79, abs=0.02)
    assert facts["russell2000"]["share_up"] == pytest.approx(0.94, abs=0.02)


def test_trades_from_a_plan_file(real_store: Path) -> None:
    plan = Path(__file__).resolve().parents[2] / "examples" / "iwm-short-2024-07.toml"
    with Store(real_store, read_only=True) as st:
        rep = build_report(st, AS_OF, universes=("core",), options=ReportOptions(plans=(plan,)))
    trades = rep.section("trades")
    assert trades.status == "ok"
    rows = trades.tables[0].rows
    closed = next(r for r in rows if r[3] == "closed")
    assert closed[7] == pytest.approx(-0.0139, abs=5e-5)  # half 1 stopped at 220.65: -1.39%
    still_open = next(r for r in rows if r[3] == "open")
    assert 0 < still_open[8] < 0.01  # ^RUT 2,260.07 is 0.80% below the 2,278.12 level
    fills = trades.tables[2].rows
    assert (date(2024, 7, 22), "stop") in {(r[0], r[3]) for r in fills}


def test_no_look_ahead_in_the_loaded_data(real_store: Path) -> None:
    with Store(real_store, read_only=True) as st:
        data = load_report_data(st, AS_OF)
    assert data.bars["date"].max() == AS_OF
    assert all(p.closes["date"].max() <= AS_OF for p in data.constituents.values())


def test_report_json_is_plain_data(report: Report) -> None:
    import json

    from rotation.jsonable import to_jsonable

    text = json.dumps(to_jsonable(report_dict(report)), allow_nan=False)
    assert '"2024-07-11"' in text


def test_empty_store_says_how_to_fill_it(tmp_path: Path) -> None:
    with Store(tmp_path / "empty.duckdb") as st, pytest.raises(DataError) as err:
        build_report(st, AS_OF)
    assert "rotation data update" in str(err.value) and "rotation data import" in str(err.value)


def test_a_store_with_few_symbols_still_gives_every_section(tmp_path: Path) -> None:
    from conftest import make_bars
    from rotation.data.importer import import_frame

    closes = [100 + i * 0.5 + (i % 7) for i in range(300)]
    frame = pl.concat([make_bars("SPY", closes), make_bars("QQQ", [c * 1.1 for c in closes])])
    with Store(tmp_path / "small.duckdb") as st:
        import_frame(st, frame, "test")
        rep = build_report(st, None, universes=("core",))
    assert len(rep.sections) == 10
    by_key = {s.key: s for s in rep.sections}
    assert by_key["daily_chart"].status == "missing"  # no NVDA, no ^RUT
    assert by_key["headline"].status == "missing"  # no standard pair has both legs
    assert by_key["health"].status == "ok"
    assert by_key["positioning"].status == "missing"  # no CFTC data in this store
    assert "rotation data update --positioning" in by_key["positioning"].missing[0]
    assert rep.as_of == frame["date"].max()


def test_need_names_the_missing_module() -> None:
    with pytest.raises(MissingAnalytics, match=r"rotation\.analytics\.nope \(issue 42\)"):
        need("rotation.analytics.nope", 42)
    with pytest.raises(MissingAnalytics, match="no_such_function"):
        need("rotation.analytics.measure", 3, "no_such_function")


def test_valuation_section_is_point_in_time(report: Report) -> None:
    val = report.section("valuation")
    nvda = val.facts["NVDA"]
    # Issue 8's figures: TTM diluted EPS 1.709 for the quarter to 2024-04-28 (post-split basis).
    assert nvda["eps_ttm"] == pytest.approx(1.709, abs=0.005)
    assert nvda["pe"] == pytest.approx(113.06 / nvda["eps_ttm"], rel=1e-6)
    assert 0 <= nvda["pe_percentile"] <= 1
    assert {f.key for f in val.figures} == {"valuation_price_eps", "valuation_pe_bands"}
    assert any("CAPE" in line for line in val.lines)


def test_latest_report_shows_stale_universes_as_of_their_own_last_day(real_store: Path) -> None:
    # The sector and style ETF files end 2025-09-25 while stocks and indices run to 2026-08-21.
    with Store(real_store, read_only=True) as st:
        rep = build_report(st, None, universes=("sectors", "megacaps"))
    assert rep.as_of == date(2026, 8, 21)
    lead = rep.section("leadership")
    assert any(line.startswith("sectors (its data end 2025-09-25)") for line in lead.lines)
    assert all(v["3m"] is not None for v in lead.facts["sectors"].values())
    health = rep.section("health")
    assert "XLK" in health.facts["stale"]


def test_closed_journal_trades_are_listed_not_watched(store_copy: Path) -> None:
    from rotation.trading.journal import add_entry, close_entry, parse_stop

    with Store(store_copy) as st:
        closed, _ = add_entry(st, symbol="IWM", side="short", quantity=100, entry_date=date(2024, 7, 19),
                              entry_price=217.63, stop=parse_stop("220.65"), entry_id="half-1")
        close_entry(st, closed.id, exit_date=date(2024, 7, 22), exit_price=220.65, reason="stop")
        add_entry(st, symbol="IWM", side="short", quantity=100, entry_date=date(2024, 7, 19),
                  entry_price=217.63, stop=parse_stop("^RUT>2278.12"), entry_id="half-2")
    with Store(store_copy, read_only=True) as st:
        rep = build_report(st, AS_OF, universes=("core",))
    trades = rep.section("trades")
    rows = {r[0]: r for r in trades.tables[0].rows}
    assert rows["journal half-1"][3] == "closed"
    assert rows["journal half-1"][7] == pytest.approx(-0.0139, abs=5e-5)
    assert rows["journal half-2"][3] == "open"
    assert trades.facts["triggered"] == 0  # the closed half is not replayed as an open position
    alerts = trades.tables[1].rows
    assert all(a[0] != "journal half-1" for a in alerts)


def test_a_bad_journal_entry_is_skipped_with_a_warning(store_copy: Path) -> None:
    from rotation.trading.journal import add_entry, parse_stop

    with Store(store_copy) as st:
        add_entry(st, symbol="IWM", side="short", quantity=100, entry_date=date(2024, 7, 19),
                  entry_price=217.63, stop=parse_stop("^RUT>2278.12"), entry_id="good")
        # An entry written before `journal add` checked the store: no such symbol.
        st.connection.execute(
            "INSERT INTO journal SELECT 'legacy', created_at, 'NOPEZZ', side, 5, entry_date, 217, 0, NULL, NULL, "
            "NULL, fill_model, NULL, NULL, '', 'open', NULL, NULL, NULL, NULL, NULL, NULL, 'x' FROM journal LIMIT 1"
        )
    with Store(store_copy, read_only=True) as st:
        rep = build_report(st, AS_OF, universes=("core",))
    trades = rep.section("trades")
    rows = {r[0]: r for r in trades.tables[0].rows}
    assert rows["journal good"][3] == "open"
    assert "journal legacy" not in rows
    assert any("skipped journal entry legacy (short NOPEZZ)" in line for line in trades.lines)
