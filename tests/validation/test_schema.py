"""Our JSON Schemas: well-formed, in step with the model, and in OCI mode equivalent to the OCI
runtime-spec reference (``linux.seccomp`` of config-linux.json) on generated documents."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, note
from hypothesis import strategies as st
from jsonschema import Draft4Validator, Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from seccomp_kit.io.resources import schemas_dir
from seccomp_kit.model import Action, Arch, Dialect, Flag, Operator
from seccomp_kit.validation.schema import SCHEMA_FILES, schema_errors, schema_for, validator_for
from tests.conftest import NOT_PROFILES, corpus_dir

_REF_BASE = "https://reference.invalid/oci/"


@cache
def reference() -> Draft4Validator:
    """The OCI reference for linux.seccomp, read from the corpus.

    The runtime-spec's config-schema.json declares draft-04, so the reference is run as such:
    there an integer is an integer literal (1.0 is not one), as in our schemas.
    """
    folder = corpus_dir("oci-runtime-spec-schema")
    resources = [
        (
            _REF_BASE + name,
            Resource.from_contents(
                json.loads((folder / name).read_text()), default_specification=DRAFT4
            ),
        )
        for name in ("config-linux.json", "defs-linux.json", "defs.json")
    ]
    registry: Registry[Any] = Registry().with_resources(resources)
    root = {"$ref": _REF_BASE + "config-linux.json#/linux/properties/seccomp"}
    return Draft4Validator(root, registry=registry)


def ours_accepts(doc: object) -> bool:
    return not schema_errors(doc, Dialect.OCI, runtime="oci")


# -- the schema files ---------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", list(Dialect))
def test_schema_files_are_draft_2020_12_with_an_id(dialect: Dialect) -> None:
    schema = schema_for(dialect)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("/" + SCHEMA_FILES[dialect])
    Draft202012Validator.check_schema(schema)


def test_schema_files_are_shipped_and_nothing_else() -> None:
    names = sorted(p.name for p in schemas_dir().iterdir() if p.name.endswith(".json"))
    assert names == sorted(SCHEMA_FILES.values())


def _enums(schema: dict[str, Any]) -> dict[str, set[str]]:
    return {name: set(d["enum"]) for name, d in schema["$defs"].items() if "enum" in d}


@pytest.mark.parametrize("dialect", list(Dialect))
def test_schema_enums_are_the_model_enums(dialect: Dialect) -> None:
    enums = _enums(schema_for(dialect))
    assert enums == {
        "action": {a.value for a in Action},
        "arch": {a.value for a in Arch},
        "flag": {f.value for f in Flag},
        "operator": {o.value for o in Operator},
    }


def test_reference_enums_are_the_model_enums() -> None:
    folder = corpus_dir("oci-runtime-spec-schema")
    defs = json.loads((folder / "defs-linux.json").read_text())["definitions"]
    assert set(defs["SeccompAction"]["enum"]) == {a.value for a in Action}
    assert set(defs["SeccompArch"]["enum"]) == {a.value for a in Arch}
    assert set(defs["SeccompFlag"]["enum"]) == {f.value for f in Flag}
    assert set(defs["SeccompOperators"]["enum"]) == {o.value for o in Operator}


def test_validators_are_compiled_once() -> None:
    assert validator_for(Dialect.MOBY) is validator_for("moby")


# -- equivalence with the reference -------------------------------------------------------------

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**65), 2**65),
    st.sampled_from([1.0, 0.5, -0.0, 1e20, 4294967295.0, float(2**64)]),
    st.text(max_size=6),
)
_junk = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
_uint32 = st.one_of(
    st.integers(0, 2**32 - 1), st.sampled_from([0, 2**32 - 1, 2**32, -1, 2**64, 7.0])
)
_uint64 = st.one_of(
    st.integers(0, 2**64 - 1), st.sampled_from([0, 2**64 - 1, 2**64, -1, 2**70, 3.0])
)


def _enum(values: list[str]) -> st.SearchStrategy[str]:
    near = [v.lower() for v in values[:2]] + [v + "_" for v in values[:1]] + ["", "SCMP_ACT"]
    return st.one_of(st.sampled_from(values), st.sampled_from(values), st.sampled_from(near))


def _field(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the valid shape, sometimes anything at all."""
    return st.one_of(valid, valid, valid, _junk)


def _array(items: st.SearchStrategy[Any], min_size: int = 0) -> st.SearchStrategy[Any]:
    return _field(st.lists(items, min_size=min_size, max_size=3)) | st.just([])


@st.composite
def _obj(
    draw: st.DrawFn, required: dict[str, st.SearchStrategy[Any]], optional: dict[str, Any]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, strategy in required.items():
        if draw(st.integers(0, 15)):  # occasionally missing
            out[key] = draw(strategy)
    for key, strategy in optional.items():
        if draw(st.booleans()):
            out[key] = draw(strategy)
    if draw(st.integers(0, 5)) == 0:  # keys neither schema names
        out.update(draw(st.dictionaries(st.sampled_from(["x", "names2", "comment"]), _junk)))
    return out


_args = _obj(
    {
        "index": _field(_uint32),
        "value": _field(_uint64),
        "op": _field(_enum([o.value for o in Operator])),
    },
    {"valueTwo": _field(_uint64)},
)
_rules = _obj(
    {
        "names": _array(st.sampled_from(["read", "write", "x"]) | _scalars, min_size=1),
        "action": _field(_enum([a.value for a in Action])),
    },
    {"errnoRet": _field(_uint32), "args": _array(_args)},
)
documents = _field(
    _obj(
        {"defaultAction": _field(_enum([a.value for a in Action]))},
        {
            "defaultErrnoRet": _field(_uint32),
            "flags": _array(_field(_enum([f.value for f in Flag]))),
            "listenerPath": _field(st.text(max_size=8)),
            "listenerMetadata": _field(st.text(max_size=8)),
            "architectures": _array(_field(_enum([a.value for a in Arch]))),
            "syscalls": _array(_rules),
        },
    )
)


@given(documents)
@example({"defaultAction": "SCMP_ACT_ALLOW"})
@example({"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 1.0})
@example({"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": True})
@example({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": [], "action": "SCMP_ACT_LOG"}]})
@example({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "X"}]})
@example(
    {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["a"], "action": "SCMP_ACT_LOG", "args": None}],
    }
)
@example(
    {
        "defaultAction": "SCMP_ACT_ERRNO",
        "syscalls": [
            {
                "names": ["a"],
                "action": "SCMP_ACT_ALLOW",
                "args": [{"index": 0, "value": 2**64 - 1, "valueTwo": 2**64, "op": "SCMP_CMP_EQ"}],
            }
        ],
    }
)
@example({"defaultAction": "SCMP_ACT_KILL", "unknown": {"anything": [1, None]}})
@example([])
@example(None)
def test_oci_schema_accepts_exactly_what_the_reference_accepts(doc: Any) -> None:
    expected = reference().is_valid(doc)
    note(f"reference accepts: {expected}")
    assert ours_accepts(doc) is expected


def test_generated_documents_cover_both_outcomes() -> None:
    """The equivalence property is only worth something if it sees valid and invalid input."""
    outcomes: set[bool] = set()

    @given(documents)
    def collect(doc: Any) -> None:
        outcomes.add(reference().is_valid(doc))

    collect()
    assert outcomes == {True, False}


def test_corpus_profiles_agree_with_the_reference(corpus_profiles: list[Path]) -> None:
    verdicts = {}
    for path in corpus_profiles:
        doc = json.loads(path.read_text())
        verdicts[path.name] = reference().is_valid(doc)
        assert ours_accepts(doc) is verdicts[path.name], path.name
    # moby/containers files use fields or nulls the OCI object does not allow; plain ones pass.
    assert verdicts["runc-syscall-test1.json"] is True
    assert verdicts["containers-common-seccomp.json"] is False  # "args": null
    assert verdicts["oci-seccomp-bpf-hook.json"] is False


# -- the dialect schemas -------------------------------------------------------------------------


def test_corpus_profiles_pass_their_own_dialect_schema(corpus_profiles: list[Path]) -> None:
    from seccomp_kit.io import detect_dialect

    for path in corpus_profiles:
        if path.name in NOT_PROFILES:
            continue
        doc = json.loads(path.read_text())
        assert schema_errors(doc, detect_dialect(doc)) == [], path.name


def test_moby_schema_accepts_nulls_and_moby_fields() -> None:
    doc = {
        "defaultAction": "SCMP_ACT_ERRNO",
        "archMap": [{"architecture": "SCMP_ARCH_RISCV64", "subArchitectures": None}],
        "syscalls": [
            {"name": "read", "action": "SCMP_ACT_ALLOW", "args": None, "comment": "c"},
            {
                "names": ["write"],
                "action": "SCMP_ACT_ALLOW",
                "includes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["amd64"], "minKernel": "4.8"},
                "excludes": None,
            },
        ],
    }
    assert schema_errors(doc, "moby") == []
    # The OCI object knows neither nulls nor the singular name.
    assert {(d.code, d.path) for d in schema_errors(doc, "oci", runtime="oci")} == {
        ("SK001", ("syscalls", 0, "args")),
        ("SK002", ("syscalls", 0)),
    }


def test_moby_schema_needs_names_or_name() -> None:
    doc = {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"action": "SCMP_ACT_ALLOW"}]}
    [diag] = schema_errors(doc, "moby")
    assert (diag.code, diag.path) == ("SK002", ("syscalls", 0))
    assert "neither 'names' nor 'name'" in diag.message


def test_containers_schema_types_errno_names() -> None:
    doc = {
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrno": 38,
        "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ERRNO", "errno": ["EPERM"]}],
    }
    diags = schema_errors(doc, "containers")
    assert [(d.code, d.path) for d in diags] == [
        ("SK001", ("defaultErrno",)),
        ("SK001", ("syscalls", 0, "errno")),
    ]
    ok = dict(doc, defaultErrno="ENOSYS", syscalls=[{"names": ["a"], "action": "SCMP_ACT_ERRNO"}])
    assert schema_errors(ok, "containers") == []


@pytest.mark.parametrize("dialect", list(Dialect))
def test_integers_must_be_integer_literals(dialect: Dialect) -> None:
    doc = {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1.0}
    [diag] = schema_errors(doc, dialect)
    assert diag.code == "SK001"
    assert diag.suggestion == "write 1"


# -- what the diagnostics say ----------------------------------------------------------------------


def test_schema_errors_report_every_problem_with_positions() -> None:
    text = (
        "{\n"
        '  "defaultAction": "SCMP_ACT_ALOW",\n'
        '  "architectures": ["SCMP_ARCH_X86_64", "x86"],\n'
        '  "syscalls": [\n'
        '    {"names": [], "action": "SCMP_ACT_ALLOW"},\n'
        '    {"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 4294967296,\n'
        '     "args": [{"index": "0", "value": 1, "op": "SCMP_CMP_EQQ"}]}\n'
        "  ]\n"
        "}\n"
    )
    diags = schema_errors(json.loads(text), "oci", file="p.json", text=text)
    lines = text.splitlines()

    def at(line: int, token: str) -> tuple[int, int]:
        return line, lines[line - 1].index(token) + 1

    got = {(d.code, d.pointer, (d.line, d.column)) for d in diags}
    assert got == {
        ("SK101", "/defaultAction", at(2, '"SCMP_ACT_ALOW"')),
        ("SK102", "/architectures/1", at(3, '"x86"')),
        ("SK004", "/syscalls/0/names", at(5, "[]")),
        ("SK003", "/syscalls/1/errnoRet", at(6, "4294967296")),
        ("SK001", "/syscalls/1/args/0/index", at(7, '"0"')),
        ("SK103", "/syscalls/1/args/0/op", at(7, '"SCMP_CMP_EQQ"')),
    }
    by_code = {d.code: d for d in diags}
    assert by_code["SK101"].suggestion == "did you mean 'SCMP_ACT_ALLOW'?"
    assert by_code["SK102"].suggestion == "did you mean 'SCMP_ARCH_X86'?"
    assert by_code["SK103"].suggestion == "did you mean 'SCMP_CMP_EQ'?"
    assert "uint32" in by_code["SK003"].message
    assert all(d.file == "p.json" for d in diags)


def test_null_optional_field_is_a_warning_for_runc_and_crun_only() -> None:
    doc = {"defaultAction": "SCMP_ACT_ALLOW", "flags": None}
    for runtime, severity in (("runc", "warning"), ("crun", "warning"), ("oci", "error")):
        [diag] = schema_errors(doc, "oci", runtime=runtime)
        assert (diag.code, diag.severity.value) == ("SK001", severity)


def test_not_a_profile_is_named_as_such() -> None:
    [diag] = schema_errors({"hook": {}, "stages": []}, "oci")
    assert diag.code == "SK007"
    assert "hooks" in diag.message
    [diag] = schema_errors([1], "oci")
    assert (diag.code, diag.path) == ("SK007", ())
    [diag] = schema_errors({"defaultAcion": "SCMP_ACT_ALLOW", "syscalls": []}, "oci")
    assert diag.code == "SK002"
    assert diag.suggestion == "did you mean 'defaultAction' instead of 'defaultAcion'?"


@given(documents, st.sampled_from(list(Dialect)))
def test_condensing_names_changes_no_verdict_and_no_error(doc: Any, dialect: Dialect) -> None:
    from seccomp_kit.validation.schema import _condensed

    def errors(data: Any) -> list[str]:
        found = validator_for(dialect).iter_errors(data)
        return sorted(repr((tuple(e.absolute_path), e.validator, e.message)) for e in found)

    assert errors(_condensed(doc)) == errors(doc)
