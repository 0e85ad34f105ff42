"""The NYSE trading calendar (``exchange-calendars``' XNYS), cached per process."""

from __future__ import annotations

import warnings
from datetime import date
from functools import lru_cache

import numpy as np
import polars as pl

CALENDAR_START = date(1927, 1, 3)
# exchange-calendars' XNYS rules miss many pre-1970 closures (Lincoln's Birthday,
# Election Day, ...), so checks against the calendar start here.
CHECK_START = date(1970, 1, 1)


@lru_cache(maxsize=1)
def _sessions() -> pl.Series:
    import exchange_calendars as xcals

    # exchange-calendars trips pandas' own deprecation warnings; they are not ours to fix.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cal = xcals.get_calendar("XNYS", start=CALENDAR_START.isoformat())
        days = np.asarray(cal.sessions.values).astype("datetime64[D]")
    return pl.Series("date", days).cast(pl.Date)


def nyse_sessions(start: date | None = None, end: date | None = None) -> pl.Series:
    """NYSE sessions between ``start`` and ``end`` inclusive (XNYS, from 1927)."""
    s = _sessions()
    if start is not None:
        s = s.filter(s >= start)
    if end is not None:
        s = s.filter(s <= end)
    return s


def is_session(day: date) -> bool:
    s = _sessions()
    return bool((s == day).any())
