""":data:`UNKNOWN`: a config value the tool cannot know (a template expression, a
host-dependent default).  Any expansion or conversion that touches it is UNKNOWN."""

from __future__ import annotations

from typing import Final


class _Unknown:
    """The type of :data:`UNKNOWN`; a falsy singleton that survives copy/pickle."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self):
        return (_Unknown, ())


UNKNOWN: Final = _Unknown()
