"""normalize and merge keep runc's ENOSYS-stub limits (issue 17): runc answers ENOSYS above the
highest syscall number any rule names, rules equal to the default included, so the names that
set those limits survive even where their rule is dropped."""

from __future__ import annotations

import attrs
from hypothesis import assume, given

from seccomp_kit import io
from seccomp_kit.algebra import merge, normalize
from seccomp_kit.errors import InputError
from seccomp_kit.libseccomp.compile import compile_profile
from seccomp_kit.libseccomp.translate import translate
from seccomp_kit.model import Arch, Profile
from tests.algebra.test_merge import profile_groups

ISSUE = io.loads(
    '{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],'
    '"syscalls":[{"names":["clone"],"action":"SCMP_ACT_ALLOW"},'
    '{"names":["clone3"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}'
)


def _answers(profile: Profile, arch: Arch) -> list[int]:
    """What runc's filter (x86_64 host) returns for every number up to past the table's end."""
    compiled = compile_profile(profile, arch="x86_64", runtime="runc")
    return [compiled.emulate(nr=nr, arch=arch) for nr in range(1100)]


def test_normalize_keeps_what_runc_does_for_the_issue_profile() -> None:
    normalized = normalize(ISSUE)
    for arch in (Arch.X86_64, Arch.X86):
        assert _answers(normalized, arch) == _answers(ISSUE, arch)
    assert normalize(normalized) == normalized


def test_only_the_names_that_set_a_limit_are_kept() -> None:
    profile = io.loads(
        '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":['
        '{"names":["read","clone3","mount"],"action":"SCMP_ACT_ALLOW"},'
        '{"names":["write","close","clone3"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}'
    )
    # write and close are below read/clone3 on every architecture: nothing to keep for them.
    assert [r.names for r in normalize(profile).syscalls] == [("clone3", "mount", "read")]


def _limits(profile: Profile) -> object:
    return translate(profile, runtime="runc", host_arch="x86_64").enosys_limits


@given(profile_groups(1))
def test_normalize_keeps_runc_stub_limits(group: list[Profile]) -> None:
    (profile,) = group
    try:
        normalized = normalize(profile)
    except InputError as exc:
        assume("EEXIST" not in exc.message)
        raise
    assert _limits(normalized) == _limits(profile)


@given(profile_groups(2))
def test_merge_keeps_the_highest_stub_limits(group: list[Profile]) -> None:
    """With one default (another default changes whether runc adds a stub at all)."""
    first = group[0]
    group = [
        first,
        attrs.evolve(
            group[1],
            default_action=first.default_action,
            default_errno_ret=first.default_errno_ret,
            default_errno_name=first.default_errno_name,
        ),
    ]
    try:
        merged = merge(*group)
    except InputError:
        assume(False)
        raise
    limits = [_limits(p) for p in group]
    if limits[0] is None:
        assert _limits(merged) is None
        return
    tops: dict[Arch, int] = {}
    for found in limits:
        for arch, top in found:  # type: ignore[attr-defined]
            tops[arch] = max(tops.get(arch, 0), top)
    assert dict(_limits(merged)) == tops  # type: ignore[arg-type]
