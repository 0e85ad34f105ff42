"""The trade journal: real positions kept in the store, next to the bars.

Each entry is one position (symbol, side, shares, entry date and price) with an
optional stop (a price on the traded instrument, or a level on another
instrument) and target.  Every change is one transaction and is logged in
``journal_log``; a change never half-happens.

Idempotency: an entry's ``id`` is its key.  Without ``entry_id`` the id is a
hash of the entry's content, so retrying the same ``journal add`` (after a
crash or a kill) finds the entry already there and adds nothing; an entry with
the same id but different content is refused.  Two genuinely identical trades
need distinct ids (``--id``).  A partial close splits the entry: the closed
part gets a deterministic id (``<id>.c<hash>``), so a retried close is a no-op.

Prices are as-traded; money P&L is net of both commissions.

Validation against the store, at ``add`` (as ``trade replay`` validates a plan):
the symbol (and a watched stop's symbol) must have bars, the entry date must
be a day with a bar of the symbol (not a weekend or holiday, not after the
last stored bar), the price must lie near that bar's low-high range (within
:data:`PRICE_SLACK`; stored bars are split-adjusted, so is the price), a price
stop and a target must sit on the right side of the entry, and quantities and
money must be plausible.  ``remove`` deletes an entry (and the parts closed
from it) in one transaction, logged like ``add``; retrying a remove that
already happened is a no-op.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any

from rotation.data.store import Store
from rotation.data.symbols import normalize_symbol
from rotation.data.validate import MAX_PRICE
from rotation.errors import ConfigError, DataError, UnknownSymbolError
from rotation.trading.plan import (
    FILL_MODELS,
    MAX_MONEY,
    MAX_SHARES,
    SIDES,
    Costs,
    Entry,
    Plan,
    Size,
    StopRule,
    Target,
    Tranche,
    wrong_side,
)

#: How far outside the day's low-high range an entry price may lie (fills before or after
#: the session, rounding); beyond it the price is a typo or on another price basis.
PRICE_SLACK = 0.25

JOURNAL_DDL = """
CREATE TABLE IF NOT EXISTS journal (
    id VARCHAR PRIMARY KEY,
    created_at TIMESTAMP NOT NULL,
    symbol VARCHAR NOT NULL,
    side VARCHAR NOT NULL,
    quantity DOUBLE NOT NULL,
    entry_date DATE NOT NULL,
    entry_price DOUBLE NOT NULL,
    commission DOUBLE NOT NULL,
    stop_symbol VARCHAR,
    stop_direction VARCHAR,
    stop_level DOUBLE,
    fill_model VARCHAR NOT NULL,
    target DOUBLE,
    plan VARCHAR,
    note VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    exit_date DATE,
    exit_price DOUBLE,
    exit_commission DOUBLE,
    exit_reason VARCHAR,
    closed_at TIMESTAMP,
    parent VARCHAR,
    digest VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS journal_log (
    logged_at TIMESTAMP NOT NULL,
    id VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    detail VARCHAR NOT NULL
);
"""

_COLUMNS = (
    "id", "created_at", "symbol", "side", "quantity", "entry_date", "entry_price", "commission",
    "stop_symbol", "stop_direction", "stop_level", "fill_model", "target", "plan", "note", "status",
    "exit_date", "exit_price", "exit_commission", "exit_reason", "closed_at", "parent",
)


@dataclass(frozen=True)
class JournalEntry:
    """One journal position.  ``stop_symbol`` is None for a stop on the traded
    instrument (``stop_level`` is then its price)."""

    id: str
    created_at: datetime
    symbol: str
    side: str
    quantity: float
    entry_date: date
    entry_price: float
    commission: float
    stop_symbol: str | None
    stop_direction: str | None
    stop_level: float | None
    fill_model: str
    target: float | None
    plan: str | None
    note: str
    status: str
    exit_date: date | None = None
    exit_price: float | None = None
    exit_commission: float | None = None
    exit_reason: str | None = None
    closed_at: datetime | None = None
    parent: str | None = None

    @property
    def sign(self) -> int:
        return 1 if self.side == "long" else -1

    @property
    def stop(self) -> StopRule | None:
        if self.stop_level is None:
            return None
        if self.stop_symbol is None:
            return StopRule("price", self.stop_level)
        return StopRule("watch", self.stop_level, self.stop_symbol, self.stop_direction)

    @property
    def pnl(self) -> float | None:
        """Realized money P&L net of both commissions (None while open)."""
        if self.exit_price is None:
            return None
        gross = self.sign * (self.exit_price - self.entry_price) * self.quantity
        return gross - self.commission - (self.exit_commission or 0.0)

    @property
    def pnl_pct(self) -> float | None:
        """Realized side-aware price return (fraction, before commissions)."""
        if self.exit_price is None:
            return None
        return self.sign * (self.exit_price / self.entry_price - 1.0)


def parse_stop(text: str, option: str = "--stop") -> StopRule:
    """``220.65`` (traded instrument), ``"^RUT above 2278.12"`` or ``"^RUT>2278.12"``."""
    raw = text.strip()
    try:
        level = float(raw)
    except ValueError:
        pass
    else:
        if not (math.isfinite(level) and level > 0):
            raise ConfigError(f"{option}: expected a price > 0, got {text!r}")
        return StopRule("price", level)
    m = re.fullmatch(r"\s*([\^\w.\-=]+)\s*(above|below|>|<)\s*([0-9][0-9,]*\.?[0-9]*)\s*", raw, re.IGNORECASE)
    if not m:
        raise ConfigError(
            f"{option}: expected a price (220.65) or a level on another instrument "
            f"('^RUT above 2278.12', '^RUT>2278.12'), got {text!r}"
        )
    direction = {"above": "above", ">": "above", "below": "below", "<": "below"}[m.group(2).lower()]
    return StopRule("watch", float(m.group(3).replace(",", "")), normalize_symbol(m.group(1)), direction)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _digest(parts: dict[str, Any]) -> str:
    text = json.dumps({k: (v.isoformat() if isinstance(v, date) else v) for k, v in parts.items()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _row_to_entry(row: dict[str, Any]) -> JournalEntry:
    return JournalEntry(**{f.name: row[f.name] for f in fields(JournalEntry)})


def _select(store: Store, where: str = "", params: list[Any] | None = None) -> list[JournalEntry]:
    if not store.table_exists("journal"):
        return []
    # execute + fetchall (not Store.query): DuckDB refuses a relation query on a
    # connection with a pending execute() result, as inside a transaction.
    rows = store.connection.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM journal {where} ORDER BY entry_date, created_at, id", params or []
    ).fetchall()
    return [_row_to_entry(dict(zip(_COLUMNS, r, strict=True))) for r in rows]


def _log(con: Any, entry_id: str, action: str, detail: dict[str, Any]) -> None:
    con.execute("INSERT INTO journal_log VALUES (?, ?, ?, ?)",
                [_now(), entry_id, action, json.dumps(detail, default=str, sort_keys=True)])


def _check_number(value: float, name: str, *, allow_zero: bool = False, limit: float | None = None) -> float:
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ConfigError(f"{name}: expected a number {'>= 0' if allow_zero else '> 0'}, got {value!r}")
    if limit is not None and value > limit:
        raise ConfigError(f"{name}: expected a number <= {limit:g}, got {value!r}")
    return float(value)


def _weekday(day: date) -> str:
    return day.strftime("%A")


def check_against_store(store: Store, content: dict[str, Any]) -> None:
    """Refuse an entry the replay could not evaluate: unknown symbol, no bar on the entry
    date, a price far from that bar, a stop or target on the wrong side (see the module doc)."""
    sym, day, price, side = content["symbol"], content["entry_date"], content["entry_price"], content["side"]
    try:
        bar = store.bars(sym, day, day)
    except UnknownSymbolError as exc:
        raise DataError(f"journal add {sym}: {exc}") from None
    if bar.is_empty():
        last = store.query("SELECT max(date) AS d FROM bars WHERE symbol = ?", [sym])["d"][0]
        if last is not None and day > last:
            why = f"it is after the last {sym} bar in the store ({last}); update the bars first"
        elif day.weekday() >= 5:
            why = f"it is a {_weekday(day)}, not a trading session"
        else:
            why = "there is no bar that day (a market holiday?)"
        raise DataError(f"--date: expected a day with a bar for {sym}, got {day} ({why})")
    low, high = float(bar["low"][0]), float(bar["high"][0])
    if not low * (1 - PRICE_SLACK) <= price <= high * (1 + PRICE_SLACK):
        raise DataError(
            f"--price: expected a price near {sym}'s range on {day} ({low:,.2f} to {high:,.2f}, as traded and "
            f"split-adjusted as stored), got {price:g}"
        )
    if content["stop_symbol"]:
        try:
            store.bars(content["stop_symbol"], day, None)
        except UnknownSymbolError as exc:
            raise DataError(f"--stop: the stop watches {content['stop_symbol']}: {exc}") from None
    elif content["stop_level"] is not None:
        bad_stop = wrong_side(side, price, content["stop_level"], "stop")
        if bad_stop:
            raise ConfigError(f"--stop: expected {bad_stop}")
    if content["target"] is not None:
        bad_target = wrong_side(side, price, content["target"], "target")
        if bad_target:
            raise ConfigError(f"--target: expected {bad_target}")


def add_entry(
    store: Store,
    *,
    symbol: str,
    side: str,
    quantity: float,
    entry_date: date,
    entry_price: float,
    stop: StopRule | None = None,
    target: float | None = None,
    fill_model: str = "mapped",
    commission: float = 0.0,
    plan: str | None = None,
    note: str = "",
    entry_id: str | None = None,
) -> tuple[JournalEntry, bool]:
    """Record a position in one transaction; returns (entry, created).

    ``created`` is False when an identical entry with this id already exists
    (a retried add).  The same id with different content raises :class:`DataError`.
    """
    if side not in SIDES:
        raise ConfigError(f"--side: expected long or short, got {side!r}")
    if fill_model not in FILL_MODELS:
        raise ConfigError(f"--fill: expected one of {', '.join(FILL_MODELS)}, got {fill_model!r}")
    if stop is not None and stop.kind == "pct":
        stop = StopRule("price", entry_price * (1 - stop.level * (1 if side == "long" else -1)))
    content: dict[str, Any] = {
        "symbol": normalize_symbol(symbol),
        "side": side,
        "quantity": _check_number(float(quantity), "--quantity", limit=MAX_SHARES),
        "entry_date": entry_date,
        "entry_price": _check_number(float(entry_price), "--price", limit=MAX_PRICE),
        "commission": _check_number(float(commission), "--commission", allow_zero=True, limit=MAX_MONEY),
        "stop_symbol": stop.symbol if stop and stop.kind == "watch" else None,
        "stop_direction": stop.direction if stop and stop.kind == "watch" else None,
        "stop_level": stop.level if stop else None,
        "fill_model": fill_model,
        "target": _check_number(float(target), "--target", limit=MAX_PRICE) if target is not None else None,
        "plan": plan,
        "note": note,
    }
    if content["stop_level"] is not None:
        _check_number(float(content["stop_level"]), "--stop", limit=MAX_PRICE)
    check_against_store(store, content)
    digest = _digest(content)
    key = entry_id.strip() if entry_id else "j-" + digest
    if not key:
        raise ConfigError("--id: expected a non-empty id")
    store.ensure(JOURNAL_DDL)
    with store.transaction() as con:
        # Compare the digest of the content as first recorded: a later partial
        # close changes the row, not what a retried add would send.
        found = con.execute("SELECT digest FROM journal WHERE id = ?", [key]).fetchall()
        if found:
            if found[0][0] == digest:
                return get_entry(store, key), False
            raise DataError(f"journal entry {key} already exists with different content; use another --id")
        row = {"id": key, "created_at": _now(), **content, "status": "open", "exit_date": None,
               "exit_price": None, "exit_commission": None, "exit_reason": None, "closed_at": None,
               "parent": None}
        con.execute(
            f"INSERT INTO journal ({', '.join(_COLUMNS)}, digest) VALUES ({', '.join('?' for _ in _COLUMNS)}, ?)",
            [*(row[c] for c in _COLUMNS), digest],
        )
        _log(con, key, "add", content)
    return _row_to_entry(row), True


def list_entries(store: Store, status: str = "all") -> list[JournalEntry]:
    """Entries ordered by entry date; ``status`` is ``open``, ``closed`` or ``all``."""
    if status not in ("open", "closed", "all"):
        raise ConfigError(f"--status: expected open, closed or all, got {status!r}")
    if status == "all":
        return _select(store)
    return _select(store, "WHERE status = ?", [status])


def get_entry(store: Store, entry_id: str) -> JournalEntry:
    found = _select(store, "WHERE id = ?", [entry_id])
    if not found:
        raise DataError(f"no journal entry {entry_id!r} in store {store.path} (`rotation journal list` shows them)")
    return found[0]


def close_entry(
    store: Store,
    entry_id: str,
    *,
    exit_date: date,
    exit_price: float,
    quantity: float | None = None,
    commission: float = 0.0,
    reason: str = "manual",
) -> JournalEntry:
    """Close an entry (or ``quantity`` shares of it) in one transaction; returns the closed part.

    A partial close moves the closed shares to a new closed entry and leaves the
    rest open.  Retrying the same close returns the already-closed part.
    """
    _check_number(exit_price, "--price")
    _check_number(commission, "--commission", allow_zero=True)
    store.ensure(JOURNAL_DDL)
    with store.transaction() as con:
        entry = get_entry(store, entry_id)
        detail = {"exit_date": exit_date, "exit_price": exit_price, "commission": commission, "reason": reason}
        if quantity is not None and quantity != entry.quantity:
            child = f"{entry_id}.c{_digest({**detail, 'quantity': quantity})[:8]}"
            done = _select(store, "WHERE id = ?", [child])
            if done:
                return done[0]
            if entry.status != "open":
                raise DataError(f"journal entry {entry_id} is already closed")
            _check_number(quantity, "--quantity")
            if quantity > entry.quantity:
                raise ConfigError(f"--quantity: expected at most the open {entry.quantity:g} shares, got {quantity:g}")
            share = quantity / entry.quantity
            con.execute("UPDATE journal SET quantity = quantity - ?, commission = commission - ? WHERE id = ?",
                        [quantity, entry.commission * share, entry_id])
            values = {f: getattr(entry, f) for f in _COLUMNS}
            values.update(id=child, created_at=_now(), quantity=float(quantity), commission=entry.commission * share,
                          status="closed", exit_date=exit_date, exit_price=float(exit_price), exit_commission=float(commission),
                          exit_reason=reason, closed_at=_now(), parent=entry_id)
            con.execute(
                f"INSERT INTO journal ({', '.join(_COLUMNS)}, digest) VALUES ({', '.join('?' for _ in _COLUMNS)}, ?)",
                [*(values[c] for c in _COLUMNS), child],
            )
            _log(con, entry_id, "partial-close", {**detail, "quantity": quantity, "closed_part": child})
            return _row_to_entry(values)
        if entry.status == "closed":
            if (entry.exit_date, entry.exit_price) == (exit_date, exit_price):
                return entry
            raise DataError(f"journal entry {entry_id} is already closed ({entry.exit_date} at {entry.exit_price})")
        con.execute(
            "UPDATE journal SET status = 'closed', exit_date = ?, exit_price = ?, exit_commission = ?, "
            "exit_reason = ?, closed_at = ? WHERE id = ?",
            [exit_date, exit_price, commission, reason, _now(), entry_id],
        )
        _log(con, entry_id, "close", detail)
    return get_entry(store, entry_id)


def remove_entry(store: Store, entry_id: str) -> tuple[JournalEntry, ...]:
    """Delete an entry and the parts closed from it, in one transaction, logged as ``remove``.

    Returns what was removed; ``()`` when a earlier remove of this id already
    happened (a retry after a crash is a no-op).  An id never recorded is an error.
    """
    store.ensure(JOURNAL_DDL)
    with store.transaction() as con:
        found = _select(store, "WHERE id = ? OR parent = ?", [entry_id, entry_id])
        if not found:
            done = con.execute("SELECT count(*) FROM journal_log WHERE id = ? AND action = 'remove'",
                               [entry_id]).fetchall()
            if done and done[0][0]:
                return ()
            raise DataError(f"no journal entry {entry_id!r} in store {store.path} (`rotation journal list` shows them)")
        if all(e.id != entry_id for e in found):
            raise DataError(f"no journal entry {entry_id!r} in store {store.path} (`rotation journal list` shows them)")
        ids = [e.id for e in found]
        con.execute(f"DELETE FROM journal WHERE id IN ({', '.join('?' for _ in ids)})", ids)
        for e in found:
            detail = {f: getattr(e, f) for f in _COLUMNS}
            _log(con, e.id, "remove", detail)
    return tuple(found)


def export_entries(entries: list[JournalEntry], fmt: str) -> str:
    """Entries as CSV (header + one row each) or JSON (a list of objects), with P&L columns."""
    rows = []
    for e in entries:
        rec = {f: getattr(e, f) for f in _COLUMNS}
        # Money to the cent and returns to 1e-8: float noise (-1681.9999999999993) is not data.
        rec["pnl"] = None if e.pnl is None else round(e.pnl, 2)
        rec["pnl_pct"] = None if e.pnl_pct is None else round(e.pnl_pct, 8)
        rows.append({k: (v.isoformat() if isinstance(v, (date, datetime)) else v) for k, v in rec.items()})
    if fmt == "json":
        return json.dumps(rows, indent=2) + "\n"
    if fmt != "csv":
        raise ConfigError(f"--format: expected csv or json, got {fmt!r}")
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=[*_COLUMNS, "pnl", "pnl_pct"], lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: "" if v is None else v for k, v in r.items()})
    return buf.getvalue()


def entry_plan(entry: JournalEntry) -> Plan:
    """A one-tranche plan that replays a journal entry.

    Exits are checked from the bar after the entry date (the time of the fill
    within its day is unknown); the entry's commission is charged on the exit too.
    """
    tranche = Tranche(
        name=entry.id,
        fraction=1.0,
        entry=Entry("fill", entry.entry_date, entry.entry_price),
        stop=entry.stop,
        target=Target("price", entry.target) if entry.target is not None else None,
        fill_model=entry.fill_model,
    )
    return Plan(
        name=f"journal {entry.id}",
        symbol=entry.symbol,
        side=entry.side,
        size=Size("shares", entry.quantity, whole_shares=False),
        tranches=(tranche,),
        costs=Costs(commission_per_trade=entry.commission),
        note=entry.note,
        source=f"journal:{entry.id}",
    )
