"""rotation: detect, measure, chart and trade rotation within the U.S. stock market.

The few names a notebook user needs are exported here; everything else lives in
the ``rotation.data``, ``rotation.analytics``, ``rotation.trading``,
``rotation.backtest`` and ``rotation.report`` packages.
"""

from __future__ import annotations

from rotation._api import bars, closes
from rotation.data.store import Store, open_store
from rotation.data.universes import load_universe
from rotation.errors import (
    AnchorError,
    ConfigError,
    DataError,
    PlanError,
    ProviderError,
    RotationError,
    StoreBusyError,
    StoreError,
)

__version__ = "0.1.0"

__all__ = [
    "AnchorError",
    "ConfigError",
    "DataError",
    "PlanError",
    "ProviderError",
    "RotationError",
    "Store",
    "StoreBusyError",
    "StoreError",
    "__version__",
    "bars",
    "closes",
    "load_universe",
    "open_store",
]
