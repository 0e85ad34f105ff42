"""The ``rotation`` command: a Typer app whose command groups live in sibling modules."""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from rotation import __version__
from rotation.cli import breadth, data, demo, measure, report, trade, valuation, web
from rotation.cli.common import err_console
from rotation.errors import RotationError

# Command modules that pull in numba kernels at import: loaded only when one of their
# commands runs (or for `rotation --help`), so `rotation data list` starts faster.
_LAZY: dict[str, str] = {
    "ratio": "relative",
    "leaders": "relative",
    "rrg": "relative",
    "events": "relative",
    "backtest": "backtest",
    "alerts": "alerts",
}


@cache
def _lazy_group(module: str) -> Any:
    """The click group of one command module's ``register``-ed commands."""
    sub = typer.Typer()
    importlib.import_module(f"rotation.cli.{module}").register(sub)
    return typer.main.get_group(sub)


class _RotationGroup(TyperGroup):
    """Loads the heavy command modules on demand; maps every :class:`RotationError`
    to one clear line on stderr and exit code 2."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in _LAZY if n not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        cmd = super().get_command(ctx, cmd_name)
        if cmd is None and cmd_name in _LAZY:
            cmd = _lazy_group(_LAZY[cmd_name]).commands.get(cmd_name)
        return cmd

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except RotationError as exc:
            # escape: a message may quote TOML keys such as [[spread]], which are not markup
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None


app = typer.Typer(
    cls=_RotationGroup,
    name="rotation",
    help="Detect, measure, chart and trade rotation within the U.S. stock market.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"rotation {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Detect, measure, chart and trade rotation within the U.S. stock market."""


for _module in (demo, data, measure, breadth, trade, valuation, report, web):
    _module.register(app)


def main() -> None:
    app()
