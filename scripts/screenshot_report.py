"""Render the rotation report in headless Chromium, check it, and save a full-page screenshot.

    .venv/bin/python scripts/screenshot_report.py --store PATH --as-of 2024-07-26 --out-dir /tmp/report

Builds the report from the store, writes ``report.html``, opens it in headless
Chromium (``rotation.report.png.check_page``: a copy of the page with a small
checker script; uncaught errors and ``console.error`` calls are collected, and
every plotly figure is measured: size, traces, points, SVG traces drawn), then
writes ``report.png`` (full page).  Prints a JSON summary; exits 1 when a figure
is blank, a JavaScript error occurred or plotly.js did not load, 2 when Chromium
is missing.  Look at the PNG afterwards: the check proves things were drawn,
not that they look right.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from rotation.data.store import Store
from rotation.report.build import ReportOptions, build_report
from rotation.report.html import write_html
from rotation.report.png import check_page, find_chromium, page_screenshot


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=None, help="store file (default: $ROTATION_STORE)")
    parser.add_argument("--as-of", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: latest)")
    parser.add_argument("--out-dir", type=Path, default=Path("report-check"))
    parser.add_argument("--plan", type=Path, action="append", default=[], help="trade plan TOML (repeat)")
    parser.add_argument("--width", type=int, default=1400)
    args = parser.parse_args(argv)
    if find_chromium() is None:
        print("chromium not found: apt-get install -y chromium (or set ROTATION_CHROMIUM)", file=sys.stderr)
        return 2
    args.out_dir.mkdir(parents=True, exist_ok=True)
    with Store(args.store, read_only=True) as st:
        report = build_report(st, args.as_of, options=ReportOptions(plans=tuple(args.plan)))
    html_path = write_html(report, args.out_dir / "report.html")
    check = check_page(html_path, width=args.width)
    png = page_screenshot(html_path, args.out_dir / "report.png", width=args.width, height=check.height)
    summary = {
        "ok": check.ok,
        "as_of": report.as_of.isoformat(),
        "html": str(html_path),
        "png": str(png),
        "page_height": check.height,
        "plotly_loaded": check.plotly_loaded,
        "errors": list(check.errors),
        "blank_plots": list(check.blank_plots),
        "figures": [{k: p[k] for k in ("id", "traces", "points", "drawn")} for p in check.plots],
        "sections": list(check.sections),
        "build_seconds": round(report.timings.get("total", 0.0), 3),
    }
    print(json.dumps(summary, indent=2))
    return 0 if check.ok else 1


if __name__ == "__main__":
    sys.exit(main())
