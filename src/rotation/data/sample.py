"""The embedded sample: a compact, real slice of ``../shared/data`` shipped as package data.

``rotation demo`` fills a store of its own from it, so a fresh install shows the
product with no network and no ``../shared``.  The sample is built by
``scripts/build_sample.py`` (:func:`build_sample`): the files are imported with
the project's own importers into a scratch store, then each part below is cut
to the window and written as Parquet with a fixed row order and no timestamps,
so rebuilding gives the same bytes.  ``PROVENANCE.md`` beside the files says
where each part came from.

Parts are store tables; :func:`fill_store` writes them back under their own
table definitions (``source`` keeps the original file, prefixed ``sample:``).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

import platformdirs
import pyarrow as pa
import pyarrow.parquet as pq

from rotation.data import constituents, fundamentals, positioning
from rotation.data.store import Store, UpsertCounts
from rotation.data.universes import load_universe, standard_pairs
from rotation.errors import DataError, StoreError

SAMPLE_START = date(2023, 1, 3)
SAMPLE_END = date(2024, 12, 31)
DEMO_AS_OF = date(2024, 7, 26)
SAMPLE_UNIVERSES: tuple[str, ...] = ("core", "sectors", "styles", "megacaps")
FILINGS_FROM = date(2021, 1, 1)  # the TTM figures of early 2023 need the comparatives filed in 2022
PROVENANCE = "PROVENANCE.md"


def sample_dir() -> Path:
    """The folder of the shipped sample (``rotation/sample`` inside the installed package)."""
    return Path(str(resources.files("rotation").joinpath("sample")))


def sample_plans() -> tuple[Path, ...]:
    """The trade plans shipped with the sample (the July 2024 IWM short), for the demo report."""
    folder = sample_dir() / "plans"
    return tuple(sorted(folder.glob("*.toml"))) if folder.is_dir() else ()


def demo_store_path() -> Path:
    """``<user data dir>/rotation/demo-sample.duckdb``: the demo's own store, never the user's."""
    return Path(platformdirs.user_data_dir("rotation", appauthor=False)) / "demo-sample.duckdb"


def sample_symbols() -> list[str]:
    """The report's symbols: the four universes, their benchmarks and the standard pairs."""
    seen: dict[str, None] = {}
    for name in SAMPLE_UNIVERSES:
        uni = load_universe(name)
        for s in (*uni.symbols, *([uni.benchmark] if uni.benchmark else [])):
            seen.setdefault(s)
    for p in standard_pairs():
        seen.setdefault(p.a)
        seen.setdefault(p.b)
    return sorted(seen)


@dataclass(frozen=True)
class SamplePart:
    """One table of the sample: how it is cut from a full store and where it came from."""

    file: str
    table: str
    columns: tuple[str, ...]  # as stored, without imported_at
    where: str  # SQL over the table; ``{symbols}`` and ``{start}``/``{end}`` are filled in
    order: tuple[str, ...]
    origin: str  # which files of ../shared/data, for the provenance note
    ensure: Callable[[Store], None] | None = None


_BAR_COLS = ("symbol", "date", "open", "high", "low", "close", "adj_close", "volume", "source")
_FACT_COLS = ("cik", "taxonomy", "concept", "unit", "period_start", "period_end", "val", "accn", "fy", "fp",
              "form", "filed", "frame", "source")


def _megacap_ciks() -> str:
    ciks = sorted(fundamentals.TICKER_CIKS[s] for s in load_universe("megacaps").symbols
                  if s in fundamentals.TICKER_CIKS)
    return ", ".join(str(c) for c in ciks)


def _quoted(names: Sequence[str]) -> str:
    return ", ".join("'" + s.replace("'", "''") + "'" for s in sorted(names))


def sample_parts() -> tuple[SamplePart, ...]:
    """The sample's parts, in the order they are written and loaded."""
    return (
        SamplePart("bars.parquet", "bars", _BAR_COLS,
                   "symbol IN ({symbols}) AND date BETWEEN {start} AND {end}", ("symbol", "date"),
                   "daily bars: one CSV per symbol in ../shared/data (see its SOURCES.md)"),
        SamplePart("sp500_closes.parquet", "constituent_closes",
                   ("universe", "symbol", "date", "adj_close", "source"),
                   "universe = 'sp500' AND date BETWEEN {start} AND {end}", ("symbol", "date"),
                   "S&P 500 member closes: ../shared/data/universe/sp500_closes_adj.csv.gz",
                   constituents.ensure_tables),
        SamplePart("sp500_membership.parquet", "constituent_membership",
                   ("universe", "symbol", "start_date", "end_date", "source"),
                   "universe = 'sp500' AND start_date <= {end} AND (end_date IS NULL OR end_date >= {start})",
                   ("symbol", "start_date"),
                   "S&P 500 membership intervals: ../shared/data/universe/sp500_membership_intervals.csv",
                   constituents.ensure_tables),
        SamplePart("sp500_members.parquet", "constituent_members",
                   ("universe", "symbol", "ticker", "name", "sector", "sub_industry", "date_added", "source"),
                   "universe = 'sp500'", ("symbol",),
                   "S&P 500 members list (names, sectors): ../shared/data/universe/sp500_members_current.csv",
                   constituents.ensure_tables),
        SamplePart("companies.parquet", "fund_companies",
                   ("cik", "ticker", "entity_name", "completeness", "source"),
                   "cik IN ({ciks})", ("cik",),
                   "the megacaps' SEC companyfacts: ../shared/data/fundamentals/companyfacts_manifest.csv",
                   fundamentals.ensure_tables),
        SamplePart("filings.parquet", "fund_facts", _FACT_COLS,
                   "cik IN ({ciks}) AND concept IN ({concepts}) AND filed <= {end} AND period_end >= {filings_from}",
                   ("cik", "concept", "unit", "period_end", "filed", "accn", "period_start", "fy", "fp", "form",
                    "frame", "val"),
                   "the megacaps' SEC filings (only the concepts valuation reads): "
                   "../shared/data/fundamentals/CIK*.json.gz",
                   fundamentals.ensure_tables),
        SamplePart("positioning.parquet", "positioning",
                   ("report", "market_code", "market_name", "report_date", "release_date", "trader_group", "long",
                    "short", "spread", "open_interest", "source"),
                   "market_code IN ({markets}) AND report_date BETWEEN {start} AND {end}",
                   ("report", "market_code", "report_date", "trader_group"),
                   "CFTC positioning of the RTY, NQ and ES futures (TFF and legacy reports): "
                   "../shared/data/positioning/cftc_tff/fut_fin_xls_*.zip, cftc_legacy/*.csv",
                   positioning.ensure_tables),
        SamplePart("sentiment.parquet", "sentiment", ("series", "date", "release_date", "value", "source"),
                   "date BETWEEN {start} AND {end}", ("series", "date"),
                   "sentiment series (AAII, NAAIM, Cboe put/call): ../shared/data/positioning/sentiment/*",
                   positioning.ensure_tables),
    )


def _fill(where: str, symbols: Sequence[str], concepts: Sequence[str]) -> str:
    def lit(d: date) -> str:
        return f"DATE '{d.isoformat()}'"

    return where.format(
        symbols=_quoted(symbols),
        start=lit(SAMPLE_START), end=lit(SAMPLE_END), filings_from=lit(FILINGS_FROM),
        ciks=_megacap_ciks(), concepts=_quoted(concepts),
        markets=_quoted([c.market_code for c in positioning.CONTRACTS.values()]),
    )


# -- building (scripts/build_sample.py) -----------------------------------------------

def source_files(data_dir: Path) -> list[Path]:
    """The files of ``../shared/data`` the sample is cut from."""
    data_dir = Path(data_dir)
    files = sorted(data_dir.glob("*.csv"))
    uni = data_dir / "universe"
    files += [uni / n for n in ("sp500_closes_adj.csv.gz", "sp500_membership_intervals.csv",
                                "sp500_members_current.csv")]
    fund = data_dir / "fundamentals"
    files += [fund / "companyfacts_manifest.csv", *sorted(fund.glob("CIK*.json.gz"))]
    pos = data_dir / "positioning"
    files += [*(pos / "cftc_tff" / f"fut_fin_xls_{y}.zip" for y in range(SAMPLE_START.year, SAMPLE_END.year + 1)),
              *sorted((pos / "cftc_legacy").glob("*.csv")), *sorted((pos / "sentiment").glob("*.*"))]
    missing = [str(f) for f in files if not f.is_file()]
    if not files or missing:
        raise DataError(f"{data_dir}: not the shared data set (missing {', '.join(missing) or 'bar files'})")
    return files


def _write_parquet(table: pa.Table, path: Path) -> None:
    """Deterministic Parquet: no schema metadata, fixed writer settings, one row group."""
    table = table.replace_schema_metadata(None)
    pq.write_table(table, path, compression="zstd", compression_level=9, use_dictionary=True,
                   write_statistics=False, store_schema=False, row_group_size=max(table.num_rows, 1))


def export_parts(store: Store, out_dir: Path, concepts: Sequence[str]) -> dict[str, int]:
    """Cut every part from a full ``store`` into ``out_dir``; rows per file.

    ``concepts``: the SEC concepts kept (valuation's ``CONCEPTS_USED``, passed in by the
    builder script: the data layer does not import analytics).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    symbols = sample_symbols()
    rows: dict[str, int] = {}
    for part in sample_parts():
        if not store.table_exists(part.table):
            raise DataError(f"the source store has no {part.table} table (needed for {part.file})")
        sql = (f"SELECT {', '.join(part.columns)} FROM {part.table} WHERE {_fill(part.where, symbols, concepts)} "
               f"ORDER BY {', '.join(part.order)}")
        table = store.connection.sql(sql).to_arrow_table()
        _write_parquet(table, out_dir / part.file)
        rows[part.file] = table.num_rows
    (out_dir / PROVENANCE).write_text(provenance_note(rows, symbols), encoding="utf-8")
    return rows


def provenance_note(rows: dict[str, int], symbols: Sequence[str]) -> str:
    lines = [
        "# The embedded sample (a sample, not the full data set)",
        "",
        f"A compact slice of the project's real data set (`../shared/data`), {SAMPLE_START.isoformat()} to "
        f"{SAMPLE_END.isoformat()}, shipped so that `rotation demo` works on a fresh install with no "
        "network. Built by `scripts/build_sample.py`; rebuilding gives the same bytes. Figures "
        "ranked against history (events, percentiles, valuation ranges) are ranked within this "
        "window only; the full set and the live providers reach back decades.",
        "",
        "Each file is one store table, cut to the window; the `source` column keeps the original file.",
        "",
        "| file | rows | what, and where it came from |",
        "|---|---|---|",
    ]
    for part in sample_parts():
        lines.append(f"| `{part.file}` | {rows.get(part.file, 0)} | {part.origin} |")
    lines += [
        "",
        f"Symbols with bars ({len(symbols)}): {', '.join(symbols)}.",
        "",
        f"Filings: facts filed up to {SAMPLE_END.isoformat()} for periods ending from "
        f"{FILINGS_FROM.isoformat()} (the comparatives that trailing-twelve-month figures of early 2023 need).",
        "",
        "The original vendors (Yahoo Finance, Interactive Brokers, S&P/Wikipedia lists, SEC EDGAR, the CFTC, "
        "AAII, NAAIM, Cboe) keep their own terms of use: research and test data. `../shared/data/SOURCES.md` "
        "and the `SOURCES.md` files of its folders (fundamentals, positioning) name every source, "
        "repository and commit; a CFTC report is as of a Tuesday and released the Friday after "
        "(`release_date`).",
        "",
    ]
    return "\n".join(lines)


def build_sample(data_dir: Path, out_dir: Path, concepts: Sequence[str], *,
                 on_step: Callable[[str], None] | None = None) -> dict[str, int]:
    """Import the needed files of ``data_dir`` into a scratch store, then :func:`export_parts`."""
    from rotation.data.importer import import_paths  # the importer sits above this module's users

    files = source_files(data_dir)
    with tempfile.TemporaryDirectory(prefix="rotation-sample-") as tmp:
        if on_step:
            on_step(f"importing {len(files)} files from {data_dir}")
        with Store(Path(tmp) / "full.duckdb") as st:
            import_paths(st, files)
            if on_step:
                on_step(f"writing the sample to {out_dir}")
            return export_parts(st, Path(out_dir), concepts)


# -- loading (rotation demo) ------------------------------------------------------------

@dataclass(frozen=True)
class FillReport:
    """What :func:`fill_store` wrote: rows per table, the store, the sample it came from."""

    store: Path
    sample: Path
    rows: dict[str, int]


def fill_store(path: Path, *, sample: Path | None = None,
               on_part: Callable[[int, int, str], None] | None = None) -> FillReport:
    """(Re)create the store at ``path`` from the sample, atomically (a scratch file, then a rename).

    An existing file is replaced only when it is a demo store (:func:`is_demo_store`):
    the user's own store is never overwritten.

    ``on_part(i, n, table)`` is called before each part (a progress hook).
    """
    src = sample or sample_dir()
    parts = sample_parts()
    missing = [p.file for p in parts if not (src / p.file).is_file()]
    if missing:
        raise DataError(f"the embedded sample at {src} is incomplete (missing {', '.join(missing)}); "
                        "rebuild it with `python scripts/build_sample.py`")
    path = Path(path).expanduser()
    if path.exists() and not is_demo_store(path):
        raise StoreError(f"{path} exists and is not a demo store (its imports are not all from the sample): "
                         "refusing to replace it; give --store a new file")
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(path.name + ".filling")
    scratch.unlink(missing_ok=True)
    rows: dict[str, int] = {}
    try:
        with Store(scratch) as st, st.transaction() as con:
            for i, part in enumerate(parts):
                if on_part:
                    on_part(i, len(parts), part.table)
                if part.ensure:
                    part.ensure(st)
                table = pq.read_table(src / part.file)
                con.register("sample_part", table)
                try:
                    value_cols = [c for c in part.columns if c != "source"]
                    con.execute(
                        f"INSERT INTO {part.table} ({', '.join(part.columns)}, imported_at) "
                        f"SELECT {', '.join(value_cols)}, 'sample:' || source, now()::TIMESTAMP FROM sample_part"
                    )
                finally:
                    con.unregister("sample_part")
                rows[part.table] = table.num_rows
                st.log_import(f"sample-{part.table}", f"sample:{part.file}", UpsertCounts(added=table.num_rows))
        os.replace(scratch, path)
    except BaseException:
        scratch.unlink(missing_ok=True)
        raise
    return FillReport(path, src, rows)


def is_demo_store(path: Path) -> bool:
    """True for a store :func:`fill_store` wrote (its import log names only sample files)."""
    try:
        with Store(path, read_only=True) as st:
            rows = st.connection.execute("SELECT count(*), count(*) FILTER (WHERE source LIKE 'sample:%') "
                                         "FROM imports").fetchall()
    except StoreError:
        return False
    return bool(rows) and rows[0][0] > 0 and rows[0][0] == rows[0][1]


__all__ = [
    "DEMO_AS_OF",
    "SAMPLE_END",
    "SAMPLE_START",
    "FillReport",
    "SamplePart",
    "build_sample",
    "demo_store_path",
    "export_parts",
    "fill_store",
    "sample_dir",
    "sample_parts",
    "sample_plans",
    "sample_symbols",
    "source_files",
]
