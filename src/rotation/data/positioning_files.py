"""Read and validate the positioning and sentiment files, recognised by content.

* CFTC Traders in Financial Futures, the annual zips as the CFTC publishes them:
  ``fut_fin_xls_YYYY.zip`` holding ``FinFutYY.xls`` and the text form
  ``fut_fin_txt_YYYY.zip`` holding ``FinFutYY.txt`` (comma-separated, same columns).
  A zip is taken for TFF when it holds one ``.xls``/``.txt`` sheet, whatever the
  names, and that sheet has the TFF columns. Every market of the file is kept.
* The legacy COT compilation CSV: ``date, spec_long, spec_short, comm_long,
  comm_short, nonrept_long, nonrept_short`` (nets ignored: they are recomputed);
  the contract comes from a word of the file name (``russell``, ``nasdaq``,
  ``sp500``: see ``contracts.toml``).
* AAII's sentiment workbook (``.xls``): the sheet whose header rows hold
  ``Bullish``, ``Neutral`` and ``Bearish``, each row public on its date (a Thursday;
  the Wednesday before Thanksgiving and a few holiday weeks; Fridays before 1988); NAAIM's exposure workbook (``.xlsx``):
  ``Date`` and ``Mean/Average``; the put/call CSV: ``date, equity_pc_ratio,
  total_pc_ratio, index_pc_ratio``.

Excel is read by Polars ``read_excel`` on the calamine engine (``fastexcel``).
Rules, each an error naming the file, the row (spreadsheet row or CSV line, 1 =
header) and the column: a required column missing, a value that is not a number or
a date, a negative position, a (market, report date) twice, group totals that do not
add up to the open interest (more than :data:`OI_TOLERANCE`). Missing weeks are a
note (a warning), not an error: markets start, stop and pause.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

from rotation.data.positioning import (
    CONTRACTS,
    POSITIONING_SCHEMA,
    SENTIMENT_SCHEMA,
    Contract,
    release_dates,
    write_positioning,
    write_positioning_many,
    write_sentiment,
)
from rotation.data.store import Store, UpsertCounts
from rotation.errors import DataError

H = TypeVar("H")

# CFTC column prefix -> our group name; NonRept has no spread column.
TFF_GROUP_COLUMNS: dict[str, str] = {
    "Dealer": "dealer",
    "Asset_Mgr": "asset_mgr",
    "Lev_Money": "lev_money",
    "Other_Rept": "other_rept",
    "NonRept": "nonrept",
}
TFF_DATE_COLUMNS: tuple[str, ...] = ("Report_Date_as_MM_DD_YYYY", "Report_Date_as_YYYY-MM-DD")
TFF_REQUIRED: tuple[str, ...] = (
    "Market_and_Exchange_Names", "CFTC_Contract_Market_Code", "Open_Interest_All",
    *(f"{p}_Positions_{side}_All" for p in TFF_GROUP_COLUMNS for side in ("Long", "Short")),
    *(f"{p}_Positions_Spread_All" for p in TFF_GROUP_COLUMNS if p != "NonRept"),
)
LEGACY_COLUMNS: dict[str, tuple[str, str]] = {
    "noncommercial": ("spec_long", "spec_short"),
    "commercial": ("comm_long", "comm_short"),
    "nonrept": ("nonrept_long", "nonrept_short"),
}
PUTCALL_COLUMNS: dict[str, str] = {
    "equity_pc_ratio": "pc_equity", "total_pc_ratio": "pc_total", "index_pc_ratio": "pc_index",
}
# Reportable long + spread + non-reportable long = open interest (short likewise); the CFTC's
# own rounding leaves a few contracts either way.
OI_TOLERANCE = 5
_SHEET_SUFFIXES = (".xls", ".xlsx", ".txt", ".csv")


@dataclass(frozen=True)
class PositioningFile:
    """A read and validated positioning file (long rows) and its notes."""

    path: Path
    report: str
    frame: pl.DataFrame
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SentimentFile:
    """A read and validated sentiment file (series, date, release_date, value) and its notes."""

    path: Path
    kind: str
    frame: pl.DataFrame
    notes: tuple[str, ...] = ()


# -- helpers --------------------------------------------------------------

def _fail(where: str, row: int | None, column: str | None, what: str) -> DataError:
    parts = [where]
    if row is not None:
        parts.append(f"row {row}")
    if column is not None:
        parts.append(f"column {column!r}")
    return DataError(f"{', '.join(parts)}: {what}")


def _as_int(frame: pl.DataFrame, column: str, where: str, first_row: int) -> pl.Series:
    """``column`` as Int64; a missing or non-integer value raises, naming its row."""
    raw = frame[column]
    if raw.dtype == pl.Utf8:
        cleaned = raw.str.strip_chars().str.replace_all(",", "")
        out = cleaned.cast(pl.Float64, strict=False)
    else:
        cleaned = raw.cast(pl.Utf8)
        out = raw.cast(pl.Float64, strict=False)
    bad = out.is_null() | (out != out.round(0))
    if bad.any():
        i = int(bad.arg_max() or 0)
        raise _fail(where, i + first_row, column, f"expected a whole number of contracts, got {cleaned[i]!r}")
    return out.cast(pl.Int64).alias(column)


def _as_float(frame: pl.DataFrame, column: str, where: str, first_row: int, *, required: bool) -> pl.Series:
    raw = frame[column]
    text = raw.cast(pl.Utf8).str.strip_chars()
    out = text.cast(pl.Float64, strict=False)
    bad = (out.is_null() & text.is_not_null() & (text != "")) | (out.is_null() if required else out.is_nan())
    if bad.any():
        i = int(bad.arg_max() or 0)
        raise _fail(where, i + first_row, column, f"expected a number, got {text[i]!r}")
    return out.alias(column)


_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%Y-%m-%d %H:%M:%S", "%m/%d/%Y %H:%M:%S", "%y%m%d")


def _as_date(frame: pl.DataFrame, column: str, where: str, first_row: int) -> pl.Series:
    raw = frame[column]
    if raw.dtype == pl.Date:
        out = raw
    elif isinstance(raw.dtype, pl.Datetime):
        out = raw.dt.date()
    else:
        text = raw.cast(pl.Utf8).str.strip_chars()
        out = pl.Series(column, [None] * len(text), dtype=pl.Date)
        for fmt in _DATE_FORMATS:
            out = out.fill_null(text.str.strptime(pl.Date, fmt, strict=False))
    if out.is_null().any():
        i = int(out.is_null().arg_max() or 0)
        raise _fail(where, i + first_row, column, f"expected a date (YYYY-MM-DD), got {raw.cast(pl.Utf8)[i]!r}")
    return out.alias(column)


def _missing_weeks_note(frame: pl.DataFrame, by: str, date_col: str) -> tuple[str, ...]:
    """A warning naming the weekly gaps (12 days or more between two reports of one market).

    A holiday can move one report a day or two (Monday 2006-07-03), which is not a gap.
    """
    gaps = (
        frame.select(by, date_col).unique().sort(by, date_col)
        .with_columns(pl.col(date_col).diff().over(by).dt.total_days().alias("_gap"),
                      pl.col(date_col).shift(1).over(by).alias("_prev"))
        .filter(pl.col("_gap") >= 12)
    )
    if gaps.is_empty():
        return ()
    first = gaps.row(0, named=True)
    markets = gaps[by].n_unique()
    weeks = int(((gaps["_gap"] + 3) // 7 - 1).clip(lower_bound=1).sum())
    return (
        f"warning: missing weeks: {weeks} week(s) in {gaps.height} gap(s) over {markets} market(s), "
        f"e.g. {first[by]} from {first['_prev']} to {first[date_col]}",
    )


def _duplicate_check(frame: pl.DataFrame, key: list[str], where: str, first_row: int, column: str) -> None:
    dup = frame.select(key).is_duplicated()
    if dup.any():
        rows = [i + first_row for i, d in enumerate(dup.to_list()) if d]
        first = frame.row(rows[0] - first_row, named=True)
        what = ", ".join(f"{k}={first[k]}" for k in key)
        raise _fail(where, rows[1], column, f"duplicate row for {what} (also row {rows[0]})")


# -- CFTC TFF -------------------------------------------------------------

def _zip_sheet(path: Path, data: bytes | None = None) -> tuple[str, bytes]:
    """The one sheet member of a CFTC zip, read whole; a bad or truncated zip raises."""
    try:
        with zipfile.ZipFile(io.BytesIO(data) if data is not None else path) as zf:
            members = [m for m in zf.namelist() if m.lower().endswith(_SHEET_SUFFIXES) and not m.endswith("/")]
            if len(members) != 1:
                raise DataError(
                    f"{path}: expected one .xls or .txt sheet in the zip (FinFutYY.xls), found "
                    f"{', '.join(members) or 'none'}"
                )
            return members[0], zf.read(members[0])
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
        raise DataError(f"{path}: not a readable zip (truncated or damaged?): {exc}") from exc


def _read_sheet(name: str, data: bytes, where: str) -> tuple[pl.DataFrame, int]:
    """Frame of a sheet (Excel or comma-separated text) and the row number of its first data row.

    Only the columns used are converted (three times faster on the 84-column sheets);
    when one is missing, the whole sheet is read so that the check can name it.
    """
    excel = name.lower().endswith((".xls", ".xlsx"))
    for date_col in TFF_DATE_COLUMNS:
        try:
            if excel:
                return pl.read_excel(io.BytesIO(data), engine="calamine", columns=[*TFF_REQUIRED, date_col]), 2
            return pl.read_csv(io.BytesIO(data), infer_schema=False, columns=[*TFF_REQUIRED, date_col]), 2
        except Exception:  # a column is missing (or worse): the full read below says which
            continue
    try:
        if excel:
            return pl.read_excel(io.BytesIO(data), engine="calamine"), 2
        return pl.read_csv(io.BytesIO(data), infer_schema=False, truncate_ragged_lines=False), 2
    except (pl.exceptions.PolarsError, ValueError, OSError) as exc:
        raise DataError(f"{where}: cannot read the sheet: {exc}") from exc
    except Exception as exc:  # fastexcel's own errors (CalamineError...) do not share a base we can name
        if type(exc).__module__.startswith("fastexcel"):
            raise DataError(f"{where}: cannot read the sheet: {exc}") from exc
        raise


def read_tff_zip(path: Path, data: bytes | None = None) -> PositioningFile:
    """A CFTC TFF annual zip (``.xls`` or ``.txt`` inside) -> long positioning rows, validated."""
    member, blob = _zip_sheet(path, data)
    where = f"{path}: {member}"
    raw, first_row = _read_sheet(member, blob, where)
    raw = raw.rename({c: c.strip() for c in raw.columns})
    date_col = next((c for c in TFF_DATE_COLUMNS if c in raw.columns), None)
    missing = [c for c in TFF_REQUIRED if c not in raw.columns]
    if date_col is None or missing:
        wanted = missing[0] if missing else " or ".join(TFF_DATE_COLUMNS)
        raise _fail(where, 1, wanted, "required column missing from the header (is this a CFTC TFF file?)")
    base = pl.DataFrame([
        raw["Market_and_Exchange_Names"].cast(pl.Utf8).str.strip_chars().alias("market_name"),
        raw["CFTC_Contract_Market_Code"].cast(pl.Utf8).str.strip_chars().alias("market_code"),
        _as_date(raw, date_col, where, first_row).alias("report_date"),
        _as_int(raw, "Open_Interest_All", where, first_row).alias("open_interest"),
    ])
    if base["market_code"].is_null().any() or (base["market_code"] == "").any():
        i = int((base["market_code"].is_null() | (base["market_code"] == "")).arg_max() or 0)
        raise _fail(where, i + first_row, "CFTC_Contract_Market_Code", "empty market code")
    _duplicate_check(base, ["market_code", "report_date"], where, first_row, "CFTC_Contract_Market_Code")
    positions: dict[str, pl.Series] = {}
    for prefix in TFF_GROUP_COLUMNS:
        sides = ("Long", "Short", "Spread") if prefix != "NonRept" else ("Long", "Short")
        for side in sides:
            col = f"{prefix}_Positions_{side}_All"
            values = _as_int(raw, col, where, first_row)
            negative = values < 0
            if negative.any():
                i = int(negative.arg_max() or 0)
                raise _fail(where, i + first_row, col, f"negative position {values[i]}")
            positions[col] = values
    _check_open_interest(base, positions, where, first_row)
    frames = []
    for prefix, group in TFF_GROUP_COLUMNS.items():
        spread = positions.get(f"{prefix}_Positions_Spread_All")
        frames.append(base.with_columns(
            pl.lit("tff").alias("report"),
            pl.lit(group).alias("group"),
            positions[f"{prefix}_Positions_Long_All"].alias("long"),
            positions[f"{prefix}_Positions_Short_All"].alias("short"),
            (spread if spread is not None else pl.Series([None] * base.height, dtype=pl.Int64)).alias("spread"),
        ))
    long = pl.concat(frames).with_columns(release_dates(pl.concat(frames)["report_date"]))
    frame = long.select(list(POSITIONING_SCHEMA)).sort("market_code", "report_date", "group")
    return PositioningFile(path, "tff", frame, _missing_weeks_note(base, "market_code", "report_date"))


def _check_open_interest(base: pl.DataFrame, pos: dict[str, pl.Series], where: str, first_row: int) -> None:
    oi = base["open_interest"]
    for side in ("Long", "Short"):
        total = pos[f"NonRept_Positions_{side}_All"]
        for prefix in TFF_GROUP_COLUMNS:
            if prefix != "NonRept":
                total = total + pos[f"{prefix}_Positions_{side}_All"] + pos[f"{prefix}_Positions_Spread_All"]
        off = (total - oi).abs() > OI_TOLERANCE
        if off.any():
            i = int(off.arg_max() or 0)
            raise _fail(
                where, i + first_row, "Open_Interest_All",
                f"group totals ({side.lower()} + spread, all groups) are {total[i]:,} but open interest is "
                f"{oi[i]:,} ({base['market_code'][i]} {base['report_date'][i]})",
            )


def _claims_tff(path: Path) -> bool:
    name = path.name.lower()
    if not name.endswith(".zip"):
        return False
    if re.match(r"^(fut_fin|finfut)", name):
        return True  # claimed by name too, so that a damaged CFTC zip is reported, not skipped
    try:
        with zipfile.ZipFile(path) as zf:
            sheets = [m for m in zf.namelist() if m.lower().endswith(_SHEET_SUFFIXES)]
            if len(sheets) != 1:
                return False
            if sheets[0].lower().endswith((".txt", ".csv")):
                with zf.open(sheets[0]) as fh:
                    header = fh.readline(65536).decode("utf-8", "replace")
            else:
                if re.match(r"(?i)^finfut", Path(sheets[0]).name):
                    return True
                header = ",".join(pl.read_excel(io.BytesIO(zf.read(sheets[0])), engine="calamine",
                                                read_options={"n_rows": 1, "dtypes": "string"}).columns)
            return "CFTC_Contract_Market_Code" in header and "Asset_Mgr_Positions_Long_All" in header
    except Exception:  # unreadable (a damaged zip or sheet): not claimed by content, so skipped and named
        return False


# -- legacy COT compilation ----------------------------------------------

def _csv_header(path: Path) -> list[str]:
    try:
        with path.open("r", encoding="utf-8-sig", errors="replace") as fh:
            return [c.strip().lower() for c in fh.readline().split(",")]
    except OSError:
        return []


def legacy_contract(path: Path) -> Contract:
    """The contract a legacy compilation file is about, from a word of its name."""
    words = set(re.split(r"[^a-z0-9&]+", path.stem.lower()))
    for contract in CONTRACTS.values():
        if words & set(contract.legacy_names):
            return contract
    names = "; ".join(f"{c.key}: {', '.join(c.legacy_names)}" for c in CONTRACTS.values())
    raise DataError(f"{path}: cannot tell the contract of this legacy COT file from its name (expected a word of {names})")


def _claims_legacy(path: Path) -> bool:
    if not path.name.lower().endswith(".csv"):
        return False
    header = set(_csv_header(path))
    return {"date", *(c for pair in LEGACY_COLUMNS.values() for c in pair)} <= header


def read_legacy_csv(path: Path) -> PositioningFile:
    contract = legacy_contract(path)
    where = str(path)
    try:
        raw = pl.read_csv(path, infer_schema=False)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise DataError(f"{path}: cannot read the CSV: {exc}") from exc
    raw = raw.rename({c: c.strip().lower() for c in raw.columns})
    dates = _as_date(raw, "date", where, 2)
    _duplicate_check(pl.DataFrame([dates]), ["date"], where, 2, "date")
    frames = []
    for group, (lcol, scol) in LEGACY_COLUMNS.items():
        cols = {}
        for col in (lcol, scol):
            values = _as_int(raw, col, where, 2)
            if (values < 0).any():
                i = int((values < 0).arg_max() or 0)
                raise _fail(where, i + 2, col, f"negative position {values[i]}")
            cols[col] = values
        frames.append(pl.DataFrame({
            "report": "legacy", "market_code": contract.market_code, "market_name": contract.name,
            "report_date": dates, "group": group, "long": cols[lcol], "short": cols[scol],
        }).with_columns(pl.lit(None, pl.Int64).alias("spread"), pl.lit(None, pl.Int64).alias("open_interest")))
    long = pl.concat(frames)
    long = long.with_columns(release_dates(long["report_date"]))
    frame = long.select(list(POSITIONING_SCHEMA)).sort("market_code", "report_date", "group")
    notes = _missing_weeks_note(frame.filter(pl.col("group") == "nonrept"), "market_code", "report_date")
    return PositioningFile(path, "legacy", frame, notes)


# -- sentiment ------------------------------------------------------------

def _sentiment_frame(dates: pl.Series, values: dict[str, pl.Series]) -> pl.DataFrame:
    parts = [
        pl.DataFrame({"series": name, "date": dates, "release_date": dates, "value": series})
        for name, series in values.items()
    ]
    out = pl.concat(parts).filter(pl.col("value").is_not_null())
    return out.select([pl.col(c).cast(t) for c, t in SENTIMENT_SCHEMA.items()]).sort("series", "date")


def _read_excel_raw(path: Path, **kwargs: Any) -> pl.DataFrame:
    try:
        return pl.read_excel(path, engine="calamine", **kwargs)
    except (pl.exceptions.PolarsError, ValueError, OSError) as exc:
        raise DataError(f"{path}: cannot read the workbook: {exc}") from exc
    except Exception as exc:
        if type(exc).__module__.startswith("fastexcel"):
            raise DataError(f"{path}: cannot read the workbook: {exc}") from exc
        raise


_AAII_NAMES = ("bullish", "neutral", "bearish")


def read_aaii(path: Path) -> SentimentFile:
    """AAII's workbook: the header row with Bullish/Neutral/Bearish, dated rows below it.

    Readings are fractions (0.492 = 49.2%). Each row is published on its date (a
    Thursday since AAII moved its release; the early history is dated Fridays).
    """
    # Every cell as text: the sheet mixes titles, dates and numbers in one column.
    raw = _read_excel_raw(path, sheet_id=1, has_header=False, read_options={"dtypes": "string"})
    header_row = None
    cols: dict[str, str] = {}
    for i in range(min(12, raw.height)):
        cells = {str(v).strip().lower(): c for c, v in zip(raw.columns, raw.row(i), strict=True) if v is not None}
        if all(n in cells for n in _AAII_NAMES):
            header_row, cols = i, {n: cells[n] for n in _AAII_NAMES}
            break
    if header_row is None:
        found = [v for v in (raw.row(min(2, raw.height - 1)) if raw.height else ()) if v]
        raise _fail(str(path), 3, "Bullish", "AAII header not found: expected columns Bullish, Neutral, Bearish "
                    f"in the first rows (row 3 has {', '.join(map(str, found[:6]))})")
    date_col = raw.columns[0]
    body = raw.slice(header_row + 1)
    dates = body[date_col].str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    body = body.with_columns(dates.alias("_date")).with_row_index("_row", offset=header_row + 2)
    dated = body.filter(pl.col("_date").is_not_null())  # the summary rows under the table have no date
    where = f"{path}: sheet 1"
    first = int(dated["_row"][0]) if dated.height else header_row + 2
    # Rows are contiguous from the first dated row: report the spreadsheet row of a bad cell.
    values = {f"aaii_{n}": _as_float(dated, cols[n], where, first, required=False) for n in _AAII_NAMES}
    for name, series in values.items():
        out = (series < 0) | (series > 1)
        if out.any():
            i = int(out.arg_max() or 0)
            raise _fail(where, int(dated["_row"][i]), name.removeprefix("aaii_").title(),
                        f"expected a fraction between 0 and 1, got {series[i]}")
    _duplicate_check(dated.select(pl.col("_date").alias("date")), ["date"], where, first, "Reported Date")
    frame = _sentiment_frame(dated["_date"], values)
    return SentimentFile(path, "aaii", frame)


def read_naaim(path: Path) -> SentimentFile:
    """NAAIM's workbook: ``Date`` and ``Mean/Average`` (the exposure index), newest first."""
    raw = _read_excel_raw(path, sheet_id=1)
    where = f"{path}: sheet 1"
    for col in ("Date", "Mean/Average"):
        if col not in raw.columns:
            raise _fail(where, 1, col, f"required column missing (header has {', '.join(raw.columns[:5])}...)")
    raw = raw.filter(pl.col("Date").is_not_null())
    dates = _as_date(raw, "Date", where, 2)
    exposure = _as_float(raw, "Mean/Average", where, 2, required=True)
    # NAAIM's workbook repeats its first weeks at its end, rounded to 2 decimals: a repeat that
    # agrees to the rounding is dropped (noted); one that disagrees is an error.
    rows = pl.DataFrame([dates.alias("date"), exposure.alias("value")]).with_row_index("_row", offset=2)
    first = rows.unique("date", keep="first", maintain_order=True)
    repeats = rows.join(first, on="date", suffix="_first").filter(pl.col("_row") != pl.col("_row_first"))
    notes: tuple[str, ...] = ()
    if repeats.height:
        off = repeats.filter((pl.col("value") - pl.col("value_first")).abs() > 0.005 + 1e-9)
        if off.height:
            r = off.row(0, named=True)
            raise _fail(where, r["_row"], "Date", f"duplicate row for date={r['date']} (also row {r['_row_first']}) "
                        f"with a different Mean/Average ({r['value']} vs {r['value_first']})")
        notes = (f"{repeats.height} repeated week(s) equal to the rounding dropped",)
        dates, exposure = first["date"], first["value"]
    out = (exposure < -200) | (exposure > 200)
    if out.any():
        i = int(out.arg_max() or 0)
        raise _fail(where, i + 2, "Mean/Average", f"expected an exposure between -200 and 200, got {exposure[i]}")
    return SentimentFile(path, "naaim", _sentiment_frame(dates, {"naaim_exposure": exposure}), notes)


def _claims_putcall(path: Path) -> bool:
    return path.name.lower().endswith(".csv") and {"date", "equity_pc_ratio"} <= set(_csv_header(path))


def read_putcall(path: Path) -> SentimentFile:
    """CBOE put/call ratios, one row per trading day; public the evening of their date."""
    where = str(path)
    try:
        raw = pl.read_csv(path, infer_schema=False)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise DataError(f"{path}: cannot read the CSV: {exc}") from exc
    raw = raw.rename({c: c.strip().lower() for c in raw.columns})
    dates = _as_date(raw, "date", where, 2)
    _duplicate_check(pl.DataFrame([dates]), ["date"], where, 2, "date")
    values = {}
    zeros = 0
    for col, series in PUTCALL_COLUMNS.items():
        if col not in raw.columns:
            continue
        v = _as_float(raw, col, where, 2, required=False)
        if (v < 0).any():
            i = int((v < 0).arg_max() or 0)
            raise _fail(where, i + 2, col, f"expected a ratio >= 0, got {v[i]}")
        # 0 is "no trades counted" (2025-01-09, the national day of mourning): no reading.
        zeros += int((v == 0).sum())
        values[series] = v.set(v == 0, None)
    notes = _missing_days_note(dates)
    if zeros:
        notes = (*notes, f"{zeros} zero ratio(s) read as no reading")
    return SentimentFile(path, "putcall", _sentiment_frame(dates, values), notes)


def _missing_days_note(dates: pl.Series) -> tuple[str, ...]:
    gaps = dates.sort().diff().dt.total_days()
    long_gaps = int((gaps > 5).sum())
    return (f"warning: {long_gaps} gap(s) of more than 5 days between rows",) if long_gaps else ()


def _claims_excel(kind: str) -> Callable[[Path], bool]:
    """AAII (``.xls``) or NAAIM (``.xlsx``): by the sheet's header, not the file name."""

    def claims(path: Path) -> bool:
        name = path.name.lower()
        if not name.endswith((".xls", ".xlsx")):
            return False
        try:
            head = pl.read_excel(path, engine="calamine", has_header=False,
                                 read_options={"n_rows": 12, "dtypes": "string"})
        except Exception:  # unreadable: not ours to claim (it is skipped and named as such)
            return False
        cells = {str(v).strip().lower() for row in head.iter_rows() for v in row if v is not None}
        if kind == "aaii":
            return all(n in cells for n in _AAII_NAMES)
        return "mean/average" in cells or "naaim number" in cells

    return claims


# -- handlers -------------------------------------------------------------

def _write_positioning(store: Store, item: PositioningFile) -> dict[str, UpsertCounts]:
    return {f"positioning:{item.report}": write_positioning(store, item.frame, f"file:{item.path.name}")}


def _write_many_positioning(store: Store, items: list[PositioningFile]) -> list[dict[str, UpsertCounts]]:
    counts = write_positioning_many(store, [(f"file:{it.path.name}", it.frame) for it in items])
    return [{f"positioning:{it.report}": c} for it, c in zip(items, counts, strict=True)]


def _write_sentiment(store: Store, item: SentimentFile) -> dict[str, UpsertCounts]:
    return {f"sentiment:{item.kind}": write_sentiment(store, item.frame, f"file:{item.path.name}")}


def positioning_handlers(factory: Callable[..., H]) -> list[H]:
    """The import handlers of this module, for ``importer.HANDLERS`` (before the bars handler)."""
    return [
        factory("cftc-tff", _claims_tff, lambda p, _o: read_tff_zip(p), _write_positioning, _write_many_positioning),
        factory("cftc-legacy", _claims_legacy, lambda p, _o: read_legacy_csv(p), _write_positioning,
                _write_many_positioning),
        factory("aaii", _claims_excel("aaii"), lambda p, _o: read_aaii(p), _write_sentiment),
        factory("naaim", _claims_excel("naaim"), lambda p, _o: read_naaim(p), _write_sentiment),
        factory("putcall", _claims_putcall, lambda p, _o: read_putcall(p), _write_sentiment),
    ]


__all__ = [
    "OI_TOLERANCE",
    "PositioningFile",
    "SentimentFile",
    "legacy_contract",
    "positioning_handlers",
    "read_aaii",
    "read_legacy_csv",
    "read_naaim",
    "read_putcall",
    "read_tff_zip",
]
