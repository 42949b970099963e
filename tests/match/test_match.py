"""The matcher: exactly what libseccomp's compiled filter and the kernel do, and why.

The oracles are independent of the matcher: libseccomp itself (through pyseccomp) compiles the
rules exactly as the runtime adds them (the :class:`Translation`), :func:`seccomp_kit.bpf.emulate`
runs the program, and kernel tests load it in a forked child and issue the syscall.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

import seccomp_kit
import seccomp_kit.libseccomp.translate
import seccomp_kit.syscalls
from seccomp_kit import bpf
from seccomp_kit import strategies as sk_strategies
from seccomp_kit.algebra.resolving import resolve
from seccomp_kit.errors import CompileError, InputError, ProfileError
from seccomp_kit.libseccomp.compile import compile_translation
from seccomp_kit.libseccomp.translate import Translation
from seccomp_kit.match import DecidedBy, Matcher, Verdict, kernel_audit
from seccomp_kit.model import Action, Arch, ArgCondition, Operator, Profile, SyscallRule
from tests.conftest import corpus_dir

# -- oracles ----------------------------------------------------------------------------------


def compiled_program(tr: Translation) -> bpf.Program:
    """libseccomp's program for the translation (runc's stub included), as the runtime loads it."""
    return compile_translation(tr).program()


def emulated(program: bpf.Program, arch: Arch, nr: int, args: Sequence[int] = ()) -> int:
    return bpf.emulate(program, arch=kernel_audit(arch), nr=nr, args=tuple(args))


# -- generated rule databases -----------------------------------------------------------------

_VALUES = (
    0, 1, 2, 5, 0xFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1_0000_0000, 0x1_0000_0001,
    0x2_0000_0005, 0x5_0000_0002, 0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000,
    0xFFFF_FFFF_FFFF_FFFE, 0xFFFF_FFFF_FFFF_FFFF,
)  # fmt: skip
_ACTIONS = (
    (Action.ERRNO, 1),
    (Action.ERRNO, 2),
    (Action.ERRNO, 3),
    (Action.ALLOW, None),
    (Action.LOG, None),
    (Action.TRAP, None),
    (Action.KILL_PROCESS, None),
    (Action.ERRNO, 4094),
    (Action.TRACE, 7),
)


@st.composite
def conditions(draw: st.DrawFn, *, indices: Sequence[int] = (0, 1, 2)) -> tuple[ArgCondition, ...]:
    chosen = draw(st.lists(st.sampled_from(indices), max_size=3, unique=True))
    out = []
    for index in chosen:
        op = draw(st.sampled_from(list(Operator)))
        value = draw(st.sampled_from(_VALUES) | st.integers(0, 8))
        two = (
            draw(st.sampled_from(_VALUES) | st.integers(0, 8)) if op is Operator.MASKED_EQ else None
        )
        out.append(ArgCondition(index, value, op, two))
    return tuple(out)


@st.composite
def rule_sets(draw: st.DrawFn, *, names: Sequence[str] = ("getppid", "personality")) -> Profile:
    """Profiles built to stress libseccomp's database: few syscalls, many overlapping rules."""
    default = draw(st.sampled_from([(Action.ERRNO, 99), (Action.ALLOW, None)]))
    rules = []
    for _ in range(draw(st.integers(1, 6))):
        action, errno = draw(st.sampled_from(_ACTIONS).filter(lambda a: a != default))
        rules.append(
            SyscallRule(
                names=draw(st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True)),
                action=action,
                errno_ret=errno,
                args=draw(conditions()),
            )
        )
    return Profile(default_action=default[0], default_errno_ret=default[1], syscalls=rules)


def probe_args(profile: Profile, rnd: object, count: int = 40) -> list[tuple[int, ...]]:
    """Argument vectors that sit on and around every value the profile compares with."""
    assert isinstance(rnd, random.Random)
    pool: set[int] = {0, 1, 0xFFFF_FFFF, 0x1_0000_0000, 0xFFFF_FFFF_FFFF_FFFF}
    for rule in profile.syscalls:
        for c in rule.args:
            for v in (c.value, c.effective_value_two, c.value & c.effective_value_two):
                lo, hi = v & 0xFFFF_FFFF, v >> 32
                pool |= {v, (v + 1) & (2**64 - 1), (v - 1) % 2**64, lo, hi << 32}
                pool |= {
                    (hi << 32) | ((lo + 1) & 0xFFFF_FFFF),
                    (((hi + 1) & 0xFFFF_FFFF) << 32) | lo,
                }
    values = sorted(pool)
    return [tuple(rnd.choice(values) for _ in range(3)) for _ in range(count)]


def assert_same(m: Matcher, program: bpf.Program, arch: Arch, nr: int, args: Sequence[int]) -> None:
    got = m.match(nr, args, arch=arch)
    want = emulated(program, arch, nr, args)
    assert got.ret == want, (
        f"matcher {got.ret:#x} != libseccomp {want:#x} for nr {nr} args "
        f"{[hex(a) for a in args]} on {arch.value}\n{got.explain()}"
    )


ARCH_SETS = [
    (Arch.X86_64, ()),
    (Arch.X86_64, (Arch.X86, Arch.X32)),
    (Arch.AARCH64, (Arch.ARM,)),
    (Arch.S390X, (Arch.S390,)),
    (Arch.MIPSEL64, (Arch.MIPSEL, Arch.MIPSEL64N32)),
]


@pytest.mark.parametrize(("host", "extra"), ARCH_SETS, ids=str)
@given(profile=rule_sets(), rnd=st.randoms(use_true_random=False))
def test_matcher_equals_libseccomp_on_overlapping_rules(
    host: Arch, extra: tuple[Arch, ...], profile: Profile, rnd: object
) -> None:
    profile = attrs_evolve(profile, architectures=(host, *extra))
    tr = seccomp_kit.libseccomp.translate.translate(profile, runtime="runc", host_arch=host)
    try:
        m = Matcher(profile, arch=host)
    except ProfileError as exc:
        if "never finishes" in exc.message:
            return  # libseccomp itself loops here: see test_libseccomp_loops_and_we_say_so
        assert "EEXIST" in exc.message
        with pytest.raises(CompileError, match="EEXIST"):
            compiled_program(tr)
        return
    program = compiled_program(tr)
    for arch in (host, *extra):
        for name in ("getppid", "personality"):
            nr = seccomp_kit.syscalls.table(arch).number(name)
            assert nr is not None
            for args in probe_args(profile, rnd):
                assert_same(m, program, arch, nr, args)


@st.composite
def one_rule_per_syscall(draw: st.DrawFn) -> Profile:
    names = ["getppid", "personality", "getpid", "umask"]
    rules = []
    for name in draw(st.lists(st.sampled_from(names), min_size=1, max_size=4, unique=True)):
        action, errno = draw(st.sampled_from(_ACTIONS))
        args = draw(conditions(indices=(0, 1, 2, 3)))
        rules.append(SyscallRule(names=(name,), action=action, errno_ret=errno, args=args))
    return Profile(default_action=Action.ERRNO, default_errno_ret=99, syscalls=rules)


@pytest.mark.parametrize("host", [Arch.X86_64, Arch.X86, Arch.S390X], ids=str)
@given(profile=one_rule_per_syscall(), rnd=st.randoms(use_true_random=False))
def test_rule_tree_alone_equals_libseccomp_without_siblings(
    host: Arch, profile: Profile, rnd: object
) -> None:
    """With one rule per syscall no tree level has two nodes, so libseccomp's code follows its
    tree exactly: the matcher's own tree (no libseccomp involved) must give the same answers,
    which pins the operator rewriting, the 64-bit halves and 32-bit truncation independently."""
    profile = attrs_evolve(profile, architectures=(host,))
    m = Matcher(profile, arch=host)
    m._exact = None  # the rule tree alone
    program = compiled_program(m.translation)
    for rule in profile.syscalls:
        nr = seccomp_kit.syscalls.table(host).number(rule.names[0])
        assert nr is not None
        for args in probe_args(profile, rnd):
            assert_same(m, program, host, nr, args)


def attrs_evolve(profile: Profile, **changes: object) -> Profile:
    import attrs

    return attrs.evolve(profile, **changes)  # type: ignore[misc]


# -- the corpus -------------------------------------------------------------------------------


def _plain(path: object) -> Profile:
    profile = seccomp_kit.load(path)  # type: ignore[arg-type]
    if any(r.includes or r.excludes for r in profile.syscalls) or profile.arch_map:
        profile = resolve(profile, arch="x86_64", capabilities=("CAP_SYS_ADMIN",), kernel="6.18")
    return profile


CORPUS_PROFILES = [
    "moby-default.json",
    "moby-default-old-format.json",
    "containers-common-seccomp.json",
    "moby-example.json",
    "runc-syscall-test1.json",
    "runc-syscall-test2.json",
    "spo-operator.json",
    "spo-bpf-recorder.json",
    "containers-common-example.json",
    "moby-conditional-include.json",
]


@pytest.mark.parametrize("name", CORPUS_PROFILES)
@pytest.mark.parametrize("runtime", ["runc", "crun"])
def test_corpus_profiles_every_number_equals_libseccomp(name: str, runtime: str) -> None:
    profile = _plain(corpus_dir("profiles") / name)
    tr = seccomp_kit.libseccomp.translate.translate(profile, runtime=runtime, host_arch=Arch.X86_64)
    try:
        compiled = compile_translation(tr)
    except CompileError as exc:  # libseccomp refuses the profile: so must the matcher
        with pytest.raises(ProfileError) as info:
            Matcher(profile, arch=Arch.X86_64, runtime=runtime)
        assert info.value.path[:2] == exc.path[:2]
        return
    m = Matcher(profile, arch=Arch.X86_64, runtime=runtime)
    program = compiled.program()
    boundary = ((), (0,), (8,), (0x7E02_0000, 1), (0xFFFF_FFFF,), (1 << 32,), (2**64 - 1,) * 6)
    for arch in m.translation.architectures:
        tbl = seccomp_kit.syscalls.table(arch)
        lo = 0x4000_0000 if arch is Arch.X32 else min(tbl.by_number)
        numbers = [*range(lo, tbl.max_number + 40), 0xFFFF_FFFF, 0x4000_0000 - 1, 0x4000_0000]
        for nr in numbers:
            assert_same(m, program, arch, nr, ())
            if m.has_argument_rules(nr, arch=arch):
                for args in boundary:
                    assert_same(m, program, arch, nr, args)
    for arch in (Arch.AARCH64, Arch.S390X):  # not in the filter: bad architecture
        assert_same(m, program, arch, 0, ())


# -- kernel -----------------------------------------------------------------------------------


@pytest.mark.kernel
@settings(max_examples=15)
@given(profile=rule_sets(names=("getppid",)), rnd=st.randoms(use_true_random=False))
def test_matcher_equals_the_kernel(profile: Profile, rnd: object) -> None:
    from seccomp_kit import kernel

    tr = seccomp_kit.libseccomp.translate.translate(profile, runtime="runc", host_arch=Arch.X86_64)
    try:
        compile_translation(tr)
    except CompileError:
        return  # EEXIST: covered above
    m = Matcher(profile, arch=Arch.X86_64)
    nr = 110  # getppid on x86_64: harmless whatever its arguments
    arg_sets = probe_args(profile, rnd, count=30)
    events = [(nr, a) for a in arg_sets] + [(0x4000_0000 | 110, ()), (1000, ()), (0xFFFF_FFFF, ())]
    seen = kernel.observe(tr, events)
    for (event_nr, args), got in zip(events, seen, strict=True):
        assert m.match(event_nr, args).ret == got, (event_nr, args)


# -- the parts, one by one --------------------------------------------------------------------


def _profile(*rules: SyscallRule, default: Action = Action.ERRNO, **kw: object) -> Profile:
    return Profile(default_action=default, syscalls=rules, **kw)  # type: ignore[arg-type]


def test_verdict_fields_and_errno_capping() -> None:
    p = _profile(
        SyscallRule(names=("getppid",), action=Action.ERRNO, errno_ret=38),
        SyscallRule(names=("getpid",), action=Action.TRACE, errno_ret=5000),
        default=Action.ALLOW,
    )
    m = Matcher(p, arch=Arch.X86_64)
    v = m.match("getppid")
    assert (v.ret, v.action, v.errno, v.data) == (0x0005_0026, Action.ERRNO, 38, 38)
    assert v.decided_by is DecidedBy.RULE and v.rule_path == ("syscalls", 0)
    assert v.name == "getppid" and v.nr == 110 and not v.allowed
    t = m.match("getpid")
    assert (t.action, t.data, t.errno) == (Action.TRACE, 5000, None)
    d = m.match("read")
    assert (d.ret, d.decided_by, d.rule_path, d.allowed) == (
        0x7FFF_0000,
        DecidedBy.DEFAULT,
        None,
        True,
    )
    assert m.match(110) == v and m.match("getppid", (1, 2)) == v


def test_errno_at_or_above_4095_is_refused_like_libseccomp() -> None:
    p = _profile(SyscallRule(names=("getppid",), action=Action.ERRNO, errno_ret=4095))
    with pytest.raises(ProfileError, match="4095") as info:
        Matcher(p, arch=Arch.X86_64)
    assert info.value.path == ("syscalls", 0, "errnoRet")
    with pytest.raises(CompileError):
        compiled_program(seccomp_kit.libseccomp.translate.translate(p, host_arch=Arch.X86_64))
    high_default = Profile(default_action=Action.ERRNO, default_errno_ret=5000)
    with pytest.raises(ProfileError, match="default"):
        Matcher(high_default, arch=Arch.X86_64)


def test_libseccomp_loops_and_we_say_so() -> None:
    """libseccomp 2.5.4 never returns from adding the second rule (a cycle in a tree level);
    runc would hang. The matcher's rebuild of the database detects it and refuses the profile."""
    import os
    import signal

    ne0 = ArgCondition(0, 0, Operator.NE)
    p = _profile(
        SyscallRule(
            names=("personality",),
            action=Action.ERRNO,
            errno_ret=1,
            args=(ArgCondition(1, 0, Operator.NE), ArgCondition(2, 0, Operator.NE), ne0),
        ),
        SyscallRule(
            names=("getppid", "personality"),
            action=Action.ERRNO,
            errno_ret=2,
            args=(ArgCondition(1, 0, Operator.MASKED_EQ, 0), ArgCondition(2, 0, Operator.NE), ne0),
        ),
        default=Action.ERRNO,
        default_errno_ret=99,
    )
    with pytest.raises(ProfileError, match="never finishes") as info:
        Matcher(p, arch=Arch.X86_64)
    assert info.value.path == ("syscalls", 1, "names", 1)
    tr = seccomp_kit.libseccomp.translate.translate(p, host_arch=Arch.X86_64)
    # compile refuses it up front instead of hanging inside libseccomp ...
    with pytest.raises(CompileError, match="never finishes"):
        compile_translation(tr)
    # ... because libseccomp itself, asked directly, never returns.
    from seccomp_kit.libseccomp.compile import _export, library_for

    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        signal.signal(signal.SIGALRM, signal.SIG_DFL)  # die even inside the C loop
        signal.alarm(3)
        try:
            _export(tr, 0, "bpf", library_for(tr))
        finally:
            os._exit(0)
    import time

    deadline = time.monotonic() + 30
    while (done := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    if done[0] == 0:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("the child neither finished nor died")
    status = done[1]
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGALRM


def test_conflicting_chain_is_eexist_with_the_rule_path() -> None:
    cond = (ArgCondition(0, 1, Operator.EQ),)
    p = _profile(
        SyscallRule(names=("getppid",), action=Action.ALLOW, args=cond),
        SyscallRule(names=("getppid",), action=Action.LOG, args=cond),
    )
    with pytest.raises(ProfileError, match="EEXIST") as info:
        Matcher(p, arch=Arch.X86_64)
    assert info.value.path == ("syscalls", 1, "names", 0)


def test_libseccomp_combination_rules() -> None:
    eq1 = (ArgCondition(0, 1, Operator.EQ),)
    # unconditional then unconditional: the first wins
    m = Matcher(
        _profile(
            SyscallRule(names=("getppid",), action=Action.ALLOW),
            SyscallRule(names=("getppid",), action=Action.LOG),
        ),
        arch=Arch.X86_64,
    )
    assert m.match("getppid").rule_path == ("syscalls", 0)
    # conditional then unconditional: the unconditional replaces it
    m = Matcher(
        _profile(
            SyscallRule(names=("getppid",), action=Action.LOG, args=eq1),
            SyscallRule(names=("getppid",), action=Action.ALLOW),
        ),
        arch=Arch.X86_64,
    )
    assert m.match("getppid", (1,)).rule_path == ("syscalls", 1)
    assert not m.has_argument_rules("getppid")
    # unconditional then conditional: the conditional is dropped
    m = Matcher(
        _profile(
            SyscallRule(names=("getppid",), action=Action.ALLOW),
            SyscallRule(names=("getppid",), action=Action.LOG, args=eq1),
        ),
        arch=Arch.X86_64,
    )
    assert m.match("getppid", (1,)).action is Action.ALLOW


def test_repeated_index_is_or_in_runc() -> None:
    rule = SyscallRule(
        names=("personality",),
        action=Action.ALLOW,
        args=(ArgCondition(0, 8, Operator.EQ), ArgCondition(0, 0, Operator.EQ)),
    )
    m = Matcher(_profile(rule), arch=Arch.X86_64)
    assert m.match("personality", (8,)).allowed
    assert m.match("personality", (0,)).allowed
    assert not m.match("personality", (1,)).allowed


def test_32bit_arches_compare_only_the_low_word() -> None:
    rule = SyscallRule(
        names=("getppid",), action=Action.ALLOW, args=(ArgCondition(0, 0x1_0000_0005, Operator.EQ),)
    )
    m = Matcher(_profile(rule, architectures=(Arch.X86,)), arch=Arch.X86_64)
    assert m.match("getppid", (5,), arch=Arch.X86).allowed
    assert m.match("getppid", (0x7_0000_0005,), arch=Arch.X86).allowed
    assert not m.match("getppid", (5,)).allowed  # x86_64 compares all 64 bits
    assert m.match("getppid", (0x1_0000_0005,)).allowed


def test_x32_bit_and_bad_arch() -> None:
    rule = SyscallRule(names=("getppid",), action=Action.ALLOW)
    only64 = Matcher(_profile(rule), arch=Arch.X86_64)
    v = only64.match(0x4000_0000 | 110)
    assert (v.decided_by, v.ret) == (DecidedBy.BAD_ARCH, 0)
    assert only64.match(0xFFFF_FFFF).decided_by is DecidedBy.DEFAULT  # -1 is let through
    assert only64.match(-1).decided_by is DecidedBy.DEFAULT
    assert only64.match("getppid", arch="aarch64").decided_by is DecidedBy.BAD_ARCH
    both = Matcher(_profile(rule, architectures=(Arch.X86_64, Arch.X32)), arch=Arch.X86_64)
    assert both.match(0x4000_0000 | 110).allowed  # the x32 table names getppid 110 too
    assert both.match("getppid", arch=Arch.X32).nr == 0x4000_0000 | 110
    x32 = both.match(0x4000_0000 | 39)
    assert x32.decided_by is DecidedBy.DEFAULT and x32.name == "getpid"


def test_runc_enosys_stub() -> None:
    rule = SyscallRule(names=("getppid",), action=Action.ALLOW)
    runc = Matcher(_profile(rule, architectures=(Arch.X86_64, Arch.X32)), arch=Arch.X86_64)
    limit = dict(runc.translation.enosys_limits or ())
    assert limit[Arch.X86_64] == 110
    above = runc.match(111)
    assert (above.decided_by, above.errno) == (DecidedBy.ENOSYS_STUB, 38)
    assert runc.match(109).decided_by is DecidedBy.DEFAULT
    assert runc.match(0x4000_0000 | 111).decided_by is DecidedBy.ENOSYS_STUB
    crun = Matcher(_profile(rule), arch=Arch.X86_64, runtime="crun")
    assert crun.match(111).decided_by is DecidedBy.DEFAULT
    s390 = Matcher(_profile(rule, architectures=(Arch.S390X,)), arch=Arch.S390X)
    assert s390.match(0).decided_by is DecidedBy.ENOSYS_STUB  # setup(2), the multiplexer
    allow = Matcher(
        _profile(SyscallRule(names=("getppid",), action=Action.ERRNO), default=Action.ALLOW),
        arch=Arch.X86_64,
    )
    assert allow.match(999).decided_by is DecidedBy.DEFAULT  # no stub under an ALLOW default


def test_socketcall_multiplexing_on_x86() -> None:
    rule = SyscallRule(
        names=("socket",), action=Action.ALLOW, args=(ArgCondition(0, 1, Operator.EQ),)
    )
    m = Matcher(_profile(rule, architectures=(Arch.X86,)), arch=Arch.X86_64)
    socketcall = seccomp_kit.syscalls.table(Arch.X86).number("socketcall")
    assert socketcall is not None
    # libseccomp adds socketcall(SYS_SOCKET=1, ...) with argument 0 replaced by the sub-call
    assert m.match(socketcall, (1,), arch=Arch.X86).allowed
    assert not m.match(socketcall, (2,), arch=Arch.X86).allowed
    assert m.match("socket", (1,), arch=Arch.X86).allowed  # the direct syscall keeps arg 0
    assert not m.match("socket", (2,), arch=Arch.X86).allowed


def test_errors_are_input_errors() -> None:
    m = Matcher(_profile(SyscallRule(names=("getppid",), action=Action.ALLOW)), arch=Arch.X86_64)
    with pytest.raises(InputError, match="did you mean 'getppid'"):
        m.match("getppidd")
    with pytest.raises(InputError, match="at most 6"):
        m.match("getppid", (0,) * 7)
    with pytest.raises(InputError, match="64 bits"):
        m.match("getppid", (2**64,))
    with pytest.raises(InputError, match="32 bits"):
        m.match(2**32)
    with pytest.raises(InputError, match="architecture"):
        m.match("getppid", arch="vax")
    with pytest.raises(InputError, match="runtime"):
        Matcher(_profile(), runtime="docker")
    with pytest.raises(InputError, match="1-D"):
        m.match_many(np.zeros((2, 2), dtype=np.uint32))
    with pytest.raises(InputError, match="N x 6"):
        m.match_many(np.zeros(3, dtype=np.uint32), np.zeros((2, 6), dtype=np.uint64))


def test_negative_arguments_are_twos_complement() -> None:
    rule = SyscallRule(
        names=("getppid",), action=Action.ALLOW, args=(ArgCondition(0, 2**64 - 1, Operator.EQ),)
    )
    m = Matcher(_profile(rule), arch=Arch.X86_64)
    assert m.match("getppid", (-1,)).allowed


def test_explain_names_the_rule_and_its_line(tmp_path: object) -> None:
    text = """{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [
    {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
    {
      "names": ["personality"],
      "action": "SCMP_ACT_ALLOW",
      "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]
    }
  ]
}
"""
    m = Matcher(seccomp_kit.loads(text, name="p.json"), arch=Arch.X86_64)
    v = m.match("personality", (8,))
    assert v.location() == "p.json:5:5"
    text_out = v.explain()
    assert "SCMP_ACT_ALLOW" in text_out and "$.syscalls[1]" in text_out
    assert "p.json:5:5" in text_out and "arg0 == 0x8" in text_out
    assert "defaultAction" in m.match("personality", (9,)).explain()
    assert "ENOSYS" in m.match(1000).explain()
    assert "bad-architecture" in m.match("read", arch="aarch64").explain()
    assert repr(v).startswith("Verdict(SCMP_ACT_ALLOW, rule, personality")


def _quirk_profile() -> Profile:
    """libseccomp 2.5 reuses the low word of args[2] where its tree expects the high word."""
    return _profile(
        SyscallRule(
            names=("personality",),
            action=Action.TRACE,
            errno_ret=7,
            args=(ArgCondition(2, 5, Operator.LT), ArgCondition(0, 0x7FFF_FFFF, Operator.NE)),
        ),
        SyscallRule(
            names=("personality",),
            action=Action.TRACE,
            errno_ret=7,
            args=(ArgCondition(0, 4, Operator.NE), ArgCondition(2, 2**63 - 1, Operator.LT)),
        ),
    )


def test_quirk_verdicts_follow_the_generated_code() -> None:
    m = Matcher(_quirk_profile(), arch=Arch.X86_64)
    args = (2**63 - 1, 0, 0xFFFF_FFFF)
    v = m.match("personality", args)
    program = compiled_program(m.translation)
    assert v.ret == emulated(program, Arch.X86_64, 135, args) == 0x0005_0001
    assert v.quirk and "stale accumulator" in v.explain()


# -- bulk -------------------------------------------------------------------------------------


@settings(max_examples=25)
@given(
    profile=rule_sets(),
    data=st.data(),
    chunk=st.sampled_from([1, 7, 64, 1 << 18]),
)
def test_match_many_equals_match(profile: Profile, data: st.DataObject, chunk: int) -> None:
    try:
        m = Matcher(attrs_evolve(profile, architectures=(Arch.X86_64, Arch.X32)), arch=Arch.X86_64)
    except ProfileError:
        return
    nr_pool = [110, 135, 0, 1, 334, 1000, 0x4000_0000 | 110, 0x4000_0000 | 135, 0xFFFF_FFFF, 2**31]
    n = data.draw(st.integers(0, 120))
    nrs = np.array(
        data.draw(st.lists(st.sampled_from(nr_pool), min_size=n, max_size=n)), dtype=np.uint32
    )
    value_pool = sorted({v for a in probe_args(profile, random.Random(0), 5) for v in a})
    args = np.array(
        data.draw(
            st.lists(
                st.lists(st.sampled_from(value_pool), min_size=6, max_size=6),
                min_size=n,
                max_size=n,
            )
        ),
        dtype=np.uint64,
    ).reshape(n, 6)
    arch = data.draw(st.sampled_from([Arch.X86_64, Arch.X32, Arch.X86]))
    got = m.match_many(nrs, args, arch=arch, chunk_size=chunk)
    assert got.dtype == np.uint32 and got.shape == (n,)
    for i in range(n):
        assert got[i] == m.match(int(nrs[i]), tuple(int(a) for a in args[i]), arch=arch).ret
    no_args = m.match_many(nrs.astype(np.int64), arch=arch, chunk_size=chunk)
    for i in range(n):
        assert no_args[i] == m.match(int(nrs[i]), arch=arch).ret


def test_match_many_on_moby_default_uses_the_table() -> None:
    m = Matcher(_plain(corpus_dir("profiles") / "moby-default.json"), arch=Arch.X86_64)
    nrs = np.arange(0, 600, dtype=np.uint32)
    got = m.match_many(nrs, chunk_size=100)
    want = [m.match(int(nr)).ret for nr in nrs]
    assert got.tolist() == want


def test_match_many_follows_the_generated_code_on_quirks() -> None:
    # The quirk profile above, in bulk: the table built from libseccomp's code keeps the stale
    # accumulator, so every event gets the code's answer, not the rule tree's.
    m = Matcher(_quirk_profile(), arch=Arch.X86_64)
    rows = [(2**63 - 1, 0, 0xFFFF_FFFF), (4, 0, 1), (0, 0, 2**63), (5, 0, 4), (0, 0, 0)]
    args = np.array([[*r, 0, 0, 0] for r in rows], dtype=np.uint64)
    got = m.match_many(np.full(len(rows), 135, dtype=np.uint32), args)
    assert m._bulk[Arch.X86_64].decision(m) is not None  # the table path, not the fallback
    program = compiled_program(m.translation)
    want = [emulated(program, Arch.X86_64, 135, r) for r in rows]
    assert got.tolist() == want and want[0] == 0x0005_0001


def test_match_many_on_moby_default_argument_rules() -> None:
    # Every event argument-dependent (the one-table-lookup path for whole chunks), then mixed
    # with plain syscalls and numbers outside the table (the per-row path).
    m = Matcher(_plain(corpus_dir("profiles") / "moby-default.json"), arch=Arch.X86_64)
    conditional = [nr for nr in range(460) if m.has_argument_rules(nr)]
    assert {41, 135} <= set(conditional)  # socket, personality
    rng = np.random.default_rng(3)
    values = np.array(
        [0, 1, 8, 40, 0x20000, 0x20008, 0xFFFF_FFFF, 0x7E02_0000, 0x1_0000_0008, 2**64 - 1],
        dtype=np.uint64,
    )
    n = 3000
    args = rng.choice(values, (n, 6)).astype(np.uint64)
    for nrs in (
        rng.choice(np.array(conditional, dtype=np.uint32), n),
        rng.choice(np.array([*conditional, 0, 1, 500, 0xFFFF_FFFF], dtype=np.uint32), n),
    ):
        for chunk in (1000, 1 << 18):
            got = m.match_many(nrs, args, chunk_size=chunk)
            want = [
                m.match(int(nr), tuple(int(a) for a in row)).ret
                for nr, row in zip(nrs, args, strict=True)
            ]
            assert got.tolist() == want
    assert m._bulk[Arch.X86_64].decision(m) is not None


_OVERLAP_NAMES = ("personality", "getppid", "socket", "clone", "read")


@settings(max_examples=30, deadline=None)
@given(
    profile=sk_strategies.profiles(
        conflicts=True,
        architectures=(Arch.X86_64, Arch.X86, Arch.X32),
        names=_OVERLAP_NAMES,
        min_rules=1,
        max_rules=8,
    ),
    data=st.data(),
    chunk=st.sampled_from([1, 5, 64, 1 << 18]),
)
def test_match_many_equals_match_on_overlapping_rules(
    profile: Profile, data: st.DataObject, chunk: int
) -> None:
    """Bulk answers (tables compiled from libseccomp's code) equal scalar ``match``, which
    runs that code instruction by instruction, on overlapping argument rules."""
    try:
        m = Matcher(profile, arch=Arch.X86_64)
    except ProfileError:
        return
    arch = data.draw(st.sampled_from([Arch.X86_64, Arch.X86, Arch.X32]))
    events = data.draw(
        st.lists(sk_strategies.syscall_events(profile=profile, arch=arch), max_size=40)
    )
    # The drawn arguments (biased toward the profile's comparisons) also on every
    # argument-dependent syscall, so that most events exercise the argument chains.
    numbers = {
        nr
        for name in (*_OVERLAP_NAMES, "socketcall")
        if (nr := seccomp_kit.syscalls.table(arch).number(name)) is not None
    }
    chained = sorted(nr for nr in numbers if m.has_argument_rules(nr, arch=arch))
    pairs = [(e.nr, e.args) for e in events]
    pairs += [(nr, e.args) for e in events for nr in chained]
    nrs = np.array([nr for nr, _ in pairs], dtype=np.uint32)
    args = np.array([a for _, a in pairs], dtype=np.uint64).reshape(len(pairs), 6)
    want = [m.match(nr, a, arch=arch).ret for nr, a in pairs]
    assert m.match_many(nrs, args, arch=arch, chunk_size=chunk).tolist() == want
    # only the argument-dependent events: whole chunks take the one-lookup path
    keep = len(events)
    got = m.match_many(nrs[keep:], args[keep:], arch=arch, chunk_size=chunk)
    assert got.tolist() == want[keep:]


def test_lazy_exports() -> None:
    assert seccomp_kit.Matcher is Matcher and seccomp_kit.Verdict is Verdict
