"""diff, merge, normalize and resolve for a target (runtime= / libseccomp=).

The oracle is what the target really builds: libseccomp's own program for that target
(compile_profile, loading that libseccomp version) run by the emulator, which agrees with the
kernel (tests/bpf), and the Matcher for that target, which agrees with the filters real runc
and crun load (tests/conformance)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from pathlib import Path

import attrs
import hypothesis.strategies as st
import pytest
from hypothesis import assume, given

from seccomp_kit import bpf
from seccomp_kit.algebra.diffing import diff
from seccomp_kit.algebra.merging import merge, normalize
from seccomp_kit.algebra.resolving import resolve
from seccomp_kit.errors import InputError, ProfileError
from seccomp_kit.libseccomp.compile import compile_profile
from seccomp_kit.match import Matcher
from seccomp_kit.model import Action, Arch, ArgCondition, Operator, Profile, SourceText
from seccomp_kit.model import SyscallRule as Rule
from seccomp_kit.syscalls import table
from seccomp_kit.testing.strategies import profiles

OLD = ("crun@1.8.1", "2.5.4")  # Debian 12
NEW = ("crun@1.21", "2.6.0")  # Debian 13
EPERM = 0x0005_0001
ALLOW = 0x7FFF_0000
# Known to every modelled libseccomp; mseal and statmount only from 2.6.0, listns to none.
NAMES = ("read", "write", "getpid", "personality", "mseal", "statmount", "listns", "uname")


def prof(*rules: Rule, **kw: object) -> Profile:
    kw.setdefault("architectures", (Arch.X86_64,))
    return Profile(default_action=Action.ERRNO, syscalls=rules, **kw)  # type: ignore[arg-type]


def allow(*names: str, **kw: object) -> Rule:
    return Rule(names=names, action=Action.ALLOW, **kw)  # type: ignore[arg-type]


def named(p: Profile, name: str) -> Profile:
    return attrs.evolve(p, source=SourceText(name, ""))


def eq(index: int, value: int) -> ArgCondition:
    return ArgCondition(index=index, value=value, op=Operator.EQ)


# -- examples ---------------------------------------------------------------------------------


def test_diff_for_a_target_leaves_out_what_its_libseccomp_drops() -> None:
    a = prof(allow("read", "write"))
    b = prof(allow("read", "write", "mseal", "getpid"))
    own = diff(a, b)
    assert [c.name for c in own.syscalls] == ["getpid", "mseal"]
    assert own.target is None
    old = diff(a, b, runtime=OLD[0], libseccomp=OLD[1])
    assert [c.name for c in old.syscalls] == ["getpid"]
    assert old.target == "crun 1.8.1 + libseccomp 2.5.4"
    assert old.to_text().startswith("as crun 1.8.1 + libseccomp 2.5.4:\n")
    assert old.to_data()["target"] == "crun 1.8.1 + libseccomp 2.5.4"
    new = diff(a, b, runtime=NEW[0], libseccomp=NEW[1])
    assert [c.name for c in new.syscalls] == ["getpid", "mseal"]
    # A change only in names the target drops is no change there.
    c = prof(allow("read", "write", "mseal"))
    assert not diff(a, c, runtime=OLD[0], libseccomp=OLD[1])
    assert diff(a, c, runtime=NEW[0], libseccomp=NEW[1])


def test_diff_for_a_target_refuses_what_the_target_refuses_naming_file_field_and_target() -> None:
    a = named(prof(allow("read")), "a.json")
    b = named(prof(allow("read"), flags=("SECCOMP_FILTER_FLAG_LOG",)), "b.json")
    assert diff(a, b).settings  # on their own terms: a flags change
    with pytest.raises(InputError) as info:
        diff(a, b, runtime="runc@1.1.5", libseccomp="2.5.4")
    assert info.value.source == "b.json"
    assert info.value.path == ("flags", 0)
    assert "runc 1.1.5" in info.value.message
    assert "(as runc 1.1.5 + libseccomp 2.5.4)" in info.value.message
    # runc from 1.2 takes flags: the difference is just that.
    ok = diff(a, b, runtime="runc@1.2", libseccomp="2.6.0")
    assert ok.settings and not ok.syscalls


def test_diff_for_a_target_names_the_mixed_byte_order_refusal() -> None:
    a = prof(allow("read"), architectures=(Arch.X86_64, Arch.S390X))
    with pytest.raises(InputError, match=r"as crun 1\.21"):
        diff(a, a, runtime=NEW[0], libseccomp=NEW[1])


def test_one_of_runtime_and_libseccomp_takes_the_usual_default_for_the_other() -> None:
    a, b = prof(allow("read")), prof(allow("read", "getpid"))
    assert diff(a, b, libseccomp="2.6.0").target == "runc 1.2.0 + libseccomp 2.6.0"
    assert diff(a, b, runtime="crun@1.8.1").target.startswith("crun 1.8.1 + libseccomp ")


def test_unknown_targets_are_clear_errors() -> None:
    a = prof(allow("read"))
    with pytest.raises(InputError, match="modelled"):
        diff(a, a, runtime="runc@0.9")
    with pytest.raises(InputError, match="libseccomp"):
        merge(a, libseccomp="9.9")
    with pytest.raises(InputError, match="modelled"):
        normalize(a, runtime="crun@99")


def test_merge_and_normalize_for_a_target_leave_out_dropped_names_and_keep_the_rest() -> None:
    a = prof(allow("read", "mseal", "listns"))
    b = prof(allow("getpid", "statmount"))
    names = lambda p: sorted(n for r in p.syscalls for n in r.names)  # noqa: E731
    assert names(merge(a, b)) == ["getpid", "listns", "mseal", "read", "statmount"]
    assert names(merge(a, b, runtime=OLD[0], libseccomp=OLD[1])) == ["getpid", "read"]
    assert names(merge(a, b, runtime=NEW[0], libseccomp=NEW[1])) == [
        "getpid",
        "mseal",
        "read",
        "statmount",
    ]
    assert names(normalize(a, runtime=OLD[0], libseccomp=OLD[1])) == ["read"]
    assert names(normalize(a)) == ["listns", "mseal", "read"]


def test_merge_for_a_target_names_the_input_it_refuses() -> None:
    a = named(prof(allow("read")), "a.json")
    b = named(prof(allow("read"), flags=("SECCOMP_FILTER_FLAG_LOG",)), "b.json")
    assert merge(a, b).flags
    with pytest.raises(InputError) as info:
        merge(a, b, runtime="runc@1.1.5", libseccomp="2.5.4")
    assert (info.value.source, info.value.path) == ("b.json", ("flags", 0))


def test_resolve_for_a_target_goes_on_to_what_the_runtime_loads(tmp_path: Path) -> None:
    moby = {
        "defaultAction": "SCMP_ACT_ERRNO",
        "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]}],
        "syscalls": [
            {"names": ["read", "mseal"], "action": "SCMP_ACT_ALLOW"},
            {
                "names": ["uname"],
                "action": "SCMP_ACT_ALLOW",
                "includes": {"caps": ["CAP_SYS_ADMIN"]},
            },
        ],
    }
    path = tmp_path / "moby.json"
    path.write_text(json.dumps(moby))
    plain = resolve(path, arch="x86_64", capabilities=["CAP_SYS_ADMIN"])
    assert [r.names for r in plain.syscalls] == [("read", "mseal"), ("uname",)]
    old = resolve(
        path, arch="x86_64", capabilities=["CAP_SYS_ADMIN"], runtime=OLD[0], libseccomp=OLD[1]
    )
    assert [r.names for r in old.syscalls] == [("read",), ("uname",)]
    new = resolve(
        path, arch="x86_64", capabilities=["CAP_SYS_ADMIN"], runtime=NEW[0], libseccomp=NEW[1]
    )
    assert new == plain


# -- properties against libseccomp's own program for the target ------------------------------

_TARGETS = [OLD, NEW, ("runc@1.1.5", "2.5.4"), ("runc@1.1.15", "2.6.0"), ("oci", "2.6.0")]


def _points(ps: Sequence[Profile]) -> list[tuple[int, tuple[int, ...]]]:
    """Every name of the pool, with every combination of each used argument's compared values
    and their neighbours (the rules are EQ/NE/LT/... on small values: this reaches every
    case)."""
    tbl = table(Arch.X86_64)
    per_index: dict[int, set[int]] = {}
    for p in ps:
        for r in p.syscalls:
            for c in r.args:
                per_index.setdefault(c.index, {0}).update(
                    v for v in (c.value - 1, c.value, c.value + 1, c.effective_value_two) if v >= 0
                )
    indices = sorted(per_index)
    combos = list(itertools.product(*(sorted(per_index[i]) for i in indices)))
    pts: list[tuple[int, tuple[int, ...]]] = []
    for name in (*NAMES, "close"):
        nr = tbl.by_name[name]
        for combo in combos:
            args = [0] * 6
            for i, v in zip(indices, combo, strict=True):
                args[i] = v
            pts.append((nr, tuple(args)))
    return pts


def _effect(
    p: Profile, tgt: tuple[str, str], pts: Sequence[tuple[int, tuple[int, ...]]]
) -> list[int]:
    """What libseccomp's own program for the target returns (the emulator agrees with the
    kernel: tests/bpf)."""
    compiled = compile_profile(p, runtime=tgt[0], libseccomp=tgt[1], arch=Arch.X86_64)
    program = bpf.Program(compiled.bpf)
    return [program.emulate(arch=Arch.X86_64, nr=nr, args=args) for nr, args in pts]


def rank(ret: int) -> tuple[int, int]:
    """The kernel's precedence: KILL_PROCESS < KILL_THREAD < TRAP < ERRNO < ... < ALLOW."""
    action = ret & 0xFFFF_0000
    return (action - (1 << 32) if action & 0x8000_0000 else action), ret & 0xFFFF


def _drawn() -> st.SearchStrategy[Profile]:
    return profiles(
        architectures=st.just((Arch.X86_64,)),
        names=NAMES,
        runtime="crun",
        max_rules=4,
        max_args=1,
        values=st.integers(0, 9),
    ).map(lambda p: attrs.evolve(p, flags=()))  # runc 1.1 refuses every flag


@pytest.mark.kernel
@pytest.mark.parametrize("tgt", _TARGETS, ids="+".join)
@given(a=_drawn(), b=_drawn())
def test_target_answers_match_what_the_targets_libseccomp_builds(
    tgt: tuple[str, str], a: Profile, b: Profile
) -> None:
    try:
        ea = _effect(a, tgt, pts := _points([a, b]))
        eb = _effect(b, tgt, pts)
    except ProfileError:
        assume(False)
        raise
    runtime, lib = tgt
    # normalize keeps the effect the target builds, and is a fixed point for it.
    n = normalize(a, runtime=runtime, libseccomp=lib, arch="x86_64")
    assert _effect(n, tgt, pts) == ea
    # diff is empty exactly when the built programs agree on every point, and every change
    # it reports is what the programs return.
    d = diff(a, b, runtime=runtime, libseccomp=lib, arch="x86_64")
    if ea == eb:
        assert not d.syscalls
    matcher_a = Matcher(a, arch=Arch.X86_64, runtime=runtime, libseccomp=lib)
    for change in d.syscalls:
        assert change.before is None or change.before == matcher_a.match(change.number).ret
    differing = {nr for (nr, _), x, y in zip(pts, ea, eb, strict=True) if x != y}
    assert differing <= {c.number for c in d.syscalls}
    # merge: the pointwise least restrictive of what each input builds.
    try:
        m = merge(a, b, runtime=runtime, libseccomp=lib, arch="x86_64")
    except InputError as exc:
        assume("libseccomp would not" not in exc.message)
        assume("cannot be written as OCI rules" not in exc.message)
        assume("overlap with different actions" not in exc.message)
        assume("a merged profile has one listener" not in exc.message)  # listenerPath, metadata
        raise
    # runc's ENOSYS stub above the highest name is not merged (see merging's docs): compare
    # where no input's stub answers.
    ma, mb = (Matcher(p, arch=Arch.X86_64, runtime=runtime, libseccomp=lib) for p in (a, b))
    ruled = [
        i
        for i, (nr, args) in enumerate(pts)
        if all(m.match(nr, args).decided_by != "enosys-stub" for m in (ma, mb))
    ]
    em = _effect(m, tgt, pts)
    assert [em[i] for i in ruled] == [max(ea[i], eb[i], key=rank) for i in ruled]
