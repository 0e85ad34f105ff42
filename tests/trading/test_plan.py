"""Plan files: the shipped example, every form of entry and exit, and clear errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from rotation.errors import PlanError
from rotation.trading.plan import Entry, StopRule, load_plan, parse_plan, tranche_quantities

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "iwm-short-2024-07.toml"


def test_example_plan_says_what_the_commentary_says() -> None:
    plan = load_plan(EXAMPLE)
    assert (plan.symbol, plan.side, plan.sign) == ("IWM", "short", -1)
    assert plan.size.kind == "shares" and plan.size.value == 1000
    one, two = plan.tranches
    assert one.entry == Entry("open", date(2024, 7, 19)) and two.entry == one.entry
    assert one.stop == StopRule("price", 220.65)
    assert two.stop == StopRule("watch", 2278.12, "^RUT", "above")
    assert two.fill_model == "mapped"
    assert plan.watched == ("^RUT",)
    assert plan.first_date == date(2024, 7, 19)
    assert tranche_quantities(plan) == [500.0, 500.0]


def base(**over) -> dict:
    data = {
        "symbol": "iwm",
        "side": "long",
        "size": {"shares": 100},
        "tranche": [{"entry": {"date": date(2024, 7, 19), "at": "open"}}],
    }
    data.update(over)
    return data


def test_every_exit_form_parses() -> None:
    plan = parse_plan(base(tranche=[
        {"entry": {"date": "2024-07-19", "limit": 215.0, "until": "2024-07-31"}, "stop": {"pct": "2%"},
         "target": {"pct": 0.05}, "trailing_stop": "3%", "time_stop": 10, "fill": "close", "fraction": 0.25},
        {"entry": {"date": date(2024, 7, 19), "stop": 219.0}, "stop": {"symbol": "rut", "below": 2100},
         "target": 230, "time_stop": date(2024, 8, 30), "fraction": "25%"},
        {"entry": {"date": date(2024, 7, 19), "price": 217.0}, "stop": {"price": 210.0}},
    ]), "t.toml")
    a, b, c = plan.tranches
    assert a.entry == Entry("limit", date(2024, 7, 19), 215.0, date(2024, 7, 31))
    assert a.stop == StopRule("pct", 0.02) and a.target is not None and a.target.level == 0.05
    assert a.trailing_stop == pytest.approx(0.03) and a.time_stop_bars == 10 and a.fill_model == "close"
    assert b.stop == StopRule("watch", 2100.0, "^RUT", "below") and b.time_stop_date == date(2024, 8, 30)
    assert b.fraction == 0.25 and c.entry.kind == "fill" and c.fraction == pytest.approx(1 / 3)
    assert plan.symbol == "IWM"


def test_size_forms_and_whole_shares() -> None:
    plan = parse_plan(base(size={"notional": 200_000, "fraction": 0.25}))
    assert (plan.size.kind, plan.size.value) == ("dollars", 50_000.0)
    assert tranche_quantities(plan)[0] != tranche_quantities(plan)[0]  # NaN: sized at the fill
    odd = parse_plan(base(size={"shares": 101}, tranche=[
        {"entry": {"date": date(2024, 7, 19), "at": "open"}, "fraction": 0.5},
        {"entry": {"date": date(2024, 7, 19), "at": "open"}, "fraction": 0.5},
    ]))
    assert tranche_quantities(odd) == [50.0, 50.0]  # floored: never more than the position
    frac = parse_plan(base(size={"shares": 0.5, "whole_shares": False}))
    assert tranche_quantities(frac) == [0.5]


@pytest.mark.parametrize(
    ("over", "key", "expected"),
    [
        ({"side": "sideways"}, "side", '"long" or "short"'),
        ({"side": None}, "side", '"long" or "short"'),
        ({"size": {"shares": 1.5}}, "size.shares", "whole number"),
        ({"size": {"shares": 10, "dollars": 5}}, "size", "exactly one of shares, dollars, notional"),
        ({"size": {"notional": 1000}}, "size.fraction", "fraction of the notional"),
        ({"colour": "red"}, "colour", "unknown key"),
        ({"fill": "teleport"}, "fill", '"mapped"'),
        ({"tranche": []}, "tranche", "at least one"),
        ({"tranche": [{"entry": {"date": "2024-07-19", "at": "noon"}}]}, "tranche[1].entry.at", '"open" or "close"'),
        ({"tranche": [{"entry": {"at": "open"}}]}, "tranche[1].entry.date", "a date"),
        ({"tranche": [{"entry": {"date": "2024-13-45", "at": "open"}}]}, "tranche[1].entry.date", "YYYY-MM-DD"),
        ({"tranche": [{"entry": {"date": "2024-07-19", "at": "open", "limit": 3}}]}, "tranche[1].entry",
         "exactly one of at, limit, stop, price"),
        ({"tranche": [{"entry": {"date": "2024-07-19", "at": "open"}, "stop": -3}]}, "tranche[1].stop", "> 0"),
        ({"tranche": [{"entry": {"date": "2024-07-19", "at": "open"}, "stop": {"symbol": "^RUT"}}]},
         "tranche[1].stop", "exactly one of above, below"),
        ({"tranche": [{"entry": {"date": "2024-07-19", "at": "open"}, "stop": {"above": 5}}]},
         "tranche[1].stop.symbol", "a symbol"),
        ({"tranche": [{"entry": {"date": "2024-07-19", "at": "open"}, "trailing_stop": "150%"}]},
         "tranche[1].trailing_stop", "between 0 and 1"),
        ({"tranche": [{"entry": {"date": "2024-07-19", "at": "open"}, "time_stop": 0}]},
         "tranche[1].time_stop", ">= 1"),
        ({"tranche": [{"entry": {"date": "2024-07-19", "at": "open"}, "time_stop": "2024-07-01"}]},
         "tranche[1].time_stop", "on or after the entry date"),
        ({"tranche": [{"entry": {"date": "2024-07-19", "at": "open"}, "fraction": 0.7},
                      {"entry": {"date": "2024-07-19", "at": "open"}, "fraction": 0.7}]},
         "tranche.fraction", "at most 1"),
        ({"costs": {"slippage": -0.1}}, "costs.slippage", "fraction"),
        ({"costs": {"commission_per_share": -1}}, "costs.commission_per_share", ">= 0"),
    ],
)
def test_errors_name_file_key_and_expectation(over: dict, key: str, expected: str) -> None:
    data = base(**over)
    if over.get("side", "x") is None:
        del data["side"]
    with pytest.raises(PlanError) as info:
        parse_plan(data, "plans/x.toml")
    text = str(info.value)
    assert text.startswith("plans/x.toml: ") and f" {key}: " in text and expected in text, text


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="cannot read plan file"):
        load_plan(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("symbol = \n")
    with pytest.raises(PlanError, match=r"bad.toml: not valid TOML"):
        load_plan(bad)
    good = tmp_path / "ok.toml"
    good.write_text(EXAMPLE.read_text().replace('side = "short"', 'side = "shrt"'))
    with pytest.raises(PlanError, match=r'ok.toml: side: expected "long" or "short", got \'shrt\''):
        load_plan(good)


# -- refused: wrong-side exits, absurd sizes, an entry after the data ------------------------------


def _plan_text(**over: str) -> str:
    text = EXAMPLE.read_text()
    for old, new in over.items():
        text = text.replace(old, new)
    return text


@pytest.mark.parametrize(
    ("old", "new", "key", "expected"),
    [
        ("size = { shares = 1000 }", "size = { shares = 1e300 }", "size.shares", "a number of shares <= 1e+10"),
        ("size = { shares = 1000 }", "size = { dollars = 1e300 }", "size.dollars", "an amount <= 1e+13"),
        ("stop = 220.65", "stop = 1e300", "tranche[1].stop", "a price <= 10,000,000"),
        ('entry = { date = 2024-07-19, at = "open" }\nstop = 220.65',
         "entry = { date = 2024-07-19, price = 217.63 }\nstop = 210.0",
         "tranche[1].stop", "a short's stop above its entry price 217.63, got 210.00"),
        ('entry = { date = 2024-07-19, at = "open" }\nstop = 220.65',
         "entry = { date = 2024-07-19, limit = 217.63 }\nstop = 220.65\ntarget = 230",
         "tranche[1].target", "a short's target below its entry price 217.63"),
        ("commission_per_share = 0.0", "commission_per_share = 1e300", "costs.commission_per_share", "<= 1e+13"),
    ],
)
def test_absurd_and_wrong_side_values_are_refused(old: str, new: str, key: str, expected: str) -> None:
    import tomllib

    text = _plan_text(**{old: new})
    assert text != EXAMPLE.read_text()
    with pytest.raises(PlanError) as err:
        parse_plan(tomllib.loads(text), "p.toml")
    assert f"p.toml: {key}: expected" in str(err.value) and expected in str(err.value)


def test_wrong_side_stop_on_an_open_entry_is_refused_at_replay(real_store: Path, tmp_path: Path) -> None:
    """A short entered at the open (217.63) with its stop below it would be 'stopped at entry'."""
    from rotation.data.store import Store
    from rotation.trading.replay import replay_from_store

    path = tmp_path / "p.toml"
    path.write_text(_plan_text(**{"stop = 220.65": "stop = 210.0"}))
    with Store(real_store, read_only=True) as st, pytest.raises(
        PlanError, match=r"tranche\[1\]\.stop: expected a short's stop above its entry price 217.63.*open of 2024-07-19"
    ):
        replay_from_store(st, load_plan(path))


def test_entry_after_the_data_says_so(real_store: Path, tmp_path: Path) -> None:
    from rotation.data.store import Store
    from rotation.trading.replay import replay_from_store

    path = tmp_path / "p.toml"
    path.write_text(_plan_text(**{"2024-07-19": "2029-07-19"}))
    with Store(real_store, read_only=True) as st:
        last = st.last_dates()["IWM"]
        with pytest.raises(PlanError, match=f"entry date 2029-07-19 is after the last IWM bar in the store .{last}."):
            replay_from_store(st, load_plan(path))
