"""The one exception hierarchy of seccomp_kit.

Every error about a document carries where it happened: the JSON path (``$.syscalls[3].action``),
the JSON pointer (``/syscalls/3/action``), and, when the document was read from text, the source
name, line and column. Input errors also subclass :class:`ValueError` so callers that only know
the standard library still catch them.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "CompileError",
    "InputError",
    "JSONPath",
    "LoadError",
    "LibseccompUnavailableError",
    "ParseError",
    "ProfileError",
    "SeccompKitError",
    "ValidationFailedError",
    "excerpt",
    "json_path",
    "json_pointer",
]

JSONPath = tuple[str | int, ...]
"""A location inside a JSON document: object keys and array indices from the root."""


def excerpt(value: object, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters: error messages quote hostile input, and a
    5,000-character value would bury the message."""
    text = repr(value) if not isinstance(value, str) or len(value) <= limit else repr(value[:limit])
    return text if len(text) <= limit else f"{text[: limit - 5]}...{text[-1]}"


def json_path(path: Sequence[str | int]) -> str:
    """Render a location as a JSONPath expression: ``$.syscalls[3].names[0]``."""
    out = ["$"]
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif part.isidentifier():
            out.append(f".{part}")
        else:
            escaped = part.replace("\\", "\\\\").replace("'", "\\'")
            out.append(f"['{escaped}']")
    return "".join(out)


def json_pointer(path: Sequence[str | int]) -> str:
    """Render a location as an RFC 6901 JSON pointer: ``/syscalls/3/names/0``."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


class SeccompKitError(Exception):
    """Base of every error raised by seccomp_kit.

    ``path`` is the location of the offending field inside the document (empty for the whole
    document or when no document is involved); ``source`` names the file or stream, ``line`` and
    ``column`` are 1-based positions in that text when known.
    """

    def __init__(
        self,
        message: str,
        *,
        path: Sequence[str | int] = (),
        source: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path: JSONPath = tuple(path)
        self.source = source
        self.line = line
        self.column = column

    @property
    def json_path(self) -> str:
        return json_path(self.path)

    @property
    def pointer(self) -> str:
        return json_pointer(self.path)

    def location(self) -> str:
        """``file:line:column`` (the parts that are known), or the JSON path alone."""
        parts: list[str] = []
        if self.source is not None:
            parts.append(self.source)
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        where = ":".join(parts)
        if self.path:
            where = f"{where} {self.json_path}" if where else self.json_path
        return where

    def __str__(self) -> str:
        where = self.location()
        return f"{where}: {self.message}" if where else self.message


class InputError(SeccompKitError, ValueError):
    """The caller handed us something we cannot use (bad value, bad document, bad argument)."""


class LoadError(InputError):
    """A file or stream could not be read as text (missing, unreadable, binary, not UTF-8)."""


class ParseError(InputError):
    """The text is not valid JSON (or YAML); ``line`` and ``column`` say where it broke."""


class ProfileError(InputError):
    """The JSON is well formed but does not describe a seccomp profile the model can hold."""


class ValidationFailedError(InputError):
    """Raised by operations that need a valid profile when validation found errors."""

    def __init__(self, message: str, diagnostics: Sequence[object] = (), **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.diagnostics = tuple(diagnostics)


class CompileError(SeccompKitError):
    """libseccomp refused the profile; ``path`` names the rule it refused."""


class LibseccompUnavailableError(SeccompKitError):
    """The libseccomp shared library (or the pyseccomp binding) cannot be loaded."""
