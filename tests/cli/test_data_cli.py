"""``rotation data ...`` on the real data set and on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rotation.data.store import Store


def test_list_json_matches_files(cli, real_store: Path, shared_data: Path) -> None:
    result = cli("data", "list", "--store", str(real_store), "--json")
    assert result.exit_code == 0
    rows = {r["symbol"]: r for r in json.loads(result.stdout)}
    assert rows["^RUT"]["first_date"] == "1987-09-10" and rows["^RUT"]["last_date"] == "2026-08-21"
    assert rows["^RUT"]["rows"] == 9811
    assert rows["IWM"]["rows"] == 6372 and rows["IWM"]["source"] == "file:IWM.csv"


def test_check_rut_reports_stale_bar(cli, real_store: Path) -> None:
    result = cli("data", "check", "RUT", "--store", str(real_store), "--json")
    assert result.exit_code == 1
    found = json.loads(result.stdout)["findings"]
    hit = [f for f in found if f["date"] == "2024-07-19"]
    assert hit and hit[0]["rule"] == "stale_bar" and hit[0]["symbol"] == "^RUT"
    assert hit[0]["values"]["open"] == 2233.97


def test_check_clean_symbol_exits_zero(cli, real_store: Path) -> None:
    assert cli("data", "check", "IWM", "--store", str(real_store)).exit_code == 0


def test_check_refuses_an_unknown_rule(cli, real_store: Path) -> None:
    # a misspelt --rule used to filter every finding out: an empty table and exit 0, "clean"
    res = cli("data", "check", "--rule", "positioning_gaps", "--store", str(real_store))
    assert res.exit_code == 2, res.output
    assert "--rule positioning_gaps: expected one of" in res.stderr and "positioning_gap," in res.stderr
    assert cli("data", "check", "RUT", "--rule", "stale_bar", "--store", str(real_store)).exit_code == 1


def test_show_accepts_alias(cli, real_store: Path) -> None:
    result = cli("data", "show", "rut", "--start", "2024-07-17", "--end", "2024-07-17", "--store", str(real_store), "--json")
    assert json.loads(result.stdout)[0]["high"] == 2278.13


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("date,open,high,low,close\n2024-01-02,10,11,9,10\n2024-01-03,10,11\n", "BAD.csv:3: expected 5"),
        ("date,open,high,close\n2024-01-02,10,11,10\n", "BAD.csv:1: missing column(s) low"),
        ("date,open,high,low,close\n2024-01-02,10,11,9,10\n2024-01-03,-10,11,9,10\n", "BAD.csv:3: non_positive_price"),
    ],
)
def test_bad_csv_exit_2_store_unchanged(cli, store_copy: Path, tmp_path: Path, text: str, message: str) -> None:
    bad = tmp_path / "BAD.csv"
    bad.write_text(text)
    before = store_copy.read_bytes()
    with Store(store_copy, read_only=True) as st:
        rows_before = st.query("SELECT count(*) AS n FROM bars")["n"][0]
    result = cli("data", "import", str(bad), "--store", str(store_copy))
    assert result.exit_code == 2
    assert message in result.stderr.replace("\n", "")
    assert result.stderr.count("error:") == 1
    with Store(store_copy, read_only=True) as st:
        assert st.query("SELECT count(*) AS n FROM bars")["n"][0] == rows_before
        assert "BAD" not in st.symbols()
    assert len(before) > 0


def test_missing_store_says_how_to_fill(cli, tmp_path: Path) -> None:
    result = cli("data", "list", "--store", str(tmp_path / "none.duckdb"))
    assert result.exit_code == 2
    assert "rotation data import" in result.stderr


def test_export_parquet_partitioned(cli, real_store: Path, tmp_path: Path) -> None:
    import polars as pl

    out = tmp_path / "pq"
    assert cli("data", "export", str(out), "--store", str(real_store)).exit_code == 0
    frame = pl.read_parquet(out / "symbol=IWM" / "*.parquet")
    assert frame.height == 6372


def test_update_fundamentals_needs_sec_user_agent(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROTATION_SEC_USER_AGENT", raising=False)
    monkeypatch.delenv("SEC_USER_AGENT", raising=False)
    result = cli("data", "update", "NVDA", "--fundamentals", "--store", str(tmp_path / "s.duckdb"))
    assert result.exit_code == 2
    assert "SEC requires a User-Agent" in result.stderr
