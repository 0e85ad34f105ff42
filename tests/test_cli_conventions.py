"""Every command follows the house conventions: --store everywhere, --json where results print."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import typer

from rotation.cli.main import app

# Commands that write a file or run a server rather than print results.
NO_JSON = {"chart", "serve", "data export", "journal export"}
# Commands that never open the store.
NO_STORE = {"trade check"}


def _walk(group: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    # list_commands/get_command, not .commands: some modules are loaded on demand.
    ctx = group.make_context("rotation", [], resilient_parsing=True)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        full = f"{prefix} {name}".strip()
        if hasattr(cmd, "commands"):
            yield full, cmd  # a group may compute too (`rotation breadth --universe ...`)
            yield from _walk(cmd, full)
        else:
            yield full, cmd


def _options(cmd: Any) -> set[str]:
    return {o for p in cmd.params for o in getattr(p, "opts", [])}


def test_store_and_json_options() -> None:
    root = typer.main.get_command(app)
    seen = set()
    for name, cmd in _walk(root):
        opts = _options(cmd)
        if hasattr(cmd, "commands") and not opts - {"--help"}:
            continue  # a plain group
        seen.add(name)
        if name not in NO_STORE:
            assert "--store" in opts, f"`rotation {name}` has no --store"
        if name not in NO_JSON:
            assert "--json" in opts, f"`rotation {name}` has no --json"
    assert {"data import", "measure", "events", "rrg", "report", "trade replay", "backtest run", "backtest sweep"} <= seen
