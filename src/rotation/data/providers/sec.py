"""SEC EDGAR companyfacts over HTTP (``https://data.sec.gov/api/xbrl/companyfacts/CIK##########.json``).

SEC's fair-access rules: every request names the caller in its ``User-Agent``
("Company Name admin@example.com"), taken from the ``user_agent`` argument or the
``ROTATION_SEC_USER_AGENT`` environment variable (``SEC_USER_AGENT`` also works), and
no more than 10 requests per second (we default to 5).  Timeouts, HTTP 429 and 5xx are
retried with backoff; a 404 means SEC has no XBRL facts for that CIK.

Ticker -> CIK: the shipped map for the megacaps, a 10-digit CIK given as is, else
SEC's ``company_tickers.json`` (fetched once per call).  Everything is fetched and
parsed before anything is written (:func:`update_fundamentals` writes in one transaction).
"""

from __future__ import annotations

import gzip
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from rotation.data.fundamentals import TICKER_CIKS, CompanyFacts, parse_companyfacts, write_companyfacts
from rotation.data.providers.base import RetryPolicy, TransientError, with_retries
from rotation.data.store import Store, UpsertCounts
from rotation.errors import ConfigError, DataError, ProviderError

SEC_FACTS_URL = "https://data.sec.gov/api/xbrl/companyfacts/CIK{cik:010d}.json"
SEC_TICKERS_URL = "https://www.sec.gov/files/company_tickers.json"
USER_AGENT_ENV = ("ROTATION_SEC_USER_AGENT", "SEC_USER_AGENT")
MAX_RATE = 10.0  # requests per second allowed by SEC
_DEFAULT_RETRY = RetryPolicy()


def sec_user_agent(user_agent: str | None = None) -> str:
    """The User-Agent SEC requires: the argument, else ``$ROTATION_SEC_USER_AGENT`` / ``$SEC_USER_AGENT``."""
    ua = user_agent or next((os.environ[k] for k in USER_AGENT_ENV if os.environ.get(k)), None)
    if not ua or "@" not in ua:
        raise ConfigError(
            "SEC requires a User-Agent naming you and an e-mail address, e.g. "
            "'Jane Doe jane@example.com': pass --user-agent or set ROTATION_SEC_USER_AGENT"
        )
    return ua.strip()


class RateLimiter:
    """At most ``rate`` calls per second: waits before a call that comes too soon."""

    def __init__(
        self, rate: float, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        if not 0 < rate <= MAX_RATE:
            raise ConfigError(f"SEC rate limit: expected 0 < rate <= {MAX_RATE:g} requests/second, got {rate}")
        self.interval = 1.0 / rate
        self._clock, self._sleep = clock, sleep
        self._last: float | None = None

    def wait(self) -> None:
        now = self._clock()
        if self._last is not None and now - self._last < self.interval:
            self._sleep(self.interval - (now - self._last))
            now = self._clock()
        self._last = now


class SecClient:
    """GETs against SEC with the User-Agent, the rate limit and retries (``client``/``sleep`` injectable)."""

    def __init__(
        self,
        user_agent: str | None = None,
        *,
        client: httpx.Client | None = None,
        rate: float = 5.0,
        retry: RetryPolicy = _DEFAULT_RETRY,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = 30.0,
    ) -> None:
        self.user_agent = sec_user_agent(user_agent)
        self._client = client or httpx.Client(timeout=timeout)
        self._limiter = RateLimiter(rate, clock, sleep)
        self._retry = retry
        self._sleep = sleep

    def get(self, url: str, what: str) -> httpx.Response:
        """One GET (retried on timeouts, 429, 5xx); 404 and other 4xx raise :class:`ProviderError`."""

        def once() -> httpx.Response:
            self._limiter.wait()
            try:
                resp = self._client.get(
                    url, headers={"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"}
                )
            except httpx.TransportError as exc:
                raise TransientError(f"{what}: {type(exc).__name__}: {exc}") from None
            if resp.status_code == 429 or resp.status_code >= 500:
                raise TransientError(f"{what}: HTTP {resp.status_code} from {url}")
            if resp.status_code == 404:
                raise ProviderError(f"{what}: SEC has no data at {url} (HTTP 404)")
            if resp.status_code >= 400:
                raise ProviderError(f"{what}: HTTP {resp.status_code} from {url} (check the User-Agent)")
            return resp

        return with_retries(once, what, self._retry, self._sleep)

    def ticker_ciks(self) -> dict[str, int]:
        """SEC's ticker -> CIK map (``company_tickers.json``)."""
        resp = self.get(SEC_TICKERS_URL, "SEC ticker list")
        try:
            doc: Any = resp.json()
            return {str(r["ticker"]).upper(): int(r["cik_str"]) for r in doc.values()}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ProviderError(f"SEC ticker list: unexpected format at {SEC_TICKERS_URL}: {exc}") from None


def resolve_cik(ticker: str, lookup: Callable[[], dict[str, int]]) -> int:
    """A ticker (or a 10-digit CIK) -> CIK; ``lookup`` is called only when the shipped map lacks it."""
    t = ticker.strip().upper()
    if t.isdigit():
        return int(t)
    if t in TICKER_CIKS:
        return TICKER_CIKS[t]
    cik = lookup().get(t)
    if cik is None:
        raise ProviderError(f"{ticker}: not in SEC's ticker list ({SEC_TICKERS_URL})")
    return cik


def fetch_companyfacts(
    tickers: Sequence[str],
    *,
    user_agent: str | None = None,
    client: httpx.Client | None = None,
    rate: float = 5.0,
    retry: RetryPolicy = _DEFAULT_RETRY,
    sleep: Callable[[float], None] = time.sleep,
    save_dir: Path | None = None,
) -> list[CompanyFacts]:
    """Download and parse the companyfacts of ``tickers`` (nothing stored).

    ``save_dir`` keeps each raw response as ``CIK##########.json.gz`` (the format
    ``rotation data import`` reads).  Any failure raises before returning anything.
    """
    sec = SecClient(user_agent, client=client, rate=rate, retry=retry, sleep=sleep)
    cache: dict[str, dict[str, int]] = {}

    def lookup() -> dict[str, int]:
        if "map" not in cache:
            cache["map"] = sec.ticker_ciks()
        return cache["map"]

    out: list[CompanyFacts] = []
    raws: list[tuple[int, bytes]] = []
    for ticker in tickers:
        cik = resolve_cik(ticker, lookup)
        url = SEC_FACTS_URL.format(cik=cik)
        resp = sec.get(url, f"{ticker} companyfacts")
        label = None if ticker.strip().isdigit() else ticker.strip().upper()
        try:
            cf = parse_companyfacts(resp.content, url, ticker=label)
        except DataError as exc:
            raise ProviderError(f"{ticker}: {exc}") from None
        out.append(cf)
        raws.append((cik, resp.content))
    if save_dir is not None:
        save_dir.mkdir(parents=True, exist_ok=True)
        for cik, raw in raws:
            (save_dir / f"CIK{cik:010d}.json.gz").write_bytes(gzip.compress(raw))
    return out


def update_fundamentals(store: Store, tickers: Sequence[str], **kwargs: Any) -> dict[str, UpsertCounts]:
    """Fetch companyfacts for ``tickers`` and store them in one transaction; counts per ticker."""
    fetched = fetch_companyfacts(tickers, **kwargs)
    counts: dict[str, UpsertCounts] = {}
    with store.transaction():
        for cf in fetched:
            for key, c in write_companyfacts(store, cf).items():
                counts[key] = c
                store.log_import("companyfacts", f"sec:CIK{cf.cik:010d}", c)
    return counts


__all__ = [
    "SEC_FACTS_URL",
    "SEC_TICKERS_URL",
    "RateLimiter",
    "SecClient",
    "fetch_companyfacts",
    "resolve_cik",
    "sec_user_agent",
    "update_fundamentals",
]
