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
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        out.unlink()
    run = run_chromium(
        src.as_uri(), f"--window-size={width},{height}", f"--virtual-time-budget={budget_ms}",
        f"--screenshot={out}",
    )
    if not out.exists() or out.stat().st_size == 0:
        raise ConfigError(f"chromium wrote no screenshot for {src} (exit {run.returncode}): "
                          f"{run.stderr.strip().splitlines()[-1:] or ''}")
    return out


def figure_to_png(ref: FigureRef, png_path: Path | str, *, width: int = 1400) -> Path:
    """One figure as a PNG: its self-contained page rendered by headless Chromium."""
    with tempfile.TemporaryDirectory(prefix="rotation-png-") as tmp:
        page = Path(tmp) / "figure.html"
        page.write_text(figure_page(ref, static=True), encoding="utf-8")
        return html_to_png(page, png_path, width=width, height=ref.height + 20)
