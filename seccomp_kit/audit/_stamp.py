"""What a valid audit stamp is: the one definition the Python parser and the C scanner share.

The kernel prints ``audit(SECONDS.MILLIS:SERIAL)``. We accept a little more (no fraction, a
longer fraction) but keep every number short enough that ``int()`` and ``float()`` cost a
constant and that the value means what the kernel meant: seconds fit a date (12 digits reach
the year 33658), the fraction is at most nanoseconds, the serial is a 64-bit counter.

``hatch_build.py`` reads the three limits below (without importing this module) and compiles
them into ``_scan.c``, and the parser refuses a C scanner built from other limits, so there is
one definition, not two that must be kept in step.
"""

from __future__ import annotations

from seccomp_kit.model import UINT64_MAX

__all__ = ["FRACTION_DIGITS", "SECONDS_DIGITS", "SERIAL_DIGITS", "plain_serial", "plain_stamp"]

SECONDS_DIGITS = 12
FRACTION_DIGITS = 9
SERIAL_DIGITS = 20


def _text(value: bytes | str) -> str:
    # latin-1 maps every byte to one character, so lengths and non-ASCII bytes survive.
    return value.decode("latin-1") if isinstance(value, bytes) else value


def _digits(text: str, most: int) -> bool:
    # isdigit() alone accepts superscripts and other digits int() refuses, so ASCII only.
    return 0 < len(text) <= most and text.isascii() and text.isdigit()


def plain_stamp(head: bytes | str) -> bool:
    """``head`` (the text before the serial's ``:``) is ``SECONDS[.FRACTION]``."""
    seconds, dot, fraction = _text(head).partition(".")
    return _digits(seconds, SECONDS_DIGITS) and (not dot or _digits(fraction, FRACTION_DIGITS))


def plain_serial(serial: bytes | str) -> int | None:
    """The serial's value, or None when it is not 1 to 20 ASCII digits within 64 bits."""
    serial = _text(serial)
    if not _digits(serial, SERIAL_DIGITS):
        return None
    value = int(serial)
    return value if value <= UINT64_MAX else None
