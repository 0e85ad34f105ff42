"""Constituent data: file recognition, import, re-import, readers, membership mask, clear errors."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from rotation.data import constituents as C
from rotation.data.importer import HANDLERS, import_paths
from rotation.data.store import Store
from rotation.errors import DataError, StoreError

# -- small user files --------------------------------------------------------------

CLOSES = """date,AAA,BBB,CCC.D
2024-01-02,10,20,
2024-01-03,11,19,5
2024-01-04,,21,5.5
2024-01-05,12,22,6
"""
MEMBERSHIP = """ticker,start_date,end_date
AAA,2024-01-03,
BBB,2023-01-01,2024-01-05
CCC.D,2024-01-04,
"""
MEMBERS = """symbol,security,gics_sector,date_added
AAA,Aaa Inc,Tech,2024-01-03
BBB,Bbb Corp,Energy,2023-01-01
"""
HOLDINGS = """ticker,name,sector,weight_pct,price
AAA,Aaa Inc,Tech,60,12
BBB,Bbb Corp,Energy,40,22
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


@pytest.fixture
def user_files(tmp_path: Path) -> Path:
    folder = tmp_path / "mine"
    folder.mkdir()
    _write(folder, "mytest_closes.csv.gz", CLOSES)
    _write(folder, "mytest_membership_intervals.csv", MEMBERSHIP)
    _write(folder, "mytest_members_current.csv", MEMBERS)
    _write(folder, "mytest_fund_holdings_2024-01-05.csv", HOLDINGS)
    return folder


def test_universe_and_kind_from_file_name() -> None:
    assert C.universe_from_name(Path("sp500_closes_adj.csv.gz")) == "sp500"
    assert C.universe_from_name(Path("russell2000_iwm_holdings_2024-09-27.csv")) == "russell2000"
    assert C.file_kind(Path("sp500_closes_adj.csv.gz")) == "closes"
    assert C.file_kind(Path("sp500_membership_intervals.csv")) == "membership"
    assert C.file_kind(Path("sp500_members_current.csv")) == "members"
    assert C.file_kind(Path("russell2000_iwm_holdings_2024-09-27.csv")) == "holdings"
    assert C.file_kind(Path("RUT.csv")) is None
    assert C.file_kind(Path("sp500_pe_ttm_multpl_monthly.csv")) is None


def test_constituent_handlers_come_before_bars() -> None:
    kinds = [h.kind for h in HANDLERS]
    assert kinds.index("bars") > max(kinds.index(f"universe-{k}") for k in C.KINDS)


def test_user_files_import_and_read_back(user_files: Path, tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as st:
        report = import_paths(st, [user_files])
        kinds = report.by_kind()
        assert kinds["universe-closes"].added == 10  # 12 cells, 2 empty
        assert kinds["universe-membership"].added == 3
        assert kinds["universe-members"].added == 2
        assert kinds["universe-holdings"].added == 2
        wide = C.load_closes(st, "mytest")
        assert wide.columns == ["date", "AAA", "BBB", "CCC-D"]  # Yahoo form
        assert wide["AAA"].to_list() == [10.0, 11.0, None, 12.0]
        assert wide["CCC-D"].to_list() == [None, 5.0, 5.5, 6.0]
        panel = C.load_panel(st, "mytest")
        # start inclusive, end exclusive (the end date is the day of the change)
        assert panel.members["AAA"].to_list() == [False, True, True, True]
        assert panel.members["BBB"].to_list() == [True, True, True, False]
        assert panel.members["CCC-D"].to_list() == [False, False, True, True]
        assert panel.membership == "point-in-time"
        assert any("survivor-biased" in n for n in panel.notes)
        hold = C.load_holdings(st, "mytest")
        assert hold["fund"].unique().to_list() == ["FUND"]
        assert hold["as_of"][0] == date(2024, 1, 5)
        assert hold["weight"].to_list() == pytest.approx([0.6, 0.4])
        info = {u.universe: u for u in C.universes(st)}["mytest"]
        assert (info.symbols, info.intervals, info.members) == (3, 3, 2)


def test_reimport_reports_zero_changes_and_a_changed_cell(user_files: Path, tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as st:
        import_paths(st, [user_files])
        again = import_paths(st, [user_files])
        assert (again.total.added, again.total.changed) == (0, 0)
        _write(user_files, "mytest_closes.csv.gz", CLOSES.replace("2024-01-05,12,", "2024-01-05,12.5,"))
        third = import_paths(st, [user_files])
        assert third.by_kind()["universe-closes"].changed == 1
        assert C.load_closes(st, "mytest")["AAA"][-1] == 12.5


def test_member_list_is_replaced_as_a_whole(user_files: Path, tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as st:
        import_paths(st, [user_files])
        _write(user_files, "mytest_members_current.csv", MEMBERS.rsplit("BBB", 1)[0])
        import_paths(st, [user_files])
        assert C.load_members(st, "mytest")["symbol"].to_list() == ["AAA"]


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("bad_closes.csv", "date,A,B\n2024-01-02,1,2\n2024-01-03,1,x\n", "bad_closes.csv:3: column B: expected a number"),
        ("bad_closes.csv", "date,A,B\n2024-01-02,1,2\n2024-01-03,1\n", "bad_closes.csv:3: expected 3 comma-separated"),
        ("bad_closes.csv", "date,A\n2024-01-03,1\n2024-01-02,1\n", "bad_closes.csv:3: dates must be strictly increasing"),
        ("bad_closes.csv", "date,A\n2024-13-03,1\n", "bad_closes.csv:2: column date: expected a date"),
        ("bad_closes.csv", "date,A,a\n2024-01-03,1,2\n", "bad_closes.csv:1: ticker A appears twice"),
        ("bad_membership.csv", "ticker,start_date,end_date\nA,2024-01-05,2024-01-02\n",
         "bad_membership.csv:2: end_date must be after start_date"),
        ("bad_membership.csv", "ticker,start_date,end_date\nA,2024-01-05,\nA,2024-01-05,\n",
         "bad_membership.csv:3: duplicate entry"),
        ("bad_fund_holdings.csv", "ticker,weight_pct\nA,1\n", "expected the holdings date in the file name"),
        ("bad_fund_holdings_2024-01-02.csv", "ticker,weight_pct\nA,\n", "bad_fund_holdings_2024-01-02.csv:2: column weight_pct: missing"),
        ("bad_members.csv", "symbol,date_added\n,2024-01-01\n", "bad_members.csv:2: column symbol: missing ticker"),
    ],
)
def test_malformed_file_is_a_clear_error_and_store_unchanged(
    tmp_path: Path, shared_data: Path, name: str, text: str, expected: str
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "SPY.csv").write_bytes((shared_data / "SPY.csv").read_bytes())
    _write(folder, name, text)
    with Store(tmp_path / "s.duckdb") as st:
        with pytest.raises(DataError) as err:
            import_paths(st, [folder])
        assert expected in str(err.value)
        assert str(folder / name) in str(err.value)
        # nothing written: not even the good bar file read before it
        assert st.query("SELECT count(*) AS n FROM bars")["n"][0] == 0


def test_readers_fail_clearly_without_data(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as st:
        assert C.universes(st) == []
        with pytest.raises(StoreError, match="no constituent data"):
            C.load_closes(st, "sp500")


# -- the real files ---------------------------------------------------------------------

def test_real_universe_files_are_stored(real_store: Path) -> None:
    with Store(real_store, read_only=True) as st:
        info = {u.universe: u for u in C.universes(st)}
        sp, ru = info["sp500"], info["russell2000"]
        assert (sp.symbols, sp.prices, sp.intervals, sp.members) == (583, 1_631_821, 1230, 503)
        assert (sp.first_date, sp.last_date) == (date(2015, 1, 2), date(2026, 8, 3))
        assert (ru.symbols, ru.prices, ru.intervals) == (1670, 2_919_113, 0)
        assert ru.holdings == (("IWM", date(2024, 9, 27)),)
        assert sp.membership == "point-in-time" and ru.membership == "fixed"
        hold = C.load_holdings(st, "russell2000")
        assert hold.height == 1976
        assert hold["weight"].sum() == pytest.approx(1.0, abs=0.01)
        assert hold.row(0, named=True)["symbol"] == "PCVX"


def test_real_closes_round_trip(real_store: Path, shared_data: Path) -> None:
    with Store(real_store, read_only=True) as st:
        wide = C.load_closes(st, "sp500", date(2024, 7, 1), date(2024, 7, 31))
    raw = pl.read_csv(shared_data / "universe" / "sp500_closes_adj.csv.gz", try_parse_dates=True)
    raw = raw.filter((pl.col("date") >= date(2024, 7, 1)) & (pl.col("date") <= date(2024, 7, 31)))
    assert wide["date"].to_list() == raw["date"].to_list()
    for col in ("AAPL", "NVDA", "BRK-B", "UNH", "LOW"):
        assert wide[col].to_list() == raw[col].cast(pl.Float64).to_list()


def test_reimport_of_real_universe_folder_changes_nothing(store_copy: Path, shared_data: Path) -> None:
    with Store(store_copy) as st:
        report = import_paths(st, [shared_data / "universe"])
        assert report.total.added == 0 and report.total.changed == 0
        assert report.total.unchanged == 1_631_821 + 2_919_113 + 1230 + 503 + 1976


def test_membership_mask_matches_a_plain_loop(real_store: Path) -> None:
    with Store(real_store, read_only=True) as st:
        closes = C.load_closes(st, "sp500", date(2019, 1, 1), date(2024, 12, 31))
        intervals = C.load_membership(st, "sp500")
    mask = C.membership_mask(closes, intervals)
    days = closes["date"].to_numpy()
    expect = np.zeros((closes.height, closes.width - 1), dtype=bool)
    cols = {s: i for i, s in enumerate(closes.columns[1:])}
    for sym, start, end in intervals.iter_rows():
        if sym in cols:
            hit = (days >= np.datetime64(start)) & ((days < np.datetime64(end)) if end else True)
            expect[:, cols[sym]] |= hit
    assert np.array_equal(mask.drop("date").to_numpy(), expect)
    # AAL left the index on 2024-09-23 (the day PLTR, DELL and ERIE joined)
    aal = mask.filter(pl.col("date").is_in([date(2024, 9, 20), date(2024, 9, 23)]))["AAL"].to_list()
    assert aal == [True, False]
