"""Does the store read back?  Every value of every table, read once.

A store damaged on disk (random bytes, a bad copy, a failing disk) fails only
when a damaged block is read, which may be months after the damage.
:func:`verify_store` reads every column of every table so that the damage is
found now, and names the tables that do not read back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rotation.data.store import Store, resolve_store_path
from rotation.errors import StoreCorruptError, StoreError


@dataclass(frozen=True)
class TableCheck:
    """One table: its rows when it read back, else the error (``rows`` is then None)."""

    table: str
    rows: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class StoreCheck:
    """The verdict on one store file: ``ok`` when every table read back."""

    path: Path
    tables: tuple[TableCheck, ...]

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables)

    @property
    def damaged(self) -> tuple[str, ...]:
        return tuple(t.table for t in self.tables if not t.ok)


def _tables(store: Store) -> list[str]:
    rows = store.connection.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY 1"
    ).fetchall()
    return [str(r[0]) for r in rows]


def _read_all(store: Store, table: str) -> int:
    # hash() of every column forces every value to be read (count(*) or min/max could be
    # answered from metadata without touching the data blocks).
    quoted = '"' + table.replace('"', '""') + '"'
    row = store.connection.execute(f"SELECT count(*), bit_xor(hash(COLUMNS(*))) FROM {quoted}").fetchall()
    return int(row[0][0]) if row else 0


def _first_line(exc: BaseException) -> str:
    return (str(exc.__cause__ or exc).strip().splitlines() or [type(exc).__name__])[0]


def verify_store(path: Path | str | None = None) -> StoreCheck:
    """Read every table of the store at ``path`` and list those that do not read back.

    A file whose header or catalog is damaged is reported as the one entry
    ``(catalog)``; a missing file or a busy one is :class:`StoreError`.
    """
    where = resolve_store_path(path)
    checks: list[TableCheck] = []
    try:
        store = Store(where, read_only=True)
    except StoreCorruptError as exc:
        return StoreCheck(where, (TableCheck("(catalog)", None, _first_line(exc)),))
    try:
        tables = _tables(store)
    except StoreCorruptError as exc:
        store.close()
        return StoreCheck(where, (TableCheck("(catalog)", None, _first_line(exc)),))
    try:
        for table in tables:
            try:
                checks.append(TableCheck(table, _read_all(store, table)))
            except StoreError as exc:
                checks.append(TableCheck(table, None, _first_line(exc)))
                # A failed read can leave DuckDB's database object unusable: start afresh.
                store.close()
                store = Store(where, read_only=True)
    finally:
        store.close()
    return StoreCheck(where, tuple(checks))
