"""Diagnostics: what validation found, where, how bad, and what to do about it.

A :class:`Diagnostic` names its severity, a stable code (``SK`` and three digits, documented in
the "Diagnostic codes" table of docs/validation.md), the JSON path of the field it is about, the
line and column of that field when the profile was read from text, a message, and a suggestion
where one exists.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable
from typing import Any

import attrs

from seccomp_kit.errors import JSONPath, json_path, json_pointer

__all__ = [
    "Diagnostic",
    "Severity",
    "has_errors",
    "render",
    "render_text",
    "sort_diagnostics",
    "to_json_text",
]


class Severity(enum.StrEnum):
    """How bad a finding is. ``error``: a runtime refuses the profile, or the spec says it must
    fail; ``warning``: accepted, but part of it is ignored or does something other than it
    says; ``info``: worth knowing, nothing is wrong."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for the most severe."""
        return _RANK[self]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank > other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank >= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank <= other.rank


_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def _path(value: Iterable[str | int]) -> JSONPath:
    return tuple(value)


def _context(
    value: Iterable[tuple[str, str | int | None]],
) -> tuple[tuple[str, str | int | None], ...]:
    return tuple(value)


@attrs.frozen
class Diagnostic:
    """One finding about one place in a profile.

    Severities compare by badness: ``Severity.ERROR > Severity.WARNING > Severity.INFO``.
    """

    severity: Severity = attrs.field(converter=Severity)
    code: str
    message: str
    path: JSONPath = attrs.field(default=(), converter=_path)
    line: int | None = None
    column: int | None = None
    file: str | None = None
    suggestion: str | None = None
    context: tuple[tuple[str, str | int | None], ...] = attrs.field(
        default=(), converter=_context, eq=False
    )
    """Fields that place the finding beyond its path, in ``--format json`` beside the others
    (``seccomp-kit k8s check``: the document, object and container it is about)."""

    @property
    def json_path(self) -> str:
        """``$.syscalls[3].action``."""
        return json_path(self.path)

    @property
    def pointer(self) -> str:
        """``/syscalls/3/action`` (RFC 6901)."""
        return json_pointer(self.path)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_json(self) -> dict[str, Any]:
        """The dict ``seccomp-kit validate --format json`` prints for this diagnostic."""
        return {
            "file": self.file,
            "severity": self.severity.value,
            "code": self.code,
            "path": self.json_path,
            "pointer": self.pointer,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "suggestion": self.suggestion,
            **dict(self.context),
        }

    def location(self) -> str:
        """``file:line:column`` with the parts that are known (``<profile>`` without a file)."""
        parts = [self.file if self.file is not None else "<profile>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        return render(self)


def sort_key(diag: Diagnostic) -> tuple[Any, ...]:
    """File, then position in the document, then the most severe first, then code."""
    line = diag.line if diag.line is not None else -1
    column = diag.column if diag.column is not None else -1
    return (diag.file or "", line, column, diag.severity.rank, diag.code, diag.message)


def sort_diagnostics(diags: Iterable[Diagnostic], *, by: str = "position") -> list[Diagnostic]:
    """Order diagnostics, dropping exact duplicates.

    ``by="position"`` (the default) follows the document; ``by="severity"`` puts errors first,
    then warnings, then infos, each group in document order.
    """
    unique = list(dict.fromkeys(diags))
    if by == "severity":
        return sorted(unique, key=lambda d: (d.severity.rank, *sort_key(d)))
    if by != "position":
        raise ValueError(f"unknown ordering {by!r}; use 'position' or 'severity'")
    return sorted(unique, key=sort_key)


def has_errors(diags: Iterable[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diags)


def render(diag: Diagnostic) -> str:
    """``file:line:col: severity CODE message [at $.path] (suggestion)`` on one line."""
    text = f"{diag.location()}: {diag.severity.value} {diag.code} {diag.message}"
    if diag.line is None and diag.path:
        text += f" [at {diag.json_path}]"
    if diag.suggestion:
        text += f" ({diag.suggestion})"
    return text


def render_text(diags: Iterable[Diagnostic]) -> list[str]:
    """One :func:`render` line per diagnostic."""
    return [render(d) for d in diags]


def to_json_text(diags: Iterable[Diagnostic]) -> str:
    """One JSON array of :meth:`Diagnostic.to_json` objects."""
    return json.dumps([d.to_json() for d in diags], indent=2, ensure_ascii=False)
