"""Alert state in the store (table ``alert_state``): each event fires once, not on every run.

A row per (rules file, rule, event key) that was delivered, with the event's
date, the as-of date of the run that fired it and when.  ``--as-of`` replays
write here too, so replaying a month fires each of its events once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from rotation.alerts.evaluate import Firing
from rotation.data.store import Store

_DDL = """
CREATE TABLE IF NOT EXISTS alert_state (
    rules VARCHAR NOT NULL,
    rule VARCHAR NOT NULL,
    event_key VARCHAR NOT NULL,
    event_date DATE NOT NULL,
    as_of DATE NOT NULL,
    fired_at TIMESTAMP NOT NULL,
    message VARCHAR NOT NULL,
    PRIMARY KEY (rules, rule, event_key)
);
"""


def ensure_table(store: Store) -> None:
    store.ensure(_DDL)


def already_fired(store: Store, rules: str, firings: Sequence[Firing]) -> set[tuple[str, str]]:
    """``(rule, key)`` of the firings that the store says were delivered before."""
    if not firings or not store.table_exists("alert_state"):
        return set()
    rows = store.connection.execute(
        "SELECT rule, event_key FROM alert_state WHERE rules = ?", [rules]
    ).fetchall()
    seen = {(r[0], r[1]) for r in rows}
    return {(f.rule, f.key) for f in firings if (f.rule, f.key) in seen}


def record(store: Store, rules: str, firings: Sequence[Firing], as_of: date) -> None:
    """Remember delivered firings (one transaction; a key seen again is left as it was)."""
    if not firings:
        return
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    with store.transaction() as con:
        ensure_table(store)
        con.executemany(
            "INSERT OR IGNORE INTO alert_state VALUES (?, ?, ?, ?, ?, ?, ?)",
            [[rules, f.rule, f.key, f.event_date, as_of, now, f.message] for f in firings],
        )


def forget(store: Store, rules: str) -> int:
    """Drop the state of one rules file (``rotation alerts --reset``); rows removed."""
    if not store.table_exists("alert_state"):
        return 0
    with store.transaction() as con:
        n = con.execute("SELECT count(*) FROM alert_state WHERE rules = ?", [rules]).fetchall()[0][0]
        con.execute("DELETE FROM alert_state WHERE rules = ?", [rules])
    return int(n)


__all__ = ["already_fired", "ensure_table", "forget", "record"]
