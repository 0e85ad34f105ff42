"""Docs that cannot rot: every CLI command has help text and is named in README.md or docs/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from rotation.cli.main import app

ROOT = Path(__file__).resolve().parents[1]


def _commands(group: Any, prefix: str = "") -> list[tuple[str, Any]]:
    # list_commands/get_command, not .commands: some modules are loaded on demand.
    ctx = group.make_context("rotation", [], resilient_parsing=True)
    out = []
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        full = f"{prefix} {name}".strip()
        if hasattr(cmd, "commands"):  # a group (typer vendors its own click)
            out.extend(_commands(cmd, full))
        else:
            out.append((full, cmd))
    return out


def test_every_command_has_help_and_is_documented() -> None:
    root = typer.main.get_command(app)
    assert hasattr(root, "commands")
    docs = (ROOT / "README.md").read_text()
    for page in sorted((ROOT / "docs").glob("*.md")):
        docs += page.read_text()
    commands = _commands(root)
    assert len(commands) >= 6
    for name, cmd in commands:
        assert (cmd.help or "").strip(), f"`rotation {name}` has no help text"
        assert f"rotation {name}" in docs, f"`rotation {name}` is not documented in README.md or docs/"
