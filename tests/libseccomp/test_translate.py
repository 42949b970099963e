"""seccomp_kit.libseccomp.translate: what runc and crun hand libseccomp, checked against runc's
rules and, where it decides the compiled program, against libseccomp (through
seccomp_kit.libseccomp.compile)."""

from __future__ import annotations

import pytest

from seccomp_kit import syscalls
from seccomp_kit.errors import ProfileError
from seccomp_kit.libseccomp.compile import compile_profile
from seccomp_kit.libseccomp.translate import ERRNO_ENOSYS, SkipReason, translate
from seccomp_kit.model import Arch, ArgCondition, Profile, SyscallRule

ERRNO1 = 0x0005_0001


def test_one_rule_per_name_in_profile_order() -> None:
    p = Profile(
        default_action="SCMP_ACT_ERRNO",
        syscalls=[
            SyscallRule(names=["write", "read"], action="SCMP_ACT_ALLOW"),
            SyscallRule(names=["no_such_call"], action="SCMP_ACT_ALLOW"),
            SyscallRule(names=["close"], action="SCMP_ACT_ERRNO"),
        ],
    )
    t = translate(p, host_arch="x86_64")
    assert [(r.name, r.path, r.name_index) for r in t.rules] == [
        ("write", ("syscalls", 0), 0),
        ("read", ("syscalls", 0), 1),
    ]
    assert [(s.name, s.reason) for s in t.skipped] == [
        ("no_such_call", SkipReason.UNKNOWN_NAME),
        ("close", SkipReason.EQUALS_DEFAULT),
    ]
    assert t.default_action == ERRNO1


def test_repeated_index_splits_into_or_rules() -> None:
    conds = [ArgCondition(index=0, value=v, op="SCMP_CMP_EQ") for v in (1, 2)]
    p = Profile(
        default_action="SCMP_ACT_ALLOW",
        syscalls=[SyscallRule(names=["personality"], action="SCMP_ACT_ERRNO", args=conds)],
    )
    t = translate(p, host_arch="x86_64")
    assert [r.conditions for r in t.rules] == [(conds[0],), (conds[1],)]


def test_enosys_limits_skip_an_architecture_whose_highest_number_is_0() -> None:
    """runc's findLastSyscalls starts at 0 and drops an architecture whose largest number stays
    0; a profile naming only read (0 on x86_64) therefore gets no stub section there."""
    p = Profile(
        default_action="SCMP_ACT_ERRNO",
        architectures=["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
        syscalls=[SyscallRule(names=["read"], action="SCMP_ACT_ALLOW")],
    )
    t = translate(p, host_arch="x86_64")
    read_x86 = syscalls.table(Arch.X86).number("read")
    assert t.enosys_limits == ((Arch.X86, read_x86),)
    c = compile_profile(p, arch="x86_64")
    assert c.emulate(nr=1) == ERRNO1  # the default, not ENOSYS
    assert c.emulate(nr=4, arch=Arch.X86) == ERRNO_ENOSYS


def test_enosys_limits_use_every_name_even_skipped_ones() -> None:
    p = Profile(
        default_action="SCMP_ACT_ERRNO",
        syscalls=[
            SyscallRule(names=["read"], action="SCMP_ACT_ALLOW"),
            SyscallRule(names=["openat"], action="SCMP_ACT_ERRNO"),  # equals the default
        ],
    )
    t = translate(p, host_arch="x86_64")
    assert t.enosys_limits == ((Arch.X86_64, 257),)
    c = compile_profile(p, arch="x86_64")
    assert c.emulate(nr=257) == ERRNO1
    assert c.emulate(nr=258) == ERRNO_ENOSYS


@pytest.mark.parametrize(
    ("names", "tree"),
    [(32, False), (33, True)],
)
def test_binary_tree_above_32_names(names: int, tree: bool) -> None:
    pool = sorted(syscalls.table(Arch.X86_64).by_name)[:names]
    p = Profile(
        default_action="SCMP_ACT_ERRNO",
        syscalls=[SyscallRule(names=pool, action="SCMP_ACT_ALLOW")],
    )
    assert translate(p, host_arch="x86_64").binary_tree is tree
    assert translate(p, host_arch="x86_64", runtime="crun").binary_tree is False


def test_runtime_refusals() -> None:
    with pytest.raises(ProfileError) as info:
        translate(Profile(default_action="SCMP_ACT_NOTIFY"), host_arch="x86_64")
    assert info.value.path == ("defaultAction",)
    p = Profile(default_action="SCMP_ACT_ALLOW", architectures=["SCMP_ARCH_PARISC"])
    with pytest.raises(ProfileError, match="runc does not support"):
        translate(p, host_arch="x86_64")
    # crun asks libseccomp for it, which refuses to mix byte orders (measured: crun 1.8.1 and
    # 1.21 fail with "seccomp adding architecture: Numerical argument out of domain").
    with pytest.raises(ProfileError, match="big-endian and little-endian"):
        translate(p, host_arch="x86_64", runtime="crun")
    big = Profile(default_action="SCMP_ACT_ALLOW", architectures=["SCMP_ARCH_PARISC"])
    assert translate(big, host_arch="parisc64", runtime="crun").architectures[1] is Arch.PARISC
    errno_on_allow = Profile(
        default_action="SCMP_ACT_ERRNO",
        syscalls=[SyscallRule(names=["read"], action="SCMP_ACT_ALLOW", errno_ret=3)],
    )
    assert translate(errno_on_allow, host_arch="x86_64").rules[0].action == 0x7FFF_0000
    with pytest.raises(ProfileError, match="crun refuses errnoRet") as info:
        translate(errno_on_allow, host_arch="x86_64", runtime="crun")
    assert info.value.path == ("syscalls", 0, "errnoRet")
