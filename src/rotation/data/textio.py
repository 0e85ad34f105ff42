"""The user's files, read and written through one error path.

Every text file the project reads (bar CSVs, plans, claims, universes, alias
tables, constituent lists) is decoded by :func:`decode_text`, and every TOML
document is parsed by :func:`parse_toml`, so that a file in the wrong encoding,
a binary file or a document nested thousands deep ends in one
:class:`~rotation.errors.RotationError` naming the file, never a traceback.
A UTF-8 byte-order mark is accepted.

Every file the project writes for the user (a report, a chart, a JSON payload,
an export) goes through :func:`write_atomic`: a temporary file in the same
folder renamed over the target, so a failure leaves the old file (or none),
never a half-written one, and ends in :class:`~rotation.errors.OutputError`.
"""

from __future__ import annotations

import codecs
import contextlib
import gzip
import os
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rotation.errors import ConfigError, DataError, OutputError, RotationError

_WIDE_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def decode_text(raw: bytes, where: str, error: type[RotationError] = DataError) -> str:
    """UTF-8 text (a leading BOM dropped); UTF-16/32 and binary content are refused by name."""
    for bom, name in _WIDE_BOMS:
        if raw.startswith(bom):
            raise error(f"{where}: the file is {name} text; expected UTF-8 (save it as UTF-8)")
    nul = raw.find(b"\x00")
    if nul >= 0:
        line = raw[:nul].count(b"\n") + 1
        hint = "UTF-16 text without a byte-order mark" if _looks_utf16(raw) else "a binary file"
        raise error(f"{where}:{line}: found a NUL byte: this looks like {hint}; expected UTF-8 text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error(f"{where}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x})") from None


def _looks_utf16(raw: bytes) -> bool:
    head = raw[:200]
    return len(head) >= 4 and (head[1::2].count(0) > len(head) // 4 or head[0::2].count(0) > len(head) // 4)


def read_text(path: Path | str, error: type[RotationError] = DataError, what: str = "file") -> str:
    """A text file's content (``.gz`` decompressed, UTF-8 with or without BOM); errors name the file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise error(f"{path}: cannot read {what}: {exc.strerror or exc}") from None
    if path.name.lower().endswith(".gz"):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise error(f"{path}: not a valid gzip file: {exc}") from None
    return decode_text(raw, str(path), error)


def parse_toml(text: str, where: str, error: type[RotationError] = ConfigError) -> dict[str, Any]:
    """A TOML document; invalid or absurdly nested TOML is one clear error naming ``where``."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{where}: not valid TOML: {exc}") from None
    except RecursionError:
        raise error(f"{where}: not valid TOML: arrays or tables nested too deeply") from None


def read_toml(path: Path | str, error: type[RotationError] = ConfigError, what: str = "file") -> dict[str, Any]:
    """:func:`read_text` then :func:`parse_toml`, with ``error`` as the one error class."""
    return parse_toml(read_text(path, error, what), str(path), error)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path | str, content: str | bytes | Callable[[Path], object], what: str = "file") -> Path:
    """Write ``content`` to ``path`` through a temporary file renamed over it; returns ``path``.

    ``content`` is text (written as UTF-8), bytes, or a function that writes the
    temporary file it is given (for tools that write files themselves).  Any
    failure is :class:`OutputError` naming ``path``; the target is then untouched.
    """
    out = Path(path)
    tmp: str | None = None
    try:
        if out.is_dir():
            raise OutputError(f"{out}: cannot write {what}: it is a folder; expected a file name")
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; the result gets the usual mode
        if callable(content):
            os.close(fd)
            content(Path(tmp))
        else:
            data = content.encode("utf-8") if isinstance(content, str) else content
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        os.replace(tmp, out)
        tmp = None
    except OSError as exc:
        raise OutputError(f"{out}: cannot write {what}: {exc.strerror or exc}") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return out
