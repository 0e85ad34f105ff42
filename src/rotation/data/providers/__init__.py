"""Data providers: download daily bars for a symbol from a free source.

Every provider has ``name`` and ``fetch(symbol, start, end) -> bars frame``;
network errors, timeouts, HTTP 429 and 5xx are retried with backoff
(:func:`rotation.data.providers.base.with_retries`), anything else raises
:class:`rotation.errors.ProviderError` naming the symbol.
"""

from __future__ import annotations

from rotation.data.providers.base import Provider, RetryPolicy, TransientError, with_retries
from rotation.data.providers.stooq import StooqProvider
from rotation.data.providers.yahoo import YahooProvider
from rotation.errors import ConfigError

PROVIDERS: tuple[str, ...] = ("yahoo", "stooq")


def get_provider(name: str) -> Provider:
    """A provider by name (``yahoo`` or ``stooq``) with default settings."""
    key = name.strip().lower()
    if key == "stooq":
        return StooqProvider()
    if key == "yahoo":
        return YahooProvider()
    raise ConfigError(f"--provider: expected one of {', '.join(PROVIDERS)}, got {name!r}")


__all__ = [
    "PROVIDERS",
    "Provider",
    "RetryPolicy",
    "StooqProvider",
    "TransientError",
    "YahooProvider",
    "get_provider",
    "with_retries",
]
