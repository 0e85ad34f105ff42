"""The parameters of a signal + stops sweep (:mod:`rotation.backtest.signals`): the fill
:class:`Conventions`, the stop :class:`StopSets`, and the execution price.

* **Execution** (``execution``, the run's ``--execution``, as in the book): an entry
  decided at the close of bar ``t`` fills on bar ``t + 1``, at its open (``"open"``,
  the default) or at its close (``"close"``).  At the close there is no more of the
  entry bar to trade through after the fill, so stops, target and trailing stop
  are checked from the next bar (its open first: a gap fills at the open, as
  always), the trailing high (low) starts at the fill, and the time stop ``hold``
  (``>= 1``) exits at the close ``hold`` bars after the entry bar.  Exit signal
  matrices are filled at the open only: with ``execution="close"`` they are
  refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rotation.errors import ConfigError

EXECUTIONS: tuple[str, ...] = ("open", "close")


@dataclass(frozen=True)
class Conventions:
    """Fill conventions where the engine and vectorbt differ (defaults: the engine's).

    ``stops_on_entry_bar``: check stops and target on the entry bar (vectorbt: no,
    from the next bar; the trailing high then starts on the next bar too).
    ``stop_from_close``: stop, target and trail measured from the entry bar's close,
    not the fill (vectorbt's default ``stop_entry_price="close"``); needs
    ``stops_on_entry_bar=False`` (the close is not known during the entry bar).
    ``target_gap_first``: a bar that opens beyond the target fills the target at
    the open even when it later trades through the stop (vectorbt: the stop).
    ``fees_vectorbt``: entering buys ``value / (price * (1 + cost))`` units, a round
    trip ``(1 - cost) / (1 + cost)``, instead of ``(1 - cost)^2``.
    ``signal_exit_first``: an exit signal at the open beats a stop touched later
    in the bar (vectorbt: the stop's price wins).
    """

    stops_on_entry_bar: bool = True
    stop_from_close: bool = False
    target_gap_first: bool = True
    fees_vectorbt: bool = False
    signal_exit_first: bool = True

    def __post_init__(self) -> None:
        if self.stop_from_close and self.stops_on_entry_bar:
            raise ConfigError("conventions: stop_from_close needs stops_on_entry_bar=False "
                              "(the entry bar's close is not known during that bar)")

    @classmethod
    def vectorbt(cls) -> Conventions:
        """vectorbt 1.2 ``Portfolio.from_signals`` defaults (entries at ``price=open``)."""
        return cls(False, True, False, True, False)

    @classmethod
    def named(cls, name: str) -> Conventions:
        """``rotation`` (the engine's) or ``vectorbt``."""
        if name == "rotation":
            return cls()
        if name == "vectorbt":
            return cls.vectorbt()
        raise ConfigError(f"conventions: expected rotation or vectorbt, got {name!r}")

    def flags(self) -> np.ndarray:
        return np.array([self.stops_on_entry_bar, self.stop_from_close, self.target_gap_first,
                         self.fees_vectorbt, self.signal_exit_first], dtype=np.bool_)


@dataclass(frozen=True)
class StopSets:
    """Parameter sets as parallel arrays (length ``S``): fractions, NaN = none; ``hold`` bars, -1 = none."""

    stop: np.ndarray
    target: np.ndarray
    trail: np.ndarray
    hold: np.ndarray

    @classmethod
    def of(cls, stop: object = None, target: object = None, trail: object = None,
           hold: object = None) -> StopSets:
        """Broadcast scalars/sequences (None = none) to one length and check them."""
        def arr(v: object, fill: float) -> np.ndarray:
            a = np.atleast_1d(np.asarray(fill if v is None else v, dtype=np.float64))
            return np.where(np.isnan(a), fill, a)
        cols = [arr(stop, np.nan), arr(target, np.nan), arr(trail, np.nan), arr(hold, -1.0)]
        size = max(len(c) for c in cols)
        if any(len(c) not in (1, size) for c in cols):
            raise ConfigError("stop/target/trail/hold: expected one length (or scalars)")
        cols = [np.broadcast_to(c, (size,)).copy() for c in cols]
        for name, c in zip(("stop", "target", "trail"), cols[:3], strict=True):
            bad = ~np.isnan(c) & ~((c > 0) & (c < 1 if name != "target" else c < 100))
            if bad.any():
                raise ConfigError(f"{name}: expected a fraction > 0 (stop and trail < 1), got {c[bad][0]!r}")
        if ((cols[3] < -1) | (cols[3] != np.floor(cols[3]))).any():
            raise ConfigError("hold: expected a whole number of bars >= 0")
        return cls(cols[0], cols[1], cols[2], cols[3].astype(np.int64))

    @property
    def size(self) -> int:
        return int(self.stop.shape[0])



def kernel_flags(conventions: Conventions, execution: str = "open") -> np.ndarray:
    """The kernel's flag array: the :class:`Conventions` flags, then ``execution == "close"``."""
    if execution not in EXECUTIONS:
        raise ConfigError(f"execution: expected open or close, got {execution!r}")
    return np.append(conventions.flags(), execution == "close")


def check_execution(execution: str, sets: StopSets, has_exits: bool) -> None:
    """What ``execution="close"`` cannot take: exit signal matrices, a time stop of 0 bars."""
    if execution != "close":
        return
    if has_exits:
        raise ConfigError("exits: exit signals fill at the next open; with execution='close' pass entries "
                          "only (or use execution='open')")
    if (sets.hold == 0).any():
        raise ConfigError("hold: 0 bars with --execution close would exit at the entry's own close; "
                          "expected hold >= 1 (the close hold bars after the entry bar)")
