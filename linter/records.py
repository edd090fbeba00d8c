"""The base of the package's record classes: equality, hashing, ``repr`` and ``replace``
read off the fields, and no code generated at import time.

``dataclasses`` and ``typing.NamedTuple`` compile each class's methods from source when the
class is defined (about 0.5 ms for a frozen dataclass with slots, 60 us for a NamedTuple)
and need ``dataclasses`` (with ``inspect``, ``ast``, ``dis``, ``tokenize``) or ``typing``
imported.  On a one-host check, most of the run is start-up, and that was a fifth of it.

A record lists its fields in ``__slots__`` (in constructor order) and writes its own
``__init__``: explicit, and the fastest way to build the records made in bulk (findings,
documents).  A frozen record (:class:`Frozen`) refuses assignment after ``__init__``, which
sets its fields through ``_set``, like a frozen dataclass.
"""

from __future__ import annotations

from operator import attrgetter

_set = object.__setattr__


def _getter(names: tuple[str, ...]):  # noqa: ANN202 - record -> the tuple of its ``names``
    if len(names) == 1:
        only = names[0]
        return lambda record: (getattr(record, only),)
    return attrgetter(*names) if names else lambda record: ()


class Record:
    """A mutable record: fields in ``__slots__``; compared by value, field by field.

    ``_fields`` names the constructor's arguments, read back as attributes by ``repr`` and
    ``replace`` (default: the slots not starting with "_"; a field may be a property over
    a private slot, decoded on first use); ``_compare`` the fields that equality looks at
    (default: all of ``_fields``).  Both are worked out once, when the class is made."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()
    _compare: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "_fields" not in cls.__dict__:
            cls._fields = tuple(name for name in cls.__dict__.get("__slots__", ()) if not name.startswith("_"))
        if "_compare" not in cls.__dict__:
            cls._compare = cls._fields
        cls._key_of = staticmethod(_getter(cls._compare))

    def _key(self) -> tuple:
        return self._key_of(self)  # type: ignore[attr-defined]

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key() == other._key()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment] - mutable: unhashable, like a dataclass

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({fields})"

    def __getstate__(self) -> tuple:  # pickling (the worker processes): the field values
        return tuple([getattr(self, name) for name in self.__slots__])

    def __setstate__(self, state: tuple) -> None:
        for name, value in zip(self.__slots__, state, strict=True):
            _set(self, name, value)

    def replace(self, **changes: object) -> Record:
        """A copy with ``changes`` (built through ``__init__``, as ``dataclasses.replace``)."""
        for name in self._fields:
            if name not in changes:
                changes[name] = getattr(self, name)
        return type(self)(**changes)


class Frozen(Record):
    """An immutable record: hashable by the compared fields (less ``_unhashed``)."""

    __slots__ = ()
    _unhashed: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        hashed = _getter(tuple(name for name in cls._compare if name not in cls._unhashed))
        cls.__hash__ = lambda self: hash(hashed(self))  # type: ignore[method-assign]

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r} of a {type(self).__name__}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r} of a {type(self).__name__}")


try:  # the C descriptor collections.namedtuple uses for its fields
    from _collections import _tuplegetter
except ImportError:  # pragma: no cover - another interpreter
    from operator import itemgetter as _itemgetter

    def _tuplegetter(index: int, doc: str | None) -> property:
        return property(_itemgetter(index), doc=doc)

_new = tuple.__new__


class TupleRecord(tuple):
    """A tuple with named fields, as ``collections.namedtuple`` makes, without compiling
    source per class (or importing ``typing`` for ``typing.NamedTuple``).

    A subclass lists ``_fields`` (each becomes an attribute reading its item, as in a
    namedtuple) and writes its ``__new__`` (``return _new(cls, (a, b))``); it is compared,
    hashed and ordered as the tuple of its fields."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        for index, name in enumerate(cls.__dict__.get("_fields", ())):
            setattr(cls, name, _tuplegetter(index, None))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{n}={v!r}' for n, v in zip(self._fields, self, strict=True))})"

    def __getnewargs__(self) -> tuple:  # pickling: __new__ gets the fields back
        return tuple(self)

    def _replace(self, **changes: object) -> TupleRecord:
        """A copy with ``changes``, as a namedtuple's ``_replace``."""
        values = [changes.pop(name, value) for name, value in zip(self._fields, self, strict=True)]
        if changes:
            raise TypeError(f"{type(self).__name__} has no field {', '.join(map(repr, changes))}")
        return _new(type(self), values)
