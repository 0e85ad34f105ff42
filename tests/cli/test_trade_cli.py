"""``rotation trade ...``, ``rotation journal ...`` and ``rotation watch`` on the real store."""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = str(ROOT / "examples" / "iwm-short-2024-07.toml")
MAPPED_FILL = 2278.12 * 222.57 / 2243.14


def test_replay_json_reproduces_the_commentary(cli, real_store: Path) -> None:
    result = cli("trade", "replay", EXAMPLE, "--store", str(real_store), "--json")
    assert result.exit_code == 0, result.output
    rep = json.loads(result.stdout)
    exits = [(f["tranche"], f["date"], f["reason"]) for f in rep["fills"] if f["reason"] != "entry"]
    assert exits == [(1, "2024-07-22", "stop"), (2, "2024-07-31", "watch-stop")]
    one, two = rep["tranches"]
    assert one["exit_price"] == 220.65 and round(one["pnl_pct"] * 100, 2) == -1.39
    assert two["exit_price"] == pytest.approx(MAPPED_FILL)
    assert one["stop_checked"] == ["2024-07-19", "2024-07-22"]
    assert rep["warnings"][0].startswith("^RUT 2024-07-19")


def test_replay_as_of_table(cli, real_store: Path) -> None:
    result = cli("trade", "replay", EXAMPLE, "--as-of", "2024-07-26", "--store", str(real_store))
    assert result.exit_code == 0
    assert "-1.39%" in result.stdout and "mark 2024-07-26 224.22" in result.stdout
    assert "realized -1,510.00" in result.stdout


def test_replay_bad_plan_exits_2_with_one_line(cli, real_store: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('symbol = "IWM"\nside = "short"\nsize = { shares = 10 }\n[[tranche]]\nentry = { date = 2024-07-19, at = "noon" }\n')
    result = cli("trade", "replay", str(bad), "--store", str(real_store))
    assert result.exit_code == 2
    assert "tranche[1].entry.at: expected \"open\" or \"close\", got 'noon'" in result.stderr
    assert cli("trade", "replay", EXAMPLE, "--as-of", "July", "--store", str(real_store)).exit_code == 2


def test_trade_check(cli) -> None:
    result = cli("trade", "check", EXAMPLE, "--json")
    assert result.exit_code == 0
    plan = json.loads(result.stdout)
    assert plan["tranches"][1]["stop"] == {"kind": "watch", "level": 2278.12, "symbol": "^RUT", "direction": "above"}


@pytest.mark.parametrize(
    ("as_of", "within", "code", "triggered", "near"),
    [("2024-07-22", "1", 1, 1, 0), ("2024-07-30", "2%", 0, 0, 1), ("2024-07-30", "1", 0, 0, 0),
     ("2024-07-31", "1", 1, 1, 0)],
)
def test_watch_exit_codes(cli, real_store: Path, as_of: str, within: str, code: int, triggered: int, near: int) -> None:
    result = cli("watch", EXAMPLE, "--as-of", as_of, "--within", within, "--store", str(real_store), "--json")
    assert result.exit_code == code
    body = json.loads(result.stdout)
    assert (body["triggered"], body["near"]) == (triggered, near)


class _Hook(BaseHTTPRequestHandler):
    bodies: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        self.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hook_url() -> Iterator[str]:
    _Hook.bodies = []
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join()


def test_watch_webhook_and_json_file(cli, real_store: Path, tmp_path: Path, hook_url: str) -> None:
    out = tmp_path / "alerts.json"
    result = cli("watch", EXAMPLE, "--as-of", "2024-07-31", "--webhook", hook_url, "--json-out", str(out),
                 "--store", str(real_store))
    assert result.exit_code == 1
    assert "triggered" in result.stdout and "^RUT" in result.stdout
    assert _Hook.bodies and _Hook.bodies[0]["triggered"] == 1
    assert json.loads(out.read_text())["alerts"][0]["fill_date"] == "2024-07-31"
    # Nothing triggered or near: no POST, exit 0.
    quiet = cli("watch", EXAMPLE, "--as-of", "2024-08-09", "--webhook", hook_url, "--store", str(real_store))
    assert quiet.exit_code == 0 and len(_Hook.bodies) == 1


def test_watch_bad_within(cli, real_store: Path) -> None:
    result = cli("watch", EXAMPLE, "--within", "lots", "--store", str(real_store))
    assert result.exit_code == 2 and "--within" in result.stderr


def test_journal_add_list_close_export_replay_watch(cli, store_copy: Path, tmp_path: Path) -> None:
    s = ["--store", str(store_copy)]
    add = ["journal", "add", "IWM", "--side", "short", "-q", "500", "--date", "2024-07-19", "--price", "217.63",
           "--stop", "^RUT above 2278.12", "--note", "half 2", *s, "--json"]
    first = cli(*add)
    assert first.exit_code == 0, first.output
    created = json.loads(first.stdout)
    assert created["created"] is True
    entry_id = created["entry"]["id"]
    again = json.loads(cli(*add).stdout)
    assert again["created"] is False and again["entry"]["id"] == entry_id
    listed = json.loads(cli("journal", "list", "--status", "open", *s, "--json").stdout)
    assert [e["id"] for e in listed] == [entry_id]
    # Replay the open position against the stored bars, and watch it.
    reps = json.loads(cli("journal", "replay", "--as-of", "2024-07-30", *s, "--json").stdout)
    assert reps[0]["tranches"][0]["status"] == "open"
    watched = cli("watch", "journal", "--as-of", "2024-08-09", *s, "--json")
    assert watched.exit_code == 1 and "still open" in json.loads(watched.stdout)["alerts"][0]["message"]
    closed = cli("journal", "close", entry_id, "--date", "2024-07-31", "--price", "226.04", "--reason", "stop",
                 *s, "--json")
    assert closed.exit_code == 0 and json.loads(closed.stdout)["status"] == "closed"
    assert cli("watch", *s, "--as-of", "2024-08-09").exit_code == 0  # nothing open any more
    rows = list(csv.DictReader(io.StringIO(cli("journal", "export", *s).stdout)))
    assert len(rows) == 1 and rows[0]["exit_reason"] == "stop" and float(rows[0]["pnl"]) == pytest.approx(-4205.0)
    out = tmp_path / "j.json"
    assert cli("journal", "export", "--format", "json", "-o", str(out), *s).exit_code == 0
    assert json.loads(out.read_text())[0]["id"] == entry_id
    table = cli("journal", "list", *s)
    assert entry_id in table.stdout and "^RUT above 2,278.12" in table.stdout


def test_journal_errors_exit_2(cli, store_copy: Path) -> None:
    s = ["--store", str(store_copy)]
    bad_stop = cli("journal", "add", "IWM", "--side", "short", "-q", "5", "--date", "2024-07-19", "--price", "1",
                   "--stop", "whenever", *s)
    assert bad_stop.exit_code == 2 and "--stop" in bad_stop.stderr
    bad_side = cli("journal", "add", "IWM", "--side", "up", "-q", "5", "--date", "2024-07-19", "--price", "1", *s)
    assert bad_side.exit_code == 2
    missing = cli("journal", "close", "nope", "--date", "2024-07-31", "--price", "1", *s)
    assert missing.exit_code == 2 and "no journal entry 'nope'" in missing.stderr
