"""JSON-ready values: one conversion for the CLI's ``--json``, the dashboard's API and notebooks."""

from __future__ import annotations

import dataclasses
import enum
import math
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl


def to_jsonable(obj: Any) -> Any:
    """Dataclasses, dates, frames, paths and NaN made JSON-ready (NaN -> null)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, pl.DataFrame):
        return [to_jsonable(r) for r in obj.iter_rows(named=True)]
    if isinstance(obj, pl.Series):
        return [to_jsonable(v) for v in obj.to_list()]
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, (datetime, date)):
        return obj.isoformat()
    if isinstance(obj, float):
        return None if math.isnan(obj) or math.isinf(obj) else obj
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, enum.Enum):
        return obj.value
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalars
        return to_jsonable(obj.item())
    return obj
