"""Rotation strategies as pure signal functions: price matrices in, target weights out.

A strategy sees a :class:`Panel` (aligned daily bars, dates x symbols) and
returns target weights ``W[t, j]`` over the symbols it trades: the fraction of
equity it wants in symbol ``j`` **as decided at the close of bar t**, from
prices of bars ``<= t`` only (appending later bars never changes ``W[:t+1]``).
The runner acts on ``W[t]`` on the next bar: at its open (``execution="open"``,
the default) or at its close (``execution="close"``); see
:mod:`rotation.backtest.portfolio`.  Signals use ``adj_close`` (splits and
dividends), like the rest of the relative-strength analytics.

Every strategy evaluates many parameter sets in one call (:func:`target_weights`
takes a list) so that a sweep shares the work: one moving average per distinct
window, one momentum matrix per distinct lookback, one RRG per distinct set of
RRG windows.  A single run is the same call with a one-element list.

Strategies (parameters are frozen dataclasses; windows count sessions):

* :class:`PairSwitch` (``pair-switch``): hold ``a`` while the moving average of
  the signal ratio ``sa/sb`` over ``fast`` sessions is above the one over
  ``slow`` sessions (``fast=1``: the ratio itself), else hold ``b``.  The
  signal pair defaults to the indices (^RUT/^NDX) and the traded pair to their
  ETFs (IWM/QQQ).  Flat during the warm-up.  ``long`` and ``short`` weigh the
  two legs: hold the leader at ``long`` and short the laggard at ``short``
  (defaults 1 and 0, long only; ``long=0 short=1`` only shorts the laggard;
  ``long=1 short=1`` is long-short).
* :class:`Momentum` (``momentum``): relative-momentum rotation.  On each
  rebalance bar, rank the universe by ``P[t-skip] / P[t-lookback] - 1`` and
  hold the ``top`` best at ``1/top`` each (optionally only those with positive
  momentum, ``absolute=True``; the rest stays in cash).
* :class:`RrgQuadrant` (``rrg``): on each rebalance bar, hold (equal weight,
  fully invested) every symbol whose daily RRG point against ``benchmark`` is in
  one of ``quadrants`` (default leading and improving), from
  :func:`rotation.analytics.rrg.rrg_arrays`.

Rebalance bars: ``daily`` = every bar; ``weekly``/``monthly`` = the first bar of
each new week (Monday-Sunday) or calendar month, i.e. the first session whose
date is in a different period from the previous one.  That is decided from dates
``<= t`` only (a "last session of the month" rule would need the next date).
Between rebalance bars the weights stay as last set.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, Literal

import numpy as np

from rotation.analytics.returns import ffill, rolling_means, shift
from rotation.analytics.rrg import QUADRANTS, RrgParams, quadrant_codes, rrg_arrays
from rotation.data.symbols import normalize_symbol
from rotation.errors import ConfigError, DataError

Rebalance = Literal["daily", "weekly", "monthly"]
REBALANCES: tuple[str, ...] = ("daily", "weekly", "monthly")
FFILL_LIMIT = 5  # carry a signal price over at most this many missing sessions (a vendor holiday)


@dataclass(frozen=True)
class Panel:
    """Aligned daily bars: ``dates`` (n) x ``symbols`` (k) matrices, ``NaN`` where missing.

    ``open/high/low/close`` are as-traded; ``adj_close`` is split- and
    dividend-adjusted.  Rows are the union of the symbols' dates, ascending.
    """

    dates: tuple[date, ...]
    symbols: tuple[str, ...]
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    adj_close: np.ndarray

    def column(self, symbol: str) -> int:
        """Index of ``symbol`` (a :class:`DataError` when the panel lacks it)."""
        try:
            return self.symbols.index(symbol)
        except ValueError:
            raise DataError(f"no bars for {symbol!r} in the backtest data (have {', '.join(self.symbols)})") from None

    @property
    def n(self) -> int:
        return len(self.dates)

    def head(self, rows: int) -> Panel:
        """The first ``rows`` bars (for look-ahead tests)."""
        return Panel(self.dates[:rows], self.symbols, *(a[:rows] for a in
                     (self.open, self.high, self.low, self.close, self.adj_close)))


def _check_window(name: str, value: int, low: int = 1) -> None:
    if not isinstance(value, (int, np.integer)) or value < low:
        raise ConfigError(f"{name}: expected a whole number >= {low}, got {value!r}")


def _check_rebalance(value: str) -> None:
    if value not in REBALANCES:
        raise ConfigError(f"rebalance: expected one of {', '.join(REBALANCES)}, got {value!r}")


@dataclass(frozen=True)
class PairSwitch:
    """Hold ``a`` while MA(fast) of ``sa/sb`` > MA(slow), else ``b`` (adj_close ratio)."""

    name: ClassVar[str] = "pair-switch"
    a: str = "IWM"
    b: str = "QQQ"
    sa: str = "^RUT"
    sb: str = "^NDX"
    fast: int = 1
    slow: int = 50
    long: float = 1.0  # weight of the leader (fraction of equity)
    short: float = 0.0  # weight shorted in the laggard

    def __post_init__(self) -> None:
        _check_window("fast", self.fast)
        _check_window("slow", self.slow)
        if self.fast >= self.slow:
            raise ConfigError(f"fast: expected fewer sessions than slow ({self.slow}), got {self.fast}")
        if self.a == self.b:
            raise ConfigError(f"a and b: expected two different symbols to switch between, got {self.a} twice")
        if self.sa == self.sb:
            raise ConfigError(f"sa and sb: expected two different symbols for the signal ratio, got {self.sa} twice")
        for name in ("long", "short"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and 0.0 <= value <= 1.0):
                raise ConfigError(f"{name}: expected a weight in [0, 1], got {value!r}")
        if self.long == 0.0 and self.short == 0.0:
            raise ConfigError("long and short: at least one leg needs a weight above 0")

    @staticmethod
    def check_grid(base: PairSwitch, fast: Sequence[Any] | None, slow: Sequence[Any] | None, *,
                   product: bool = False) -> tuple[list[Any], list[Any]]:
        """The validation of :meth:`grid` alone: ``(fasts, slows)`` with base's where None.
        ``product``: the sets are every pair of a ``fast`` and a ``slow`` window (any lengths)."""
        count = 1 if product else len(fast if fast is not None else slow or ())
        fasts = list(fast) if fast is not None else [base.fast] * count
        slows = list(slow) if slow is not None else [base.slow] * count
        if not product and len(fasts) != len(slows):
            raise ConfigError(f"fast and slow: expected as many values, got {len(fasts)} and {len(slows)}")
        if fasts:
            for name, values in (("fast", fasts), ("slow", slows)):
                for value in set(values):
                    _check_window(name, value)
            dataclasses.replace(base, fast=max(fasts), slow=min(slows))  # the hardest set: fast < slow
        return fasts, slows

    @classmethod
    def grid(cls, base: PairSwitch, fast: Sequence[Any] | None, slow: Sequence[Any] | None) -> list[PairSwitch]:
        """``base`` with each ``(fast[i], slow[i])`` (None: base's), validated once for the whole
        grid: every window a whole number >= 1 and the largest fast below the smallest slow, which
        holds for every set then; else a :class:`ConfigError`.  The sets are built without
        validating each again (a sweep of a million sets spends no second on it)."""
        fasts, slows = cls.check_grid(base, fast, slow)
        proto = dict(base.__dict__)
        out = []
        new = object.__new__
        for f, s in zip(fasts, slows, strict=True):
            obj = new(cls)
            obj.__dict__.update(proto, fast=f, slow=s)  # frozen: no __setattr__, the validated values
            out.append(obj)
        return out

    @property
    def traded(self) -> tuple[str, ...]:
        return (self.a, self.b)

    @property
    def needs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.a, self.b, self.sa, self.sb)))


@dataclass(frozen=True)
class Momentum:
    """Hold the ``top`` symbols by ``lookback``-session momentum, rebalanced ``rebalance``."""

    name: ClassVar[str] = "momentum"
    universe: ClassVar[bool] = True  # members join the ranking on their first bar
    symbols: tuple[str, ...] = ("XLB", "XLE", "XLF", "XLI", "XLK", "XLP", "XLU", "XLV", "XLY")
    lookback: int = 126
    skip: int = 0
    top: int = 3
    rebalance: Rebalance = "monthly"
    absolute: bool = False

    def __post_init__(self) -> None:
        _check_window("lookback", self.lookback)
        _check_window("top", self.top)
        if not isinstance(self.skip, (int, np.integer)) or not 0 <= self.skip < self.lookback:
            raise ConfigError(f"skip: expected a whole number 0 <= skip < lookback, got {self.skip!r}")
        _check_rebalance(self.rebalance)
        if not self.symbols:
            raise ConfigError("symbols: a momentum rotation needs at least one symbol")

    @property
    def traded(self) -> tuple[str, ...]:
        return tuple(self.symbols)

    @property
    def needs(self) -> tuple[str, ...]:
        return tuple(self.symbols)


@dataclass(frozen=True)
class RrgQuadrant:
    """Hold every symbol in ``quadrants`` of the daily RRG against ``benchmark``, equal weight."""

    name: ClassVar[str] = "rrg"
    universe: ClassVar[bool] = True
    symbols: tuple[str, ...] = ("XLB", "XLE", "XLF", "XLI", "XLK", "XLP", "XLU", "XLV", "XLY")
    benchmark: str = "SPY"
    window: int = 63
    smooth: int = 5
    momentum: int = 10
    quadrants: tuple[str, ...] = ("leading", "improving")
    rebalance: Rebalance = "weekly"

    def __post_init__(self) -> None:
        RrgParams.for_freq("daily", self.window, self.smooth, self.momentum)  # validates the windows
        _check_rebalance(self.rebalance)
        bad = [q for q in self.quadrants if q not in QUADRANTS]
        if bad or not self.quadrants:
            raise ConfigError(f"quadrants: expected some of {', '.join(QUADRANTS)}, got {self.quadrants!r}")

    @property
    def traded(self) -> tuple[str, ...]:
        return tuple(self.symbols)

    @property
    def needs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.symbols, self.benchmark)))


SIDES: tuple[str, ...] = ("long", "short")


@dataclass(frozen=True)
class Breakout:
    """Enter each symbol at the next open after a close at a ``lookback``-session closing
    high (``side="long"``; a closing low for ``"short"``); leave on the stops (fractions,
    None = none) or after ``hold`` bars.  A signal + stops strategy: it runs in
    :mod:`rotation.backtest.breakout`, one sleeve of ``1/k`` per symbol."""

    name: ClassVar[str] = "breakout"
    symbols: tuple[str, ...] = ("XLB", "XLE", "XLF", "XLI", "XLK", "XLP", "XLU", "XLV", "XLY")
    lookback: int = 20
    side: str = "long"
    stop: float | None = None
    target: float | None = None
    trail: float | None = None
    hold: int | None = None
    conventions: str = "rotation"

    def __post_init__(self) -> None:
        _check_window("lookback", self.lookback)
        if self.side not in SIDES:
            raise ConfigError(f"side: expected long or short, got {self.side!r}")
        if not self.symbols:
            raise ConfigError("symbols: a breakout needs at least one symbol")
        if self.hold is not None:
            _check_window("hold", self.hold, 0)
        if self.conventions not in ("rotation", "vectorbt"):
            raise ConfigError(f"conventions: expected rotation or vectorbt, got {self.conventions!r}")

    @property
    def traded(self) -> tuple[str, ...]:
        return tuple(self.symbols)

    @property
    def needs(self) -> tuple[str, ...]:
        return tuple(self.symbols)


Strategy = PairSwitch | Momentum | RrgQuadrant | Breakout
StrategyClass = type[PairSwitch] | type[Momentum] | type[RrgQuadrant] | type[Breakout]
STRATEGIES: dict[str, StrategyClass] = {cls.name: cls for cls in (PairSwitch, Momentum, RrgQuadrant, Breakout)}


def strategy_class(name: str) -> StrategyClass:
    """The parameter class of strategy ``name`` (a :class:`ConfigError` naming the choices)."""
    try:
        return STRATEGIES[name]
    except KeyError:
        raise ConfigError(f"unknown strategy {name!r}: expected one of {', '.join(STRATEGIES)}") from None


def coerce_value(field: dataclasses.Field[Any], text: str) -> Any:
    """``text`` parsed by the field's type (int, float, bool, tuple joined with ``+``, else text)."""
    kind = str(field.type)
    if kind.endswith(" | None"):
        if text.strip().lower() in ("none", "off", ""):
            return None
        kind = kind[: -len(" | None")]
    try:
        if kind == "int":
            return int(text)
        if kind == "float":
            return float(text)
        if kind == "bool":
            low = text.strip().lower()
            if low not in ("1", "0", "true", "false", "yes", "no"):
                raise ValueError(text)
            return low in ("1", "true", "yes")
        if kind.startswith("tuple"):
            return tuple(p.strip() for p in text.replace(";", "+").split("+") if p.strip())
    except ValueError:
        raise ConfigError(f"parameter {field.name}: expected {kind}, got {text!r}") from None
    return text.strip()


def make_params(name: str, values: dict[str, Any] | None = None) -> Strategy:
    """Strategy ``name`` with ``values`` (strings are parsed by the field's type; tuples use ``+``)."""
    cls = strategy_class(name)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in (values or {}).items():
        key = key.replace("-", "_")
        if key not in fields:
            raise ConfigError(f"strategy {name} has no parameter {key!r} (parameters: {', '.join(fields)})")
        kwargs[key] = coerce_value(fields[key], value) if isinstance(value, str) else value
    for key in ("a", "b", "sa", "sb", "benchmark"):
        if isinstance(kwargs.get(key), str):
            kwargs[key] = normalize_symbol(kwargs[key])
    if "symbols" in kwargs:
        kwargs["symbols"] = tuple(normalize_symbol(s) for s in kwargs["symbols"])
    return cls(**kwargs)


def rebalance_rows(dates: Sequence[date], rebalance: str) -> np.ndarray:
    """Boolean mask of rebalance bars (see the module docstring); bar 0 never rebalances but daily."""
    n = len(dates)
    if rebalance == "daily":
        return np.ones(n, dtype=bool)
    days = np.array(dates, dtype="datetime64[D]")
    if rebalance == "monthly":
        key = days.astype("datetime64[M]").astype(np.int64)
    else:
        key = (days.astype(np.int64) + 3) // 7  # weeks starting Monday (1970-01-01 was a Thursday)
    out = np.zeros(n, dtype=bool)
    out[1:] = key[1:] != key[:-1]
    return out


def _hold_last(weights: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Weights set on ``mask`` rows carried forward to the next set row; 0 before the first."""
    rows = np.where(mask, np.arange(mask.shape[0]), -1)
    np.maximum.accumulate(rows, out=rows)
    out = weights[np.maximum(rows, 0)]
    out[rows < 0] = 0.0
    return out


def _pair_switch(panel: Panel, params: Sequence[PairSwitch]) -> tuple[list[str], np.ndarray]:
    first = params[0]
    cols = [first.a, first.b]
    if any((p.a, p.b, p.sa, p.sb) != (first.a, first.b, first.sa, first.sb) for p in params):
        raise ConfigError("a pair-switch sweep must keep the same traded and signal pairs")
    sa = ffill(panel.adj_close[:, panel.column(first.sa)], FFILL_LIMIT)
    sb = ffill(panel.adj_close[:, panel.column(first.sb)], FFILL_LIMIT)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (sa / sb).reshape(-1, 1)
    ratio[~np.isfinite(ratio)] = np.nan
    windows = sorted({w for p in params for w in (p.fast, p.slow)})
    means = rolling_means(ratio[:, 0], windows)  # bit for bit rolling(ratio, w, "mean"), as the fused sweep
    mas = {w: means[i] for i, w in enumerate(windows)}
    out = np.zeros((len(params), panel.n, 2))
    for i, p in enumerate(params):
        f, s = mas[p.fast], mas[p.slow]
        ok = ~(np.isnan(f) | np.isnan(s))
        up = ok & (f > s)
        down = ok & ~up
        if p.long == 1.0 and p.short == 0.0:  # long only: the exact 0/1 weights
            out[i, :, 0] = up
            out[i, :, 1] = down
        else:  # the leader long, the laggard short
            out[i, :, 0] = up * p.long - down * p.short
            out[i, :, 1] = down * p.long - up * p.short
    return cols, out


def _momentum(panel: Panel, params: Sequence[Momentum]) -> tuple[list[str], np.ndarray]:
    cols = list(params[0].symbols)
    if any(tuple(p.symbols) != tuple(cols) for p in params):
        raise ConfigError("a momentum sweep must keep the same symbols")
    # a gap day ranks on the carried close; a symbol ranks only once it has a price
    prices = ffill(panel.adj_close[:, [panel.column(s) for s in cols]], FFILL_LIMIT)
    k = len(cols)
    moms: dict[tuple[int, int], np.ndarray] = {}
    masks: dict[str, np.ndarray] = {}
    out = np.zeros((len(params), panel.n, k))
    for i, p in enumerate(params):
        key = (p.lookback, p.skip)
        if key not in moms:
            with np.errstate(divide="ignore", invalid="ignore"):
                moms[key] = shift(prices, p.skip) / shift(prices, p.lookback) - 1.0
        if p.rebalance not in masks:
            masks[p.rebalance] = rebalance_rows(panel.dates, p.rebalance)
        mom = moms[key]
        valid = np.isfinite(mom)
        if p.absolute:
            valid &= mom > 0
        score = np.where(valid, mom, -np.inf)
        # Stable sort on the negated score: ties keep the universe order.
        order = np.argsort(-score, axis=1, kind="stable")[:, : p.top]
        pick = np.zeros((panel.n, k), dtype=bool)
        np.put_along_axis(pick, order, True, axis=1)
        pick &= valid
        out[i] = _hold_last(pick / p.top, masks[p.rebalance])
    return cols, out


def _rrg(panel: Panel, params: Sequence[RrgQuadrant]) -> tuple[list[str], np.ndarray]:
    first = params[0]
    cols = list(first.symbols)
    if any((tuple(p.symbols), p.benchmark) != (tuple(cols), first.benchmark) for p in params):
        raise ConfigError("an rrg sweep must keep the same symbols and benchmark")
    prices = panel.adj_close[:, [panel.column(s) for s in cols]]
    bench = panel.adj_close[:, panel.column(first.benchmark)]
    codes: dict[tuple[int, int, int], np.ndarray] = {}
    masks: dict[str, np.ndarray] = {}
    out = np.zeros((len(params), panel.n, len(cols)))
    for i, p in enumerate(params):
        key = (p.window, p.smooth, p.momentum)
        if key not in codes:
            ratio, mom = rrg_arrays(prices, bench, RrgParams("daily", *key))
            codes[key] = quadrant_codes(ratio, mom)
        if p.rebalance not in masks:
            masks[p.rebalance] = rebalance_rows(panel.dates, p.rebalance)
        wanted = [QUADRANTS.index(q) for q in p.quadrants]
        pick = np.isin(codes[key], wanted)
        count = pick.sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            weights = np.where(count > 0, pick / np.maximum(count, 1), 0.0)
        out[i] = _hold_last(weights, masks[p.rebalance])
    return cols, out


def target_weights(panel: Panel, params: Sequence[Strategy]) -> tuple[list[str], np.ndarray]:
    """Target weights for each parameter set: ``(traded symbols, W[p, bar, symbol])``.

    ``W[p, t]`` is decided at the close of bar ``t`` (see the module docstring);
    all parameter sets must be of one strategy with the same symbols.
    """
    if not params:
        raise ConfigError("no parameter sets to evaluate")
    kinds = {type(p) for p in params}
    if len(kinds) != 1:
        raise ConfigError("all parameter sets of one call must belong to one strategy")
    first = params[0]
    if isinstance(first, Breakout):
        raise ConfigError("breakout is a signal + stops strategy without target weights: "
                          "use rotation.backtest.breakout")
    if isinstance(first, PairSwitch):
        return _pair_switch(panel, params)  # type: ignore[arg-type]
    if isinstance(first, Momentum):
        return _momentum(panel, params)  # type: ignore[arg-type]
    return _rrg(panel, params)  # type: ignore[arg-type]
