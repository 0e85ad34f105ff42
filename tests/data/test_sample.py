"""The embedded sample: rebuilt byte for byte, the same content as shipped, loaded into a store atomically."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from rotation.data.sample import (
    PROVENANCE,
    SAMPLE_END,
    SAMPLE_START,
    build_sample,
    fill_store,
    is_demo_store,
    sample_dir,
    sample_parts,
    sample_plans,
    sample_symbols,
)
from rotation.data.store import Store
from rotation.errors import DataError

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_builder_twice_gives_identical_files_and_the_shipped_content(shared_data: Path, tmp_path: Path) -> None:
    from rotation.analytics.valuation import CONCEPTS_USED

    first = build_sample(shared_data, tmp_path / "a", CONCEPTS_USED)
    second = build_sample(shared_data, tmp_path / "b", CONCEPTS_USED)
    assert first == second
    names = [p.file for p in sample_parts()] + [PROVENANCE]
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    # The shipped files hold what the builder gives today (content, not bytes: another
    # pyarrow version may write a different header).
    for part in sample_parts():
        built = pq.read_table(tmp_path / "a" / part.file)
        shipped = pq.read_table(sample_dir() / part.file)
        assert built.equals(shipped), f"{part.file} is stale: rerun scripts/build_sample.py"
    assert (tmp_path / "a" / PROVENANCE).read_text() == (sample_dir() / PROVENANCE).read_text()


def test_parquet_files_carry_no_timestamps_or_schema_metadata() -> None:
    for part in sample_parts():
        meta = pq.read_metadata(sample_dir() / part.file)
        assert meta.metadata is None or b"ARROW:schema" not in meta.metadata
        names = pq.read_schema(sample_dir() / part.file).names
        assert "imported_at" not in names and names == list(part.columns)


def test_sample_is_small_and_inside_its_window() -> None:
    total = sum((sample_dir() / p.file).stat().st_size for p in sample_parts())
    assert total < 4_000_000
    bars = pq.read_table(sample_dir() / "bars.parquet").to_pydict()
    assert min(bars["date"]) == SAMPLE_START and max(bars["date"]) == SAMPLE_END
    assert sorted(set(bars["symbol"])) == sample_symbols()
    assert {"NVDA", "^RUT", "^NDX", "IWM", "SPY", "XLK", "IWD", "IWF"} <= set(bars["symbol"])
    filings = pq.read_table(sample_dir() / "filings.parquet").to_pydict()
    assert max(filings["filed"]) <= SAMPLE_END


def test_provenance_note_names_window_sources_and_that_it_is_a_sample() -> None:
    text = (sample_dir() / PROVENANCE).read_text()
    assert "sample" in text.lower() and "2023-01-03" in text and "2024-12-31" in text
    for part in sample_parts():
        assert f"`{part.file}`" in text
    assert "SOURCES.md" in text and "sp500_closes_adj.csv.gz" in text


def test_shipped_plan_is_the_example() -> None:
    plans = sample_plans()
    assert [p.name for p in plans] == ["iwm-short-2024-07.toml"]
    assert plans[0].read_bytes() == (ROOT / "examples" / "iwm-short-2024-07.toml").read_bytes()


def test_fill_store_writes_every_part(sample_store: Path) -> None:
    with Store(sample_store, read_only=True) as st:
        for part in sample_parts():
            n = st.connection.execute(f"SELECT count(*) FROM {part.table}").fetchall()[0][0]
            assert n == pq.read_metadata(sample_dir() / part.file).num_rows, part.table
        sources = {r[0] for r in st.connection.execute("SELECT DISTINCT source FROM bars").fetchall()}
    assert "sample:file:RUT.csv" in sources
    assert is_demo_store(sample_store)


def test_fill_store_replaces_atomically(tmp_path: Path) -> None:
    target = tmp_path / "demo.duckdb"
    fill_store(target)
    before = target.read_bytes()
    broken = tmp_path / "broken"
    broken.mkdir()
    with pytest.raises(DataError, match="incomplete"):
        fill_store(target, sample=broken)
    assert target.read_bytes() == before
    assert not list(tmp_path.glob("*.filling"))


def test_a_user_store_is_not_a_demo_store(tmp_path: Path) -> None:
    from conftest import make_bars
    from rotation.data.importer import import_frame

    path = tmp_path / "mine.duckdb"

    with Store(path) as st:
        import_frame(st, make_bars("ABC", [1.0, 2.0]), "test")
    assert not is_demo_store(path)
    assert not is_demo_store(tmp_path / "absent.duckdb")


def test_fill_store_never_replaces_a_user_store(tmp_path: Path) -> None:
    from conftest import make_bars
    from rotation.data.importer import import_frame
    from rotation.errors import StoreError

    path = tmp_path / "mine.duckdb"
    with Store(path) as st:
        import_frame(st, make_bars("ABC", [1.0, 2.0]), "test")
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a demo store"):
        fill_store(path)
    assert path.read_bytes() == before
    junk = tmp_path / "notes.txt"
    junk.write_text("not a store")
    with pytest.raises(StoreError, match="not a demo store"):
        fill_store(junk)
    assert junk.read_text() == "not a store"
