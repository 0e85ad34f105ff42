"""The local store: one DuckDB file holding bars and everything derived from imports.

* Location: ``--store PATH`` on the command line, else ``$ROTATION_STORE``, else
  ``<user data dir>/rotation/rotation.duckdb``.
* Bars are keyed by (symbol, date) and carry provenance (``source``,
  ``imported_at``).  Writes happen only inside :meth:`Store.transaction`: a
  failure, a bad file or a killed process leaves the store as it was.
* DuckDB lets one process at a time open a file for writing; a second one gets
  :class:`StoreBusyError` (after waiting ``busy_timeout`` seconds), never a
  corrupted file.

Other parts of the project keep their own tables in the same file; they
declare them with :meth:`Store.ensure` (idempotent DDL) inside a transaction.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, cast

import duckdb
import platformdirs
import polars as pl

from rotation.data.schema import BAR_COLUMNS, BAR_SCHEMA, PRICE_COLUMNS
from rotation.data.symbols import normalize_symbol
from rotation.errors import (
    DataError,
    OutputError,
    StoreBusyError,
    StoreCorruptError,
    StoreError,
    UnknownSymbolError,
)

SCHEMA_VERSION = 1

_BARS_DDL = """
CREATE TABLE IF NOT EXISTS bars (
    symbol VARCHAR NOT NULL,
    date DATE NOT NULL,
    open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE, adj_close DOUBLE, volume DOUBLE,
    source VARCHAR NOT NULL,
    imported_at TIMESTAMP NOT NULL,
    PRIMARY KEY (symbol, date)
);
CREATE TABLE IF NOT EXISTS imports (
    logged_at TIMESTAMP NOT NULL,
    kind VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    added BIGINT NOT NULL,
    changed BIGINT NOT NULL,
    unchanged BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
"""


def default_store_path() -> Path:
    """``$ROTATION_STORE`` or ``<user data dir>/rotation/rotation.duckdb``."""
    env = os.environ.get("ROTATION_STORE")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("rotation", appauthor=False)) / "rotation.duckdb"


def resolve_store_path(path: Path | str | None) -> Path:
    return Path(path).expanduser() if path else default_store_path()


@dataclass(frozen=True)
class UpsertCounts:
    """Rows added, changed (some value differed), unchanged and removed by one upsert.

    ``removed`` counts stored rows dropped because a file that is a whole list
    (a members list, a holdings file) no longer has them.
    """

    added: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(
            self.added + other.added,
            self.changed + other.changed,
            self.unchanged + other.unchanged,
            self.removed + other.removed,
        )


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _busy_message(path: Path, exc: Exception) -> str:
    pid = re.search(r"PID (\d+)", str(exc))
    who = f"process {pid.group(1)}" if pid else "another process"
    return f"store {path} is busy: {who} has it open for writing; try again when it finishes"


# What DuckDB says when the file's blocks do not read back (random bytes, a truncated copy).
_DAMAGE = re.compile(r"corrupt|checksum|invalidated|serializ|deserializ|failed to read|could not read|"
                     r"unexpected end|out of range.*block|block.*out of range|magic bytes", re.IGNORECASE)


def damage_message(path: Path, exc: BaseException) -> str:
    """One line: the store is damaged, how to check it and how to rebuild it."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return (
        f"store {path} is damaged ({first}); `rotation data verify` lists what reads back; rebuild it "
        "by importing your files into a new store: `rotation data import DIR --store NEW.duckdb`"
    )


def _store_error(path: Path, exc: duckdb.Error) -> StoreError | None:
    """The :class:`StoreError` a DuckDB error stands for, or None when it is a bug in a query."""
    if _DAMAGE.search(str(exc)) or isinstance(exc, (duckdb.SerializationException, duckdb.FatalException)):
        return StoreCorruptError(damage_message(path, exc))
    if isinstance(exc, (duckdb.IOException, duckdb.PermissionException, duckdb.OutOfMemoryException)):
        return StoreError(f"store {path}: {str(exc).strip().splitlines()[0]}")
    return None


class _Guarded:
    """A DuckDB connection (or relation) whose failures from the file become :class:`StoreError`.

    Every call goes through here, the store's own and those of modules that use
    :attr:`Store.connection`, so a damaged file is one clear error wherever it is read.
    """

    __slots__ = ("_path", "_target")

    def __init__(self, target: Any, path: Path) -> None:
        self._target = target
        self._path = path

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                out = attr(*args, **kwargs)
            except duckdb.Error as exc:
                mapped = _store_error(self._path, exc)
                if mapped is None:
                    raise
                raise mapped from exc
            if out is self._target:
                return self
            if isinstance(out, (duckdb.DuckDBPyConnection, duckdb.DuckDBPyRelation)):
                return _Guarded(out, self._path)
            return out

        return call


class Store:
    """An open store.  Use as a context manager, or call :meth:`close`.

    ``read_only=True`` opens an existing file for reading only (several readers
    may share it); it fails with :class:`StoreError` when the file does not exist.
    """

    def __init__(
        self, path: Path | str | None = None, *, read_only: bool = False, busy_timeout: float = 3.0
    ) -> None:
        self.path = resolve_store_path(path)
        self.read_only = read_only
        if read_only and not self.path.exists():
            raise StoreError(
                f"no store at {self.path}: fill it with `rotation data import DIR` (offline) "
                "or `rotation data update` (online)"
            )
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = self._connect(busy_timeout)
        self._ensured: set[str] = set()
        self._in_txn = False
        if not read_only:
            self._con.execute(_BARS_DDL)
            self._con.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
            )
        self._ensured.add(_BARS_DDL)

    def _connect(self, busy_timeout: float) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + busy_timeout
        while True:
            try:
                raw = duckdb.connect(str(self.path), read_only=self.read_only)
                return cast(duckdb.DuckDBPyConnection, _Guarded(raw, self.path))
            except duckdb.IOException as exc:
                text = str(exc).lower()
                if "lock" not in text:
                    if _DAMAGE.search(text):
                        raise StoreCorruptError(damage_message(self.path, exc)) from exc
                    raise StoreError(f"cannot open store {self.path}: {exc}") from exc
                if time.monotonic() >= deadline:
                    raise StoreBusyError(_busy_message(self.path, exc)) from exc
                time.sleep(0.1)
            except duckdb.Error as exc:
                if _DAMAGE.search(str(exc)):
                    raise StoreCorruptError(damage_message(self.path, exc)) from exc
                raise StoreError(f"cannot open store {self.path}: {exc}") from exc

    # -- lifetime -----------------------------------------------------------
    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The raw DuckDB connection (for the data layer's own modules)."""
        return self._con

    # -- writing ------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One all-or-nothing write: commit on success, roll back on any error."""
        if self.read_only:
            raise StoreError(f"store {self.path} is open read-only")
        if self._in_txn:
            yield self._con
            return
        # begin()/commit()/rollback(), not execute("BEGIN"): DuckDB 2 would keep that
        # statement's (empty) result pending and refuse the next `query` on the connection.
        self._con.begin()
        self._in_txn = True
        try:
            yield self._con
        except BaseException:
            self._con.rollback()
            raise
        else:
            self._con.commit()
        finally:
            self._in_txn = False

    def ensure(self, ddl: str) -> None:
        """Run idempotent DDL (``CREATE TABLE IF NOT EXISTS ...``) once per connection."""
        if ddl in self._ensured:
            return
        if not self.read_only:
            self._con.execute(ddl)
        self._ensured.add(ddl)

    def table_exists(self, name: str) -> bool:
        # fetchall, not fetchone: DuckDB keeps a half-read result open otherwise.
        rows = self._con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchall()
        return bool(rows and rows[0][0])

    def upsert(
        self,
        table: str,
        frame: pl.DataFrame,
        key: Sequence[str],
        source: str,
        *,
        per: str | None = None,
        replace_scope: Sequence[str] = (),
    ) -> dict[str, UpsertCounts]:
        """Insert new rows, replace rows whose values differ, leave equal rows alone.

        The one write path of every table that imports keep: ``frame`` holds the
        ``key`` and value columns of ``table`` (which also has ``source`` and
        ``imported_at`` provenance columns, not compared; a ``source`` column in
        ``frame`` overrides the ``source`` argument row by row).  Keys compare
        null-safely.  With ``replace_scope`` (key columns), a file is the whole
        list for the scopes it covers: stored rows of those scopes missing from it
        are removed.  Counts come per value of ``per`` (or under ``""``).  Runs
        inside the current transaction, or opens one.
        """
        if frame.is_empty():
            return {}
        key = list(key)
        # A ``source`` column gives each row its own provenance (not compared, like the argument).
        values = [c for c in frame.columns if c not in key and c != "source"]
        own_source = "source" in frame.columns
        cols = ", ".join(c for c in frame.columns if c != "source")
        on = " AND ".join(f"i.{k} IS NOT DISTINCT FROM t.{k}" for k in key)
        differs = " OR ".join(f"i.{v} IS DISTINCT FROM t.{v}" for v in values) or "false"
        group = f"i.{per}" if per else "''"
        with self.transaction() as con:
            con.register("incoming_rows", frame.to_arrow())
            try:
                con.execute(
                    f"""
                    CREATE OR REPLACE TEMP TABLE row_delta AS
                    SELECT i.*, t.{key[0]} IS NULL AS is_new
                    FROM incoming_rows i LEFT JOIN {table} t ON {on}
                    WHERE t.{key[0]} IS NULL OR {differs}
                    """
                )
                stats = con.execute(
                    f"""
                    SELECT {group} AS g, count(*),
                           count(d.is_new) FILTER (WHERE d.is_new),
                           count(d.is_new) FILTER (WHERE NOT d.is_new)
                    FROM incoming_rows i LEFT JOIN row_delta d
                      ON {" AND ".join(f"i.{k} IS NOT DISTINCT FROM d.{k}" for k in key)}
                    GROUP BY 1
                    """
                ).fetchall()
                removed: dict[str, int] = {}
                if replace_scope:
                    scope_on = " AND ".join(f"s.{k} IS NOT DISTINCT FROM t.{k}" for k in replace_scope)
                    gone = (
                        f"FROM {table} t WHERE EXISTS (SELECT 1 FROM incoming_rows s WHERE {scope_on}) "
                        f"AND NOT EXISTS (SELECT 1 FROM incoming_rows i WHERE {on})"
                    )
                    tgroup = f"t.{per}" if per else "''"
                    removed = {str(g): int(n) for g, n in con.execute(
                        f"SELECT {tgroup}, count(*) {gone} GROUP BY 1").fetchall()}
                    if removed:
                        con.execute(f"DELETE FROM {table} WHERE ({', '.join(key)}) IN "
                                    f"(SELECT ({', '.join('t.' + k for k in key)}) {gone})")
                # Changed rows: delete, then insert with the new ones (fast at any size,
                # with or without a primary key).
                con.execute(
                    f"DELETE FROM {table} t WHERE EXISTS "
                    f"(SELECT 1 FROM row_delta i WHERE NOT i.is_new AND {on})"
                )
                if own_source:
                    con.execute(
                        f"INSERT INTO {table} ({cols}, source, imported_at) SELECT {cols}, source, ? FROM row_delta",
                        [_now()],
                    )
                else:
                    con.execute(
                        f"INSERT INTO {table} ({cols}, source, imported_at) SELECT {cols}, ?, ? FROM row_delta",
                        [source, _now()],
                    )
                con.execute("DROP TABLE row_delta")
            finally:
                con.unregister("incoming_rows")
        out = {
            str(g): UpsertCounts(added=int(a), changed=int(c), unchanged=int(n - a - c))
            for g, n, a, c in stats
        }
        for g, n in removed.items():
            out[g] = out.get(g, UpsertCounts()) + UpsertCounts(removed=n)
        return out

    def upsert_bars(self, frame: pl.DataFrame, source: str) -> dict[str, UpsertCounts]:
        """Upsert a bars frame (extra columns ignored); counts per symbol."""
        incoming = frame.select([pl.col(c).cast(BAR_SCHEMA[c]) for c in BAR_COLUMNS])
        return self.upsert("bars", incoming, ("symbol", "date"), source, per="symbol")

    def log_import(self, kind: str, source: str, counts: UpsertCounts) -> None:
        with self.transaction() as con:
            con.execute(
                "INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?)",
                [_now(), kind, source, counts.added, counts.changed, counts.unchanged],
            )

    # -- reading ------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] | None = None) -> pl.DataFrame:
        """Run a read query and return a Polars frame."""
        table = self._con.sql(sql, params=list(params or [])).to_arrow_table()
        out = pl.from_arrow(table)
        assert isinstance(out, pl.DataFrame)
        return out

    def symbols(self) -> list[str]:
        """Every symbol with bars, sorted."""
        return [r[0] for r in self._con.execute("SELECT DISTINCT symbol FROM bars ORDER BY 1").fetchall()]

    def summary(self) -> pl.DataFrame:
        """One row per symbol: first/last date, rows, sources, last import time."""
        return self.query(
            """
            SELECT symbol, min(date) AS first_date, max(date) AS last_date, count(*) AS rows,
                   string_agg(DISTINCT source, '; ' ORDER BY source) AS source,
                   max(imported_at) AS imported_at
            FROM bars GROUP BY symbol ORDER BY symbol
            """
        )

    def last_dates(self) -> dict[str, date]:
        rows = self._con.execute("SELECT symbol, max(date) FROM bars GROUP BY symbol").fetchall()
        return {sym: d for sym, d in rows}

    def _check_symbols(self, wanted: Sequence[str]) -> None:
        """Raise :class:`UnknownSymbolError` for symbols without any bar in the store."""
        if not wanted:
            return
        placeholders = ", ".join("?" for _ in wanted)
        have = {
            r[0]
            for r in self._con.execute(
                f"SELECT DISTINCT symbol FROM bars WHERE symbol IN ({placeholders})", list(wanted)
            ).fetchall()
        }
        missing = [s for s in wanted if s not in have]
        if missing:
            raise UnknownSymbolError(
                f"no bars for {', '.join(missing)} in store {self.path}: import or update "
                "them first (`rotation data list` shows what the store holds)"
            )

    def bars(
        self,
        symbols: str | Sequence[str],
        start: date | None = None,
        end: date | None = None,
    ) -> pl.DataFrame:
        """Bars of one or more symbols (aliases accepted), long, sorted by symbol and date."""
        if start is not None and end is not None and start > end:
            raise DataError(f"the range starts {start} after it ends {end}: expected start <= end")
        names = [symbols] if isinstance(symbols, str) else list(symbols)
        wanted = [normalize_symbol(s) for s in names]
        placeholders = ", ".join("?" for _ in wanted) or "NULL"
        sql = f"SELECT {', '.join(BAR_COLUMNS)} FROM bars WHERE symbol IN ({placeholders})"
        params: list[Any] = list(wanted)
        if start is not None:
            sql += " AND date >= ?"
            params.append(start)
        if end is not None:
            sql += " AND date <= ?"
            params.append(end)
        sql += " ORDER BY symbol, date"
        out = self.query(sql, params).select([pl.col(c).cast(t) for c, t in BAR_SCHEMA.items()])
        found = set(out["symbol"].unique().to_list())
        # Only a symbol with no row in the range needs the second look: unknown, or just out of range?
        self._check_symbols([s for s in dict.fromkeys(wanted) if s not in found])
        return out

    def closes(
        self,
        symbols: Sequence[str],
        field: str = "adj_close",
        start: date | None = None,
        end: date | None = None,
    ) -> pl.DataFrame:
        """A wide frame: ``date`` then one column per symbol (in the order asked) of ``field``.

        Dates are the union over the symbols; a symbol without a bar that day is null (a
        symbol with no bar in the whole range is an all-null column, never a missing one).
        """
        if field not in (*PRICE_COLUMNS, "volume"):
            raise StoreError(f"unknown price field {field!r}; expected one of {', '.join(PRICE_COLUMNS)}")
        long = self.bars(symbols, start, end)
        wanted = list(dict.fromkeys(normalize_symbol(s) for s in symbols))
        wide = long.pivot(on="symbol", index="date", values=field).sort("date")
        dtype = pl.Int64 if field == "volume" else pl.Float64
        # a symbol with no bar in the range (or an empty range) is an all-null column, not a missing one
        wide = wide.with_columns(pl.lit(None, dtype).alias(s) for s in wanted if s not in wide.columns)
        return wide.select(["date", *wanted])

    def export_parquet(self, folder: Path | str) -> int:
        """Write all bars to ``folder/symbol=<SYM>/*.parquet``; returns the row count."""
        dest = Path(folder)
        try:
            dest.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{dest}: cannot write the export: {exc.strerror or exc}") from None
        rows = self._con.execute("SELECT count(*) FROM bars").fetchall()
        target = str(dest).replace("'", "''")
        try:
            self._con.execute(
                f"COPY (SELECT * FROM bars ORDER BY symbol, date) TO '{target}' "
                "(FORMAT PARQUET, PARTITION_BY (symbol), OVERWRITE_OR_IGNORE true)"
            )
        except StoreCorruptError:
            raise
        except StoreError as exc:  # DuckDB's I/O error writing the folder, mapped by _Guarded
            raise OutputError(f"{dest}: cannot write the export: {exc.__cause__ or exc}") from None
        return int(rows[0][0]) if rows else 0


def open_store(path: Path | str | None = None, *, read_only: bool = False) -> Store:
    """Open the store at ``path`` (default: see :func:`default_store_path`)."""
    return Store(path, read_only=read_only)
