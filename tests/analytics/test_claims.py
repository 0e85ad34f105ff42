"""Claims files: parsing with clear errors (file + key), and evaluation against real bars."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from conftest import make_bars
from rotation.analytics.claims import (
    DEFAULT_TOLERANCE,
    ClaimsFile,
    claim_symbols,
    evaluate_claim,
    evaluate_claims,
    parse_claims,
)
from rotation.data.positioning import positioning_frame, sentiment_frame
from rotation.data.store import Store
from rotation.errors import AnchorError, ConfigError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "claims-2024-07.toml"

MOVE = """
[[claims]]
sentence = "X rose"
symbol = "TST"
from = "2024-01-02"
to = "2024-01-05"
stated = {stated}
"""


@pytest.fixture(scope="module")
def example() -> ClaimsFile:
    return parse_claims(EXAMPLE.read_text(encoding="utf-8"), EXAMPLE)


@pytest.fixture(scope="module")
def example_data(real_store: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The positioning (RTY) and sentiment frames the example's who-is-buying claims need."""
    with Store(real_store, read_only=True) as s:
        return positioning_frame(s, ["RTY"]), sentiment_frame(s)


@pytest.fixture(scope="module")
def example_bars(real_store: Path, example: ClaimsFile) -> dict[str, pl.DataFrame]:
    with Store(real_store, read_only=True) as s:
        return {sym: s.bars(sym) for sym in claim_symbols(example)}


def _bars() -> dict[str, pl.DataFrame]:
    return {"TST": make_bars("TST", [100.0, 101.0, 102.0, 110.0, 99.0]),
            "OTH": make_bars("OTH", [50.0, 50.0, 49.0, 45.0, 44.0])}


# -- parsing --------------------------------------------------------------------------------------


def test_example_parses(example: ClaimsFile) -> None:
    assert example.title.startswith("Rotation Within")
    assert [c.kind for c in example.claims] == [
        "day", "day", "move", "move", "compare", "move", "positioning", "positioning", "sentiment"]
    assert claim_symbols(example) == ["^RUT", "^NDX", "NVDA"]
    ath = example.claims[2]
    assert ath.key == "nvda-from-ath"
    assert ath.stated == (pytest.approx(-0.198),) and ath.tolerance == (pytest.approx(0.005),)
    assert ath.from_[0].kind == "ath" and ath.to[0].day is not None
    day = example.claims[0]
    assert day.from_[0].text == "-1d" and day.tolerance == (pytest.approx(0.0001),)  # [defaults]
    cmp = example.claims[4]
    assert cmp.symbols == ("NVDA", "^RUT") and [a.kind for a in cmp.from_] == ["ath", "date"]


def test_units_are_percent_and_default_tolerance() -> None:
    cf = parse_claims(MOVE.format(stated='"-19.8%"'), "t.toml")
    assert cf.claims[0].stated == (pytest.approx(-0.198),)
    assert cf.claims[0].tolerance == (DEFAULT_TOLERANCE,)
    assert cf.claims[0].key == "#1" and cf.claims[0].kind == "move"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("title = 3\n[[claims]]\nsentence='s'\nsymbol='A'\nfrom='ath'\nto='last'\nstated=1", "key 'title'"),
        ("nonsense = [", "not valid TOML"),
        ("title = 'x'", "key 'claims'"),
        ("bogus = 1\n" + MOVE.format(stated=1), "unknown top-level key 'bogus'"),
        ("[defaults]\ntolerence = 1\n" + MOVE.format(stated=1), "defaults.tolerence"),
        ("[defaults]\ntolerance = -1\n" + MOVE.format(stated=1), "key 'tolerance'"),
        ("[defaults]\nroll = 'back'\n" + MOVE.format(stated=1), "key 'roll'"),
        (MOVE.format(stated="'lots'"), "claim #1, key 'stated': expected a number in percent"),
        (MOVE.format(stated="true"), "key 'stated'"),
        (MOVE.format(stated="[1, 2]"), "key 'stated': expected one figure"),
        (MOVE.format(stated=1).replace('stated = 1', ''), "key 'stated'"),
        (MOVE.format(stated=1).replace('sentence = "X rose"', ''), "key 'sentence'"),
        (MOVE.format(stated=1).replace('symbol = "TST"', ''), "key 'symbol'"),
        (MOVE.format(stated=1).replace('"2024-01-02"', '"2024-01-02:hi"'), "key 'from': anchor '2024-01-02:hi'"),
        (MOVE.format(stated=1).replace('to = "2024-01-05"', ''), "key 'to'"),
        (MOVE.format(stated=1) + "tolerence = 1\n", "key 'tolerence'"),
        (MOVE.format(stated=1) + "kind = 'guess'\n", "key 'kind'"),
        (MOVE.format(stated=1) + "stated_spread = 1\n", "key 'stated_spread'"),
        (MOVE.format(stated=1) + "date = 2024-01-05\n", "key 'date'"),
        ("[[claims]]\nsentence='s'\nsymbol='A'\ndate='2024-01-05:high'\nstated=1", "key 'date'"),
        ("[[claims]]\nsentence='s'\nsymbol='A'\ndate=2024-01-05\nfrom='ath'\nstated=1", "key 'date'"),
        ("[[claims]]\nsentence='s'\nkind='day'\nsymbol='A'\ndate=2024-01-05\nfrom='ath'\nstated=1", "key 'from'"),
        ("[[claims]]\nsentence='s'\nsymbols=['A']\nfrom='ath'\nto='last'\nstated=[1]", "key 'symbols'"),
        ("[[claims]]\nsentence='s'\nsymbols=['A','B']\nfrom='ath'\nto='last'\nstated=1", "key 'stated'"),
        ("[[claims]]\nsentence='s'\nsymbols=['A','B']\nfrom=['ath']\nto='last'\nstated=[1,2]", "key 'from'"),
        ("[[claims]]\nsentence='s'\nsymbols=['A','B']\nsymbol='A'\nfrom='ath'\nto='last'\nstated=[1,2]",
         "key 'symbol'"),
        ("[[claims]]\nid='x1'\nsentence='s'\nsymbol='A'\nfrom='ath'\nto='last'\nstated=1\ntolerance=[1,2]",
         "claim #1 ('x1'), key 'tolerance'"),
    ],
)
def test_config_errors_name_file_and_key(text: str, needle: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_claims(text, "my/claims.toml")
    msg = str(err.value)
    assert msg.startswith("my/claims.toml: ")
    assert needle in msg


# -- evaluation -----------------------------------------------------------------------------------------


def test_move_ok_and_mismatch() -> None:
    ok = evaluate_claims(parse_claims(MOVE.format(stated=10.0), "t.toml"), _bars())
    assert len(ok) == 1 and ok[0].ok
    r = ok[0]
    assert r.computed == pytest.approx(0.10) and r.difference == pytest.approx(0.0, abs=1e-12)
    assert [a.date.isoformat() for a in r.anchors] == ["2024-01-02", "2024-01-05"]
    bad = evaluate_claims(parse_claims(MOVE.format(stated=9.9) + "tolerance = 0.05\n", "t.toml"), _bars())
    assert not bad[0].ok and bad[0].difference == pytest.approx(0.001)
    edge = evaluate_claims(parse_claims(MOVE.format(stated=9.9) + "tolerance = 0.1\n", "t.toml"), _bars())
    assert edge[0].ok  # exactly at the tolerance passes


def test_compare_with_spread_and_total_return() -> None:
    text = """
[[claims]]
sentence = "TST rose 10% while OTH fell 10%"
symbols = ["TST", "OTH"]
from = "2024-01-02"
to = "2024-01-05"
stated = [10, -10]
stated_spread = 20
tolerance = [0.01, 0.01]
total_return = true
"""
    res = evaluate_claims(parse_claims(text, "t.toml"), _bars())
    assert [r.figure for r in res] == ["TST", "OTH", "spread TST - OTH"]
    assert all(r.ok for r in res)
    assert res[0].basis.startswith("total return") and res[0].anchors[0].field == "adj_close"
    assert len(res[2].anchors) == 4


def test_day_claim_and_roll() -> None:
    text = "[[claims]]\nsentence='s'\nsymbol='TST'\ndate=2024-01-05\nstated=7.84\ntolerance=0.01\n"
    r = evaluate_claims(parse_claims(text, "t.toml"), _bars())[0]
    assert r.ok and r.anchors[0].date.isoformat() == "2024-01-04"
    weekend = MOVE.format(stated=10).replace('"2024-01-05"', '"2024-01-06"')
    with pytest.raises(AnchorError) as err:
        evaluate_claims(parse_claims(weekend, "t.toml"), _bars())
    assert str(err.value).startswith("t.toml: claim #1 (TST): ") and "Saturday" in str(err.value)
    rolled = evaluate_claims(parse_claims("[defaults]\nroll='prev'\n" + weekend, "t.toml"), _bars())
    assert rolled[0].anchors[1].date.isoformat() == "2024-01-05"


def test_symbol_without_bars() -> None:
    cf = parse_claims(MOVE.format(stated=1).replace("TST", "NOPE"), "t.toml")
    with pytest.raises(ConfigError, match="no bars given for symbol 'NOPE'"):
        evaluate_claim(cf.claims[0], _bars(), "t.toml")


def test_example_on_real_data(
    example: ClaimsFile, example_bars: dict[str, pl.DataFrame], example_data: tuple[pl.DataFrame, pl.DataFrame]
) -> None:
    results = evaluate_claims(example, example_bars, *example_data)
    assert len(results) == 11
    # the price figures all hold; the data rejects "big money is not buying small caps"
    assert [(r.key, r.figure) for r in results if not r.ok] == [
        ("big-money-small-caps", "RTY asset managers net change"),
        ("big-money-small-caps", "RTY leveraged funds net change"),
    ]
    by = {(r.key, r.figure): r for r in results}
    assert round(by[("rut-2024-07-11", "^RUT")].computed * 100, 2) == 3.57
    assert round(by[("ndx-2024-07-11", "^NDX")].computed * 100, 2) == -2.24
    ath = by[("nvda-from-ath", "NVDA")]
    assert round(ath.computed * 100, 2) == -19.68 and ath.difference == pytest.approx(0.0012, abs=5e-5)
    assert (ath.anchors[0].date.isoformat(), ath.anchors[0].field, ath.anchors[0].price) == (
        "2024-06-20", "high", 140.76)
    assert round(by[("rut-same-window", "^RUT")].computed * 100, 2) == 12.03
    assert round(by[("nvda-apr-jun", "NVDA")].computed * 100, 2) == 84.72
    am = by[("big-money-small-caps", "RTY asset managers net change")]
    assert (am.computed, am.unit, am.stated_text) == (44_102, "contracts", "not up")
    assert "reports 2024-07-09 (released 2024-07-12) -> 2024-07-16 (released 2024-07-19)" in am.detail
    assert by[("big-money-small-caps", "RTY leveraged funds net change")].computed == 33_818
    small = by[("small-money-small-caps", "RTY non-reportables net change")]
    assert small.ok and small.computed == 3_127
    aaii = by[("aaii-bullish-2024-07-11", "AAII bullish")]
    assert aaii.ok and round(aaii.computed * 100, 1) == 49.2


def test_a_tight_tolerance_turns_the_intraday_claim_into_a_mismatch(
    example_bars: dict[str, pl.DataFrame], example_data: tuple[pl.DataFrame, pl.DataFrame]
) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace("tolerance = 0.5\n", "tolerance = 0.05\n", 1)
    results = evaluate_claims(parse_claims(text, "tight.toml"), example_bars, *example_data)
    bad = [r for r in results if not r.ok and r.basis == "price"]
    assert [(r.key, r.figure) for r in bad] == [("nvda-from-ath", "NVDA")]
