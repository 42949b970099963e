"""Our JSON Schemas (draft 2020-12) for the OCI, moby and containers/common dialects.

The schemas live in ``schemas/`` (``seccomp_kit/schemas`` inside a wheel) and are read through
:func:`seccomp_kit.io.resources.schemas_dir`. Validators are compiled once per dialect and cached.

"integer" means an integer literal here, as in the OCI reference schema's draft-04 and in the
Go and C decoders of runc and crun: ``1.0`` is refused where an integer belongs.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from seccomp_kit.diagnostics import Diagnostic, Severity
from seccomp_kit.errors import SeccompKitError
from seccomp_kit.io.resources import schemas_dir
from seccomp_kit.model import Action, Arch, Dialect, Flag, Operator

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator

__all__ = [
    "SCHEMA_FILES",
    "schema_errors",
    "schema_for",
    "validator_for",
]

SCHEMA_FILES: Mapping[Dialect, str] = {
    Dialect.OCI: "seccomp-oci.schema.json",
    Dialect.MOBY: "seccomp-moby.schema.json",
    Dialect.CONTAINERS: "seccomp-containers.schema.json",
}

# Optional fields whose ``null`` runc's and crun's decoders read as "absent", while the OCI
# schema refuses it. Under those runtimes a null there is a warning, not an error.
_NULLABLE_OPTIONAL = frozenset(
    {
        "defaultErrnoRet",
        "architectures",
        "flags",
        "listenerPath",
        "listenerMetadata",
        "syscalls",
        "errnoRet",
        "args",
        "valueTwo",
    }
)

_ENUM_CODES: tuple[tuple[frozenset[str], str, str], ...] = (
    (frozenset(a.value for a in Action), "SK101", "action"),
    (frozenset(a.value for a in Arch), "SK102", "architecture"),
    (frozenset(o.value for o in Operator), "SK103", "operator"),
    (frozenset(f.value for f in Flag), "SK104", "flag"),
)


@cache
def _raw_schemas() -> dict[str, dict[str, Any]]:
    """Every schema file by its ``$id``."""
    out: dict[str, dict[str, Any]] = {}
    folder = schemas_dir()
    for name in SCHEMA_FILES.values():
        data = json.loads(folder.joinpath(name).read_text(encoding="utf-8"))
        out[data["$id"]] = data
    return out


def _raw_schema(dialect: Dialect) -> dict[str, Any]:
    """The cached (shared: not to be modified) schema of ``dialect``."""
    name = SCHEMA_FILES[dialect]
    for data in _raw_schemas().values():
        if data["$id"].endswith("/" + name):
            return data
    raise SeccompKitError(f"schema {name} is missing from this install")  # pragma: no cover


def schema_for(dialect: Dialect | str) -> dict[str, Any]:
    """The parsed JSON Schema of ``dialect`` (a fresh copy: callers may modify it)."""
    return json.loads(json.dumps(_raw_schema(Dialect(dialect))))  # type: ignore[no-any-return]


def validator_for(dialect: Dialect | str) -> Validator:
    """A compiled, cached Draft 2020-12 validator for ``dialect``'s schema."""
    return _validator(Dialect(dialect))


@cache
def _validator(dialect: Dialect) -> Validator:
    from jsonschema import Draft202012Validator, validators
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    def is_integer(checker: object, instance: object) -> bool:
        return isinstance(instance, int) and not isinstance(instance, bool)

    checker = Draft202012Validator.TYPE_CHECKER.redefine("integer", is_integer)
    cls = validators.extend(Draft202012Validator, type_checker=checker)  # type: ignore[no-untyped-call]
    registry: Registry[Any] = Registry().with_resources(
        (uri, Resource.from_contents(data, default_specification=DRAFT202012))
        for uri, data in _raw_schemas().items()
    )
    schema = _raw_schema(dialect)
    # Local references resolved once here instead of on every use: the same schema, faster.
    validator: Validator = cls(_inline(schema, schema.get("$defs", {})), registry=registry)
    return validator


def _inline(node: Any, defs: Mapping[str, Any]) -> Any:
    """``node`` with every ``{"$ref": "#/$defs/NAME"}`` replaced by that (inlined) definition."""
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/") and len(node) == 1:
        return _inline(defs[ref.removeprefix("#/$defs/")], defs)
    return {key: _inline(value, defs) for key, value in node.items()}


def schema_errors(
    data: Any,
    dialect: Dialect | str,
    *,
    runtime: str = "runc",
    file: str | None = None,
    text: str | None = None,
) -> list[Diagnostic]:
    """Every way ``data`` breaks ``dialect``'s schema, as diagnostics.

    With ``text`` (the JSON the data was parsed from) each diagnostic gets a line and column.
    """
    from seccomp_kit.io._positions import Locator

    locator = None if text is None else Locator(text)
    diags: list[Diagnostic] = []
    checked = _condensed(data)
    translated = [_translate(e, runtime) for e in validator_for(dialect).iter_errors(checked)]
    # A value of the wrong type also fails its enum; the type error says it all.
    mistyped = {d.path for d in translated if d.code == "SK001"}
    for diag in translated:
        if diag.path in mistyped and diag.code != "SK001":
            continue
        line = column = None
        if locator is not None:
            offset = locator.offset(diag.path)
            if offset is not None:
                line, column = locator.line_column(offset)
        diags.append(
            Diagnostic(
                diag.severity,
                diag.code,
                diag.message,
                diag.path,
                line=line,
                column=column,
                file=file,
                suggestion=diag.suggestion,
            )
        )
    return diags


def _condensed(data: Any) -> Any:
    """``data`` with each all-string ``names`` list cut to its first name.

    Every schema says the same of ``names``: an array of strings, at least one. A list that is
    all strings meets that exactly as its first element alone does, and an error can only be
    about a list that is not all strings, which is kept whole. So the verdict and every error
    path are unchanged, while jsonschema no longer walks hundreds of names one by one (most of
    the time of validating a large profile).
    """
    if not isinstance(data, dict):
        return data
    rules = data.get("syscalls")
    if not isinstance(rules, list):
        return data
    condensed = []
    changed = False
    for rule in rules:
        names = rule.get("names") if isinstance(rule, dict) else None
        if isinstance(names, list) and len(names) > 1 and all(isinstance(n, str) for n in names):
            condensed.append({**rule, "names": names[:1]})
            changed = True
        else:
            condensed.append(rule)
    return {**data, "syscalls": condensed} if changed else data


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    """The errors that explain an anyOf failure, skipping the ``null`` alternative."""
    for sub in error.context or ():
        if sub.validator == "type" and sub.validator_value == "null":
            continue
        if sub.context:
            yield from _leaves(sub)
        else:
            yield sub


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return f"the integer {value}"
    if isinstance(value, float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value!r}" if len(value) <= 40 else "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


_TYPE_WORDS = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "null": "null",
}


def _expected(types: str | Sequence[str]) -> str:
    if isinstance(types, str):
        types = [types]
    words = [_TYPE_WORDS.get(t, t) for t in types if t != "null"]
    return " or ".join(words) if words else "null"


def _translate(error: ValidationError, runtime: str) -> Diagnostic:
    if error.validator == "anyOf":
        message = error.schema.get("x-message") if isinstance(error.schema, dict) else None
        if message:
            return Diagnostic(Severity.ERROR, "SK002", message, tuple(error.absolute_path))
        leaves = list(_leaves(error))
        if leaves:
            from jsonschema.exceptions import best_match

            best = best_match(leaves)
            if best is not None:
                return _translate(best, runtime)
    path: tuple[str | int, ...] = tuple(error.absolute_path)
    instance = error.instance
    where = path[-1] if path else None
    kind = error.validator
    if kind == "type":
        expected = _expected(error.validator_value)  # type: ignore[arg-type]
        if instance is None and where in _NULLABLE_OPTIONAL and runtime in ("runc", "crun"):
            return Diagnostic(
                Severity.WARNING,
                "SK001",
                f"null where the OCI schema requires {expected}; runc and crun read it as"
                " absent, other consumers may refuse it",
                path,
                suggestion=f"remove '{where}' or give it a value",
            )
        if (
            isinstance(instance, float)
            and instance.is_integer()
            and "integer" in str(error.validator_value)
        ):
            return Diagnostic(
                Severity.ERROR,
                "SK001",
                f"expected an integer literal, got {instance!r}; runc and crun refuse numbers"
                " written with a fraction or exponent",
                path,
                suggestion=f"write {int(instance)}",
            )
        if not path:
            return Diagnostic(
                Severity.ERROR,
                "SK007",
                f"not a seccomp profile: a profile is a JSON object, not {_json_type(instance)}",
                path,
            )
        what = f"'{where}'" if isinstance(where, str) else "this value"
        return Diagnostic(
            Severity.ERROR,
            "SK001",
            f"{what} must be {expected}, not {_json_type(instance)}",
            path,
        )
    if kind == "required":
        missing = _missing_key(error)
        suggestion = None
        if isinstance(instance, dict):
            close = difflib.get_close_matches(missing, [str(k) for k in instance], n=1)
            if close:
                suggestion = f"did you mean {missing!r} instead of {close[0]!r}?"
        if not path and missing == "defaultAction" and isinstance(instance, dict):
            hint = _not_a_profile_hint(instance)
            if hint:
                return Diagnostic(Severity.ERROR, "SK007", hint, path, suggestion=suggestion)
        return Diagnostic(
            Severity.ERROR,
            "SK002",
            f"missing required field '{missing}'",
            path,
            suggestion=suggestion,
        )
    if kind in ("minimum", "maximum"):
        limit = error.schema.get("maximum", 0) if isinstance(error.schema, dict) else 0
        bits = 64 if limit > 0xFFFF_FFFF else 32
        return Diagnostic(
            Severity.ERROR,
            "SK003",
            f"{_json_type(instance)} is outside the uint{bits} range 0..{(1 << bits) - 1}",
            path,
        )
    if kind == "minItems":
        return Diagnostic(
            Severity.ERROR,
            "SK004",
            f"'{where}' is empty; it must list at least one item",
            path,
        )
    if kind == "enum":
        options = [str(v) for v in error.validator_value]  # type: ignore[union-attr]
        code, noun = "SK005", "value"
        for values, enum_code, enum_noun in _ENUM_CODES:
            if set(options) == values:
                code, noun = enum_code, enum_noun
        close = (
            difflib.get_close_matches(instance, options, n=1, cutoff=0.6)
            if isinstance(instance, str)
            else []
        )
        if not close and isinstance(instance, str):
            upper = instance.upper()
            close = [o for o in options if o.endswith("_" + upper)][:1]
        return Diagnostic(
            Severity.ERROR,
            code,
            f"unknown {noun} {instance!r}"
            if isinstance(instance, str)
            else f"unknown {noun} {_json_type(instance)}",
            path,
            suggestion=f"did you mean {close[0]!r}?" if close else None,
        )
    return Diagnostic(Severity.ERROR, "SK006", error.message, path)


def _missing_key(error: ValidationError) -> str:
    # jsonschema words it "'x' is a required property"; the key is the first quoted word.
    instance = error.instance
    required = error.validator_value
    if isinstance(instance, dict) and isinstance(required, list):
        for key in required:
            if key not in instance:
                return str(key)
    return str(error.message).split("'")[1] if "'" in error.message else "?"


def _not_a_profile_hint(data: Mapping[str, Any]) -> str | None:
    if isinstance(data.get("linux"), dict) and "seccomp" in data["linux"]:
        return (
            "not a seccomp profile: this looks like an OCI config.json; the profile is its"
            " linux.seccomp object"
        )
    if {"hook", "stages"} & data.keys():
        return "not a seccomp profile: this looks like an OCI hooks configuration"
    if {"apiVersion", "kind"} <= data.keys():
        return "not a seccomp profile: this looks like a Kubernetes resource"
    if data and not ({"syscalls", "architectures", "archMap", "defaultErrnoRet"} & data.keys()):
        keys = ", ".join(sorted(map(str, data))[:5])
        return f"not a seccomp profile: no defaultAction and none of its fields (has {keys})"
    return None
