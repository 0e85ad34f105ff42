"""The dashboard: a real uvicorn server on localhost, real HTTP, real headless Chromium."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

uvicorn = pytest.importorskip("uvicorn", reason="the web extra is not installed")

from rotation.web.app import create_app  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(store: Path) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(create_app(store), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def base_url(real_store: Path) -> Iterator[str]:
    yield from _serve(real_store)


def test_health_and_symbols(base_url: str) -> None:
    health = httpx.get(f"{base_url}/api/health", timeout=30).json()
    assert health["status"] == "ok" and health["symbols"] == 47 and health["last_date"] == "2026-08-21"
    symbols = {r["symbol"]: r for r in httpx.get(f"{base_url}/api/symbols", timeout=30).json()}
    assert symbols["^RUT"]["rows"] == 9811


def test_bars_alias_and_errors(base_url: str) -> None:
    rows = httpx.get(f"{base_url}/api/bars/RUT", params={"start": "2024-07-17", "end": "2024-07-17"}, timeout=30).json()
    assert rows == [
        {"symbol": "^RUT", "date": "2024-07-17", "open": 2246.44, "high": 2278.13, "low": 2236.25,
         "close": 2239.67, "adj_close": 2239.67, "volume": rows[0]["volume"]}
    ]
    missing = httpx.get(f"{base_url}/api/bars/NOPE", timeout=30)
    assert missing.status_code == 404 and "no bars for NOPE" in missing.json()["error"]
    bad = httpx.get(f"{base_url}/api/bars/RUT", params={"start": "July"}, timeout=30)
    assert bad.status_code == 400 and "expected a date" in bad.json()["error"]


def test_report_api_names_the_rotation_day(base_url: str) -> None:
    doc = httpx.get(f"{base_url}/api/report", params={"as_of": "2024-07-26"}, timeout=120).json()
    assert doc["as_of"] == "2024-07-26"
    sections = {s["key"]: s for s in doc["sections"]}
    assert {"headline", "leadership", "daily_chart", "ratios", "rrg", "breadth", "trades", "health"} <= set(sections)
    headline = " ".join(sections["headline"]["lines"])
    assert "2024-07-11 ^RUT:^NDX" in headline and "2nd widest spread" in headline


def test_missing_store_is_503_with_instructions(tmp_path: Path) -> None:
    for url in _serve(tmp_path / "none.duckdb"):
        resp = httpx.get(f"{url}/api/health", timeout=30)
        assert resp.status_code == 503
        assert "rotation data import" in resp.json()["error"]


def test_page_renders_in_chromium(base_url: str) -> None:
    from rotation.report.png import find_chromium, run_chromium

    if find_chromium() is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    page = httpx.get(f"{base_url}/report", params={"as_of": "2024-07-26"}, timeout=120)
    assert page.status_code == 200 and 'src="/static/plotly.js"' in page.text
    assert len(page.content) < 2_000_000  # plotly.js is served separately, not inlined
    run = run_chromium(f"{base_url}/report?as_of=2024-07-26", "--virtual-time-budget=15000", "--dump-dom", timeout=120)
    dom = run.stdout
    assert "Rotation report, as of 2024-07-26" in dom
    assert dom.count('class="main-svg"') >= 6  # plotly drew the figures
    errors = [m for m in run.console if "error" in m.lower()]
    assert errors == []
