"""seccomp_kit.libseccomp.compile: profiles to BPF through libseccomp, as runc and crun do it.

What a compiled program does is checked by emulating it (seccomp_kit.bpf, itself checked
against the kernel in test_bpf.py) and, in test_kernel.py, by loading it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seccomp_kit import bpf, io, syscalls
from seccomp_kit.errors import CompileError, ProfileError
from seccomp_kit.libseccomp import _ffi as lib
from seccomp_kit.libseccomp.compile import (
    FILTER_FLAG_LOG,
    FILTER_FLAG_NEW_LISTENER,
    FILTER_FLAG_SPEC_ALLOW,
    FILTER_FLAG_TSYNC,
    FILTER_FLAG_WAIT_KILLABLE_RECV,
    CompiledFilter,
    compile_profile,
    enosys_stub,
)
from seccomp_kit.libseccomp.translate import ERRNO_ENOSYS, SkipReason, Translation
from seccomp_kit.model import Action, Arch, ArgCondition, Profile, SyscallRule
from tests.conftest import NOT_PROFILES

ALLOW, ERRNO1, KILL_PROCESS, LOG = 0x7FFF_0000, 0x0005_0001, 0x8000_0000, 0x7FFC_0000
X32_BIT = 0x4000_0000


def rule(names: list[str], action: str, **kw: object) -> SyscallRule:
    return SyscallRule(names=names, action=action, **kw)  # type: ignore[arg-type]


def test_compiled_filter_fields() -> None:
    p = Profile(
        default_action="SCMP_ACT_ERRNO",
        architectures=["SCMP_ARCH_X86", "SCMP_ARCH_X86_64"],
        syscalls=[rule(["read", "write", "openat"], "SCMP_ACT_ALLOW")],
    )
    c = compile_profile(p, arch="x86_64")
    assert isinstance(c, CompiledFilter)
    assert len(c.bpf) == 8 * len(c.instructions) == 8 * len(c)
    assert bpf.decode(c.bpf) == c.instructions
    assert c.architectures == (Arch.X86_64, Arch.X86)  # host first
    assert 'filter for syscall "read"' in c.pfc and "arch x86 " in c.pfc
    assert c.translation.rules[0].name == "read"
    bpf.check(c.bpf)
    assert c.emulate(nr=0) == ALLOW
    assert c.emulate(nr=2) == ERRNO1  # EPERM when no errno is given
    assert c.emulate(nr=3, arch=Arch.X86) == ALLOW  # read on i386
    assert c.emulate(nr=0, arch=Arch.AARCH64) == 0  # bad architecture: KILL_THREAD
    assert "return ALLOW" in c.disassemble()


def test_names_newer_than_libseccomp_are_dropped_as_runtimes_drop_them() -> None:
    unknown = [n for n in syscalls.table(Arch.X86_64).by_name if lib.resolve_name(n) == -1]
    assert unknown, "the installed libseccomp knows every syscall; pick another check"
    name = unknown[0]
    nr = syscalls.table(Arch.X86_64).number(name)
    assert nr is not None
    p = Profile(default_action="SCMP_ACT_ALLOW", syscalls=[rule([name], "SCMP_ACT_LOG")])
    c = compile_profile(p, arch="x86_64")
    assert c.emulate(nr=nr) == ALLOW  # dropped: the default action
    assert [s.reason for s in c.translation.skipped] == [SkipReason.UNRESOLVED]
    placed = compile_profile(p, arch="x86_64", place_unknown=True)
    assert placed.emulate(nr=nr) == LOG
    assert placed.emulate(nr=nr + 1) == ALLOW
    assert placed.unplaced == ()


def test_x32_numbers_carry_the_x32_bit() -> None:
    p = Profile(
        default_action="SCMP_ACT_ALLOW",
        architectures=["SCMP_ARCH_X86_64", "SCMP_ARCH_X32"],
        syscalls=[rule(["getppid"], "SCMP_ACT_KILL_PROCESS")],
    )
    c = compile_profile(p, arch="x86_64")
    x32 = syscalls.table(Arch.X32).number("getppid")
    assert x32 is not None and x32 & X32_BIT
    assert c.emulate(nr=110) == KILL_PROCESS
    assert c.emulate(nr=x32, arch=Arch.X32) == KILL_PROCESS
    assert c.emulate(nr=110 | X32_BIT, arch=Arch.X32) == KILL_PROCESS
    assert c.emulate(nr=111 | X32_BIT, arch=Arch.X32) == ALLOW
    # without x32 in the filter an x32 call is from a foreign architecture
    only64 = compile_profile(attrs.evolve(p, architectures=["SCMP_ARCH_X86_64"]), arch="x86_64")
    assert only64.emulate(nr=x32, arch=Arch.X32) == 0


@pytest.mark.parametrize(
    ("host", "base"),
    [(Arch.MIPSEL64, 5000), (Arch.MIPSEL, 4000), (Arch.MIPSEL64N32, 6000), (Arch.AARCH64, 0)],
)
def test_foreign_hosts_use_their_own_numbers(host: Arch, base: int) -> None:
    p = Profile(default_action="SCMP_ACT_ALLOW", syscalls=[rule(["getppid"], "SCMP_ACT_ERRNO")])
    c = compile_profile(p, arch=host)
    nr = syscalls.table(host).number("getppid")
    assert nr is not None and nr >= base
    assert c.architectures == (host,)
    assert c.emulate(nr=nr) == ERRNO1
    assert c.emulate(nr=nr + 1) == ALLOW


def test_big_endian_host_compares_the_right_argument_halves() -> None:
    p = Profile(
        default_action="SCMP_ACT_ALLOW",
        syscalls=[
            rule(
                ["personality"],
                "SCMP_ACT_ERRNO",
                args=[ArgCondition(index=0, value=0x1_0000_0002, op="SCMP_CMP_EQ")],
            )
        ],
    )
    nr = syscalls.table(Arch.S390X).number("personality")
    assert nr is not None
    c = compile_profile(p, arch="s390x")
    assert c.byteorder == ">"
    assert bpf.decode(c.bpf, ">") == c.instructions
    assert c.emulate(nr=nr, args=(0x1_0000_0002,)) == ERRNO1
    assert c.emulate(nr=nr, args=(0x2_0000_0001,)) == ALLOW
    assert c.emulate(nr=nr, args=(0x2,)) == ALLOW


def test_repeated_index_is_or_and_distinct_indices_and() -> None:
    def conds(*pairs: tuple[int, int]) -> list[ArgCondition]:
        return [ArgCondition(index=i, value=v, op="SCMP_CMP_EQ") for i, v in pairs]

    p = Profile(
        default_action="SCMP_ACT_ALLOW",
        syscalls=[
            rule(["personality"], "SCMP_ACT_ERRNO", args=conds((0, 1), (0, 2))),
            rule(["setns"], "SCMP_ACT_ERRNO", args=conds((0, 1), (1, 2))),
        ],
    )
    c = compile_profile(p, arch="x86_64")
    assert [c.emulate(nr=135, args=(v,)) for v in (1, 2, 3)] == [ERRNO1, ERRNO1, ALLOW]
    setns = 308
    assert c.emulate(nr=setns, args=(1, 2)) == ERRNO1
    assert c.emulate(nr=setns, args=(1, 3)) == ALLOW


def test_flags_become_attributes_and_load_flags() -> None:
    base = Profile(default_action="SCMP_ACT_ALLOW", syscalls=[rule(["read"], "SCMP_ACT_LOG")])
    flags = [
        "SECCOMP_FILTER_FLAG_LOG",
        "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
        "SECCOMP_FILTER_FLAG_TSYNC",
    ]
    runc = compile_profile(attrs.evolve(base, flags=flags))
    assert runc.load_flags == FILTER_FLAG_LOG | FILTER_FLAG_SPEC_ALLOW  # runc drops TSYNC
    crun = compile_profile(attrs.evolve(base, flags=flags), runtime="crun")
    assert crun.load_flags == FILTER_FLAG_LOG | FILTER_FLAG_SPEC_ALLOW | FILTER_FLAG_TSYNC
    notify = attrs.evolve(
        base, listener_path="/run/agent.sock", syscalls=[rule(["read"], "SCMP_ACT_NOTIFY")]
    )
    assert compile_profile(notify).load_flags == FILTER_FLAG_NEW_LISTENER
    assert compile_profile(notify).emulate(nr=0) == 0x7FC0_0000


def test_wait_killable_recv_needs_libseccomp_2_6_under_runc() -> None:
    p = Profile(
        default_action="SCMP_ACT_ALLOW",
        flags=["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
        listener_path="/run/agent.sock",
        syscalls=[rule(["read"], "SCMP_ACT_NOTIFY")],
    )
    crun = compile_profile(p, runtime="crun")
    assert crun.load_flags & FILTER_FLAG_WAIT_KILLABLE_RECV
    if lib.api_level() >= 7:
        assert compile_profile(p).load_flags & FILTER_FLAG_WAIT_KILLABLE_RECV
    else:
        with pytest.raises(CompileError, match=r"libseccomp 2\.6") as info:
            compile_profile(p)
        assert info.value.path == ("flags", 1)


# -- runc's ENOSYS stub ------------------------------------------------------------------------


def test_stub_returns_enosys_above_the_highest_known_number() -> None:
    p = Profile(
        default_action="SCMP_ACT_ERRNO",
        architectures=["SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_X86"],
        syscalls=[rule(["read", "openat", "getppid"], "SCMP_ACT_ALLOW")],
    )
    c = compile_profile(p, arch="x86_64")
    assert c.stub_length > 0
    assert c.instructions[0] == bpf.Instruction(bpf.LD_W_ABS, 0, 0, 4)
    assert c.emulate(nr=257) == ALLOW
    assert c.emulate(nr=258) == ERRNO_ENOSYS
    assert c.emulate(nr=200) == ERRNO1
    assert c.emulate(nr=257 | X32_BIT, arch=Arch.X32) == ALLOW
    assert c.emulate(nr=258 | X32_BIT, arch=Arch.X32) == ERRNO_ENOSYS
    assert c.emulate(nr=295, arch=Arch.X86) == ALLOW  # openat on i386
    assert c.emulate(nr=296, arch=Arch.X86) == ERRNO_ENOSYS
    assert c.emulate(nr=0, arch=Arch.AARCH64) == 0  # not in the stub, bad arch in the filter


@pytest.mark.parametrize(
    ("default", "runtime"),
    [("SCMP_ACT_ALLOW", "runc"), ("SCMP_ACT_LOG", "runc"), ("SCMP_ACT_ERRNO", "crun")],
)
def test_no_stub(default: str, runtime: str) -> None:
    p = Profile(default_action=default, syscalls=[rule(["read"], "SCMP_ACT_KILL")])
    c = compile_profile(p, runtime=runtime)
    assert c.stub_length == 0
    assert c.emulate(nr=400) == (
        ALLOW if default == "SCMP_ACT_ALLOW" else c.translation.default_action
    )


def test_stub_skips_an_architecture_whose_highest_number_is_0() -> None:
    # runc's search starts at 0, so a profile naming only read (0 on x86_64) gets no section.
    p = Profile(default_action="SCMP_ACT_ERRNO", syscalls=[rule(["read"], "SCMP_ACT_ALLOW")])
    c = compile_profile(p, arch="x86_64")
    assert c.translation.enosys_limits == ()
    assert c.emulate(nr=1) == ERRNO1


_STUB_ARCHES = [Arch.X86_64, Arch.X32, Arch.X86, Arch.AARCH64, Arch.S390X, Arch.MIPSEL64]


@given(
    limits=st.dictionaries(
        st.sampled_from(_STUB_ARCHES), st.integers(0, 600), min_size=1, max_size=6
    ),
    arch=st.sampled_from(_STUB_ARCHES),
    low=st.integers(0, 700),
)
def test_stub_semantics(limits: dict[Arch, int], arch: Arch, low: int) -> None:
    """Stub + "return ALLOW": ENOSYS exactly above each architecture's limit (x32 and x86_64
    told apart by the x32 bit, s390's setup(0) always ENOSYS), ALLOW otherwise."""
    base = {Arch.X32: X32_BIT, Arch.MIPSEL64: 5000}
    # limits are kernel-visible numbers, like the syscalls they come from
    real = [(a, base.get(a, 0) + v) for a, v in limits.items()]
    program = [*enosys_stub(real), bpf.Instruction(bpf.RET_K, 0, 0, ALLOW)]
    bpf.check(program)
    nr = base.get(arch, 0) + low
    limit = dict(real).get(arch, 0)
    expected = ALLOW
    if limit > 0 and nr > limit:
        expected = ERRNO_ENOSYS
    if arch is Arch.S390X and limit > 0 and nr == 0:
        expected = ERRNO_ENOSYS
    assert bpf.emulate(program, arch=arch, nr=nr) == expected


# -- binary tree -------------------------------------------------------------------------------


def _moby_plain(corpus: Path) -> Profile:
    from seccomp_kit.algebra.resolving import resolve

    return resolve(io.load(corpus / "profiles" / "moby-default.json"), arch="x86_64", kernel="6.18")


def test_binary_tree_and_linear_agree(corpus: Path) -> None:
    p = _moby_plain(corpus)
    tree = compile_profile(p, arch="x86_64")
    linear = compile_profile(p, arch="x86_64", runtime="crun")
    assert tree.translation.binary_tree and not linear.translation.binary_tree
    limits = dict(tree.translation.enosys_limits or ())
    tree_program, linear_program = tree.program(), linear.program()
    for arch in tree.architectures:
        top = limits[arch]
        for nr in syscalls.table(arch).by_number:
            expected = linear_program.emulate(arch=arch, nr=nr)
            if nr > top:
                expected = ERRNO_ENOSYS
            assert tree_program.emulate(arch=arch, nr=nr) == expected, (arch, nr)


# -- errors ------------------------------------------------------------------------------------


def test_eexist_names_the_rule() -> None:
    cond = [ArgCondition(index=0, value=1, op="SCMP_CMP_EQ")]
    p = Profile(
        default_action="SCMP_ACT_ALLOW",
        syscalls=[
            rule(["read"], "SCMP_ACT_ERRNO", args=cond),
            rule(["write"], "SCMP_ACT_LOG"),
            rule(["read"], "SCMP_ACT_KILL", args=cond),
        ],
    )
    with pytest.raises(CompileError, match="EEXIST: an identical argument chain for read") as e:
        compile_profile(p)
    assert e.value.path == ("syscalls", 2)
    assert str(e.value).startswith("$.syscalls[2]: ")


def test_errors_name_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    cond = '"args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]'
    path.write_text(
        '{"defaultAction": "SCMP_ACT_ALLOW",\n "syscalls": [\n'
        f'  {{"names": ["read"], "action": "SCMP_ACT_ERRNO", {cond}}},\n'
        f'  {{"names": ["read"], "action": "SCMP_ACT_KILL", {cond}}}\n ]}}\n'
    )
    with pytest.raises(CompileError) as e:
        compile_profile(io.load(path))
    assert (e.value.source, e.value.line, e.value.column) == (str(path), 4, 3)
    assert str(e.value).startswith(f"{path}:4:3 $.syscalls[1]: EEXIST")


def test_errno_above_libseccomps_limit() -> None:
    with pytest.raises(CompileError, match="below 4095") as e:
        compile_profile(Profile(default_action="SCMP_ACT_ERRNO", default_errno_ret=4095))
    assert e.value.path == ("defaultErrnoRet",)
    p = Profile(
        default_action="SCMP_ACT_ALLOW",
        syscalls=[rule(["read"], "SCMP_ACT_ERRNO", errno_ret=5000)],
    )
    with pytest.raises(CompileError, match=r"EINVAL.*below 4095") as e:
        compile_profile(p)
    assert e.value.path == ("syscalls", 0)


def test_mixed_byte_orders_are_refused() -> None:
    p = Profile(
        default_action="SCMP_ACT_ALLOW",
        architectures=["SCMP_ARCH_X86_64", "SCMP_ARCH_S390X"],
        syscalls=[rule(["read"], "SCMP_ACT_ERRNO")],
    )
    with pytest.raises(ProfileError, match="big-endian and little-endian") as e:
        compile_profile(p, arch="x86_64")
    assert e.value.path == ("architectures",)


def test_architecture_unknown_to_libseccomp() -> None:
    p = Profile(default_action="SCMP_ACT_ALLOW", syscalls=[rule(["read"], "SCMP_ACT_ERRNO")])
    with pytest.raises(
        ProfileError, match=r"libseccomp 2\.5\.4 does not know SCMP_ARCH_LOONGARCH64"
    ):
        compile_profile(p, arch="loongarch64", libseccomp="2.5.4")
    # libseccomp 2.6.0 knows it (tools/runtimes.sh provides that library).
    c = compile_profile(p, arch="loongarch64", libseccomp="2.6.0")
    nr = syscalls.table(Arch.LOONGARCH64).number("read")
    assert nr is not None
    assert c.emulate(nr=nr, arch=Arch.LOONGARCH64) == 0x0005_0001
    assert c.emulate(nr=nr + 1, arch=Arch.LOONGARCH64) == ALLOW


def test_runtime_refusals_come_from_translate() -> None:
    p = Profile(default_action="SCMP_ACT_ALLOW", syscalls=[rule(["write"], "SCMP_ACT_NOTIFY")])
    with pytest.raises(ProfileError, match="write"):
        compile_profile(p)
    with pytest.raises(ProfileError, match="resolve"):
        compile_profile(
            Profile(
                default_action="SCMP_ACT_ALLOW",
                syscalls=[SyscallRule(names=["read"], action="SCMP_ACT_ERRNO",
                                      includes={"caps": ["CAP_SYS_ADMIN"]})],  # type: ignore[arg-type]
            )
        )  # fmt: skip


# -- the corpus --------------------------------------------------------------------------------


def test_corpus_profiles_compile(corpus_profiles: list[Path]) -> None:
    from seccomp_kit.algebra.resolving import resolve

    compiled = 0
    for path in corpus_profiles:
        if path.name in NOT_PROFILES:
            continue
        profile = resolve(io.load(path), arch="x86_64", kernel="6.18")
        try:
            c = compile_profile(profile, arch="x86_64")
        except CompileError as exc:
            # the refusals runc would make too: libseccomp 2.5.4 has no WAIT_KILLABLE_RECV,
            # and libseccomp refuses errno values of 4095 and above
            assert "WAIT_KILLABLE_RECV" in str(exc) or "below 4095" in str(exc), (path, exc)
            continue
        bpf.check(c.bpf)
        assert c.unplaced == () or all(a is not Arch.X86_64 for _, a in c.unplaced)
        compiled += 1
    assert compiled >= 8


# -- without libseccomp ------------------------------------------------------------------------


def test_import_and_clear_error_without_libseccomp(tmp_path: Path) -> None:
    code = (
        "import seccomp_kit\n"
        "from seccomp_kit import Profile, LibseccompUnavailableError\n"
        "try:\n"
        "    seccomp_kit.compile_profile(Profile(default_action='SCMP_ACT_ALLOW'))\n"
        "except LibseccompUnavailableError as exc:\n"
        "    print('ERR', exc)\n"
    )
    env = dict(os.environ, SECCOMP_KIT_LIBSECCOMP=str(tmp_path / "libseccomp.so.2"))
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("ERR cannot load libseccomp from"), out.stdout + out.stderr
    # and when the library cannot be found at all
    code2 = (
        "import ctypes.util\n"
        "real = ctypes.util.find_library\n"
        "ctypes.util.find_library = lambda name: None if name == 'seccomp' else real(name)\n"
        "import sys; sys.modules['pyseccomp'] = None\n" + code
    )
    out = subprocess.run(
        [sys.executable, "-c", code2],
        env={k: v for k, v in os.environ.items() if k != "SECCOMP_KIT_LIBSECCOMP"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert "ERR libseccomp is not installed" in out.stdout, out.stdout + out.stderr


def test_action_enum_is_reused() -> None:
    assert Action.ERRNO.kernel_base == 0x0005_0000


def test_the_loop_guard_models_every_rule_sharing_a_syscall_number(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only numbers with several rules, one conditional, can make libseccomp loop: the guard
    models exactly their rules, including a socket call's rule on x86's socketcall number."""
    import seccomp_kit.libseccomp._build as match_module

    seen: list[set[str]] = []
    real = match_module.build_groups

    def spy(t: Translation, **kw: object) -> object:
        seen.append({r.name for r in t.rules})
        return real(t, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(match_module, "build_groups", spy)
    rules = [
        SyscallRule(names=["socketcall"], action="SCMP_ACT_ALLOW",
                    args=[ArgCondition(index=0, value=3, op="SCMP_CMP_EQ")]),
        SyscallRule(names=["socket", "getpid"], action="SCMP_ACT_ALLOW"),
        SyscallRule(names=["read"], action="SCMP_ACT_ALLOW"),
        SyscallRule(names=["read"], action="SCMP_ACT_LOG",
                    args=[ArgCondition(index=0, value=3, op="SCMP_CMP_EQ")]),
    ]  # fmt: skip
    for arches, expected in (
        (["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], {"socketcall", "socket", "read"}),
        (["SCMP_ARCH_X86_64"], {"read"}),
    ):
        seen.clear()
        profile = Profile(default_action="SCMP_ACT_ERRNO", architectures=arches, syscalls=rules)
        compile_profile(profile, arch="x86_64", runtime="crun")
        assert seen == [expected]
