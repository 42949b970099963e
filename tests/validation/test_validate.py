"""``seccomp_kit.validate``: schema plus semantics, positions, inputs, and the corpus verdicts."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import attrs
import pytest

import seccomp_kit as sk
import seccomp_kit.validation.semantics as semantics
from seccomp_kit.diagnostics import Diagnostic, Severity, render, sort_diagnostics, to_json_text
from seccomp_kit.errors import ParseError, ValidationFailedError
from seccomp_kit.model import Arch
from seccomp_kit.validation import check, validate, validate_text

# Every corpus file's findings under runc on x86_64: (code, severity) -> count.
EXPECTED: dict[str, dict[tuple[str, str], int]] = {
    "containers-common-example.json": {("SK110", "warning"): 1, ("SK406", "info"): 3},
    "containers-common-seccomp.json": {
        ("SK110", "warning"): 1,
        ("SK402", "warning"): 2,
        ("SK406", "info"): 2,
    },
    "moby-conditional-include.json": {("SK410", "warning"): 1},
    "moby-default-old-format.json": {("SK110", "warning"): 2},
    # loongarch64 in its archMap: runc has no name for it (a warning: only such hosts fail)
    "moby-default.json": {("SK110", "warning"): 1, ("SK504", "warning"): 1},
    "moby-example.json": {("SK206", "error"): 1, ("SK410", "warning"): 1},
    "oci-seccomp-bpf-hook.json": {("SK007", "error"): 1},
    "runc-syscall-test1.json": {("SK110", "info"): 2, ("SK303", "warning"): 2},
    "runc-syscall-test2.json": {("SK110", "info"): 1},
    "spo-bpf-recorder.json": {("SK410", "warning"): 1},
    "spo-json-enricher.json": {("SK007", "error"): 1},
    "spo-operator.json": {("SK410", "warning"): 1},
}


@pytest.fixture(autouse=True)
def _x86_64_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(semantics, "native_arch", lambda: Arch.X86_64)


def test_corpus_expected_codes(corpus_profiles: list[Path]) -> None:
    assert sorted(p.name for p in corpus_profiles) == sorted(EXPECTED)
    for path in corpus_profiles:
        diags = validate(path)
        got = Counter((d.code, d.severity.value) for d in diags)
        assert dict(got) == EXPECTED[path.name], path.name
        for diag in diags:
            assert diag.file == str(path)
            assert diag.line is not None and diag.column is not None, render(diag)


def test_corpus_errors_only_in_files_that_are_not_profiles(corpus_profiles: list[Path]) -> None:
    from tests.conftest import NOT_PROFILES

    for path in corpus_profiles:
        for runtime in ("runc", "crun", "oci"):
            errors = [d for d in validate(path, runtime=runtime) if d.is_error]
            # moby-example.json's errnoRet 12345 is refused by libseccomp, so runc and crun fail.
            wrong = path.name in NOT_PROFILES or (
                path.name == "moby-example.json" and runtime != "oci"
            )
            assert bool(errors) is wrong, (path.name, runtime)


def test_moby_example_errno_is_refused_where_the_file_says_it(corpus: Path) -> None:
    path = corpus / "profiles" / "moby-example.json"
    [diag] = [d for d in validate(path) if d.code == "SK206"]
    assert diag.is_error
    [oci] = [d for d in validate(path, runtime="oci") if d.code == "SK206"]
    assert not oci.is_error
    line = path.read_text().splitlines()[diag.line - 1]  # type: ignore[operator]
    assert line[diag.column - 1 :].startswith("12345")  # type: ignore[operator]
    assert diag.pointer == "/syscalls/3/errnoRet"


def test_schema_and_semantic_findings_together_in_document_order() -> None:
    text = (
        "{\n"
        '  "defaultAction": "SCMP_ACT_ERRNO",\n'
        '  "defaultErrnoRett": 1,\n'
        '  "syscalls": [\n'
        '    {"names": ["exit", "exit_group"], "action": "SCMP_ACT_ALLOW"},\n'
        '    {"names": ["read"], "action": "SCMP_ACT_LOGG"},\n'
        '    {"names": ["write"], "action": "SCMP_ACT_ALLOW", "args": [\n'
        '      {"index": 7, "value": 1, "op": "SCMP_CMP_EQ"}]}\n'
        "  ]\n"
        "}\n"
    )
    diags = validate_text(text, name="p.json")
    assert [(d.code, d.line) for d in diags] == [("SK105", 3), ("SK101", 6), ("SK301", 8)]
    # the unknown action appears once, although schema and semantics both see it
    assert [d.suggestion for d in diags][:2] == [
        "did you mean 'defaultErrnoRet'?",
        "did you mean 'SCMP_ACT_LOG'?",
    ]


def test_a_document_the_model_cannot_hold_stops_after_the_schema() -> None:
    diags = validate_text('{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": {"names": 1}}')
    assert [(d.code, d.path) for d in diags] == [("SK001", ("syscalls",))]


def test_unknown_errno_name_does_not_hide_other_findings() -> None:
    doc = {
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrno": "ENOSYSS",
        "syscalls": [
            {"names": ["exit", "exit_group"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["read"], "action": "SCMP_ACT_ERRNO", "errno": "EPREM"},
            {"names": ["write"], "action": "SCMP_ACT_ALLOW", "errnoRet": 1},
        ],
    }
    diags = validate_text(json.dumps(doc, indent=1))
    by_path = {d.path: d for d in diags}
    assert by_path[("defaultErrno",)].code == "SK106"
    assert by_path[("defaultErrno",)].suggestion == "did you mean 'ENOSYS'?"
    assert by_path[("syscalls", 1, "errno")].suggestion == "did you mean 'EPERM'?"
    assert by_path[("syscalls", 2, "errnoRet")].code == "SK201"
    assert all(d.line is not None for d in diags)


def test_inputs_path_file_object_bytes_and_profile(tmp_path: Path) -> None:
    text = '{\n  "defaultAction": "SCMP_ACT_KILL",\n  "defaultErrnoRet": 1\n}\n'
    path = tmp_path / "p.json"
    path.write_text(text)
    expected = [("SK202", 3, 22)]

    def where(diags: list[Diagnostic]) -> list[tuple[str, int | None, int | None]]:
        return [(d.code, d.line, d.column) for d in diags if d.code not in ("SK410", "SK411")]

    assert where(validate(path)) == expected
    assert where(validate(str(path))) == expected
    assert where(validate(io.StringIO(text))) == expected
    assert where(validate(io.BytesIO(text.encode()))) == expected
    assert where(validate_text(text.encode())) == expected
    assert where(validate(sk.load(path))) == expected
    assert validate(path)[0].file == str(path)
    # a Profile changed since it was read keeps paths, loses positions
    changed = attrs.evolve(sk.load(path), flags=("SECCOMP_FILTER_FLAG_LOG",))
    assert where(validate(changed)) == [("SK202", None, None)]
    assert validate(changed)[0].path == ("defaultErrnoRet",)


def test_runtime_changes_severity_not_findings() -> None:
    text = (
        '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls":'
        ' [{"names": ["read"], "action": "SCMP_ACT_LOG", "errnoRet": 3}]}'
    )
    assert [d.severity for d in validate_text(text, runtime="runc")] == [Severity.WARNING]
    assert [d.severity for d in validate_text(text, runtime="crun")] == [Severity.ERROR]
    with pytest.raises(ValueError, match="runtime"):
        validate_text(text, runtime="youki")


def test_invalid_json_raises_with_position() -> None:
    with pytest.raises(ParseError) as info:
        validate_text('{"defaultAction": }', name="x.json")
    assert (info.value.source, info.value.line, info.value.column) == ("x.json", 1, 19)


def test_check_raises_on_errors_and_returns_the_rest() -> None:
    good = '{"defaultAction": "SCMP_ACT_ALLOW", "flagz": []}'
    assert [d.code for d in check(sk.loads(good))] == ["SK105"]
    bad = sk.loads(
        '{"defaultAction": "SCMP_ACT_ALLOW",'
        ' "syscalls": [{"names": ["a"], "action": "SCMP_ACT_NOPE"}]}'
    )
    with pytest.raises(ValidationFailedError) as info:
        check(bad)
    assert info.value.path == ("syscalls", 0, "action")
    assert "SK101" in str(info.value)
    assert [d.code for d in info.value.diagnostics] == ["SK110", "SK101"]  # type: ignore[attr-defined]
    assert isinstance(info.value, ValueError)


def test_package_level_validate_is_the_function_even_after_importing_the_module() -> None:
    import seccomp_kit.validation as module

    assert sk.validate is module.validate
    assert sk.validate(io.StringIO('{"defaultAction": "SCMP_ACT_ALLOW"}')) == []


def test_sorting_rendering_and_json() -> None:
    text = (
        '{"defaultAction": "SCMP_ACT_ALLOW", "x": 1,\n'
        ' "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALOW"}]}'
    )
    column = text.splitlines()[1].index('"SCMP_ACT_ALOW"') + 1
    diags = validate_text(text, name="f.json")
    assert [d.code for d in diags] == ["SK105", "SK101"]
    assert [d.code for d in sort_diagnostics(diags, by="severity")] == ["SK101", "SK105"]
    assert render(diags[1]) == (
        f"f.json:2:{column}: error SK101 unknown action 'SCMP_ACT_ALOW'"
        " (did you mean 'SCMP_ACT_ALLOW'?)"
    )
    data = json.loads(to_json_text(diags))
    assert data[1] == {
        "file": "f.json",
        "severity": "error",
        "code": "SK101",
        "path": "$.syscalls[0].action",
        "pointer": "/syscalls/0/action",
        "line": 2,
        "column": column,
        "message": "unknown action 'SCMP_ACT_ALOW'",
        "suggestion": "did you mean 'SCMP_ACT_ALLOW'?",
    }
    assert Severity.ERROR > Severity.WARNING > Severity.INFO
    assert sorted([Severity.INFO, Severity.ERROR, Severity.WARNING]) == [
        Severity.INFO,
        Severity.WARNING,
        Severity.ERROR,
    ]
    with pytest.raises(ValueError, match="ordering"):
        sort_diagnostics(diags, by="name")
