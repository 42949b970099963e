"""Errno names and numbers as Linux defines them (the generic table most architectures use)."""

from __future__ import annotations

import difflib
import errno as _errno

from seccomp_kit.errors import InputError

__all__ = ["EPERM", "errno_name", "errno_number"]

EPERM = 1

_BY_NAME: dict[str, int] = {
    name: getattr(_errno, name) for name in dir(_errno) if name.startswith("E") and name.isupper()
}
_BY_NUMBER: dict[int, str] = dict(_errno.errorcode)


def errno_number(name: str) -> int:
    """``"ENOSYS"`` -> 38; raise :class:`InputError` with a suggestion for unknown names."""
    try:
        return _BY_NAME[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(_BY_NAME), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise InputError(f"unknown errno name {name!r}{hint}") from None


def errno_name(number: int) -> str | None:
    """38 -> ``"ENOSYS"``, or None for numbers without a name."""
    return _BY_NUMBER.get(number)
