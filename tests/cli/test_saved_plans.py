"""Saved plans ($ROTATION_PLANS) feed the report's trades section and `rotation watch` by default."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "iwm-short-2024-07.toml"


@pytest.fixture
def plans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "plans"
    folder.mkdir()
    shutil.copy(EXAMPLE, folder / "iwm.toml")
    monkeypatch.setenv("ROTATION_PLANS", str(folder))
    return folder


def test_report_shows_saved_plans(cli, real_store: Path, plans: Path) -> None:
    result = cli("report", "--as-of", "2024-07-26", "--universe", "core", "--format", "json", "--store", str(real_store))
    assert result.exit_code == 0, result.output
    trades = next(s for s in json.loads(result.stdout)["sections"] if s["key"] == "trades")
    assert trades["status"] == "ok"
    statuses = sorted(r["status"] for r in trades["tables"][0]["rows"])
    assert statuses == ["closed", "open"]  # half 1 stopped on 2024-07-22, half 2 still open


def test_watch_defaults_to_saved_plans(cli, real_store: Path, plans: Path) -> None:
    result = cli("watch", "--as-of", "2024-07-31", "--json", "--store", str(real_store))
    assert result.exit_code == 1  # the ^RUT stop triggered on 2024-07-31
    doc = json.loads(result.stdout)
    assert doc["triggered"] >= 1


def test_without_saved_plans_the_trades_section_says_how(cli, real_store: Path) -> None:
    result = cli("report", "--as-of", "2024-07-26", "--universe", "core", "--format", "json", "--store", str(real_store))
    trades = next(s for s in json.loads(result.stdout)["sections"] if s["key"] == "trades")
    assert trades["status"] == "empty"
    assert "rotation journal add" in " ".join(trades["lines"])
