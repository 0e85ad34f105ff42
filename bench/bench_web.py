"""Benchmark: the dashboard's views over a real uvicorn server, with httpx (targets: warm p95 < 300 ms, cold < 3 s).

Run from the repository root:

    .venv/bin/python bench/bench_web.py [--store PATH | --data ../shared/data] [--repeat 30]

Without ``--store`` a temporary store is filled from ``--data`` first (not timed).
``rotation serve`` is started as its own process on a free loopback port; a view
is timed as a browser loads it: the page, then every JSON endpoint its script
fetches, one after the other.

* cold: the first load of each view after the server started (imports done on
  start-up; numba's on-disk cache and the DuckDB pages may still be cold);
* cold, new parameters: the same views for another as-of date (process warm,
  nothing cached for those parameters);
* warm: ``--repeat`` loads of each view, p50 and p95 (answered from the cache
  until the store changes).

Beside it, the tool this replaces: the old dashboard rebuilt the whole evening
report on every load (``/report``, still served); its time per load is printed
with the ratio to a warm view.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

VIEWS: dict[str, list[str]] = {
    "overview": ["/", "/api/overview{q}"],
    "rrg": ["/rrg", "/api/universes", "/api/rrg?universe=sectors{a}"],
    "pair": ["/pair", "/api/pair?a=%5ERUT&b=%5ENDX{a}"],
    "breadth": ["/breadth", "/api/universes", "/api/breadth?universe=sp500{a}", "/api/breadth?universe=russell2000{a}"],
    "trades": ["/trades", "/api/trades{q}"],
}


def _store(args: argparse.Namespace, tmp: Path) -> Path:
    if args.store:
        return Path(args.store)
    from rotation.data.importer import import_paths
    from rotation.data.store import Store

    path = tmp / "bench.duckdb"
    with Store(path) as st:
        import_paths(st, [Path(args.data)])
    return path


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _load(client: httpx.Client, urls: list[str], as_of: str | None) -> float:
    t0 = time.perf_counter()
    for u in urls:
        url = u.format(q=f"?as_of={as_of}" if as_of else "", a=f"&as_of={as_of}" if as_of else "")
        if "/api/pair" in url and as_of:
            url = url.replace("as_of", "day")
        r = client.get(url)
        r.raise_for_status()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store")
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--plan", default=str(Path(__file__).resolve().parents[1] / "examples" / "iwm-short-2024-07.toml"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = _store(args, Path(tmp))
        port = _port()
        env = {**os.environ, "ROTATION_PLANS": tmp}
        proc = subprocess.Popen([sys.executable, "-m", "rotation", "serve", "--store", str(store), "--port", str(port),
                                 "--plan", args.plan], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            t0 = time.perf_counter()
            with httpx.Client(base_url=base, timeout=300) as client:
                while True:
                    try:
                        if client.get("/api/health").status_code == 200:
                            break
                    except httpx.HTTPError:
                        time.sleep(0.2)
                print(f"server up in {time.perf_counter() - t0:.1f} s (process start, imports)")
                print(f"{'view':10} {'cold s':>8} {'cold new params s':>18} {'warm p50 ms':>12} {'warm p95 ms':>12}")
                rows = []
                for name, urls in VIEWS.items():
                    cold = _load(client, urls, None)
                    rows.append((name, urls, cold))
                for name, urls, cold in rows:
                    cold2 = _load(client, urls, "2024-07-19")
                    warm = sorted(_load(client, urls, None) for _ in range(args.repeat))
                    p95 = warm[min(len(warm) - 1, round(0.95 * (len(warm) - 1)))]
                    print(f"{name:10} {cold:8.2f} {cold2:18.2f} {statistics.median(warm) * 1e3:12.1f} {p95 * 1e3:12.1f}")
                # each date once: the old dashboard built the report on every load (now cached too)
                old = [_load(client, [f"/report?as_of={d}"], None) for d in ("2024-07-26", "2024-07-19")]
                warm_all = [_load(client, VIEWS["overview"], None) for _ in range(5)]
                print(f"old dashboard (/report, rebuilt per load): {min(old):.2f} s per load; "
                      f"overview warm {statistics.median(warm_all) * 1e3:.1f} ms: {min(old) / statistics.median(warm_all):.0f}x")
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
