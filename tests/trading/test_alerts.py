"""Alerts on the real store, the JSON file, and a webhook against a real local HTTP server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import polars as pl
import pytest

from rotation.data.store import Store
from rotation.errors import RotationError
from rotation.trading.alerts import post_webhook, watch, watch_sources, write_json
from rotation.trading.journal import add_entry
from rotation.trading.plan import StopRule, Target, load_plan
from rotation.trading.replay import plan_bars

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "iwm-short-2024-07.toml"


@pytest.fixture(scope="module")
def example(real_store: Path) -> tuple:
    plan = load_plan(EXAMPLE)
    with Store(real_store, read_only=True) as st:
        return plan, plan_bars(st, plan)


def test_stop_on_iwm_triggers_on_july_22(example) -> None:
    plan, bars = example
    rep = watch([(plan, bars, False)], within=0.01, as_of=date(2024, 7, 22))
    assert rep.triggered == 1
    hit = rep.alerts[0]
    assert (hit.status, hit.tranche, hit.rule, hit.fill_date, hit.fill_price) == (
        "triggered", 1, "stop", date(2024, 7, 22), 220.65)
    assert (hit.instrument, hit.level) == ("IWM", 220.65)
    # ^RUT closed 2,220.65 that day: 2.59% below 2,278.12, so only "ok" within 1%.
    rut = next(a for a in rep.alerts if a.rule == "watch-stop")
    assert rut.status == "ok" and rut.last_close == 2220.65 and rut.last_date == date(2024, 7, 22)
    assert rut.distance_pct == pytest.approx(2278.12 / 2220.65 - 1)


def test_rut_level_near_on_july_30_then_triggered_july_31(example) -> None:
    plan, bars = example
    near = watch([(plan, bars, False)], within=0.02, as_of=date(2024, 7, 30))
    assert (near.triggered, near.near) == (0, 1)
    alert = near.alerts[0]
    assert alert.distance_pct == pytest.approx(2278.12 / 2243.14 - 1)  # 1.56%
    assert watch([(plan, bars, False)], within=0.01, as_of=date(2024, 7, 30)).near == 0
    hit = watch([(plan, bars, False)], within=0.02, as_of=date(2024, 7, 31))
    assert hit.triggered == 1 and hit.alerts[0].fill_price == pytest.approx(2278.12 * 222.57 / 2243.14)
    # A day later nothing new triggers: the exit is history, not an alert.
    after = watch([(plan, bars, False)], within=0.02, as_of=date(2024, 8, 1))
    assert after.triggered == 0 and after.alerts == ()


def test_target_and_traded_stop_distances(example) -> None:
    plan, bars = example
    t = replace(plan.tranches[0], stop=StopRule("price", 230.0), target=Target("price", 210.0))
    plan = replace(plan, tranches=(t,))
    rep = watch([(plan, bars, False)], within=0.03, as_of=date(2024, 7, 26))
    by_rule = {a.rule: a for a in rep.alerts}
    # Short, last close 224.22: 2.51% below the stop, 6.34% above the target.
    assert by_rule["stop"].distance_pct == pytest.approx(1 - 224.22 / 230.0)
    assert by_rule["target"].distance_pct == pytest.approx(1 - 210.0 / 224.22)
    assert by_rule["stop"].status == "near" and by_rule["target"].status == "ok"


def test_journal_position_still_open_after_its_stop_is_triggered(store_copy: Path) -> None:
    with Store(store_copy) as st:
        add_entry(st, symbol="IWM", side="short", quantity=500, entry_date=date(2024, 7, 19), entry_price=217.63,
                  stop=StopRule("watch", 2278.12, "^RUT", "above"))
        rep = watch_sources(st, [], within=0.01, as_of=date(2024, 8, 9))
    assert rep.triggered == 1
    assert "still open" in rep.alerts[0].message and rep.alerts[0].fill_date == date(2024, 7, 31)


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []
    status = 200

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        _Hook.received.append({"type": self.headers["Content-Type"], "body": json.loads(self.rfile.read(length))})
        self.send_response(_Hook.status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hook_url() -> Iterator[str]:
    _Hook.received = []
    _Hook.status = 200
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/alerts"
    server.shutdown()
    server.server_close()
    thread.join()


def test_webhook_posts_json_to_a_real_server(example, hook_url: str) -> None:
    plan, bars = example
    rep = watch([(plan, bars, False)], within=0.02, as_of=date(2024, 7, 31))
    assert post_webhook(rep, hook_url) == 200
    (got,) = _Hook.received
    assert got["type"] == "application/json"
    body = got["body"]
    assert body["triggered"] == 1 and body["as_of"] == "2024-07-31"
    assert body["alerts"][0]["fill_date"] == "2024-07-31" and body["alerts"][0]["instrument"] == "^RUT"
    _Hook.status = 500
    with pytest.raises(RotationError, match="HTTP 500"):
        post_webhook(rep, hook_url)


def test_webhook_unreachable_is_a_clear_error(example) -> None:
    plan, bars = example
    rep = watch([(plan, bars, False)], as_of=date(2024, 7, 31))
    with pytest.raises(RotationError, match="request failed"):
        post_webhook(rep, "http://127.0.0.1:9/none", timeout=2)


def test_json_file_output(example, tmp_path: Path) -> None:
    plan, bars = example
    rep = watch([(plan, bars, False)], within=0.02, as_of=date(2024, 7, 30))
    out = tmp_path / "sub" / "alerts.json"
    write_json(rep, out)
    data = json.loads(out.read_text())
    assert data["near"] == 1 and data["alerts"][0]["status"] == "near"
    assert data["warnings"] and data["warnings"][0].startswith("^RUT 2024-07-19")
    assert list(out.parent.iterdir()) == [out]  # no temp file left behind


def test_no_bars_for_a_symbol_is_clear(real_store: Path) -> None:
    plan = load_plan(EXAMPLE)
    with pytest.raises(RotationError, match="no IWM bars"):
        watch([(plan, pl.DataFrame(schema={"symbol": pl.Utf8, "date": pl.Date, "open": pl.Float64,
                                           "high": pl.Float64, "low": pl.Float64, "close": pl.Float64,
                                           "adj_close": pl.Float64, "volume": pl.Float64}), False)])


def _insert_bad_entry(st: Store, entry_id: str, symbol: str, day: date) -> None:
    """An entry recorded before `journal add` checked the store (written past the checks)."""
    st.connection.execute(
        "INSERT INTO journal SELECT ?, created_at, ?, side, 5, ?, 217, 0, NULL, NULL, NULL, fill_model, NULL, "
        "NULL, '', 'open', NULL, NULL, NULL, NULL, NULL, NULL, 'legacy' FROM journal LIMIT 1",
        [entry_id, symbol, day],
    )


def test_one_bad_journal_entry_does_not_switch_off_the_others(store_copy: Path, cli) -> None:
    with Store(store_copy) as st:
        add_entry(st, symbol="IWM", side="short", quantity=500, entry_date=date(2024, 7, 19), entry_price=217.63,
                  stop=StopRule("watch", 2278.12, "^RUT", "above"))
        _insert_bad_entry(st, "bad-symbol", "NOPEZZ", date(2024, 7, 19))
        _insert_bad_entry(st, "bad-weekend", "IWM", date(2024, 7, 20))
        rep = watch_sources(st, [], within=0.01, as_of=date(2024, 8, 9))
    assert rep.triggered == 1 and rep.alerts[0].symbol == "IWM"
    skipped = [w for w in rep.warnings if w.startswith("skipped journal entry")]
    assert len(skipped) == 2
    assert any("bad-symbol (short NOPEZZ)" in w and "no bars for NOPEZZ" in w for w in skipped)
    assert any("bad-weekend (short IWM)" in w and "2024-07-20" in w for w in skipped)
    s = ["--store", str(store_copy)]
    out = cli("watch", "--as-of", "2024-08-09", *s, "--json")
    assert out.exit_code == 1, out.output  # 1: a stop fired (not 2: the run did not fail)
    assert json.loads(out.stdout)["triggered"] == 1
    replayed = cli("journal", "replay", "--as-of", "2024-07-30", *s, "--json")
    assert replayed.exit_code == 0 and len(json.loads(replayed.stdout)) == 1
    assert "skipped journal entry bad-symbol" in replayed.stderr
