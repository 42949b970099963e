"""Kernel-verified behaviour: the running kernel, the compiled program under emulation and the
matcher must agree on every generated profile and event.

Each example compiles a profile, loads it (actions rewritten to distinct errnos) in a forked
child and issues all its events there: one fork per profile. Events are x86_64, x32 and i386
calls (what a process on this machine can issue; i386 ones through ``int $0x80``); never
uretprobe/uprobe, which bypass seccomp.
"""

from __future__ import annotations

import signal

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seccomp_kit import bpf, strategies, syscalls
from seccomp_kit.errors import CompileError, InputError, ProfileError
from seccomp_kit.libseccomp import _ffi as lib
from seccomp_kit.libseccomp.compile import compile_profile
from seccomp_kit.libseccomp.translate import ERRNO_ENOSYS, translate
from seccomp_kit.match import Matcher
from seccomp_kit.model import Action, Arch, ArgCondition, Operator, Profile, SyscallRule
from seccomp_kit.syscalls.arches import native_arch
from seccomp_kit.testing.kernel import (
    BYPASS_SECCOMP,
    Event,
    observe,
    observe_real,
    rewrite,
    run_events,
)

pytestmark = [
    pytest.mark.kernel,
    pytest.mark.skipif(native_arch() is not Arch.X86_64, reason="the harness issues x86_64 calls"),
]

X32_BIT = 0x4000_0000
_U32 = 0xFFFF_FFFF


def _issuable(nr: int) -> bool:
    return nr & ~X32_BIT not in BYPASS_SECCOMP


EventSpec = tuple[int, tuple[int, ...]] | tuple[int, tuple[int, ...], Arch]


def _arch_of(event: EventSpec) -> Arch:
    if len(event) == 3:
        return event[2]
    return Arch.X32 if event[0] & X32_BIT else Arch.X86_64


def three_way(profile: Profile, events: list[EventSpec], runtime: str) -> None:
    try:
        compiled = compile_profile(profile, runtime=runtime)
    except CompileError as exc:
        # libseccomp refused the profile (EEXIST, an errno >= 4095...): so must the matcher,
        # naming the same rule
        with pytest.raises(ProfileError) as info:
            Matcher(profile, runtime=runtime)
        assert info.value.path[:2] == exc.path[:2], (info.value, exc)
        return
    issued = [Event(e[0], e[1], arch=Arch.X86 if _arch_of(e) is Arch.X86 else None) for e in events]
    kernel = observe(profile, issued, runtime=runtime)
    matcher = Matcher(profile, runtime=runtime)
    program = compiled.program()
    for event, seen in zip(events, kernel, strict=True):
        nr, args, arch = event[0], event[1], _arch_of(event)
        emulated = program.emulate(arch=arch, nr=nr, args=args)
        verdict = matcher.match(nr, args, arch=arch)
        assert seen == emulated == verdict.ret, (
            f"{arch.value} nr={nr:#x} args={[hex(a) for a in args]}:"
            f" kernel {bpf.action_text(seen)},"
            f" emulate {bpf.action_text(emulated)}, matcher {bpf.action_text(verdict.ret)}"
        )


def test_hand_written_profile() -> None:
    profile = Profile(
        default_action="SCMP_ACT_ERRNO",
        default_errno_ret=13,
        architectures=["SCMP_ARCH_X86_64", "SCMP_ARCH_X32"],
        syscalls=[
            SyscallRule(names=["read", "getppid"], action="SCMP_ACT_ALLOW"),
            SyscallRule(names=["getpid"], action="SCMP_ACT_KILL_PROCESS"),
            SyscallRule(
                names=["personality"],
                action="SCMP_ACT_TRAP",
                args=[
                    ArgCondition(index=0, value=0xFF00, op="SCMP_CMP_MASKED_EQ", value_two=0x100)
                ],
            ),
            SyscallRule(
                names=["openat"],
                action="SCMP_ACT_LOG",
                args=[ArgCondition(index=2, value=1 << 32, op="SCMP_CMP_GE")],
            ),
        ],
    )
    events = [
        (0, ()),
        (39, ()),
        (110, ()),
        (135, (0x1FF,)),
        (135, (0x200,)),
        (257, (0, 0, 1 << 32)),
        (257, (0, 0, (1 << 32) - 1)),
        (258, ()),
        (400, ()),
        (0 | X32_BIT, ()),
        (257 | X32_BIT, (0, 0, 1 << 32)),  # x32: only the low 32 bits are compared
        (500 | X32_BIT, ()),
    ]
    three_way(profile, events, "runc")
    kernel = observe(profile, events)
    assert bpf.action_text(kernel[3]) == "TRAP"
    assert kernel[8] == ERRNO_ENOSYS


def test_rewrite_keeps_actions_apart_and_maps_back() -> None:
    profile = Profile(
        default_action="SCMP_ACT_ALLOW",
        syscalls=[
            SyscallRule(names=["getppid"], action="SCMP_ACT_KILL"),
            SyscallRule(names=["getpid"], action="SCMP_ACT_KILL_THREAD"),
            SyscallRule(names=["getuid"], action="SCMP_ACT_ERRNO", errno_ret=38),
        ],
    )
    rw = rewrite(translate(profile))
    assert {r.action for r in rw.translation.rules} <= {0x0005_0000 | n for n in rw.original}
    assert rw.original[rw.translation.default_action & 0xFFFF] == 0x7FFF_0000
    assert observe(profile, [110, 39, 102, 103]) == [0, 0, 0x0005_0026, 0x7FFF_0000]


def test_refuses_syscalls_that_bypass_seccomp() -> None:
    profile = Profile(default_action="SCMP_ACT_ALLOW")
    with pytest.raises(InputError, match="uretprobe"):
        observe(profile, [335])
    with pytest.raises(InputError, match="uretprobe"):
        run_events(compile_profile(profile).bpf, [Event(336 | X32_BIT)])


def test_observe_real_filter() -> None:
    profile = Profile(
        default_action="SCMP_ACT_ALLOW",
        syscalls=[
            SyscallRule(names=["getppid"], action="SCMP_ACT_ERRNO", errno_ret=77),
            SyscallRule(names=["getpid"], action="SCMP_ACT_KILL_PROCESS"),
            SyscallRule(names=["getuid"], action="SCMP_ACT_TRAP"),
        ],
    )
    compiled = compile_profile(profile)
    outcomes = observe_real(compiled, [110, 39, 102])
    assert outcomes[0].errno == 77
    assert outcomes[1].signal == signal.SIGSYS
    assert outcomes[2].signal == signal.SIGSYS
    with pytest.raises(InputError, match="would execute"):
        observe_real(compiled, [0])


# -- generated profiles ------------------------------------------------------------------------


@st.composite
def profiles_and_events(draw: st.DrawFn, **options: object) -> tuple[Profile, list[EventSpec]]:
    profile = draw(strategies.profiles(**options))  # type: ignore[arg-type]
    events = draw(
        st.lists(
            strategies.syscall_events(profile=profile, arch=Arch.X86_64).filter(
                lambda e: _issuable(e.nr)
            ),
            min_size=1,
            max_size=24,
        )
    )
    # i386 calls (int $0x80) carry 32-bit numbers and arguments; on a profile without x86 they
    # meet libseccomp's bad-architecture action
    i386 = draw(st.lists(strategies.syscall_events(profile=profile, arch=Arch.X86), max_size=8))
    out: list[EventSpec] = [(e.nr, tuple(e.args)) for e in events]
    out += [(e.nr & _U32, tuple(a & _U32 for a in e.args), Arch.X86) for e in i386]
    return profile, out


_ARCHES = st.sampled_from([[Arch.X86_64], [Arch.X86_64, Arch.X32], [Arch.X86_64, Arch.X86]])


@given(
    case=profiles_and_events(
        architectures=_ARCHES, max_rules=10, operators=list(Operator), runtime="runc"
    )
)
def test_kernel_emulate_and_matcher_agree_runc(
    case: tuple[Profile, list[EventSpec]],
) -> None:
    three_way(*case, "runc")


@given(
    case=profiles_and_events(architectures=_ARCHES, max_rules=10, conflicts=True, runtime="runc")
)
def test_kernel_emulate_and_matcher_agree_with_conflicts(
    case: tuple[Profile, list[EventSpec]],
) -> None:
    three_way(*case, "runc")


@given(case=profiles_and_events(architectures=_ARCHES, max_rules=6, runtime="crun"))
def test_kernel_emulate_and_matcher_agree_crun(
    case: tuple[Profile, list[EventSpec]],
) -> None:
    three_way(*case, "crun")


@settings(max_examples=10)
@given(
    case=profiles_and_events(
        architectures=st.just([Arch.X86_64]),
        min_rules=12,
        max_rules=20,
        max_names=4,
        arg_conditions=True,
        runtime="runc",
    )
)
def test_binary_tree_profiles(case: tuple[Profile, list[EventSpec]]) -> None:
    """More than 32 names switch runc to libseccomp's binary tree."""
    three_way(*case, "runc")


def test_default_actions_reach_the_kernel() -> None:
    for action in (Action.ALLOW, Action.LOG, Action.ERRNO, Action.TRAP, Action.KILL_PROCESS):
        profile = Profile(
            default_action=action,
            syscalls=[SyscallRule(names=["getppid"], action="SCMP_ACT_TRACE", errno_ret=5)],
        )
        three_way(profile, [(110, ()), (39, ()), (600, ())], "runc")


@pytest.mark.parametrize("runtime", ["runc", "crun"])
def test_moby_default_every_syscall(corpus: object, runtime: str) -> None:
    """The real default profile (binary tree, ENOSYS stub under runc): every x86_64 and x32
    number, plus arguments around the conditions of clone and personality."""
    from pathlib import Path

    from seccomp_kit import io
    from seccomp_kit.algebra.resolving import resolve

    assert isinstance(corpus, Path)
    profile = resolve(
        io.load(corpus / "profiles" / "moby-default.json"), arch="x86_64", kernel="6.18"
    )
    numbers = [*syscalls.table(Arch.X86_64).by_number, *syscalls.table(Arch.X32).by_number]
    events = [(nr, ()) for nr in numbers if _issuable(nr)]
    events += [(nr + 1, ()) for nr in (470, 600, 1000, 0x4000_0300)]
    for flags in (0, 0x7E020000, 0x10000000, 0xFFFF_FFFF_7E02_0000):
        events.append((56, (flags,)))  # clone
    for persona in (0, 8, 0x20000, 0xFFFFFFFF, 0x1_0000_0000):
        events.append((135, (persona,)))  # personality
    # i386 calls, through int $0x80: every number of the table (statmount and the other names
    # libseccomp 2.5 cannot name on x86 included), beyond it, and the argument rules
    x86: list[EventSpec] = [(nr, (), Arch.X86) for nr in syscalls.table(Arch.X86).by_number]
    x86 += [(nr, (), Arch.X86) for nr in (467, 600, 0xFFFF_FFFF)]
    x86 += [(136, (persona,), Arch.X86) for persona in (0, 8, 0x20000, 0x20008, 0xFFFFFFFF)]
    x86 += [(120, (flags,), Arch.X86) for flags in (0, 0x7E020000, 0x10000000)]
    events += x86
    assert compile_profile(profile, runtime=runtime).translation.binary_tree == (runtime == "runc")
    three_way(profile, events, runtime)


def test_i386_calls_reach_the_filter_as_i386() -> None:
    """int $0x80 is seen with the i386 architecture: a filter without it answers with its
    bad-architecture action; with it, the x86 table's numbers apply."""
    rules = [SyscallRule(names=["getpid"], action="SCMP_ACT_ERRNO", errno_ret=7)]
    only64 = Profile(default_action="SCMP_ACT_ALLOW", architectures=["SCMP_ARCH_X86_64"],
                     syscalls=rules)  # fmt: skip
    both = attrs.evolve(only64, architectures=(Arch.X86_64, Arch.X86))
    getpid_i386 = Event(20, arch=Arch.X86)
    assert observe(only64, [getpid_i386, 39]) == [0, 0x0005_0007]  # 0: KILL_THREAD
    assert observe(both, [getpid_i386, Event(39, arch=Arch.X86), 39]) == [
        0x0005_0007,
        0x7FFF_0000,  # 39 on i386 is mkdir, not getpid
        0x0005_0007,
    ]
    with pytest.raises(InputError, match="32 bits"):
        observe(both, [Event(20, (1 << 32,), arch=Arch.X86)])
    with pytest.raises(InputError, match="native and i386"):
        observe(both, [Event(20, arch=Arch.AARCH64)])


def test_names_libseccomp_cannot_resolve_are_dropped_as_runtimes_drop_them() -> None:
    """libseccomp 2.5.4 cannot resolve statmount, mseal or listmount (2024): crun and runc drop
    them, so those syscalls get the default action on every architecture; the kernel, the
    compiled program and the matcher agree (measured against real crun 1.8.1 in
    tests/conformance)."""
    profile = Profile(
        default_action="SCMP_ACT_ERRNO",
        architectures=["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
        syscalls=[
            SyscallRule(names=["statmount", "getpid"], action="SCMP_ACT_ALLOW"),
            SyscallRule(names=["mseal"], action="SCMP_ACT_ERRNO", errno_ret=9),
            SyscallRule(
                names=["listmount"],
                action="SCMP_ACT_ALLOW",
                args=[ArgCondition(index=0, value=1, op="SCMP_CMP_EQ")],
            ),
        ],
    )
    if lib.version() >= (2, 6, 0):
        pytest.fail("the suite's libseccomp is 2.5.4 (Debian 12); this case needs it")
    compiled = compile_profile(profile, runtime="crun")
    assert {s.name for s in compiled.translation.skipped} == {"statmount", "mseal", "listmount"}
    assert compiled.placed == compiled.unplaced == ()
    names = ("statmount", "mseal", "getpid", "listmount")
    events: list[EventSpec] = [(syscalls.resolve(n, Arch.X86), (), Arch.X86) for n in names]
    events += [(syscalls.resolve(n, Arch.X86_64), ()) for n in names]
    three_way(profile, events, "crun")
    kernel = observe(profile, [Event(e[0], e[1], arch=Arch.X86 if len(e) == 3 else None)
                               for e in events[:2]], runtime="crun")  # fmt: skip
    assert kernel == [0x0005_0001, 0x0005_0001]


def test_observe_refuses_what_libseccomp_refuses() -> None:
    profile = Profile(
        default_action="SCMP_ACT_ALLOW",
        syscalls=[SyscallRule(names=["getppid"], action="SCMP_ACT_ERRNO", errno_ret=5000)],
    )
    with pytest.raises(CompileError, match="4095"):
        observe(profile, [110])
