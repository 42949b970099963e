"""The strategies draw what they promise: valid, round-tripping, compilable, shrinking profiles."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import attrs
import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis.errors import InvalidArgument

from seccomp_kit import strategies as sks
from seccomp_kit.io import detect_dialect, dumps, loads, to_data
from seccomp_kit.model import (
    UINT32_MAX,
    UINT64_MAX,
    Action,
    Arch,
    ArgCondition,
    Dialect,
    Flag,
    Operator,
    Profile,
    SyscallRule,
)
from seccomp_kit.syscalls import table
from seccomp_kit.syscalls.arches import RUNC_UNSUPPORTED, X32_SYSCALL_BIT, arch_info, native_arch
from seccomp_kit.syscalls.errnos import errno_number
from seccomp_kit.testing.strategies import (
    SyscallEvent,
    arg_conditions,
    audit_records,
    profiles,
    syscall_events,
    syscall_rules,
)

# Tests of options and plumbing keep this many examples under the thorough profile too: the
# invariants (validity, round trip, compiling) are what the thorough run is for.
LIGHT = settings(max_examples=60)
# Search budget for `find`: enough to hit every target below, never enough to be slow.
FIND = settings(database=None, max_examples=2000, suppress_health_check=list(HealthCheck))


class _Reached(Exception):
    pass


def reaches(strategy: st.SearchStrategy[Any], wanted: Callable[[Any], bool]) -> None:
    """Assert that ``strategy`` draws an example with ``wanted`` within the search budget
    (generation only: unlike ``find`` it does not spend time shrinking what it found)."""

    @settings(FIND, phases=[Phase.generate])
    @given(strategy)
    def search(value: Any) -> None:
        if wanted(value):
            raise _Reached

    with pytest.raises(_Reached):
        search()


CONFIGS: list[dict[str, Any]] = [
    {},
    {"runtime": "crun"},
    {"runtime": "oci"},
    {"conflicts": True},
    {"conflicts": True, "repeated_indices": True},
    {"runtime": "crun", "conflicts": True, "repeated_indices": True},
    {"dialect": "moby", "conflicts": True},
    {"dialect": "containers"},
    {"names": ["read", "write", "socket", "openat"], "conflicts": True, "max_rules": 12},
    {"names": st.sampled_from(["read", "close", "socket", "openat"]), "max_rules": 3},
]


def _ids(config: dict[str, Any]) -> str:
    def show(v: object) -> str:
        return "strategy" if isinstance(v, st.SearchStrategy) else str(v)

    return ",".join(f"{k}={show(v)}" for k, v in config.items()) or "defaults"


def _effective_errno(action: object, errno_ret: int | None, errno_name: str | None) -> int | None:
    if errno_name is not None:
        return errno_number(errno_name)
    if action is Action.ERRNO and errno_ret is None:
        return 1
    return errno_ret


# -- the promises, checked directly ------------------------------------------------------------


def check_valid(profile: Profile, runtime: str, *, repeated: bool = False) -> None:
    """Everything DESIGN.md §3 says a runtime needs, asserted without seccomp_kit.validate."""
    arches = tuple(Arch(a) for a in profile.all_architectures())
    targets = arches or (native_arch(),)
    assert len({arch_info(a).little_endian for a in targets}) == 1, "mixed byte order"
    if runtime == "runc":
        assert not RUNC_UNSUPPORTED & set(arches)
    narrow = any(arch_info(a).is_32bit for a in targets)
    assert profile.default_action is not Action.NOTIFY
    if not Action(profile.default_action).takes_errno:
        assert profile.default_errno_ret is None and profile.default_errno_name is None
    default = (
        Action(profile.default_action).kernel_base,
        _effective_errno(
            profile.default_action, profile.default_errno_ret, profile.default_errno_name
        ),
    )
    for rule in profile.syscalls:
        action = Action(rule.action)
        assert rule.names
        assert len(set(rule.names)) == len(rule.names)
        for name in rule.names:
            for arch in targets:
                assert name in table(arch), f"{name} not on {arch}"
        if not action.takes_errno:
            assert rule.errno_ret is None and rule.errno_name is None
        mine = (action.kernel_base, _effective_errno(action, rule.errno_ret, rule.errno_name))
        assert mine != default, f"{rule} has the default action"
        if action is Action.NOTIFY:
            assert "write" not in rule.names
            assert profile.listener_path is not None
        indices = [a.index for a in rule.args]
        assert all(0 <= i <= 5 for i in indices)
        if not repeated:
            assert len(set(indices)) == len(indices)
        for arg in rule.args:
            assert Operator(arg.op) in Operator
            limit = UINT32_MAX if narrow else UINT64_MAX
            assert arg.value <= limit
            assert arg.effective_value_two <= limit
    if profile.listener_metadata is not None:
        assert profile.listener_path is not None
    notify = any(r.action is Action.NOTIFY for r in profile.syscalls)
    if notify:
        assert Flag.TSYNC not in profile.flags
    else:
        assert profile.listener_path is None
        assert Flag.WAIT_KILLABLE_RECV not in profile.flags
    if profile.dialect is Dialect.OCI:
        assert not profile.arch_map
        assert not any(
            r.comment or r.legacy_name or r.includes or r.excludes for r in profile.syscalls
        )


@pytest.mark.parametrize("config", CONFIGS, ids=_ids)
@given(data=st.data())
def test_profiles_are_valid_and_round_trip(config: dict[str, Any], data: st.DataObject) -> None:
    from seccomp_kit.validation import validate

    profile = data.draw(profiles(**config))
    runtime = config.get("runtime", "runc")
    # The runtimes' rules, checked directly...
    check_valid(profile, runtime, repeated=config.get("repeated_indices", False))
    if not config.get("conflicts"):
        named = Counter(n for r in profile.syscalls for n in r.names)
        assert max(named.values(), default=1) == 1
    # ... and by the validator, which must find no error.
    # (on a host of the profile's first architecture, the host it was drawn for, with the
    # newest libseccomp: the strategies draw every architecture the runtime supports)
    arches = profile.all_architectures()
    host = arches[0] if arches else None
    found = validate(profile, runtime=runtime, arch=host, libseccomp="2.6.0")
    errors = [d for d in found if d.severity == "error"]
    assert not errors, [str(d) for d in errors]
    # The canonical text reads back as the same profile, in the same dialect.
    text = dumps(profile)
    again = loads(text)
    assert again == profile
    assert dumps(again) == text
    assert detect_dialect(to_data(profile)) is profile.dialect


@cache
def _buildable() -> tuple[Arch, ...]:
    """Architectures the installed libseccomp can build a filter for, per compile itself."""
    from seccomp_kit.errors import CompileError, ProfileError
    from seccomp_kit.libseccomp.compile import compile_profile

    out = []
    for arch in Arch:
        if arch in RUNC_UNSUPPORTED:
            continue
        try:
            compile_profile(Profile(Action.ALLOW, architectures=(arch,)), arch=arch)
        except (CompileError, ProfileError):  # libseccomp does not know it: the runtime refuses
            continue
        out.append(arch)
    return tuple(out)


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"conflicts": True},
        {"conflicts": True, "repeated_indices": True},
        {"runtime": "crun"},
        {"runtime": "crun", "repeated_indices": True},
    ],
    ids=_ids,
)
@given(data=st.data())
def test_profiles_compile_with_libseccomp(config: dict[str, Any], data: st.DataObject) -> None:
    from seccomp_kit.libseccomp.compile import compile_profile

    pool = _buildable()
    assert Arch.X86_64 in pool
    # The profile is compiled as on a host of its first architecture (foreign hosts included:
    # libseccomp builds filters for any architecture it knows).
    profile = data.draw(profiles(architectures=pool, **config))
    host = profile.all_architectures()[0]
    compiled = compile_profile(profile, arch=host, runtime=config.get("runtime", "runc"))
    assert compiled.instructions


# -- options are obeyed ------------------------------------------------------------------------


@LIGHT
@given(
    profiles(
        architectures=["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"],
        actions=["SCMP_ACT_LOG", "SCMP_ACT_ERRNO"],
        default_actions=["SCMP_ACT_ALLOW"],
        min_rules=2,
        max_rules=4,
        operators=["SCMP_CMP_MASKED_EQ"],
        indices=[2],
        flags=["SECCOMP_FILTER_FLAG_LOG"],
    )
)
def test_profile_options_are_obeyed(profile: Profile) -> None:
    assert profile.default_action is Action.ALLOW
    assert 2 <= len(profile.syscalls) <= 4
    assert set(profile.architectures) <= {Arch.AARCH64, Arch.ARM}
    assert profile.architectures
    assert set(profile.flags) <= {Flag.LOG}
    for rule in profile.syscalls:
        assert rule.action in (Action.LOG, Action.ERRNO)
        for arg in rule.args:
            assert arg.op is Operator.MASKED_EQ and arg.index == 2
            assert arg.value_two is not None
            if Arch.ARM in profile.architectures:  # 32-bit: every value fits 32 bits
                assert arg.value <= UINT32_MAX and arg.value_two <= UINT32_MAX


@LIGHT
@given(
    profiles(
        names=st.sampled_from(["read", "close"]),
        arg_conditions=False,
        architectures=st.just(["SCMP_ARCH_X86_64"]),
    )
)
def test_strategies_as_arguments(profile: Profile) -> None:
    assert profile.architectures == (Arch.X86_64,)
    for rule in profile.syscalls:
        assert set(rule.names) <= {"read", "close"}
        assert rule.args == ()


@LIGHT
@given(
    syscall_rules(
        architectures=["SCMP_ARCH_X86"],
        actions=["SCMP_ACT_NOTIFY"],
        names=["write", "read"],
        values=st.integers(-5, 5),
    )
)
def test_rule_options_are_obeyed(rule: SyscallRule) -> None:
    assert rule.action is Action.NOTIFY
    assert rule.names == ("read",)  # NOTIFY is never used for write
    for arg in rule.args:
        # values are reduced to the argument width: -1 is 0xffffffff on x86
        assert arg.value in {*range(6), *(UINT32_MAX + 1 - k for k in range(1, 6))}


@LIGHT
@given(arg_conditions(indices=[4], operators=["SCMP_CMP_GT"], bits=32))
def test_arg_condition_options_are_obeyed(cond: ArgCondition) -> None:
    assert cond.index == 4 and cond.op is Operator.GT and cond.value <= UINT32_MAX
    assert cond.value_two in (None, 0)


@LIGHT
@given(
    profiles(
        dialect="containers",
        architectures=["SCMP_ARCH_X86_64"],
        min_rules=1,
        actions=["SCMP_ACT_ERRNO"],
    )
)
def test_containers_dialect_uses_errno_names(profile: Profile) -> None:
    assert profile.default_action is Action.ERRNO
    assert profile.default_errno_name is not None
    assert profile.arch_map and not profile.architectures
    for rule in profile.syscalls:
        assert rule.errno_name is not None or rule.errno_ret is not None
        mine = _effective_errno(rule.action, rule.errno_ret, rule.errno_name)
        assert mine != errno_number(profile.default_errno_name)


def test_moby_dialect_draws_moby_fields() -> None:
    reaches(
        profiles(
            dialect="moby",
            architectures=["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            min_rules=1,
        ),
        lambda p: (
            any(e.sub_architectures for e in p.arch_map)
            and any(r.legacy_name for r in p.syscalls)
            and any(r.includes for r in p.syscalls)
        ),
    )


# -- shrinking -----------------------------------------------------------------------------


def test_failures_shrink_to_minimal_profiles() -> None:
    # A property that fails for profiles with 3 rules or more shrinks to exactly 3 plain rules.
    smallest = find(profiles(), lambda p: len(p.syscalls) >= 3, settings=FIND)
    assert len(smallest.syscalls) == 3
    assert smallest.architectures == () and smallest.flags == ()
    assert smallest.listener_path is None and smallest.default_errno_ret is None
    for rule in smallest.syscalls:
        assert len(rule.names) == 1
        assert rule.args == ()
        assert rule.errno_ret is None


def test_conflicts_shrink_to_two_rules_on_one_syscall() -> None:
    def clash(p: Profile) -> bool:
        actions: dict[str, set[object]] = {}
        for r in p.syscalls:
            for n in r.names:
                actions.setdefault(n, set()).add(r.action)
        return any(len(a) > 1 for a in actions.values())

    smallest = find(profiles(conflicts=True), clash, settings=FIND)
    assert len(smallest.syscalls) == 2
    assert smallest.syscalls[0].names == smallest.syscalls[1].names
    assert len(smallest.syscalls[0].names) == 1


def test_one_bad_argument_value_shrinks_to_one_condition() -> None:
    smallest = find(
        profiles(),
        lambda p: any(a.value > UINT32_MAX for r in p.syscalls for a in r.args),
        settings=FIND,
    )
    assert len(smallest.syscalls) == 1
    (rule,) = smallest.syscalls
    assert len(rule.args) == 1
    assert rule.args[0].value == UINT32_MAX + 1


# -- what conflicts=True must be able to draw ----------------------------------------------


@pytest.mark.parametrize(
    "wanted",
    [
        pytest.param(
            lambda p, op=op: any(a.op is op for r in p.syscalls for a in r.args),
            id=f"op-{op.name}",
        )
        for op in Operator
    ]
    + [
        pytest.param(
            lambda p: any(a.value > UINT32_MAX for r in p.syscalls for a in r.args),
            id="64-bit-value",
        ),
        pytest.param(
            lambda p: any(
                a.op is Operator.MASKED_EQ and a.value > UINT32_MAX and a.effective_value_two
                for r in p.syscalls
                for a in r.args
            ),
            id="64-bit-mask",
        ),
        pytest.param(
            lambda p: any(
                r.args and s.args and r.action != s.action and set(r.names) & set(s.names)
                for i, r in enumerate(p.syscalls)
                for s in p.syscalls[i + 1 :]
            ),
            id="conditional-rules-with-different-actions",
        ),
        pytest.param(
            lambda p: any(
                not r.args and s.args and r.action != s.action and set(r.names) & set(s.names)
                for i, r in enumerate(p.syscalls)
                for s in p.syscalls[i + 1 :]
            ),
            id="unconditional-then-conditional",
        ),
        pytest.param(lambda p: any(r.action is Action.NOTIFY for r in p.syscalls), id="notify"),
    ],
)
def test_conflicts_cover_what_matchers_need(wanted: Callable[[Profile], bool]) -> None:
    reaches(profiles(conflicts=True, max_rules=10), wanted)


@pytest.mark.parametrize("runtime", ["runc", "crun", "oci"])
def test_repeated_indices_are_drawn_when_asked(runtime: str) -> None:
    # runc and crun alike split such a rule into one rule per condition (the conformance tests
    # check both against the real runtimes); the spec alone follows them.
    found = find(
        profiles(repeated_indices=True, runtime=runtime),
        lambda p: any(len({a.index for a in r.args}) < len(r.args) for r in p.syscalls),
        settings=FIND,
    )
    (rule,) = found.syscalls
    assert len(rule.args) == 2


# -- syscall events --------------------------------------------------------------------------

EVENT_PROFILE = Profile(
    default_action=Action.ALLOW,
    architectures=(Arch.X86_64,),
    syscalls=(
        SyscallRule(("read",), Action.ERRNO, args=(ArgCondition(0, 5, Operator.EQ),)),
        SyscallRule(
            ("write",), Action.LOG, args=(ArgCondition(1, 0xF0, Operator.MASKED_EQ, 0x30),)
        ),
        SyscallRule(("close",), Action.TRAP, args=(ArgCondition(2, 1 << 32, Operator.GT),)),
    ),
)


@LIGHT
@given(syscall_events(profile=EVENT_PROFILE))
def test_events_are_well_formed(event: SyscallEvent) -> None:
    assert isinstance(event.arch, Arch)
    assert 0 <= event.nr <= UINT32_MAX
    assert len(event.args) == 6 and all(0 <= a <= UINT64_MAX for a in event.args)


@LIGHT
@given(syscall_events(arch="aarch64"))
def test_events_stay_on_a_given_arch(event: SyscallEvent) -> None:
    assert event.arch is Arch.AARCH64


X86_64 = table(Arch.X86_64)


@pytest.mark.parametrize(
    "wanted",
    [
        pytest.param(lambda e: e.args[0] == 5, id="equal"),
        pytest.param(lambda e: e.args[0] == 4, id="below"),
        pytest.param(lambda e: e.args[0] == 6, id="above"),
        pytest.param(lambda e: e.args[1] & 0xF0 == 0x30 and e.args[1] != 0x30, id="mask-hit"),
        pytest.param(lambda e: (e.args[1] & 0xF0) ^ 0x30 in (0x10, 0x80), id="mask-one-bit-off"),
        pytest.param(lambda e: e.args[2] == (1 << 32) + 1, id="64-bit-threshold-plus-one"),
        pytest.param(lambda e: e.args[2] == (UINT32_MAX << 32) | 1, id="high-word-all-ones"),
        pytest.param(lambda e: e.args[0] == (1 << 32) | 5, id="32-bit-truncation"),
        pytest.param(lambda e: e.arch is Arch.X86_64 and e.nr == X86_64.number("read"), id="rule"),
        pytest.param(lambda e: e.arch is Arch.X86_64 and e.nr == X86_64.max_number + 1, id="max+1"),
        pytest.param(lambda e: e.nr == UINT32_MAX, id="minus-one"),
        pytest.param(
            lambda e: e.arch is Arch.X86_64 and e.nr & X32_SYSCALL_BIT and e.nr < UINT32_MAX,
            id="x32-bit",
        ),
        pytest.param(lambda e: e.arch is not Arch.X86_64, id="other-arch"),
    ],
)
def test_events_reach_every_boundary(wanted: Callable[[SyscallEvent], bool]) -> None:
    reaches(syscall_events(profile=EVENT_PROFILE), wanted)


def test_event_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="6 values"):
        SyscallEvent(Arch.X86_64, 0, (0, 0))
    with pytest.raises(ValueError, match="nr must be"):
        SyscallEvent(Arch.X86_64, -1)
    assert SyscallEvent("amd64", 1).arch is Arch.X86_64


# -- audit records -----------------------------------------------------------------------------


@LIGHT
@given(audit_records(formats=["auditd", "kmsg"]))
def test_audit_records_parse_to_their_event(line: str) -> None:
    from seccomp_kit.audit import parse_line

    parsed = parse_line(line)
    assert parsed == line.event  # type: ignore[attr-defined]


def test_audit_records_rejects_unknown_formats() -> None:
    with pytest.raises(InvalidArgument, match="unknown audit record formats"):
        audit_records(formats=["csv"])


# -- bad arguments -------------------------------------------------------------------------------

BAD: list[tuple[Callable[[], object], str]] = [
    (lambda: profiles(architectures=["SCMP_ARCH_X86_46"]), "did you mean"),
    (lambda: profiles(architectures=["SCMP_ARCH_PARISC"]), "runc does not support"),
    (lambda: profiles(architectures=[]), "must not be empty"),
    (lambda: profiles(min_rules=3, max_rules=1), "must not exceed"),
    (lambda: profiles(min_rules=-1), "min_rules=-1"),
    (lambda: profiles(max_rules=True), "must be an integer"),
    (lambda: profiles(runtime="docker"), "runtime='docker'"),
    (lambda: profiles(dialect="json"), "dialect='json'"),
    (lambda: profiles(actions=["SCMP_ACT_ALLOWED"]), "unknown value 'SCMP_ACT_ALLOWED'"),
    (lambda: profiles(actions=[]), "must not be empty"),
    (lambda: profiles(actions="SCMP_ACT_ALLOW"), "must be a collection"),
    (lambda: profiles(default_actions=["SCMP_ACT_NOTIFY"]), "NOTIFY cannot be the default"),
    (
        lambda: profiles(
            actions=["SCMP_ACT_ALLOW"], default_actions=["SCMP_ACT_ALLOW"], min_rules=1
        ),
        "equals every default",
    ),
    (lambda: profiles(indices=[6]), "indices item=6"),
    (lambda: profiles(operators=["SCMP_CMP_EQUAL"]), "unknown value"),
    (lambda: profiles(flags=["SECCOMP_FILTER_FLAG_FOO"]), "unknown value"),
    (lambda: profiles(values=[1, 2]), "must be a Hypothesis strategy"),
    (lambda: profiles(names=["reed"]), "not a syscall"),
    (
        lambda: profiles(dialect="containers", default_actions=["SCMP_ACT_KILL"]),
        "must include ERRNO",
    ),
    (lambda: profiles(conflicts=1), "conflicts=1"),
    (lambda: profiles(arg_conditions="yes"), "True or False"),
    (lambda: syscall_rules(architectures=["SCMP_ARCH_AARCH64"], names=["open"]), "none of names"),
    (lambda: syscall_rules(max_args=7), "max_args=7"),
    (lambda: syscall_rules(max_names=0), "max_names=0"),
    (lambda: arg_conditions(bits=16), "bits=16"),
    (lambda: arg_conditions(indices=[]), "must not be empty"),
    (lambda: syscall_events(arch="vax"), "unknown architecture"),
    (lambda: syscall_events(profile="{}"), "must be a seccomp_kit Profile"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize("call,message", BAD, ids=[m for _, m in BAD])
def test_bad_arguments_raise_invalid_argument(call: Callable[[], object], message: str) -> None:
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        call()


def test_mixed_byte_order_from_a_strategy_is_refused_when_drawn() -> None:
    @given(profiles(architectures=st.just(["SCMP_ARCH_X86_64", "SCMP_ARCH_S390X"])))
    def draw(profile: Profile) -> None:
        raise AssertionError("drawn")

    with pytest.raises(InvalidArgument, match="mix byte orders"):
        draw()


def test_public_names() -> None:
    for name in sks.__all__:
        assert hasattr(sks, name), name
    assert sks.RUNTIMES == ("runc", "crun", "oci")
    assert attrs.has(SyscallEvent)


# -- a new project's first draws -------------------------------------------------------------


def test_first_draws_scan_no_codec(tmp_path: Path) -> None:
    """Characters given as a codec (``codec="utf-8"``) make Hypothesis scan all of Unicode once
    per storage directory, over a second inside the first draw of a new project or a CI
    checkout: the too_slow health check's whole budget. The strategies' text is given by
    category instead; a fresh interpreter and storage directory show whether any scan ran."""
    script = textwrap.dedent(
        """
        from hypothesis import given, settings
        from hypothesis.internal.charmap import intervals_from_codec

        from seccomp_kit.testing.strategies import audit_records, profiles

        @settings(max_examples=30, database=None)
        @given(profiles(dialect="moby"), profiles(dialect="containers"), audit_records())
        def check(moby, containers, line):
            pass

        check()
        print(intervals_from_codec.cache_info().currsize)
        """
    )
    env = {**os.environ, "HYPOTHESIS_STORAGE_DIRECTORY": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["0"]
