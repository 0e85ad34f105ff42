"""The dashboard in a real browser: `rotation serve` on a test store, Debian's Chromium driven by Playwright.

Every view opens without a console error; moving the RRG slider redraws the
chart at another date; entering IWM:QQQ in the pair explorer draws its ratio.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = Path(os.environ.get("ROTATION_CHROMIUM", "/usr/bin/chromium"))
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (the dev extra)")
pytest.importorskip("uvicorn", reason="the web extra is not installed")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.is_file(), reason=f"Debian's chromium not found at {CHROMIUM}: `apt-get install -y chromium`"
)

VIEWS = {
    "/": "#scan table",
    "/rrg": "#rrg .main-svg",
    "/pair": "#ratio .main-svg",
    "/breadth": "#sets .main-svg",
    "/trades": "#journal",
    "/report?as_of=2024-07-26": "#headline",
    "/api/docs": "#api section",
}


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(real_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    plan = Path(__file__).resolve().parents[2] / "examples" / "iwm-short-2024-07.toml"
    env = {**os.environ, "ROTATION_PLANS": str(tmp_path_factory.mktemp("plans"))}
    log_path = tmp_path_factory.mktemp("serve") / "serve.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "rotation", "serve", "--store", str(real_store), "--port", str(port), "--plan", str(plan)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    try:
        while True:
            try:
                if httpx.get(f"{url}/api/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"rotation serve did not start: {log_path.read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    p = ctx.new_page()
    p.set_default_timeout(90_000)
    p.errors = []  # type: ignore[attr-defined]
    p.on("console", lambda m: p.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    p.on("pageerror", lambda e: p.errors.append(f"page error: {e}"))
    p.on("requestfailed", lambda r: p.errors.append(f"request failed: {r.url}"))
    yield p
    ctx.close()


@pytest.mark.parametrize("path", list(VIEWS))
def test_every_view_opens_without_errors(server: str, page: Any, path: str) -> None:
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(server + path)
    page.wait_for_selector(VIEWS[path], state="attached")
    page.wait_for_load_state("networkidle")
    assert page.errors == []
    assert not page.locator("#status.error").count(), page.locator("#status").inner_text()
    # nothing fetched from the network: every request goes to this server
    assert all(u.startswith(server) for u in requests), [u for u in requests if not u.startswith(server)]


def test_rrg_slider_moves_the_tails(server: str, page: Any) -> None:
    page.goto(server + "/rrg?universe=sectors")
    page.wait_for_function("document.getElementById('rrg').dataset.date")
    before_date = page.eval_on_selector("#rrg", "e => e.dataset.date")
    before = page.eval_on_selector("#rrg", "e => JSON.stringify(e.data.map(t => [t.name, t.x]))")
    page.eval_on_selector("#slider", "s => { s.value = Math.max(0, +s.max - 20); s.dispatchEvent(new Event('input')); }")
    page.wait_for_function(f"document.getElementById('rrg').dataset.date !== '{before_date}'")
    after = page.eval_on_selector("#rrg", "e => JSON.stringify(e.data.map(t => [t.name, t.x]))")
    assert after != before
    assert page.eval_on_selector("#slider-date", "e => e.textContent") < before_date
    # the transitions beside the chart are those up to the shown date
    shown = page.eval_on_selector_all("#transitions tbody tr td:first-child", "tds => tds.map(t => t.textContent)")
    assert shown and max(shown) <= page.eval_on_selector("#rrg", "e => e.dataset.date")
    assert page.errors == []


def test_pair_explorer_draws_iwm_qqq(server: str, page: Any) -> None:
    page.goto(server + "/pair")
    page.wait_for_selector("#ratio .main-svg")
    page.fill("input[name=pair]", "IWM:QQQ")
    page.click("#controls button[type=submit]")
    page.wait_for_function("document.getElementById('ratio').dataset.pair === 'IWM:QQQ'")
    traces = page.eval_on_selector("#ratio", "e => e.data.map(t => [t.name, t.x.length, t.y.filter(v => v !== null).length])")
    assert traces[0][0].startswith("IWM/QQQ") and traces[0][1] > 400 and traces[0][2] > 400
    assert page.locator("#ratio .main-svg .scatterlayer .trace").count() == 3  # ratio and two averages drawn
    assert "IWM" in page.inner_text("#top-a-title") and page.locator("#top-a tbody tr").count() == 10
    assert page.errors == []
