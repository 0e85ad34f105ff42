"""One error path for the user's files: decoding, TOML, atomic writes, and fuzzing every parser.

Each parser, fed arbitrary bytes or arbitrary TOML, either succeeds or raises a
:class:`RotationError` (which the CLI prints as one line, exit 2), never another exception.
"""

from __future__ import annotations

import codecs
import json
import math
import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rotation.analytics.claims import parse_claims
from rotation.data.files import read_bar_file
from rotation.data.symbols import _read_alias_file
from rotation.data.textio import decode_text, parse_toml, read_text, read_toml, write_atomic
from rotation.data.universes import parse_universe
from rotation.errors import ConfigError, DataError, OutputError, PlanError, RotationError
from rotation.trading.journal import parse_stop
from rotation.trading.plan import load_plan, parse_plan

ROOT = Path(__file__).resolve().parents[2]
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# -- decoding and TOML ---------------------------------------------------------------------------

def test_utf8_bom_is_accepted_and_dropped() -> None:
    assert decode_text(codecs.BOM_UTF8 + b"a = 1\n", "x.toml") == "a = 1\n"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_wide_encodings_are_named(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "plan.toml"
    path.write_bytes('name = "x"\nsymbol = "IWM"\n'.encode(encoding))
    with pytest.raises(PlanError, match=r"plan\.toml.*UTF-(16|32).*expected UTF-8"):
        load_plan(path)


def test_binary_and_bad_utf8_name_the_line(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"x\.csv:2: found a NUL byte: this looks like a binary file"):
        decode_text(b"date,open\n\x00\x01\x02\xff\xfe", "x.csv")
    with pytest.raises(ConfigError, match=r"u\.toml:3: not UTF-8 text \(byte 0xff\)"):
        decode_text(b"a = 1\nb = 2\n\xff", "u.toml", ConfigError)
    with pytest.raises(DataError, match="cannot read file"):
        read_text(tmp_path / "missing.csv")
    with pytest.raises(DataError, match="not a valid gzip file"):
        (tmp_path / "x.csv.gz").write_bytes(b"not gzip")
        read_text(tmp_path / "x.csv.gz")


@pytest.mark.parametrize("doc", ["a = " + "[" * 5000, "a = " + "{b = " * 5000, "[" * 3000 + "a]"])
def test_toml_nested_thousands_deep_is_one_error(doc: str) -> None:
    with pytest.raises(ConfigError, match=r"deep\.toml: not valid TOML"):
        parse_toml(doc, "deep.toml")


def test_plan_with_a_bom_loads(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(codecs.BOM_UTF8 + (ROOT / "examples" / "iwm-short-2024-07.toml").read_bytes())
    assert load_plan(path).symbol == "IWM"
    assert read_toml(path)["symbol"] == "IWM"


# -- atomic writes -------------------------------------------------------------------------------

def test_write_atomic_replaces_whole_files_and_keeps_the_mode(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "r.html"
    assert write_atomic(out, "<p>one</p>") == out
    assert out.read_text() == "<p>one</p>"
    write_atomic(out, b"\x89PNG")
    assert out.read_bytes() == b"\x89PNG"
    mask = os.umask(0)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~mask
    assert [p.name for p in out.parent.iterdir()] == ["r.html"]  # no temporary file left


def test_write_atomic_failure_leaves_the_old_file(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    out.write_text("old")

    def broken(tmp: Path) -> None:
        tmp.write_text("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OutputError, match=r"r\.json: cannot write report: No space left on device"):
        write_atomic(out, broken, "report")
    assert out.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


@pytest.mark.parametrize("target", ["/proc/x.html", "/proc/self/nope/x.json", "/dev/null/x.png"])
def test_write_atomic_unwritable_targets(target: str) -> None:
    with pytest.raises(OutputError, match="cannot write"):
        write_atomic(Path(target), "x")


def test_write_atomic_refuses_a_folder(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="it is a folder"):
        write_atomic(tmp_path, "x")


# -- fuzzing every parser ------------------------------------------------------------------------

# Keys the parsers know, so that generated documents get past the first checks.
KEYS = ["name", "symbol", "side", "size", "shares", "dollars", "tranche", "fraction", "entry", "date", "at",
        "stop", "target", "on", "level", "costs", "commission_per_share", "slippage", "fill", "note",
        "universe", "benchmark", "symbols", "pairs", "a", "b", "kind", "label", "labels", "claims", "id",
        "sentence", "from", "to", "stated", "tolerance", "defaults", "title", "source", "roll", "total_return",
        "stated_spread", "aliases", "x"]
SCALARS = st.one_of(
    st.sampled_from(["IWM", "^RUT", "short", "long", "open", "close", "ath", "2024-07-19", "mapped", "NVDA", ""]),
    st.text(max_size=12),
    st.integers(min_value=-10**20, max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(KEYS), inner, max_size=5),
    ),
    max_leaves=20,
)
DOCS = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=8)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, str):
        return json.dumps(v)  # a TOML basic string
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"


def to_toml(doc: dict[str, Any]) -> str:
    """A document as TOML: every value inline (``tranche = [{...}]`` is an array of tables)."""
    return "".join(f"{json.dumps(k)} = {_toml_value(v)}\n" for k, v in doc.items())


def _ends_well(call: Any, *args: Any) -> None:
    try:
        call(*args)
    except RotationError as exc:
        assert str(exc).strip() and "\n" not in str(exc).strip(), repr(exc)


def _parse_plan_text(text: str) -> None:
    parse_plan(parse_toml(text, "fuzz.toml", PlanError), "fuzz.toml")


def _alias_text(tmp: Path, text: str) -> None:
    path = tmp / "aliases.toml"
    path.write_text(text, encoding="utf-8")
    _read_alias_file(path)


@FUZZ
@given(doc=DOCS)
def test_arbitrary_toml_ends_in_a_rotation_error(doc: dict[str, Any], tmp_path: Path) -> None:
    text = to_toml(doc)
    _ends_well(_parse_plan_text, text)
    _ends_well(parse_claims, text, "fuzz.toml")
    _ends_well(parse_universe, text, "fuzz.toml")
    _ends_well(_alias_text, tmp_path, text)


@FUZZ
@given(raw=st.binary(max_size=400))
def test_arbitrary_bytes_end_in_a_rotation_error(raw: bytes, tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_bytes(raw)
    _ends_well(load_plan, plan)
    _ends_well(read_toml, plan)
    for name in ("NVDA.csv", "spy.us.txt", "x.csv.gz", "NVDA.parquet"):
        bars = tmp_path / name
        bars.write_bytes(raw)
        _ends_well(read_bar_file, bars)


CSV_CELLS = st.sampled_from(["2024-07-19", "20240719", "07/19/2024", "1.5", "-3", "1e300", "nan", "null", "",
                             "x", '"q,1"', "0", "inf", "2024-02-30"])


@FUZZ
@given(header=st.lists(st.sampled_from(["date", "Date", "open", "high", "low", "close", "Adj Close", "volume",
                                        "symbol", "<TICKER>", "x"]), min_size=1, max_size=8),
       rows=st.lists(st.lists(CSV_CELLS, min_size=0, max_size=9), max_size=6),
       sep=st.sampled_from([",", ";", "\t"]))
def test_arbitrary_csv_ends_in_a_rotation_error(header: list[str], rows: list[list[str]], sep: str,
                                                tmp_path: Path) -> None:
    path = tmp_path / "NVDA.csv"
    path.write_text("\n".join(sep.join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    _ends_well(read_bar_file, path)


@FUZZ
@given(text=st.one_of(st.text(max_size=30), st.sampled_from(["^RUT>2278.12", "IWM:close>220", "220.65", "x>",
                                                              "^RUT>nan", "IWM<-1e309", ">>", ":"])))
def test_arbitrary_journal_stops_end_in_a_rotation_error(text: str) -> None:
    _ends_well(parse_stop, text)
