"""The signal + stops sweep on a CUDA GPU (``--device gpu``): the CPU kernel's rules, compiled for numba.cuda.

One GPU thread evaluates one parameter set: its sleeves one after another, into
that set's rows of device buffers, then its statistics.  The device functions
are the CPU kernel's own source (:mod:`rotation.backtest.signals`: ``_scan``,
``_resolve``, ``_sleeve``, ``_book_stats``) compiled with ``cuda.jit(device=True)``
instead of ``njit``, so the two paths cannot drift apart; each set sums its
sleeves in the same order as on the CPU, so the results are the CPU kernel's
(the tests run it under ``NUMBA_ENABLE_CUDASIM=1`` and compare).

Trades are not recorded on the GPU (``record=True`` runs on the CPU).  Without
a CUDA device (and without the simulator) :func:`sweep_signals_gpu` raises a
:class:`rotation.errors.ConfigError` saying so.
"""

from __future__ import annotations

import inspect
import math
import textwrap
from typing import Any

import numpy as np
from numba import cuda

from rotation.backtest import signals
from rotation.errors import ConfigError

_COMPILED: dict[str, Any] = {}
_DEVICE_FUNCS = ("_scan", "_resolve", "_sleeve", "_book_stats")


def gpu_available() -> bool:
    """True when numba sees a CUDA device (or runs the CUDA simulator)."""
    try:
        return bool(cuda.is_available())
    except Exception:  # pragma: no cover - depends on the driver
        return False


def _kernel() -> Any:
    if "kernel" in _COMPILED:
        return _COMPILED["kernel"]

    def device(*args: Any, **kwargs: Any) -> Any:
        return lambda f: cuda.jit(device=True)(f)

    ns: dict[str, Any] = {k: v for k, v in vars(signals).items() if not k.startswith("__")}
    ns["njit"] = device
    for name in _DEVICE_FUNCS:
        src = textwrap.dedent(inspect.getsource(getattr(signals, name).py_func))
        exec(compile(src, f"<gpu {name}>", "exec"), ns)

    sleeve, book_stats = ns["_sleeve"], ns["_book_stats"]

    @cuda.jit
    def kernel(o, c, slo, lo2, hi2, bmin, bmax, nxt, ex, side, sl, tp, trail, hold, flags, cost, years, rf,
               stats, col_ret, col_trades, cash, pos, traded, no_i, no_f, no_curve):  # pragma: no cover - device
        p = cuda.grid(1)
        if p >= sl.shape[0]:
            return
        k = c.shape[0]
        opened = 0
        closed = 0
        wins = 0
        for j in range(k):
            fin, a, cl, w = sleeve(o[j], c[j], slo[j], lo2[j], hi2[j], bmin[j], bmax[j], nxt[j], ex[j], side, sl[p], tp[p],
                                   trail[p], hold[p], flags, cost, cash[p], pos[p], traded[p], False, 0,
                                   no_i, no_i, no_f, no_f, no_f, no_i)
            col_ret[p, j] = fin - 1.0
            col_trades[p, j] = a
            opened += a
            closed += cl
            wins += w
        book_stats(cash[p], pos[p], traded[p], k, side, years, rf, stats[p], no_curve[p], no_curve[p], no_curve[p])
        stats[p, 9] = opened
        stats[p, 10] = wins / closed if closed > 0 else math.nan

    _COMPILED["kernel"] = kernel
    return kernel


def sweep_signals_gpu(prices: signals.SignalPrices, entries: np.ndarray, sets: signals.StopSets, *,
                      exits: np.ndarray | None = None, side: int = 1, cost: float = 0.0,
                      conventions: signals.Conventions | None = None, years: float = math.nan,
                      risk_free: float = 0.0, block: int = 128, execution: str = "open") -> signals.SignalSweep:
    """:func:`rotation.backtest.signals.sweep_signals` (without ``record``) on the GPU, both executions."""
    conv = conventions or signals.Conventions()
    flags = signals.kernel_flags(conv, execution)
    signals.check_execution(execution, sets, exits is not None)
    if not gpu_available():
        raise ConfigError("--device gpu: no CUDA GPU found (numba.cuda.is_available() is False); "
                          "use --device cpu")

    nxt, ex = signals.prepare(prices, entries, exits, side, cost)
    n, k = prices.shape
    s = sets.size
    lo2 = np.minimum(prices.low, prices.open)
    hi2 = np.maximum(prices.high, prices.open)
    slo, bmin, bmax = signals.scan_arrays(lo2, hi2, ex)
    host = [prices.open, prices.close, slo, lo2, hi2, bmin, bmax, nxt, ex]
    dev = [cuda.to_device(np.ascontiguousarray(a)) for a in host]
    sl, tp, tr, hd = (cuda.to_device(a) for a in (sets.stop, sets.target, sets.trail, sets.hold))
    stats = cuda.to_device(np.zeros((s, signals.NSTAT)))
    col_ret = cuda.to_device(np.zeros((s, k)))
    col_trades = cuda.to_device(np.zeros((s, k), dtype=np.int64))
    cash = cuda.to_device(np.zeros((s, n + 1)))
    pos = cuda.to_device(np.zeros((s, n)))
    traded = cuda.to_device(np.zeros((s, n)))
    no_i, no_f = cuda.to_device(np.zeros(0, dtype=np.int64)), cuda.to_device(np.zeros(0))
    no_curve = cuda.to_device(np.zeros((max(s, 1), 0)))
    yrs = float(years) if years == years else -1.0
    grid = max(1, (s + block - 1) // block)
    if s:
        _kernel()[grid, block](*dev, int(side), sl, tp, tr, hd, cuda.to_device(flags), float(cost), yrs,
                               float(risk_free), stats, col_ret, col_trades, cash, pos, traded, no_i, no_f, no_curve)
    empty_i, empty_f = np.zeros(0, dtype=np.int64), np.zeros(0)
    none = np.zeros((s, 0))
    return signals.SignalSweep(stats.copy_to_host(), col_ret.copy_to_host(), col_trades.copy_to_host(),
                               empty_i, empty_i, empty_i, empty_i, empty_f, empty_f, empty_f, empty_i,
                               none, none, none)
