"""Alert rules on rotation itself, read from a TOML file and validated with errors that name file and key.

A rules file holds any number of rules of each kind, plus how to deliver what fired::

    [delivery]                      # optional; the terminal always gets the list
    webhook = "https://example.com/hook"
    [delivery.email]
    host = "smtp.example.com"
    port = 587
    from = "rotation@example.com"
    to = ["me@example.com"]
    starttls = true
    user = "me"                     # the password comes from $ROTATION_SMTP_PASSWORD (password_env)

    [[spread]]                      # a pair's return spread beyond a percentile of its own history
    pairs = "standard"              # or ["^RUT:^NDX", "@megacaps:^RUT"] (@universe: an equal-weight basket)
    percentile = 0.95
    direction = "either"            # toward_a | toward_b | either

    [[rrg]]                         # an RRG quadrant transition
    universe = "sectors"            # or symbols = ["XLK"] with benchmark = "SPY"
    freq = "weekly"
    to = ["leading", "lagging"]     # quadrants entered that count (default: all)

    [[breadth]]                     # a breadth threshold of a constituent universe
    universe = "sp500"
    metric = "above_ma50"
    below = 0.30                    # or above = ...

    [[stops]]                       # every plan's stops and targets (`rotation watch`)
    plans = ["iwm-short-2024-07.toml"]   # relative to this file; default: the journal and the saved plans

    [[positioning]]                 # a CFTC positioning z-score extreme
    contracts = ["RTY"]             # default: RTY, NQ, ES
    groups = ["asset_mgr", "lev_money", "nonrept"]
    z = 2.0                         # |z-score of net| at or beyond, over `weeks` reports
    side = "either"                 # high | low | either

Each rule may set ``name`` (default ``<kind>-<n>``, unique in the file).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from rotation.analytics.events import EVENT_WINDOWS
from rotation.analytics.rrg import DEFAULT_WINDOWS, QUADRANTS
from rotation.data.positioning import CONTRACTS, LEGACY_GROUPS, REPORTS, TFF_GROUPS
from rotation.data.symbols import normalize_symbol
from rotation.data.textio import read_toml
from rotation.errors import ConfigError

DIRECTIONS: tuple[str, ...] = ("toward_a", "toward_b", "either")
BREADTH_METRICS: tuple[str, ...] = (
    "share_up", "share_down", "above_ma20", "above_ma50", "above_ma200", "net_advances",
    "new_highs", "new_lows", "net_new_highs", "mcclellan", "mcclellan_classic",
)
KINDS: tuple[str, ...] = ("spread", "rrg", "breadth", "positioning", "stops")
SIDES: tuple[str, ...] = ("high", "low", "either")


@dataclass(frozen=True)
class SpreadRule:
    """Fires for a pair whose ``window`` spread is at or beyond ``percentile`` of its same-direction days."""

    name: str
    pairs: tuple[tuple[str, str], ...] | None  # None: the standard pairs
    percentile: float = 0.95
    direction: str = "either"
    window: str = "1d"
    min_history: int = 60  # same-direction days needed before a percentile counts
    lookback: int = 1  # sessions up to as-of that are checked
    kind: str = "spread"


@dataclass(frozen=True)
class RrgRule:
    """Fires when a symbol of ``universe`` (or ``symbols``) enters a quadrant listed in ``to``."""

    name: str
    universe: str | None
    symbols: tuple[str, ...] | None
    benchmark: str | None
    freq: str = "weekly"
    to: tuple[str, ...] = QUADRANTS
    from_: tuple[str, ...] = QUADRANTS
    lookback: int = 1  # bars (weeks or sessions) up to as-of that are checked
    kind: str = "rrg"


@dataclass(frozen=True)
class BreadthRule:
    """Fires when ``metric`` of ``universe`` crosses beyond ``above`` or ``below``; once per episode."""

    name: str
    universe: str
    metric: str
    above: float | None = None
    below: float | None = None
    kind: str = "breadth"


@dataclass(frozen=True)
class PositioningRule:
    """Fires when a trader group's net position z-score (trailing ``weeks`` reports) is extreme.

    Reads only reports released by the as-of date; one event per episode (the first
    report of the run of reports beyond the threshold).
    """

    name: str
    contracts: tuple[str, ...]
    groups: tuple[str, ...]
    z: float = 2.0
    side: str = "either"
    report: str = "tff"
    weeks: int = 156
    kind: str = "positioning"


@dataclass(frozen=True)
class StopsRule:
    """Fires for each stop or target that triggered (and, with ``near``, each level within ``within``)."""

    name: str
    plans: tuple[Path, ...] | None  # None: the journal and the saved plans
    within: float = 0.01
    near: bool = True
    kind: str = "stops"


Rule = SpreadRule | RrgRule | BreadthRule | PositioningRule | StopsRule


@dataclass(frozen=True)
class EmailDelivery:
    host: str
    port: int
    sender: str
    to: tuple[str, ...]
    starttls: bool = False
    user: str | None = None
    password_env: str = "ROTATION_SMTP_PASSWORD"
    subject: str = "rotation: {count} alert(s) as of {as_of}"
    timeout: float = 10.0


@dataclass(frozen=True)
class Delivery:
    """Where fired alerts go besides the terminal."""

    webhook: str | None = None
    email: EmailDelivery | None = None


@dataclass(frozen=True)
class RuleSet:
    path: Path
    rules: tuple[Rule, ...]
    delivery: Delivery = field(default_factory=Delivery)

    def where(self, rule: Rule) -> str:
        """``file: kind rule 'name'`` for messages."""
        return f"{self.path}: {rule.kind} rule {rule.name!r}"


class _Reader:
    """Typed access to one TOML table, every error naming the file and the key."""

    def __init__(self, path: Path, prefix: str, table: Mapping[str, Any], allowed: set[str]) -> None:
        self.path, self.prefix, self.table = path, prefix, table
        extra = sorted(set(table) - allowed)
        if extra:
            self.fail(extra[0], f"one of {', '.join(sorted(allowed))} (unknown key)")

    def fail(self, key: str, expected: str) -> NoReturn:
        got = self.table.get(key, None)
        shown = "" if key not in self.table else f", got {got!r}"
        raise ConfigError(f"{self.path}: {self.prefix}.{key}: expected {expected}{shown}")

    def get(self, key: str, kind: type | tuple[type, ...], expected: str, default: Any = None) -> Any:
        if key not in self.table:
            return default
        value = self.table[key]
        if isinstance(value, bool) and kind in (int, float, (int, float)):
            self.fail(key, expected)
        if not isinstance(value, kind):
            self.fail(key, expected)
        return value

    def fraction(self, key: str, default: float | None) -> float | None:
        value = self.get(key, (int, float), "a number", default)
        return None if value is None else float(value)

    def strings(self, key: str, expected: str) -> tuple[str, ...] | None:
        value = self.get(key, list, expected)
        if value is None:
            return None
        if not value or not all(isinstance(v, str) and v.strip() for v in value):
            self.fail(key, expected)
        return tuple(v.strip() for v in value)

    def choices(self, key: str, allowed: tuple[str, ...], default: tuple[str, ...]) -> tuple[str, ...]:
        value = self.strings(key, f"a list of {', '.join(allowed)}")
        if value is None:
            return default
        bad = [v for v in value if v not in allowed]
        if bad:
            raise ConfigError(f"{self.path}: {self.prefix}.{key}: expected a list of {', '.join(allowed)}, "
                              f"got {bad[0]!r}")
        return value


def _operand(text: str) -> str:
    text = text.strip()
    return "@" + text[1:].strip().lower() if text.startswith("@") else normalize_symbol(text)


def _pair(text: str, reader: _Reader, key: str) -> tuple[str, str]:
    parts = text.split(":")
    if len(parts) != 2 or not all(p.strip().lstrip("@") for p in parts):
        reader.fail(key, "pairs as \"A:B\" strings of two symbols or @universe baskets (e.g. \"^RUT:^NDX\", "
                         "\"@megacaps:^RUT\"), or \"standard\"")
    return _operand(parts[0]), _operand(parts[1])


def _spread(r: _Reader, name: str) -> SpreadRule:
    raw = r.table.get("pairs", "standard")
    if raw == "standard":
        pairs = None
    elif isinstance(raw, list) and raw and all(isinstance(p, str) for p in raw):
        pairs = tuple(_pair(p, r, "pairs") for p in raw)
    else:
        r.fail("pairs", "\"standard\" or a list of \"A:B\" strings")
    pct = r.fraction("percentile", 0.95)
    if pct is None or not 0 < pct <= 1:
        r.fail("percentile", "a fraction in (0, 1], e.g. 0.95")
    direction = r.get("direction", str, f"one of {', '.join(DIRECTIONS)}", "either")
    if direction not in DIRECTIONS:
        r.fail("direction", f"one of {', '.join(DIRECTIONS)}")
    window = r.get("window", str, f"one of {', '.join(EVENT_WINDOWS)}", "1d")
    if window not in EVENT_WINDOWS:
        r.fail("window", f"one of {', '.join(EVENT_WINDOWS)}")
    min_history = r.get("min_history", int, "a whole number of days >= 1", 60)
    lookback = r.get("lookback", int, "a whole number of sessions >= 1", 1)
    if min_history < 1:
        r.fail("min_history", "a whole number of days >= 1")
    if lookback < 1:
        r.fail("lookback", "a whole number of sessions >= 1")
    return SpreadRule(name, pairs, float(pct), direction, window, min_history, lookback)


def _rrg(r: _Reader, name: str) -> RrgRule:
    universe = r.get("universe", str, "a universe name (e.g. \"sectors\")")
    symbols = r.strings("symbols", "a list of symbols")
    benchmark = r.get("benchmark", str, "a symbol")
    if (universe is None) == (symbols is None):
        r.fail("universe", "either universe = \"NAME\" or symbols = [...] (with benchmark), not both or neither")
    if symbols is not None and benchmark is None:
        r.fail("benchmark", "a benchmark symbol when symbols are listed")
    freq = r.get("freq", str, "daily or weekly", "weekly")
    if freq not in DEFAULT_WINDOWS:
        r.fail("freq", "daily or weekly")
    lookback = r.get("lookback", int, "a whole number of bars >= 1", 1)
    if lookback < 1:
        r.fail("lookback", "a whole number of bars >= 1")
    return RrgRule(
        name, universe, tuple(normalize_symbol(s) for s in symbols) if symbols else None,
        normalize_symbol(benchmark) if benchmark else None, freq,
        r.choices("to", QUADRANTS, QUADRANTS), r.choices("from", QUADRANTS, QUADRANTS), lookback,
    )


def _breadth(r: _Reader, name: str) -> BreadthRule:
    universe = r.get("universe", str, "a constituent universe (e.g. \"sp500\")")
    if not universe:
        r.fail("universe", "a constituent universe (e.g. \"sp500\")")
    metric = r.get("metric", str, f"one of {', '.join(BREADTH_METRICS)}")
    if metric not in BREADTH_METRICS:
        r.fail("metric", f"one of {', '.join(BREADTH_METRICS)}")
    above, below = r.fraction("above", None), r.fraction("below", None)
    if (above is None) == (below is None):
        r.fail("above", "exactly one of above = X or below = X")
    return BreadthRule(name, universe, metric, above, below)


def _positioning(r: _Reader, name: str) -> PositioningRule:
    report = r.get("report", str, f"one of {', '.join(REPORTS)}", "tff")
    if report not in REPORTS:
        r.fail("report", f"one of {', '.join(REPORTS)}")
    groups_known = TFF_GROUPS if report == "tff" else LEGACY_GROUPS
    contracts = r.choices("contracts", tuple(CONTRACTS), tuple(CONTRACTS))
    groups = r.choices("groups", groups_known, groups_known)
    z = r.fraction("z", 2.0)
    if z is None or z <= 0:
        r.fail("z", "a positive z-score threshold, e.g. 2.0")
    side = r.get("side", str, f"one of {', '.join(SIDES)}", "either")
    if side not in SIDES:
        r.fail("side", f"one of {', '.join(SIDES)}")
    weeks = r.get("weeks", int, "a whole number of reports >= 13", 156)
    if weeks < 13:
        r.fail("weeks", "a whole number of reports >= 13")
    return PositioningRule(name, contracts, groups, float(z), side, report, weeks)


def _stops(r: _Reader, name: str) -> StopsRule:
    plans = r.strings("plans", "a list of plan files (relative to the rules file)")
    within = r.fraction("within", 0.01)
    if within is None or not 0 <= within < 1:
        r.fail("within", "a fraction >= 0 and < 1 (0.01 = 1%)")
    near = r.get("near", bool, "true or false", True)
    resolved = tuple((r.path.parent / p) for p in plans) if plans else None
    return StopsRule(name, resolved, float(within), bool(near))


_KEYS: dict[str, set[str]] = {
    "spread": {"name", "pairs", "percentile", "direction", "window", "min_history", "lookback"},
    "rrg": {"name", "universe", "symbols", "benchmark", "freq", "to", "from", "lookback"},
    "breadth": {"name", "universe", "metric", "above", "below"},
    "positioning": {"name", "contracts", "groups", "z", "side", "report", "weeks"},
    "stops": {"name", "plans", "within", "near"},
}
_PARSERS: dict[str, Callable[[_Reader, str], Rule]] = {
    "spread": _spread, "rrg": _rrg, "breadth": _breadth, "positioning": _positioning, "stops": _stops,
}


def _email(path: Path, table: Any) -> EmailDelivery:
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: delivery.email: expected a table")
    r = _Reader(path, "delivery.email", table,
                {"host", "port", "from", "to", "starttls", "user", "password_env", "subject", "timeout"})
    host = r.get("host", str, "the SMTP server's host name")
    sender = r.get("from", str, "the sender address")
    to = r.strings("to", "a list of recipient addresses")
    if not host:
        r.fail("host", "the SMTP server's host name")
    if not sender or "@" not in sender:
        r.fail("from", "the sender address")
    if not to:
        r.fail("to", "a list of recipient addresses")
    port = r.get("port", int, "a TCP port number", 25)
    if not 0 < port < 65536:
        r.fail("port", "a TCP port number")
    return EmailDelivery(
        host, port, sender, to or (), r.get("starttls", bool, "true or false", False),
        r.get("user", str, "a user name"), r.get("password_env", str, "an environment variable name",
                                                 "ROTATION_SMTP_PASSWORD"),
        r.get("subject", str, "a subject line ({count} and {as_of} are filled in)",
              "rotation: {count} alert(s) as of {as_of}"),
        float(r.fraction("timeout", 10.0) or 10.0),
    )


def _delivery(path: Path, table: Any) -> Delivery:
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: delivery: expected a table")
    r = _Reader(path, "delivery", table, {"webhook", "email", "terminal"})
    webhook = r.get("webhook", str, "an http(s) URL")
    if webhook is not None and not webhook.startswith(("http://", "https://")):
        r.fail("webhook", "an http(s) URL")
    return Delivery(webhook, _email(path, table["email"]) if "email" in table else None)


def parse_rules(data: Mapping[str, Any], path: Path) -> RuleSet:
    """A decoded rules file -> :class:`RuleSet` (errors name ``path`` and the key)."""
    unknown = sorted(set(data) - {*KINDS, "delivery"})
    if unknown:
        raise ConfigError(f"{path}: {unknown[0]}: expected [[spread]], [[rrg]], [[breadth]], [[positioning]], "
                          "[[stops]] or [delivery]")
    rules: list[Rule] = []
    names: set[str] = set()
    for kind in KINDS:
        items = data.get(kind, [])
        if not isinstance(items, list):
            raise ConfigError(f"{path}: {kind}: expected an array of tables ([[{kind}]])")
        for i, table in enumerate(items):
            prefix = f"{kind}[{i}]"
            if not isinstance(table, dict):
                raise ConfigError(f"{path}: {prefix}: expected a table")
            r = _Reader(path, prefix, table, _KEYS[kind])
            name = r.get("name", str, "a rule name", f"{kind}-{i + 1}").strip()
            if not name or name in names:
                r.fail("name", "a non-empty name, unique in the file")
            names.add(name)
            rules.append(_PARSERS[kind](r, name))
    if not rules:
        raise ConfigError(f"{path}: expected at least one rule ([[spread]], [[rrg]], [[breadth]], [[positioning]] or "
                          "[[stops]])")
    return RuleSet(path, tuple(rules), _delivery(path, data.get("delivery", {})))


def load_rules(path: Path | str) -> RuleSet:
    """Read and validate a rules file."""
    path = Path(path)
    return parse_rules(read_toml(path, ConfigError, "rules file"), path)


__all__ = [
    "BREADTH_METRICS",
    "DIRECTIONS",
    "BreadthRule",
    "Delivery",
    "EmailDelivery",
    "PositioningRule",
    "RrgRule",
    "Rule",
    "RuleSet",
    "SpreadRule",
    "StopsRule",
    "load_rules",
    "parse_rules",
]
