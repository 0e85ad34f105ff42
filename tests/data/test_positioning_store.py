"""Positioning and sentiment import (CFTC TFF and legacy, AAII, NAAIM, put/call) and the read API."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from rotation.data.importer import import_paths
from rotation.data.positioning import (
    CONTRACTS,
    cftc_release_date,
    positioning_frame,
    positioning_summary,
    resolve_markets,
    sentiment_frame,
)
from rotation.data.positioning_files import read_tff_zip
from rotation.data.store import Store
from rotation.errors import DataError

TFF_2024 = "fut_fin_xls_2024.zip"
RTY = "239742"


def _pos(shared_data: Path) -> Path:
    folder = shared_data / "positioning"
    if not (folder / "cftc_tff" / TFF_2024).is_file():
        pytest.skip(f"positioning data not found at {folder}")
    return folder


def _latest(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter(pl.col("report_date") == pl.col("report_date").max())


def _nets(frame: pl.DataFrame) -> dict[str, int]:
    return {r["group"]: r["long"] - r["short"] for r in frame.iter_rows(named=True)}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tff_txt_zip(source: Path, dest: Path, *, edit: pl.Expr | None = None) -> Path:
    """The CFTC's text form of a year (``FinFutYY.txt`` in a zip), made from its Excel form."""
    with zipfile.ZipFile(source) as zf:
        frame = pl.read_excel(io.BytesIO(zf.read("FinFutYY.xls")), engine="calamine")
    frame = frame.with_columns(pl.col("Report_Date_as_MM_DD_YYYY").dt.strftime("%Y-%m-%d"))
    if edit is not None:
        frame = frame.with_columns(edit)
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("FinFutYY.txt", frame.write_csv())
    return dest


def _rezip_with(source: Path, dest: Path, member: str, old: bytes, new: bytes) -> Path:
    """A copy of ``source`` whose ``member`` has ``old`` replaced by ``new`` (a renamed column)."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == member:
                assert data.count(old) == 1
                data = data.replace(old, new)
            zout.writestr(info, data)
    return dest


# -- release dates ----------------------------------------------------------

@pytest.mark.parametrize(
    ("report", "released"),
    [
        (date(2024, 7, 16), date(2024, 7, 19)),
        (date(2024, 7, 9), date(2024, 7, 12)),
        (date(2024, 7, 2), date(2024, 7, 5)),  # July 4 is the Thursday: Friday is a business day
        (date(2022, 11, 8), date(2022, 11, 14)),  # Friday 2022-11-11 Veterans Day
        (date(2023, 11, 7), date(2023, 11, 13)),  # Friday 2023-11-10 Veterans Day (observed)
        (date(2025, 7, 1), date(2025, 7, 7)),  # Friday 2025-07-04 Independence Day
        (date(2026, 6, 16), date(2026, 6, 22)),  # Friday 2026-06-19 Juneteenth
        (date(2026, 12, 22), date(2026, 12, 28)),  # Friday 2026-12-25 Christmas
        (date(2024, 3, 26), date(2024, 3, 29)),  # Good Friday is not a federal holiday
        (date(2024, 11, 26), date(2024, 11, 29)),  # the day after Thanksgiving is not one either
    ],
)
def test_cftc_release_date(report: date, released: date) -> None:
    assert cftc_release_date(report) == released


def test_contracts_table() -> None:
    assert {k: (c.market_code, c.multiplier, c.index_symbol) for k, c in CONTRACTS.items()} == {
        "RTY": ("239742", 50, "^RUT"), "NQ": ("209742", 20, "^NDX"), "ES": ("13874A", 50, "^GSPC"),
    }
    assert resolve_markets(["rty", "13874A"]) == ["239742", "13874A"]
    with pytest.raises(DataError, match="unknown contract 'XYZ'"):
        resolve_markets(["XYZ"])


# -- the real files -----------------------------------------------------------

def test_rty_pinned_figures_point_in_time(real_store: Path, shared_data: Path) -> None:
    _pos(shared_data)
    with Store(real_store, read_only=True) as st:
        known = _latest(positioning_frame(st, ["RTY"], as_of=date(2024, 7, 19)))
        earlier = _latest(positioning_frame(st, ["RTY"], as_of=date(2024, 7, 18)))
    assert known["report_date"].unique().to_list() == [date(2024, 7, 16)]
    assert known["release_date"].unique().to_list() == [date(2024, 7, 19)]
    assert known["open_interest"].unique().to_list() == [488061]
    assert known["contract"].unique().to_list() == ["RTY"]
    lev = known.filter(pl.col("group") == "lev_money").row(0, named=True)
    assert (lev["long"], lev["short"]) == (85333, 121376)
    nets = _nets(known)
    assert (nets["lev_money"], nets["asset_mgr"], nets["nonrept"]) == (-36043, 64300, 11964)
    assert known["group"].to_list() == ["asset_mgr", "dealer", "lev_money", "nonrept", "other_rept"]
    assert known.filter(pl.col("group") == "nonrept")["spread"].to_list() == [None]
    # The 07-16 report was not public on 07-18: that day knows the 07-09 one.
    assert earlier["report_date"].unique().to_list() == [date(2024, 7, 9)]
    assert earlier["open_interest"].unique().to_list() == [447956]
    nets = _nets(earlier)
    assert (nets["lev_money"], nets["asset_mgr"], nets["nonrept"]) == (-69861, 20198, 8837)


def test_every_tff_market_kept_and_holiday_release_stored(real_store: Path, shared_data: Path) -> None:
    _pos(shared_data)
    with Store(real_store, read_only=True) as st:
        everything = positioning_frame(st)
        rty = positioning_frame(st, ["RTY"])
    assert everything["market_code"].n_unique() > 50  # every financial futures market, not only three
    assert rty["report_date"].n_unique() == 218
    assert (rty["report_date"].min(), rty["report_date"].max()) == (date(2022, 1, 4), date(2026, 3, 3))
    veterans = rty.filter(pl.col("report_date") == date(2022, 11, 8))["release_date"].unique().to_list()
    assert veterans == [date(2022, 11, 14)]
    assert (everything["release_date"] > everything["report_date"]).all()


def test_legacy_nonrept_equals_tff(real_store: Path, shared_data: Path) -> None:
    _pos(shared_data)
    with Store(real_store, read_only=True) as st:
        tff = positioning_frame(st, ["RTY", "NQ", "ES"]).filter(pl.col("group") == "nonrept")
        legacy = positioning_frame(st, ["RTY", "NQ", "ES"], report="legacy")
    assert sorted(legacy["group"].unique().to_list()) == ["commercial", "noncommercial", "nonrept"]
    both = tff.join(legacy.filter(pl.col("group") == "nonrept"), on=["market_code", "report_date"], suffix="_l")
    assert both.height == 3 * 218
    assert (both["long"] == both["long_l"]).all() and (both["short"] == both["short_l"]).all()
    assert (both["release_date"] == both["release_date_l"]).all()
    rty = legacy.filter(pl.col("market_code") == RTY)
    assert rty["report_date"].n_unique() == 590  # the 2008-2017 gap: the mini traded on ICE


def test_sentiment_pinned_figures(real_store: Path, shared_data: Path) -> None:
    _pos(shared_data)
    with Store(real_store, read_only=True) as st:
        day = sentiment_frame(st, as_of=date(2024, 7, 11)).filter(pl.col("date") == date(2024, 7, 11))
        before = sentiment_frame(st, ["aaii_bullish"], as_of=date(2024, 7, 10))
        naaim = sentiment_frame(st, ["naaim_exposure"])
    values = dict(zip(day["series"], day["value"], strict=True))
    assert round(values["aaii_bullish"], 3) == 0.492
    assert round(values["aaii_neutral"], 3) == 0.291
    assert round(values["aaii_bearish"], 3) == 0.217
    assert (values["pc_equity"], values["pc_total"], values["pc_index"]) == (0.61, 0.80, 0.95)
    assert before["date"].max() == date(2024, 7, 4)  # the 07-11 survey was not out on 07-10
    assert naaim.height == 1041
    pinned = dict(zip(naaim["date"], naaim["value"], strict=True))
    assert (pinned[date(2024, 7, 3)], pinned[date(2024, 7, 10)]) == (103.66, 93.84)


def test_store_cut_gives_same_as_of_output(real_store: Path, shared_data: Path, tmp_path: Path) -> None:
    """A store that only holds what was released by 2024-07-26 answers as of that date like the full one."""
    _pos(shared_data)
    cut = date(2024, 7, 26)
    copy = tmp_path / "cut.duckdb"
    copy.write_bytes(real_store.read_bytes())
    with Store(copy) as st, st.transaction() as con:
        con.execute("DELETE FROM positioning WHERE release_date > ?", [cut])
        con.execute("DELETE FROM sentiment WHERE release_date > ?", [cut])
    with Store(real_store, read_only=True) as full, Store(copy, read_only=True) as part:
        for report in ("tff", "legacy"):
            a = positioning_frame(full, ["RTY", "NQ", "ES"], report=report, as_of=cut)
            b = positioning_frame(part, ["RTY", "NQ", "ES"], report=report, as_of=cut)
            assert a.height > 0 and a.equals(b)
        a, b = sentiment_frame(full, as_of=cut), sentiment_frame(part, as_of=cut)
        assert a.height > 0 and a.equals(b)
        assert _latest(positioning_frame(part, ["RTY"]))["report_date"].max() == date(2024, 7, 23)


def test_reimport_changes_nothing(shared_data: Path, tmp_path: Path) -> None:
    folder = _pos(shared_data)
    store = tmp_path / "s.duckdb"
    with Store(store) as st:
        first = import_paths(st, [folder])
        rows = positioning_frame(st), sentiment_frame(st)
        second = import_paths(st, [folder])
        again = positioning_frame(st), sentiment_frame(st)
    assert first.total.added > 90_000 and first.total.changed == 0
    assert (second.total.added, second.total.changed, second.total.removed) == (0, 0, 0)
    assert second.total.unchanged == first.total.added
    assert rows[0].equals(again[0]) and rows[1].equals(again[1])  # imported_at kept too
    kinds = {f.path.name: f.kind for f in first.files}
    assert kinds[TFF_2024] == "cftc-tff" and kinds["aaii_sentiment.xls"] == "aaii"
    assert kinds["naaim_exposure.xlsx"] == "naaim" and kinds["cboe_putcall_daily.csv"] == "putcall"
    assert kinds["cot_legacy_russell.csv"] == "cftc-legacy"


def test_text_form_reads_like_excel(shared_data: Path, tmp_path: Path) -> None:
    """The CFTC's comma-separated form of a year, recognised by content under any name."""
    folder = _pos(shared_data)
    txt = _tff_txt_zip(folder / "cftc_tff" / TFF_2024, tmp_path / "cot_text_2024.zip")
    with Store(tmp_path / "x.duckdb") as a, Store(tmp_path / "t.duckdb") as b:
        import_paths(a, [folder / "cftc_tff" / TFF_2024])
        report = import_paths(b, [txt])
        assert report.files[0].kind == "cftc-tff"
        cols = ["market_code", "market_name", "report_date", "release_date", "group", "long", "short",
                "spread", "open_interest"]
        xls_rows, txt_rows = positioning_frame(a).select(cols), positioning_frame(b).select(cols)
    assert xls_rows.height == 3163 * 5
    assert xls_rows.equals(txt_rows)


def test_missing_weeks_are_a_warning(shared_data: Path) -> None:
    folder = _pos(shared_data)
    from rotation.data.positioning_files import read_legacy_csv

    russell = read_legacy_csv(folder / "cftc_legacy" / "cot_legacy_russell.csv")
    assert any(n.startswith("warning: missing weeks") for n in russell.notes)
    nasdaq = read_legacy_csv(folder / "cftc_legacy" / "cot_legacy_nasdaq.csv")
    # Holiday weeks whose report moved a day are not gaps.
    assert not nasdaq.notes


# -- bad files: one clear error, store unchanged --------------------------------

def _bad_cases(folder: Path, tmp: Path) -> list[tuple[Path, str]]:
    tff = folder / "cftc_tff" / TFF_2024
    truncated = tmp / TFF_2024
    truncated.write_bytes(tff.read_bytes()[: tff.stat().st_size // 2])
    renamed_xls = _rezip_with(tff, tmp / "fut_fin_xls_2099.zip", "FinFutYY.xls",
                              b"Lev_Money_Positions_Long_All", b"Lev_Money_Positions_Lng__All")
    naaim = tmp / "naaim_exposure.xlsx"
    _rezip_with(folder / "sentiment" / "naaim_exposure.xlsx", naaim, "xl/sharedStrings.xml",
                b"Mean/Average", b"Mean Average")
    lines = (folder / "cftc_legacy" / "cot_legacy_nasdaq.csv").read_text().splitlines(keepends=True)
    dup = tmp / "cot_legacy_nasdaq.csv"
    dup.write_text("".join([*lines[:101], lines[100], *lines[101:]]))
    negative = tmp / "cot_legacy_sp500.csv"
    rows = (folder / "cftc_legacy" / "cot_legacy_sp500.csv").read_text().splitlines(keepends=True)
    cells = rows[10].split(",")
    cells[1] = "-" + cells[1]
    negative.write_text("".join([*rows[:10], ",".join(cells), *rows[11:]]))
    oi = _tff_txt_zip(tff, tmp / "fut_fin_txt_2024.zip", edit=pl.when(pl.int_range(pl.len()) == 6)
                      .then(pl.col("Open_Interest_All") + 1000).otherwise(pl.col("Open_Interest_All"))
                      .alias("Open_Interest_All"))
    pc = tmp / "cboe_putcall_daily.csv"
    pcl = (folder / "sentiment" / "cboe_putcall_daily.csv").read_text().splitlines(keepends=True)
    pc.write_text("".join([*pcl[:6], pcl[5], *pcl[6:]]))
    return [
        (truncated, rf"{TFF_2024}: not a readable zip \(truncated or damaged\?\)"),
        (renamed_xls, r"FinFutYY.xls, row 1, column 'Lev_Money_Positions_Long_All': required column missing"),
        (naaim, r"naaim_exposure.xlsx: sheet 1, row 1, column 'Mean/Average': required column missing"),
        (dup, r"cot_legacy_nasdaq.csv, row 102, column 'date': duplicate row for date=2007-11-27 \(also row 101\)"),
        (negative, r"cot_legacy_sp500.csv, row 11, column 'spec_long': negative position -"),
        (oi, r"FinFutYY.txt, row 8, column 'Open_Interest_All': group totals"),
        (pc, r"cboe_putcall_daily.csv, row 7, column 'date': duplicate row for date=2003-10-24"),
    ]


def test_bad_files_exit_2_store_unchanged(cli, shared_data: Path, tmp_path: Path) -> None:
    folder = _pos(shared_data)
    store = tmp_path / "s.duckdb"
    good = cli("data", "import", str(folder / "sentiment" / "aaii_sentiment.xls"), "--store", str(store))
    assert good.exit_code == 0
    before = _digest(store)
    for bad, message in _bad_cases(folder, tmp_path):
        result = cli("data", "import", str(bad), str(folder / "sentiment" / "cboe_putcall_daily.csv"),
                     "--store", str(store))
        assert result.exit_code == 2, (bad, result.output)
        err = result.stderr.strip() if hasattr(result, "stderr") else result.output.strip()
        assert len(err.splitlines()) == 1, err
        assert str(bad) in err
        assert re.search(message, err), err
        assert _digest(store) == before, bad
    with Store(store, read_only=True) as st:
        assert positioning_summary(st)["dataset"].to_list() == [
            "sentiment:aaii_bearish", "sentiment:aaii_bullish", "sentiment:aaii_neutral"]


def test_read_tff_zip_from_bytes_names_the_file(shared_data: Path) -> None:
    folder = _pos(shared_data)
    data = (folder / "cftc_tff" / "fut_fin_xls_2026.zip").read_bytes()
    loaded = read_tff_zip(Path("fut_fin_xls_2026.zip"), data)
    assert loaded.frame["report_date"].max() == date(2026, 3, 3)
    with pytest.raises(DataError, match=r"^fut_fin_xls_2026.zip: not a readable zip"):
        read_tff_zip(Path("fut_fin_xls_2026.zip"), data[:1000])


def test_data_list_shows_positioning(cli, real_store: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _pos(shared_data)
    from rotation.cli import common

    monkeypatch.setattr(common.console, "width", 200)  # a narrow terminal (COLUMNS) would fold the cells
    result = cli("data", "list", "--store", str(real_store))
    assert result.exit_code == 0
    assert "Positioning and sentiment" in result.output
    assert "positioning:tff" in result.output and "sentiment:naaim_exposure" in result.output


def test_both_forms_of_one_year_in_one_import(shared_data: Path, tmp_path: Path) -> None:
    """Two files with the same reports (Excel and text form): written one after the other, equal rows unchanged."""
    folder = _pos(shared_data)
    xls = folder / "cftc_tff" / "fut_fin_xls_2026.zip"
    txt = _tff_txt_zip(xls, tmp_path / "fut_fin_txt_2026.zip")
    with Store(tmp_path / "s.duckdb") as st:
        report = import_paths(st, [xls, txt])
        stored = positioning_frame(st)
    first, second = (f.total for f in report.files)
    assert first.added == 741 * 5 and (second.added, second.changed, second.unchanged) == (0, 0, 741 * 5)
    assert stored.height == 741 * 5 and set(stored["source"]) == {"file:fut_fin_xls_2026.zip"}


def test_tff_zip_recognised_by_content_under_any_name(shared_data: Path, tmp_path: Path) -> None:
    folder = _pos(shared_data)
    files = tmp_path / "files"
    files.mkdir()
    renamed = files / "positions.zip"
    renamed.write_bytes((folder / "cftc_tff" / "fut_fin_xls_2026.zip").read_bytes())
    inner = files / "renamed_inner.zip"
    with zipfile.ZipFile(renamed) as zin, zipfile.ZipFile(inner, "w") as zout:
        zout.writestr("sheet.xls", zin.read("FinFutYY.xls"))
    other = files / "other.zip"
    with zipfile.ZipFile(other, "w") as zout:
        zout.writestr("notes.txt", "date,value\n2024-01-02,1\n")
    with Store(tmp_path / "s.duckdb") as st:
        report = import_paths(st, [files])
    kinds = {f.path.name: f.kind for f in report.files}
    assert kinds == {"positions.zip": "cftc-tff", "renamed_inner.zip": "cftc-tff"}
    assert [p.name for p, _ in report.skipped] == ["other.zip"]


def test_store_without_positioning_says_how_to_fill(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb"):
        pass
    with Store(tmp_path / "s.duckdb", read_only=True) as st:
        with pytest.raises(DataError, match=r"has no positioning data: import it first"):
            positioning_frame(st, ["RTY"])
        with pytest.raises(DataError, match=r"has no sentiment data"):
            sentiment_frame(st)
        assert positioning_summary(st).is_empty()
    with pytest.raises(DataError, match="unknown report 'cot'"), Store(tmp_path / "s.duckdb", read_only=True) as st:
        positioning_frame(st, report="cot")
