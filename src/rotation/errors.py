"""One exception per failure mode, all under :class:`RotationError`.

The CLI maps every :class:`RotationError` to exit code 2 with one clear line.
Anything else is a bug: the CLI's safety net prints it as one line naming the
exception's type (exit 2), and ``ROTATION_DEBUG=1`` shows the traceback.
"""

from __future__ import annotations


class RotationError(Exception):
    """Base class of every error the project raises on purpose."""


class DataError(RotationError):
    """Input data is malformed or inconsistent (names the file, line or key)."""


class StoreError(RotationError):
    """The local store cannot be opened or written."""


class StoreBusyError(StoreError):
    """Another process holds the store for writing."""


class ProviderError(RotationError):
    """A data provider failed for a symbol (after retries)."""


class ConfigError(RotationError):
    """A TOML configuration file (universe, alias, plan, claims) is invalid."""


class AnchorError(RotationError):
    """An anchor (date + price field) cannot be parsed or resolved."""


class PlanError(ConfigError):
    """A trade plan is invalid."""


class UnknownSymbolError(DataError):
    """A symbol has no bars in the store."""


class StoreCorruptError(StoreError):
    """The store file is damaged (a checksum or a block does not read back)."""


class OutputError(RotationError):
    """A result file (report, chart, JSON payload, export) cannot be written."""


class ClusterError(RotationError):
    """A Dask cluster cannot be reached, or failed while it ran a sweep."""
