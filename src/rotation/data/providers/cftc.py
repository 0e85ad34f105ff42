"""The CFTC's historical compressed files: Traders in Financial Futures, one zip per year.

``https://www.cftc.gov/files/dea/history/fut_fin_xls_YYYY.zip`` holds ``FinFutYY.xls``
(futures only, every financial futures market), the same file ``rotation data
import`` reads from disk (:func:`rotation.data.positioning_files.read_tff_zip`).
The current year's file grows every week; earlier years are final.

:func:`update_positioning` fetches the current year and every year missing between
the first stored year and now (the last five years when the store has none). Each
year is one transaction; a year that fails (after retries) is reported and leaves
the store as it was while the other years go on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import httpx

from rotation.data.positioning import has_positioning, write_positioning
from rotation.data.positioning_files import read_tff_zip
from rotation.data.providers.base import DEFAULT_RETRY, RetryPolicy, UpdateReport, http_get, with_retries
from rotation.data.store import Store, UpsertCounts
from rotation.errors import ProviderError, RotationError

CFTC_TFF_URL = "https://www.cftc.gov/files/dea/history/fut_fin_xls_{year}.zip"
FIRST_TFF_YEAR = 2006  # the CFTC's TFF history starts in 2006 (2006-2016 in one file, yearly since)
DEFAULT_YEARS = 5


def tff_file_name(year: int) -> str:
    return f"fut_fin_xls_{year}.zip"


class CftcClient:
    """Downloads the CFTC's annual TFF zips; ``client`` and ``sleep`` are injectable for offline tests."""

    name = "cftc"

    def __init__(
        self,
        client: httpx.Client | None = None,
        *,
        url: str = CFTC_TFF_URL,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], None] | None = None,
        timeout: float = 60.0,
    ) -> None:
        self._client = client or httpx.Client(
            timeout=timeout, follow_redirects=True, headers={"User-Agent": "rotation/0.1"}
        )
        self._url = url
        self._retry = retry
        self._sleep = sleep

    def url(self, year: int) -> str:
        return self._url.format(year=year)

    def _get(self, year: int) -> bytes:
        resp = http_get(self._client, self.url(year))
        if resp.status_code == 404:
            raise ProviderError(f"cftc: {tff_file_name(year)}: not published (HTTP 404 at {self.url(year)})")
        if resp.status_code != 200:
            raise ProviderError(f"cftc: {tff_file_name(year)}: HTTP {resp.status_code}")
        return resp.content

    def fetch_year(self, year: int) -> bytes:
        """The zip of ``year`` as bytes (retried on timeouts, 429 and 5xx)."""
        kwargs = {} if self._sleep is None else {"sleep": self._sleep}
        return with_retries(lambda: self._get(year), f"cftc: {tff_file_name(year)}", self._retry, **kwargs)


@dataclass(frozen=True)
class YearUpdate:
    """Outcome for one year's file: counts when it worked, the error when it failed."""

    year: int
    counts: UpsertCounts | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


# What one positioning update fetched, year by year (the same report as a bars update's).
PositioningUpdate = UpdateReport[YearUpdate]


def stored_tff_years(store: Store) -> list[int]:
    """Years with TFF rows in the store."""
    if not has_positioning(store):
        return []
    rows = store.query(
        "SELECT DISTINCT year(report_date) AS y FROM positioning WHERE report = 'tff' ORDER BY 1"
    )
    return [int(y) for y in rows["y"].to_list()]


def years_to_fetch(stored: Sequence[int], current: int) -> list[int]:
    """The current year, and every year from the first stored one (or the last five) not stored."""
    first = min(stored) if stored else current - DEFAULT_YEARS + 1
    have = set(stored)
    return [y for y in range(max(first, FIRST_TFF_YEAR), current + 1) if y not in have or y == current]


def update_positioning(
    store: Store,
    years: Sequence[int] | None = None,
    *,
    client: CftcClient | None = None,
    today: date | None = None,
    on_year: Callable[[YearUpdate], None] | None = None,
) -> PositioningUpdate:
    """Fetch and store the TFF years (default :func:`years_to_fetch`); failures are collected, not raised."""
    cftc = client or CftcClient()
    current = (today or datetime.now(UTC).date()).year
    wanted = list(years) if years is not None else years_to_fetch(stored_tff_years(store), current)
    results = []
    for year in wanted:
        try:
            data = cftc.fetch_year(year)
            loaded = read_tff_zip(Path(tff_file_name(year)), data)
            with store.transaction():
                counts = write_positioning(store, loaded.frame, f"cftc:{tff_file_name(year)}")
                store.log_import("cftc-tff", cftc.url(year), counts)
            result = YearUpdate(year, counts)
        except RotationError as exc:
            result = YearUpdate(year, None, str(exc))
        results.append(result)
        if on_year:
            on_year(result)
    return PositioningUpdate(cftc.name, tuple(results))


__all__ = [
    "CFTC_TFF_URL",
    "CftcClient",
    "PositioningUpdate",
    "YearUpdate",
    "stored_tff_years",
    "tff_file_name",
    "update_positioning",
    "years_to_fetch",
]
