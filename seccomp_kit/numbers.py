"""Numbers read from untrusted text, length-bounded before ``int()``.

``int()`` of a long digit string costs time quadratic in its length and refuses more than
4,300 digits with a ValueError, and ``str.isdigit()`` accepts digits ``int()`` refuses (``²``):
every number the library reads from a document, a log or a command line goes through here, so a
hostile length is an ordinary "not a number" answer, never an exception or a stall.
"""

from __future__ import annotations

import re

__all__ = ["decimal", "kernel_release", "min_kernel"]

# A kernel version part: Linux is at 6; nine digits keep every part within 32 bits.
_RELEASE = re.compile(r"([0-9]{1,9})\.([0-9]{1,9})(?![0-9])")


def decimal(text: str | bytes, *, digits: int) -> int | None:
    """The value of 1 to ``digits`` ASCII digits, or None for anything else."""
    if not 0 < len(text) <= digits or not text.isascii() or not text.isdigit():
        return None
    return int(text)


def kernel_release(text: str, *, exact: bool = False) -> tuple[int, int] | None:
    """``(major, minor)`` of a release (``"6.8.0-45-generic"``, ``"5.10"``), or None.

    ``exact`` wants nothing but ``X.Y`` (moby's ``minKernel``); otherwise the text starts with
    ``X.Y`` and the rest (patch level, suffix) is ignored."""
    match = _RELEASE.fullmatch(text) if exact else _RELEASE.match(text)
    if match is None:
        return None
    return int(match[1]), int(match[2])


def min_kernel(text: str) -> tuple[int, int] | None:
    """moby's ``minKernel`` as ``(major, minor)``, or None when moby refuses it: exactly
    ``X.Y``, each part 0..255 (moby parses them as 8-bit numbers), not ``0.0``. (``""``, which
    moby reads as no minimum, is the caller's to handle.)"""
    version = kernel_release(text, exact=True)
    if version is None or max(version) > 255 or version == (0, 0):
        return None
    return version
