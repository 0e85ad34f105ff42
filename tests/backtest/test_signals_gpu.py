"""The GPU kernel under numba's CUDA simulator (a subprocess: the variable must not leak)
gives the CPU kernel's results (entries at the next open and at the next close); without a
GPU, ``--device gpu`` is one clear error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = r'''
import json, math
import numpy as np
from rotation.backtest import signals, signals_gpu
rng = np.random.default_rng(4)
n, k = 120, 3
c = 100 * np.cumprod(1 + rng.normal(0.0005, 0.02, size=(n, k)), axis=0)
o = np.vstack([c[:1], c[:-1]]) * (1 + rng.normal(0, 0.01, size=(n, k)))
h = np.maximum(o, c) * 1.01
lo = np.minimum(o, c) * 0.99
prices = signals.SignalPrices.from_bars(o, h, lo, c)
ent = rng.random((n, k)) < 0.1
ex = rng.random((n, k)) < 0.03
sets = signals.StopSets.of([0.03, math.nan, 0.1, 0.05], [0.06, 0.1, math.nan, math.nan],
                           [math.nan, 0.04, math.nan, 0.08], [-1, -1, 5, 10])
out = {}
for side in (1, -1):
    for conv in (signals.Conventions(), signals.Conventions.vectorbt()):
        kw = dict(exits=ex, side=side, cost=0.001, conventions=conv, years=0.5)
        cpu = signals.sweep_signals(prices, ent, sets, **kw)
        gpu = signals_gpu.sweep_signals_gpu(prices, ent, sets, **kw)
        key = f"{side}-{conv.stops_on_entry_bar}"
        out[key] = [float(np.nanmax(np.abs(cpu.stats - gpu.stats))), bool((cpu.column_trades == gpu.column_trades).all()),
                    float(np.max(np.abs(cpu.column_return - gpu.column_return))), int(cpu.column_trades.sum())]
    kw = dict(side=side, cost=0.001, years=0.5, execution="close")  # entries at the next close, no exits
    cpu = signals.sweep_signals(prices, ent, sets, **kw)
    gpu = signals_gpu.sweep_signals_gpu(prices, ent, sets, **kw)
    out[f"{side}-close"] = [float(np.nanmax(np.abs(cpu.stats - gpu.stats))),
                            bool((cpu.column_trades == gpu.column_trades).all()),
                            float(np.max(np.abs(cpu.column_return - gpu.column_return))), int(cpu.column_trades.sum())]
print(json.dumps(out))
'''


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    src = str(Path(__file__).resolve().parents[2] / "src")
    full = {**os.environ, **env, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=full, timeout=600)


@pytest.mark.slow
def test_cuda_simulator_equals_cpu() -> None:
    pytest.importorskip("numba.cuda")
    proc = _run({"NUMBA_ENABLE_CUDASIM": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(out) == 6  # both sides: two conventions at the open, one run at the close
    for stats_diff, same_trades, ret_diff, trades in out.values():
        assert same_trades and trades > 10
        assert stats_diff == 0.0 and ret_diff == 0.0


def test_device_gpu_without_a_gpu_is_a_clear_error() -> None:
    from numba import cuda

    if cuda.is_available():
        pytest.skip("a CUDA GPU is present")
    import numpy as np

    from rotation.backtest import signals, signals_gpu
    from rotation.errors import ConfigError

    p = signals.SignalPrices.from_bars(*(np.full((5, 1), 10.0) for _ in range(4)))
    with pytest.raises(ConfigError, match="no CUDA GPU"):
        signals_gpu.sweep_signals_gpu(p, np.zeros((5, 1), dtype=bool), signals.StopSets.of(0.1))


def test_cli_device_gpu_without_a_gpu_exits_2(cli, real_store: Path) -> None:
    from numba import cuda

    if cuda.is_available():
        pytest.skip("a CUDA GPU is present")
    res = cli("backtest", "sweep", "breakout", "-g", "stop=0.05,0.1", "--device", "gpu", "--store", str(real_store))
    assert res.exit_code == 2 and "no CUDA GPU" in res.output
