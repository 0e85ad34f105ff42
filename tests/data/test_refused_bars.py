"""Bad values refused at the door: prices, volume, dates and jumps, with the file and line named.

Each refusal leaves the store byte-for-byte as it was (checksum), ``--keep-bad``
still imports, ``data check`` reports the same rules on stored bars, and the real
data (already split-adjusted, and un-adjusted here across NVDA's real splits)
imports cleanly.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from conftest import make_bars
from rotation.data.files import read_bar_file
from rotation.data.importer import ImportOptions, import_frame, import_paths
from rotation.data.store import Store
from rotation.data.validate import HARD_RULES, check_bars, hard_findings, jump_findings
from rotation.errors import DataError

HEADER = "date,open,high,low,close,adj_close,volume\n"


def _sum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rules(findings: list) -> set[str]:
    return {f.rule for f in findings}


# -- the rules, on frames ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"high": float("inf")}, "non_finite_price"),
        ({"close": float("nan")}, "non_finite_price"),
        ({"open": 1e300, "high": 1e300, "low": 1e300, "close": 1e300, "adj_close": 1e300}, "absurd_price"),
        ({"adj_close": 1e-9}, "absurd_price"),
        ({"volume": -5.0}, "bad_volume"),
        ({"volume": float("inf")}, "bad_volume"),
        ({"volume": 1e20}, "bad_volume"),
        ({"high": 1000.0}, "price_jump"),  # high 10x the low within the bar
    ],
)
def test_each_value_rule_flags_the_bad_bar(change: dict[str, float], rule: str) -> None:
    frame = make_bars("X", [100.0, 101.0, 102.0, 103.0])
    bad_day = frame["date"][2]
    frame = frame.with_columns(
        [pl.when(pl.col("date") == bad_day).then(pl.lit(v)).otherwise(pl.col(c)).alias(c) for c, v in change.items()]
    )
    found = [f for f in hard_findings(frame) if f.rule == rule]
    assert [f.date for f in found] == [bad_day]
    assert rule in HARD_RULES


def test_future_dates_are_refused() -> None:
    frame = make_bars("X", [100.0, 101.0], start=date(2024, 1, 2))
    assert hard_findings(frame, today=date(2024, 1, 2)) and _rules(hard_findings(frame, today=date(2024, 1, 2))) == {
        "future_date"
    }
    assert hard_findings(frame, today=date(2024, 1, 3)) == []


def _bars(symbol: str, closes: list[float]) -> pl.DataFrame:
    """Bars whose open is their own close (so one bad close makes one bad bar)."""
    return make_bars(symbol, closes).with_columns(
        pl.col("close").alias("open"), (pl.col("close") * 1.01).alias("high"), (pl.col("close") * 0.99).alias("low")
    )


def test_spike_and_shift_need_orders_of_magnitude() -> None:
    closes = [100.0, 101.0, 1010.0, 102.0, 103.0]  # a decimal slip on one bar
    found = jump_findings(_bars("X", closes))
    assert [(f.rule, f.date) for f in found] == [("price_jump", make_bars("X", closes)["date"][2])]
    assert "x10 above both" in found[0].message
    # A real bad day (x2.2 and back, wider than the real data's widest) is not a jump.
    assert jump_findings(_bars("X", [100.0, 220.0, 100.0, 101.0])) == []
    # A level shift of 10x that persists, with the adjusted close moving too, is refused ...
    shift = _bars("X", [100.0, 101.0, 10.1, 10.2, 10.3])
    assert [f.date for f in jump_findings(shift)] == [shift["date"][2]]
    # ... unless a split of about that ratio is stored on that date ...
    split = pl.DataFrame({"symbol": ["X"], "date": [shift["date"][2]], "ratio": [10.0]})
    assert jump_findings(shift, split) == []
    wrong_day = split.with_columns(pl.col("date") + timedelta(days=7))
    assert jump_findings(shift, wrong_day) != []
    # ... or the adjusted close is steady (an unadjusted close across a real split).
    raw = shift.with_columns(pl.Series("adj_close", [100.0, 101.0, 101.0, 102.0, 103.0]))
    assert jump_findings(raw) == []


def test_check_bars_reports_every_hard_rule_on_stored_bars() -> None:
    frame = make_bars("X", [100.0, 101.0, 1e300, 102.0]).with_columns(
        pl.when(pl.int_range(pl.len()) == 1).then(-1.0).otherwise(pl.col("volume")).alias("volume")
    )
    found = _rules(check_bars(frame, calendar=False))
    assert {"absurd_price", "bad_volume", "price_jump"} <= found


# -- the importer -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nvda_store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("refuse") / "s.duckdb"
    with Store(path) as st:
        import_paths(st, [shared_data / "NVDA.csv", shared_data / "IWM.csv"])
    return path


BAD_ROWS = {
    "absurd": "2024-07-19,1e300,1e300,1e300,1e300,1e300,1\n",
    "x10": "2024-07-19,1203,1213,1170,1178.1,1178.1,1000\n",
    "div10": "2024-07-19,12.03,12.13,11.7,11.781,11.781,1000\n",
    "x1000_append": "2026-11-30,120300,121300,117000,117810,117810,5\n",
    "negative_volume": "2024-07-19,120.3,121.3,117.0,117.81,117.81,-5\n",
    "inf": "2024-07-19,120.3,inf,117.0,117.81,117.81,5\n",
    "future": "2024-07-18,120.3,121.3,117.0,117.81,117.81,5\n2999-01-02,120.3,121.3,117.0,117.81,117.81,5\n",
}


@pytest.mark.parametrize("name", sorted(BAD_ROWS))
def test_single_bad_rows_are_refused_with_file_and_line(name: str, nvda_store: Path, tmp_path: Path, cli) -> None:
    path = tmp_path / f"{name}.csv"
    path.write_text(HEADER + BAD_ROWS[name])
    before = _sum(nvda_store)
    result = cli("data", "import", str(path), "--symbol", "NVDA", "--store", str(nvda_store))
    assert result.exit_code == 2, result.output
    line = 3 if name == "future" else 2
    assert f"{path}:{line}: " in result.output.replace("\n", "")
    assert _sum(nvda_store) == before
    out = json.loads(cli("measure", "NVDA", "--from", "ath", "--to", "2024-07-26", "--store", str(nvda_store),
                         "--json").stdout)
    assert (out["start"]["date"], out["start"]["price"]) == ("2024-06-20", 140.76)  # the ath is what it was


def test_keep_bad_keeps_todays_meaning_and_check_reports_it(nvda_store: Path, tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    store.write_bytes(nvda_store.read_bytes())
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + BAD_ROWS["x10"] + "2024-07-22,120.3,121.3,117.0,117.81,117.81,-5\n")
    with Store(store) as st:
        report = import_paths(st, [path], ImportOptions(keep_bad=True, symbol="NVDA"))
        assert report.total.changed == 2
        assert any("kept" in n for n in report.files[0].notes)
        found = check_bars(st.bars("NVDA"), calendar=False)
    assert {(f.rule, f.date) for f in found if f.severity == "error"} == {
        ("price_jump", date(2024, 7, 19)), ("bad_volume", date(2024, 7, 22))
    }


def test_import_frame_judges_jumps_against_the_store(nvda_store: Path, tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    store.write_bytes(nvda_store.read_bytes())
    with Store(store) as st:
        last = st.bars("NVDA").tail(1)
        nxt = last.with_columns(pl.col("date") + timedelta(days=1), *[pl.col(c) * 100 for c in
                                ("open", "high", "low", "close", "adj_close")])
        with pytest.raises(DataError, match="price_jump"):
            import_frame(st, nxt, "yahoo")
        ok = last.with_columns(pl.col("date") + timedelta(days=1))
        assert import_frame(st, ok, "yahoo")["NVDA"].added == 1


def _unadjusted_nvda(shared_data: Path, keep_adj: bool) -> str:
    """NVDA.csv as traded before each split (the 4:1 of 2021-07-20, the 10:1 of 2024-06-10)."""
    frame = read_bar_file(shared_data / "NVDA.csv").frame.filter(pl.col("date") >= date(2020, 1, 1))
    factor = (
        pl.when(pl.col("date") < date(2021, 7, 20)).then(40.0)
        .when(pl.col("date") < date(2024, 6, 10)).then(10.0).otherwise(1.0)
    )
    cols = ["open", "high", "low", "close"] + ([] if keep_adj else ["adj_close"])
    frame = frame.with_columns([pl.col(c) * factor for c in cols])
    return frame.select("date", "open", "high", "low", "close", "adj_close", "volume").write_csv()


def test_real_splits_are_not_refused(shared_data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "raw"
    folder.mkdir()
    # As-traded closes with a split-adjusted adj_close (what a raw vendor file looks like): imports.
    (folder / "NVDA.csv").write_text(_unadjusted_nvda(shared_data, keep_adj=True))
    with Store(tmp_path / "a.duckdb") as st:
        assert import_paths(st, [folder]).total.added > 1000
    # No adjusted series at all: the 10x step needs the split on record, in the same import ...
    (folder / "NVDA.csv").write_text(_unadjusted_nvda(shared_data, keep_adj=False))
    with Store(tmp_path / "b.duckdb") as st, pytest.raises(DataError, match=r"NVDA.csv:\d+: price_jump.*2024-06-10"):
        import_paths(st, [folder])
    (folder / "splits.csv").write_text("symbol,date,ratio\nNVDA,2021-07-20,4\nNVDA,2024-06-10,10:1\n")
    with Store(tmp_path / "c.duckdb") as st:
        report = import_paths(st, [folder])
        assert {f.kind for f in report.files} == {"bars", "splits"}
        assert _splits(st)["ratio"].to_list() == [4.0, 10.0]
        found = check_bars(st.bars("NVDA"), calendar=False, splits=_splits(st))
        assert [f for f in found if f.severity == "error"] == []
        # Without the splits, `data check` flags the stored 10:1 step.
        errors = [f for f in check_bars(st.bars("NVDA"), calendar=False) if f.severity == "error"]
        assert [f.date for f in errors] == [date(2024, 6, 10)]  # the 4:1 step is below 10x


def _splits(st: Store) -> pl.DataFrame:
    from rotation.data.splits import stored_splits

    return stored_splits(st)


def test_the_real_data_passes_every_hard_rule(real_store: Path) -> None:
    with Store(real_store, read_only=True) as st:
        found = check_bars(st.bars(st.symbols()), calendar=False)
    assert [f for f in found if f.severity == "error"] == []


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("NVDA,2024-06-10,0\n", r"splits.csv:2: column ratio"),
        ("NVDA,2024-06-10,1\n", r"splits.csv:2: column ratio"),
        ("NVDA,2024-06-10,1e300\n", r"splits.csv:2: column ratio"),
        ("NVDA,2024-06-10,inf\n", r"splits.csv:2: column ratio"),
        ("NVDA,2024-06-10,ten\n", r"splits.csv:2: column ratio"),
        ("NVDA,10/06/2024,10\n", r"splits.csv:2: cannot parse date"),
        ("NVDA,2024-06-10,10\nNVDA,2024-06-10,10\n", r"splits.csv:3: NVDA 2024-06-10: a second split"),
        (",2024-06-10,10\n", r"splits.csv:2: column symbol"),
    ],
)
def test_bad_split_records_are_refused(body: str, match: str, nvda_store: Path, tmp_path: Path, cli) -> None:
    path = tmp_path / "splits.csv"
    path.write_text("symbol,date,ratio\n" + body)
    before = _sum(nvda_store)
    result = cli("data", "import", str(path), "--store", str(nvda_store))
    assert result.exit_code == 2
    import re

    assert re.search(match, result.output.replace("\n", "")), result.output
    assert _sum(nvda_store) == before


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("2024-01-02,10,inf\n2024-01-03,11,12\n", r"zz_closes.csv:2: column BBB: expected a finite price"),
        ("2024-01-02,10,1e300\n2024-01-03,11,12\n", r"zz_closes.csv:2: column BBB: expected a finite price"),
        ("2024-01-02,10,11\n2999-01-03,11,12\n", r"zz_closes.csv:3: future_date"),
    ],
)
def test_constituent_closes_refuse_the_same_values(body: str, match: str, nvda_store: Path, tmp_path: Path,
                                                   cli) -> None:
    import re

    path = tmp_path / "zz_closes.csv"
    path.write_text("date,AAA,BBB\n" + body)
    before = _sum(nvda_store)
    result = cli("data", "import", str(path), "--store", str(nvda_store))
    assert result.exit_code == 2 and re.search(match, result.output.replace("\n", "")), result.output
    assert _sum(nvda_store) == before
