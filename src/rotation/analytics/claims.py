"""Check a commentary's figures: parse a claims TOML file and recompute every claim.

File format (units: **stated figures and tolerances are in percent / percentage
points**: ``stated = -19.80`` means -19.80%, ``tolerance = 0.5`` accepts
-20.30% .. -19.30%)::

    title = "July 2024 rotation commentary"      # optional
    source = "seed/commentary.md"                 # optional

    [defaults]                                    # optional, each key optional
    tolerance = 0.05          # percentage points (default 0.05)
    total_return = false      # true: adj_close on both anchors' dates
    roll = "prev"             # move non-trading dates to the previous/next session

    [[claims]]                # a move of one symbol between two anchors
    id = "nvda-ath"           # optional; used in messages
    sentence = "NVDA fell 19.8% from its all-time high"
    symbol = "NVDA"
    from = "ath"              # any anchor (see rotation.analytics.anchors)
    to = "2024-07-26"
    stated = -19.80
    tolerance = 0.5

    [[claims]]                # a one-day change: previous session's close -> DATE's close
    sentence = "The Russell 2000 jumped 3.57% on July 11"
    kind = "day"
    symbol = "^RUT"
    date = 2024-07-11         # TOML date or "YYYY-MM-DD"
    stated = 3.57

    [[claims]]                # two or more symbols over one window
    sentence = "NVDA fell ~19.8% from its high while the RUT rose ~12%"
    kind = "compare"
    symbols = ["NVDA", "^RUT"]
    from = ["ath", "2024-06-20"]   # one anchor for all, or one per symbol
    to = "2024-07-26"
    stated = [-19.8, 12.0]         # one figure per symbol
    tolerance = 0.5                # one for all, or one per symbol
    stated_spread = -31.8          # optional: first minus second, in points

Claims about who is buying (``kind = "positioning"``: a trader group's net change on a
futures contract; ``kind = "sentiment"``: an AAII, NAAIM or put/call reading) are described
in :mod:`rotation.analytics.claims_positioning`.

``kind`` may be left out: ``symbols`` means compare, ``date`` without
``from``/``to`` means day, else move.  Unknown keys are errors (a misspelt ``tolerence`` must not pass
silently).  Symbols are matched as written against the bars given to
:func:`evaluate_claims` (the CLI loads them through the store, which accepts
aliases such as ``RUT``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import polars as pl

from rotation.analytics.anchors import Anchor, ResolvedAnchor, Roll, parse_anchor
from rotation.analytics.claims_positioning import DataClaim, evaluate_data_claim, parse_data_claim
from rotation.analytics.measure import PRICE_BASIS, TOTAL_RETURN_BASIS, Measurement, measure
from rotation.data.textio import parse_toml
from rotation.errors import AnchorError, ConfigError

ClaimKind = Literal["move", "day", "compare"]
_DATA_KINDS = ("positioning", "sentiment")
DEFAULT_TOLERANCE = 0.0005  # 0.05 percentage points, as a fraction

_TOP_KEYS = {"title", "source", "defaults", "claims"}
_DEFAULT_KEYS = {"tolerance", "total_return", "roll"}
_CLAIM_KEYS = {
    "id", "sentence", "kind", "symbol", "symbols", "from", "to", "date", "stated", "tolerance",
    "stated_spread", "total_return", "roll",
}
_PCT_TEXT = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*%\s*$")


@dataclass(frozen=True)
class Claim:
    """One claim, parsed: figures as fractions; one ``from``/``to`` anchor per symbol."""

    key: str
    sentence: str
    kind: ClaimKind
    symbols: tuple[str, ...]
    from_: tuple[Anchor, ...]
    to: tuple[Anchor, ...]
    stated: tuple[float, ...]
    tolerance: tuple[float, ...]
    stated_spread: float | None
    total_return: bool
    roll: Roll | None


@dataclass(frozen=True)
class ClaimsFile:
    """A parsed claims file."""

    path: str
    title: str
    source: str
    claims: tuple[Claim | DataClaim, ...]

    def kinds(self) -> set[str]:
        """The claim kinds in the file (the CLI loads positioning/sentiment data only when needed)."""
        return {c.kind for c in self.claims}


@dataclass(frozen=True)
class ClaimResult:
    """One stated figure against the recomputed one (fractions; ``difference = computed - stated``).

    ``figure`` names what was checked (a symbol, or ``spread A - B``);
    ``anchors`` are the resolved from/to anchors (both symbols' for a spread).
    Positioning and sentiment claims have no anchors: ``unit`` says what the figures count
    (``percent``: fractions; ``contracts``; ``value``: the series' unit), ``stated_text`` is
    the stated figure as words (``not up``) and ``detail`` names the reports or readings used.
    """

    key: str
    sentence: str
    figure: str
    stated: float
    computed: float
    difference: float
    tolerance: float
    ok: bool
    anchors: tuple[ResolvedAnchor, ...]
    basis: str
    unit: str = "percent"
    stated_text: str = ""
    detail: str = ""


class _Ctx:
    """Names the file and the claim in every message."""

    def __init__(self, path: str, where: str) -> None:
        self.path, self.where = path, where

    def fail(self, key: str, expected: str, got: Any = ...) -> ConfigError:
        tail = "" if got is ... else f", got {got!r}"
        return ConfigError(f"{self.path}: {self.where}, key '{key}': expected {expected}{tail}")


def _percent(ctx: _Ctx, key: str, value: Any, *, nonneg: bool = False) -> float:
    """A percent figure from the file (number, or text such as ``"-19.8%"``) -> fraction."""
    if isinstance(value, bool):
        raise ctx.fail(key, "a number in percent", value)
    if isinstance(value, (int, float)):
        x = float(value)
    elif isinstance(value, str) and _PCT_TEXT.match(value):
        x = float(_PCT_TEXT.match(value).group(1))  # type: ignore[union-attr]
    else:
        raise ctx.fail(key, "a number in percent (e.g. -19.8)", value)
    if math.isnan(x) or math.isinf(x) or (nonneg and x < 0):
        raise ctx.fail(key, "a finite" + (" non-negative" if nonneg else "") + " number in percent", value)
    return x / 100.0


def _per_symbol(ctx: _Ctx, key: str, value: Any, n: int) -> list[Any]:
    if isinstance(value, list):
        if len(value) != n:
            raise ctx.fail(key, f"one value, or a list of {n} (one per symbol)", value)
        return value
    return [value] * n


def _anchor(ctx: _Ctx, key: str, value: Any) -> Anchor:
    if isinstance(value, date):
        value = value.isoformat()
    if not isinstance(value, str):
        raise ctx.fail(key, "an anchor such as 2024-06-20, 2024-06-20:high or ath", value)
    try:
        return parse_anchor(value)
    except AnchorError as exc:
        raise ConfigError(f"{ctx.path}: {ctx.where}, key '{key}': {exc}") from None


def _roll(ctx: _Ctx, value: Any) -> Roll | None:
    if value is None:
        return None
    if value not in ("prev", "next"):
        raise ctx.fail("roll", "'prev' or 'next'", value)
    return value


def _bool(ctx: _Ctx, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ctx.fail(key, "true or false", value)
    return value


def _parse_claim(path: str, n: int, raw: Any, defaults: Mapping[str, Any]) -> Claim | DataClaim:
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: claims[{n}]: expected a table ([[claims]])")
    label = f"claim #{n}" + (f" ({raw['id']!r})" if isinstance(raw.get("id"), str) else "")
    ctx = _Ctx(path, label)
    if raw.get("kind") in _DATA_KINDS:
        text = raw.get("sentence")
        if not isinstance(text, str) or not text.strip():
            raise ctx.fail("sentence", "the claim's sentence as text", text)
        return parse_data_claim(raw, str(raw.get("id") or f"#{n}"), text.strip(), ctx.fail, defaults)
    unknown = sorted(set(raw) - _CLAIM_KEYS)
    if unknown:
        raise ctx.fail(unknown[0], "one of " + ", ".join(sorted(_CLAIM_KEYS)))
    if "id" in raw and not (isinstance(raw["id"], str) and raw["id"].strip()):
        raise ctx.fail("id", "a non-empty text id", raw["id"])
    key = str(raw.get("id") or f"#{n}")
    sentence = raw.get("sentence")
    if not isinstance(sentence, str) or not sentence.strip():
        raise ctx.fail("sentence", "the claim's sentence as text", sentence)

    inferred = "compare" if "symbols" in raw else "day" if "date" in raw and not {"from", "to"} & set(raw) else "move"
    kind_raw = raw.get("kind") or inferred
    if kind_raw not in ("move", "day", "compare"):
        raise ctx.fail("kind", "'move', 'day', 'compare', 'positioning' or 'sentiment'", kind_raw)
    kind: ClaimKind = "compare" if kind_raw == "compare" else "day" if kind_raw == "day" else "move"

    if kind == "compare":
        symbols = raw.get("symbols")
        if not isinstance(symbols, list) or len(symbols) < 2 or not all(isinstance(s, str) and s.strip() for s in symbols):
            raise ctx.fail("symbols", "a list of two or more symbols", symbols)
        if "symbol" in raw:
            raise ctx.fail("symbol", "no 'symbol' in a compare claim (use 'symbols')")
    else:
        symbol = raw.get("symbol")
        if not isinstance(symbol, str) or not symbol.strip():
            raise ctx.fail("symbol", "a symbol such as NVDA or ^RUT", symbol)
        symbols = [symbol]
    syms = tuple(s.strip() for s in symbols)
    n_sym = len(syms)

    if kind == "day":
        for bad in ("from", "to"):
            if bad in raw:
                raise ctx.fail(bad, "no 'from'/'to' in a day claim (it uses 'date')")
        if "date" not in raw:
            raise ctx.fail("date", "the session date YYYY-MM-DD")
        to_anchor = _anchor(ctx, "date", raw["date"])
        if to_anchor.kind != "date" or to_anchor.field != "close":
            raise ctx.fail("date", "a plain date YYYY-MM-DD (the change is close to close)", raw["date"])
        froms: tuple[Anchor, ...] = (parse_anchor("-1d"),)
        tos: tuple[Anchor, ...] = (to_anchor,)
    else:
        if "date" in raw:
            raise ctx.fail("date", "no 'date' in a move/compare claim (use 'from' and 'to')")
        for k in ("from", "to"):
            if k not in raw:
                raise ctx.fail(k, "an anchor such as 2024-06-20, 2024-06-20:high or ath")
        froms = tuple(_anchor(ctx, "from", v) for v in _per_symbol(ctx, "from", raw["from"], n_sym))
        tos = tuple(_anchor(ctx, "to", v) for v in _per_symbol(ctx, "to", raw["to"], n_sym))

    if "stated" not in raw:
        raise ctx.fail("stated", "the stated figure in percent" + (f" (a list of {n_sym})" if n_sym > 1 else ""))
    stated_raw = raw["stated"]
    if n_sym > 1 and not isinstance(stated_raw, list):
        raise ctx.fail("stated", f"a list of {n_sym} figures in percent, one per symbol", stated_raw)
    if n_sym == 1 and isinstance(stated_raw, list):
        raise ctx.fail("stated", "one figure in percent", stated_raw)
    stated = tuple(_percent(ctx, "stated", v) for v in _per_symbol(ctx, "stated", stated_raw, n_sym))

    tol_raw = raw.get("tolerance", defaults.get("tolerance"))
    if tol_raw is None:
        tolerance = (DEFAULT_TOLERANCE,) * n_sym
    else:
        tolerance = tuple(
            _percent(ctx, "tolerance", v, nonneg=True) for v in _per_symbol(ctx, "tolerance", tol_raw, n_sym)
        )
    spread = raw.get("stated_spread")
    if spread is not None and kind != "compare":
        raise ctx.fail("stated_spread", "stated_spread only in a compare claim")
    return Claim(
        key=key,
        sentence=sentence.strip(),
        kind=kind,
        symbols=syms,
        from_=froms,
        to=tos,
        stated=stated,
        tolerance=tolerance,
        stated_spread=None if spread is None else _percent(ctx, "stated_spread", spread),
        total_return=_bool(ctx, "total_return", raw.get("total_return", defaults.get("total_return", False))),
        roll=_roll(ctx, raw.get("roll", defaults.get("roll"))),
    )


def parse_claims(text: str, path: str | Path = "<claims>") -> ClaimsFile:
    """Parse claims TOML ``text``; ``path`` names the file in every :class:`ConfigError`."""
    p = str(path)
    doc = parse_toml(text, p, ConfigError)
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise ConfigError(f"{p}: unknown top-level key '{unknown[0]}': expected title, source, [defaults], [[claims]]")
    defaults = doc.get("defaults", {})
    if not isinstance(defaults, dict):
        raise ConfigError(f"{p}: key 'defaults': expected a table [defaults]")
    bad = sorted(set(defaults) - _DEFAULT_KEYS)
    if bad:
        raise ConfigError(f"{p}: key 'defaults.{bad[0]}': expected one of {', '.join(sorted(_DEFAULT_KEYS))}")
    ctx = _Ctx(p, "[defaults]")
    if "tolerance" in defaults:
        _percent(ctx, "tolerance", defaults["tolerance"], nonneg=True)
    if "total_return" in defaults:
        _bool(ctx, "total_return", defaults["total_return"])
    _roll(ctx, defaults.get("roll"))
    raw_claims = doc.get("claims")
    if not isinstance(raw_claims, list) or not raw_claims:
        raise ConfigError(f"{p}: key 'claims': expected one or more [[claims]] tables")
    claims = tuple(_parse_claim(p, i, c, defaults) for i, c in enumerate(raw_claims, start=1))
    first: dict[str, int] = {}
    for i, c in enumerate(claims, start=1):
        if c.key in first:
            raise ConfigError(f"{p}: claim #{i}, key 'id': expected an id not used before, "
                              f"got {c.key!r} (also claim #{first[c.key]})")
        first[c.key] = i
    for k in ("title", "source"):
        if k in doc and not isinstance(doc[k], str):
            raise ConfigError(f"{p}: key '{k}': expected text, got {doc[k]!r}")
    return ClaimsFile(path=p, title=str(doc.get("title", "")), source=str(doc.get("source", "")), claims=claims)


def claim_symbols(claims: ClaimsFile | Sequence[Claim | DataClaim]) -> list[str]:
    """Every symbol the claims name, as written, first appearance first."""
    items = claims.claims if isinstance(claims, ClaimsFile) else claims
    return list(dict.fromkeys(s for c in items for s in c.symbols))


def _ok(difference: float, tolerance: float) -> bool:
    # A hair of slack so that a stated 3.57 with tolerance 0.005 is not failed by float rounding.
    return abs(difference) <= tolerance + 1e-12


def evaluate_claim(claim: Claim, bars: Mapping[str, pl.DataFrame], path: str = "<claims>") -> list[ClaimResult]:
    """Recompute one claim: one :class:`ClaimResult` per stated figure (plus the spread, if stated)."""
    basis = TOTAL_RETURN_BASIS if claim.total_return else PRICE_BASIS
    results: list[ClaimResult] = []
    measured: list[Measurement] = []
    for sym, a_from, a_to, stated, tol in zip(
        claim.symbols, claim.from_, claim.to, claim.stated, claim.tolerance, strict=True
    ):
        frame = bars.get(sym)
        if frame is None:
            raise ConfigError(f"{path}: claim {claim.key}: no bars given for symbol {sym!r}")
        try:
            m = measure(frame, a_from, a_to, roll=claim.roll, total_return=claim.total_return)
        except AnchorError as exc:
            raise AnchorError(f"{path}: claim {claim.key} ({sym}): {exc}") from None
        measured.append(m)
        diff = m.pct_change - stated
        results.append(
            ClaimResult(claim.key, claim.sentence, m.symbol, stated, m.pct_change, diff, tol, _ok(diff, tol),
                        (m.start, m.end), basis)
        )
    if claim.stated_spread is not None:
        a, b = measured[0], measured[1]
        computed = a.pct_change - b.pct_change
        diff = computed - claim.stated_spread
        tol = claim.tolerance[0]
        results.append(
            ClaimResult(claim.key, claim.sentence, f"spread {a.symbol} - {b.symbol}", claim.stated_spread,
                        computed, diff, tol, _ok(diff, tol), (a.start, a.end, b.start, b.end), basis)
        )
    return results


def evaluate_claims(
    claims: ClaimsFile,
    bars: Mapping[str, pl.DataFrame],
    positioning: pl.DataFrame | None = None,
    sentiment: pl.DataFrame | None = None,
) -> list[ClaimResult]:
    """Recompute every claim; ``bars`` maps each symbol as written in the file to its bars.

    ``positioning`` and ``sentiment`` are the data layer's frames
    (:func:`rotation.data.positioning.positioning_frame` / ``sentiment_frame``), needed only
    by claims of those kinds.
    """
    out: list[ClaimResult] = []
    for claim in claims.claims:
        if isinstance(claim, DataClaim):
            for f in evaluate_data_claim(claim, positioning, sentiment, claims.path):
                out.append(ClaimResult(
                    claim.key, claim.sentence, f.figure, f.stated, f.computed, f.computed - f.stated,
                    claim.tolerance, f.ok, (), claim.kind, f.unit, f.stated_text, f.detail,
                ))
        else:
            out.extend(evaluate_claim(claim, bars, claims.path))
    return out
