"""Shared fixtures: the real data set, a store filled from it, named edge-case frames."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

# Rich sizes its consoles once, when the CLI modules are imported, from $COLUMNS (80 when
# stdout is not a terminal): fix the width before any of them is, so a table never folds
# differently in a terminal, under pytest-xdist workers or in CI.
os.environ["COLUMNS"] = "200"

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from rotation.data.schema import BAR_SCHEMA


def _shared_data() -> Path:
    env = os.environ.get("ROTATION_TEST_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


SHARED_DATA = _shared_data()


@pytest.fixture(autouse=True)
def _no_user_plans(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never read the developer's saved plans (``~/.config/rotation/plans``)."""
    monkeypatch.setenv("ROTATION_PLANS", str(tmp_path_factory.getbasetemp() / "no-saved-plans"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (or ``$ROTATION_TEST_DATA``); skips when absent."""
    if not (SHARED_DATA / "RUT.csv").is_file():
        pytest.skip(f"real data not found at {SHARED_DATA} (set ROTATION_TEST_DATA)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def real_store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store file filled by importing all of ``../shared/data`` once per session.

    Tests open it read-only (``Store(path, read_only=True)`` or ``--store``); a
    test that writes must copy it first (:func:`store_copy`).
    """
    from rotation.data.importer import import_paths
    from rotation.data.store import Store

    path = tmp_path_factory.mktemp("store") / "real.duckdb"
    with Store(path) as st:
        import_paths(st, [shared_data])
    return path


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store filled from the embedded sample (2023-01-03..2024-12-31), as ``rotation demo`` does.

    Needs nothing outside the package: the core real-data tests run on it when
    ``../shared/data`` is absent.  Open it read-only.
    """
    from rotation.data.sample import fill_store

    return fill_store(tmp_path_factory.mktemp("sample") / "demo.duckdb").store


@pytest.fixture
def store_copy(real_store: Path, tmp_path: Path) -> Path:
    """A private, writable copy of :func:`real_store`."""
    dest = tmp_path / "copy.duckdb"
    dest.write_bytes(real_store.read_bytes())
    return dest


@pytest.fixture(scope="session")
def damaged_store(real_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of :func:`real_store` with junk in every block that holds bars or constituent closes.

    The blocks are found from DuckDB's own storage map, so the damage does not depend on
    where an import happened to lay the tables out (it does vary: thread count, DuckDB
    version); the header and the catalog stay intact, so the file opens and only reads fail.
    Open it read-only.
    """
    dest = tmp_path_factory.mktemp("damaged") / "d.duckdb"
    dest.write_bytes(real_store.read_bytes())
    con = duckdb.connect(str(dest), read_only=True)
    try:
        block_size = int(con.execute("SELECT block_size FROM pragma_database_size()").fetchone()[0])
        blocks: set[int] = set()
        for table in ("bars", "constituent_closes"):
            for block_id, extra in con.execute(
                f"SELECT block_id, additional_block_ids FROM pragma_storage_info('{table}') WHERE block_id >= 0"
            ).fetchall():
                blocks.update([block_id, *(extra or [])])
    finally:
        con.close()
    assert len(blocks) > 10, blocks
    header = 3 * 4096  # DuckDB's file header and its two database headers come before block 0
    junk = bytes((i * 131 + 7) % 256 for i in range(4096))
    with dest.open("r+b") as fh:
        for block_id in sorted(blocks):
            fh.seek(header + block_id * block_size + 8192)
            fh.write(junk)
    return dest


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def cli(runner: CliRunner) -> Callable[..., object]:
    """Run the ``rotation`` command in-process: ``cli("data", "list", "--json")``."""
    from rotation.cli.main import app

    def run(*args: str, input: str | None = None) -> object:
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    return run


def weekdays(n: int, start: date = date(2024, 1, 1)) -> tuple[date, ...]:
    """The first ``n`` weekdays (Monday to Friday) from ``start``: the sessions of synthetic frames."""
    out: list[date] = []
    d = start
    while len(out) < n:
        if d.weekday() < 5:
            out.append(d)
        d += timedelta(days=1)
    return tuple(out)


def random_panel(n: int = 600, k: int = 4, seed: int = 2, gap: float = 0.005) -> Any:
    """A :class:`rotation.backtest.strategies.Panel` of ``k`` random walks ``S0..`` on weekdays from
    2018: opens off the last close by ``gap`` (standard deviation), highs and lows about them."""
    import numpy as np

    from rotation.backtest.strategies import Panel

    rng = np.random.default_rng(seed)
    c = 50 * np.cumprod(1 + rng.normal(0.0004, 0.015, size=(n, k)), axis=0)
    o = np.vstack([c[:1], c[:-1]]) * (1 + rng.normal(0, gap, size=(n, k)))
    h = np.maximum(o, c) * (1 + np.abs(rng.normal(0, 0.006, size=(n, k))))
    lo = np.minimum(o, c) * (1 - np.abs(rng.normal(0, 0.006, size=(n, k))))
    return Panel(weekdays(n, date(2018, 1, 1)), tuple(f"S{i}" for i in range(k)), o, h, lo, c, c * 0.97)


def make_bars(
    symbol: str,
    closes: Sequence[float],
    start: date = date(2024, 1, 2),
    *,
    spread: float = 0.01,
    volume: float = 1_000_000.0,
) -> pl.DataFrame:
    """A bars frame on consecutive weekdays; open = previous close, high/low +-spread."""
    days = list(weekdays(len(closes), start))
    opens = [closes[0], *closes[:-1]]
    return pl.DataFrame(
        {
            "symbol": [symbol] * len(closes),
            "date": days,
            "open": opens,
            "high": [max(o, c) * (1 + spread) for o, c in zip(opens, closes, strict=True)],
            "low": [min(o, c) * (1 - spread) for o, c in zip(opens, closes, strict=True)],
            "close": list(closes),
            "adj_close": list(closes),
            "volume": [volume] * len(closes),
        },
        schema=BAR_SCHEMA,
    )


# Named edge-case frames (see STYLE.md): each is a bars frame.
@pytest.fixture
def single_row() -> pl.DataFrame:
    return make_bars("ONE", [100.0])


@pytest.fixture
def empty_bars() -> pl.DataFrame:
    return pl.DataFrame(schema=BAR_SCHEMA)


@pytest.fixture
def gap_day() -> pl.DataFrame:
    """Day 3 opens 10% above day 2's high (a gap up)."""
    frame = make_bars("GAP", [100.0, 101.0, 112.0, 113.0])
    return frame.with_columns(
        pl.when(pl.col("date") == frame["date"][2]).then(111.5).otherwise(pl.col("open")).alias("open")
    )


@pytest.fixture
def split_day() -> pl.DataFrame:
    """An unapplied 2:1 split on day 3 (close and adjusted close both halve)."""
    return make_bars("SPLT", [100.0, 101.0, 50.4, 50.8])


@pytest.fixture
def duplicated_date() -> pl.DataFrame:
    frame = make_bars("DUP", [100.0, 101.0, 102.0])
    return pl.concat([frame, frame.tail(1)])
