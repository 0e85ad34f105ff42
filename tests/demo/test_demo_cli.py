"""``rotation demo``: its own store from the sample, the report as of 2024-07-26, the next commands;
then other commands on that store, and the HTML report drawn in headless Chromium."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from rotation.cli.main import app
from rotation.data.sample import demo_store_path, is_demo_store
from rotation.report.build import SECTIONS
from rotation.report.png import check_page, find_chromium


@dataclass(frozen=True)
class DemoRun:
    store: Path
    html: Path
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    tmp = tmp_path_factory.mktemp("demo")
    store, html = tmp / "demo.duckdb", tmp / "r.html"
    res = CliRunner().invoke(app, ["demo", "--store", str(store), "--out", str(html)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return DemoRun(store, html, res.stdout, res.stderr)


def test_demo_fills_its_own_store_with_progress(demo: DemoRun) -> None:
    assert is_demo_store(demo.store)
    assert "from the embedded sample: bars (1/8)" in demo.stderr
    assert "demo store ready" in demo.stderr


def test_demo_prints_the_report_and_the_commands_to_try(demo: DemoRun) -> None:
    out = demo.stdout
    assert "Rotation report, as of 2024-07-26" in out
    flat = " ".join(out.replace("│", " ").split())  # the report's panels wrap at the terminal's width
    assert "^RUT +3.57%, ^NDX -2.24%, spread +5.82 points" in flat
    assert f"export ROTATION_STORE={demo.store}" in out
    assert "rotation measure NVDA --from ath --to 2024-07-26" in out
    assert f"The report: {demo.html}" in out
    assert demo.html.is_file()


def test_default_demo_store_is_not_the_user_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from rotation.data.store import default_store_path

    monkeypatch.delenv("ROTATION_STORE", raising=False)
    assert demo_store_path().name == "demo-sample.duckdb"
    assert demo_store_path() != default_store_path()
    # --store of `demo` does not read $ROTATION_STORE: the user's store is never refilled.
    group = typer.main.get_command(app)
    ctx = group.make_context("rotation", [], resilient_parsing=True)
    params = {p.name: p for p in group.get_command(ctx, "demo").params}
    assert not params["store"].envvar


def test_other_commands_read_the_demo_store(demo: DemoRun, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROTATION_STORE", str(demo.store))
    res = CliRunner().invoke(app, ["measure", "NVDA", "--from", "ath", "--to", "2024-07-26", "--json"])
    assert res.exit_code == 0, res.output
    assert round(json.loads(res.stdout)["pct_change"] * 100, 2) == -19.68
    plan = Path(__file__).resolve().parents[2] / "examples" / "iwm-short-2024-07.toml"
    res = CliRunner().invoke(app, ["trade", "replay", str(plan), "--json"])
    assert res.exit_code == 0, res.output
    reasons = [(f["date"], f["reason"], round(f["price"], 2)) for f in json.loads(res.stdout)["fills"]]
    assert reasons == [("2024-07-19", "entry", 217.63), ("2024-07-19", "entry", 217.63),
                       ("2024-07-22", "stop", 220.65), ("2024-07-31", "watch-stop", 226.04)]


@pytest.mark.skipif(find_chromium() is None,
                    reason="headless Chromium not found: `apt-get install -y chromium` (or set ROTATION_CHROMIUM)")
def test_demo_report_draws_every_chart_in_chromium(demo: DemoRun) -> None:
    check = check_page(demo.html)
    assert check.plotly_loaded
    assert check.errors == ()
    assert check.blank_plots == ()
    ids = {p["id"] for p in check.plots}
    assert {"fig-daily_chart", "fig-ratios", "fig-rrg_sectors", "fig-rrg_styles", "fig-breadth",
            "fig-leadership_sectors"} <= ids
    sections = {s["id"]: s for s in check.sections}
    assert list(sections) == [key for _, key, _, _ in SECTIONS]  # every section, positioning included
    assert "positioning" in sections
    for s in sections.values():
        assert int(s["text"]) > 100, s
    for p in check.plots:
        assert int(p["drawn"]) == int(p["traces"]) > 0, p
