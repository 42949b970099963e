"""Argument inference: what a recorded condition set admits, and what it never constrains.

The verdicts come from seccomp_kit's matcher, which answers as the compiled filter does, so
"admitted" here means "the kernel would allow it under the recorded profile"."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seccomp_kit.match import Matcher
from seccomp_kit.model import Action, Arch, Operator, Profile
from seccomp_kit.record import ARGUMENT_TABLE, ArgObserver, Notification, infer_arguments, record
from seccomp_kit.record._args import CLONE_NAMESPACE_BITS
from seccomp_kit.record._recorder import build_profile
from seccomp_kit.syscalls import table

X86_64 = table(Arch.X86_64)
u64 = st.integers(min_value=0, max_value=2**64 - 1)
# Values as real programs pass them: small enumerations, flag words, and the odd wide value.
arg_values = st.one_of(st.integers(0, 64), st.integers(0, 2**32 - 1), u64)
args6 = st.tuples(*(arg_values,) * 6)


def note(name: str, args: tuple[int, ...], *, nid: int = 1) -> Notification:
    nr = X86_64.number(name)
    assert nr is not None
    return Notification(nid, 0, Arch.X86_64, 0xC000003E, nr, args)  # type: ignore[arg-type]


def profile_for(observer: ArgObserver, names: set[str], max_values: int = 16) -> Profile:
    inferred = infer_arguments(
        observer.counts, names, max_values=max_values, clone3_unknown=observer.clone3_unknown
    )
    return build_profile({Arch.X86_64: names}, arguments=inferred)


calls = st.lists(
    st.tuples(st.sampled_from(sorted(n for n in ARGUMENT_TABLE if n in X86_64)), args6),
    min_size=1,
    max_size=40,
)


@settings(deadline=None, max_examples=60)
@given(calls)
def test_every_observed_call_is_admitted(seen: list[tuple[str, tuple[int, ...]]]) -> None:
    observer = ArgObserver(read_clone3_flags=False)
    for i, (name, args) in enumerate(seen):
        observer(note(name, args, nid=i))
    names = {name for name, _ in seen} | {"exit_group", "read"}
    matcher = Matcher(profile_for(observer, names), arch=Arch.X86_64)
    for name, args in seen:
        assert matcher.match(name, list(args)).action is Action.ALLOW, (name, args)


@settings(deadline=None, max_examples=60)
@given(calls, st.data())
def test_only_table_arguments_are_constrained(
    seen: list[tuple[str, tuple[int, ...]]], data: st.DataObject
) -> None:
    """Pointer, size and fd arguments (every index outside the table) never decide: changing
    them keeps an admitted call admitted."""
    observer = ArgObserver(read_clone3_flags=False)
    for name, args in seen:
        observer(note(name, args))
    names = {name for name, _ in seen}
    profile = profile_for(observer, names)
    for rule in profile.syscalls:
        for name in rule.names:
            spec = ARGUMENT_TABLE.get(name)
            allowed = set(spec.indices) if spec else set()
            assert {c.index for c in rule.args} <= allowed
    matcher = Matcher(profile, arch=Arch.X86_64)
    for name, args in seen:
        free = [i for i in range(6) if i not in ARGUMENT_TABLE[name].indices]
        changed = list(args)
        for i in free:
            changed[i] = data.draw(u64)
        assert matcher.match(name, changed).action is Action.ALLOW


@settings(deadline=None, max_examples=40)
@given(st.sets(st.integers(0, 2**31), min_size=1, max_size=30), st.integers(1, 20))
def test_cap_on_distinct_values(values: set[int], cap: int) -> None:
    observer = ArgObserver()
    for v in values:
        observer(note("personality", (v, 0, 0, 0, 0, 0)))
    profile = profile_for(observer, {"personality"}, max_values=cap)
    conditional = [r for r in profile.syscalls if r.args]
    if len(values) > cap:
        assert conditional == []
        assert "personality" in profile.syscalls[0].names
    else:
        assert sorted(r.args[0].value for r in conditional) == sorted(values)
        assert all("personality" not in r.names for r in profile.syscalls if not r.args)


def test_socket_pairs_are_exact_and_flags_ignored() -> None:
    observer = ArgObserver()
    observer(note("socket", (2, 1 | 0x80000, 0, 0, 0, 0)))  # AF_INET, SOCK_STREAM|SOCK_CLOEXEC
    observer(note("socket", (1, 2, 0, 0, 0, 0)))  # AF_UNIX, SOCK_DGRAM
    matcher = Matcher(profile_for(observer, {"socket"}), arch=Arch.X86_64)
    assert matcher.match("socket", [2, 1]).action is Action.ALLOW
    assert matcher.match("socket", [2, 1 | 0x800]).action is Action.ALLOW  # SOCK_NONBLOCK
    assert matcher.match("socket", [1, 2]).action is Action.ALLOW
    assert matcher.match("socket", [2, 2]).action is not Action.ALLOW  # not a pair seen
    assert matcher.match("socket", [16, 3]).action is not Action.ALLOW  # AF_NETLINK
    assert matcher.match("socket", [17, 3]).action is not Action.ALLOW  # AF_PACKET


def test_clone_namespace_mask_and_clone3_enosys() -> None:
    observer = ArgObserver(read_clone3_flags=False)
    thread_flags = 0x3D0F00
    observer(note("clone", (thread_flags, 0, 0, 0, 0, 0)))
    observer.counts["clone3"] = Counter({(0,): 2})  # two clone3 calls read without namespaces
    profile = profile_for(observer, {"clone", "clone3"})
    rules = {r.names[0]: r for r in profile.syscalls if len(r.names) == 1}
    assert rules["clone3"].action is Action.ERRNO and rules["clone3"].errno_ret == 38
    (cond,) = rules["clone"].args
    assert (cond.op, cond.value, cond.value_two) == (Operator.MASKED_EQ, CLONE_NAMESPACE_BITS, 0)
    matcher = Matcher(profile, arch=Arch.X86_64)
    assert matcher.match("clone", [thread_flags | 0x11]).action is Action.ALLOW
    assert matcher.match("clone", [0x1000_0000]).action is not Action.ALLOW  # CLONE_NEWUSER
    assert matcher.match("clone3", [0, 88]).action_text() == "SCMP_ACT_ERRNO(38 ENOSYS)"


def test_clone3_with_unread_flags_leaves_clone_open() -> None:
    observer = ArgObserver(read_clone3_flags=False)
    observer(Notification(1, 0, Arch.X86_64, 0xC000003E, 435, (0x1000, 88, 0, 0, 0, 0)))
    assert observer.clone3_unknown == 1
    inferred = infer_arguments(observer.counts, {"clone3"}, clone3_unknown=1)
    profile = build_profile({Arch.X86_64: {"clone3"}}, arguments=inferred)
    assert "clone" in profile.syscalls[0].names  # unconditional: flags unknown
    assert any("could not be read" in line for line in inferred.report)


def test_mmap_write_exec_classes() -> None:
    observer = ArgObserver()
    for prot in (1, 3, 5):  # R, RW, RX: never W and X together
        observer(note("mmap", (0, 4096, prot, 0x22, 2**64 - 1, 0)))
    matcher = Matcher(profile_for(observer, {"mmap"}), arch=Arch.X86_64)
    assert matcher.match("mmap", [0, 1, 7, 0x22]).action is not Action.ALLOW  # RWX
    assert matcher.match("mmap", [0, 1, 0, 0x22]).action is Action.ALLOW  # PROT_NONE: class 0
    assert matcher.match("mmap", [0, 1, 4, 0x22]).action is Action.ALLOW


def test_comments_say_what_was_seen_and_how_often() -> None:
    observer = ArgObserver()
    for _ in range(3):
        observer(note("personality", (0xFFFF_FFFF, 0, 0, 0, 0, 0)))
    profile = profile_for(observer, {"personality"})
    (rule,) = [r for r in profile.syscalls if r.args]
    assert rule.comment is not None
    assert "0xffffffff" in rule.comment and "3 times" in rule.comment


def test_seen_without_arguments_stays_unconstrained() -> None:
    inferred = infer_arguments({}, {"ioctl", "read"})
    assert inferred.rules == () and not inferred.constrained
    assert inferred.report == ("ioctl: unconstrained: no call was seen with its arguments",)


def test_wide_int_values_compare_the_low_32_bits() -> None:
    observer = ArgObserver()
    observer(note("ioctl", (1, 0xFFFF_FFFF_8004_5430, 0, 0, 0, 0)))  # a sign-extended request
    (rule,) = [r for r in profile_for(observer, {"ioctl"}).syscalls if r.args]
    (cond,) = rule.args
    assert (cond.op, cond.value, cond.value_two) == (
        Operator.MASKED_EQ,
        0xFFFF_FFFF,
        0x8004_5430,
    )


def test_own_filter_detection() -> None:
    observer = ArgObserver()
    observer(note("seccomp", (1, 8, 0x1000, 0, 0, 0)))  # SET_MODE_FILTER, NEW_LISTENER
    observer(note("prctl", (22, 2, 0x1000, 0, 0, 0)))  # PR_SET_SECCOMP
    text = "\n".join(observer.warnings())
    assert "NEW_LISTENER" in text and "without --args" in text
    assert "filter of its own" in text


def test_record_merges_notified_calls_as_names() -> None:
    mmap = X86_64.number("mmap")
    assert mmap is not None
    result = record([], notified={(Arch.X86_64, mmap): 5}, arguments={"mmap": {(2,): 5}})
    assert result.events == 5
    assert "mmap" in {n for r in result.profile.syscalls for n in r.names}
    assert result.arguments is not None and "mmap" in result.arguments.constrained


@pytest.mark.parametrize("name", sorted(ARGUMENT_TABLE))
def test_table_entries_are_flags_or_enumerations(name: str) -> None:
    spec = ARGUMENT_TABLE[name]
    assert len(spec.indices) == len(spec.masks) == len(spec.labels)
    assert all(0 <= i <= 5 for i in spec.indices)
    assert Counter(spec.indices).most_common(1)[0][1] == 1
