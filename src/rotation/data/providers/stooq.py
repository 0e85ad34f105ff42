"""Stooq daily CSV over HTTP (``https://stooq.com/q/d/l/?s=spy.us&i=d``).

Stooq's response is ``Date,Open,High,Low,Close,Volume`` with prices adjusted
for splits and dividends; it has no separate adjusted close, so ``adj_close``
equals ``close`` (said in the notes).  U.S. stocks and ETFs are ``<sym>.us``;
indices have their own names (``^GSPC`` -> ``^spx``), see :data:`STOOQ_INDEX`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import httpx
import polars as pl

from rotation.data.files import read_bar_text
from rotation.data.providers.base import DEFAULT_RETRY, RetryPolicy, http_get, with_retries
from rotation.data.schema import BAR_SCHEMA
from rotation.errors import DataError, ProviderError

STOOQ_URL = "https://stooq.com/q/d/l/"
STOOQ_INDEX: dict[str, str] = {
    "^GSPC": "^spx",
    "^NDX": "^ndx",
    "^DJI": "^dji",
    "^IXIC": "^ndq",
    "^RUT": "^rut",
    "^VIX": "^vix",
    "^SOX": "^sox",
}


def stooq_symbol(symbol: str) -> str:
    """Our symbol -> Stooq's: ``SPY`` -> ``spy.us``, ``BRK-B`` -> ``brk-b.us``, ``^GSPC`` -> ``^spx``."""
    if symbol in STOOQ_INDEX:
        return STOOQ_INDEX[symbol]
    if symbol.startswith("^"):
        return symbol.lower()
    return f"{symbol.lower()}.us"


class StooqProvider:
    """Daily bars from Stooq; ``client`` and ``sleep`` are injectable for offline tests."""

    name = "stooq"

    def __init__(
        self,
        client: httpx.Client | None = None,
        *,
        url: str = STOOQ_URL,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], None] | None = None,
        timeout: float = 20.0,
    ) -> None:
        self._client = client or httpx.Client(timeout=timeout, headers={"User-Agent": "rotation/0.1"})
        self._url = url
        self._retry = retry
        self._sleep = sleep

    def _get(self, symbol: str, start: date | None, end: date | None) -> str:
        params = {"s": stooq_symbol(symbol), "i": "d"}
        if start is not None:
            params["d1"] = start.strftime("%Y%m%d")
        if end is not None:
            params["d2"] = end.strftime("%Y%m%d")
        resp = http_get(self._client, self._url, params)
        if resp.status_code != 200:
            raise ProviderError(f"stooq: {symbol}: HTTP {resp.status_code}")
        return resp.text

    def fetch(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        """Bars for ``symbol`` from ``start`` to ``end`` (inclusive)."""
        kwargs = {} if self._sleep is None else {"sleep": self._sleep}
        text = with_retries(lambda: self._get(symbol, start, end), f"stooq: {symbol}", self._retry, **kwargs)
        body = text.strip()
        if not body or body.lower().startswith("no data") or "," not in body.split("\n", 1)[0]:
            if start is not None and body.lower().startswith("no data"):
                return pl.DataFrame(schema=BAR_SCHEMA)  # nothing new in the window
            raise ProviderError(f"stooq: {symbol}: no data (response: {body[:60]!r})")
        try:
            parsed = read_bar_text(text, f"stooq:{symbol}", symbol)
        except DataError as exc:
            raise ProviderError(f"stooq: {symbol}: malformed response: {exc}") from exc
        return parsed.frame.drop("line")
