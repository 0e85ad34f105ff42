"""``rotation data update --positioning``: the CFTC's annual TFF zips over httpx, offline.

The responses are the shipped files themselves, served by ``httpx.MockTransport``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import httpx
import polars as pl
import pytest

from rotation.data.importer import import_paths
from rotation.data.positioning import positioning_frame
from rotation.data.providers.base import RetryPolicy
from rotation.data.providers.cftc import CftcClient, stored_tff_years, update_positioning, years_to_fetch
from rotation.data.store import Store

FAST = RetryPolicy(attempts=3, base_delay=0.0)


def _tff(shared_data: Path) -> Path:
    folder = shared_data / "positioning" / "cftc_tff"
    if not (folder / "fut_fin_xls_2024.zip").is_file():
        pytest.skip(f"CFTC TFF files not found at {folder}")
    return folder


class Server:
    """Serves ``fut_fin_xls_YYYY.zip`` from a folder; ``fail`` maps a year to status codes to answer first."""

    def __init__(self, folder: Path, fail: dict[int, list[int]] | None = None) -> None:
        self.folder = folder
        self.fail = {y: list(codes) for y, codes in (fail or {}).items()}
        self.calls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request.url.path)
        name = request.url.path.rsplit("/", 1)[-1]
        year = int(name.removeprefix("fut_fin_xls_").removesuffix(".zip"))
        if self.fail.get(year):
            return httpx.Response(self.fail[year].pop(0))
        path = self.folder / name
        if not path.is_file():
            return httpx.Response(404)
        return httpx.Response(200, content=path.read_bytes())

    def client(self) -> CftcClient:
        return CftcClient(httpx.Client(transport=httpx.MockTransport(self)), retry=FAST, sleep=lambda _s: None)


def test_years_to_fetch() -> None:
    assert years_to_fetch([2022, 2024], 2026) == [2023, 2025, 2026]
    assert years_to_fetch([2022, 2023, 2024, 2025, 2026], 2026) == [2026]  # the current year grows weekly
    assert years_to_fetch([], 2026) == [2022, 2023, 2024, 2025, 2026]


def test_update_fetches_current_and_missing_years(shared_data: Path, tmp_path: Path) -> None:
    folder = _tff(shared_data)
    server = Server(folder, fail={2025: [503, 500]})  # two transient failures, then the file
    with Store(tmp_path / "s.duckdb") as st:
        import_paths(st, [folder / "fut_fin_xls_2022.zip", folder / "fut_fin_xls_2024.zip"])
        before = positioning_frame(st, ["RTY"])
        report = update_positioning(st, client=server.client(), today=date(2026, 3, 10))
        years = stored_tff_years(st)
        after = positioning_frame(st, ["RTY"])
    assert [r.year for r in report.results] == [2023, 2025, 2026]
    assert not report.failed
    assert server.calls.count("/files/dea/history/fut_fin_xls_2025.zip") == 3
    assert years == [2022, 2023, 2024, 2025, 2026]
    assert after["report_date"].n_unique() == 218
    # Stored years untouched; fetched rows carry their URL-derived source.
    kept = after.filter(pl.col("report_date").dt.year() == 2024)
    assert kept.equals(before.filter(pl.col("report_date").dt.year() == 2024))
    assert set(after.filter(pl.col("report_date").dt.year() == 2025)["source"]) == {"cftc:fut_fin_xls_2025.zip"}


def test_update_partial_failure_keeps_the_rest(shared_data: Path, tmp_path: Path) -> None:
    folder = _tff(shared_data)
    server = Server(folder, fail={2023: [503, 503, 503]})
    with Store(tmp_path / "s.duckdb") as st:
        import_paths(st, [folder / "fut_fin_xls_2022.zip"])
        report = update_positioning(st, client=server.client(), today=date(2027, 1, 5))
        years = stored_tff_years(st)
    failed = {r.year: r.error for r in report.failed}
    assert set(failed) == {2023, 2027}
    assert "gave up after 3 attempts" in (failed[2023] or "")
    assert "not published (HTTP 404" in (failed[2027] or "")
    assert years == [2022, 2024, 2025, 2026]


def test_update_rejects_a_damaged_download(shared_data: Path, tmp_path: Path) -> None:
    folder = _tff(shared_data)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=(folder / "fut_fin_xls_2026.zip").read_bytes()[:5000])

    client = CftcClient(httpx.Client(transport=httpx.MockTransport(handler)), retry=FAST, sleep=lambda _s: None)
    with Store(tmp_path / "s.duckdb") as st:
        report = update_positioning(st, [2026], client=client)
        assert stored_tff_years(st) == []
    assert "fut_fin_xls_2026.zip: not a readable zip" in (report.failed[0].error or "")


def test_cli_update_positioning_exit_1_on_failure(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404)

    import rotation.data.providers.cftc as cftc

    monkeypatch.setattr(cftc, "DEFAULT_YEARS", 1)
    real_init = cftc.CftcClient.__init__

    def offline_init(self: CftcClient, client: httpx.Client | None = None, **kw: object) -> None:
        real_init(self, httpx.Client(transport=httpx.MockTransport(refuse)), retry=FAST, sleep=lambda _s: None)

    monkeypatch.setattr(cftc.CftcClient, "__init__", offline_init)
    result = cli("data", "update", "--positioning", "--store", str(tmp_path / "s.duckdb"), "--json")
    assert result.exit_code == 1
    assert '"error": "cftc: fut_fin_xls_' in result.stdout
