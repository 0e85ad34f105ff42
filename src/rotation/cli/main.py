"""The ``rotation`` command: a Typer app whose command groups live in sibling modules."""

from __future__ import annotations

import importlib
import os
from functools import cache
from typing import Any

import typer
from rich.markup import escape
from typer._click.exceptions import NoArgsIsHelpError, UsageError
from typer.core import TyperGroup

from rotation import __version__
from rotation.cli import data, demo, measure, positioning, report, trade, valuation, web
from rotation.cli.common import err_console, reader_gone
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
    "breadth": "breadth",  # through the query layer it loads the relative-strength kernels
}


@cache
def _lazy_group(module: str) -> Any:
    """The click group of one command module's ``register``-ed commands."""
    sub = typer.Typer()
    importlib.import_module(f"rotation.cli.{module}").register(sub)
    return typer.main.get_group(sub)


def fail(message: str) -> typer.Exit:
    """Print ``error: message`` as one line on stderr (literally: no markup); exit code 2."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", markup=True, highlight=False, soft_wrap=True)
    return typer.Exit(2)


def _usage_line(exc: UsageError) -> str:
    """A usage error as one line (not click's usage block), pointing at the command's help."""
    where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
    return " ".join(exc.format_message().split()) + where


class _RotationGroup(TyperGroup):
    """Loads the heavy command modules on demand; maps every :class:`RotationError`,
    and every usage error, to one clear line on stderr and exit code 2."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in _LAZY if n not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        cmd = super().get_command(ctx, cmd_name)
        if cmd is None and cmd_name in _LAZY:
            cmd = _lazy_group(_LAZY[cmd_name]).commands.get(cmd_name)
        return cmd

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except NoArgsIsHelpError:
            raise
        except UsageError as exc:  # `rotation --bogus`: the root's own options
            raise fail(_usage_line(exc)) from None

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except RotationError as exc:
            raise fail(str(exc)) from None
        except NoArgsIsHelpError:
            raise
        except UsageError as exc:  # bad option values, unknown commands
            raise fail(_usage_line(exc)) from None
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except BrokenPipeError:  # `rotation ... | head`: the reader is done
            reader_gone()
        except Exception as exc:
            # The safety net only: a bug, named by its type; the fixes belong at the source.
            if os.environ.get("ROTATION_DEBUG"):
                raise
            text = " ".join(str(exc).split()) or "no message"
            raise fail(f"unexpected {type(exc).__name__}: {text} (a bug in rotation; "
                       "ROTATION_DEBUG=1 shows the traceback)") from None


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


for _module in (demo, data, measure, positioning, trade, valuation, report, web):
    _module.register(app)


def main() -> None:
    app()
