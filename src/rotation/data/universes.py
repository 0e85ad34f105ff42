"""Named symbol sets (universes) and the standard rotation pairs, from TOML.

Shipped presets live in ``rotation/data/universes/*.toml``: ``core``,
``sectors``, ``styles``, ``megacaps`` and ``pairs``.  A user adds or overrides
one by dropping a file of the same shape into ``$ROTATION_UNIVERSES`` (a
folder) or ``<user config dir>/rotation/universes/``.

File shape::

    [universe]
    name = "sectors"
    description = "..."
    benchmark = "SPY"
    symbols = ["XLB", "XLC"]

    [labels]            # optional display names
    XLB = "Materials"

    [[pairs]]           # optional: rotation pairs A:B
    a = "^RUT"
    b = "^NDX"
    kind = "size"       # size | style | sector | weighting
    label = "Small caps vs Nasdaq-100"
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from rotation.data.symbols import normalize_symbol, user_config_dir
from rotation.data.textio import decode_text, parse_toml, read_text
from rotation.errors import ConfigError

PAIR_KINDS: tuple[str, ...] = ("size", "style", "sector", "weighting")


@dataclass(frozen=True)
class Pair:
    """A rotation pair: a positive spread r_a - r_b means money moved toward ``a``."""

    a: str
    b: str
    kind: str
    label: str

    @property
    def name(self) -> str:
        return f"{self.a}:{self.b}"


@dataclass(frozen=True)
class Universe:
    """A named set of symbols with an optional benchmark, labels and pairs."""

    name: str
    symbols: tuple[str, ...]
    benchmark: str | None = None
    description: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    pairs: tuple[Pair, ...] = ()
    source: str = ""

    def label(self, symbol: str) -> str:
        return self.labels.get(symbol, symbol)


def user_universe_dir() -> Path:
    env = os.environ.get("ROTATION_UNIVERSES")
    return Path(env) if env else user_config_dir() / "universes"


def _expect(cond: bool, path: str, key: str, expected: str) -> None:
    if not cond:
        raise ConfigError(f"{path}: key {key}: expected {expected}")


def parse_universe(text: str, path: str) -> Universe:
    """Parse and validate one universe file's text (``path`` is for messages)."""
    doc = parse_toml(text, path, ConfigError)
    head = doc.get("universe")
    _expect(isinstance(head, dict), path, "universe", "a [universe] table")
    assert isinstance(head, dict)
    name = head.get("name")
    _expect(isinstance(name, str) and bool(name), path, "universe.name", "a non-empty string")
    raw_pairs = doc.get("pairs", [])
    _expect(isinstance(raw_pairs, list), path, "pairs", "an array of tables [[pairs]]")
    pairs: list[Pair] = []
    for i, item in enumerate(raw_pairs):
        where = f"pairs[{i}]"
        _expect(isinstance(item, dict), path, where, "a table with a, b, kind, label")
        for key in ("a", "b"):
            _expect(isinstance(item.get(key), str), path, f"{where}.{key}", "a symbol string")
        kind = item.get("kind")
        _expect(kind in PAIR_KINDS, path, f"{where}.kind", f"one of {', '.join(PAIR_KINDS)}")
        a, b = normalize_symbol(item["a"]), normalize_symbol(item["b"])
        label = item.get("label", f"{a} vs {b}")
        _expect(isinstance(label, str), path, f"{where}.label", "a string")
        pairs.append(Pair(a=a, b=b, kind=str(kind), label=label))
    raw_symbols = head.get("symbols")
    if raw_symbols is None:
        seen: dict[str, None] = {}
        for p in pairs:
            seen.setdefault(p.a)
            seen.setdefault(p.b)
        symbols = tuple(seen)
    else:
        _expect(
            isinstance(raw_symbols, list) and all(isinstance(s, str) for s in raw_symbols),
            path,
            "universe.symbols",
            "an array of symbol strings",
        )
        symbols = tuple(normalize_symbol(s) for s in raw_symbols)
    _expect(bool(symbols), path, "universe.symbols", "at least one symbol (or [[pairs]])")
    bench = head.get("benchmark")
    _expect(bench is None or isinstance(bench, str), path, "universe.benchmark", "a symbol string")
    labels_raw = doc.get("labels", {})
    _expect(isinstance(labels_raw, dict), path, "labels", "a table of SYMBOL = \"label\"")
    labels = {normalize_symbol(k): str(v) for k, v in labels_raw.items()}
    desc = head.get("description", "")
    return Universe(
        name=str(name),
        symbols=symbols,
        benchmark=normalize_symbol(bench) if isinstance(bench, str) else None,
        description=str(desc),
        labels=labels,
        pairs=tuple(pairs),
        source=path,
    )


def _shipped_files() -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    folder = resources.files("rotation.data").joinpath("universes")
    for entry in folder.iterdir():
        if entry.name.endswith(".toml"):
            out[entry.name[:-5]] = (decode_text(entry.read_bytes(), entry.name, ConfigError), f"<shipped>/{entry.name}")
    return out


def _all_files() -> dict[str, tuple[str, str]]:
    files = _shipped_files()
    folder = user_universe_dir()
    if folder.is_dir():
        for path in sorted(folder.glob("*.toml")):
            files[path.stem] = (read_text(path, ConfigError, "universe file"), str(path))
    return files


def universe_names() -> list[str]:
    """Names of every universe file available (shipped and the user's)."""
    return sorted(_all_files())


def load_universe(name_or_path: str) -> Universe:
    """Load a universe by name (shipped or user) or from a TOML file path."""
    path = Path(name_or_path)
    if name_or_path.endswith(".toml") and path.is_file():
        return parse_universe(read_text(path, ConfigError, "universe file"), str(path))
    files = _all_files()
    key = name_or_path.strip().lower()
    if key not in files:
        raise ConfigError(
            f"unknown universe {name_or_path!r}: expected one of {', '.join(sorted(files))} "
            "or a path to a .toml file"
        )
    text, where = files[key]
    return parse_universe(text, where)


def standard_pairs() -> tuple[Pair, ...]:
    """The rotation pairs of the ``pairs`` universe."""
    return load_universe("pairs").pairs


def pair_kind(a: str, b: str) -> Pair | None:
    """The standard pair for ``a:b`` (or ``b:a``, swapped back), if any."""
    a, b = normalize_symbol(a), normalize_symbol(b)
    for p in standard_pairs():
        if (p.a, p.b) == (a, b):
            return p
        if (p.a, p.b) == (b, a):
            return Pair(a=a, b=b, kind=p.kind, label=f"{p.label} (inverted)")
    return None
