"""The command line keeps its promises: every command has help text and is documented in
README.md or docs/, takes --store, and --json where it prints results."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from rotation.cli.main import app

ROOT = Path(__file__).resolve().parents[1]

# Commands that write a file or run a server rather than print results.
NO_JSON = {"chart", "serve", "data export", "journal export"}
# Commands that never open the store.
NO_STORE = {"trade check"}


def _walk(group: Any, prefix: str = "") -> Iterator[tuple[str, Any, bool]]:
    """``(name, command, is_group)`` for every command and group under ``group``."""
    # list_commands/get_command, not .commands: some modules are loaded on demand.
    ctx = group.make_context("rotation", [], resilient_parsing=True)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        full = f"{prefix} {name}".strip()
        is_group = hasattr(cmd, "commands")  # typer vendors its own click
        yield full, cmd, is_group
        if is_group:
            yield from _walk(cmd, full)


def _options(cmd: Any) -> set[str]:
    return {o for p in cmd.params for o in getattr(p, "opts", [])}


def test_every_command_has_help_and_is_documented() -> None:
    docs = (ROOT / "README.md").read_text()
    for page in sorted((ROOT / "docs").glob("*.md")):
        docs += page.read_text()
    commands = [(n, c) for n, c, is_group in _walk(typer.main.get_command(app)) if not is_group]
    assert len(commands) >= 30
    for name, cmd in commands:
        assert (cmd.help or "").strip(), f"`rotation {name}` has no help text"
        assert f"rotation {name}" in docs, f"`rotation {name}` is not documented in README.md or docs/"


def test_store_and_json_options() -> None:
    seen = set()
    for name, cmd, is_group in _walk(typer.main.get_command(app)):
        opts = _options(cmd)
        if is_group and not opts - {"--help"}:
            continue  # a plain group (`rotation breadth --universe ...` computes, so it is checked)
        seen.add(name)
        if name not in NO_STORE:
            assert "--store" in opts, f"`rotation {name}` has no --store"
        if name not in NO_JSON:
            assert "--json" in opts, f"`rotation {name}` has no --json"
    assert {"data import", "measure", "events", "rrg", "report", "trade replay", "backtest run", "backtest sweep"} <= seen
