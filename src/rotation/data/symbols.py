"""Symbol aliases: ``RUT`` and ``^RUT`` name the same stored series.

The shipped table (``aliases.toml`` beside this module) maps the caret-less
index names used in file names to their Yahoo-style symbols.  A user file at
``$ROTATION_ALIASES`` or ``<user config dir>/rotation/aliases.toml`` adds to it
and overrides it.
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

import platformdirs

from rotation.data.textio import read_toml
from rotation.errors import ConfigError


def user_config_dir() -> Path:
    """The per-user configuration folder (universes, aliases)."""
    return Path(platformdirs.user_config_dir("rotation", appauthor=False))


def _read_alias_file(path: Path) -> dict[str, str]:
    doc = read_toml(path, ConfigError, "alias table")
    table = doc.get("aliases")
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: expected a table [aliases] of NAME = \"SYMBOL\"")
    out: dict[str, str] = {}
    for key, value in table.items():
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{path}: key aliases.{key}: expected a symbol string")
        out[key.upper()] = value.strip().upper()
    return out


def user_alias_path() -> Path:
    env = os.environ.get("ROTATION_ALIASES")
    return Path(env) if env else user_config_dir() / "aliases.toml"


@lru_cache(maxsize=8)
def _alias_table(user_path: str) -> dict[str, str]:
    shipped = resources.files("rotation.data").joinpath("aliases.toml")
    with resources.as_file(shipped) as path:
        table = _read_alias_file(path)
    user = Path(user_path)
    if user.is_file():
        table.update(_read_alias_file(user))
    return table


def alias_table() -> dict[str, str]:
    """The merged alias table (shipped, then the user's file)."""
    return dict(_alias_table(str(user_alias_path())))


def normalize_symbol(name: str) -> str:
    """Map a user-typed or file-derived name to the stored symbol.

    Upper-cases, strips blanks, and applies the alias table: ``rut`` -> ``^RUT``.
    """
    sym = name.strip().upper()
    if not sym:
        raise ConfigError("empty symbol")
    return _alias_table(str(user_alias_path())).get(sym, sym)


def display_symbol(symbol: str) -> str:
    """The symbol as stored (kept as one function so output stays consistent)."""
    return symbol
