"""Reading config files: regular files only (a FIFO or device never blocks a run), inside
the repository, decoded losslessly; the fixer's overlay of pending texts; the digest of
what each check read (the fixer edits a file only while it still holds those bytes)."""

from __future__ import annotations

import contextvars
import os

from linter import confine
from linter.confine import ContextSetting
from linter.model import ConfigError, decode

# Pending (unwritten) texts by real path: the fixer re-checks its edits without touching disk.
_OVERLAY: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("overlay", default=None)


def overlay(texts: dict[str, str]) -> ContextSetting:
    """``with overlay(texts):`` while active, :func:`read_text` returns ``texts[path]`` (keyed
    by any spelling of the path)."""
    return ContextSetting(_OVERLAY, {os.path.realpath(p): t for p, t in texts.items()})


# The bytes each file held when the check read it (real path -> digest; None when two reads
# during one check differed): the fixer edits a file only while it still holds them
# (issue 14 point 4).  engine.check() clears it and hands it on in its Report.
READ_DIGESTS: dict[str, bytes | None] = {}


def content_digest(data: bytes) -> bytes:
    try:  # hashlib loads OpenSSL (~2 ms at start-up); the built-in BLAKE2 module does not
        from _blake2 import blake2b
    except ImportError:  # pragma: no cover - an interpreter without the built-in module
        from hashlib import blake2b
    return blake2b(data, digest_size=20).digest()


def _record_read(path: str, data: bytes) -> None:
    real = confine.realpath(path)  # resolved already: the confinement let it be read
    digest = content_digest(data)
    if READ_DIGESTS.setdefault(real, digest) != digest:
        READ_DIGESTS[real] = None  # changed between two reads of the same check


def read_text(path: str) -> str:
    """Read and decode a config file, turning every OS error into a ConfigError."""
    pending = _OVERLAY.get()
    if pending:
        text = pending.get(os.path.realpath(path))
        if text is not None:
            return text
    if not confine.may_read(path):
        raise ConfigError(path, 0, 0, confine.outside_message(path))
    try:
        data = read_regular_file(path, directory_error=True)
    except ConfigError:
        raise
    except OSError as e:
        if os.path.isdir(path):  # one it may not open (no read permission)
            raise ConfigError(path, 0, 0, "is a directory, not a config file") from None
        raise ConfigError(path, 0, 0, f"cannot read: {e.strerror or e}") from None
    _record_read(path, data)
    return decode(data, path)


def read_regular_file(path: str, limit: int = -1, directory_error: bool = False) -> bytes:
    """The bytes of a regular file (at most ``limit``); ConfigError for a FIFO, socket or device
    (with ``directory_error``, for a directory: "is a directory").

    Opened non-blocking and checked on the open descriptor: reading a FIFO would
    wait forever for a writer, a device such as /dev/zero would never end.  Read with
    ``os.read`` (no file object: a bulk run reads tens of thousands of small files).
    """
    import stat

    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            if directory_error and stat.S_ISDIR(status.st_mode):
                raise ConfigError(path, 0, 0, "is a directory, not a config file")
            raise ConfigError(path, 0, 0, "not a regular file (a FIFO, socket or device), not a config file")
        # read to the end, as f.read() would (a file that grows meanwhile is read on), the
        # first read sized by fstat
        parts: list[bytes] = []
        size, wanted = 0, status.st_size + 1
        while limit < 0 or size < limit:
            chunk = os.read(fd, wanted if limit < 0 else min(wanted, limit - size))
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
            wanted = 65536
        return parts[0] if len(parts) == 1 else b"".join(parts)
    finally:
        os.close(fd)
