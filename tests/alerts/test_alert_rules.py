"""Alert rules files: the shipped example parses; every bad key is one clear error naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from rotation.alerts.rules import BreadthRule, PositioningRule, RrgRule, SpreadRule, StopsRule, load_rules
from rotation.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "alerts.toml"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_rules_parse() -> None:
    rs = load_rules(EXAMPLE)
    kinds = [type(r) for r in rs.rules]
    assert kinds.count(SpreadRule) == 2 and kinds.count(RrgRule) == 2
    assert kinds.count(BreadthRule) == 2 and kinds.count(StopsRule) == 1 and kinds.count(PositioningRule) == 1
    first = rs.rules[0]
    assert isinstance(first, SpreadRule) and first.pairs is None and first.percentile == 0.95
    small = rs.rules[1]
    assert isinstance(small, SpreadRule) and small.pairs == (("^RUT", "^NDX"), ("IWM", "QQQ"))
    stops = rs.rules[-1]
    assert isinstance(stops, StopsRule) and stops.plans == (EXAMPLE.parent / "iwm-short-2024-07.toml",)
    assert rs.delivery.webhook is None and rs.delivery.email is None


def test_positioning_defaults(tmp_path: Path) -> None:
    (rule,) = load_rules(_write(tmp_path, "[[positioning]]\n")).rules
    assert isinstance(rule, PositioningRule)
    assert rule.contracts == ("RTY", "NQ", "ES") and rule.z == 2.0 and rule.weeks == 156
    assert rule.groups == ("dealer", "asset_mgr", "lev_money", "other_rept", "nonrept")


def test_aliases_are_normalized(tmp_path: Path) -> None:
    rs = load_rules(_write(tmp_path, '[[spread]]\npairs = ["RUT:NDX"]\n'))
    rule = rs.rules[0]
    assert isinstance(rule, SpreadRule) and rule.pairs == (("^RUT", "^NDX"),) and rule.name == "spread-1"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('[[spread]]\npercentile = 1.5\n', r"spread\[0\]\.percentile: expected a fraction in \(0, 1\]"),
        ('[[spread]]\ndirection = "up"\n', r"spread\[0\]\.direction: expected one of toward_a, toward_b, either"),
        ('[[spread]]\npairs = ["RUT"]\n', r"spread\[0\]\.pairs: expected pairs as \"A:B\""),
        ('[[spread]]\nwindow = "2d"\n', r"spread\[0\]\.window: expected one of 1d, 5d, 20d"),
        ('[[spread]]\npercentil = 0.9\n', r"spread\[0\]\.percentil: expected one of .*unknown key"),
        ('[[rrg]]\nuniverse = "sectors"\nto = ["top"]\n', r"rrg\[0\]\.to: expected a list of leading"),
        ('[[rrg]]\nsymbols = ["XLK"]\n', r"rrg\[0\]\.benchmark: expected a benchmark symbol"),
        ('[[rrg]]\nfreq = "weekly"\n', r"rrg\[0\]\.universe: expected either universe"),
        ('[[breadth]]\nuniverse = "sp500"\nmetric = "vibes"\nabove = 1\n', r"breadth\[0\]\.metric: expected one of"),
        ('[[breadth]]\nuniverse = "sp500"\nmetric = "share_up"\n', r"breadth\[0\]\.above: expected exactly one"),
        ('[[stops]]\nwithin = "1%"\n', r"stops\[0\]\.within: expected a number, got '1%'"),
        ('[[spread]]\nname = "x"\n[[rrg]]\nname = "x"\nuniverse = "sectors"\n', r"rrg\[0\]\.name: expected a non-empty name, unique"),
        ('[[positioning]]\ncontracts = ["RUT"]\n', r"positioning\[0\]\.contracts: expected a list of RTY, NQ, ES, got 'RUT'"),
        ('[[positioning]]\ngroups = ["whales"]\n', r"positioning\[0\]\.groups: expected a list of dealer"),
        ('[[positioning]]\nz = -2\n', r"positioning\[0\]\.z: expected a positive z-score"),
        ('[[positioning]]\nweeks = 4\n', r"positioning\[0\]\.weeks: expected a whole number of reports >= 13"),
        ('[[spreads]]\n', r"spreads: expected \[\[spread\]\]"),
        ('[delivery]\nwebhook = "ftp://x"\n[[spread]]\n', r"delivery\.webhook: expected an http\(s\) URL"),
        ('[delivery.email]\nhost = "h"\nfrom = "a@b"\n[[spread]]\n', r"delivery\.email\.to: expected a list of recipient"),
        ('[delivery.email]\nhost = "h"\nfrom = "a@b"\nto = ["c@d"]\nport = 0\n[[spread]]\n', r"delivery\.email\.port"),
        ('title = "no rules"\n', r"title: expected \[\[spread\]\]"),
        ('', r"expected at least one rule"),
        ('[[spread]\n', r"not valid TOML"),
    ],
)
def test_bad_rules_name_file_and_key(tmp_path: Path, text: str, match: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match=match) as err:
        load_rules(path)
    assert str(path) in str(err.value)


def test_missing_file_is_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read rules file"):
        load_rules(tmp_path / "none.toml")
