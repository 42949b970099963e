"""The semantic checks: each code on the smallest profile that shows it, per runtime."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import seccomp_kit.validation.semantics as semantics
from seccomp_kit import strategies as sks
from seccomp_kit.diagnostics import Diagnostic, Severity
from seccomp_kit.errors import InputError
from seccomp_kit.io import dumps, from_data
from seccomp_kit.model import Arch, Profile
from seccomp_kit.validation.semantics import CODES, parse_kernel, semantic_checks

EXITS = {"names": ["exit", "exit_group"], "action": "SCMP_ACT_ALLOW"}


@pytest.fixture(autouse=True)
def _x86_64_host(monkeypatch: pytest.MonkeyPatch) -> None:
    """Profiles without architectures are checked for the native one; pin it."""
    monkeypatch.setattr(semantics, "native_arch", lambda: Arch.X86_64)


def check(doc: dict[str, Any], **kw: Any) -> list[Diagnostic]:
    return semantic_checks(from_data(doc), **kw)


def found(doc: dict[str, Any], **kw: Any) -> set[tuple[str, str, tuple[str | int, ...]]]:
    return {(d.code, d.severity.value, d.path) for d in check(doc, **kw)}


def allow(*rules: dict[str, Any], **top: Any) -> dict[str, Any]:
    """An ERRNO-default allowlist with the exit calls and ``rules``."""
    return {"defaultAction": "SCMP_ACT_ERRNO", **top, "syscalls": [EXITS, *rules]}


def test_a_clean_allowlist_has_no_findings() -> None:
    doc = allow({"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"})
    assert check(doc) == []


# -- names of actions, arches, operators, flags, keys ---------------------------------------------


def test_unknown_enum_values_with_did_you_mean() -> None:
    doc = {
        "defaultAction": "SCMP_ACT_ALOW",
        "architectures": ["SCMP_ARCH_X86_46"],
        "flags": ["SECCOMP_FILTER_FLAG_LGO"],
        "syscalls": [
            {
                "names": ["read"],
                "action": "SCMP_ACT_ERRNO",
                "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQQ"}],
            }
        ],
    }
    by_code = {d.code: d for d in check(doc)}
    assert by_code["SK101"].suggestion == "did you mean 'SCMP_ACT_ALLOW'?"
    assert by_code["SK102"].suggestion == "did you mean 'SCMP_ARCH_X86_64'?"
    assert by_code["SK104"].suggestion == "did you mean 'SECCOMP_FILTER_FLAG_LOG'?"
    assert by_code["SK103"].path == ("syscalls", 0, "args", 0, "op")
    assert all(by_code[c].severity is Severity.ERROR for c in ("SK101", "SK102", "SK103", "SK104"))


def test_unknown_keys_are_warnings_with_did_you_mean() -> None:
    doc = allow({"names": ["read"], "action": "SCMP_ACT_ALLOW", "errnoRett": 1}, defaultErrnoRett=3)
    diags = {d.path: d for d in check(doc) if d.code == "SK105"}
    assert diags[("defaultErrnoRett",)].suggestion == "did you mean 'defaultErrnoRet'?"
    assert diags[("syscalls", 1, "errnoRett")].suggestion == "did you mean 'errnoRet'?"
    assert all(d.severity is Severity.WARNING for d in diags.values())


# -- errno ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("runtime", "severity"), [("runc", "warning"), ("crun", "error"), ("oci", "error")]
)
def test_errno_on_an_action_without_one_depends_on_the_runtime(runtime: str, severity: str) -> None:
    doc = allow({"names": ["read"], "action": "SCMP_ACT_LOG", "errnoRet": 5})
    doc["defaultErrnoRet"] = 1
    doc["defaultAction"] = "SCMP_ACT_KILL"
    diags = {d.code: d for d in check(doc, runtime=runtime)}
    assert diags["SK201"].severity.value == severity
    assert diags["SK201"].path == ("syscalls", 1, "errnoRet")
    assert diags["SK202"].severity.value == severity
    assert "runc ignores it" in diags["SK201"].message
    assert "crun refuses" in diags["SK201"].message


def test_errno_values_the_runtime_changes_or_libseccomp_refuses() -> None:
    doc = allow(
        {"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 12345},
        {"names": ["write"], "action": "SCMP_ACT_ERRNO", "errnoRet": 65536},
        {"names": ["open"], "action": "SCMP_ACT_ERRNO", "errnoRet": 0},
        {"names": ["close"], "action": "SCMP_ACT_ERRNO", "errnoRet": 4094},
        {"names": ["stat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 4095},
        {"names": ["fstat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 65536 + 5000},
        {"names": ["lstat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 65536 + 7},
    )
    for runtime in ("runc", "crun"):
        diags = {d.path: d for d in check(doc, runtime=runtime)}
        refused = diags[("syscalls", 1, "errnoRet")]
        assert (refused.code, refused.severity.value) == ("SK206", "error")
        assert "libseccomp refuses" in refused.message
        assert "low 16 bits" in diags[("syscalls", 2, "errnoRet")].message
        assert "(errno 0)" in diags[("syscalls", 2, "errnoRet")].message
        assert diags[("syscalls", 3, "errnoRet")].code == "SK204"
        assert ("syscalls", 4, "errnoRet") not in diags
        assert diags[("syscalls", 5, "errnoRet")].code == "SK206"
        assert diags[("syscalls", 6, "errnoRet")].code == "SK206"
        assert "low 16 bits" in diags[("syscalls", 6, "errnoRet")].message
        assert "callers see errno 7" in diags[("syscalls", 7, "errnoRet")].message
    oci = {d.path: d for d in check(doc, runtime="oci")}
    assert oci[("syscalls", 1, "errnoRet")].severity.value == "warning"


def test_the_errno_limit_is_libseccomps() -> None:
    import pyseccomp

    pyseccomp.SyscallFilter(pyseccomp.ALLOW).add_rule(pyseccomp.ERRNO(4094), "read")
    with pytest.raises(OSError):
        pyseccomp.SyscallFilter(pyseccomp.ALLOW).add_rule(pyseccomp.ERRNO(4095), "read")


def test_errno_name_on_an_action_without_one() -> None:
    doc = allow({"names": ["read"], "action": "SCMP_ACT_LOG", "errno": "EPERM"})
    assert found(doc, runtime="crun") == {("SK201", "error", ("syscalls", 1, "errno"))}


def test_errno_names_are_checked_and_compared() -> None:
    doc = allow(
        {"names": ["read"], "action": "SCMP_ACT_ERRNO", "errno": "ENOSYS", "errnoRet": 1},
        {"names": ["write"], "action": "SCMP_ACT_ERRNO", "errno": "ENOSYS", "errnoRet": 38},
    )
    assert found(doc) == {("SK205", "warning", ("syscalls", 1, "errnoRet"))}


# -- NOTIFY and the listener ----------------------------------------------------------------------


def test_notify_rules_per_runtime() -> None:
    doc = allow({"names": ["write"], "action": "SCMP_ACT_NOTIFY"}, listenerMetadata="m")
    doc["defaultAction"] = "SCMP_ACT_NOTIFY"
    runc = found(doc, runtime="runc")
    assert ("SK210", "error", ("defaultAction",)) in runc
    assert ("SK211", "error", ("syscalls", 1, "names", 0)) in runc
    assert ("SK212", "error", ("defaultAction",)) in runc
    assert ("SK213", "error", ("listenerMetadata",)) in runc
    crun = found(doc, runtime="crun")
    assert ("SK212", "warning", ("defaultAction",)) in crun
    assert ("SK213", "error", ("listenerMetadata",)) in crun
    assert ("SK210", "warning", ("defaultAction",)) in crun
    assert ("SK211", "warning", ("syscalls", 1, "names", 0)) in crun


def test_notify_with_a_listener_is_fine() -> None:
    doc = allow({"names": ["openat"], "action": "SCMP_ACT_NOTIFY"}, listenerPath="/run/a.sock")
    assert check(doc) == []
    del doc["listenerPath"]
    assert found(doc) == {("SK212", "error", ("syscalls", 1, "action"))}


# -- argument conditions --------------------------------------------------------------------------


def _arg(index: int, value: int, op: str = "SCMP_CMP_EQ", **kw: Any) -> dict[str, Any]:
    return {"index": index, "value": value, "op": op, **kw}


def test_argument_index_above_five_is_an_error() -> None:
    doc = allow({"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [_arg(6, 1)]})
    assert found(doc) == {("SK301", "error", ("syscalls", 1, "args", 0, "index"))}


def test_repeated_index_explains_the_or_expansion() -> None:
    doc = allow({"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [_arg(0, 1), _arg(0, 2)]})
    [diag] = check(doc)
    assert (diag.code, diag.severity) == ("SK303", Severity.WARNING)
    assert "OR" in diag.message


def test_wide_values_on_32_bit_architectures() -> None:
    rule = {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [_arg(0, 1 << 32)]}
    narrow = allow(rule, architectures=["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"])
    [diag] = check(narrow)
    assert (diag.code, diag.path) == ("SK304", ("syscalls", 1, "args", 0, "value"))
    assert "SCMP_ARCH_X86" in diag.message
    assert check(allow(rule, architectures=["SCMP_ARCH_X86_64"])) == []


def test_more_than_six_conditions_matter_to_crun() -> None:
    args = [_arg(i % 6, i) for i in range(7)]
    doc = allow({"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": args})
    assert ("SK305", "warning", ("syscalls", 1, "args", 6)) in found(doc, runtime="crun")
    assert ("SK305", "info", ("syscalls", 1, "args", 6)) in found(doc, runtime="runc")


def test_value_two_outside_masked_eq_is_ignored() -> None:
    doc = allow({"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [_arg(0, 1, valueTwo=3)]})
    assert found(doc) == {("SK306", "info", ("syscalls", 1, "args", 0, "valueTwo"))}


# -- syscall names and kernels --------------------------------------------------------------------


def test_unknown_syscall_names_with_did_you_mean() -> None:
    doc = allow({"names": ["read", "opnat"], "action": "SCMP_ACT_ALLOW"})
    [diag] = check(doc)
    assert (diag.code, diag.severity, diag.path) == (
        "SK110",
        Severity.WARNING,
        ("syscalls", 1, "names", 1),
    )
    assert diag.suggestion == "did you mean 'openat'?"


def test_names_are_checked_for_the_listed_architectures() -> None:
    rule = {"names": ["arch_prctl", "read"], "action": "SCMP_ACT_ALLOW"}
    listed = allow(rule, architectures=["SCMP_ARCH_AARCH64"])
    [diag] = check(listed)
    assert (diag.code, diag.severity) == ("SK110", Severity.WARNING)
    assert "SCMP_ARCH_AARCH64" in diag.message
    assert check(allow(rule, architectures=["SCMP_ARCH_X86_64"])) == []
    # --arch narrows the check to one architecture
    assert check(allow(rule, architectures=["SCMP_ARCH_X86_64"]), arch="arm64") != []


def test_names_of_other_machines_in_a_profile_without_architectures_are_info() -> None:
    doc = allow({"names": ["read", "mmap2", "chown32"], "action": "SCMP_ACT_ALLOW"})
    [diag] = check(doc)
    assert (diag.code, diag.severity, diag.path) == (
        "SK110",
        Severity.INFO,
        ("syscalls", 1, "names", 1),
    )
    assert "mmap2, chown32" in diag.message


def test_moby_arch_conditions_narrow_the_name_check() -> None:
    doc = {
        "defaultAction": "SCMP_ACT_ERRNO",
        "archMap": [
            {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]},
            {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]},
        ],
        "syscalls": [
            EXITS,
            {
                "names": ["arm_fadvise64_64"],
                "action": "SCMP_ACT_ALLOW",
                "includes": {"arches": ["arm"]},
            },
            {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["arm"]}},
        ],
    }
    assert found(doc) == {("SK110", "warning", ("syscalls", 2, "names", 0))}


def test_syscalls_newer_than_the_kernel() -> None:
    doc = allow(
        {"names": ["read", "openat2"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["clone3"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "5.10"}},
    )
    [diag] = check(doc, kernel="5.4")
    assert (diag.code, diag.severity, diag.path) == (
        "SK111",
        Severity.INFO,
        ("syscalls", 1, "names", 1),
    )
    assert "5.6" in diag.message
    assert check(doc, kernel="5.6") == []
    assert check(doc) == []


def test_parse_kernel() -> None:
    assert parse_kernel("5.10") == (5, 10)
    assert parse_kernel("6.18.0-rc1") == (6, 18)
    assert parse_kernel((4, 8)) == (4, 8)
    with pytest.raises(InputError, match=r"X\.Y"):
        parse_kernel("five")


# -- how rules combine ----------------------------------------------------------------------------


def test_rule_with_the_default_action_is_dropped() -> None:
    doc = allow({"names": ["read"], "action": "SCMP_ACT_ERRNO"})
    assert found(doc) == {("SK401", "info", ("syscalls", 1, "action"))}
    # another errno is another action
    doc = allow({"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38})
    assert check(doc) == []


def test_unconditional_conflict_says_the_first_wins() -> None:
    doc = allow(
        {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["write"], "action": "SCMP_ACT_KILL"},
    )
    [diag] = check(doc)
    assert (diag.code, diag.severity, diag.path) == ("SK402", Severity.WARNING, ("syscalls", 2))
    assert "keeps the first, $.syscalls[1] (SCMP_ACT_ALLOW)" in diag.message
    assert diag.message.startswith("write:")


def test_conditional_then_unconditional_is_replaced() -> None:
    doc = allow(
        {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [_arg(0, 1)]},
        {"names": ["read"], "action": "SCMP_ACT_KILL"},
    )
    assert found(doc) == {("SK403", "warning", ("syscalls", 2))}


def test_unconditional_then_conditional_is_dropped() -> None:
    doc = allow(
        {"names": ["read"], "action": "SCMP_ACT_KILL"},
        {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [_arg(0, 1)]},
    )
    assert found(doc) == {("SK404", "warning", ("syscalls", 2))}


def test_same_conditions_with_another_action_is_refused() -> None:
    doc = allow(
        {"names": ["read"], "action": "SCMP_ACT_KILL", "args": [_arg(0, 1)]},
        {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [_arg(0, 1)]},
    )
    assert found(doc) == {("SK405", "error", ("syscalls", 2))}


def test_duplicates_are_redundant() -> None:
    doc = allow({"names": ["read", "exit"], "action": "SCMP_ACT_ALLOW"})
    assert found(doc) == {("SK406", "info", ("syscalls", 1))}


def test_overlap_needs_a_witness() -> None:
    overlapping = allow(
        {"names": ["read"], "action": "SCMP_ACT_KILL", "args": [_arg(0, 10, "SCMP_CMP_GT")]},
        {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [_arg(1, 5)]},
    )
    assert found(overlapping) == {("SK407", "info", ("syscalls", 2))}
    disjoint = allow(
        {"names": ["read"], "action": "SCMP_ACT_KILL", "args": [_arg(0, 10, "SCMP_CMP_GT")]},
        {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [_arg(0, 10, "SCMP_CMP_LE")]},
    )
    assert check(disjoint) == []


def test_cap_conditions_that_exclude_each_other_do_not_conflict() -> None:
    doc = allow(
        {"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
        {"names": ["read"], "action": "SCMP_ACT_KILL", "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
    )
    assert check(doc) == []
    doc["syscalls"][2]["excludes"] = {"caps": ["CAP_BPF"]}
    assert found(doc) == {("SK402", "warning", ("syscalls", 2))}


def test_or_expanded_rules_take_part_in_conflicts() -> None:
    doc = allow(
        {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [_arg(0, 1), _arg(0, 2)]},
        {"names": ["read"], "action": "SCMP_ACT_KILL", "args": [_arg(0, 2)]},
    )
    assert ("SK405", "error", ("syscalls", 2)) in found(doc)


# -- exits, moby fields, architectures ------------------------------------------------------------


def test_allowlist_without_exit_calls() -> None:
    none = {
        "defaultAction": "SCMP_ACT_KILL",
        "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}],
    }
    [diag] = check(none)
    assert (diag.code, diag.severity) == ("SK410", Severity.WARNING)
    assert "exit_group and exit" in diag.message
    half = {
        "defaultAction": "SCMP_ACT_KILL",
        "syscalls": [{"names": ["exit_group"], "action": "SCMP_ACT_ALLOW"}],
    }
    [diag] = check(half)
    assert "threads" in diag.message
    assert check({"defaultAction": "SCMP_ACT_ALLOW"}) == []


def test_moby_refusals() -> None:
    doc = {
        "defaultAction": "SCMP_ACT_ERRNO",
        "architectures": ["SCMP_ARCH_X86_64"],
        "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": []}],
        "syscalls": [
            {"names": ["exit", "exit_group"], "name": "read", "action": "SCMP_ACT_ALLOW"},
            {"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4"}},
        ],
    }
    assert found(doc) == {
        ("SK501", "error", ("archMap",)),
        ("SK502", "error", ("syscalls", 0, "name")),
        ("SK503", "error", ("syscalls", 1, "includes", "minKernel")),
    }


def test_moby_condition_names() -> None:
    doc = allow(
        {
            "names": ["read"],
            "action": "SCMP_ACT_ALLOW",
            "includes": {"caps": ["CAP_SYS_ADMN"], "arches": ["x86_64", "SCMP_ARCH_ARM", "amd46"]},
        }
    )
    diags = {d.path: d for d in check(doc)}
    caps = diags[("syscalls", 1, "includes", "caps", 0)]
    assert (caps.code, caps.suggestion) == ("SK107", "did you mean 'CAP_SYS_ADMIN'?")
    arches = [diags[("syscalls", 1, "includes", "arches", j)] for j in range(3)]
    assert [a.code for a in arches] == ["SK108"] * 3
    assert [a.suggestion for a in arches] == [
        "write 'amd64'",
        "write 'arm'",
        "did you mean 'amd64'?",
    ]


@pytest.mark.parametrize(("runtime", "expected"), [("runc", True), ("crun", False)])
def test_runc_unsupported_architectures(runtime: str, expected: bool) -> None:
    doc = allow(architectures=["SCMP_ARCH_X86_64", "SCMP_ARCH_PARISC"])
    codes = {d.code for d in check(doc, runtime=runtime)}
    assert ("SK504" in codes) is expected


def test_unknown_runtime_is_refused() -> None:
    with pytest.raises(InputError, match="runtime"):
        check(allow(), runtime="docker")


def test_every_code_is_documented() -> None:
    from tests.conftest import docs_page

    doc = docs_page("validation.md")
    for code, summary in CODES.items():
        assert f"| {code} |" in doc, code
        assert summary


# -- properties -----------------------------------------------------------------------------------


@given(st.data())
def test_profiles_valid_for_a_runtime_have_no_errors(data: st.DataObject) -> None:
    runtime = data.draw(st.sampled_from(sks.RUNTIMES))
    dialect = data.draw(st.sampled_from(["oci", "moby", "containers"]))
    conflicts = data.draw(st.booleans())
    repeated = runtime == "runc" and data.draw(st.booleans())
    profile: Profile = data.draw(
        sks.profiles(
            runtime=runtime, dialect=dialect, conflicts=conflicts, repeated_indices=repeated
        )
    )
    errors = [d for d in check_profile(profile, runtime) if d.severity is Severity.ERROR]
    assert errors == [], dumps(profile)


def check_profile(profile: Profile, runtime: str) -> list[Diagnostic]:
    return semantic_checks(profile, runtime=runtime)


@given(sks.profiles(conflicts=False, max_rules=6))
def test_findings_do_not_depend_on_text_or_model(profile: Profile) -> None:
    """Checking the model and checking its canonical text say the same."""
    from seccomp_kit.validation import validate, validate_text

    from_model = [(d.code, d.path, d.severity) for d in validate(profile)]
    from_text = [(d.code, d.path, d.severity) for d in validate_text(dumps(profile))]
    assert sorted(from_model, key=str) == sorted(from_text, key=str)


@given(sks.profiles(max_rules=4), st.sampled_from(sorted(json.dumps(a) for a in ("x", 1))))
def test_unknown_top_level_key_is_exactly_one_warning(profile: Profile, value: str) -> None:
    import attrs

    before = {(d.code, d.path) for d in semantic_checks(profile)}
    extra = attrs.evolve(profile, extras=(*profile.extras, ("defaultActoin", value)))
    after = {(d.code, d.path) for d in semantic_checks(extra)}
    assert after - before == {("SK105", ("defaultActoin",))}


# -- the conflict messages against libseccomp itself ----------------------------------------------

_PFC_ACTIONS = {"SCMP_ACT_ALLOW": "ALLOW", "SCMP_ACT_KILL": "KILL"}


def _libseccomp_segment(rules: list[dict[str, Any]], name: str) -> str:
    """The PFC text libseccomp generates for ``name`` after adding ``rules`` in order."""
    import tempfile

    import pyseccomp

    flt = pyseccomp.SyscallFilter(pyseccomp.ERRNO(1))
    for rule in rules:
        action = getattr(pyseccomp, _PFC_ACTIONS[rule["action"]])
        args = [pyseccomp.Arg(a["index"], pyseccomp.EQ, a["value"]) for a in rule.get("args", [])]
        flt.add_rule(action, rule["names"][0], *args)
    with tempfile.TemporaryFile() as fh:
        flt.export_pfc(fh)
        fh.seek(0)
        text: str = fh.read().decode()
    start = text.index(f'# filter for syscall "{name}"')
    end = min(
        i
        for i in (text.find("# filter for syscall", start + 1), text.find("# default action"))
        if i > 0
    )
    return text[start:end]


@pytest.mark.parametrize(
    ("code", "rules", "kept", "conditional"),
    [
        (
            "SK402",
            [
                {"names": ["getpid"], "action": "SCMP_ACT_ALLOW"},
                {"names": ["getpid"], "action": "SCMP_ACT_KILL"},
            ],
            "ALLOW",
            False,
        ),
        (
            "SK403",
            [
                {"names": ["getpid"], "action": "SCMP_ACT_ALLOW", "args": [_arg(0, 1)]},
                {"names": ["getpid"], "action": "SCMP_ACT_KILL"},
            ],
            "KILL",
            False,
        ),
        (
            "SK404",
            [
                {"names": ["getpid"], "action": "SCMP_ACT_KILL"},
                {"names": ["getpid"], "action": "SCMP_ACT_ALLOW", "args": [_arg(0, 1)]},
            ],
            "KILL",
            False,
        ),
    ],
)
def test_conflict_messages_say_what_libseccomp_does(
    code: str, rules: list[dict[str, Any]], kept: str, conditional: bool
) -> None:
    segment = _libseccomp_segment(rules, "getpid")
    assert f"action {kept};" in segment
    assert ("$a0" in segment) is conditional
    other = ({"ALLOW", "KILL"} - {kept}).pop()
    assert f"action {other};" not in segment
    doc = {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": rules}
    [diag] = [d for d in check(doc) if d.code.startswith("SK40")]
    assert diag.code == code
    if code == "SK402":  # the message names the rule that stays
        assert f"keeps the first, $.syscalls[0] (SCMP_ACT_{kept})" in diag.message


def test_refusals_are_what_libseccomp_refuses() -> None:
    import pyseccomp

    flt = pyseccomp.SyscallFilter(pyseccomp.ERRNO(1))
    flt.add_rule(pyseccomp.ALLOW, "getpid", pyseccomp.Arg(0, pyseccomp.EQ, 1))
    with pytest.raises(FileExistsError):  # SK405: same conditions, another action
        flt.add_rule(pyseccomp.KILL, "getpid", pyseccomp.Arg(0, pyseccomp.EQ, 1))
    with pytest.raises(PermissionError):  # SK401: the default action (runtimes skip such rules)
        flt.add_rule(pyseccomp.ERRNO(1), "getppid")


def test_a_rule_under_other_conditions_is_an_addition_not_redundant() -> None:
    """moby: syslog allowed with CAP_SYS_ADMIN, and again with CAP_SYSLOG. A container with only
    CAP_SYSLOG gets syslog from the second rule alone, so it is not redundant; repeating the
    same conditions, or an unconditional rule first, is."""
    admin = {
        "names": ["syslog"],
        "action": "SCMP_ACT_ALLOW",
        "includes": {"caps": ["CAP_SYS_ADMIN"]},
    }
    syslog = {"names": ["syslog"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYSLOG"]}}
    newer = {"names": ["syslog"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}}
    plain = {"names": ["syslog"], "action": "SCMP_ACT_ALLOW"}
    assert not [d for d in check(allow(admin, syslog)) if d.code == "SK406"]
    assert not [d for d in check(allow(newer, syslog)) if d.code == "SK406"]
    assert [d.path for d in check(allow(admin, admin)) if d.code == "SK406"] == [("syscalls", 2)]
    assert [d.path for d in check(allow(plain, syslog)) if d.code == "SK406"] == [("syscalls", 2)]


@pytest.mark.parametrize(
    ("value", "refused"),
    [("4.8", False), ("255.255", False), ("", False), ("256.1", True), ("4.999999999", True),
     ("0.0", True), ("4", True), ("4.8.1", True), ("v4.8", True)],
)  # fmt: skip
def test_min_kernel_is_refused_exactly_where_resolve_refuses_it(value: str, refused: bool) -> None:
    """validate's SK503 and resolve agree: moby's parts are 8-bit numbers, 0.0 is no version."""
    from seccomp_kit.algebra.resolving import resolve
    from seccomp_kit.errors import InputError
    from seccomp_kit.io import loads

    rule = {"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": value}}
    doc = {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [rule]}
    codes = {code for code, _, _ in found(doc)}
    assert ("SK503" in codes) is refused
    try:
        resolve(loads(json.dumps(doc)), arch="x86_64", kernel="6.1")
    except InputError as exc:
        assert refused, exc
        assert "minKernel" in exc.message
    else:
        assert not refused
