"""Benchmark: the default evening report on the full store (target: under 3 s warm).

Run from the repository root:

    .venv/bin/python bench/bench_report.py [--store PATH | --data ../shared/data] [--as-of 2024-07-26] [--repeat 5]

Without ``--store`` a temporary store is filled from ``--data`` first (not timed).
Timed, in one process: the first ``build_report`` (cold: imports done, numba
caches loaded, DuckDB file pages read), then the best and median of ``--repeat``
warm builds with the time of each section, ``render_html`` + write, and
``render_text``; finally the whole command ``rotation report --out FILE`` as a
fresh process (includes Python start-up and imports), twice.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from rotation.data.store import Store
from rotation.report.build import build_report
from rotation.report.html import write_html
from rotation.report.terminal import render_text


def _store(args: argparse.Namespace, tmp: Path) -> Path:
    if args.store:
        return Path(args.store)
    from rotation.data.importer import import_paths

    path = tmp / "bench.duckdb"
    t0 = time.perf_counter()
    with Store(path) as st:
        import_paths(st, [Path(args.data)])
    print(f"filled a store from {args.data} in {time.perf_counter() - t0:.1f}s (not timed)")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=None)
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2024, 7, 26))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmpdir:
        tmp = Path(tmpdir)
        path = _store(args, tmp)
        with Store(path, read_only=True) as st:
            t0 = time.perf_counter()
            report = build_report(st, args.as_of)
            cold = time.perf_counter() - t0
            warm, per_section = [], []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                report = build_report(st, args.as_of)
                warm.append(time.perf_counter() - t0)
                per_section.append(report.timings)
        t0 = time.perf_counter()
        write_html(report, tmp / "r.html")
        t_html = time.perf_counter() - t0
        t0 = time.perf_counter()
        text = render_text(report)
        t_text = time.perf_counter() - t0
        cli = []
        exe = Path(sys.executable).with_name("rotation")
        for _ in range(2):
            t0 = time.perf_counter()
            subprocess.run([str(exe), "report", "--as-of", args.as_of.isoformat(), "--out", str(tmp / "cli.html"),
                            "--store", str(path)], check=True, capture_output=True)
            cli.append(time.perf_counter() - t0)
    best = min(range(len(warm)), key=warm.__getitem__)
    print(f"report as of {report.as_of}: {len(report.sections)} sections, {len(report.figures)} figures, "
          f"{len(text.splitlines())} text lines, HTML {(tmp / 'r.html').name}")
    print(f"build_report cold          {cold:6.3f} s")
    print(f"build_report warm best     {warm[best]:6.3f} s   median {statistics.median(warm):.3f} s "
          f"({args.repeat} runs)")
    print("  by part (best run):      " + ", ".join(f"{k} {v:.3f}" for k, v in per_section[best].items()
                                                    if k != "total"))
    print(f"render_html + write        {t_html:6.3f} s")
    print(f"render_text                {t_text:6.3f} s")
    print(f"warm build + HTML          {warm[best] + t_html:6.3f} s   (target < 3 s)")
    print(f"`rotation report` process  {cli[0]:6.3f} s first, {cli[1]:6.3f} s second (Python start-up and imports in)")


if __name__ == "__main__":
    main()
