"""Providers offline: hand-made responses in each provider's real format.

Stooq runs through a real ``httpx.Client`` whose transport answers locally;
Yahoo's ``download`` hook returns frames shaped exactly like yfinance's.
"""

from __future__ import annotations

from datetime import date

import httpx
import pandas as pd
import polars as pl
import pytest

from rotation.data.providers import RetryPolicy, StooqProvider, YahooProvider, get_provider
from rotation.data.providers.stooq import stooq_symbol
from rotation.data.store import Store
from rotation.data.update import update_symbols
from rotation.errors import ConfigError, ProviderError

STOOQ_IWM = (
    "Date,Open,High,Low,Close,Volume\n"
    "2024-07-18,221.05,222.39,216.61,217.50,41234567\n"
    "2024-07-19,217.63,218.65,215.85,216.84,35012345\n"
    "2024-07-22,218.20,220.65,217.40,220.10,30123456\n"
)
FAST = RetryPolicy(attempts=3, base_delay=0.01)


def stooq_with(handler) -> tuple[StooqProvider, list[float]]:
    slept: list[float] = []
    client = httpx.Client(transport=httpx.MockTransport(handler))
    return StooqProvider(client, retry=FAST, sleep=slept.append), slept


def test_stooq_symbol_mapping() -> None:
    assert stooq_symbol("SPY") == "spy.us"
    assert stooq_symbol("BRK-B") == "brk-b.us"
    assert stooq_symbol("^GSPC") == "^spx"


def test_stooq_success_sends_dates_and_parses() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text=STOOQ_IWM)

    provider, _ = stooq_with(handler)
    bars = provider.fetch("IWM", date(2024, 7, 18), date(2024, 7, 22))
    assert seen[0].url.params["s"] == "iwm.us"
    assert seen[0].url.params["d1"] == "20240718" and seen[0].url.params["d2"] == "20240722"
    assert bars["date"].to_list() == [date(2024, 7, 18), date(2024, 7, 19), date(2024, 7, 22)]
    assert bars.filter(pl.col("date") == date(2024, 7, 19))["open"].item() == 217.63
    assert bars["adj_close"].to_list() == bars["close"].to_list()


def test_stooq_retries_429_and_5xx_then_succeeds() -> None:
    answers = iter([httpx.Response(429), httpx.Response(503), httpx.Response(200, text=STOOQ_IWM)])
    provider, slept = stooq_with(lambda request: next(answers))
    assert provider.fetch("IWM", None, None).height == 3
    assert slept == [0.01, 0.02]  # exponential backoff


def test_stooq_retries_timeouts_then_gives_up() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    provider, slept = stooq_with(handler)
    with pytest.raises(ProviderError, match="gave up after 3 attempts: timeout"):
        provider.fetch("IWM", None, None)
    assert len(slept) == 2


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("No data", "no data"),
        ("<html>captcha</html>", "no data"),
        ("Date,Open,High,Low,Close,Volume\n2024-07-19,217.63,218.65,215.85\n", "malformed response"),
        ("Date,Open,High,Low,Close,Volume\n2024-07-19,abc,218.65,215.85,216.84,1\n", "expected a number"),
    ],
)
def test_stooq_malformed_responses(body: str, match: str) -> None:
    provider, _ = stooq_with(lambda request: httpx.Response(200, text=body))
    with pytest.raises(ProviderError, match=match):
        provider.fetch("IWM", None, None)


def test_stooq_404_is_not_retried() -> None:
    provider, slept = stooq_with(lambda request: httpx.Response(404))
    with pytest.raises(ProviderError, match="HTTP 404"):
        provider.fetch("IWM", None, None)
    assert slept == []


def yf_frame(rows: list[tuple[str, float, float, float, float, float, float]]) -> pd.DataFrame:
    """A frame shaped like ``yfinance.Ticker.history(auto_adjust=False, actions=False)``."""
    index = pd.DatetimeIndex([pd.Timestamp(r[0], tz="America/New_York") for r in rows], name="Date")
    return pd.DataFrame(
        [r[1:] for r in rows], index=index, columns=["Open", "High", "Low", "Close", "Adj Close", "Volume"]
    )


NVDA_ROWS = [
    ("2024-06-20", 139.80, 140.76, 129.52, 130.78, 130.74, 517_768_400.0),
    ("2024-06-21", 127.12, 130.63, 124.30, 126.57, 126.53, 655_484_700.0),
]


def test_yahoo_success_and_retry_on_rate_limit() -> None:
    calls: list[tuple] = []

    def download(symbol: str, start: date | None, end: date | None) -> pd.DataFrame:
        calls.append((symbol, start, end))
        if len(calls) == 1:
            raise RuntimeError("YFRateLimitError: Too Many Requests. Rate limited. Try after a while.")
        return yf_frame(NVDA_ROWS)

    slept: list[float] = []
    bars = YahooProvider(download, retry=FAST, sleep=slept.append).fetch("NVDA", date(2024, 6, 20), None)
    assert len(calls) == 2 and slept == [0.01]
    assert bars["date"].to_list() == [date(2024, 6, 20), date(2024, 6, 21)]
    assert bars["high"][0] == 140.76 and bars["adj_close"][1] == 126.53


def test_yahoo_unknown_symbol_and_bad_shape() -> None:
    empty = YahooProvider(lambda s, a, b: pd.DataFrame(), retry=FAST, sleep=lambda _: None)
    with pytest.raises(ProviderError, match="no data"):
        empty.fetch("NOPE", None, None)
    bad = YahooProvider(lambda s, a, b: pd.DataFrame({"Close": [1.0]}, index=pd.DatetimeIndex(["2024-01-02"])),
                        retry=FAST, sleep=lambda _: None)
    with pytest.raises(ProviderError, match="lacks column"):
        bad.fetch("X", None, None)


def test_unknown_provider_name() -> None:
    with pytest.raises(ConfigError, match="expected one of yahoo, stooq"):
        get_provider("bloomberg")


def test_update_partial_failure_keeps_others(tmp_path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params["s"] == "bad.us":
            return httpx.Response(500)
        return httpx.Response(200, text=STOOQ_IWM)

    provider, _ = stooq_with(handler)
    with Store(tmp_path / "s.duckdb") as st:
        report = update_symbols(st, provider, ["IWM", "BAD"])
        assert [r.symbol for r in report.failed] == ["BAD"]
        assert "gave up after 3 attempts: HTTP 500" in (report.failed[0].error or "")
        assert st.symbols() == ["IWM"]
        assert report.total.added == 3


def test_update_is_incremental_and_refetches_when_adjustments_rebase(tmp_path) -> None:
    requests: list[tuple[date | None, date | None]] = []
    history = [
        ("2024-06-20", 139.80, 140.76, 129.52, 130.78, 130.74, 5e8),
        ("2024-06-21", 127.12, 130.63, 124.30, 126.57, 126.53, 6e8),
    ]
    state = {"rows": history}

    def download(symbol: str, start: date | None, end: date | None) -> pd.DataFrame:
        requests.append((start, end))
        rows = [r for r in state["rows"] if start is None or date.fromisoformat(r[0]) >= start]
        return yf_frame(rows)

    provider = YahooProvider(download, retry=FAST, sleep=lambda _: None)
    with Store(tmp_path / "s.duckdb") as st:
        first = update_symbols(st, provider, ["NVDA"])
        assert first.total.added == 2 and requests[-1] == (None, None)
        state["rows"] = [*history, ("2024-06-24", 123.24, 124.46, 118.04, 118.11, 118.07, 4.8e8)]
        second = update_symbols(st, provider, ["NVDA"])
        assert requests[-1] == (date(2024, 6, 21), None)  # from the last stored date
        assert (second.total.added, second.total.changed) == (1, 0)
        # A dividend re-bases Yahoo's adjusted closes: the whole history is fetched again.
        state["rows"] = [(d, o, h, lo, c, a * 0.99, v) for d, o, h, lo, c, a, v in state["rows"]]
        third = update_symbols(st, provider, ["NVDA"])
        assert third.results[0].full_refetch and requests[-1] == (None, None)
        assert third.total.changed == 3


def test_yahoo_split_actions_are_stored_by_update(tmp_path) -> None:
    """yfinance's ``Stock Splits`` column (actions=True) becomes split records in the store."""
    rows = [
        ("2024-06-06", 124.05, 125.59, 118.32, 121.00, 120.79, 6.6e8),
        ("2024-06-07", 119.77, 121.69, 118.02, 120.89, 120.68, 4.1e8),
        ("2024-06-10", 120.37, 123.10, 117.01, 121.79, 121.58, 3.1e8),
    ]

    def download(symbol: str, start: date | None, end: date | None) -> pd.DataFrame:
        frame = yf_frame(rows)
        frame["Dividends"] = 0.0
        frame["Stock Splits"] = [0.0, 0.0, 10.0]
        return frame

    provider = YahooProvider(download, retry=FAST, sleep=lambda _: None)
    bars, splits = provider.fetch_with_splits("NVDA", None, None)
    assert bars.height == 3 and splits.rows() == [("NVDA", date(2024, 6, 10), 10.0)]
    from rotation.data.splits import stored_splits

    with Store(tmp_path / "s.duckdb") as st:
        assert update_symbols(st, provider, ["NVDA"]).total.added == 3
        assert stored_splits(st).rows() == [("NVDA", date(2024, 6, 10), 10.0)]
        assert stored_splits(st, ["NVDA"], known_on=date(2024, 6, 7)).is_empty()
