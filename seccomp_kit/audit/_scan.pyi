"""Types of the C fast path of :mod:`seccomp_kit.audit` (``_scan.c``)."""

from collections.abc import Callable
from typing import Any

# (pos, upper, ls, le, records, events): scanning goes on at pos; [ls, le) is a line for the
# Python path (ls == -1: none); upper is where the next '"MESSAGE"' is.
_Result = tuple[int, int, int, int, int, int]

STAMP_SECONDS_DIGITS: int
STAMP_FRACTION_DIGITS: int
STAMP_SERIAL_DIGITS: int

def newlines(chunk: bytes, /) -> int: ...

class Scanner:
    def __init__(
        self,
        *,
        idents: dict[bytes, dict[str, Any]],
        calls: dict[bytes, dict[str, Any]],
        codes: dict[bytes, int],
        nodes: dict[str | None, Any],
        remember: Callable[[Any, int], None],
        event_type: type,
    ) -> None: ...
    def events(
        self,
        chunk: bytes,
        pos: int,
        upper: int,
        out: list[Any],
        limit: int,
        dedupe: bool,
        window: int,
        serial: Callable[[str | None, int, bool], bool],
        version: int,
        /,
    ) -> _Result: ...
    def tally(
        self,
        chunk: bytes,
        pos: int,
        upper: int,
        out: dict[tuple[bytes, int], list[Any]],
        limit: int,
        dedupe: bool,
        window: int,
        serial: Callable[[str | None, int, bool], bool],
        version: int,
        /,
    ) -> _Result: ...
