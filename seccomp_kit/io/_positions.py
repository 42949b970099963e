"""Find the line and column of a JSON path inside JSON text, only when a diagnostic needs it.

Parsing keeps no positions (the C parser is fast and we want it); this walks the text again
along one path, skipping sibling values with the C scanner, so the cost is one pass over the
part of the document before the target.
"""

from __future__ import annotations

import bisect
import json
import json.decoder
from collections.abc import Callable, Sequence

__all__ = ["Locator", "line_column", "locate"]

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


class Locator:
    """Many positions in one text, each in time proportional to its path, not to the text.

    :func:`locate` walks the text again for every path and :func:`line_column` counts newlines
    from the start, so a report with one diagnostic per rule would cost the text's size per
    diagnostic: quadratic. Here each container on a requested path is indexed once (its
    children's offsets) and line starts once, so the whole report stays linear.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._containers: dict[int, tuple[list[int] | dict[str, int], int]] = {}
        self._lines: list[int] | None = None

    def offset(self, path: Sequence[str | int]) -> int | None:
        """What :func:`locate` answers, from the index."""
        text = self.text
        try:
            i = _skip_ws(text, 0)
            if text.startswith("\ufeff", i):
                i = _skip_ws(text, i + 1)
            for part in path:
                opener = "[" if isinstance(part, int) else "{"
                if text[i] != opener:
                    return i
                children, end = self._index(i)
                if isinstance(part, int):
                    assert isinstance(children, list)
                    if part >= len(children):
                        # As locate: the closing bracket, or nothing past an empty array.
                        return end if children or part == 0 else None
                    i = children[part]
                else:
                    assert isinstance(children, dict)
                    found = children.get(part)
                    if found is None:
                        return i
                    i = found
            return i
        except (ValueError, IndexError, RecursionError):
            return None

    def _index(self, i: int) -> tuple[list[int] | dict[str, int], int]:
        known = self._containers.get(i)
        if known is not None:
            return known
        text = self.text
        j = _skip_ws(text, i + 1)
        children: list[int] | dict[str, int]
        if text[i] == "[":
            items: list[int] = []
            while text[j] != "]":
                items.append(j)
                j = _skip_ws(text, _skip_value(text, j))
                if text[j] != ",":
                    break
                j = _skip_ws(text, j + 1)
            children = items
        else:
            keys: dict[str, int] = {}
            while text[j] == '"':
                key, j = _scanstring(text, j + 1)
                j = _skip_ws(text, _skip_ws(text, j) + 1)  # the colon
                keys[key] = j  # the last duplicate wins, as in the parser
                j = _skip_ws(text, _skip_value(text, j))
                if text[j] == ",":
                    j = _skip_ws(text, j + 1)
            children = keys
        self._containers[i] = (children, j)
        return children, j

    def line_column(self, offset: int) -> tuple[int, int]:
        """What :func:`line_column` answers, by bisection over the line starts."""
        if self._lines is None:
            text = self.text
            starts = [0]
            at = text.find("\n")
            while at >= 0:
                starts.append(at + 1)
                at = text.find("\n", at + 1)
            self._lines = starts
        line = bisect.bisect_right(self._lines, offset)
        return line, offset - self._lines[line - 1] + 1
