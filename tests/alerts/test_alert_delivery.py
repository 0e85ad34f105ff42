"""Delivery: a real local SMTP server (aiosmtpd on loopback) and a real local HTTP server get the alerts;
a failed delivery exits 2 and leaves the state alone, so the next run sends them again."""

from __future__ import annotations

import json
import shutil
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner

from rotation.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
SPREAD_RULE = '[[spread]]\nname = "size"\npairs = ["^RUT:^NDX", "IWM:QQQ"]\npercentile = 0.95\n'


@pytest.fixture
def store(sample_store: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "alerts.duckdb"
    shutil.copyfile(sample_store, dest)
    return dest


def alerts(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, ["alerts", *args], catch_exceptions=False)
    return res.exit_code, res.stdout, res.stderr


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd handler hook
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[_Mailbox, int]]:
    from aiosmtpd.controller import Controller

    box = _Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


def test_email_reaches_a_real_smtp_server(store: Path, tmp_path: Path, smtp: tuple[_Mailbox, int]) -> None:
    box, port = smtp
    rules = tmp_path / "mail.toml"
    rules.write_text(
        f'[delivery.email]\nhost = "127.0.0.1"\nport = {port}\nfrom = "rotation@localhost"\n'
        f'to = ["trader@localhost", "desk@localhost"]\n\n{SPREAD_RULE}', encoding="utf-8")
    code, _, err = alerts(str(rules), "--as-of", "2024-07-11", "--store", str(store))
    assert code == 1
    assert f"sent: e-mail to trader@localhost, desk@localhost via 127.0.0.1:{port}" in err
    ((sender, rcpts, msg),) = box.messages
    assert sender == "rotation@localhost" and rcpts == ["trader@localhost", "desk@localhost"]
    assert msg["Subject"] == "rotation: 2 alert(s) as of 2024-07-11"
    body = msg.get_payload(decode=True).decode()
    assert "^RUT:^NDX" in body and "+5.82 pts toward ^RUT" in body and "IWM:QQQ" in body
    # Sent once: the same day again sends nothing.
    code, _, _ = alerts(str(rules), "--as-of", "2024-07-11", "--store", str(store))
    assert code == 0 and len(box.messages) == 1


def test_smtp_down_exits_2_and_keeps_the_alerts_for_the_next_run(store: Path, tmp_path: Path) -> None:
    rules = tmp_path / "mail.toml"
    rules.write_text(
        f'[delivery.email]\nhost = "127.0.0.1"\nport = {_free_port()}\nfrom = "r@localhost"\nto = ["t@localhost"]\n'
        f'timeout = 2\n\n{SPREAD_RULE}', encoding="utf-8")
    code, out, err = alerts(str(rules), "--as-of", "2024-07-11", "--store", str(store))
    assert code == 2
    assert "^RUT:^NDX" in out  # the terminal still got them
    assert "delivery.email 127.0.0.1" in err and "could not send the alerts" in err
    code, _, _ = alerts(str(rules), "--as-of", "2024-07-11", "--store", str(store), "--json")
    assert code == 2  # nothing was recorded: they are due again


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []
    status = 200

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        _Hook.received.append(json.loads(self.rfile.read(length)))
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
    yield f"http://127.0.0.1:{server.server_address[1]}/rotation"
    server.shutdown()
    server.server_close()
    thread.join()


def test_webhook_gets_the_json(store: Path, tmp_path: Path, hook_url: str) -> None:
    rules = tmp_path / "hook.toml"
    rules.write_text(f'[delivery]\nwebhook = "{hook_url}"\n\n{SPREAD_RULE}', encoding="utf-8")
    code, _, err = alerts(str(rules), "--as-of", "2024-07-11", "--store", str(store))
    assert code == 1 and f"sent: webhook {hook_url}: HTTP 200" in err
    (doc,) = _Hook.received
    assert doc["as_of"] == "2024-07-11" and doc["fired"] == 2
    assert [a["subject"] for a in doc["alerts"]] == ["IWM:QQQ", "^RUT:^NDX"]
    # A quiet day posts nothing.
    code, _, _ = alerts(str(rules), "--as-of", "2024-07-03", "--store", str(store))
    assert code == 0 and len(_Hook.received) == 1


def test_webhook_error_exits_2_without_recording(store: Path, tmp_path: Path, hook_url: str) -> None:
    _Hook.status = 500
    rules = tmp_path / "hook.toml"
    rules.write_text(f'[delivery]\nwebhook = "{hook_url}"\n\n{SPREAD_RULE}', encoding="utf-8")
    code, _, err = alerts(str(rules), "--as-of", "2024-07-11", "--store", str(store))
    assert code == 2 and "HTTP 500" in err
    _Hook.status = 200
    code, _, _ = alerts(str(rules), "--as-of", "2024-07-11", "--store", str(store))
    assert code == 1 and len(_Hook.received) == 2


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"trader", b"s3cret")
    return AuthResult(success=ok)


@pytest.fixture
def smtp_auth() -> Iterator[tuple[_Mailbox, int]]:
    from aiosmtpd.controller import Controller

    box = _Mailbox()
    port = _free_port()
    # auth over plain loopback for the test only (a real server wants STARTTLS first: starttls = true)
    controller = Controller(box, hostname="127.0.0.1", port=port, authenticator=_authenticator,
                            auth_require_tls=False)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


def _auth_rules(tmp_path: Path, port: int) -> Path:
    rules = tmp_path / "auth.toml"
    rules.write_text(
        f'[delivery.email]\nhost = "127.0.0.1"\nport = {port}\nfrom = "r@localhost"\nto = ["t@localhost"]\n'
        f'user = "trader"\npassword_env = "TEST_SMTP_PASSWORD"\n\n{SPREAD_RULE}', encoding="utf-8")
    return rules


def test_smtp_login_with_the_password_from_the_environment(
    store: Path, tmp_path: Path, smtp_auth: tuple[_Mailbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    box, port = smtp_auth
    rules = _auth_rules(tmp_path, port)
    monkeypatch.delenv("TEST_SMTP_PASSWORD", raising=False)
    code, _, err = alerts(str(rules), "--as-of", "2024-07-11", "--store", str(store))
    assert code == 2 and "$TEST_SMTP_PASSWORD is empty" in err and box.messages == []
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "wrong")
    code, _, err = alerts(str(rules), "--as-of", "2024-07-11", "--store", str(store))
    assert code == 2 and "could not send the alerts" in err and box.messages == []
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "s3cret")
    code, _, _ = alerts(str(rules), "--as-of", "2024-07-11", "--store", str(store))
    assert code == 1 and len(box.messages) == 1
