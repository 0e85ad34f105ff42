"""Reading bar files: formats accepted, and one clear error for each bad input."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from rotation.data.files import read_bar_file, symbol_from_filename
from rotation.errors import DataError


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_project_format_real_file(shared_data: Path) -> None:
    bf = read_bar_file(shared_data / "RUT.csv")
    frame = bf.frame
    assert frame["symbol"].unique().to_list() == ["^RUT"]
    row = frame.filter(pl.col("date") == date(2024, 7, 17)).row(0, named=True)
    assert (row["open"], row["high"], row["low"], row["close"]) == (2246.44, 2278.13, 2236.25, 2239.67)
    assert frame.height == 9811
    assert row["line"] == frame.filter(pl.col("date") <= date(2024, 7, 17)).height + 1


def test_yahoo_export_with_null_rows(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "SPY.csv",
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        "2024-07-10,561.44,562.33,558.83,561.32,555.10,38701200\n"
        "2024-07-11,null,null,null,null,null,null\n"
        "2024-07-12,557.63,563.67,557.15,559.99,553.78,53084400\n",
    )
    bf = read_bar_file(path)
    assert bf.frame.height == 2
    assert bf.frame["adj_close"].to_list() == [555.10, 553.78]
    assert any("skipped 1 row" in n for n in bf.notes)


@pytest.mark.parametrize("row", ["nan,nan,nan,nan,nan,nan", "NaN,NaN,NaN,NaN,,", "nan,,,,,"])
def test_a_nan_row_is_refused_not_skipped(tmp_path: Path, row: str) -> None:
    # A literal NaN is a number gone wrong upstream, not the provider's row for a day without a bar
    path = write(tmp_path, "SPY.csv", "Date,Open,High,Low,Close,Adj Close,Volume\n"
                 "2024-07-10,561.44,562.33,558.83,561.32,555.10,38701200\n"
                 f"2024-07-11,{row}\n"
                 "2024-07-12,557.63,563.67,557.15,559.99,553.78,53084400\n")
    with pytest.raises(DataError, match=r"SPY\.csv:3: column open: found NaN, expected a number"):
        read_bar_file(path)


@pytest.mark.parametrize(("cells", "column"), [("561,562,558,nan,555,1", "close"), ("561,562,558,561,555,nan", "volume"),
                                               ("561,562,558,561,NAN,1", "adj_close")])
def test_a_nan_cell_names_its_line_and_column(tmp_path: Path, cells: str, column: str) -> None:
    path = write(tmp_path, "SPY.csv", f"date,open,high,low,close,adj_close,volume\n2024-07-10,{cells}\n")
    with pytest.raises(DataError, match=rf"SPY\.csv:2: column {column}: found NaN"):
        read_bar_file(path)


def test_a_nan_in_parquet_is_refused_and_a_null_row_skipped(tmp_path: Path) -> None:
    frame = pl.DataFrame({"date": ["2024-07-10", "2024-07-11", "2024-07-12"], "open": [1.0, None, 1.0],
                          "high": [2.0, None, 2.0], "low": [0.5, None, 0.5], "close": [1.5, None, 1.5]})
    frame.write_parquet(tmp_path / "ONE.parquet")
    assert read_bar_file(tmp_path / "ONE.parquet").frame.height == 2
    frame.with_columns(pl.col("close").fill_null(float("nan"))).write_parquet(tmp_path / "TWO.parquet")
    with pytest.raises(DataError, match=r"TWO\.parquet:2: column close: found NaN"):
        read_bar_file(tmp_path / "TWO.parquet")


def test_stooq_csv_without_adjusted_close(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "iwm.us.csv",
        "Date,Open,High,Low,Close,Volume\n2024-07-19,217.63,218.65,215.85,216.84,35000000\n",
    )
    bf = read_bar_file(path)
    assert bf.frame["symbol"][0] == "IWM"
    assert bf.frame["adj_close"][0] == 216.84
    assert any("adj_close = close" in n for n in bf.notes)


def test_stooq_bulk_txt(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "whatever.txt",
        "<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>,<OPENINT>\n"
        "QQQ.US,D,20240710,000000,495.0,497.0,493.0,496.16,3.0e7,0\n"
        "QQQ.US,D,20240711,000000,494.0,494.5,484.5,485.29,6.0e7,0\n",
    )
    frame = read_bar_file(path).frame
    assert frame["symbol"].unique().to_list() == ["QQQ"]
    assert frame["date"].to_list() == [date(2024, 7, 10), date(2024, 7, 11)]


def test_gzip_and_semicolon_and_symbol_column(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv.gz"
    path.write_bytes(
        gzip.compress(
            b"Ticker;DATE;OPEN;HIGH;LOW;CLOSE\nRUT;2024-07-10;2030;2052;2028;2051.75\nnvda;2024-07-10;134;135;132;134.91\n"
        )
    )
    frame = read_bar_file(path).frame
    assert sorted(frame["symbol"].to_list()) == ["NVDA", "^RUT"]


def test_parquet(tmp_path: Path) -> None:
    path = tmp_path / "XLK.parquet"
    pl.DataFrame(
        {"date": [date(2024, 7, 11)], "open": [230.0], "high": [231.0], "low": [224.0], "close": [225.0]}
    ).write_parquet(path)
    frame = read_bar_file(path).frame
    assert frame["symbol"][0] == "XLK" and frame["close"][0] == 225.0


def test_symbol_from_filename() -> None:
    assert symbol_from_filename(Path("RUT.csv")) == "^RUT"
    assert symbol_from_filename(Path("spy.us.txt")) == "SPY"
    assert symbol_from_filename(Path("brk-b.csv.gz")) == "BRK-B"
    assert symbol_from_filename(Path("spy_us_d.csv")) == "SPY"  # Stooq's download name
    assert symbol_from_filename(Path("^spx_d.csv")) == "^GSPC"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("date,open,high,low,close\n2024-01-02,1,2,0.5,1.5\n2024-01-03,1,2,0.5\n", ":3: expected 5"),
        ("date,open,high,low,close\n2024-01-02,1,2,0.5,1.5,9\n", ":2: expected 5"),
        ("date,open,high,close\n2024-01-02,1,2,1.5\n", ":1: missing column(s) low"),
        ("date,open,high,low,close\n2024-01-02,1,2,0.5,abc\n", ":2: column close: expected a number, found 'abc'"),
        ("date,open,high,low,close\n2024-13-45,1,2,0.5,1\n", ":2: cannot parse date '2024-13-45'"),
        ("date,open,high,low,close\n2024-01-02,1,,0.5,1\n", ":2: column high: missing value"),
        ("", ":1: empty file"),
    ],
)
def test_bad_files_name_file_and_line(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, "BAD.csv", text)
    with pytest.raises(DataError) as err:
        read_bar_file(path)
    assert str(path) in str(err.value)
    assert expected in str(err.value)
