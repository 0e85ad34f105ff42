"""``rotation data import``: read files and folders, validate, write in one transaction.

Each kind of file has an :class:`ImportHandler`: ``claims`` recognises a file
(by name and header), ``load`` parses and validates it without touching the
store, ``write`` stores what ``load`` returned.  Everything is loaded first;
only when every file is good is anything written, in one transaction, so a bad
file or a killed process leaves the store exactly as before.

Files no handler claims are listed as skipped, with the reason.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from rotation.data.constituents import constituent_handlers
from rotation.data.files import BAR_SUFFIXES, BarFile, read_bar_file
from rotation.data.fundamentals import import_handlers as fundamentals_handlers
from rotation.data.handlers import ImportHandler, ImportOptions
from rotation.data.positioning_files import positioning_handlers
from rotation.data.schema import BAR_COLUMNS, BAR_SCHEMA
from rotation.data.splits import SplitFile, split_handlers, stored_splits, write_splits
from rotation.data.store import Store, UpsertCounts
from rotation.data.validate import Finding, hard_findings, jump_findings
from rotation.errors import DataError


@dataclass(frozen=True)
class FileResult:
    path: Path
    kind: str
    counts: dict[str, UpsertCounts]
    notes: tuple[str, ...] = ()

    @property
    def total(self) -> UpsertCounts:
        out = UpsertCounts()
        for c in self.counts.values():
            out = out + c
        return out


@dataclass(frozen=True)
class ImportReport:
    """What an import did: per file, what changed; what was skipped and why."""

    files: tuple[FileResult, ...]
    skipped: tuple[tuple[Path, str], ...] = ()
    store: Path | None = None

    @property
    def total(self) -> UpsertCounts:
        out = UpsertCounts()
        for f in self.files:
            out = out + f.total
        return out

    def by_kind(self) -> dict[str, UpsertCounts]:
        out: dict[str, UpsertCounts] = {}
        for f in self.files:
            out[f.kind] = out.get(f.kind, UpsertCounts()) + f.total
        return out


# -- bars -----------------------------------------------------------------

def peek_header(path: Path) -> list[str]:
    """Lower-cased column names of a CSV/TXT/Parquet file (empty when unreadable)."""
    name = path.name.lower()
    try:
        if name.endswith(".parquet"):
            return [c.lower() for c in pl.read_parquet_schema(path)]
        opener = gzip.open if name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8-sig", errors="replace") as fh:
            line = fh.readline()
    except (OSError, EOFError, pl.exceptions.PolarsError):
        return []
    sep = max((",", ";", "\t"), key=line.count)
    return [c.strip().strip("<>").lower() for c in line.strip().split(sep)]


def _claims_bars(path: Path) -> bool:
    if not path.name.lower().endswith(BAR_SUFFIXES):
        return False
    cols = {c.replace(" ", "").replace("_", "") for c in peek_header(path)}
    has_date = bool(cols & {"date", "datetime", "timestamp", "data"})
    has_close = bool(cols & {"close", "zamkniecie"})
    has_range = bool(cols & {"high", "najwyzszy"}) and bool(cols & {"low", "najnizszy"})
    return has_date and has_close and has_range


def _refusal(path: Path | str, bad: list[Finding]) -> DataError:
    first = min(bad, key=lambda f: (f.line if f.line is not None else 0, f.rule))
    rows = len({f.line for f in bad})
    more = f" ({rows} bad rows in this file)" if rows > 1 else ""
    where = f"{path}:{first.line}" if first.line is not None else f"{path}: {first.symbol}"
    return DataError(
        f"{where}: {first.rule}: {first.message} on {first.date} "
        f"{first.values or ''}{more}; fix the file or pass --keep-bad to import it anyway"
    )


def _load_bars(path: Path, options: ImportOptions) -> BarFile:
    bar_file = read_bar_file(path, options.symbol)
    # Jumps are judged later, against the stored neighbours and the splits known (see _check_jumps).
    bad = hard_findings(bar_file.frame, jumps=False)
    if bad and not options.keep_bad:
        raise _refusal(path, bad)
    if bad:
        bad_lines = {f.line for f in bad}
        dup_lines = {f.line for f in bad if f.rule == "duplicate_date"}
        # Duplicates cannot be stored under one key: keep the last bar of a date.
        frame = bar_file.frame
        if dup_lines:
            frame = frame.unique(subset=["symbol", "date"], keep="last", maintain_order=True)
        notes = (*bar_file.notes, f"kept {len(bad_lines)} row(s) that break hard rules (--keep-bad)")
        return BarFile(bar_file.path, frame, notes)
    return bar_file


def _stored_around(store: Store, frame: pl.DataFrame) -> pl.DataFrame:
    """Stored bars of ``frame``'s symbols over its date range, plus the stored bar on each side."""
    if not store.table_exists("bars") or frame.is_empty():
        return pl.DataFrame(schema=BAR_SCHEMA)
    spans = frame.group_by("symbol").agg(pl.col("date").min().alias("lo"), pl.col("date").max().alias("hi"))
    parts: list[pl.DataFrame] = []
    cols = ", ".join(BAR_COLUMNS)
    for sym, lo, hi in spans.iter_rows():
        parts.append(store.query(
            f"""SELECT {cols} FROM bars WHERE symbol = ? AND date BETWEEN
                coalesce((SELECT max(date) FROM bars WHERE symbol = ? AND date < ?), ?)
                AND coalesce((SELECT min(date) FROM bars WHERE symbol = ? AND date > ?), ?)""",
            [sym, sym, lo, lo, sym, hi, hi],
        ).select([pl.col(c).cast(t) for c, t in BAR_SCHEMA.items()]))
    return pl.concat(parts) if parts else pl.DataFrame(schema=BAR_SCHEMA)


def jump_check(store: Store, frame: pl.DataFrame, splits: pl.DataFrame) -> list[Finding]:
    """``price_jump`` findings of incoming bars judged with their stored neighbours.

    The incoming rows replace stored ones on the same dates; only jumps on an
    incoming row (or on the stored bar right after one) count.  Rows without
    a ``line`` get ``line = 0`` so they count as incoming.
    """
    incoming = frame if "line" in frame.columns else frame.with_columns(pl.lit(0, pl.Int64).alias("line"))
    incoming = incoming.select(*BAR_COLUMNS, pl.col("line").cast(pl.Int64))
    stored = _stored_around(store, incoming).with_columns(pl.lit(None, pl.Int64).alias("line"))
    stored = stored.join(incoming.select("symbol", "date"), on=["symbol", "date"], how="anti")
    merged = pl.concat([stored, incoming]).sort("symbol", "date")
    return jump_findings(merged, splits, only_lines=True)


def _check_jumps(store: Store, loaded: list[tuple[Path, ImportHandler, Any]]) -> None:
    """Refuse a bar file whose rows jump by orders of magnitude with no split to explain it."""
    bar_files = [(p, payload) for p, h, payload in loaded if isinstance(payload, BarFile)]
    if not bar_files:
        return
    symbols = sorted({s for _, b in bar_files for s in b.frame["symbol"].unique().to_list()})
    batch = [payload.frame for _, _, payload in loaded if isinstance(payload, SplitFile)]
    splits = pl.concat([stored_splits(store, symbols), *batch]).unique(["symbol", "date"], keep="last")
    for path, bar_file in bar_files:
        bad = jump_check(store, bar_file.frame, splits)
        if bad:
            raise _refusal(path, bad)


def _write_bars(store: Store, bar_file: BarFile) -> dict[str, UpsertCounts]:
    return store.upsert_bars(bar_file.frame, f"file:{bar_file.path.name}")


def _write_many_bars(store: Store, bar_files: list[BarFile]) -> list[dict[str, UpsertCounts]]:
    """One upsert for files whose symbols do not overlap (a folder of one file per symbol)."""
    symbols = [set(b.frame["symbol"].unique().to_list()) for b in bar_files]
    if sum(len(s) for s in symbols) != len(set().union(*symbols)):
        return [_write_bars(store, b) for b in bar_files]  # overlapping files: in order, file by file
    frame = pl.concat(
        [
            b.frame.select(
                *[pl.col(c).cast(BAR_SCHEMA[c]) for c in BAR_COLUMNS], pl.lit(f"file:{b.path.name}").alias("source")
            )
            for b in bar_files
        ]
    )
    counts = store.upsert("bars", frame, ("symbol", "date"), "", per="symbol")
    return [{sym: counts[sym] for sym in sorted(syms) if sym in counts} for syms in symbols]


BAR_HANDLER = ImportHandler("bars", _claims_bars, _load_bars, _write_bars, _write_many_bars)

# Tried in order; more specific kinds (constituents, fundamentals, splits) go before bars.
HANDLERS: list[ImportHandler] = [
    *constituent_handlers(ImportHandler), *fundamentals_handlers(ImportHandler),
    *positioning_handlers(ImportHandler), *split_handlers(ImportHandler), BAR_HANDLER,
]

_IGNORED_NAMES = {"sources.md", "readme.md", "license", ".gitkeep", "sha256sums"}


def expand_paths(paths: Sequence[Path | str]) -> list[tuple[Path, bool]]:
    """``(file, named)`` for files named (``named=True``) and every file inside folders named
    (recursively, sorted per folder)."""
    out: list[tuple[Path, bool]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            out.extend((p, False) for p in found)
        elif path.is_file():
            out.append((path, True))
        else:
            raise DataError(f"{path}: no such file or folder")
    return out


def import_paths(
    store: Store,
    paths: Sequence[Path | str],
    options: ImportOptions | None = None,
    *,
    handlers: Iterable[ImportHandler] | None = None,
    on_file: Callable[[Path, str], None] | None = None,
    on_write: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import files and folders into ``store`` in one transaction.

    ``on_file(path, kind)`` is called as each file is read, ``on_write(n)``
    once before writing ``n`` files (progress hooks for the CLI).
    """
    options = options or ImportOptions()
    chosen = list(handlers) if handlers is not None else HANDLERS
    files = expand_paths(paths)
    loaded: list[tuple[Path, ImportHandler, Any]] = []
    skipped: list[tuple[Path, str]] = []
    for path, named in files:
        handler = next((h for h in chosen if h.claims(path)), None)
        if handler is None and named and path.name.lower().endswith(BAR_SUFFIXES):
            # A file the user named explicitly is read as bars, so that what is wrong
            # with it (a missing column...) is said instead of skipping it.
            handler = BAR_HANDLER
        if handler is None:
            if path.name.lower() not in _IGNORED_NAMES:
                skipped.append((path, "not a recognised data file (no importer claims it)"))
            continue
        if on_file:
            on_file(path, handler.kind)
        loaded.append((path, handler, handler.load(path, options)))
    if not options.keep_bad:
        _check_jumps(store, loaded)
    if on_write:
        on_write(len(loaded))
    written: dict[int, dict[str, UpsertCounts]] = {}
    with store.transaction():
        for handler in dict.fromkeys(h for _, h, _ in loaded):
            mine = [(i, payload) for i, (_, h, payload) in enumerate(loaded) if h is handler]
            if handler.write_many is not None and len(mine) > 1:
                many = handler.write_many(store, [payload for _, payload in mine])
                written.update({i: counts for (i, _), counts in zip(mine, many, strict=True)})
            else:
                written.update({i: handler.write(store, payload) for i, payload in mine})
        results: list[FileResult] = []
        for i, (path, handler, payload) in enumerate(loaded):
            notes = tuple(getattr(payload, "notes", ()) or ())
            result = FileResult(path, handler.kind, written[i], notes)
            store.log_import(handler.kind, str(path), result.total)
            results.append(result)
    return ImportReport(tuple(results), tuple(skipped), store.path)


def import_frame(
    store: Store, frame: pl.DataFrame, source: str, splits: pl.DataFrame | None = None
) -> dict[str, UpsertCounts]:
    """Validate (hard rules, jumps against the stored bars) and upsert an in-memory bars frame
    in one transaction; ``splits`` (``symbol, date, ratio``, e.g. a provider's) are stored with it."""
    bad = hard_findings(frame, jumps=False)
    if not bad:
        symbols = frame["symbol"].unique().to_list()
        known = pl.concat([stored_splits(store, symbols), *([splits] if splits is not None else [])])
        bad = jump_check(store, frame.drop("line", strict=False), known.unique(["symbol", "date"], keep="last"))
    if bad:
        f = bad[0]
        raise DataError(f"{source}: {f.symbol} {f.date}: {f.rule}: {f.message} {f.values or ''}")
    with store.transaction():
        if splits is not None and not splits.is_empty():
            write_splits(store, splits, source)
        counts = store.upsert_bars(frame, source)
        total = UpsertCounts()
        for c in counts.values():
            total = total + c
        store.log_import("bars", source, total)
    return counts


__all__ = [
    "BAR_HANDLER",
    "HANDLERS",
    "FileResult",
    "ImportHandler",
    "ImportOptions",
    "ImportReport",
    "expand_paths",
    "import_frame",
    "import_paths",
    "peek_header",
]
