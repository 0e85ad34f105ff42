"""Alerts: the latest bars checked against every open stop and target.

Each plan (or journal entry, as a one-tranche plan) is replayed through the
latest bar (or ``as_of``) by the same engine as ``trade replay``; then each
tranche gives one alert per exit rule:

* ``triggered``: the replay exited the tranche on the latest bar, or a
  ``next-open`` stop fired and waits for tomorrow's open; for a journal entry
  (a real position still marked open) any exit since the entry counts, since
  the position has not been closed yet;
* ``near``: still open and the price is within ``within`` (a fraction) of the
  level: distance = how far the last close must move to reach it (on the
  watched instrument for a stop on another instrument);
* ``ok``: open and farther away.

Outputs: the :class:`WatchReport` (rendered by the CLI), a JSON file, and an
optional webhook (JSON POST).  Prices are as-traded closes.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import polars as pl

from rotation.data.textio import write_atomic
from rotation.errors import RotationError
from rotation.trading.plan import Plan
from rotation.trading.replay import Replay, TrancheResult, replay


@dataclass(frozen=True)
class Alert:
    """One exit rule of one open (or just closed) tranche.

    ``distance_pct``: the fraction the last close of ``instrument`` must move to
    reach ``level`` (>= 0 while not reached; None once triggered).
    """

    source: str
    plan: str
    symbol: str
    side: str
    tranche: int
    tranche_name: str
    rule: str  # "stop" | "watch-stop" | "target" | "time-stop" | the exit reason when triggered
    status: str  # "triggered" | "near" | "ok"
    instrument: str
    level: float | None
    last_date: date | None
    last_close: float | None
    distance_pct: float | None
    fill_date: date | None = None
    fill_price: float | None = None
    message: str = ""


@dataclass(frozen=True)
class WatchReport:
    """Every alert, most urgent first; ``triggered``/``near`` count them."""

    generated_at: datetime
    as_of: date | None
    within: float
    alerts: tuple[Alert, ...]
    warnings: tuple[str, ...]

    @property
    def triggered(self) -> int:
        return sum(a.status == "triggered" for a in self.alerts)

    @property
    def near(self) -> int:
        return sum(a.status == "near" for a in self.alerts)


def _last_close(bars: pl.DataFrame, symbol: str) -> tuple[date | None, float | None]:
    rows = bars.filter((pl.col("symbol") == symbol) & pl.col("close").is_not_null()).sort("date").tail(1)
    if rows.is_empty():
        return None, None
    return rows["date"][0], float(rows["close"][0])


def _status(distance: float, within: float) -> str:
    return "near" if distance <= within else "ok"


def tranche_alerts(
    plan: Plan, rep: Replay, bars: pl.DataFrame, within: float, *, real_position: bool = False
) -> list[Alert]:
    """Alerts for every tranche of one replayed plan (see the module docstring)."""
    out: list[Alert] = []
    for t, res in zip(plan.tranches, rep.tranches, strict=True):
        base: dict[str, Any] = {"source": plan.source, "plan": plan.name, "symbol": plan.symbol,
                                "side": plan.side, "tranche": res.index, "tranche_name": res.name}
        if res.status in ("closed", "exit-pending"):
            fired = res.exit_date == rep.last_date or res.status == "exit-pending" or real_position
            if not fired:
                continue
            exit_fill = next((f for f in rep.fills if f.tranche == res.index and f.reason != "entry"), None)
            reason = res.exit_reason or "watch-stop-next-open"
            msg = (f"{reason} on {res.exit_date} at {res.exit_price:,.2f}" if exit_fill
                   else "stop triggered; fills at the next open")
            if real_position:
                msg += "; the journal entry is still open"
            inst = _instrument(t, plan)
            ldate, lclose = _last_close(bars, inst)
            out.append(Alert(**base, rule=reason, status="triggered", instrument=inst,
                             level=_level(t, res), last_date=ldate, last_close=lclose, distance_pct=None,
                             fill_date=exit_fill.date if exit_fill else None,
                             fill_price=exit_fill.price if exit_fill else None, message=msg))
            continue
        if res.status != "open":
            continue
        mark = res.mark_price
        if t.stop is not None and t.stop.kind == "watch" and res.watched_distance_pct is not None:
            sym = t.stop.symbol or ""
            wdate, wclose = _last_close(bars, sym)
            out.append(Alert(**base, rule="watch-stop", status=_status(res.watched_distance_pct, within),
                             instrument=sym, level=t.stop.level, last_date=wdate, last_close=wclose,
                             distance_pct=res.watched_distance_pct,
                             message=f"{sym} {t.stop.direction} {t.stop.level:,.2f}"))
        if res.traded_stop is not None and mark is not None:
            dist = plan.sign * (mark / res.traded_stop - 1.0)
            out.append(Alert(**base, rule="stop", status=_status(dist, within), instrument=plan.symbol,
                             level=res.traded_stop, last_date=res.mark_date, last_close=mark,
                             distance_pct=dist, message=f"stop {res.traded_stop:,.2f}"))
        if res.target_price is not None and mark is not None:
            dist = plan.sign * (res.target_price / mark - 1.0)
            out.append(Alert(**base, rule="target", status=_status(dist, within), instrument=plan.symbol,
                             level=res.target_price, last_date=res.mark_date, last_close=mark,
                             distance_pct=dist, message=f"target {res.target_price:,.2f}"))
    return out


def _instrument(t: Any, plan: Plan) -> str:
    return t.stop.symbol if t.stop is not None and t.stop.kind == "watch" else plan.symbol


def _level(t: Any, res: TrancheResult) -> float | None:
    """The rule's level as written (a watched or traded stop price), when it has one."""
    if res.exit_reason is not None and res.exit_reason.startswith("target"):
        return t.target.level if t.target is not None and t.target.kind == "price" else None
    if t.stop is not None and t.stop.kind in ("watch", "price"):
        return float(t.stop.level)
    return None


def watch(
    items: list[tuple[Plan, pl.DataFrame, bool]], *, within: float = 0.01, as_of: date | None = None
) -> WatchReport:
    """Check each (plan, bars, is_journal_entry) and collect the alerts.

    ``within`` is a fraction (0.01 = 1%).
    """
    alerts: list[Alert] = []
    warnings: list[str] = []
    for plan, bars, real in items:
        if as_of is not None:
            bars = bars.filter(pl.col("date") <= as_of)
        rep = replay(plan, bars, as_of)
        alerts.extend(tranche_alerts(plan, rep, bars, within, real_position=real))
        warnings.extend(w for w in rep.warnings if w not in warnings)
    order = {"triggered": 0, "near": 1, "ok": 2}
    alerts.sort(key=lambda a: (order[a.status], a.distance_pct if a.distance_pct is not None else -1.0))
    return WatchReport(datetime.now(UTC).replace(microsecond=0), as_of, within, tuple(alerts), tuple(warnings))


def _jsonable(alert: Alert) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in asdict(alert).items():
        if isinstance(value, (date, datetime)):
            value = value.isoformat()
        elif isinstance(value, float) and not math.isfinite(value):
            value = None
        out[key] = value
    return out


def report_payload(report: WatchReport) -> dict[str, Any]:
    """The JSON document written to ``--json-out`` and posted to a webhook."""
    return {
        "generated_at": report.generated_at.isoformat(),
        "as_of": report.as_of.isoformat() if report.as_of else None,
        "within": report.within,
        "triggered": report.triggered,
        "near": report.near,
        "alerts": [_jsonable(a) for a in report.alerts],
        "warnings": list(report.warnings),
    }


def write_json(report: WatchReport, path: Path) -> None:
    """Write the payload atomically (a temp file renamed over ``path``)."""
    write_atomic(path, json.dumps(report_payload(report), indent=2, allow_nan=False) + "\n", "JSON payload")


def post_webhook(report: WatchReport, url: str, *, timeout: float = 10.0) -> int:
    """POST the payload as JSON; returns the HTTP status, raises on failure."""
    return post_payload(url, report_payload(report), timeout=timeout)


def post_payload(url: str, document: dict[str, Any], *, timeout: float = 10.0) -> int:
    """POST any JSON document (the webhook of ``watch`` and ``rotation alerts``); the HTTP status."""
    try:
        resp = httpx.post(url, json=document, timeout=timeout)
    except httpx.HTTPError as exc:
        raise RotationError(f"--webhook {url}: request failed: {exc}") from None
    if resp.status_code >= 400:
        raise RotationError(f"--webhook {url}: server answered HTTP {resp.status_code}")
    return resp.status_code


def evaluate(store: Any, plan: Plan, as_of: date | None = None) -> tuple[Replay | None, str | None]:
    """Replay ``plan`` from ``store``: ``(replay, None)``, or ``(None, why)`` when it cannot be
    evaluated (unknown symbol, no bar on its entry date, a stop on the wrong side...)."""
    from rotation.trading.replay import plan_bars

    try:
        bars = plan_bars(store, plan, as_of)
        return replay(plan, bars, as_of), None
    except RotationError as exc:
        return None, str(exc)


def watch_sources(
    store: Any, sources: list[str], *, within: float = 0.01, as_of: date | None = None
) -> WatchReport:
    """Watch plan files and/or ``journal`` (every open journal entry) from ``store``.

    No sources means the journal and every saved plan (:func:`rotation.trading.plan.saved_plans`).
    A journal entry or saved plan that cannot be evaluated is skipped with a warning naming
    it, so one bad entry never switches off the other alerts; a plan file named in
    ``sources`` that fails is an error.
    """
    from rotation.trading.journal import entry_plan, list_entries
    from rotation.trading.plan import load_plan, saved_plans
    from rotation.trading.replay import plan_bars

    items: list[tuple[Plan, pl.DataFrame, bool]] = []
    skipped: list[str] = []
    explicit = bool(sources)
    for src in sources or ["journal", *map(str, saved_plans())]:
        if src == "journal":
            for entry in list_entries(store, "open"):
                plan = entry_plan(entry)
                rep, problem = evaluate(store, plan, as_of)
                if rep is None:
                    skipped.append(f"skipped journal entry {entry.id} ({entry.side} {entry.symbol}): {problem}")
                    continue
                items.append((plan, plan_bars(store, plan, as_of), True))
        elif explicit:
            plan = load_plan(src)
            items.append((plan, plan_bars(store, plan, as_of), False))
        else:
            try:
                plan = load_plan(src)
                bars = plan_bars(store, plan, as_of)
                replay(plan, bars, as_of)
            except RotationError as exc:
                skipped.append(f"skipped saved plan {src}: {exc}")
                continue
            items.append((plan, bars, False))
    report = watch(items, within=within, as_of=as_of)
    return WatchReport(report.generated_at, report.as_of, report.within, report.alerts,
                       (*skipped, *report.warnings))
