"""diff: per-syscall semantic changes with example arguments."""

from __future__ import annotations

import json

import pytest

from seccomp_kit import io
from seccomp_kit.algebra.diffing import diff
from seccomp_kit.algebra.merging import normalize
from seccomp_kit.algebra.resolving import resolve
from seccomp_kit.match import Matcher
from seccomp_kit.model import Action, Arch, ArgCondition, Flag, Operator, Profile, SyscallRule
from tests.conftest import corpus_dir

X86_64 = (Arch.X86_64,)


def prof(*rules: SyscallRule, default: Action = Action.ERRNO, **kw: object) -> Profile:
    return Profile(default_action=default, syscalls=rules, architectures=X86_64, **kw)  # type: ignore[arg-type]


def rule(names: tuple[str, ...], action: Action, **kw: object) -> SyscallRule:
    return SyscallRule(names=names, action=action, **kw)  # type: ignore[arg-type]


def test_equal_effect_is_no_difference_even_when_the_text_differs() -> None:
    a = prof(rule(("read", "write"), Action.ALLOW), rule(("read",), Action.ALLOW))
    b = prof(rule(("write",), Action.ALLOW), rule(("read",), Action.ALLOW))
    d = diff(a, b)
    assert not d and d.syscalls == ()
    assert d.to_text() == "no difference in effect\n"
    assert d.to_data()["equal"] is True


def test_uniform_changes_are_classified() -> None:
    a = prof(
        rule(("read",), Action.ALLOW),
        rule(("mount",), Action.ALLOW),
        rule(("clone3",), Action.ERRNO, errno_ret=38),
    )
    b = prof(rule(("read", "openat"), Action.ALLOW), rule(("clone3",), Action.ALLOW))
    d = diff(a, b)
    got = {(c.name, c.change, c.before, c.after) for c in d.syscalls}
    assert got == {
        ("openat", "newly-allowed", 0x0005_0001, 0x7FFF_0000),
        ("mount", "newly-denied", 0x7FFF_0000, 0x0005_0001),
        ("clone3", "newly-allowed", 0x0005_0026, 0x7FFF_0000),
    }
    c = diff(
        a,
        prof(
            rule(("read",), Action.LOG),
            rule(("mount",), Action.ALLOW),
            rule(("clone3",), Action.ERRNO, errno_ret=1),
        ),
    )
    assert {(x.name, x.change) for x in c.syscalls} == {("read", "changed"), ("clone3", "changed")}
    assert all(x.arch is Arch.X86_64 for x in d.syscalls)
    assert {x.number for x in d.syscalls} == {257, 165, 435}


def test_argument_dependent_changes_carry_examples_the_matcher_confirms() -> None:
    gt = ArgCondition(index=0, value=40, op=Operator.GT)
    a = prof(
        rule(("socket",), Action.ALLOW, args=(ArgCondition(index=0, value=10, op=Operator.LT),))
    )
    b = prof(rule(("socket",), Action.ALLOW, args=(gt,)))
    d = diff(a, b)
    (change,) = d.syscalls
    assert change.change == "argument-dependent" and change.before is None
    kinds = {k.change for k in change.cases}
    assert kinds == {"newly-allowed", "newly-denied"}
    ma, mb = Matcher(a, runtime="crun"), Matcher(b, runtime="crun")
    for case in change.cases:
        assert ma.match("socket", case.args).ret == case.before
        assert mb.match("socket", case.args).ret == case.after
        assert case.before != case.after
    text = d.to_text()
    assert "? socket (41): argument-dependent" in text and "[newly-allowed]" in text
    data = json.loads(json.dumps(d.to_data()))
    assert data["syscalls"][0]["cases"][0]["args"][0] in (0, 10, 11, 39, 40, 41)


def test_architectures_and_settings_are_reported() -> None:
    a = Profile(default_action=Action.ERRNO, architectures=(Arch.X86_64, Arch.AARCH64))
    b = Profile(default_action=Action.ERRNO, architectures=(Arch.X86_64,), flags=(Flag.LOG,))
    d = diff(a, b)
    assert d.only_in_a == (Arch.AARCH64,) and d.only_in_b == ()
    assert d.settings == (("flags", "[]", "[SECCOMP_FILTER_FLAG_LOG]"),)
    assert bool(d)


def test_a_changed_default_reports_every_syscall_of_the_arch() -> None:
    a = prof(rule(("read",), Action.ALLOW), default=Action.ERRNO)
    b = prof(rule(("read",), Action.ALLOW), default=Action.KILL)
    d = diff(a, b, arch="x86_64")
    names = {c.name for c in d.syscalls}
    assert "read" not in names and {"write", "mount", "ptrace"} <= names
    assert all(c.change == "changed" for c in d.syscalls)


def test_moby_default_with_and_without_cap_sys_admin() -> None:
    moby = io.load(corpus_dir("profiles") / "moby-default.json")
    a = resolve(moby, arch="amd64", kernel="6.18")
    b = resolve(moby, arch="amd64", capabilities=["CAP_SYS_ADMIN"], kernel="6.18")
    d = diff(a, b, arch="amd64")
    by_name = {c.name: c for c in d.syscalls}
    assert {"mount", "umount2", "unshare", "setns"} <= {
        n for n, c in by_name.items() if c.change == "newly-allowed"
    }
    assert by_name["clone3"].before == 0x0005_0026  # ENOSYS before
    assert by_name["clone"].change == "argument-dependent"
    assert not diff(a, normalize(a))
    assert not diff(b, b)


def test_resolve_first_is_asked_for_conditional_profiles() -> None:
    moby = io.load(corpus_dir("profiles") / "moby-default.json")
    with pytest.raises(Exception, match="seccomp-kit resolve"):
        diff(moby, moby)
