"""JSON <-> model for every dialect, like the :mod:`json` module: load, loads, dump, dumps.

Output is canonical: a fixed key order and layout, so ``dumps(loads(dumps(p))) == dumps(p)``
and formatted files diff cleanly. A profile is written in the dialect it was read in unless
:func:`convert` turns it into another.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import IO, Any

import attrs

from seccomp_kit.errors import InputError, LoadError, ParseError, ProfileError, SeccompKitError
from seccomp_kit.io._positions import line_column, locate
from seccomp_kit.model import (
    ArchMapEntry,
    ArgCondition,
    CapFilter,
    Dialect,
    Profile,
    SourceText,
    SyscallRule,
)
from seccomp_kit.syscalls.errnos import errno_number

__all__ = [
    "MAX_DEPTH",
    "MAX_DOCUMENT_BYTES",
    "ProfileSource",
    "as_profile",
    "convert",
    "detect_dialect",
    "dump",
    "dumps",
    "from_data",
    "load",
    "loads",
    "parse_json",
    "read_path_bytes",
    "read_source",
    "to_data",
]

MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
"""Refuse larger inputs outright: a seccomp profile is kilobytes (the largest real ones are
tens of kilobytes, and a kernel filter holds at most 4096 instructions), so anything this big
is not a profile, and refusing it early keeps huge inputs from costing seconds."""

MAX_DEPTH = 64
"""Deepest nesting accepted: a profile nests five levels; this keeps recursion bounded."""

_PROFILE_KEYS = (
    "defaultAction",
    "defaultErrnoRet",
    "defaultErrno",
    "architectures",
    "archMap",
    "flags",
    "listenerPath",
    "listenerMetadata",
    "syscalls",
)
_RULE_KEYS = (
    "names",
    "name",
    "action",
    "errnoRet",
    "errno",
    "args",
    "comment",
    "includes",
    "excludes",
)
_MOBY_RULE_KEYS = frozenset({"name", "comment", "includes", "excludes"})

PathLike = str | os.PathLike[str]


# -- reading text ---------------------------------------------------------------------------


def read_source(source: PathLike | IO[str] | IO[bytes] | Traversable) -> tuple[str, str]:
    """Read a path or an open file as text; return ``(name, text)``.

    Bytes must be UTF-8 (a BOM is allowed). Binary junk, other encodings, unreadable and
    oversized files raise :class:`LoadError` naming the file and, for bad bytes, the position.
    """
    if isinstance(source, (str, os.PathLike)):
        name = os.fspath(source)
        data = read_path_bytes(name, MAX_DOCUMENT_BYTES, "a profile file")
    elif isinstance(source, Traversable) and not hasattr(source, "read"):
        # An importlib.resources Traversable (inside a wheel it is not a filesystem path).
        try:
            name = str(source)
        except TypeError:  # a zip archive opened from memory has no file name
            name = str(getattr(source, "name", "<resource>"))
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise LoadError(f"cannot read: {exc.strerror or exc}", source=name) from exc
    else:
        name = str(getattr(source, "name", "<stream>"))
        try:
            chunk: str | bytes = source.read(MAX_DOCUMENT_BYTES + 1)
        except OSError as exc:
            raise LoadError(f"cannot read: {exc.strerror or exc}", source=name) from exc
        except UnicodeDecodeError as exc:
            raise LoadError(f"not UTF-8 text: {exc.reason}", source=name) from exc
        if isinstance(chunk, str):
            _check_size(len(chunk.encode("utf-8", "surrogatepass")), name)
            return name, chunk
        data = chunk
    _check_size(len(data), name)
    return name, decode_text(data, name)


def read_path_bytes(name: str, limit: int, what: str) -> bytes:
    """Up to ``limit + 1`` bytes of the file ``name`` (one more than allowed, so the caller can
    tell an oversized file), with a :class:`LoadError` naming the file for anything unreadable.
    ``what`` says what the file should have been (``"a profile file"``)."""
    try:
        with open(name, "rb") as fh:
            return fh.read(limit + 1)
    except IsADirectoryError:
        raise LoadError(f"is a directory, not {what}", source=name) from None
    except FileNotFoundError:
        raise LoadError("no such file", source=name) from None
    except OSError as exc:
        raise LoadError(f"cannot read: {exc.strerror or exc}", source=name) from exc


def _check_size(size: int, name: str) -> None:
    if size > MAX_DOCUMENT_BYTES:
        raise LoadError(
            f"larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB; not a seccomp profile",
            source=name,
        )


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 bytes to text, with a position-bearing error for anything else."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LoadError("UTF-16 text; profiles must be UTF-8", source=name, line=1, column=1)
    nul = data.find(b"\x00", 0, 8192)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if 0 <= nul < exc.start:
            raise _binary(data, nul, name) from None
        prefix = data[: exc.start].decode("utf-8", "replace")
        line, column = line_column(prefix, len(prefix))
        raise LoadError(
            f"not UTF-8 text: byte 0x{data[exc.start]:02x} cannot be decoded",
            source=name,
            line=line,
            column=column,
        ) from None
    if nul >= 0:
        raise _binary(data, nul, name)
    return text


def _binary(data: bytes, nul: int, name: str) -> LoadError:
    prefix = data[:nul].decode("utf-8", "replace")
    line, column = line_column(prefix, len(prefix))
    return LoadError(
        "binary data (a NUL byte), not a JSON text", source=name, line=line, column=column
    )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    return dict(pairs)


# The longest number literal read: a uint64 has 20 digits, and a little room keeps "outside
# the uint64 range" answers for near misses; longer is refused before int() or float().
MAX_NUMBER_CHARS = 40


class _BadNumber(Exception):
    def __init__(self, literal: str, why: str) -> None:
        self.literal = literal
        self.why = why


def _int(literal: str) -> int:
    if len(literal) > MAX_NUMBER_CHARS:
        raise _BadNumber(literal, f"has {len(literal)} characters (at most {MAX_NUMBER_CHARS})")
    return int(literal)


def _float(literal: str) -> float:
    if len(literal) > MAX_NUMBER_CHARS:
        raise _BadNumber(literal, f"has {len(literal)} characters (at most {MAX_NUMBER_CHARS})")
    value = float(literal)
    if not math.isfinite(value):  # 1e400: no writer could give it back as JSON
        raise _BadNumber(literal, "is beyond a 64-bit float")
    return value


_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|-?[0-9][0-9.eE+-]*')


def _number_offset(text: str, literal: str) -> int | None:
    """Offset of the first number token ``literal`` outside strings."""
    for match in _TOKENS.finditer(text):
        if match.group() == literal:
            return match.start()
    return None


def _lone_surrogate(data: Any) -> tuple[str | int, ...] | None:
    """The path of the first key or string holding a lone surrogate (``"\\ud800"`` in JSON is
    valid syntax but no UTF-8 writer can give it back), or None."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if not value.isascii() and not unicode_text(value):
                return path
        elif isinstance(value, dict):
            for key, child in value.items():
                if not key.isascii() and not unicode_text(key):
                    # The path names the key escaped: an error message must be text too.
                    return (*path, key.encode("utf-8", "backslashreplace").decode("utf-8"))
                stack.append((child, (*path, key)))
        elif isinstance(value, list):
            stack.extend((child, (*path, i)) for i, child in enumerate(value))
    return None


def unicode_text(text: str) -> bool:
    """Whether ``text`` is valid Unicode (no lone surrogate), so every writer can take it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_json(text: str, name: str = "<string>") -> Any:
    """Parse JSON text strictly (no NaN/Infinity), raising :class:`ParseError` with position.

    Refused too, each with its position: a number literal longer than MAX_NUMBER_CHARS or beyond
    a float's range, and a lone surrogate in a string (valid JSON, but not Unicode text)."""
    if not text.strip():
        raise ParseError("empty document; expected a JSON object", source=name, line=1, column=1)
    try:
        data = json.loads(
            text,
            parse_constant=_reject_constant,
            object_pairs_hook=_pairs,
            parse_int=_int,
            parse_float=_float,
        )
    except _BadNumber as exc:
        offset = _number_offset(text, exc.literal)
        line, column = line_column(text, offset) if offset is not None else (None, None)
        shown = exc.literal if len(exc.literal) <= 24 else exc.literal[:20] + "..."
        raise ParseError(
            f"invalid JSON: the number {shown} {exc.why}",
            source=name,
            line=line,
            column=column,
        ) from None
    except json.JSONDecodeError as exc:
        raise ParseError(
            f"invalid JSON: {exc.msg}", source=name, line=exc.lineno, column=exc.colno
        ) from None
    except RecursionError:
        data = _TOO_DEEP  # reported with its position below
    except ValueError as exc:  # NaN, or an integer with more digits than Python converts
        raise ParseError(f"invalid JSON: {exc}", source=name) from None
    if data is _TOO_DEEP or _too_deep(data):
        offset = _deep_offset(text)
        line, column = line_column(text, offset) if offset is not None else (None, None)
        raise ParseError(
            f"nested more than {MAX_DEPTH} levels deep; a seccomp profile nests five",
            source=name,
            line=line,
            column=column,
        )
    if not text.isascii() or "\\u" in text:
        where = _lone_surrogate(data)
        if where is not None:
            offset = locate(text, where)
            if offset is None:  # an escaped key: its object's position
                offset = locate(text, where[:-1])
            line, column = line_column(text, offset) if offset is not None else (None, None)
            raise ParseError(
                "a lone UTF-16 surrogate (like \\ud800) is not Unicode text; write the"
                " character itself, or a surrogate pair",
                path=where,
                source=name,
                line=line,
                column=column,
            )
    return data


_TOO_DEEP = object()


def _too_deep(data: Any) -> bool:
    """Whether ``data`` nests deeper than MAX_DEPTH (iteratively: no recursion to exhaust)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > MAX_DEPTH:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _deep_offset(text: str) -> int | None:
    """Offset of the first bracket nested deeper than MAX_DEPTH."""
    depth = 0
    for match in _BRACKETS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return match.start()
        elif token in "]}":
            depth -= 1
    return None


# -- data -> model --------------------------------------------------------------------------


class _Reader:
    """Converts parsed JSON to the model, raising ProfileError with the path of the bad field."""

    def __init__(self, source: SourceText | None) -> None:
        self.source = source

    def fail(self, message: str, path: Sequence[str | int]) -> ProfileError:
        line = column = None
        if self.source is not None:
            offset = locate(self.source.text, path)
            if offset is not None:
                line, column = line_column(self.source.text, offset)
        name = self.source.name if self.source else None
        return ProfileError(message, path=path, source=name, line=line, column=column)

    def typed(
        self, value: Any, kind: type | tuple[type, ...], what: str, path: Sequence[str | int]
    ) -> Any:
        if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
            raise self.fail(f"expected {what}, got {_json_type(value)}", path)
        return value

    def uint(self, value: Any, bits: int, path: Sequence[str | int]) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # JSON has one number type; 1.0 is the integer 1
        self.typed(value, int, "an integer", path)
        if not 0 <= value < (1 << bits):
            raise self.fail(f"{value} is outside the uint{bits} range 0..{(1 << bits) - 1}", path)
        return int(value)

    def opt(self, obj: Mapping[str, Any], key: str, path: Sequence[str | int]) -> Any:
        return obj.get(key)

    def strings(self, value: Any, path: Sequence[str | int]) -> tuple[str, ...]:
        if value is None:
            return ()
        self.typed(value, list, "an array of strings", path)
        for i, item in enumerate(value):
            self.typed(item, str, "a string", (*path, i))
        return tuple(value)

    def opt_str(self, value: Any, path: Sequence[str | int]) -> str | None:
        return None if value is None else self.typed(value, str, "a string", path)

    def extras(self, obj: Mapping[str, Any], known: Sequence[str]) -> tuple[tuple[str, str], ...]:
        return tuple(
            (k, json.dumps(v, sort_keys=True, separators=(",", ":")))
            for k, v in sorted(obj.items())
            if k not in known
        )

    def profile(self, data: Any) -> Profile:
        if not isinstance(data, dict):
            raise self.fail(f"a seccomp profile is a JSON object, not {_json_type(data)}", ())
        if "defaultAction" not in data:
            hint = _not_a_profile_hint(data)
            raise self.fail(f"missing required field 'defaultAction'{hint}", ())
        action = self.typed(data["defaultAction"], str, "an action name", ("defaultAction",))
        errno_ret = data.get("defaultErrnoRet")
        errno_name = self.opt_str(data.get("defaultErrno"), ("defaultErrno",))
        if errno_name is not None:
            self.errno(errno_name, ("defaultErrno",))
        syscalls = data.get("syscalls")
        if syscalls is not None:
            self.typed(syscalls, list, "an array of syscall rules", ("syscalls",))
        arch_map = data.get("archMap")
        if arch_map is not None:
            self.typed(arch_map, list, "an array of archMap entries", ("archMap",))
        return Profile(
            default_action=action,
            default_errno_ret=None
            if errno_ret is None
            else self.uint(errno_ret, 32, ("defaultErrnoRet",)),
            default_errno_name=errno_name,
            architectures=self.strings(data.get("architectures"), ("architectures",)),
            arch_map=tuple(
                self.arch_entry(e, ("archMap", i)) for i, e in enumerate(arch_map or ())
            ),
            flags=self.strings(data.get("flags"), ("flags",)),
            listener_path=self.opt_str(data.get("listenerPath"), ("listenerPath",)),
            listener_metadata=self.opt_str(data.get("listenerMetadata"), ("listenerMetadata",)),
            syscalls=tuple(self.rule(r, ("syscalls", i)) for i, r in enumerate(syscalls or ())),
            dialect=detect_dialect(data),
            extras=self.extras(data, _PROFILE_KEYS),
            source=self.source,
        )

    def errno(self, name: str, path: Sequence[str | int]) -> int:
        try:
            return errno_number(name)
        except SeccompKitError as exc:
            raise self.fail(exc.message, path) from None

    def arch_entry(self, data: Any, path: tuple[str | int, ...]) -> ArchMapEntry:
        self.typed(data, dict, "an archMap entry object", path)
        if "architecture" not in data:
            raise self.fail("archMap entry lacks 'architecture'", path)
        return ArchMapEntry(
            architecture=self.typed(
                data["architecture"], str, "an architecture name", (*path, "architecture")
            ),
            sub_architectures=self.strings(
                data.get("subArchitectures"), (*path, "subArchitectures")
            ),
        )

    def rule(self, data: Any, path: tuple[str | int, ...]) -> SyscallRule:
        self.typed(data, dict, "a syscall rule object", path)
        if "action" not in data:
            raise self.fail("syscall rule lacks 'action'", path)
        names = self.strings(data.get("names"), (*path, "names"))
        legacy = data.get("name")
        legacy_name = False
        known: tuple[str, ...] = _RULE_KEYS
        if legacy is not None and "names" not in data:
            names = (self.typed(legacy, str, "a syscall name", (*path, "name")),)
            legacy_name = True
        elif legacy is not None:
            # moby refuses a rule with both; keep `name` verbatim so validation can say so.
            known = tuple(k for k in _RULE_KEYS if k != "name")
        elif "names" not in data:
            raise self.fail("syscall rule has neither 'names' nor 'name'", path)
        errno_ret = data.get("errnoRet")
        errno_name = self.opt_str(data.get("errno"), (*path, "errno"))
        if errno_name is not None:
            self.errno(errno_name, (*path, "errno"))
        args = data.get("args")
        if args is not None:
            self.typed(args, list, "an array of argument conditions", (*path, "args"))
        return SyscallRule(
            names=names,
            action=self.typed(data["action"], str, "an action name", (*path, "action")),
            errno_ret=None if errno_ret is None else self.uint(errno_ret, 32, (*path, "errnoRet")),
            args=tuple(self.arg(a, (*path, "args", i)) for i, a in enumerate(args or ())),
            errno_name=errno_name,
            comment=self.opt_str(data.get("comment"), (*path, "comment")),
            includes=self.cap_filter(data.get("includes"), (*path, "includes")),
            excludes=self.cap_filter(data.get("excludes"), (*path, "excludes")),
            legacy_name=legacy_name,
            extras=self.extras(data, known),
        )

    def cap_filter(self, data: Any, path: tuple[str | int, ...]) -> CapFilter:
        if data is None:
            return CapFilter()
        self.typed(data, dict, "an object with caps, arches, minKernel", path)
        return CapFilter(
            caps=self.strings(data.get("caps"), (*path, "caps")),
            arches=self.strings(data.get("arches"), (*path, "arches")),
            min_kernel=self.opt_str(data.get("minKernel"), (*path, "minKernel")),
        )

    def arg(self, data: Any, path: tuple[str | int, ...]) -> ArgCondition:
        self.typed(data, dict, "an argument condition object", path)
        for key in ("index", "value", "op"):
            if key not in data:
                raise self.fail(f"argument condition lacks '{key}'", path)
        value_two = data.get("valueTwo")
        return ArgCondition(
            index=self.uint(data["index"], 32, (*path, "index")),
            value=self.uint(data["value"], 64, (*path, "value")),
            op=self.typed(data["op"], str, "an operator name", (*path, "op")),
            value_two=None if value_two is None else self.uint(value_two, 64, (*path, "valueTwo")),
        )


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}" if len(value) < 40 else "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _not_a_profile_hint(data: Mapping[str, Any]) -> str:
    if "linux" in data and isinstance(data["linux"], dict) and "seccomp" in data["linux"]:
        return "; this looks like an OCI config.json: the profile is its linux.seccomp object"
    if {"hook", "stages"} & data.keys():
        return "; this looks like an OCI hooks configuration, not a seccomp profile"
    if {"apiVersion", "kind"} <= data.keys():
        return "; this looks like a Kubernetes resource (see 'seccomp-kit k8s import')"
    keys = ", ".join(sorted(data)[:5])
    return f"; the object has {keys}" if keys else "; the object is empty"


def detect_dialect(data: Mapping[str, Any]) -> Dialect:
    """containers/common if errno names appear, moby if any moby-only field does, else OCI."""
    rules = [r for r in data.get("syscalls") or () if isinstance(r, dict)]
    if "defaultErrno" in data or any("errno" in r for r in rules):
        return Dialect.CONTAINERS
    if "archMap" in data or any(_MOBY_RULE_KEYS & r.keys() for r in rules):
        return Dialect.MOBY
    return Dialect.OCI


def from_data(data: Any, *, source: SourceText | None = None) -> Profile:
    """Build a :class:`Profile` from parsed JSON (dicts and lists)."""
    return _Reader(source).profile(data)


def loads(text: str | bytes, *, name: str = "<string>") -> Profile:
    """Parse a profile from JSON text (any dialect)."""
    if isinstance(text, (bytes, bytearray)):
        _check_size(len(text), name)
        text = decode_text(bytes(text), name)
    data = parse_json(text, name)
    return from_data(data, source=SourceText(name, text))


def load(source: PathLike | IO[str] | IO[bytes] | Traversable) -> Profile:
    """Read a profile from a path or an open file."""
    name, text = read_source(source)
    return from_data(parse_json(text, name), source=SourceText(name, text))


ProfileSource = Profile | PathLike | IO[str] | IO[bytes] | Traversable
"""What every library function that reads a profile takes: the model, a path or an open file."""


def as_profile(source: ProfileSource) -> Profile:
    """``source`` as a :class:`Profile`: returned as is, or loaded from the path or open file
    (a ``str`` is always a path), so every function takes what :func:`validate` takes."""
    if isinstance(source, Profile):
        return source
    if isinstance(source, (str, os.PathLike, Traversable)) or hasattr(source, "read"):
        return load(source)
    hint = "; for JSON text use loads()" if isinstance(source, (bytes, bytearray)) else ""
    raise InputError(
        f"expected a Profile, a path or an open file, got {type(source).__name__}{hint}"
    )


# -- model -> data --------------------------------------------------------------------------


def to_data(profile: Profile, dialect: Dialect | None = None) -> dict[str, Any]:
    """The profile as JSON-ready dicts in canonical key order, in ``dialect`` (default: its own).

    Fields the target dialect cannot hold are not silently lost: use :func:`convert` first,
    which reports them; this function raises if any remain.
    """
    dialect = profile.dialect if dialect is None else Dialect(dialect)
    if dialect is not profile.dialect:
        profile, dropped = convert(profile, dialect)
        if dropped:
            raise ProfileError(
                f"converting to {dialect.value} would drop: {'; '.join(dropped)}"
                " (use seccomp_kit.io.convert to accept that)"
            )
    out: dict[str, Any] = {"defaultAction": str(profile.default_action)}
    if profile.default_errno_ret is not None:
        out["defaultErrnoRet"] = profile.default_errno_ret
    if profile.default_errno_name is not None:
        out["defaultErrno"] = profile.default_errno_name
    if profile.architectures:
        out["architectures"] = [str(a) for a in profile.architectures]
    if profile.arch_map:
        out["archMap"] = [
            {
                "architecture": str(e.architecture),
                "subArchitectures": [str(s) for s in e.sub_architectures],
            }
            for e in profile.arch_map
        ]
    if profile.flags:
        out["flags"] = [str(f) for f in profile.flags]
    if profile.listener_path is not None:
        out["listenerPath"] = profile.listener_path
    if profile.listener_metadata is not None:
        out["listenerMetadata"] = profile.listener_metadata
    if profile.syscalls:
        out["syscalls"] = [_rule_data(r) for r in profile.syscalls]
    for key, text in profile.extras:
        out[key] = json.loads(text)
    return out


def _rule_data(rule: SyscallRule) -> dict[str, Any]:
    out: dict[str, Any]
    if rule.legacy_name and len(rule.names) == 1:
        out = {"name": rule.names[0], "action": str(rule.action)}
    else:
        out = {"names": list(rule.names), "action": str(rule.action)}
    if rule.errno_ret is not None:
        out["errnoRet"] = rule.errno_ret
    if rule.errno_name is not None:
        out["errno"] = rule.errno_name
    if rule.args:
        out["args"] = [_arg_data(a) for a in rule.args]
    if rule.comment is not None:
        out["comment"] = rule.comment
    for key, flt in (("includes", rule.includes), ("excludes", rule.excludes)):
        if flt:
            part: dict[str, Any] = {}
            if flt.caps:
                part["caps"] = list(flt.caps)
            if flt.arches:
                part["arches"] = list(flt.arches)
            if flt.min_kernel is not None:
                part["minKernel"] = flt.min_kernel
            out[key] = part
    for key, text in rule.extras:
        out[key] = json.loads(text)
    return out


def _arg_data(arg: ArgCondition) -> dict[str, Any]:
    out: dict[str, Any] = {"index": arg.index, "value": arg.value}
    if arg.value_two is not None:
        out["valueTwo"] = arg.value_two
    out["op"] = str(arg.op)
    return out


def convert(profile: Profile, dialect: Dialect | str) -> tuple[Profile, list[str]]:
    """Rewrite ``profile`` in ``dialect``; return it with a list of what had to be dropped.

    To OCI: errno names become numbers, ``archMap`` is flattened into ``architectures`` (every
    entry and sub-architecture: the host-independent reading), comments are dropped, and rules
    with ``includes``/``excludes`` conditions are dropped because plain OCI cannot say them
    (``seccomp-kit resolve`` turns them into the rules one host really gets). To moby: errno
    names become numbers. Unknown extra keys are kept in every dialect.
    """
    target = Dialect(dialect)
    dropped: list[str] = []
    if target is Dialect.CONTAINERS or target is profile.dialect:
        return attrs.evolve(profile, dialect=target), dropped
    default_ret = profile.default_errno_ret
    if profile.default_errno_name is not None:
        default_ret = errno_number(profile.default_errno_name)
    rules: list[SyscallRule] = []
    for i, rule in enumerate(profile.syscalls):
        ret = rule.errno_ret if rule.errno_name is None else errno_number(rule.errno_name)
        converted = attrs.evolve(rule, errno_ret=ret, errno_name=None)
        if target is Dialect.OCI:
            if rule.includes or rule.excludes:
                names = ", ".join(rule.names)
                dropped.append(
                    f"$.syscalls[{i}] ({names}): conditional on includes/excludes;"
                    " use 'seccomp-kit resolve' for one host's rules"
                )
                continue
            if rule.comment:
                dropped.append(f"$.syscalls[{i}].comment")
            converted = attrs.evolve(converted, comment=None, legacy_name=False)
        rules.append(converted)
    archs = profile.architectures
    if target is Dialect.OCI and profile.arch_map:
        archs = profile.all_architectures()
    return (
        attrs.evolve(
            profile,
            default_errno_ret=default_ret,
            default_errno_name=None,
            syscalls=tuple(rules),
            architectures=archs,
            arch_map=() if target is Dialect.OCI else profile.arch_map,
            dialect=target,
        ),
        dropped,
    )


# -- canonical text -------------------------------------------------------------------------

_INLINE = frozenset({"args"})


def _emit(value: Any, indent: int, key: str | None = None) -> Iterator[str]:
    pad = "  " * indent
    if isinstance(value, dict):
        if not value:
            yield "{}"
            return
        yield "{\n"
        items = list(value.items())
        for n, (k, v) in enumerate(items):
            yield f"{pad}  {json.dumps(k)}: "
            yield from _emit(v, indent + 1, k)
            yield ",\n" if n < len(items) - 1 else "\n"
        yield pad + "}"
    elif isinstance(value, list):
        if not value:
            yield "[]"
            return
        if key in _INLINE:
            # One argument condition a line: they read as a unit.
            yield "[\n"
            for n, item in enumerate(value):
                yield f"{pad}  {json.dumps(item, separators=(', ', ': '))}"
                yield ",\n" if n < len(value) - 1 else "\n"
            yield pad + "]"
            return
        yield "[\n"
        for n, item in enumerate(value):
            yield pad + "  "
            yield from _emit(item, indent + 1)
            yield ",\n" if n < len(value) - 1 else "\n"
        yield pad + "]"
    else:
        yield json.dumps(value, ensure_ascii=False)


def dumps(profile: Profile, *, dialect: Dialect | str | None = None) -> str:
    """Canonical JSON text of ``profile`` (two-space indent, fixed key order, final newline)."""
    data = to_data(profile, None if dialect is None else Dialect(dialect))
    return "".join(_emit(data, 0)) + "\n"


def dump(
    profile: Profile, file: PathLike | IO[str], *, dialect: Dialect | str | None = None
) -> None:
    """Write :func:`dumps` output to a path or an open text file."""
    text = dumps(profile, dialect=dialect)
    if isinstance(file, (str, os.PathLike)):
        Path(file).write_text(text, encoding="utf-8")
    else:
        file.write(text)
