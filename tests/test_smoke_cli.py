"""The command exists, answers --help and --version."""

from __future__ import annotations

from rotation import __version__


def test_version(cli) -> None:
    result = cli("--version")
    assert result.exit_code == 0
    assert __version__ in result.output


def test_data_help_lists_commands(cli) -> None:
    result = cli("data", "--help")
    assert result.exit_code == 0
    for name in ("import", "list", "show", "check"):
        assert name in result.output
