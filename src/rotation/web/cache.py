"""Built results kept per (store version, view, parameters): nothing rebuilds until the store changes.

The store version is the DuckDB file's (and its write-ahead log's) size and
modification time: every write (``rotation data import``, ``update``,
``journal add``) changes it, so the next request builds afresh, while reads
between writes are answered from memory.  Entries are kept least recently used
first out, ``max_entries`` at most.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path

StoreVersion = tuple[int, int, int, int]


def store_version(path: Path) -> StoreVersion:
    """(size, mtime_ns) of the store file and of its ``.wal`` (zeros where a file is absent)."""
    out: list[int] = []
    for p in (path, path.with_name(path.name + ".wal")):
        try:
            st = p.stat()
            out += [st.st_size, st.st_mtime_ns]
        except OSError:
            out += [0, 0]
    return (out[0], out[1], out[2], out[3])


class ResultCache:
    """A thread-safe LRU map of (store version, key) -> built bytes; one build per key at a time."""

    def __init__(self, path: Path, max_entries: int = 256) -> None:
        self.path = path
        self.max_entries = max_entries
        self._data: OrderedDict[tuple[StoreVersion, Hashable], bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[tuple[StoreVersion, Hashable], threading.Lock] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, build: Callable[[], bytes]) -> bytes:
        """The cached bytes for ``key`` at the current store version, built by ``build`` if absent."""
        full = (store_version(self.path), key)
        with self._lock:
            if full in self._data:
                self._data.move_to_end(full)
                self.hits += 1
                return self._data[full]
            gate = self._building.setdefault(full, threading.Lock())
        with gate:  # a second request for the same key waits for the first build
            with self._lock:
                if full in self._data:
                    self.hits += 1
                    return self._data[full]
            try:
                value = build()
            finally:
                with self._lock:
                    self._building.pop(full, None)
            with self._lock:
                self.misses += 1
                self._data[full] = value
                while len(self._data) > self.max_entries:
                    self._data.popitem(last=False)
            return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
