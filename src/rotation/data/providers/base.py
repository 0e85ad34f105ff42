"""What every provider shares: the protocol, an HTTP GET that tells transient failures apart,
and retries with exponential backoff."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Generic, Protocol, TypeVar

import httpx
import polars as pl

from rotation.data.store import UpsertCounts
from rotation.errors import ProviderError

T = TypeVar("T")


class Provider(Protocol):
    """Downloads daily bars (bar schema) for one symbol between two dates (inclusive)."""

    name: str

    def fetch(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame: ...


class TransientError(ProviderError):
    """A failure worth retrying: timeout, connection error, HTTP 429 or 5xx."""


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` tries in all; waits ``base_delay * 2**k`` seconds (capped) between them."""

    attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 30.0

    def delay(self, attempt: int) -> float:
        return min(self.max_delay, self.base_delay * (2**attempt))


DEFAULT_RETRY = RetryPolicy()


def with_retries(
    call: Callable[[], T],
    what: str,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``call``; on :class:`TransientError` wait and try again, up to ``policy.attempts``."""
    policy = policy or DEFAULT_RETRY
    last: TransientError | None = None
    for attempt in range(policy.attempts):
        try:
            return call()
        except TransientError as exc:
            last = exc
            if attempt + 1 < policy.attempts:
                sleep(policy.delay(attempt))
    raise ProviderError(f"{what}: gave up after {policy.attempts} attempts: {last}")


def http_get(client: httpx.Client, url: str, params: dict[str, str] | None = None) -> httpx.Response:
    """GET ``url``; a timeout, a connection error, HTTP 429 or 5xx raise :class:`TransientError`
    (which :func:`with_retries` retries); any other response is returned for the caller to judge."""
    try:
        resp = client.get(url, params=params)
    except httpx.TimeoutException as exc:
        raise TransientError(f"timeout: {exc}") from exc
    except httpx.TransportError as exc:
        raise TransientError(f"connection error: {exc}") from exc
    if resp.status_code == 429 or resp.status_code >= 500:
        raise TransientError(f"HTTP {resp.status_code}")
    return resp


class _Outcome(Protocol):
    """One fetched item's outcome (a symbol, a CFTC year): counts when it worked."""

    @property
    def ok(self) -> bool: ...

    @property
    def counts(self) -> UpsertCounts | None: ...


R = TypeVar("R", bound=_Outcome)


@dataclass(frozen=True)
class UpdateReport(Generic[R]):
    """What one update fetched: each item's outcome, the failures, the summed counts."""

    provider: str
    results: tuple[R, ...]

    @property
    def failed(self) -> tuple[R, ...]:
        return tuple(r for r in self.results if not r.ok)

    @property
    def total(self) -> UpsertCounts:
        out = UpsertCounts()
        for r in self.results:
            if r.counts:
                out = out + r.counts
        return out
