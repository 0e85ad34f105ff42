"""The dashboard: a real uvicorn server on localhost, real HTTP, real headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

uvicorn = pytest.importorskip("uvicorn", reason="the web extra is not installed")

from live import serve_app  # noqa: E402 (tests/web/live.py)

from rotation.web.app import create_app  # noqa: E402


def _serve(store: Path) -> Iterator[str]:
    return serve_app(create_app(store))


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


# -- the dashboard's views -------------------------------------------------------------------------

def test_pair_view_ranks_the_day_in_either_direction(base_url: str) -> None:
    d = httpx.get(f"{base_url}/api/pair", params={"a": "^RUT", "b": "^NDX", "day": "2024-07-11"}, timeout=120).json()
    day = d["day"]
    assert day["date"] == "2024-07-11" and day["toward"] == "^RUT" and day["classic"]
    assert (day["rank"], day["count"], day["rank_all"], day["count_all"]) == (2, 4506, 2, 4704)
    assert round(day["spread"], 4) == 0.0582 and "95% of members up" in day["breadth"]["description"]
    assert [r["date"] for r in d["top_a"][:2]] == ["2002-07-25", "2024-07-11"]
    assert all(r["spread"] > 0 for r in d["top_a"]) and all(r["spread"] < 0 for r in d["top_b"])
    assert d["top_b"][0]["date"] == "2001-01-03"
    # the chosen day is inside the charted range, and the ratio and its averages are aligned
    assert d["line"]["date"][0] <= "2024-07-11" <= d["line"]["date"][-1]
    assert len(d["line"]["ratio"]) == len(d["line"]["ma_fast"]) == len(d["line"]["ma_slow"]) > 400
    basket = httpx.get(f"{base_url}/api/pair", params={"a": "@megacaps", "b": "^RUT"}, timeout=120).json()
    assert basket["a"] == "@megacaps" and basket["line"]["ratio"]


def test_rrg_view_history_for_the_slider(base_url: str) -> None:
    d = httpx.get(f"{base_url}/api/rrg", params={"universe": "sectors", "as_of": "2024-07-26"}, timeout=120).json()
    assert d["benchmark"] == "SPY" and d["params"] == {"freq": "weekly", "window": 26, "smooth": 1, "momentum": 4}
    assert d["dates"][-1] == "2024-07-26" and len(d["dates"]) == 104
    xlf = d["series"]["XLF"]
    assert len(xlf["x"]) == len(d["dates"]) and xlf["q"][-1] == "leading" and xlf["x"][-1] == 100.661
    first = d["transitions"][0]
    assert (first["date"], first["symbol"], first["from_quadrant"], first["to_quadrant"]) == (
        "2024-07-26", "XLF", "improving", "leading")
    daily = httpx.get(f"{base_url}/api/rrg", params={"universe": "sp500", "freq": "daily", "span": 20,
                                                      "as_of": "2024-07-26"}, timeout=300).json()
    assert daily["dates"][-1] == "2024-07-26" and len(daily["series"]) > 400 and daily["notes"]


def test_breadth_and_overview_views(base_url: str) -> None:
    b = httpx.get(f"{base_url}/api/breadth", params={"universe": "sp500", "as_of": "2024-07-11"}, timeout=300).json()
    assert b["as_of"] == "2024-07-11" and b["survivor_biased"]
    assert b["snapshot"]["advancers"] == 372 and round(b["snapshot"]["share_up"], 4) == 0.7832
    one_day = b["weights"]["table"][0]
    assert one_day["window"] == "1d" and round(one_day["spread_equal_vs_cap"], 4) == 0.0207
    assert set(b["series"]) >= {"date", "above_ma50", "mcclellan"} and b["series"]["date"][-1] == "2024-07-11"
    o = httpx.get(f"{base_url}/api/overview", params={"as_of": "2024-07-11"}, timeout=300).json()
    notable = {r["pair"] for r in o["scan"]["pairs"] if r["notable"]}
    assert {"^RUT:^NDX", "IWM:QQQ", "RSP:SPY"} <= notable
    r2k = next(x for x in o["breadth"] if x["universe"] == "russell2000")
    assert r2k["snapshot"]["advancers"] == 1575
    pos = o["positioning"]
    assert pos["available"]
    rty = next(c for c in pos["positioning"]["contracts"] if c["contract"] == "RTY")
    assert rty["report_date"] == "2024-07-02"  # the 2024-07-09 report came out on 2024-07-12: not yet known


def test_trades_view_replays_the_plan(tmp_path: Path, real_store: Path) -> None:
    plan = Path(__file__).resolve().parents[2] / "examples" / "iwm-short-2024-07.toml"
    app = create_app(real_store, plans=(plan,))
    for url in serve_app(app):
        d = httpx.get(f"{url}/api/trades", params={"as_of": "2024-07-26"}, timeout=120).json()
        item = d["items"][0]
        assert item["symbol"] == "IWM" and item["side"] == "short" and not item["journal"]
        first = item["tranches"][0]
        assert (first["exit_date"], first["exit_price"], first["exit_reason"]) == ("2024-07-22", 220.65, "stop")
        stop = next(a for a in item["alerts"] if a["rule"] == "watch-stop")
        assert stop["instrument"] == "^RUT" and stop["level"] == 2278.12 and round(stop["distance_pct"], 4) == 0.008
        o = httpx.get(f"{url}/api/overview", params={"as_of": "2024-07-26"}, timeout=300).json()
        assert o["stops"][0]["level"] == 2278.12
        assert item["bars"]["date"][-1] == "2024-07-26"


def test_results_are_cached_until_the_store_changes(store_copy: Path) -> None:
    from rotation.data.store import Store

    for url in _serve(store_copy):
        def counters(url: str = url) -> tuple[int, int]:
            c = httpx.get(f"{url}/api/health", timeout=30).json()["cache"]
            return c["hits"], c["misses"]

        q = {"a": "IWM", "b": "QQQ"}
        first = httpx.get(f"{url}/api/pair", params=q, timeout=120).content
        h0, m0 = counters()
        assert httpx.get(f"{url}/api/pair", params=q, timeout=120).content == first
        h1, m1 = counters()
        assert (h1, m1) == (h0 + 1, m0)  # answered from the cache
        with Store(store_copy) as st:  # a write: the store's version changes
            st.connection.execute("CREATE TABLE desk_touch AS SELECT 1 AS a")
        assert httpx.get(f"{url}/api/pair", params=q, timeout=120).content == first
        _, m2 = counters()
        assert m2 == m1 + 1  # rebuilt once after the write


# -- what the dashboard refuses ----------------------------------------------------------------------

def test_universe_names_only(base_url: str, tmp_path: Path) -> None:
    secret = tmp_path / "secret.toml"
    secret.write_text('name = "secret"\nsymbols = ["NVDA"]\n', encoding="utf-8")
    for path in ("/api/rrg", "/api/report", "/report"):
        answers = set()
        for name in (str(secret), str(tmp_path / "absent.toml")):  # an existing file and a missing one
            resp = httpx.get(f"{base_url}{path}", params={"universe": name}, timeout=60)
            assert resp.status_code == 400, (path, name, resp.text)
            assert "NVDA" not in resp.text and str(tmp_path) not in resp.text
            answers.add(resp.text)
        assert len(answers) == 1  # the answer does not tell whether a file exists
        for name in ("../secret", "nosuch"):
            assert httpx.get(f"{base_url}{path}", params={"universe": name}, timeout=60).status_code == 400
    assert "expected one of" in httpx.get(f"{base_url}/api/rrg", params={"universe": "nosuch"}, timeout=60).json()["error"]


def test_rrg_windows_longer_than_the_data_are_the_clis_error(base_url: str) -> None:
    """The explorer refuses an RRG with no point as the CLI does (the bars a first point needs, the
    bars there are), rather than drawing an empty graph."""
    resp = httpx.get(f"{base_url}/api/rrg", params={"universe": "sectors", "window": 520, "as_of": "2005-03-01"},
                     timeout=120)
    assert resp.status_code == 400
    assert resp.json()["error"] == ("RRG window 520: a first point needs window + smooth - 1 + momentum = 524 weekly "
                                    "bars (window 520, smooth 1, momentum 4); the longest member of sectors, XLB, has "
                                    "324 weekly bars with SPY up to 2005-03-01 (1998-12-24..2005-03-01)")


def test_host_header_is_checked(base_url: str, real_store: Path) -> None:
    for host in ("evil.example", "127.0.0.1.evil.example", "attacker:8765"):
        resp = httpx.get(f"{base_url}/api/health", headers={"Host": host}, timeout=30)
        assert resp.status_code == 400 and "--allow-host" in resp.json()["error"]
    for host in ("127.0.0.1", "localhost:8765", "[::1]:8765"):
        assert httpx.get(f"{base_url}/api/health", headers={"Host": host}, timeout=30).status_code == 200
    for url in serve_app(create_app(real_store, allow_hosts=("dash.local",))):
        assert httpx.get(f"{url}/api/health", headers={"Host": "dash.local:80"}, timeout=30).status_code == 200
        assert httpx.get(f"{url}/api/health", headers={"Host": "other.local"}, timeout=30).status_code == 400


def test_errors_never_name_the_store(real_store: Path, tmp_path: Path) -> None:
    missing = tmp_path / "hidden-folder" / "none.duckdb"
    for url in _serve(missing):
        for path in ("/api/health", "/api/overview", "/api/pair?a=IWM&b=QQQ", "/report"):
            resp = httpx.get(f"{url}{path}", timeout=30)
            assert resp.status_code == 503 and "hidden-folder" not in resp.text and "none.duckdb" not in resp.text
    for url in _serve(real_store):
        resp = httpx.get(f"{url}/api/bars/NOPEZZ", timeout=30)
        assert resp.status_code == 404 and str(real_store.parent) not in resp.text
        assert str(real_store) not in httpx.get(f"{url}/api/report", params={"as_of": "2024-07-26"}, timeout=300).text


def test_openapi_documents_errors_and_types(base_url: str) -> None:
    doc = httpx.get(f"{base_url}/api/openapi.json", timeout=30).json()
    assert "/static/plotly.js" not in doc["paths"] and "/" not in doc["paths"]
    for path, item in doc["paths"].items():
        responses = item["get"]["responses"]
        assert {"200", "400", "404", "503"} <= set(responses) and "422" not in responses, path
        assert "application/json" in responses["400"]["content"], path
        for p in item["get"].get("parameters", []):
            assert p["schema"].get("type") or p["schema"].get("anyOf"), (path, p)
    pair = {p["name"]: p["schema"] for p in doc["paths"]["/api/pair"]["get"]["parameters"]}
    assert pair["fast"]["type"] == "integer" and pair["fast"]["minimum"] == 2 and pair["window"]["enum"] == ["1d", "5d", "20d"]
    page = httpx.get(f"{base_url}/api/docs", timeout=30)
    assert page.status_code == 200 and "http://" not in page.text and "https://" not in page.text
    assert httpx.get(f"{base_url}/static/dash/apidocs.js", timeout=30).status_code == 200
