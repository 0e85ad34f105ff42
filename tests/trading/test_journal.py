"""The journal: add/list/close/export, idempotent retries, SIGKILL during `journal add`, replays."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from rotation.data.store import Store
from rotation.errors import ConfigError, DataError
from rotation.trading.journal import (
    add_entry,
    close_entry,
    entry_plan,
    export_entries,
    get_entry,
    list_entries,
    parse_stop,
    remove_entry,
)
from rotation.trading.plan import StopRule
from rotation.trading.replay import replay_from_store

IWM_SHORT = {
    "symbol": "iwm", "side": "short", "quantity": 500, "entry_date": date(2024, 7, 19), "entry_price": 217.63,
    "stop": StopRule("watch", 2278.12, "^RUT", "above"),
}


def _seed(path: Path, shared: Path) -> Path:
    """A small store with the bars the journal's entries are checked against."""
    from rotation.data.importer import import_paths

    with Store(path) as st:
        import_paths(st, [shared / "IWM.csv", shared / "SPY.csv", shared / "RUT.csv"])
    return path


@pytest.fixture
def store(tmp_path: Path, shared_data: Path) -> Store:
    st = Store(_seed(tmp_path / "j.duckdb", shared_data))
    yield st
    st.close()


def test_parse_stop_forms() -> None:
    assert parse_stop("220.65") == StopRule("price", 220.65)
    assert parse_stop("rut above 2,278.12") == StopRule("watch", 2278.12, "^RUT", "above")
    assert parse_stop("^RUT<2100") == StopRule("watch", 2100.0, "^RUT", "below")
    with pytest.raises(ConfigError, match="--stop: expected a price"):
        parse_stop("somewhere high")
    with pytest.raises(ConfigError, match="--stop: expected a price > 0"):
        parse_stop("-5")


def test_add_is_idempotent_and_conflicts_are_refused(store: Store) -> None:
    entry, created = add_entry(store, **IWM_SHORT)
    assert created and entry.id.startswith("j-") and entry.symbol == "IWM" and entry.status == "open"
    again, created2 = add_entry(store, **IWM_SHORT)
    assert not created2 and again.id == entry.id
    assert len(list_entries(store)) == 1
    with pytest.raises(DataError, match="already exists with different content"):
        add_entry(store, **{**IWM_SHORT, "quantity": 400}, entry_id=entry.id)
    # Two genuinely identical trades need their own ids.
    twin, created3 = add_entry(store, **IWM_SHORT, entry_id="second-lot")
    assert created3 and twin.id == "second-lot"
    assert {e.id for e in list_entries(store, "open")} == {entry.id, "second-lot"}
    log = store.query("SELECT action, count(*) AS n FROM journal_log GROUP BY action")
    assert log.rows() == [("add", 2)]


def test_close_full_and_partial_with_pnl(store: Store) -> None:
    entry, _ = add_entry(store, **{**IWM_SHORT, "stop": StopRule("price", 220.65), "commission": 1.0})
    part = close_entry(store, entry.id, exit_date=date(2024, 7, 22), exit_price=220.65, quantity=200,
                       commission=1.0, reason="stop")
    assert part.status == "closed" and part.quantity == 200 and part.parent == entry.id
    assert part.pnl == pytest.approx(-200 * (220.65 - 217.63) - 0.4 - 1.0)
    assert round(part.pnl_pct * 100, 2) == -1.39
    # A retried partial close changes nothing.
    assert close_entry(store, entry.id, exit_date=date(2024, 7, 22), exit_price=220.65, quantity=200,
                       commission=1.0, reason="stop").id == part.id
    rest = get_entry(store, entry.id)
    assert rest.quantity == 300 and rest.commission == pytest.approx(0.6) and rest.status == "open"
    # A retried add of the original entry still finds it (its content as first recorded).
    assert add_entry(store, **{**IWM_SHORT, "stop": StopRule("price", 220.65), "commission": 1.0})[1] is False
    done = close_entry(store, entry.id, exit_date=date(2024, 7, 31), exit_price=226.04)
    assert done.status == "closed" and done.exit_reason == "manual"
    assert close_entry(store, entry.id, exit_date=date(2024, 7, 31), exit_price=226.04).id == entry.id
    with pytest.raises(DataError, match="already closed"):
        close_entry(store, entry.id, exit_date=date(2024, 8, 1), exit_price=220.0)
    with pytest.raises(DataError, match="no journal entry 'nope'"):
        close_entry(store, "nope", exit_date=date(2024, 8, 1), exit_price=220.0)
    assert [e.status for e in list_entries(store, "closed")] == ["closed", "closed"]


def test_export_csv_and_json_round_trip(store: Store) -> None:
    entry, _ = add_entry(store, **IWM_SHORT, note="the commentary's trade")
    close_entry(store, entry.id, exit_date=date(2024, 7, 31), exit_price=226.04, quantity=100)
    entries = list_entries(store)
    rows = list(csv.DictReader(io.StringIO(export_entries(entries, "csv"))))
    assert len(rows) == 2 and rows[0]["note"] == "the commentary's trade"
    assert rows[0]["stop_symbol"] == "^RUT" and float(rows[0]["stop_level"]) == 2278.12
    assert float(rows[1]["pnl"]) == pytest.approx(-100 * (226.04 - 217.63))
    data = json.loads(export_entries(entries, "json"))
    assert [d["id"] for d in data] == [r["id"] for r in rows] and data[0]["entry_date"] == "2024-07-19"
    with pytest.raises(ConfigError, match="--format"):
        export_entries(entries, "xml")


def test_empty_or_read_only_store_lists_nothing(tmp_path: Path) -> None:
    path = tmp_path / "empty.duckdb"
    Store(path).close()
    with Store(path, read_only=True) as st:
        assert list_entries(st) == []


def test_open_entry_replays_against_new_data(store_copy: Path) -> None:
    with Store(store_copy) as st:
        entry, _ = add_entry(st, **IWM_SHORT)
        plan = entry_plan(entry)
        rep = replay_from_store(st, plan, date(2024, 7, 30))
        assert rep.tranches[0].status == "open" and rep.tranches[0].stop_checked[0] == date(2024, 7, 22)
        later = replay_from_store(st, plan)
    t = later.tranches[0]
    assert (t.exit_date, t.exit_reason) == (date(2024, 7, 31), "watch-stop")
    assert t.exit_price == pytest.approx(2278.12 * 222.57 / 2243.14)


# -- a killed `journal add` never loses or duplicates an entry ------------------------


def _add_cmd(path: Path) -> list[str]:
    return [sys.executable, "-m", "rotation", "journal", "add", "IWM", "--side", "short", "--quantity", "500",
            "--date", "2024-07-19", "--price", "217.63", "--stop", "^RUT above 2278.12", "--store", str(path)]


def _ids(path: Path) -> list[str]:
    with Store(path, read_only=True) as st:
        return [e.id for e in list_entries(st)]


def test_sigkill_during_journal_add_never_loses_or_duplicates(tmp_path: Path, shared_data: Path) -> None:
    path = _seed(tmp_path / "kill.duckdb", shared_data)
    with Store(path) as st:
        keep, _ = add_entry(st, **{**IWM_SHORT, "symbol": "SPY", "entry_price": 550.0, "stop": None})
    env = {**os.environ, "COLUMNS": "200"}
    # How long an uninterrupted add takes here, on a throwaway store.
    probe = _seed(tmp_path / "probe.duckdb", shared_data)
    t0 = time.monotonic()
    done = subprocess.run(_add_cmd(probe), env=env, capture_output=True, text=True, timeout=120)
    elapsed = time.monotonic() - t0
    assert done.returncode == 0, done.stderr
    killed = 0
    for frac in (0.3, 0.5, 0.65, 0.75, 0.82, 0.88, 0.93, 0.97):
        proc = subprocess.Popen(_add_cmd(path), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(elapsed * frac)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait(timeout=60)
        ids = _ids(path)
        assert keep.id in ids  # nothing lost
        assert len(ids) == len(set(ids)) and len(ids) <= 2  # nothing duplicated
    assert killed >= 1
    final = subprocess.run(_add_cmd(path), env=env, capture_output=True, text=True, timeout=120)
    assert final.returncode == 0, final.stderr
    ids = _ids(path)
    assert len(ids) == 2 and keep.id in ids
    retry = subprocess.run(_add_cmd(path), env=env, capture_output=True, text=True, timeout=120)
    assert retry.returncode == 0 and "already recorded" in retry.stdout
    assert _ids(path) == ids
    with Store(path, read_only=True) as st:
        adds = st.query("SELECT id FROM journal_log WHERE action = 'add'")["id"].to_list()
    assert sorted(adds) == sorted(ids)  # each entry logged exactly once, in its own transaction


# -- validated against the store at add; remove ---------------------------------------------------


def _checksum(store: Store) -> list[tuple]:
    return store.query("SELECT * FROM journal ORDER BY id").rows() if store.table_exists("journal") else []


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"symbol": "NOPEZZ"}, "no bars for NOPEZZ"),
        ({"entry_date": date(2024, 7, 20)}, "Saturday"),
        ({"entry_date": date(2024, 7, 4)}, "holiday"),
        ({"entry_date": date(2031, 1, 2)}, "after the last IWM bar"),
        ({"entry_price": 2176.3}, "near IWM's range on 2024-07-19"),
        ({"stop": StopRule("price", 210.0)}, "a short's stop above its entry price 217.63"),
        ({"side": "long", "stop": StopRule("price", 220.0)}, "a long's stop below"),
        ({"target": 230.0}, "a short's target below"),
        ({"quantity": 1e300}, "--quantity"),
        ({"stop": StopRule("watch", 2278.12, "NOPE2", "above")}, "the stop watches NOPE2"),
    ],
)
def test_add_refuses_what_the_replay_could_not_evaluate(store: Store, change: dict, match: str) -> None:
    add_entry(store, **IWM_SHORT, entry_id="good")
    before = _checksum(store)
    with pytest.raises((DataError, ConfigError), match=match):
        add_entry(store, **{**IWM_SHORT, **change})
    assert _checksum(store) == before


def test_remove_is_logged_takes_closed_parts_and_retries_cleanly(store: Store) -> None:
    entry, _ = add_entry(store, **IWM_SHORT)
    other, _ = add_entry(store, **IWM_SHORT, entry_id="keep")
    part = close_entry(store, entry.id, exit_date=date(2024, 7, 31), exit_price=226.04, quantity=200)
    removed = remove_entry(store, entry.id)
    assert {e.id for e in removed} == {entry.id, part.id}
    assert [e.id for e in list_entries(store)] == [other.id]
    assert remove_entry(store, entry.id) == ()  # a retried remove is a no-op
    log = store.query("SELECT id, action FROM journal_log WHERE action = 'remove' ORDER BY id").rows()
    assert sorted(log) == sorted([(entry.id, "remove"), (part.id, "remove")])
    with pytest.raises(DataError, match="no journal entry 'never'"):
        remove_entry(store, "never")


def test_remove_from_the_cli(cli, tmp_path: Path, shared_data: Path) -> None:
    path = _seed(tmp_path / "r.duckdb", shared_data)
    s = ["--store", str(path)]
    added = json.loads(cli("journal", "add", "IWM", "--side", "short", "-q", "5", "--date", "2024-07-19",
                           "--price", "217.63", *s, "--json").stdout)
    entry_id = added["entry"]["id"]
    out = cli("journal", "remove", entry_id, *s)
    assert out.exit_code == 0 and f"removed {entry_id}" in out.stdout
    again = cli("journal", "remove", entry_id, *s)
    assert again.exit_code == 0 and "already removed" in again.stdout
    assert cli("journal", "remove", "nope", *s).exit_code == 2
