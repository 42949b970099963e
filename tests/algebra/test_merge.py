"""normalize, merge and extend: exact on effect, judged by the matcher."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from pathlib import Path

import attrs
import hypothesis.strategies as st
import pytest
from hypothesis import assume, given

from seccomp_kit import io
from seccomp_kit.algebra.merging import MAX_BASE_DEPTH, extend, extend_chain, merge, normalize
from seccomp_kit.errors import InputError, ProfileError
from seccomp_kit.match import Matcher
from seccomp_kit.model import (
    Action,
    Arch,
    ArchMapEntry,
    ArgCondition,
    CapFilter,
    Flag,
    Operator,
    Profile,
    SourceText,
    SyscallRule,
)
from seccomp_kit.syscalls import table
from seccomp_kit.testing.strategies import profiles
from tests.conftest import NOT_PROFILES

U32 = 0xFFFF_FFFF
U64 = 0xFFFF_FFFF_FFFF_FFFF
ALLOW = 0x7FFF_0000
LOG = 0x7FFC_0000
KILL = 0x0000_0000
EPERM = 0x0005_0001
ENOSYS = 0x0005_0026

# Names that exist on x86_64 and aarch64 alike (neither multiplexes socket or ipc calls).
NAMES = (
    "read",
    "write",
    "openat",
    "close",
    "socket",
    "clone",
    "ptrace",
    "mmap",
    "futex",
    "kill",
    "dup3",
    "personality",
    "bpf",
    "mount",
)
ARCH_LISTS = ((Arch.X86_64,), (Arch.X86_64, Arch.AARCH64), (Arch.AARCH64,))
VALUES = st.integers(0, 40) | st.sampled_from([U32, 1 << 32, 1 << 63, U64, 0x7E02_0000, 0xF00])


def named(profile: Profile, name: str) -> Profile:
    return attrs.evolve(profile, source=SourceText(name, ""))


def rule(names: Iterable[str], action: Action, **kw: object) -> SyscallRule:
    return SyscallRule(names=tuple(names), action=action, **kw)  # type: ignore[arg-type]


def prof(*rules: SyscallRule, default: Action = Action.ERRNO, **kw: object) -> Profile:
    return Profile(default_action=default, syscalls=rules, **kw)  # type: ignore[arg-type]


def eq(index: int, value: int) -> ArgCondition:
    return ArgCondition(index=index, value=value, op=Operator.EQ)


# -- the effect oracle ------------------------------------------------------------------------


def _points(profiles_: Sequence[Profile], arch: Arch) -> list[tuple[int, tuple[int, ...]]]:
    """Every syscall number of ``arch``; for names with argument rules, every combination of
    each condition's value, its neighbours, masked variants, 0 and the maximum."""
    values: dict[str, dict[int, set[int]]] = {}
    for p in profiles_:
        for r in p.syscalls:
            for name in r.names:
                for c in r.args:
                    mine = values.setdefault(name, {}).setdefault(c.index, {0, U32, U64})
                    v, two = c.value, c.effective_value_two
                    mine.update(x for x in (v - 1, v, v + 1, v & U32, two, two ^ v) if x >= 0)
                    mine.update({(two | ~v) & U64, two ^ (v & -v)})
    out: list[tuple[int, tuple[int, ...]]] = []
    for name, nr in table(arch).by_name.items():
        per_index = values.get(name)
        if not per_index:
            out.append((nr, ()))
            continue
        indices = sorted(per_index)
        columns = [sorted(x for x in per_index[i] if x <= U64) for i in indices]
        for combo in itertools.islice(itertools.product(*columns), 600):
            args = [0] * 6
            for i, v in zip(indices, combo, strict=True):
                args[i] = v
            out.append((nr, tuple(args)))
    return out


def effect(
    profile: Profile, arch: Arch, points: Sequence[tuple[int, tuple[int, ...]]]
) -> list[int]:
    matcher = Matcher(profile, arch=arch, runtime="crun")
    return [matcher.match(nr, args, arch=arch).ret for nr, args in points]


def input_effect(
    profile: Profile, arch: Arch, points: Sequence[tuple[int, tuple[int, ...]]]
) -> list[int]:
    """effect() of a drawn input; inputs libseccomp itself refuses or hangs on are rejected."""
    try:
        return effect(profile, arch, points)
    except ProfileError:
        assume(False)
        raise


def rank(ret: int) -> tuple[int, int]:
    action = ret & 0xFFFF_0000
    return (action - (1 << 32) if action & 0x8000_0000 else action), ret & 0xFFFF


def compare_arches(*ps: Profile) -> list[Arch]:
    """Architectures every profile filters (the host of the question always is)."""
    common = set.intersection(*(set(p.architectures) for p in ps)) if ps else set()
    return sorted(common | {Arch.X86_64}, key=list(Arch).index)


def merged_or_refused(*ps: Profile, strategy: str = "union") -> Profile:
    """merge(), or a Hypothesis rejection when merge refuses with its documented error."""
    try:
        return merge(*ps, strategy=strategy)
    except InputError as exc:
        assume("cannot be written as OCI rules" not in exc.message)
        assume("overlap with different actions" not in exc.message)
        assume("differs" not in exc.message)  # listeners: one per filter
        # libseccomp's decision tree would not evaluate the rules as their union/intersection.
        assume("libseccomp would not" not in exc.message)
        raise


@st.composite
def profile_groups(draw: st.DrawFn, count: int, conflicts: bool = False) -> list[Profile]:
    arches = draw(st.sampled_from(ARCH_LISTS))
    strategy = profiles(
        architectures=st.just(arches),
        names=NAMES,
        runtime="crun",
        max_rules=6,
        max_args=2,
        values=VALUES,
        conflicts=conflicts,
    )
    return [draw(strategy) for _ in range(count)]


# -- normalize --------------------------------------------------------------------------------


def test_normalize_groups_sorts_and_drops_what_no_runtime_reaches() -> None:
    p = prof(
        rule(["write", "read"], Action.ALLOW),
        rule(["read", "close"], Action.ALLOW),
        rule(["mount"], Action.ERRNO, errno_ret=1),  # equals the default (EPERM)
        rule(["ptrace"], Action.ERRNO, errno_ret=38),
        rule(["ptrace"], Action.ALLOW),  # a second unconditional rule: the first wins
        rule(["kill"], Action.ALLOW, args=(eq(1, 9),)),
        rule(["kill"], Action.LOG),  # the unconditional rule replaces the conditional one
        rule(["dup3"], Action.ALLOW, args=(eq(0, 1), eq(0, 2))),  # repeated index: OR
    )
    n = normalize(p)
    assert n.default_action is Action.ERRNO
    assert n.default_errno_ret == 1
    assert [(r.names, r.action, r.errno_ret, r.args) for r in n.syscalls] == [
        (("close", "read", "write"), Action.ALLOW, None, ()),
        (("kill",), Action.LOG, None, ()),
        (("ptrace",), Action.ERRNO, 38, ()),
        (("dup3",), Action.ALLOW, None, (eq(0, 1),)),
        (("dup3",), Action.ALLOW, None, (eq(0, 2),)),
    ]
    assert normalize(n) == n
    for arch in (Arch.X86_64,):
        pts = _points([p], arch)
        before = input_effect(p, arch, pts)
        assert effect(n, arch, pts) == before


def test_normalize_turns_errno_names_into_numbers_and_keeps_argument_rules() -> None:
    p = prof(
        rule(["clone3"], Action.ERRNO, errno_name="ENOSYS"),
        rule(
            ["clone"],
            Action.ALLOW,
            args=(ArgCondition(index=0, value=0x7E02_0000, op=Operator.MASKED_EQ),),
        ),
        default=Action.ERRNO,
        default_errno_name="EPERM",
    )
    n = normalize(p)
    assert n.default_errno_ret == 1 and n.default_errno_name is None
    assert n.syscalls[0] == rule(["clone3"], Action.ERRNO, errno_ret=38)
    assert n.syscalls[1].args == (
        ArgCondition(index=0, value=0x7E02_0000, op=Operator.MASKED_EQ, value_two=0),
    )


def test_normalize_keeps_overlapping_rules_with_different_actions_as_they_are() -> None:
    p = prof(
        rule(["kill"], Action.ALLOW, args=(eq(0, 1),)),
        rule(["kill"], Action.LOG, args=(eq(1, 2),)),
    )
    n = normalize(p)
    assert [r.action for r in n.syscalls] == [Action.ALLOW, Action.LOG]
    pts = _points([p], Arch.X86_64)
    assert effect(n, Arch.X86_64, pts) == effect(p, Arch.X86_64, pts)


def test_normalize_refuses_what_libseccomp_refuses() -> None:
    p = prof(
        rule(["kill"], Action.ALLOW, args=(eq(0, 1),)),
        rule(["kill"], Action.LOG, args=(eq(0, 1),)),
    )
    with pytest.raises(InputError, match=r"EEXIST") as info:
        normalize(p)
    assert info.value.json_path == "$.syscalls[1]"


def test_normalize_asks_to_resolve_moby_conditions_first() -> None:
    p = prof(rule(["mount"], Action.ALLOW, includes=CapFilter(caps=("CAP_SYS_ADMIN",))))
    with pytest.raises(InputError, match=r"seccomp-kit resolve") as info:
        normalize(named(p, "moby.json"))
    assert info.value.source == "moby.json"
    assert info.value.json_path == "$.syscalls[0].includes"


@given(profile_groups(1))
def test_normalize_is_equivalent_on_every_syscall(group: list[Profile]) -> None:
    (p,) = group
    try:
        n = normalize(p)
    except InputError as exc:
        assume("EEXIST" not in exc.message)
        raise
    assert normalize(n) == n
    for arch in compare_arches(p):
        pts = _points([p], arch)
        before = input_effect(p, arch, pts)
        assert effect(n, arch, pts) == before


def test_normalize_keeps_the_effect_of_every_corpus_profile(corpus_profiles: list[Path]) -> None:
    checked = 0
    for path in corpus_profiles:
        if path.name in NOT_PROFILES:
            continue
        p = io.load(path)
        if any(r.includes or r.excludes for r in p.syscalls):
            continue
        pts = _points([p], Arch.X86_64)
        try:
            before = effect(p, Arch.X86_64, pts)
        except ProfileError as exc:
            # libseccomp refuses the profile itself (moby's errno 12345 example).
            assert exc.json_path.endswith(".errnoRet")
            continue
        n = normalize(p)
        assert len(n.syscalls) <= len(p.syscalls) + sum(len(r.args) for r in p.syscalls)
        assert effect(n, Arch.X86_64, pts) == before, path.name
        checked += 1
    assert checked >= 5


# -- merge: hand-made cases -------------------------------------------------------------------


def test_conditional_allow_merged_with_unconditional_allow_becomes_unconditional() -> None:
    a = prof(rule(["read"], Action.ALLOW), rule(["kill"], Action.ALLOW, args=(eq(1, 0),)))
    b = prof(rule(["read", "kill"], Action.ALLOW))
    u = merge(a, b)
    assert u.syscalls == (rule(["kill", "read"], Action.ALLOW),)
    i = merge(a, b, strategy="intersection")
    assert i.syscalls == (
        rule(["read"], Action.ALLOW),
        rule(["kill"], Action.ALLOW, args=(eq(1, 0),)),
    )


def test_union_of_argument_conditions_on_different_arguments() -> None:
    a = prof(rule(["kill"], Action.ALLOW, args=(eq(0, 1),)))
    b = prof(rule(["kill"], Action.ALLOW, args=(eq(1, 9),)))
    u = merge(a, b)
    assert {r.args for r in u.syscalls} == {(eq(0, 1),), (eq(1, 9),)}
    i = merge(a, b, strategy="intersection")
    assert i.syscalls == (rule(["kill"], Action.ALLOW, args=(eq(0, 1), eq(1, 9))),)
    pts = _points([a, b], Arch.X86_64)
    ea, eb = effect(a, Arch.X86_64, pts), effect(b, Arch.X86_64, pts)
    assert effect(u, Arch.X86_64, pts) == [max(x, y, key=rank) for x, y in zip(ea, eb, strict=True)]
    assert effect(i, Arch.X86_64, pts) == [min(x, y, key=rank) for x, y in zip(ea, eb, strict=True)]


def test_different_defaults_become_explicit_rules_nothing_is_let_through_silently() -> None:
    allowlist = prof(rule(["read", "write"], Action.ALLOW), default=Action.ERRNO)
    denylist = prof(rule(["ptrace"], Action.KILL_PROCESS), default=Action.ALLOW)
    u = merge(allowlist, denylist)
    assert u.default_action is Action.ALLOW
    # ptrace: the allowlist denies it by default (EPERM), the denylist kills: union is EPERM.
    assert u.syscalls == (rule(["ptrace"], Action.ERRNO, errno_ret=1),)
    i = merge(allowlist, denylist, strategy="intersection")
    assert i.default_action is Action.ERRNO
    assert i.syscalls == (
        rule(["read", "write"], Action.ALLOW),
        rule(["ptrace"], Action.KILL_PROCESS),
    )
    pts = _points([allowlist, denylist], Arch.X86_64)
    ea, eb = effect(allowlist, Arch.X86_64, pts), effect(denylist, Arch.X86_64, pts)
    assert effect(u, Arch.X86_64, pts) == [max(x, y, key=rank) for x, y in zip(ea, eb, strict=True)]
    assert effect(i, Arch.X86_64, pts) == [min(x, y, key=rank) for x, y in zip(ea, eb, strict=True)]


def test_equal_actions_with_different_errnos_are_ordered_by_the_errno() -> None:
    a = prof(rule(["mount"], Action.ERRNO, errno_ret=38), default=Action.ALLOW)
    b = prof(rule(["mount"], Action.ERRNO, errno_ret=13), default=Action.ALLOW)
    assert merge(a, b).syscalls == (rule(["mount"], Action.ERRNO, errno_ret=38),)
    assert merge(b, a, strategy="intersection").syscalls == (
        rule(["mount"], Action.ERRNO, errno_ret=13),
    )


def test_a_default_carved_by_the_other_inputs_argument_rule_needs_complements() -> None:
    # a: socket ENOSYS unless the family is 1; b: socket allowed only for family 2.
    a = prof(
        rule(["socket"], Action.ALLOW, args=(eq(0, 1),)),
        default=Action.ERRNO,
        default_errno_ret=38,
    )
    b = prof(rule(["socket"], Action.ALLOW, args=(eq(0, 2),)), default=Action.KILL)
    u = merge(a, b)
    pts = _points([a, b], Arch.X86_64)
    ea, eb = effect(a, Arch.X86_64, pts), effect(b, Arch.X86_64, pts)
    assert effect(u, Arch.X86_64, pts) == [max(x, y, key=rank) for x, y in zip(ea, eb, strict=True)]
    i = merge(a, b, strategy="intersection")
    assert effect(i, Arch.X86_64, pts) == [min(x, y, key=rank) for x, y in zip(ea, eb, strict=True)]


def test_flags_architectures_and_listener_are_combined_by_the_documented_rule() -> None:
    a = prof(
        architectures=(Arch.X86_64, Arch.X86),
        flags=(Flag.SPEC_ALLOW, Flag.LOG),
        listener_path="/run/agent.sock",
    )
    b = prof(architectures=(Arch.X86_64, Arch.AARCH64), flags=(Flag.TSYNC,))
    u = merge(a, b)
    assert u.architectures == (Arch.X86, Arch.X86_64, Arch.AARCH64)
    assert u.flags == (Flag.TSYNC, Flag.LOG, Flag.SPEC_ALLOW)
    assert u.listener_path == "/run/agent.sock"
    i = merge(a, b, strategy="intersection")
    assert i.architectures == (Arch.X86_64,)
    assert i.flags == (Flag.TSYNC, Flag.LOG)


def test_conflicting_listener_names_both_files_and_the_field() -> None:
    a = named(prof(listener_path="/run/a.sock"), "a.json")
    b = named(prof(listener_path="/run/b.sock"), "b.json")
    with pytest.raises(InputError) as info:
        merge(a, b)
    message = str(info.value)
    assert "a.json" in message and "b.json" in message and "listenerPath" in message


def test_different_arch_maps_are_refused_naming_both_files() -> None:
    entry = ArchMapEntry(Arch.X86_64, (Arch.X86,))
    a = named(prof(arch_map=(entry,)), "a.json")
    b = named(prof(arch_map=(ArchMapEntry(Arch.AARCH64, (Arch.ARM,)),)), "b.json")
    with pytest.raises(InputError, match=r"archMap differs: a\.json and b\.json"):
        merge(a, b)
    assert merge(a, a).arch_map == (entry,)


def test_inexpressible_combinations_are_refused_naming_the_syscall_and_files() -> None:
    # ALLOW where x > 100 and x != 700: the range 101..699 is too wide for EQ rules, and an
    # argument may appear only once per rule.
    a = named(
        prof(
            rule(["kill"], Action.ALLOW, args=(ArgCondition(index=0, value=100, op=Operator.GT),))
        ),
        "a.json",
    )
    b = named(prof(rule(["kill"], Action.LOG, args=(eq(0, 700),)), default=Action.ALLOW), "b.json")
    with pytest.raises(InputError, match=r"kill: .*a\.json, b\.json.*cannot be written"):
        merge(a, b, strategy="intersection")


def test_overlapping_rules_merge_only_with_identical_rules() -> None:
    p = named(
        prof(
            rule(["kill"], Action.ALLOW, args=(eq(0, 1),)),
            rule(["kill"], Action.LOG, args=(eq(1, 2),)),
        ),
        "p.json",
    )
    assert merge(p, p) == normalize(p)
    other = named(prof(rule(["kill"], Action.TRAP, args=(eq(2, 3),))), "o.json")
    with pytest.raises(InputError, match=r"p\.json has conditional rules \$\.syscalls\[0\]"):
        merge(p, other)
    # An unconditional value no rule can beat decides without looking inside.
    allow = prof(rule(["kill"], Action.ALLOW))
    assert merge(p, allow).syscalls == (rule(["kill"], Action.ALLOW),)


def test_bad_arguments_are_clear_errors() -> None:
    with pytest.raises(InputError, match="at least one profile"):
        merge()
    with pytest.raises(InputError, match="unknown merge strategy 'both'"):
        merge(prof(), strategy="both")
    with pytest.raises(InputError, match=r"unknown action 'SCMP_ACT_NOPE'") as info:
        merge(prof(rule(["read"], "SCMP_ACT_NOPE")))  # type: ignore[arg-type]
    assert info.value.json_path == "$.syscalls[0].action"
    with pytest.raises(InputError, match=r"argument index 7") as info:
        merge(prof(rule(["read"], Action.ALLOW, args=(eq(7, 1),))))
    assert info.value.json_path == "$.syscalls[0].args[0].index"


# -- merge: properties on effect --------------------------------------------------------------


def _assert_same_effect(
    x: Profile, y: Profile, arches: Iterable[Arch], ps: Sequence[Profile]
) -> None:
    for arch in arches:
        pts = _points(ps, arch)
        assert effect(x, arch, pts) == effect(y, arch, pts)


@pytest.mark.parametrize("strategy", ["union", "intersection"])
@given(group=profile_groups(2))
def test_merge_is_the_pointwise_best_and_commutative(group: list[Profile], strategy: str) -> None:
    a, b = group
    ab = merged_or_refused(a, b, strategy=strategy)
    ba = merged_or_refused(b, a, strategy=strategy)
    pick = max if strategy == "union" else min
    for arch in compare_arches(a, b):
        pts = _points([a, b], arch)
        expected = [
            pick(x, y, key=rank)
            for x, y in zip(input_effect(a, arch, pts), input_effect(b, arch, pts), strict=True)
        ]
        assert effect(ab, arch, pts) == expected
        assert effect(ba, arch, pts) == expected


@pytest.mark.parametrize("strategy", ["union", "intersection"])
@given(group=profile_groups(3))
def test_merge_is_associative_on_effect(group: list[Profile], strategy: str) -> None:
    a, b, c = group
    left = merged_or_refused(merged_or_refused(a, b, strategy=strategy), c, strategy=strategy)
    right = merged_or_refused(a, merged_or_refused(b, c, strategy=strategy), strategy=strategy)
    flat = merged_or_refused(a, b, c, strategy=strategy)
    arches = compare_arches(a, b, c)
    _assert_same_effect(left, right, arches, group)
    _assert_same_effect(left, flat, arches, group)


@pytest.mark.parametrize("strategy", ["union", "intersection"])
@given(group=profile_groups(1))
def test_merge_is_idempotent_on_effect(group: list[Profile], strategy: str) -> None:
    (a,) = group
    aa = merged_or_refused(a, a, strategy=strategy)
    _assert_same_effect(aa, a, compare_arches(a), group)
    assert merged_or_refused(aa, a, strategy=strategy) == aa


def test_merging_recorded_profiles_in_any_grouping_gives_one_result() -> None:
    recorded = [
        prof(rule(NAMES[i : i + 5], Action.ALLOW), architectures=(Arch.X86_64,))
        for i in range(0, len(NAMES), 2)
    ]
    flat = merge(*recorded)
    halves = merge(merge(*recorded[:3]), merge(*recorded[3:]))
    assert flat == halves == merge(*reversed(recorded))
    assert flat.syscalls == (rule(sorted(NAMES), Action.ALLOW),)


# -- extend -----------------------------------------------------------------------------------


def test_extend_keeps_the_childs_default_and_unions_the_rules() -> None:
    base = prof(rule(["read", "write"], Action.ALLOW), rule(["mount"], Action.LOG))
    child = prof(rule(["openat"], Action.ALLOW), default=Action.KILL_PROCESS)
    out = extend(base, child)
    assert out.default_action is Action.KILL_PROCESS
    assert out.syscalls == (
        rule(["openat", "read", "write"], Action.ALLOW),
        rule(["mount"], Action.LOG),
    )


def test_extend_chain_follows_bases_and_rejects_cycles_and_depth() -> None:
    chain = {
        "app": (prof(rule(["openat"], Action.ALLOW)), "runtime"),
        "runtime": (prof(rule(["read"], Action.ALLOW)), "minimal"),
        "minimal": (prof(rule(["exit_group"], Action.ALLOW)), None),
    }
    out = extend_chain("app", chain.__getitem__)
    assert out.syscalls == (rule(["exit_group", "openat", "read"], Action.ALLOW),)

    loop = {"a": (prof(), "b"), "b": (prof(), "a")}
    with pytest.raises(InputError, match=r"cycle: a -> b -> a"):
        extend_chain("a", loop.__getitem__)

    deep = {f"p{i}": (prof(), f"p{i + 1}") for i in range(MAX_BASE_DEPTH + 1)}
    deep[f"p{MAX_BASE_DEPTH + 1}"] = (prof(), None)
    with pytest.raises(InputError, match=r"longer than 15"):
        extend_chain("p0", deep.__getitem__)
    del deep[f"p{MAX_BASE_DEPTH + 1}"]
    deep[f"p{MAX_BASE_DEPTH}"] = (prof(), None)
    assert extend_chain("p0", deep.__getitem__) == normalize(prof())

    with pytest.raises(InputError, match=r"base profile 'gone' not found"):
        extend_chain("x", {"x": (prof(), "gone")}.__getitem__)
