"""``rotation alerts`` on the embedded sample (and the full data when present): July 2024 replayed,
each event fired once, bad input exit 2."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rotation.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "alerts.toml"
RUT_NDX_RULE = "standard pairs, 1-day spread past the 95th percentile"


@pytest.fixture
def store(sample_store: Path, tmp_path: Path) -> Path:
    """A private copy of the sample store (alerts write their state into it)."""
    dest = tmp_path / "alerts.duckdb"
    shutil.copyfile(sample_store, dest)
    return dest


def alerts(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, ["alerts", *args], catch_exceptions=False)
    return res.exit_code, res.stdout, res.stderr


def test_july_11_fires_rut_ndx_once(store: Path) -> None:
    code, out, _ = alerts(str(EXAMPLE), "--as-of", "2024-07-11", "--store", str(store))
    assert code == 1
    assert "^RUT:^NDX" in out and "+5.82 pts toward ^RUT" in out
    # The same state again: nothing new, exit 0.
    code, out, _ = alerts(str(EXAMPLE), "--as-of", "2024-07-11", "--store", str(store))
    assert code == 0
    # 18: Thursday's partial week of 2024-07-08 fires no weekly RRG rule (it did, the 19th, before
    # weekly rules waited for the completed week)
    assert "2024-07-11: nothing new fired (18 fired before, not repeated)" in out


def test_july_11_json_names_the_event(store: Path) -> None:
    code, out, _ = alerts(str(EXAMPLE), "--as-of", "2024-07-11", "--store", str(store), "--json")
    assert code == 1
    doc = json.loads(out)
    assert doc["as_of"] == "2024-07-11" and doc["fired"] == len(doc["alerts"]) == 18
    # Thursday: the week of 07-08 is partial, the weekly rule judges the completed week of 07-01
    assert {a["key"].split("|")[-1] for a in doc["alerts"] if a["values"].get("freq") == "weekly"} == {"2024-07-01"}
    (hit,) = [a for a in doc["alerts"] if a["rule"] == RUT_NDX_RULE and a["subject"] == "^RUT:^NDX"]
    assert hit["key"] == "^RUT:^NDX|1d|2024-07-11"
    assert hit["values"]["spread"] == pytest.approx(0.0582, abs=5e-5)
    assert (hit["values"]["rank"], hit["values"]["count"]) == (1, 173)


def test_quiet_july_3_fires_no_spread_rule(store: Path) -> None:
    _, out, _ = alerts(str(EXAMPLE), "--as-of", "2024-07-03", "--store", str(store), "--json")
    doc = json.loads(out)
    assert doc["as_of"] == "2024-07-03"
    assert [a for a in doc["alerts"] if a["kind"] == "spread"] == []


def test_holiday_as_of_means_the_session_before(store: Path) -> None:
    _, out, _ = alerts(str(EXAMPLE), "--as-of", "2024-07-04", "--store", str(store), "--json", "--dry-run")
    assert json.loads(out)["as_of"] == "2024-07-03"


def test_dry_run_neither_reads_nor_writes_state_and_reset_forgets(store: Path) -> None:
    args = (str(EXAMPLE), "--as-of", "2024-07-11", "--store", str(store))
    assert alerts(*args, "--dry-run")[0] == 1
    assert alerts(*args)[0] == 1  # the dry run wrote nothing
    assert alerts(*args, "--dry-run")[0] == 1  # ...and does not read the state either
    assert alerts(*args)[0] == 0
    code, _, err = alerts(*args, "--reset")
    assert code == 1 and "forgot 18 alert(s)" in err


@pytest.mark.slow
def test_july_2024_replayed_day_by_day(store: Path) -> None:
    code, out, _ = alerts(str(EXAMPLE), "--from", "2024-07-01", "--as-of", "2024-07-31", "--store", str(store),
                          "--json")
    assert code == 1
    docs = {d["as_of"]: d for d in json.loads(out)}
    assert len(docs) == 22 and "2024-07-04" not in docs
    keys = [(a["rule"], a["key"]) for d in docs.values() for a in d["alerts"]]
    assert len(keys) == len(set(keys))  # each event once over the month
    july11 = [a["subject"] for a in docs["2024-07-11"]["alerts"] if a["rule"] == RUT_NDX_RULE]
    assert "^RUT:^NDX" in july11
    assert [a for a in docs["2024-07-03"]["alerts"] if a["kind"] == "spread"] == []
    # The IWM short: half 1 stopped on 2024-07-22, half 2 by ^RUT above 2,278.12 on 2024-07-31.
    stops = [(d, a["values"]["status"], a["values"]["rule"]) for d, doc in docs.items() for a in doc["alerts"]
             if a["kind"] == "stops" and a["values"]["status"] == "triggered"]
    assert stops == [("2024-07-22", "triggered", "stop"), ("2024-07-31", "triggered", "watch-stop")]
    # A weekly RRG transition fires once for its week, on the week's last session (Friday 07-05
    # after the July 4 holiday too); the replay's Monday 07-01 judges the completed week of 06-24
    # and the partial week of 07-29 fires nothing.
    weekly = [(d, a["key"].split("|")[-1]) for d, doc in docs.items() for a in doc["alerts"]
              if a["rule"] == "sectors entering leading or lagging"]
    assert {w for _, w in weekly} == {"2024-06-24", "2024-07-01", "2024-07-08", "2024-07-15", "2024-07-22"}
    assert {d for d, w in weekly if w != "2024-06-24"} == {"2024-07-05", "2024-07-12", "2024-07-19", "2024-07-26"}


def test_bad_rules_exit_2_naming_file_and_key(store: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[spread]]\npercentile = 95\n', encoding="utf-8")
    code, _, err = alerts(str(bad), "--store", str(store))
    assert code == 2
    assert f"{bad}: spread[0].percentile: expected a fraction" in " ".join(err.split())


def test_unknown_pair_symbol_exit_2_naming_the_rule(store: Path, tmp_path: Path) -> None:
    bad = tmp_path / "pairs.toml"
    bad.write_text('[[spread]]\nname = "mine"\npairs = ["ZZZZ:SPY"]\n', encoding="utf-8")
    code, _, err = alerts(str(bad), "--store", str(store), "--as-of", "2024-07-11")
    assert code == 2
    text = " ".join(err.split())
    assert f"{bad}: spread rule 'mine': no bars for ZZZZ" in text and "ZZZZ" in text


def test_full_data_july_11_and_july_3(store_copy: Path) -> None:
    code, out, _ = alerts(str(EXAMPLE), "--as-of", "2024-07-11", "--store", str(store_copy), "--json")
    assert code == 1
    doc = json.loads(out)
    assert any(a["subject"] == "^RUT:^NDX" and a["rule"] == RUT_NDX_RULE for a in doc["alerts"])
    _, out, _ = alerts(str(EXAMPLE), "--as-of", "2024-07-03", "--store", str(store_copy), "--json")
    assert [a for a in json.loads(out)["alerts"] if a["kind"] == "spread"] == []
    assert date(2024, 7, 3).isoformat() == json.loads(out)["as_of"]


def test_error_keeps_toml_brackets(store: Path, tmp_path: Path) -> None:
    bad = tmp_path / "pos.toml"
    bad.write_text('[[spreads]]\n', encoding="utf-8")
    code, _, err = alerts(str(bad), "--store", str(store))
    assert code == 2 and "spreads: expected [[spread]], [[rrg]]" in " ".join(err.split())


def test_basket_pair(store: Path, tmp_path: Path) -> None:
    rules = tmp_path / "basket.toml"
    rules.write_text('[[spread]]\npairs = ["^RUT:@megacaps"]\npercentile = 0.95\ndirection = "toward_a"\n',
                     encoding="utf-8")
    code, out, _ = alerts(str(rules), "--store", str(store), "--as-of", "2024-07-11", "--json", "--dry-run")
    assert code == 1
    (hit,) = json.loads(out)["alerts"]
    assert hit["subject"] == "^RUT:@megacaps" and hit["values"]["toward"] == "^RUT"
    assert hit["values"]["return_a"] == pytest.approx(0.0357, abs=5e-5)


def test_positioning_extreme_point_in_time_and_once_per_episode(store: Path, tmp_path: Path) -> None:
    rules = tmp_path / "pos.toml"
    rules.write_text('[[positioning]]\ncontracts = ["RTY"]\ngroups = ["nonrept"]\nz = 1.5\nside = "high"\n',
                     encoding="utf-8")
    # 2024-07-18: the report of 2024-07-16 is not released yet (Friday 2024-07-19).
    code, out, _ = alerts(str(rules), "--store", str(store), "--as-of", "2024-07-18", "--json")
    assert code == 0 and json.loads(out)["alerts"] == []
    code, out, _ = alerts(str(rules), "--store", str(store), "--as-of", "2024-07-19", "--json")
    assert code == 1
    (hit,) = json.loads(out)["alerts"]
    assert hit["key"] == "RTY|tff|nonrept|high|2024-07-16" and hit["date"] == "2024-07-19"
    assert hit["values"]["net"] == 11_964  # the seed's non-reportable net of the 2024-07-16 report
    assert hit["values"]["zscore"] == pytest.approx(1.59, abs=0.005)
    # Still beyond a week later: the same episode, not a new alert.
    code, out, _ = alerts(str(rules), "--store", str(store), "--as-of", "2024-07-26", "--json")
    assert code == 0 and [r["key"] for r in json.loads(out)["repeats"]] == ["RTY|tff|nonrept|high|2024-07-16"]


def test_positioning_rule_on_a_store_without_positioning_is_a_note(tmp_path: Path) -> None:
    from conftest import make_bars
    from rotation.data.importer import import_frame
    from rotation.data.store import Store

    path = tmp_path / "bars-only.duckdb"
    with Store(path) as st:
        import_frame(st, make_bars("SPY", [100.0 + i for i in range(30)]), "test")
    rules = tmp_path / "pos.toml"
    rules.write_text('[[positioning]]\ncontracts = ["RTY"]\n', encoding="utf-8")
    code, out, err = alerts(str(rules), "--store", str(path))
    assert code == 0 and "nothing new fired" in out
    assert "the store has no positioning data" in err


def _partial_week_store(tmp_path: Path) -> Path:
    """AAA against a flat BBB: a slow rotation, then a last week (2024-09-30 .. 10-04) that jumps
    Monday to Wednesday (the week so far in leading) and gives it back Thursday and Friday
    (the whole week in lagging)."""
    import math

    from conftest import make_bars
    from rotation.data.importer import import_frame
    from rotation.data.store import Store

    n = 199  # weekdays from Tuesday 2024-01-02 to Friday 2024-10-04
    x = [0.05 * math.sin(2 * math.pi * i / 130) for i in range(n)]
    for k, bump in zip(range(n - 5, n), (0.04, 0.08, 0.10, 0.0, -0.02), strict=True):
        x[k] += bump
    path = tmp_path / "partial-week.duckdb"
    with Store(path) as st:
        import_frame(st, make_bars("AAA", [100 * math.exp(v) for v in x]), "test")
        import_frame(st, make_bars("BBB", [100.0] * n), "test")
    return path


def test_a_weekly_rrg_alert_waits_for_the_completed_week(tmp_path: Path) -> None:
    from rotation.analytics.rrg import RrgParams, rrg
    from rotation.data.store import Store

    store = _partial_week_store(tmp_path)
    with Store(store, read_only=True) as st:
        closes = st.closes(["AAA", "BBB"])
    # the setting: the week's bar so far is leading Monday to Wednesday, lagging from Thursday
    seen = {}
    for day in (date(2024, 9, 30), date(2024, 10, 2), date(2024, 10, 3), date(2024, 10, 4)):
        hist = rrg(closes.filter(closes["date"] <= day), "BBB", ["AAA"], RrgParams.for_freq("weekly"))
        seen[day] = hist["quadrant"].to_list()[-2:]
    assert seen == {date(2024, 9, 30): ["weakening", "leading"], date(2024, 10, 2): ["weakening", "leading"],
                    date(2024, 10, 3): ["weakening", "lagging"], date(2024, 10, 4): ["weakening", "lagging"]}
    rules = tmp_path / "rrg.toml"
    rules.write_text('[[rrg]]\nname = "AAA leading or lagging"\nsymbols = ["AAA"]\nbenchmark = "BBB"\n'
                     'freq = "weekly"\nto = ["leading", "lagging"]\n', encoding="utf-8")
    code, out, err = alerts(str(rules), "--from", "2024-09-30", "--as-of", "2024-10-04", "--store", str(store),
                            "--json")
    fired = [(d["as_of"], a["values"]["to"], a["key"]) for d in json.loads(out) for a in d["alerts"]]
    # once, on the completed week, in the quadrant the week ended in; never on the partial week's bar
    assert code == 1 and fired == [("2024-10-04", "lagging", "symbols|BBB|weekly|AAA|lagging|2024-09-30")]
    assert "the week of 2024-09-30 is not complete (bars up to 2024-10-03, as of 2024-10-03)" in " ".join(err.split())
