"""Validate a profile: JSON Schema for its dialect, then the semantic checks, ranked.

``validate`` never raises for a bad *profile*: every problem the document has, structural or
semantic, comes back as a :class:`~seccomp_kit.diagnostics.Diagnostic` with its JSON path and,
when the profile was read from text, line and column. It raises only when there is no document
to judge: the input cannot be read (:class:`~seccomp_kit.errors.LoadError`) or is not JSON
(:class:`~seccomp_kit.errors.ParseError`, with line and column).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from importlib.resources.abc import Traversable
from typing import IO, Any

from seccomp_kit.diagnostics import Diagnostic, Severity, has_errors, sort_diagnostics
from seccomp_kit.errors import InputError, JSONPath, ProfileError, ValidationFailedError
from seccomp_kit.io import detect_dialect, from_data, parse_json, read_source, to_data
from seccomp_kit.io._positions import Locator
from seccomp_kit.libseccomp.targets import Target, target
from seccomp_kit.model import Arch, Dialect, Profile, SourceText
from seccomp_kit.syscalls.arches import parse_arch
from seccomp_kit.syscalls.errnos import errno_number
from seccomp_kit.validation._salvage import salvage
from seccomp_kit.validation._target import target_checks
from seccomp_kit.validation.schema import schema_errors
from seccomp_kit.validation.semantics import semantic_checks

__all__ = ["check", "validate", "validate_text"]

Source = Profile | str | os.PathLike[str] | IO[str] | IO[bytes] | Traversable


def validate(
    profile_or_path: Source,
    *,
    runtime: str | Target = "runc",
    arch: Arch | str | None = None,
    kernel: str | tuple[int, int] | None = None,
    libseccomp: str = "installed",
) -> list[Diagnostic]:
    """Every problem of a profile, in document order.

    ``profile_or_path`` is a :class:`~seccomp_kit.model.Profile`, a path, or an open file. A
    ``str`` is always a path; use :func:`validate_text` for JSON text. ``runtime`` and
    ``libseccomp`` name the target whose behaviour the checks describe (``"runc"``,
    ``"crun@1.8.1"``, ``"oci"`` for the spec's word…, see
    :func:`~seccomp_kit.libseccomp.targets.target`): what the target refuses is an error, so a
    profile without errors is one the runtime loads; ``arch`` checks syscall names for that
    architecture only (and is the host of the target's filter); ``kernel`` (``"5.10"``) reports
    syscalls newer than that kernel.
    """
    tgt = target(runtime, libseccomp)
    if isinstance(profile_or_path, Profile):
        return _validate_profile(profile_or_path, tgt, arch, kernel)
    name, text = read_source(profile_or_path)
    return validate_text(text, name=name, runtime=tgt, arch=arch, kernel=kernel)


def validate_text(
    text: str | bytes,
    *,
    name: str = "<string>",
    runtime: str | Target = "runc",
    arch: Arch | str | None = None,
    kernel: str | tuple[int, int] | None = None,
    libseccomp: str = "installed",
) -> list[Diagnostic]:
    """:func:`validate` for JSON text; ``name`` is the file name diagnostics carry."""
    tgt = target(runtime, libseccomp)
    if isinstance(text, (bytes, bytearray)):
        from seccomp_kit.io import decode_text

        text = decode_text(bytes(text), name)
    data = parse_json(text, name)
    return _validate_document(data, text, name, tgt, arch, kernel)


def check(
    profile_or_path: Source,
    *,
    runtime: str | Target = "runc",
    arch: Arch | str | None = None,
    kernel: str | tuple[int, int] | None = None,
    libseccomp: str = "installed",
) -> list[Diagnostic]:
    """:func:`validate`, raising :class:`ValidationFailedError` if any error was found.

    Returns the remaining (warning and info) diagnostics otherwise. The exception carries every
    diagnostic in ``.diagnostics`` and the place of the first error.
    """
    diags = validate(
        profile_or_path, runtime=runtime, arch=arch, kernel=kernel, libseccomp=libseccomp
    )
    errors = [d for d in diags if d.severity is Severity.ERROR]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more errors)" if len(errors) > 1 else ""
        raise ValidationFailedError(
            f"{first.code} {first.message}{more}",
            diags,
            path=first.path,
            source=first.file,
            line=first.line,
            column=first.column,
        )
    return diags


def _host(arch: Arch | str | None) -> Arch | None:
    return None if arch is None else parse_arch(arch)


def _validate_profile(
    profile: Profile, tgt: Target, arch: Arch | str | None, kernel: Any
) -> list[Diagnostic]:
    runtime = tgt.runtime_name
    data = to_data(profile)
    text = name = None
    source = profile.source
    if source is not None:
        # Positions only when the source still says what the profile says (not evolved since).
        try:
            if from_data(parse_json(source.text, source.name)) == profile:
                text, name = source.text, source.name
        except InputError:
            pass
    first = schema_errors(data, profile.dialect, runtime=runtime, file=name, text=text)
    later = semantic_checks(profile, runtime=runtime, arch=arch, kernel=kernel)
    later += target_checks(profile, tgt, _host(arch), [*first, *later])
    return _finish(first, later, text, name)


def _validate_document(  # noqa: PLR0917
    data: Any,
    text: str,
    name: str,
    tgt: Target,
    arch: Arch | str | None,
    kernel: Any,
) -> list[Diagnostic]:
    runtime = tgt.runtime_name
    dialect = detect_dialect(data) if isinstance(data, dict) else Dialect.OCI
    first = schema_errors(data, dialect, runtime=runtime, file=name, text=text)
    source = SourceText(name, text)
    cut: list[JSONPath] = []
    try:
        profile = from_data(_without_bad_errno_names(data), source=source)
    except ProfileError as exc:
        if not has_errors(first):
            first.append(
                Diagnostic(
                    Severity.ERROR,
                    "SK008",
                    exc.message,
                    exc.path,
                    line=exc.line,
                    column=exc.column,
                    file=name,
                )
            )
            return sort_diagnostics(first)
        # The schema has said what is wrong there; check what the rest of the document says.
        salvaged, cut = salvage(_without_bad_errno_names(data), source)
        if salvaged is None:
            return sort_diagnostics(first)
        profile = salvaged
    later = _unknown_errno_names(data)
    later.extend(
        d
        for d in semantic_checks(profile, runtime=runtime, arch=arch, kernel=kernel)
        if not any(d.path[: len(c)] == c for c in cut)
    )
    later += [
        d
        for d in target_checks(profile, tgt, _host(arch), [*first, *later])
        if not any(d.path[: len(c)] == c for c in cut)
    ]
    return _finish(first, later, text, name)


def _without_bad_errno_names(data: Any) -> Any:
    """``data`` minus errno names that do not exist, which the model cannot hold.

    The semantic checks report them (SK106) from the names the model keeps; here they are
    dropped so the rest of the profile can still be checked.
    """
    if not isinstance(data, dict):
        return data

    def bad(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        try:
            errno_number(value)
        except InputError:
            return True
        return False

    out = dict(data)
    if bad(out.get("defaultErrno")):
        del out["defaultErrno"]
    rules = out.get("syscalls")
    if isinstance(rules, list) and any(isinstance(r, dict) and bad(r.get("errno")) for r in rules):
        out["syscalls"] = [
            {k: v for k, v in r.items() if k != "errno"}
            if isinstance(r, dict) and bad(r.get("errno"))
            else r
            for r in rules
        ]
    return out


def _unknown_errno_names(data: Any) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    if not isinstance(data, dict):
        return out
    places: list[tuple[Any, tuple[str | int, ...]]] = [
        (data.get("defaultErrno"), ("defaultErrno",))
    ]
    rules = data.get("syscalls")
    if isinstance(rules, list):
        places.extend(
            (r.get("errno"), ("syscalls", i, "errno"))
            for i, r in enumerate(rules)
            if isinstance(r, dict)
        )
    for value, path in places:
        if isinstance(value, str):
            try:
                errno_number(value)
            except InputError as exc:
                out.append(
                    Diagnostic(
                        Severity.ERROR,
                        "SK106",
                        f"unknown errno name {value!r}: containers/common refuses the profile",
                        path,
                        suggestion=exc.message.partition("; ")[2] or None,
                    )
                )
    return out


def _finish(
    first: list[Diagnostic],
    later: Sequence[Diagnostic],
    text: str | None,
    name: str | None,
) -> list[Diagnostic]:
    """Merge schema and semantic findings (one per code and place), add positions, sort."""
    seen = {(d.code, d.path) for d in first}
    out = list(first)
    locator = None if text is None else Locator(text)
    for diag in later:
        if (diag.code, diag.path) in seen:
            continue
        seen.add((diag.code, diag.path))
        line = column = None
        if text is not None and locator is not None:
            offset = locator.offset(diag.path)
            if offset is not None and diag.code == "SK105" and isinstance(diag.path[-1], str):
                # An unknown key: point at the key, not at its value.
                key_at = text.rfind(json.dumps(diag.path[-1], ensure_ascii=False), 0, offset)
                offset = key_at if key_at >= 0 else offset
            if offset is not None:
                line, column = locator.line_column(offset)
        out.append(
            Diagnostic(
                diag.severity,
                diag.code,
                diag.message,
                diag.path,
                line=line if line is not None else diag.line,
                column=column if column is not None else diag.column,
                file=name if name is not None else diag.file,
                suggestion=diag.suggestion,
            )
        )
    return sort_diagnostics(out)
