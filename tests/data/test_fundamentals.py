"""Fundamentals import (SEC companyfacts, Shiller, multpl, S&P DJI) and the SEC fetcher, offline."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import date
from pathlib import Path

import httpx
import polars as pl
import pytest

from rotation.data.fundamentals import (
    companies,
    load_companyfacts,
    load_facts,
    load_table,
    parse_companyfacts,
)
from rotation.data.importer import HANDLERS, import_paths
from rotation.data.providers.base import RetryPolicy
from rotation.data.providers.sec import RateLimiter, fetch_companyfacts, sec_user_agent, update_fundamentals
from rotation.data.store import Store
from rotation.errors import ConfigError, DataError, ProviderError

NVDA_FILE = "CIK0001045810.json.gz"
UA = "Rotation Tests tests@example.com"
FAST = RetryPolicy(attempts=3, base_delay=0.01)


def _fund(shared_data: Path) -> Path:
    folder = shared_data / "fundamentals"
    if not (folder / NVDA_FILE).is_file():
        pytest.skip(f"fundamentals not found at {folder}")
    return folder


def _table_counts(path: Path) -> dict[str, int]:
    with Store(path, read_only=True) as st:
        names = st.query("SELECT table_name FROM information_schema.tables ORDER BY 1")["table_name"].to_list()
        return {n: int(st.query(f"SELECT count(*) AS n FROM {n}")["n"][0]) for n in names}


# -- the real files -------------------------------------------------------

def test_nvda_companyfacts_keeps_every_filing(shared_data: Path) -> None:
    cf = load_companyfacts(_fund(shared_data) / NVDA_FILE)
    assert (cf.cik, cf.ticker, cf.entity_name) == (1045810, "NVDA", "NVIDIA CORP")
    assert cf.facts.height == 26903  # the manifest's n_facts
    fy24 = cf.facts.filter(
        (pl.col("period_start") == date(2023, 1, 30)) & (pl.col("period_end") == date(2024, 1, 28))
    )
    rev = fy24.filter(pl.col("concept") == "Revenues")["val"].unique().to_list()
    assert rev == [60_922_000_000.0]
    eps = fy24.filter(pl.col("concept") == "EarningsPerShareDiluted").sort("filed")
    assert eps["val"].to_list() == [11.93, 1.19, 1.19]
    assert eps["filed"].to_list() == [date(2024, 2, 21), date(2025, 2, 26), date(2026, 2, 25)]
    assert eps["accn"][0] == "0001045810-24-000029"
    assert eps["form"].to_list() == ["10-K"] * 3


def test_handlers_claim_every_fundamentals_file(shared_data: Path) -> None:
    folder = _fund(shared_data)
    kinds = {}
    for path in sorted(folder.glob("*")):
        if path.is_file() and path.suffix != ".md":
            kinds[path.name] = next(h.kind for h in HANDLERS if h.claims(path))
    assert kinds["CIK0000789019.subset.json.gz"] == "companyfacts"
    assert kinds["shiller_ie_data_monthly.csv"] == "shiller"
    assert kinds["sp500_pe_ttm_multpl_monthly.csv"] == "sp500-pe"
    assert kinds["spdji_index_eps_quarterly.csv"] == "spdji-eps-quarterly"
    assert kinds["spdji_index_eps_pe_annual.csv"] == "spdji-eps-annual"
    assert kinds["spdji_index_price_year_end.csv"] == "spdji-price"
    assert kinds["spdji_index_snapshots.csv"] == "spdji-snapshots"
    assert kinds["companyfacts_manifest.csv"] == "companyfacts-manifest"
    assert kinds["sec_key_facts.csv"] == "companyfacts-extract"
    assert "bars" not in kinds.values()


def test_real_store_holds_fundamentals(real_store: Path) -> None:
    with Store(real_store, read_only=True) as st:
        comp = companies(st)
        assert sorted(comp["ticker"].to_list()) == ["AAPL", "AMZN", "AVGO", "GOOGL", "META", "MSFT", "NVDA", "TSLA"]
        msft = comp.filter(pl.col("ticker") == "MSFT").row(0, named=True)
        assert msft["completeness"].startswith("subset")
        facts = load_facts(st, ["MSFT"], ["EarningsPerShareDiluted"])
        fy24 = facts.filter(pl.col("period_end") == date(2024, 6, 30))
        assert set(fy24["val"].to_list()) == {11.80}
        shiller = load_table(st, "index_shiller_monthly")
        jul = shiller.filter(pl.col("date") == date(2024, 7, 1)).row(0, named=True)
        assert jul["cape"] == pytest.approx(35.44, abs=0.005)
        assert shiller.filter(pl.col("date") == date(1999, 12, 1))["cape"][0] == pytest.approx(44.20, abs=0.005)
        multpl = load_table(st, "index_sp500_pe_ttm")
        assert multpl.filter(pl.col("date") == date(2024, 7, 1))["sp500_pe_ttm"][0] == 28.08
        annual = load_table(st, "spdji_eps_annual")
        sp600 = annual.filter(
            (pl.col("index_name") == "S&P 600") & (pl.col("basis") == "operating") & (pl.col("year") == 2024)
        ).row(0, named=True)
        assert (sp600["eps"], sp600["pe"]) == (61.86, 22.76)
        q = load_table(st, "spdji_eps_quarterly").filter(
            (pl.col("index_name") == "S&P 600") & (pl.col("basis") == "operating")
            & (pl.col("quarter_end").dt.year() == 2024)
        )
        assert q["eps"].sum() == pytest.approx(61.86)
        snaps = load_table(st, "spdji_snapshots")
        assert snaps.height == 19


def test_reimport_changes_nothing(store_copy: Path, shared_data: Path) -> None:
    with Store(store_copy) as st:
        report = import_paths(st, [_fund(shared_data)])
    total = report.total
    assert (total.added, total.changed) == (0, 0)
    assert total.unchanged > 150_000
    kinds = report.by_kind()
    assert kinds["companyfacts"].unchanged == 156_478


# -- malformed input: one clear error, nothing written --------------------

@pytest.mark.parametrize("damage", ["truncated_gzip", "truncated_json", "not_json", "bad_fact"])
def test_malformed_companyfacts_writes_nothing(damage: str, store_copy: Path, shared_data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    good = _fund(shared_data) / "CIK0000789019.subset.json.gz"
    shutil.copy(good, folder / good.name)
    raw = gzip.decompress((_fund(shared_data) / NVDA_FILE).read_bytes())
    bad = folder / "CIK0001045810.json.gz"
    if damage == "truncated_gzip":
        bad.write_bytes(gzip.compress(raw)[:50_000])
    elif damage == "truncated_json":
        bad.write_bytes(gzip.compress(raw[: len(raw) // 2]))
    elif damage == "not_json":
        bad = folder / "CIK0001045810.json"
        bad.write_text("<html>429 Too Many Requests</html>")
    else:
        doc = json.loads(raw)
        del doc["facts"]["us-gaap"]["Revenues"]["units"]["USD"][3]["end"]
        bad.write_bytes(gzip.compress(json.dumps(doc).encode()))
    before = _table_counts(store_copy)
    with Store(store_copy) as st, pytest.raises(DataError) as err:
        import_paths(st, [folder])
    assert bad.name in str(err.value)
    assert _table_counts(store_copy) == before


def test_checksum_mismatch_with_manifest(tmp_path: Path, shared_data: Path) -> None:
    fund = _fund(shared_data)
    shutil.copy(fund / "companyfacts_manifest.csv", tmp_path / "companyfacts_manifest.csv")
    doc = json.loads(gzip.decompress((fund / "CIK0000789019.subset.json.gz").read_bytes()))
    (tmp_path / "CIK0000789019.subset.json.gz").write_bytes(gzip.compress(json.dumps(doc).encode()))
    with pytest.raises(DataError, match=r"CIK0000789019\.subset\.json\.gz: SHA-256"):
        load_companyfacts(tmp_path / "CIK0000789019.subset.json.gz")


def test_bad_csv_value_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "sp500_pe.csv"
    path.write_text("date,sp500_pe_ttm\n2024-06-01,27.6\n2024-07-01,abc\n")
    st = Store(tmp_path / "s.duckdb")
    with pytest.raises(DataError, match=r"sp500_pe\.csv"):
        import_paths(st, [path])
    path.write_text("date,sp500_pe_ttm\n2024-06-01,27.6\n2024-06-01,27.7\n")
    with pytest.raises(DataError, match=r"sp500_pe.csv:3: duplicate key"):
        import_paths(st, [path])
    st.close()


def test_cik_in_name_must_match_document(tmp_path: Path) -> None:
    path = tmp_path / "CIK0000000001.json"
    path.write_text(json.dumps(_facts_doc(1045810, "NVIDIA CORP")))
    with pytest.raises(DataError, match="file name says CIK 1"):
        load_companyfacts(path)


# -- SEC fetcher (httpx.MockTransport, SEC's real response shapes) --------

def _facts_doc(cik: int, name: str, eps: float = 1.19) -> dict:
    return {
        "cik": cik,
        "entityName": name,
        "facts": {
            "dei": {"EntityCommonStockSharesOutstanding": {"label": "x", "description": "x", "units": {"shares": [
                {"end": "2025-02-14", "val": 24490000000, "accn": "0001045810-25-000023", "fy": 2025, "fp": "FY",
                 "form": "10-K", "filed": "2025-02-26"}]}}},
            "us-gaap": {"EarningsPerShareDiluted": {"label": "EPS", "description": "x", "units": {"USD/shares": [
                {"start": "2023-01-30", "end": "2024-01-28", "val": eps, "accn": "0001045810-25-000023", "fy": 2025,
                 "fp": "FY", "form": "10-K", "filed": "2025-02-26", "frame": "CY2023"}]}}},
        },
    }


TICKERS_JSON = {"0": {"cik_str": 1045810, "ticker": "NVDA", "title": "NVIDIA CORP"},
                "1": {"cik_str": 1108524, "ticker": "CRM", "title": "Salesforce, Inc."}}


def _sec(handler) -> tuple[httpx.Client, list[float]]:
    return httpx.Client(transport=httpx.MockTransport(handler)), []


def test_fetch_sends_user_agent_and_retries() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if request.url.path.endswith("company_tickers.json"):
            return httpx.Response(200, json=TICKERS_JSON)
        if len([c for c in calls if "CIK0001108524" in c.url.path]) == 1:
            return httpx.Response(503, text="busy")
        cik = int(request.url.path.rsplit("CIK", 1)[1].split(".")[0])
        return httpx.Response(200, json=_facts_doc(cik, "Salesforce, Inc." if cik == 1108524 else "NVIDIA CORP"))

    client, slept = _sec(handler)
    out = fetch_companyfacts(["NVDA", "crm"], user_agent=UA, client=client, retry=FAST, sleep=slept.append)
    assert [(c.ticker, c.cik) for c in out] == [("NVDA", 1045810), ("CRM", 1108524)]
    assert all(r.headers["User-Agent"] == UA for r in calls)
    assert [str(r.url) for r in calls] == [
        "https://data.sec.gov/api/xbrl/companyfacts/CIK0001045810.json",
        "https://www.sec.gov/files/company_tickers.json",
        "https://data.sec.gov/api/xbrl/companyfacts/CIK0001108524.json",
        "https://data.sec.gov/api/xbrl/companyfacts/CIK0001108524.json",
    ]
    assert out[0].facts.filter(pl.col("concept") == "EarningsPerShareDiluted")["val"].to_list() == [1.19]
    assert 0.01 in slept  # the retry's backoff


def test_fetch_errors() -> None:
    client, slept = _sec(lambda r: httpx.Response(404, text="not found"))
    with pytest.raises(ProviderError, match="HTTP 404"):
        fetch_companyfacts(["NVDA"], user_agent=UA, client=client, retry=FAST, sleep=slept.append)
    client, slept = _sec(lambda r: httpx.Response(503))
    with pytest.raises(ProviderError, match="gave up after 3 attempts"):
        fetch_companyfacts(["NVDA"], user_agent=UA, client=client, retry=FAST, sleep=slept.append)
    client, slept = _sec(lambda r: httpx.Response(200, text='{"cik": 1045810, "facts": {'))
    with pytest.raises(ProviderError, match="malformed companyfacts JSON"):
        fetch_companyfacts(["NVDA"], user_agent=UA, client=client, retry=FAST, sleep=slept.append)


def test_user_agent_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROTATION_SEC_USER_AGENT", raising=False)
    monkeypatch.delenv("SEC_USER_AGENT", raising=False)
    with pytest.raises(ConfigError, match="User-Agent"):
        sec_user_agent(None)
    monkeypatch.setenv("ROTATION_SEC_USER_AGENT", UA)
    assert sec_user_agent(None) == UA


def test_rate_limiter_spaces_requests() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    limiter = RateLimiter(5.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(4):
        limiter.wait()
    assert slept == pytest.approx([0.2, 0.2, 0.2])
    with pytest.raises(ConfigError):
        RateLimiter(11.0)


def test_update_fundamentals_is_all_or_nothing(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if "CIK0000320193" in request.url.path:
            return httpx.Response(404)
        return httpx.Response(200, json=_facts_doc(1045810, "NVIDIA CORP"))

    path = tmp_path / "s.duckdb"
    with Store(path) as st:
        client, slept = _sec(handler)
        with pytest.raises(ProviderError):
            update_fundamentals(st, ["NVDA", "AAPL"], user_agent=UA, client=client, retry=FAST, sleep=slept.append)
        assert not st.query("SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'fund_facts'")["n"][0]
        client, slept = _sec(handler)
        counts = update_fundamentals(st, ["NVDA"], user_agent=UA, client=client, sleep=slept.append,
                                     save_dir=tmp_path / "raw")
        assert counts["NVDA"].added == 2
        again = update_fundamentals(st, ["NVDA"], user_agent=UA, client=_sec(handler)[0], sleep=slept.append)
        assert (again["NVDA"].added, again["NVDA"].changed, again["NVDA"].unchanged) == (0, 0, 2)
    saved = tmp_path / "raw" / "CIK0001045810.json.gz"
    assert load_companyfacts(saved).facts.height == 2


def test_parse_rejects_non_companyfacts() -> None:
    with pytest.raises(DataError, match=r"x\.json: not a companyfacts document"):
        parse_companyfacts(b'{"hello": 1}', "x.json")
    doc = _facts_doc(1, "X")
    doc["facts"]["us-gaap"]["EarningsPerShareDiluted"]["units"]["USD/shares"][0]["val"] = "1.19"
    with pytest.raises(DataError, match=r"EarningsPerShareDiluted.units.USD/shares\[0\]"):
        parse_companyfacts(doc, "x.json")
