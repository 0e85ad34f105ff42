"""Trades: saved plans and journal entries, replayed through the store, with live stop distances."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from rotation.data.store import Store
from rotation.errors import RotationError
from rotation.trading.alerts import Alert, tranche_alerts
from rotation.trading.journal import JournalEntry, entry_plan, list_entries
from rotation.trading.plan import Plan, load_plan
from rotation.trading.replay import Replay, plan_bars, replay


@dataclass(frozen=True)
class TradeView:
    """One plan (a file, or an open journal entry as a one-tranche plan) replayed to ``as_of``."""

    source: str
    journal: bool
    plan: Plan
    replay: Replay
    alerts: tuple[Alert, ...]  # one per exit rule of each open tranche: distance to the level
    bars: pl.DataFrame  # the bars the replay read (traded and watched symbols)


@dataclass(frozen=True)
class Trades:
    as_of: date | None
    within: float
    items: tuple[TradeView, ...]
    journal: tuple[JournalEntry, ...]  # every entry made by as_of, open or closed
    warnings: tuple[str, ...]


def _view(st: Store, plan: Plan, as_of: date | None, within: float, journal: bool) -> TradeView:
    bars = plan_bars(st, plan, as_of)
    rep = replay(plan, bars, as_of)
    alerts = tranche_alerts(plan, rep, bars, within, real_position=journal)
    return TradeView(plan.source, journal, plan, rep, tuple(alerts), bars)


def trades(
    st: Store, plan_paths: Sequence[Path | str] = (), as_of: date | None = None, within: float = 0.01
) -> Trades:
    """Replay every plan file and every journal entry still open at ``as_of``.

    A plan or entry that cannot be evaluated (unknown symbol, no bars) is skipped
    with a warning naming it; the others are still shown.
    """
    items: list[TradeView] = []
    warnings: list[str] = []
    for path in plan_paths:
        try:
            items.append(_view(st, load_plan(path), as_of, within, False))
        except RotationError as exc:
            warnings.append(f"plan {Path(path).name} skipped: {exc}")
    entries = tuple(e for e in list_entries(st, "all") if as_of is None or e.entry_date <= as_of)
    for e in entries:
        if e.exit_date is not None and (as_of is None or e.exit_date <= as_of):
            continue  # closed by then: its real exit is in the journal
        try:
            items.append(_view(st, entry_plan(e), as_of, within, True))
        except RotationError as exc:
            warnings.append(f"journal entry {e.id} ({e.symbol}) skipped: {exc}")
    for item in items:
        warnings.extend(w for w in item.replay.warnings if w not in warnings)
    return Trades(as_of, within, tuple(items), entries, tuple(warnings))
