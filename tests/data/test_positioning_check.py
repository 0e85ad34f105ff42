"""Checks on stored positioning: gaps (also across two yearly files), a second report in a week, release dates."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from rotation.data.positioning_check import stored_positioning_findings
from rotation.data.store import Store

RTY = "239742"
Cli = Callable[..., Any]


def _findings(path: Path) -> list[Any]:
    with Store(path, read_only=True) as st:
        return stored_positioning_findings(st)


def test_the_real_store_has_only_the_gaps_the_cftc_left(real_store: Path) -> None:
    found = _findings(real_store)
    assert Counter(f.rule for f in found) == {"positioning_gap": 244}  # no duplicate week, every release by the rule
    assert len({f.symbol for f in found}) == 41  # sparse TFF markets the CFTC lists only in some weeks
    ours = [f for f in found if f.symbol.split()[-1] in ("RTY", "NQ", "ES")]
    # the three contracts are complete but for the legacy Russell 2000's ICE years (SOURCES.md)
    assert [(f.symbol, f.date, f.values["previous"], f.values["weeks_missing"]) for f in ours] == [
        (f"legacy:{RTY} RTY", date(2017, 8, 15), date(2008, 9, 16), 464)]


def _edit(path: Path, *sql: str) -> None:
    con = duckdb.connect(str(path))
    try:
        for statement in sql:
            con.execute(statement)
    finally:
        con.close()


def _new(store: Path, real_store: Path) -> list[Any]:
    before = {(f.symbol, f.date, f.rule) for f in _findings(real_store)}
    return [f for f in _findings(store) if (f.symbol, f.date, f.rule) not in before]


def test_a_removed_week_is_a_gap(store_copy: Path, real_store: Path) -> None:
    _edit(store_copy, f"DELETE FROM positioning WHERE report = 'tff' AND market_code = '{RTY}' "
                      "AND report_date = DATE '2024-07-09'")
    (gap,) = _new(store_copy, real_store)
    assert (gap.symbol, gap.date, gap.rule, gap.severity) == (f"tff:{RTY} RTY", date(2024, 7, 16), "positioning_gap",
                                                              "warning")
    assert gap.message == "no report between 2024-07-02 and 2024-07-16: about 1 weekly report(s) missing"


def test_a_gap_between_two_yearly_files(store_copy: Path, real_store: Path) -> None:
    # 2023-12-26 is the last report of fut_fin_xls_2023.zip, 2024-01-02 the first of the 2024 file
    _edit(store_copy, f"DELETE FROM positioning WHERE report = 'tff' AND market_code = '{RTY}' "
                      "AND report_date = DATE '2024-01-02'")
    (gap,) = _new(store_copy, real_store)
    assert (gap.date, gap.values["previous"], gap.values["weeks_missing"]) == (date(2024, 1, 9), date(2023, 12, 26), 1)


def test_a_second_report_in_a_week_and_a_wrong_release_date_are_errors(cli: Cli, store_copy: Path,
                                                                       real_store: Path) -> None:
    _edit(
        store_copy,
        # the 2024-07-16 report stored again under Monday 2024-07-15 (released by the rule, Friday 07-19)
        f"INSERT INTO positioning SELECT report, market_code, market_name, DATE '2024-07-15', release_date, "
        f"trader_group, long, short, spread, open_interest, source, imported_at FROM positioning "
        f"WHERE report = 'tff' AND market_code = '{RTY}' AND report_date = DATE '2024-07-16'",
        # the 2024-07-09 report said to be out on Thursday 07-11, a day before the CFTC released it
        f"UPDATE positioning SET release_date = DATE '2024-07-11' WHERE report = 'tff' AND market_code = '{RTY}' "
        "AND report_date = DATE '2024-07-09'",
    )
    new = sorted(_new(store_copy, real_store), key=lambda f: (f.date, f.rule))
    assert [(f.date, f.rule, f.severity) for f in new] == [
        (date(2024, 7, 9), "positioning_release_date", "error"),
        (date(2024, 7, 16), "positioning_duplicate_week", "error"),
    ]
    assert new[0].message.startswith("released 2024-07-11; the rule gives 2024-07-12")
    assert new[1].message == "a second report in the week of Monday 2024-07-15: report dates 2024-07-15 and 2024-07-16"
    res = cli("data", "check", "--rule", "positioning_duplicate_week", "--rule", "positioning_release_date",
              "--json", "--store", str(store_copy))
    assert res.exit_code == 1
    assert [(f["symbol"], f["rule"]) for f in json.loads(res.stdout)["findings"]] == [
        (f"tff:{RTY} RTY", "positioning_release_date"), (f"tff:{RTY} RTY", "positioning_duplicate_week")]


@pytest.mark.parametrize("symbols", [["NVDA"]])
def test_symbols_check_only_their_bars(cli: Cli, real_store: Path, symbols: list[str]) -> None:
    res = cli("data", "check", *symbols, "--json", "--store", str(real_store))
    assert not [f for f in json.loads(res.stdout)["findings"] if f["rule"].startswith("positioning")]
