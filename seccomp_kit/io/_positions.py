"""Find the line and column of a JSON path inside JSON text, only when a diagnostic needs it.

Parsing keeps no positions (the C parser is fast and we want it); this walks the text again
along one path, skipping sibling values with the C scanner, so the cost is one pass over the
part of the document before the target.
"""

from __future__ import annotations

import json
import json.decoder
from collections.abc import Callable, Sequence

__all__ = ["line_column", "locate"]

_DECODER = json.JSONDecoder()
_scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
_WS = " \t\n\r"


def _skip_ws(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] in _WS:
        i += 1
    return i


def _skip_value(text: str, i: int) -> int:
    _, end = _DECODER.raw_decode(text, i)
    return end


def locate(text: str, path: Sequence[str | int]) -> int | None:
    """Offset of the value at ``path`` (for a missing last key: of its parent), or None."""
    try:
        i = _skip_ws(text, 0)
        if text.startswith("\ufeff", i):
            i = _skip_ws(text, i + 1)
        for part in path:
            if isinstance(part, int):
                if text[i] != "[":
                    return i
                i = _skip_ws(text, i + 1)
                for _ in range(part):
                    i = _skip_ws(text, _skip_value(text, i))
                    if text[i] != ",":
                        return i
                    i = _skip_ws(text, i + 1)
            else:
                if text[i] != "{":
                    return i
                start = i
                i = _skip_ws(text, i + 1)
                found = None
                while i < len(text) and text[i] == '"':
                    key, i = _scanstring(text, i + 1)
                    i = _skip_ws(text, i)
                    i = _skip_ws(text, i + 1)  # the colon
                    if key == part:
                        found = i  # the last duplicate wins, as in the parser
                    i = _skip_ws(text, _skip_value(text, i))
                    if text[i] == ",":
                        i = _skip_ws(text, i + 1)
                if found is None:
                    return start
                i = found
        return i
    except (ValueError, IndexError, RecursionError):
        return None


def line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset``."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column
