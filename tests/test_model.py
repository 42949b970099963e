"""The model: spec literals as enum values, frozen classes, field validators, unknown names kept."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import given

from seccomp_kit.model import (
    UINT32_MAX,
    UINT64_MAX,
    Action,
    Arch,
    ArchMapEntry,
    ArgCondition,
    CapFilter,
    Dialect,
    Flag,
    Operator,
    Profile,
    SourceText,
    SyscallRule,
)
from seccomp_kit.testing.strategies import profiles


def test_enum_values_are_the_spec_literals() -> None:
    assert Action("SCMP_ACT_KILL_PROCESS") is Action.KILL_PROCESS
    assert Arch("SCMP_ARCH_RISCV64") is Arch.RISCV64
    assert Operator("SCMP_CMP_MASKED_EQ") is Operator.MASKED_EQ
    assert Flag("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") is Flag.WAIT_KILLABLE_RECV
    assert [len(Action), len(Arch), len(Operator), len(Flag)] == [9, 23, 7, 4]
    assert str(Action.ALLOW) == "SCMP_ACT_ALLOW"  # StrEnum: writes back as the literal
    assert {d.value for d in Dialect} == {"oci", "moby", "containers"}


def test_action_facts() -> None:
    assert {a for a in Action if a.takes_errno} == {Action.ERRNO, Action.TRACE}
    assert Action.ALLOW.kernel_base == 0x7FFF_0000
    assert Action.KILL_PROCESS.kernel_base == 0x8000_0000
    assert Action.KILL.kernel_base == Action.KILL_THREAD.kernel_base == 0
    assert Action.ERRNO.kernel_base == 0x0005_0000
    assert Action.NOTIFY.kernel_base == 0x7FC0_0000
    # the kernel's precedence between stacked filters: lowest (s32) value wins
    order = sorted(Action, key=lambda a: a.kernel_base - (1 << 32) * (a.kernel_base >> 31))
    assert order[0] is Action.KILL_PROCESS
    assert order[-1] is Action.ALLOW


def test_known_names_become_enums_unknown_ones_stay_strings() -> None:
    profile = Profile(
        default_action="SCMP_ACT_ERRNO",
        architectures=["SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"],
        flags=["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_NOPE"],
        syscalls=[SyscallRule(names=["read"], action="SCMP_ACT_ALOW")],
    )
    assert profile.default_action is Action.ERRNO
    assert profile.architectures == (Arch.X86_64, "SCMP_ARCH_VAX")
    assert type(profile.architectures[1]) is str
    assert profile.flags == (Flag.LOG, "SECCOMP_FILTER_FLAG_NOPE")
    assert profile.syscalls[0].action == "SCMP_ACT_ALOW"
    assert not isinstance(profile.syscalls[0].action, Action)


def test_classes_are_frozen_and_sequences_are_tuples() -> None:
    rule = SyscallRule(
        names=["read", "write"], action=Action.ALLOW, args=[ArgCondition(0, 1, "SCMP_CMP_EQ")]
    )
    assert rule.names == ("read", "write")
    assert isinstance(rule.args, tuple)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        rule.action = Action.LOG  # type: ignore[misc]
    profile = Profile(default_action=Action.ALLOW, syscalls=[rule])
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        profile.syscalls = ()  # type: ignore[misc]
    assert hash(profile) == hash(attrs.evolve(profile))
    assert attrs.evolve(profile, default_action="SCMP_ACT_LOG").default_action is Action.LOG


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"index": -1}, ValueError, "index -1 is outside 0..4294967295"),
        ({"index": UINT32_MAX + 1}, ValueError, "outside"),
        ({"index": True}, TypeError, "must be an integer"),
        ({"index": "0"}, TypeError, "must be an integer, not str"),
        ({"value": UINT64_MAX + 1}, ValueError, "value"),
        ({"value": 1.5}, TypeError, "integer"),
        ({"value_two": -1}, ValueError, "value_two"),
        ({"op": 3}, TypeError, "op must be a string"),
    ],
)
def test_arg_condition_validators(
    kwargs: dict[str, Any], error: type[Exception], words: str
) -> None:
    base: dict[str, Any] = {"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}
    with pytest.raises(error, match=words):
        ArgCondition(**{**base, **kwargs})


def test_arg_condition_edges_are_accepted() -> None:
    arg = ArgCondition(index=UINT32_MAX, value=UINT64_MAX, op="SCMP_CMP_MASKED_EQ", value_two=0)
    assert arg.op is Operator.MASKED_EQ
    assert ArgCondition(0, 0, "SCMP_CMP_EQ").effective_value_two == 0
    assert ArgCondition(0, 0, "SCMP_CMP_MASKED_EQ", 7).effective_value_two == 7


def test_rule_and_profile_validators() -> None:
    with pytest.raises(TypeError, match="names items must be strings"):
        SyscallRule(names=["read", 3], action=Action.ALLOW)  # type: ignore[list-item]
    with pytest.raises(TypeError, match="action must be a string"):
        SyscallRule(names=["read"], action=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="errno_ret"):
        SyscallRule(names=["read"], action=Action.ERRNO, errno_ret=UINT32_MAX + 1)
    with pytest.raises(ValueError, match="default_errno_ret"):
        Profile(default_action=Action.ERRNO, default_errno_ret=-1)
    with pytest.raises(TypeError, match="listener_path"):
        Profile(default_action=Action.ALLOW, listener_path=5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="nope"):
        Profile(default_action=Action.ALLOW, dialect="nope")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="caps items"):
        CapFilter(caps=[1])  # type: ignore[list-item]


def test_cap_filter_truthiness() -> None:
    assert not CapFilter()
    assert CapFilter(caps=["CAP_SYS_ADMIN"])
    assert CapFilter(arches=["amd64"])
    assert CapFilter(min_kernel="4.8")
    assert CapFilter(caps=None).caps == ()  # type: ignore[arg-type]


def test_equality_ignores_where_the_profile_came_from() -> None:
    a = Profile(default_action=Action.ALLOW, source=SourceText("a.json", "{}"))
    b = Profile(default_action=Action.ALLOW, source=SourceText("b.json", "{ }"))
    assert a == b
    assert hash(a) == hash(b)
    assert "source" not in repr(a)


def test_all_architectures_in_order_once() -> None:
    profile = Profile(
        default_action=Action.ALLOW,
        architectures=[Arch.X86_64],
        arch_map=[
            ArchMapEntry("SCMP_ARCH_X86_64", ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]),
            ArchMapEntry("SCMP_ARCH_AARCH64", None),  # type: ignore[arg-type]
            ArchMapEntry("SCMP_ARCH_X86", []),
        ],
    )
    assert profile.all_architectures() == (Arch.X86_64, Arch.X86, Arch.X32, Arch.AARCH64)


@given(profiles(dialect="moby", max_rules=4))
def test_drawn_models_are_immutable_values(profile: Profile) -> None:
    assert isinstance(profile.default_action, Action)
    assert attrs.evolve(profile) == profile
    assert hash(attrs.evolve(profile)) == hash(profile)
    for rule in profile.syscalls:
        assert isinstance(rule.names, tuple)
        assert all(isinstance(a, ArgCondition) for a in rule.args)
        assert attrs.evolve(rule, names=list(rule.names)) == rule  # converters make tuples
