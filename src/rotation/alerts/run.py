"""One alerts run: evaluate a rules file, drop what already fired, deliver, remember.

:func:`check` evaluates and splits the firings into new ones and repeats (by the
state table); :func:`deliver` sends the new ones to the webhook and the e-mail
of the rules file; :func:`commit` records them.  ``rotation alerts`` calls the
three in order and prints between the first two, so a failed delivery leaves
the state as it was and the alerts go out again on the next run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rotation.alerts import state
from rotation.alerts.deliver import payload, post_webhook, send_email
from rotation.alerts.evaluate import Firing, evaluate
from rotation.alerts.rules import RuleSet
from rotation.data.store import Store


@dataclass(frozen=True)
class AlertRun:
    """The result of :func:`check`: ``fired`` are new events, ``repeats`` fired on an earlier run."""

    rules: RuleSet
    rules_id: str  # the rules file's resolved path: the state's scope
    as_of: date
    fired: tuple[Firing, ...]
    repeats: tuple[Firing, ...]
    notes: tuple[str, ...] = ()


def rules_id(rules: RuleSet) -> str:
    return str(rules.path.resolve())


def check(store: Store, rules: RuleSet, as_of: date | None = None, *, use_state: bool = True) -> AlertRun:
    """Evaluate ``rules`` as of ``as_of``; with ``use_state``, events fired before become repeats."""
    ident = rules_id(rules)
    ev = evaluate(store, rules, as_of)
    seen = state.already_fired(store, ident, ev.firings) if use_state else set()
    fired = tuple(f for f in ev.firings if (f.rule, f.key) not in seen)
    repeats = tuple(f for f in ev.firings if (f.rule, f.key) in seen)
    return AlertRun(rules, ident, ev.as_of, fired, repeats, ev.notes)


def sessions(store: Store, start: date, end: date | None = None) -> list[date]:
    """The stored sessions from ``start`` to ``end`` (inclusive), for a replay day by day."""
    sql = "SELECT DISTINCT date FROM bars WHERE date >= ?" + (" AND date <= ?" if end else "") + " ORDER BY 1"
    return [r[0] for r in store.connection.execute(sql, [start, end] if end else [start]).fetchall()]


def deliver(run: AlertRun) -> list[str]:
    """Send the new firings to the rules file's webhook and e-mail; what was done, one line each."""
    done: list[str] = []
    if not run.fired:
        return done
    target = run.rules.delivery
    if target.webhook:
        status = post_webhook(target.webhook, payload(run.fired, run.as_of, run.rules_id))
        done.append(f"webhook {target.webhook}: HTTP {status}")
    if target.email:
        send_email(target.email, run.fired, run.as_of, run.rules_id)
        done.append(f"e-mail to {', '.join(target.email.to)} via {target.email.host}:{target.email.port}")
    return done


def commit(store: Store, run: AlertRun) -> None:
    """Remember the new firings so that they do not fire again."""
    state.record(store, run.rules_id, run.fired, run.as_of)


__all__ = ["AlertRun", "check", "commit", "deliver", "rules_id", "sessions"]
