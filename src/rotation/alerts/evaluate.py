"""Evaluate alert rules against the store as of a date: what fired, each with a stable event key.

Every evaluator loads through the query layer (pairs and ``@basket`` operands,
universe prices, constituent breadth) only up to ``as_of`` (the point-in-time
cut), calls the pure analytics (events, rrg) or the trading layer's ``watch``, and
returns :class:`Firing` values.  The event key names the event, not the run:
the same spread day, the same quadrant entry in the same (completed) week, the same breadth
episode (the first day of a run beyond the threshold) or the same stop fill
gives the same key, so :mod:`rotation.alerts.state` can fire it once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import polars as pl

from rotation.alerts.rules import BreadthRule, PositioningRule, Rule, RuleSet, SpreadRule, StopsRule
from rotation.alerts.rules import RrgRule as RrgRuleT
from rotation.analytics.events import pair_events
from rotation.analytics.rrg import RrgParams, quadrant_transitions, rrg
from rotation.data.calendar import nyse_sessions
from rotation.data.positioning import has_positioning, positioning_frame
from rotation.data.store import Store
from rotation.data.universes import pair_kind, standard_pairs
from rotation.errors import ConfigError, DataError
from rotation.query.breadth import universe_breadth
from rotation.query.prices import operand_closes, universe_prices

# Calendar days of constituent history loaded for a breadth rule: the 200-day average and
# 52-week highs need about 300 sessions of warm-up before the as-of day.
BREADTH_DAYS = 460


@dataclass(frozen=True)
class Firing:
    """One event a rule found: ``key`` identifies the event (stable across runs)."""

    rule: str
    kind: str
    key: str
    event_date: date
    subject: str  # the pair, symbol, universe or plan
    message: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Evaluation:
    """What the rules found as of ``as_of`` (the last session on or before the date asked)."""

    as_of: date
    firings: tuple[Firing, ...]
    notes: tuple[str, ...] = ()


def _pct(x: float) -> str:
    return f"{x * 100:+.2f}%"


def _spread(store: Store, rule: SpreadRule, as_of: date, notes: list[str]) -> list[Firing]:
    pairs = list(rule.pairs) if rule.pairs is not None else [(p.a, p.b) for p in standard_pairs()]
    if rule.pairs is None:  # the standard pairs: those the store lacks are left out, and said so
        have = set(store.last_dates())
        gone = [f"{a}:{b}" for a, b in pairs if a not in have or b not in have]
        if gone:
            notes.append(f"{rule.name}: not in the store, left out: {', '.join(gone)}")
        pairs = [(a, b) for a, b in pairs if a in have and b in have]
        if not pairs:
            return []
    symbols = list(dict.fromkeys(s for p in pairs for s in p))
    loaded = operand_closes(store, symbols, end=as_of)  # symbols and @universe baskets
    notes.extend(f"{rule.name}: {n}" for n in loaded.notes)
    closes = loaded.frame
    events = pair_events(closes, pairs, rule.window)
    sessions = closes["date"].sort()
    recent = set(sessions.tail(rule.lookback).to_list())
    hits = events.filter(
        pl.col("date").is_in(list(recent))
        & (pl.col("percentile") >= rule.percentile)
        & (pl.col("count") >= rule.min_history)
    )
    if rule.direction == "toward_a":
        hits = hits.filter(pl.col("spread") > 0)
    elif rule.direction == "toward_b":
        hits = hits.filter(pl.col("spread") < 0)
    firsts = dict(events.group_by("pair").agg(pl.col("date").min()).iter_rows())
    out = []
    for ev in hits.sort("date", "pair").iter_rows(named=True):
        toward = ev["a"] if ev["spread"] > 0 else ev["b"]
        meta = pair_kind(ev["a"], ev["b"])
        kind = f" ({meta.kind}: {meta.label})" if meta else ""
        message = (
            f"{ev['pair']}{kind} {ev['window']} spread {ev['spread'] * 100:+.2f} pts toward {toward} on "
            f"{ev['date']}: {ev['a']} {_pct(ev['return_a'])}, {ev['b']} {_pct(ev['return_b'])}; rank {ev['rank']} "
            f"of {ev['count']} days in {toward}'s favour since {firsts[ev['pair']]} (percentile {ev['percentile'] * 100:.1f}, "
            f"rule >= {rule.percentile * 100:g})"
        )
        out.append(Firing(
            rule.name, "spread", f"{ev['pair']}|{ev['window']}|{ev['date']}", ev["date"], ev["pair"], message,
            {k: ev[k] for k in ("a", "b", "window", "return_a", "return_b", "spread", "pattern", "rank", "count",
                                "percentile", "zscore")} | {"toward": toward},
        ))
    return out


def _week(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _completed_weeks(history: pl.DataFrame, rule: str, as_of: date, notes: list[str]) -> pl.DataFrame:
    """The weekly RRG without its last bar when that week is not complete as of ``as_of``.

    A weekly bar is dated by the week's last session so far, so until the week's last NYSE
    session it is a partial week whose quadrant can still change: a Tuesday bar in leading
    and the Friday bar of the same week in lagging would fire twice (two quadrants entered in
    one week), or a Tuesday bar fire a rotation the week never made.  A week counts once the
    stored bars reach its last session (Friday, or Thursday before a Good Friday).
    """
    if history.is_empty():
        return history
    last: date = history["date"].max()  # type: ignore[assignment]
    monday = _week(last)
    sessions = nyse_sessions(monday, monday + timedelta(days=6))
    if sessions.is_empty() or last >= sessions.max():  # type: ignore[operator]
        return history
    notes.append(f"{rule}: the week of {monday} is not complete (bars up to {last}, as of {as_of}); "
                 "the weekly RRG is judged on the weeks before it")
    return history.filter(pl.col("date") < monday)


def _rrg(store: Store, rule: RrgRuleT, as_of: date, notes: list[str]) -> list[Firing]:
    if rule.universe is not None:
        uni = universe_prices(store, rule.universe, rule.benchmark, as_of)
        symbols, bench, label, closes = uni.symbols, uni.benchmark, rule.universe, uni.adj
        notes.extend(f"{rule.name}: {n}" for n in uni.notes)
    else:
        bench, label = rule.benchmark or "", "symbols"
        symbols = [s for s in (rule.symbols or ()) if s != bench]
        closes = operand_closes(store, [*symbols, bench], end=as_of).frame
    history = rrg(closes, bench, symbols, RrgParams.for_freq(rule.freq))
    if rule.freq == "weekly":
        history = _completed_weeks(history, rule.name, as_of, notes)
    bars = history.select("date").unique().sort("date")["date"]
    recent = bars.tail(rule.lookback).to_list()
    if not recent:
        return []
    moves = quadrant_transitions(history, start=recent[0], end=as_of).filter(
        pl.col("to_quadrant").is_in(list(rule.to)) & pl.col("from_quadrant").is_in(list(rule.from_))
    )
    out = []
    for t in moves.iter_rows(named=True):
        # Weekly: only completed weeks are judged (_completed_weeks); the key is the week.
        period = _week(t["date"]) if rule.freq == "weekly" else t["date"]
        bar = f"week of {period}" if rule.freq == "weekly" else str(t["date"])
        message = (
            f"{t['symbol']} moved from {t['from_quadrant']} to {t['to_quadrant']} against {bench} "
            f"({rule.freq} RRG of {label}, {bar}): RS-Ratio {t['rs_ratio']:.2f}, RS-Momentum {t['rs_momentum']:.2f}"
        )
        out.append(Firing(
            rule.name, "rrg", f"{label}|{bench}|{rule.freq}|{t['symbol']}|{t['to_quadrant']}|{period}", t["date"],
            t["symbol"], message,
            {"benchmark": bench, "freq": rule.freq, "from": t["from_quadrant"], "to": t["to_quadrant"],
             "rs_ratio": t["rs_ratio"], "rs_momentum": t["rs_momentum"]},
        ))
    return out


def _breadth(store: Store, rule: BreadthRule, as_of: date) -> list[Firing]:
    panel = universe_breadth(store, rule.universe, as_of - timedelta(days=BREADTH_DAYS), as_of)
    frame = panel.frame.select("date", rule.metric).drop_nulls()
    if frame.is_empty():
        return []
    if rule.above is not None:
        beyond, level, side = pl.col(rule.metric) > rule.above, rule.above, "above"
    else:
        beyond, level, side = pl.col(rule.metric) < (rule.below or 0.0), rule.below or 0.0, "below"
    flags = frame.with_columns(beyond.alias("beyond"))
    last = flags.row(flags.height - 1, named=True)
    if not last["beyond"]:
        return []
    # The episode: the run of days beyond the threshold that ends on the last session.
    not_beyond = flags.filter(~pl.col("beyond"))
    start = flags.filter(pl.col("date") > not_beyond["date"].max()) if not not_beyond.is_empty() else flags
    began: date = start["date"].min()  # type: ignore[assignment]
    value = last[rule.metric]
    shown = f"{value * 100:.1f}%" if rule.metric.startswith(("share", "above")) else f"{value:,.1f}"
    limit = f"{level * 100:g}%" if rule.metric.startswith(("share", "above")) else f"{level:g}"
    message = (f"{rule.universe} {rule.metric} {shown} on {last['date']}, {side} {limit} since {began} "
               f"({panel.membership} membership)")
    return [Firing(rule.name, "breadth", f"{rule.universe}|{rule.metric}|{side}{level:g}|{began}", last["date"],
                   rule.universe, message, {"metric": rule.metric, "value": value, "threshold": level,
                                            "side": side, "since": began})]


def _positioning(store: Store, rule: PositioningRule, as_of: date, notes: list[str]) -> list[Firing]:
    from rotation.analytics.positioning import group_label, positioning_history

    if not has_positioning(store):  # like a standard pair the store lacks: said, not fatal
        notes.append(f"{rule.name}: the store has no positioning data (`rotation data update --positioning`); "
                     "rule left out")
        return []
    frame = positioning_frame(store, list(rule.contracts), report=rule.report, as_of=as_of)
    if frame.is_empty():
        return []
    hist = positioning_history(frame.filter(pl.col("group").is_in(list(rule.groups))), rule.weeks)
    out = []
    for (contract, group), part in hist.group_by("contract", "group", maintain_order=True):
        part = part.sort("report_date").drop_nulls("zscore")
        if part.is_empty():
            continue
        z = part["zscore"]
        high = z >= rule.z if rule.side != "low" else pl.Series([False] * part.height)
        low = z <= -rule.z if rule.side != "high" else pl.Series([False] * part.height)
        beyond = (high | low).to_list()
        if not beyond[-1]:
            continue
        side = "high" if high[-1] else "low"
        same = (high if side == "high" else low).to_list()
        i = len(same) - 1
        while i > 0 and same[i - 1]:
            i -= 1
        last = part.row(part.height - 1, named=True)
        began = part["report_date"][i]
        message = (
            f"{contract} {group_label(str(group))} net {last['net']:+,} contracts, z {last['zscore']:+.2f} "
            f"({side}; rule |z| >= {rule.z:g} over {last['window_reports']} reports) in the {rule.report} report of "
            f"{last['report_date']} (released {last['release_date']})"
            + (f", beyond since {began}" if began != last["report_date"] else "")
        )
        out.append(Firing(
            rule.name, "positioning", f"{contract}|{rule.report}|{group}|{side}|{began}", last["release_date"],
            f"{contract} {group}", message,
            {"contract": contract, "group": group, "net": last["net"], "zscore": last["zscore"], "side": side,
             "report_date": last["report_date"], "release_date": last["release_date"], "since": began},
        ))
    return out


def _watch_items(store: Store, rule: StopsRule, as_of: date, notes: list[str]) -> list[tuple[Any, pl.DataFrame, bool]]:
    """(plan, bars, is_journal_entry) for ``watch``: the rule's plans, else the journal and saved plans.

    A plan whose first entry is after ``as_of`` has nothing to watch yet and is left out.
    """
    from rotation.trading.journal import entry_plan, list_entries
    from rotation.trading.plan import load_plan, saved_plans
    from rotation.trading.replay import plan_bars

    items: list[tuple[Any, pl.DataFrame, bool]] = []
    plans = [(load_plan(p), False) for p in (rule.plans if rule.plans is not None else saved_plans())]
    if rule.plans is None:
        plans += [(entry_plan(e), True) for e in list_entries(store, "open") if e.entry_date <= as_of]
    for plan, real in plans:
        if plan.first_date > as_of:
            notes.append(f"{rule.name}: {plan.name} enters on {plan.first_date}: nothing to watch before then")
            continue
        items.append((plan, plan_bars(store, plan, as_of), real))
    return items


def _stops(store: Store, rule: StopsRule, as_of: date, notes: list[str]) -> list[Firing]:
    from rotation.trading.alerts import watch

    report = watch(_watch_items(store, rule, as_of, notes), within=rule.within, as_of=as_of)
    out = []
    for a in report.alerts:
        if a.status == "ok" or (a.status == "near" and not rule.near):
            continue
        when = a.fill_date if a.status == "triggered" and a.fill_date else a.last_date
        level = "-" if a.level is None else f"{a.level:g}"
        # A trigger is one event per fill; "near" is one event per level (not re-sent every day).
        key_tail = f"triggered|{when}" if a.status == "triggered" else f"near|{level}"
        distance = "" if a.distance_pct is None else f", {a.distance_pct * 100:.2f}% away"
        message = (f"{a.plan} tranche {a.tranche} ({a.tranche_name}): {a.rule} {a.status} at {level} on "
                   f"{a.instrument}{distance} (last close {a.last_close} on {a.last_date})")
        out.append(Firing(rule.name, "stops", f"{a.source}|{a.tranche}|{a.rule}|{key_tail}", when or as_of,
                          a.plan, message, {"status": a.status, "rule": a.rule, "instrument": a.instrument,
                                            "level": a.level, "distance_pct": a.distance_pct,
                                            "fill_date": a.fill_date, "source": a.source}))
    return out


def resolve_as_of(store: Store, as_of: date | None) -> date:
    """The last stored session on or before ``as_of`` (default: the store's latest)."""
    row: list[tuple[date | None]] = store.connection.execute(
        "SELECT max(date) FROM bars" + (" WHERE date <= ?" if as_of else ""), [as_of] if as_of else []
    ).fetchall()
    day = row[0][0] if row else None
    if day is None:
        raise DataError(f"store {store.path} has no bars" + (f" on or before {as_of}" if as_of else ""))
    return day


def evaluate_rule(store: Store, rule: Rule, as_of: date, notes: list[str]) -> list[Firing]:
    if isinstance(rule, SpreadRule):
        return _spread(store, rule, as_of, notes)
    if isinstance(rule, RrgRuleT):
        return _rrg(store, rule, as_of, notes)
    if isinstance(rule, BreadthRule):
        return _breadth(store, rule, as_of)
    if isinstance(rule, PositioningRule):
        return _positioning(store, rule, as_of, notes)
    return _stops(store, rule, as_of, notes)


def evaluate(store: Store, rules: RuleSet | Sequence[Rule], as_of: date | None = None) -> Evaluation:
    """Every rule as of ``as_of`` (see :func:`resolve_as_of`); errors name the rules file and the rule."""
    day = resolve_as_of(store, as_of)
    items = rules.rules if isinstance(rules, RuleSet) else tuple(rules)
    notes: list[str] = []
    firings: list[Firing] = []
    for rule in items:
        try:
            firings.extend(evaluate_rule(store, rule, day, notes))
        except (ConfigError, DataError) as exc:
            where = rules.where(rule) if isinstance(rules, RuleSet) else f"{rule.kind} rule {rule.name!r}"
            raise type(exc)(f"{where}: {exc}") from None
    return Evaluation(day, tuple(firings), tuple(notes))


__all__ = ["BREADTH_DAYS", "Evaluation", "Firing", "evaluate", "evaluate_rule", "resolve_as_of"]
