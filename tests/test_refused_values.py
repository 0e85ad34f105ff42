"""Out-of-range values are refused by the library itself (so notebooks get the same errors as the
CLI), a damaged store is one StoreCorruptError, and the CLI's safety net names what it caught."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from rotation.analytics.claims import parse_claims
from rotation.analytics.events import pair_events, scan_pairs, top_events
from rotation.analytics.rrg import RrgParams, rrg, rrg_snapshot
from rotation.backtest.strategies import PairSwitch, make_params
from rotation.backtest.sweep import expand_grid
from rotation.data.store import Store
from rotation.errors import ConfigError, DataError, StoreCorruptError


def _closes(n: int = 40) -> pl.DataFrame:
    days = pl.date_range(date(2024, 1, 1), date(2024, 12, 31), eager=True).head(n)
    return pl.DataFrame({"date": days, "A": [100.0 + i for i in range(n)], "B": [50.0 + (i % 7) for i in range(n)]})


def test_rrg_windows_are_never_replaced_by_defaults() -> None:
    for kwargs in ({"window": 0}, {"smooth": 0}, {"momentum": 0}, {"window": 2}):
        with pytest.raises(DataError, match="RRG windows must be"):
            RrgParams.for_freq("weekly", **kwargs)
    with pytest.raises(DataError, match="RRG windows must be"):
        RrgParams(window=0)  # the dataclass itself, not only the constructor helper
    with pytest.raises(DataError, match="frequency"):
        RrgParams(freq="hourly")  # type: ignore[arg-type]
    assert RrgParams.for_freq("weekly").window == 26 and RrgParams.for_freq("weekly", 3).window == 3


def test_rrg_tail_must_be_positive() -> None:
    closes = _closes(200)
    history = rrg(closes, "B", ["A"], RrgParams(window=10, smooth=2, momentum=3))
    assert len(rrg_snapshot(history, tail=3)[0].tail) == 3
    for tail in (0, -1):
        with pytest.raises(DataError, match="tail"):
            rrg_snapshot(history, tail=tail)


def test_event_options_are_checked() -> None:
    events = pair_events(_closes(), [("A", "B")], "1d", 10)
    assert top_events(events, 1).height == 1
    for n in (0, -1):
        with pytest.raises(DataError, match="top: expected at least 1"):
            top_events(events, n)
    for notable in (0.0, 5.0, -0.5, float("nan")):
        with pytest.raises(DataError, match=r"notable: expected .* \(0, 1\]"):
            scan_pairs(events, notable=notable)
    assert scan_pairs(events, notable=1.0).height == 1
    with pytest.raises(DataError, match="A:A: expected two different sides"):
        pair_events(_closes(), [("A", "A")])
    with pytest.raises(DataError, match="no 1d spread for A:B"):
        pair_events(_closes().head(1), [("A", "B")])


def test_pair_switch_windows_and_sides() -> None:
    with pytest.raises(ConfigError, match=r"fast: expected fewer sessions than slow \(10\), got 100"):
        make_params("pair-switch", {"fast": "100", "slow": "10"})
    with pytest.raises(ConfigError, match="fast: expected fewer"):
        PairSwitch(fast=50, slow=50)
    with pytest.raises(ConfigError, match="a and b"):
        make_params("pair-switch", {"a": "IWM", "b": "iwm"})
    with pytest.raises(ConfigError, match="the set fast=50, slow=50 is invalid"):
        expand_grid("pair-switch", {"fast": ["1", "50"], "slow": ["50", "100"]})
    rows, params, _ = expand_grid("pair-switch", {"fast": ["1", "5"], "slow": ["50"]})
    assert [p.fast for p in params] == [1, 5] and len(rows) == 2  # type: ignore[attr-defined]


def test_sweep_chunk_size(real_store: Path) -> None:
    from rotation.backtest.sweep import sweep_store

    with Store(real_store, read_only=True) as st:
        for size in (0, -3):
            with pytest.raises(ConfigError, match="chunk size"):
                sweep_store(st, "pair-switch", {"fast": ["1", "5"]}, chunk_size=size)


def test_claims_ids_are_unique_and_text() -> None:
    one = '[[claims]]\nid = "x"\nsentence = "s"\nsymbol = "NVDA"\nfrom = "ath"\nto = "2024-07-19"\nstated = -1.0\n'
    assert len(parse_claims(one + one.replace('"x"', '"y"'), "c.toml").claims) == 2
    with pytest.raises(ConfigError, match=r"c\.toml: claim #2, key 'id': expected an id not used before, got 'x' "
                                          r"\(also claim #1\)"):
        parse_claims(one + one, "c.toml")
    with pytest.raises(ConfigError, match="key 'id': expected a non-empty text id"):
        parse_claims(one.replace('"x"', "7"), "c.toml")


def test_store_ranges_and_missing_columns(real_store: Path) -> None:
    with Store(real_store, read_only=True) as st:
        with pytest.raises(DataError, match="starts 2024-05-01 after it ends 2024-01-01"):
            st.bars("NVDA", date(2024, 5, 1), date(2024, 1, 1))
        wide = st.closes(["XLC", "SPY"], end=date(2010, 1, 8))  # XLC starts in 2018: an all-null column
        assert wide.columns == ["date", "XLC", "SPY"] and wide["XLC"].null_count() == wide.height > 0


def test_a_damaged_store_raises_store_corrupt_error(real_store: Path, damaged_store: Path) -> None:
    from rotation.data.verify import verify_store

    dest = damaged_store
    with (pytest.raises(StoreCorruptError, match=r"is damaged .*rotation data import DIR --store NEW\.duckdb"),
          Store(dest, read_only=True) as st):
        for sym in st.symbols():
            st.bars(sym)
    check = verify_store(dest)
    assert not check.ok and check.damaged
    assert verify_store(real_store).ok


def test_the_safety_net_names_the_exception(cli, real_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    def boom(self: Store) -> pl.DataFrame:
        raise KeyError("surprise")

    monkeypatch.delenv("ROTATION_DEBUG", raising=False)
    monkeypatch.setattr(Store, "summary", boom)
    res = cli("data", "list", "--store", str(real_store))
    assert res.exit_code == 2
    assert res.stderr.strip().splitlines() == [
        "error: unexpected KeyError: 'surprise' (a bug in rotation; ROTATION_DEBUG=1 shows the traceback)"
    ]
    monkeypatch.setenv("ROTATION_DEBUG", "1")
    with pytest.raises(KeyError, match="surprise"):
        cli("data", "list", "--store", str(real_store))
