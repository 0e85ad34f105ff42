"""PNG export by headless Chromium: write the self-contained HTML page, screenshot it.

Why not plotly's own ``write_image``: it needs the ``kaleido`` package plus a
Chrome it can drive, which is another dependency to install and pin.  Debian's
``chromium`` package (``apt-get install -y chromium``) is enough here: the page
embeds plotly.js, so Chromium renders it offline, and ``--screenshot`` writes the
PNG.  ``$ROTATION_CHROMIUM`` points at another Chromium/Chrome binary.

The same launcher, :func:`run_chromium`, serves the report's browser check
(``scripts/screenshot_report.py``): ``--dump-dom`` after the scripts ran, and
the console messages Chromium logs on stderr with ``--enable-logging=stderr``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rotation.data.textio import write_atomic
from rotation.errors import ConfigError
from rotation.report.html import figure_page
from rotation.report.model import FigureRef

CANDIDATES: tuple[str, ...] = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# Flags that keep a headless run offline, quiet and independent of any profile.
BASE_FLAGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)

_CONSOLE = re.compile(r":INFO:CONSOLE[^\]]*\] \"(?P<msg>.*)\", source: (?P<src>.*)$")


def find_chromium() -> str | None:
    """Path of a Chromium/Chrome binary: ``$ROTATION_CHROMIUM`` first, then the usual names."""
    env = os.environ.get("ROTATION_CHROMIUM")
    if env:
        return env if Path(env).exists() or shutil.which(env) else None
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def require_chromium() -> str:
    path = find_chromium()
    if path is None:
        raise ConfigError(
            "PNG export needs Chromium: install it (Debian/Ubuntu: `apt-get install -y chromium`) "
            "or set ROTATION_CHROMIUM to a Chrome/Chromium binary; or write .html instead"
        )
    return path


@dataclass(frozen=True)
class ChromiumRun:
    """What one headless run produced: stdout (e.g. the DOM), console messages, exit code."""

    returncode: int
    stdout: str
    console: tuple[str, ...]
    stderr: str


def run_chromium(url: str, *extra: str, timeout: float = 60.0) -> ChromiumRun:
    """Run headless Chromium once on ``url`` with :data:`BASE_FLAGS` plus ``extra``; capture the console."""
    binary = require_chromium()
    with tempfile.TemporaryDirectory(prefix="rotation-chromium-") as profile:
        cmd = [binary, *BASE_FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
               *extra, url]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ConfigError(f"chromium did not finish within {timeout:.0f}s on {url}") from exc
    console = tuple(
        f"{m.group('msg')} ({m.group('src')})"
        for line in proc.stderr.splitlines()
        if (m := _CONSOLE.search(line))
    )
    return ChromiumRun(proc.returncode, proc.stdout, console, proc.stderr)


def html_to_png(html_path: Path | str, png_path: Path | str, *, width: int = 1400, height: int = 900,
                budget_ms: int = 8000) -> Path:
    """Screenshot a local HTML file (``width`` x ``height`` CSS pixels) into ``png_path``."""
    src = Path(html_path).resolve()
    out = Path(png_path).resolve()
    with tempfile.TemporaryDirectory(prefix="rotation-shot-") as tmp:
        shot = Path(tmp) / "shot.png"
        run = run_chromium(
            src.as_uri(), f"--window-size={width},{height}", f"--virtual-time-budget={budget_ms}",
            f"--screenshot={shot}",
        )
        if not shot.exists() or shot.stat().st_size == 0:
            raise ConfigError(f"chromium wrote no screenshot for {src} (exit {run.returncode}): "
                              f"{run.stderr.strip().splitlines()[-1:] or ''}")
        # Written only once the screenshot exists: a failed run leaves the old file.
        return write_atomic(out, shot.read_bytes(), "PNG")


def figure_to_png(ref: FigureRef, png_path: Path | str, *, width: int = 1400) -> Path:
    """One figure as a PNG: its self-contained page rendered by headless Chromium."""
    with tempfile.TemporaryDirectory(prefix="rotation-png-") as tmp:
        page = Path(tmp) / "figure.html"
        page.write_text(figure_page(ref, static=True), encoding="utf-8")
        return html_to_png(page, png_path, width=width, height=ref.height + 20)


# -- the browser check: does the page render, with every figure drawn and no JavaScript error? -----------

_CHECK_ID = "rotation-check"
# Injected first in <head>, so it sees errors thrown while plotly.js and the figures load.
_CHECK_JS = """<script>
window.__rotationErrors = [];
window.addEventListener('error', function (e) { window.__rotationErrors.push(String(e.message)); });
(function () {
  var origError = console.error;
  console.error = function () {
    window.__rotationErrors.push(Array.prototype.map.call(arguments, String).join(' '));
    return origError.apply(console, arguments);
  };
})();
window.addEventListener('load', function () { setTimeout(function () {
  var plots = Array.prototype.map.call(document.querySelectorAll('.js-plotly-plot'), function (p) {
    var r = p.getBoundingClientRect();
    var data = p.data || [];
    var points = data.reduce(function (n, t) {
      var xs = t.x || t.z || t.open || [];
      return n + (xs.length || 0);
    }, 0);
    return {id: p.id, width: r.width, height: r.height, traces: data.length, points: points,
            drawn: p.querySelectorAll('.main-svg .trace, .main-svg .hm').length,
            laidOut: !!p._fullLayout};
  });
  var sections = Array.prototype.map.call(document.querySelectorAll('section'), function (s) {
    return {id: s.id, status: s.getAttribute('data-status'), text: s.innerText.length,
            figures: s.querySelectorAll('.js-plotly-plot').length};
  });
  var pre = document.createElement('pre');
  pre.id = 'CHECK_ID';
  pre.style.display = 'none';
  pre.textContent = JSON.stringify({plots: plots, sections: sections, errors: window.__rotationErrors,
                                    height: document.documentElement.scrollHeight,
                                    plotly: typeof Plotly !== 'undefined'});
  document.body.appendChild(pre);
}, 0); });
</script>""".replace("CHECK_ID", _CHECK_ID)


@dataclass(frozen=True)
class PageCheck:
    """What headless Chromium saw on a page: figures, sections, JavaScript errors, height."""

    plots: tuple[dict[str, Any], ...]  # JSON from the page: id, width, height, traces, points, drawn
    sections: tuple[dict[str, Any], ...]
    errors: tuple[str, ...]
    console: tuple[str, ...]
    height: int
    plotly_loaded: bool

    @property
    def blank_plots(self) -> tuple[str, ...]:
        """Ids of figures with no size, no data or nothing drawn."""
        return tuple(
            str(p["id"]) for p in self.plots
            if not (float(p["width"]) > 0 and float(p["height"]) > 0 and int(p["traces"]) > 0
                    and int(p["points"]) > 0 and int(p["drawn"]) > 0 and p["laidOut"])
        )

    @property
    def ok(self) -> bool:
        return self.plotly_loaded and not self.errors and not self.blank_plots


def check_page(html_path: Path | str, *, width: int = 1400, budget_ms: int = 15000) -> PageCheck:
    """Open a report page in headless Chromium, let its scripts run, and read back what was drawn.

    A copy of the page with a small checker script in ``<head>`` is loaded with
    ``--dump-dom``; the checker records uncaught errors and ``console.error``
    calls, then writes a JSON summary of every plotly figure (size, traces,
    points, SVG traces drawn) and every section into the DOM.
    """
    import json

    src = Path(html_path).resolve()
    text = src.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="rotation-check-") as tmp:
        probe = Path(tmp) / src.name
        probe.write_text(text.replace("<head>", "<head>" + _CHECK_JS, 1), encoding="utf-8")
        run = run_chromium(probe.as_uri(), f"--window-size={width},1000", f"--virtual-time-budget={budget_ms}",
                           "--dump-dom")
    m = re.search(rf'<pre id="{_CHECK_ID}"[^>]*>(.*?)</pre>', run.stdout, re.S)
    if not m:
        raise ConfigError(f"the page {src} never finished loading in chromium (exit {run.returncode}); "
                          f"console: {' | '.join(run.console) or 'empty'}")
    import html as _html

    found = json.loads(_html.unescape(m.group(1)))
    uncaught = tuple(c for c in run.console if "Uncaught" in c)
    return PageCheck(
        plots=tuple(found["plots"]),
        sections=tuple(found["sections"]),
        errors=tuple(dict.fromkeys([*found["errors"], *uncaught])),
        console=run.console,
        height=int(found["height"]),
        plotly_loaded=bool(found["plotly"]),
    )


def page_screenshot(html_path: Path | str, png_path: Path | str, *, width: int = 1400,
                    height: int | None = None, max_height: int = 16000) -> Path:
    """A full-page PNG of a report: the page height is measured first (:func:`check_page`)."""
    if height is None:
        height = check_page(html_path, width=width).height
    return html_to_png(html_path, png_path, width=width, height=min(max(height, 600), max_height))
