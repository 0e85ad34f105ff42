"""Trade plans: TOML files describing a position, its tranches, entries and exits.

A plan has one traded instrument, a side (``long``/``short``), a size and one or
more ``[[tranche]]`` tables.  Prices are as-traded (split-adjusted) levels, the
same ``open/high/low/close`` the engine checks.  Fractions (``fraction``,
``pct``, ``trailing_stop``, ``slippage``) are written as fractions (0.05) or as
percent strings (``"5%"``).  See ``docs/trading.md`` for the full format::

    name = "IWM short, July 2024"
    symbol = "IWM"
    side = "short"
    size = { shares = 1000 }
    [[tranche]]
    fraction = 0.5
    entry = { date = 2024-07-19, at = "open" }
    stop = 220.65
    [[tranche]]
    fraction = 0.5
    entry = { date = 2024-07-19, at = "open" }
    stop = { symbol = "^RUT", above = 2278.12 }
    fill = "mapped"

Every validation error is a :class:`PlanError` naming the file, the key and what
was expected.  Beyond types, a plan is refused when a price stop or target sits
on the wrong side of a priced entry (a short stopped below its entry would be
"stopped at entry"; entries at the open or close are checked by the replay,
against that bar), or a size, price or cost is absurd (above
:data:`MAX_SHARES` shares, :data:`MAX_MONEY` in money or the bars' own
:data:`~rotation.data.validate.MAX_PRICE`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from rotation.data.symbols import normalize_symbol
from rotation.data.textio import read_toml
from rotation.data.validate import MAX_PRICE
from rotation.errors import PlanError

Day = date  # a field below is named ``date``
SIDES = ("long", "short")
MAX_SHARES = 1e10  # more shares than any U.S. company has outstanding
MAX_MONEY = 1e13  # ten trillion: beyond any position or commission
ENTRY_KINDS = ("open", "close", "limit", "stop", "fill")
FILL_MODELS = ("mapped", "close", "next-open")
#: Reasons a fill can carry (also the engine's integer codes, by position).
FILL_REASONS: tuple[str, ...] = (
    "entry",
    "stop",
    "stop-gap",
    "trailing-stop",
    "trailing-stop-gap",
    "watch-stop",
    "watch-stop-gap",
    "watch-stop-close",
    "watch-stop-next-open",
    "target",
    "target-gap",
    "time-stop",
)


@dataclass(frozen=True)
class Size:
    """Position size: ``shares``, ``dollars``, or ``fraction`` of a ``notional`` (money)."""

    kind: str  # "shares" | "dollars"
    value: float  # shares, or money (notional * fraction already applied)
    whole_shares: bool = True

    @property
    def describe(self) -> str:
        return f"{self.value:g} shares" if self.kind == "shares" else f"${self.value:,.2f}"


@dataclass(frozen=True)
class Entry:
    """How a tranche enters.

    ``open``/``close``: at that price of bar ``date``.  ``limit``/``stop``: at
    ``price`` from ``date`` until ``until`` (inclusive, or
    forever).  ``fill``: already filled at ``price`` on ``date`` (journal
    entries); exits are then checked from the next bar.
    """

    kind: str
    date: Day
    price: float | None = None
    until: Day | None = None


@dataclass(frozen=True)
class StopRule:
    """A stop: a price on the traded instrument, a fraction from the entry, or a level
    on another instrument (``symbol``) crossed ``above`` or ``below``."""

    kind: str  # "price" | "pct" | "watch"
    level: float
    symbol: str | None = None
    direction: str | None = None  # "above" | "below" for kind "watch"

    @property
    def describe(self) -> str:
        if self.kind == "watch":
            return f"{self.symbol} {self.direction} {self.level:,.2f}"
        if self.kind == "pct":
            return f"{self.level * 100:g}% from entry"
        return f"{self.level:,.2f}"


@dataclass(frozen=True)
class Target:
    """A profit target: a price on the traded instrument or a fraction from the entry."""

    kind: str  # "price" | "pct"
    level: float

    @property
    def describe(self) -> str:
        return f"{self.level * 100:g}% from entry" if self.kind == "pct" else f"{self.level:,.2f}"


@dataclass(frozen=True)
class Tranche:
    """One part of the position with its own entry and exits."""

    name: str
    fraction: float
    entry: Entry
    stop: StopRule | None = None
    target: Target | None = None
    trailing_stop: float | None = None  # fraction below the best high (long) / above the best low
    time_stop_bars: int | None = None  # exit at the close of the N-th bar after the entry bar
    time_stop_date: date | None = None  # exit at the close of the last bar on or before this date
    fill_model: str = "mapped"  # for a stop on another instrument


@dataclass(frozen=True)
class Costs:
    """Commission per fill = max(``commission_min``, ``per_trade`` + ``per_share`` x shares);
    slippage moves every fill against the trader by ``slippage`` (a fraction of price)."""

    commission_per_share: float = 0.0
    commission_per_trade: float = 0.0
    commission_min: float = 0.0
    slippage: float = 0.0


@dataclass(frozen=True)
class Plan:
    """A validated trade plan."""

    name: str
    symbol: str
    side: str
    size: Size
    tranches: tuple[Tranche, ...]
    costs: Costs = Costs()
    note: str = ""
    source: str = "<plan>"

    @property
    def sign(self) -> int:
        """+1 for long, -1 for short."""
        return 1 if self.side == "long" else -1

    @property
    def watched(self) -> tuple[str, ...]:
        """Other instruments whose levels stop a tranche, in first-use order."""
        out: list[str] = []
        for t in self.tranches:
            if t.stop is not None and t.stop.kind == "watch" and t.stop.symbol not in out:
                assert t.stop.symbol is not None
                out.append(t.stop.symbol)
        return tuple(out)

    @property
    def first_date(self) -> date:
        """The earliest entry date of any tranche."""
        return min(t.entry.date for t in self.tranches)


@dataclass(frozen=True)
class Fill:
    """One execution: ``tranche`` is the 1-based tranche number; ``price`` is the
    market level the rule hit (inside the bar's low-high, or its open on a gap);
    ``exec_price`` adds slippage; ``quantity`` is signed (+ bought, - sold);
    ``commission`` in money."""

    tranche: int
    tranche_name: str
    date: date
    price: float
    exec_price: float
    quantity: float
    reason: str
    commission: float = 0.0


# -- parsing ----------------------------------------------------------------------


class _Ctx:
    """Where we are in the file, for error messages."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, expected: str, got: Any = ...) -> PlanError:
        tail = "" if got is ... else f", got {got!r}"
        return PlanError(f"{self.source}: {key}: expected {expected}{tail}")


def _check_keys(ctx: _Ctx, table: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for key in table:
        if key not in allowed:
            name = f"{where}.{key}" if where else key
            raise ctx.fail(name, f"one of the keys {', '.join(allowed)} (unknown key)")


def _number(ctx: _Ctx, value: Any, key: str, *, positive: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ctx.fail(key, "a number", value)
    x = float(value)
    if not math.isfinite(x) or (positive and x <= 0):
        raise ctx.fail(key, "a finite number > 0" if positive else "a finite number", value)
    return x


def _fraction(ctx: _Ctx, value: Any, key: str, *, allow_zero: bool = False, max_one: bool = True) -> float:
    """0.05 or "5%" -> 0.05."""
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            x = float(value.strip()[:-1]) / 100.0
        except ValueError:
            raise ctx.fail(key, 'a fraction such as 0.05 or "5%"', value) from None
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        x = float(value)
    else:
        raise ctx.fail(key, 'a fraction such as 0.05 or "5%"', value)
    low_ok = x >= 0 if allow_zero else x > 0
    if not (math.isfinite(x) and low_ok and (x <= 1 or not max_one)):
        bound = "between 0 and 1" if max_one else "> 0"
        raise ctx.fail(key, f'a fraction {bound} (0.05 or "5%")', value)
    return x


def _price(ctx: _Ctx, value: Any, key: str) -> float:
    x = _number(ctx, value, key)
    if x > MAX_PRICE:
        raise ctx.fail(key, f"a price <= {MAX_PRICE:,.0f}", value)
    return x


def _bounded(ctx: _Ctx, value: Any, key: str, limit: float, what: str, *, positive: bool = True) -> float:
    x = _number(ctx, value, key, positive=positive)
    if x > limit:
        raise ctx.fail(key, f"{what} <= {limit:g}", value)
    return x


def wrong_side(side: str, entry_price: float, level: float, rule: str = "stop") -> str | None:
    """Why a ``rule`` ("stop" or "target") price is on the wrong side of the entry, or None.

    A long's stop must be below its entry and its target above; a short's the other way
    round (a level equal to the entry would exit at once).
    """
    below = (side == "long") == (rule == "stop")
    if (level < entry_price) if below else (level > entry_price):
        return None
    where = "below" if below else "above"
    return f"a {side}'s {rule} {where} its entry price {entry_price:,.2f}, got {level:,.2f}"


def _date(ctx: _Ctx, value: Any, key: str) -> date:
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ctx.fail(key, "a date YYYY-MM-DD", value)


def _entry(ctx: _Ctx, raw: Any, key: str) -> Entry:
    if not isinstance(raw, Mapping):
        raise ctx.fail(key, 'a table such as { date = 2024-07-19, at = "open" }', raw)
    _check_keys(ctx, raw, ("date", "at", "limit", "stop", "price", "until"), key)
    kinds = [k for k in ("at", "limit", "stop", "price") if k in raw]
    if len(kinds) != 1:
        raise ctx.fail(key, "exactly one of at, limit, stop, price", sorted(raw))
    if "date" not in raw:
        raise ctx.fail(f"{key}.date", "a date: the entry day (open/close/price) or the first day a limit/stop may fill")
    day = _date(ctx, raw["date"], f"{key}.date")
    until = _date(ctx, raw["until"], f"{key}.until") if "until" in raw else None
    if until is not None and until < day:
        raise ctx.fail(f"{key}.until", f"a date on or after {key}.date ({day})", str(until))
    kind = kinds[0]
    if kind == "at":
        if raw["at"] not in ("open", "close"):
            raise ctx.fail(f"{key}.at", '"open" or "close"', raw["at"])
        if until is not None:
            raise ctx.fail(f"{key}.until", "no until with at (only with limit or stop entries)")
        return Entry(raw["at"], day)
    if kind == "price":
        return Entry("fill", day, _price(ctx, raw["price"], f"{key}.price"))
    return Entry(kind, day, _price(ctx, raw[kind], f"{key}.{kind}"), until)


def _stop(ctx: _Ctx, raw: Any, key: str) -> StopRule:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return StopRule("price", _price(ctx, raw, key))
    if not isinstance(raw, Mapping):
        raise ctx.fail(key, 'a price, { pct = 0.02 } or { symbol = "^RUT", above = 2278.12 }', raw)
    _check_keys(ctx, raw, ("price", "pct", "symbol", "above", "below"), key)
    if "symbol" in raw:
        if not isinstance(raw["symbol"], str) or not raw["symbol"].strip():
            raise ctx.fail(f"{key}.symbol", "a symbol such as ^RUT", raw["symbol"])
        dirs = [d for d in ("above", "below") if d in raw]
        if len(dirs) != 1 or "price" in raw or "pct" in raw:
            raise ctx.fail(key, "symbol with exactly one of above, below", sorted(raw))
        level = _price(ctx, raw[dirs[0]], f"{key}.{dirs[0]}")
        return StopRule("watch", level, normalize_symbol(raw["symbol"]), dirs[0])
    if "above" in raw or "below" in raw:
        raise ctx.fail(f"{key}.symbol", "a symbol (above/below are for a level on another instrument)")
    kinds = [k for k in ("price", "pct") if k in raw]
    if len(kinds) != 1:
        raise ctx.fail(key, "exactly one of price, pct, symbol", sorted(raw))
    if kinds[0] == "price":
        return StopRule("price", _price(ctx, raw["price"], f"{key}.price"))
    return StopRule("pct", _fraction(ctx, raw["pct"], f"{key}.pct"))


def _target(ctx: _Ctx, raw: Any, key: str) -> Target:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return Target("price", _price(ctx, raw, key))
    if not isinstance(raw, Mapping):
        raise ctx.fail(key, "a price or { pct = 0.05 }", raw)
    _check_keys(ctx, raw, ("price", "pct"), key)
    if len(raw) != 1:
        raise ctx.fail(key, "exactly one of price, pct", sorted(raw))
    if "price" in raw:
        return Target("price", _price(ctx, raw["price"], f"{key}.price"))
    return Target("pct", _fraction(ctx, raw["pct"], f"{key}.pct", max_one=False))


def _size(ctx: _Ctx, raw: Any) -> Size:
    if not isinstance(raw, Mapping):
        raise ctx.fail("size", "a table: { shares = N }, { dollars = X } or { notional = X, fraction = F }", raw)
    _check_keys(ctx, raw, ("shares", "dollars", "notional", "fraction", "whole_shares"), "size")
    whole = raw.get("whole_shares", True)
    if not isinstance(whole, bool):
        raise ctx.fail("size.whole_shares", "true or false", whole)
    kinds = [k for k in ("shares", "dollars", "notional") if k in raw]
    if len(kinds) != 1:
        raise ctx.fail("size", "exactly one of shares, dollars, notional", sorted(raw))
    if "fraction" in raw and kinds[0] != "notional":
        raise ctx.fail("size.fraction", "fraction only together with notional")
    if kinds[0] == "shares":
        shares = _bounded(ctx, raw["shares"], "size.shares", MAX_SHARES, "a number of shares")
        if whole and shares != math.floor(shares):
            raise ctx.fail("size.shares", "a whole number of shares (or whole_shares = false)", raw["shares"])
        return Size("shares", shares, whole)
    if kinds[0] == "dollars":
        return Size("dollars", _bounded(ctx, raw["dollars"], "size.dollars", MAX_MONEY, "an amount"), whole)
    if "fraction" not in raw:
        raise ctx.fail("size.fraction", "a fraction of the notional (required with notional)")
    notional = _bounded(ctx, raw["notional"], "size.notional", MAX_MONEY, "an amount")
    return Size("dollars", notional * _fraction(ctx, raw["fraction"], "size.fraction"), whole)


def _costs(ctx: _Ctx, raw: Any) -> Costs:
    if not isinstance(raw, Mapping):
        raise ctx.fail("costs", "a table of commission_per_share, commission_per_trade, commission_min, slippage", raw)
    keys = ("commission_per_share", "commission_per_trade", "commission_min", "slippage")
    _check_keys(ctx, raw, keys, "costs")
    vals = {k: _bounded(ctx, raw[k], f"costs.{k}", MAX_MONEY, "an amount", positive=False)
            for k in keys[:3] if k in raw}
    for k, v in vals.items():
        if v < 0:
            raise ctx.fail(f"costs.{k}", "a number >= 0", raw[k])
    slip = _fraction(ctx, raw["slippage"], "costs.slippage", allow_zero=True) if "slippage" in raw else 0.0
    return Costs(slippage=slip, **vals)


def _tranche(ctx: _Ctx, raw: Any, i: int, default_fill: str, n: int, side: str) -> Tranche:
    key = f"tranche[{i + 1}]"
    if not isinstance(raw, Mapping):
        raise ctx.fail(key, "a table", raw)
    allowed = ("name", "fraction", "entry", "stop", "target", "trailing_stop", "time_stop", "fill")
    _check_keys(ctx, raw, allowed, key)
    if "entry" not in raw:
        raise ctx.fail(f"{key}.entry", 'an entry such as { date = 2024-07-19, at = "open" }')
    entry = _entry(ctx, raw["entry"], f"{key}.entry")
    fraction = _fraction(ctx, raw["fraction"], f"{key}.fraction") if "fraction" in raw else 1.0 / n
    stop = _stop(ctx, raw["stop"], f"{key}.stop") if "stop" in raw else None
    target = _target(ctx, raw["target"], f"{key}.target") if "target" in raw else None
    trail = _fraction(ctx, raw["trailing_stop"], f"{key}.trailing_stop") if "trailing_stop" in raw else None
    if trail is not None and trail >= 1:
        raise ctx.fail(f"{key}.trailing_stop", "a fraction below 1", raw["trailing_stop"])
    bars: int | None = None
    until: date | None = None
    if "time_stop" in raw:
        ts = raw["time_stop"]
        if isinstance(ts, int) and not isinstance(ts, bool):
            if ts < 1:
                raise ctx.fail(f"{key}.time_stop", "a number of bars >= 1 or a date", ts)
            bars = ts
        else:
            until = _date(ctx, ts, f"{key}.time_stop")
            if until < entry.date:
                raise ctx.fail(f"{key}.time_stop", f"a date on or after the entry date {entry.date}", str(until))
    fill = raw.get("fill", default_fill)
    if fill not in FILL_MODELS:
        raise ctx.fail(f"{key}.fill", " or ".join(f'"{m}"' for m in FILL_MODELS), fill)
    name = raw.get("name", f"tranche {i + 1}")
    if not isinstance(name, str):
        raise ctx.fail(f"{key}.name", "a string", name)
    if entry.price is not None:  # open/close entries are checked by the replay, on their bar
        for rule, level, k in (("stop", stop.level if stop and stop.kind == "price" else None, "stop"),
                               ("target", target.level if target and target.kind == "price" else None, "target")):
            why = None if level is None else wrong_side(side, entry.price, level, rule)
            if why:
                raise ctx.fail(f"{key}.{k}", why)
    return Tranche(name, fraction, entry, stop, target, trail, bars, until, fill)


def parse_plan(data: Mapping[str, Any], source: str = "<plan>") -> Plan:
    """Validate a decoded TOML table into a :class:`Plan` (errors name ``source``)."""
    ctx = _Ctx(source)
    allowed = ("name", "symbol", "side", "size", "tranche", "costs", "fill", "note")
    _check_keys(ctx, data, allowed, "")
    for key in ("symbol", "side", "size", "tranche"):
        if key not in data:
            expected = {
                "symbol": "the traded instrument, e.g. symbol = \"IWM\"",
                "side": '"long" or "short"',
                "size": "a size table, e.g. size = { shares = 1000 }",
                "tranche": "at least one [[tranche]] table",
            }[key]
            raise ctx.fail(key, f"{expected} (missing)")
    if not isinstance(data["symbol"], str) or not data["symbol"].strip():
        raise ctx.fail("symbol", "a symbol such as IWM", data["symbol"])
    if data["side"] not in SIDES:
        raise ctx.fail("side", '"long" or "short"', data["side"])
    default_fill = data.get("fill", "mapped")
    if default_fill not in FILL_MODELS:
        raise ctx.fail("fill", " or ".join(f'"{m}"' for m in FILL_MODELS), default_fill)
    raw_tranches = data["tranche"]
    if not isinstance(raw_tranches, list) or not raw_tranches:
        raise ctx.fail("tranche", "at least one [[tranche]] table", raw_tranches)
    n = len(raw_tranches)
    tranches = tuple(_tranche(ctx, t, i, default_fill, n, data["side"]) for i, t in enumerate(raw_tranches))
    total = sum(t.fraction for t in tranches)
    if total > 1 + 1e-9:
        raise ctx.fail("tranche.fraction", f"fractions summing to at most 1 (they sum to {total:g})")
    name = data.get("name", Path(source).stem)
    note = data.get("note", "")
    if not isinstance(name, str) or not isinstance(note, str):
        raise ctx.fail("name" if not isinstance(name, str) else "note", "a string")
    costs = _costs(ctx, data["costs"]) if "costs" in data else Costs()
    return Plan(
        name=name,
        symbol=normalize_symbol(data["symbol"]),
        side=data["side"],
        size=_size(ctx, data["size"]),
        tranches=tranches,
        costs=costs,
        note=note,
        source=source,
    )


def plans_dir() -> Path:
    """The folder of saved plans: ``$ROTATION_PLANS`` or ``<user config dir>/rotation/plans``."""
    import os

    from rotation.data.symbols import user_config_dir

    env = os.environ.get("ROTATION_PLANS")
    return Path(env).expanduser() if env else user_config_dir() / "plans"


def saved_plans() -> tuple[Path, ...]:
    """Plan files kept in :func:`plans_dir` (sorted); the report and ``watch`` use them by default."""
    folder = plans_dir()
    return tuple(sorted(folder.glob("*.toml"))) if folder.is_dir() else ()


def load_plan(path: Path | str) -> Plan:
    """Read and validate a plan file (TOML)."""
    path = Path(path)
    return parse_plan(read_toml(path, PlanError, "plan file"), str(path))


def tranche_quantities(plan: Plan) -> list[float]:
    """Shares per tranche for a ``shares`` size (floored when whole shares), so their sum
    never exceeds the position; NaN for a ``dollars`` size (sized at the entry fill)."""
    if plan.size.kind != "shares":
        return [math.nan] * len(plan.tranches)
    out = []
    for t in plan.tranches:
        q = plan.size.value * t.fraction
        out.append(float(math.floor(q + 1e-9)) if plan.size.whole_shares else q)
    return out
