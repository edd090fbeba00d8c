"""Cache entries on disk: how an entry is keyed, written, trusted and read, for
:mod:`linter.cache` (compiled policies, config files) and the package's JSON data (the
catalogues, as rows and summaries: :func:`load_package_json`).

Entries are ``marshal`` data, not pickle: unpickling untrusted data runs code, while
marshal only builds plain values (tuples, dicts, lists, strings, numbers); it reads them
faster than json (the built-in pack's rules as dicts: 0.9 ms against 1.16; as the rows a
policy entry now holds, 0.13 ms: :func:`linter.policy.stored.policy_to_rows`, :func:`_dumps`)
and spares a warm check importing json at all (1.5 ms with its patterns). An entry is a
header line (``policy-lint-cache``, the format with the marshal format and Python version
that wrote it, the kind, the key, the data's length and a digest of all that follows), the data and
optionally a second part (a policy's rules' examples: only ``policy-lint test`` and the
rule docs read those, so a check leaves them undecoded). marshal is not meant for data an
attacker made: an entry is read only from a directory and a file the user owns and nobody
else may write (below), and only when its digest matches. Reading one is defensive: a
corrupted, truncated, edited or foreign file, or one whose key does not match its name, is
a miss; the caller builds afresh and the entry is rewritten. Writes go to a temporary file
in the same directory and are renamed into place (``os.replace`` is atomic on POSIX), so
concurrent runs see a whole entry or none. A cache that cannot be written (read-only home,
full disk) is silently skipped: it only saves time.

Directory: ``$POLICY_LINT_CACHE_DIR``, else ``$XDG_CACHE_HOME/policy-lint``, else
``~/.cache/policy-lint``.

Trust (issue 14 point 6): a cache directory another user can write (a shared
``XDG_CACHE_HOME``) could hold a planted entry.  The directory and each entry must be a
real directory/file (not a symbolic link) owned by the user running the linter and not
writable by group or others; otherwise the cache is not used at all (built afresh,
nothing read, nothing written).
"""

from __future__ import annotations

import marshal
import os
import sys
from collections.abc import Callable, Iterable

from linter import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

CACHE_FORMAT = 6  # 2: a header line with the data's digest, then the data; 3: and the examples line;
# 4: marshal instead of JSON, the header without JSON; 5: a policy as rows of tuples (policy_to_rows);
# 6: a catalogue as rows (catalog._rows), its summaries an entry of their own
_MAGIC = b"policy-lint-cache"
# the entry format, with the marshal format and the Python version that wrote it
_FORMAT_TAG = f"{CACHE_FORMAT}.{marshal.version}.{sys.version_info[0]}.{sys.version_info[1]}".encode()
MAX_ENTRIES = 64  # per kind; older entries are pruned when a new one is written
try:  # hashlib loads OpenSSL (~2 ms at start-up); the built-in BLAKE2 module does not
    from _blake2 import blake2b as _hash
except ImportError:  # pragma: no cover - an interpreter without the built-in module
    from hashlib import blake2b as _hash

ENABLED = True  # False in a run with --no-cache: everything is built afresh and nothing written


def cache_dir() -> str:
    explicit = os.environ.get("POLICY_LINT_CACHE_DIR")
    if explicit:
        return explicit
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):  # the XDG spec says a relative value is to be ignored
        return os.path.join(xdg, "policy-lint")
    return os.path.join(os.path.expanduser("~"), ".cache", "policy-lint")


def _signature(name: str, path: str) -> bytes | None:
    """What keys a file of the package: its name, size, inode and modification time (None
    when it cannot be read)."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return f"{name}\0{info.st_size}\0{info.st_ino}\0{info.st_mtime_ns}\0".encode("utf-8", "surrogateescape")


def _entry_path(directory: str, kind: str, key: str) -> str:
    return os.path.join(directory, f"{kind}-{key}.bin")


def _trusted(info: os.stat_result, kind_ok: bool) -> bool:
    """Owned by the user running the linter and not writable by anyone else."""
    euid = os.geteuid() if hasattr(os, "geteuid") else None
    return kind_ok and (euid is None or info.st_uid == euid) and not info.st_mode & 0o022


def trusted_dir(directory: str) -> bool:
    """Whether ``directory`` may hold cache entries (see the module docstring)."""
    import stat

    try:
        info = os.lstat(directory)
    except OSError:
        return False
    return _trusted(info, stat.S_ISDIR(info.st_mode))


def read_entry(directory: str, kind: str, key: str) -> tuple[Any, memoryview | None] | None:
    """The data stored under ``key`` and the entry's second part (undecoded, a view of the
    entry's bytes: :func:`decode`; None when it has none), or None (absent, unreadable,
    corrupted, foreign, or not owned by the user / writable by others)."""
    import stat

    if not trusted_dir(directory):
        return None
    try:
        fd = os.open(_entry_path(directory, kind, key), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
                     | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            info = os.fstat(f.fileno())
            if not _trusted(info, stat.S_ISREG(info.st_mode)):
                return None
            content = f.read()
        # the parts are read through a memoryview: slicing the bytes would copy the entry
        # (a fresh 250 KB allocation, whose page faults cost a warm run 0.2 ms)
        end = content.find(b"\n")
        fields = content[:end].split(b" ")
        payload = memoryview(content)[end + 1:]
        if end < 0 or len(fields) != 6 or fields[:4] != [_MAGIC, _FORMAT_TAG, kind.encode(), key.encode()] or \
                not fields[4].isdigit() or fields[5] != _hash(payload).hexdigest().encode():
            return None
        length = int(fields[4])
        data = marshal.loads(payload[:length])
        return data, (payload[length:] or None)
    except (OSError, ValueError, EOFError, TypeError):  # marshal: ValueError, EOFError, TypeError
        return None


def decode(second: bytes | memoryview) -> Any:
    """An entry's second part, decoded (it was read with the entry and its digest checked)."""
    return marshal.loads(second)


def write_entry(directory: str, kind: str, key: str, data: Any, second: Any = None, share: bool = True) -> bool:
    """Store ``data`` (and ``second``, when not None, as a part of its own that a reader
    decodes only when asked) atomically; False when the cache cannot be written.  ``share``:
    equal strings and tuples of ``data`` are found and written once (:func:`_dumps`);
    without it, only those that already are one object are (plain JSON data that its
    shaping has shared)."""
    try:  # marshal, not pickle: it builds plain values and never runs code
        body, rest = _dumps(data, share), (b"" if second is None else _dumps(second, share=False))
    except ValueError:  # a value marshal cannot hold: not cached
        return False
    digest = _hash(body)  # of both parts, without joining them (a 200 KB copy)
    digest.update(rest)
    header = b" ".join((_MAGIC, _FORMAT_TAG, kind.encode(), key.encode(), str(len(body)).encode(),
                        digest.hexdigest().encode()))
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        if not trusted_dir(directory):
            return False  # another user's (or a shared, writable) directory: never written into
        write_atomically(_entry_path(directory, kind, key), (header, b"\n", body, rest), prefix=f".{kind}-",
                         suffix=".tmp")
    except OSError:
        return False
    _prune(directory, kind)
    return True


def _dumps(value: Any, share: bool = True) -> bytes:
    """``value`` as marshal data, each distinct string and tuple of constants written once
    (``share``); raises ValueError for what marshal cannot hold.

    marshal writes an object met before (the same object) as a reference to it, so making
    equal strings and equal tuples of immutable values one object writes the rest as
    references: the built-in pack's entry is a quarter smaller (its rows 141 -> 101 KB), and
    decoding a reference costs less than building the value again (the rows 0.30 -> 0.13 ms,
    and less to digest).  The walk that finds them costs the write far more (the policy
    rows 8.6 ms where marshal alone takes 0.3): it is done for what every warm check reads
    and nothing shared already; a catalogue shares its values as it is shaped
    (``catalog._row``) and is written without it, and so is an entry's second part, which
    a check never decodes (a policy's examples: 2.4 ms more for a cold write, for nothing)."""
    if not share:
        try:
            return marshal.dumps(value)
        except ValueError:  # a subclass marshal does not take: made plain (and shared) below
            pass
    try:
        return marshal.dumps(_Plain().of(value))
    except RecursionError:  # nested deeper than the walk can go: not cached
        raise ValueError("too deeply nested") from None


_SCALARS = frozenset((int, float, bool, type(None), bytes))
# what a shared tuple may hold besides shared tuples: not floats, whose -0.0 and 0.0 are equal
_SHAREABLE = frozenset((str, int, bool, type(None), bytes))


class _Plain:
    """Makes a value marshal data: the subclasses of dict, list, tuple, str, int and float
    that YAML readers make (ruamel.yaml's CommentedMap, ScalarFloat...) become the plain
    types marshal writes (it takes exact types only), and equal strings, and equal tuples
    of strings, ints, bools, None, bytes and such tuples, one object each."""

    def __init__(self) -> None:
        self.strings: dict[str, str] = {}
        # a shared tuple by its items' types and values, the tuples among them by identity
        # (1, 1.0 and True are equal, their types are not; a shared tuple is the one object
        # of its value and types); and the ids of the shared tuples
        self.tuples: dict[tuple, tuple] = {}
        self.shared: set[int] = set()

    def of(self, value: Any) -> Any:
        kind = value.__class__
        if kind is str:
            return self.strings.setdefault(value, value)
        if kind is tuple:
            of, shared = self.of, self.shared
            items = tuple([of(v) for v in value])
            for v in items:
                if v.__class__ not in _SHAREABLE and id(v) not in shared:
                    return items
            key = tuple([(v.__class__, id(v) if v.__class__ is tuple else v) for v in items])
            found = self.tuples.setdefault(key, items)
            shared.add(id(found))
            return found
        if kind in _SCALARS:
            return value
        if kind is list:
            of = self.of
            return [of(v) for v in value]
        if kind is dict:
            of = self.of
            return {of(k): of(v) for k, v in value.items()}
        for base in (dict, list, tuple, str, bool, int, float):  # subclasses: made plain, then as above
            if isinstance(value, base):
                return self.of(base(value))
        return value  # marshal decides (sets...) or refuses (ValueError)


def write_atomically(path: str, data: bytes | Iterable[bytes], prefix: str, suffix: str = "") -> None:
    """Replace ``path`` by ``data`` (bytes, or pieces of them written in turn; mode 0644)
    through a temporary file in its directory and ``os.replace``, so readers see the old
    file or the new one, never a part; raises OSError."""
    import tempfile

    fd, temporary = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(fd, "wb") as f:
            if isinstance(data, bytes):
                f.write(data)
            else:
                for piece in data:
                    f.write(piece)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def _prune(directory: str, kind: str) -> None:
    """Keep the newest MAX_ENTRIES entries of a kind; racing pruners only unlink."""
    try:
        # .json: entries of the formats before 4, pruned with the others
        names = [n for n in os.listdir(directory) if n.startswith(f"{kind}-") and n.endswith((".bin", ".json"))]
        if len(names) <= MAX_ENTRIES:
            return
        aged = []
        for name in names:
            try:
                aged.append((os.stat(os.path.join(directory, name)).st_mtime_ns, name))
            except OSError:
                continue
        for _, name in sorted(aged)[:-MAX_ENTRIES]:
            os.unlink(os.path.join(directory, name))
    except OSError:
        pass


def _cached(kind: str, key_of: Callable[[], str | None], directory: str | None, build: Callable[[], Any],
            to_data: Callable[[Any], tuple[Any, Any] | None],
            from_data: Callable[[Any, memoryview | None], Any], share: bool = True) -> Any:
    """``build()``, or what ``from_data`` makes of the entry under the key ``key_of()`` gives
    (None: not cached); ``to_data`` gives the data to store and a second part (or None), or
    None when the value is not cached (``share``: as :func:`write_entry`'s).  With the cache
    off (:data:`ENABLED`), ``build()`` without working out a key."""
    key = key_of() if ENABLED else None
    if key is None:
        return build()
    directory = directory or cache_dir()
    found = read_entry(directory, kind, key)
    if found is not None:
        try:
            return from_data(*found)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError, RecursionError):
            pass  # a well-formed entry with the wrong shape: compile afresh and rewrite it
    value = build()
    encoded = to_data(value)
    if encoded is not None:
        write_entry(directory, kind, key, *encoded, share=share)
    return value


# -- the package's JSON data ------------------------------------------------------------------


def load_package_json(path: str, shape: Callable[[Any], Any] | None = None,
                      checked: Callable[[Any], Any] | None = None) -> Any:
    """A JSON data file of the package (a catalogue: ``linter/data/postfix-3.7.json``),
    decoded, or what ``shape`` makes of it (plain data: the part of the file a reader needs,
    in the form marshal decodes fastest); from the cache when it was made before.  A
    catalogue is 30-170 KB of JSON: 0.2-1.2 ms to decode, on every check.

    The entry is keyed like the package's sources: the file's name, size, inode and
    modification time, and with a ``shape`` its name and the same of the module defining
    it, so each shape of a file is an entry of its own and a changed shape a new one.
    A ``shape`` shares what its form repeats itself (the entry is written without
    :func:`_dumps`' walk, which cost a cold run 3.2 ms for a Postfix catalogue).
    ``checked`` (with ``shape``) is given the data read from an entry and returns it, or
    raises KeyError, IndexError, TypeError or ValueError when it is not of the shape's
    form: that entry is a miss (made afresh and rewritten)."""
    def key() -> str | None:
        signature = _signature(path, path)
        if signature is None:
            return None
        if shape is not None:
            module = sys.modules.get(shape.__module__)
            source = _signature(shape.__module__, getattr(module, "__file__", None) or "")
            if source is None:
                return None
            signature += f"{shape.__qualname__}\0".encode() + source
        return _hash(f"data\0{CACHE_FORMAT}\0{__version__}\0".encode() + signature).hexdigest()[:64]

    def build() -> Any:
        data = _read_json(path)
        return data if shape is None else shape(data)

    return _cached("data", key, None, build, lambda data: (data, None),
                   lambda data, _second: data if checked is None else checked(data), share=shape is None)


def _read_json(path: str) -> Any:
    import json

    with open(path, encoding="utf-8") as f:
        return json.load(f)
