"""The ``rotation`` command: a Typer app whose command groups live in sibling modules."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from rotation import __version__
from rotation.cli import backtest, breadth, data, measure, relative, report, trade, valuation, web
from rotation.cli.common import err_console
from rotation.errors import RotationError


class _RotationGroup(TyperGroup):
    """Maps every :class:`RotationError` to one clear line on stderr and exit code 2."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except RotationError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False, soft_wrap=True)
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


for _module in (data, measure, relative, breadth, trade, valuation, report, web, backtest):
    _module.register(app)


def main() -> None:
    app()
