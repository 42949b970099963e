"""port: the equivalence table, argument conditions, the report, never-wider fallbacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seccomp_kit import io, syscalls
from seccomp_kit.algebra._core import rank
from seccomp_kit.algebra._equivalents import (
    ARG_LAYOUTS,
    EQUIVALENTS,
    MULTIPLEXERS,
    SPLIT_64,
    TLS_CALL,
    VDSO,
)
from seccomp_kit.algebra.diffing import diff
from seccomp_kit.algebra.porting import Outcome, Ported, port
from seccomp_kit.errors import InputError
from seccomp_kit.model import Action, Arch, ArgCondition, Operator, Profile, SyscallRule
from seccomp_kit.testing.strategies import profiles

O_WRONLY = 1
CLONE_NEWUSER = 0x1000_0000


def prof(*rules: SyscallRule, default: Action = Action.ERRNO, arch: Arch = Arch.X86_64) -> Profile:
    return Profile(default_action=default, default_errno_ret=1 if default is Action.ERRNO else None,
                   architectures=(arch,), syscalls=rules)  # fmt: skip


def allow(*names: str, args: tuple[ArgCondition, ...] = ()) -> SyscallRule:
    return SyscallRule(names=names, action=Action.ALLOW, args=args)


def rules_for(ported: Ported, name: str) -> list[SyscallRule]:
    return [r for r in ported.profile.syscalls if name in r.names]


def entry(ported: Ported, outcome: Outcome, source: str, target: str = "") -> str:
    (t,) = ported.report.targets
    found = [e for e in t.entries if e.outcome is outcome and e.source == source
             and (not target or e.target == target)]  # fmt: skip
    assert found, (outcome, source, target, t.entries)
    return found[0].reason


# -- the table ---------------------------------------------------------------------------------


def test_every_name_in_the_table_is_a_real_syscall_somewhere() -> None:
    known = syscalls.all_names()
    names = {e.legacy for e in EQUIVALENTS} | {r.name for e in EQUIVALENTS for r in e.replacements}
    names |= set(ARG_LAYOUTS) | set(SPLIT_64) | set(TLS_CALL.values())
    names |= {n for calls in MULTIPLEXERS.values() for n in calls.values()}
    names |= {n for calls in VDSO.values() for n in calls}
    assert sorted(names - known) == []


def test_every_entry_names_its_source_and_maps_arguments_injectively() -> None:
    for e in EQUIVALENTS:
        assert len(e.source) > 20, e.legacy
        for r in e.replacements:
            mapped = [i for i in r.args if i is not None]
            assert len(mapped) == len(set(mapped)), (e.legacy, r.name)
            assert all(0 <= i <= 5 for i in mapped)


def test_arg_layouts_name_the_same_parameters_on_every_architecture() -> None:
    for name, layouts in ARG_LAYOUTS.items():
        params = {frozenset(v) for v in layouts.values() if len(v) > 1}
        assert len(params) == 1, name


# -- translation -------------------------------------------------------------------------------


def test_the_issue_list_of_x86_64_calls_becomes_the_aarch64_ones() -> None:
    legacy = ["open", "stat", "fork", "pipe", "dup2", "epoll_wait", "poll", "select", "access",
              "mkdir", "rename", "unlink", "getdents"]  # fmt: skip
    ported = port(prof(allow(*legacy)), to="arm64")
    allowed = {n for r in ported.profile.syscalls for n in r.names}
    assert allowed == {
        "openat",
        "newfstatat",
        "clone",
        "pipe2",
        "dup3",
        "epoll_pwait",
        "ppoll",
        "pselect6",
        "faccessat",
        "mkdirat",
        "renameat",
        "unlinkat",
        "getdents64",
    }
    assert ported.profile.architectures == (Arch.AARCH64,)
    (t,) = ported.report.targets
    assert {e.source for e in t.translated} == set(legacy)
    assert not t.dropped and not t.undecided


def test_open_flags_move_from_argument_1_to_argument_2() -> None:
    cond = ArgCondition(index=1, value=O_WRONLY, op=Operator.MASKED_EQ, value_two=0)
    ported = port(prof(allow("open", args=(cond,))), to="aarch64")
    (r,) = rules_for(ported, "openat")
    assert r.args == (ArgCondition(index=2, value=O_WRONLY, op=Operator.MASKED_EQ, value_two=0),)
    assert "dirfd" in entry(ported, Outcome.TRANSLATED, "open", "openat")


def test_stat_becomes_the_one_form_each_target_has() -> None:
    p = prof(allow("stat"))
    assert {n for r in port(p, to="arm64").profile.syscalls for n in r.names} == {"newfstatat"}
    # x86 still has stat; its C library's 64-bit form is fstatat64.
    assert {n for r in port(p, to="x86").profile.syscalls for n in r.names} == {"stat", "fstatat64"}


def test_32_bit_targets_get_their_time64_and_largefile_forms_and_32_bit_ids() -> None:
    p = prof(allow("clock_gettime", "lseek", "getuid", "futex", "newfstatat"))
    ported = port(p, to="x86")
    names = {n for r in ported.profile.syscalls for n in r.names}
    assert {"clock_gettime", "clock_gettime64", "lseek", "_llseek", "futex", "futex_time64",
            "getuid32", "fstatat64", "statx"} == names  # fmt: skip
    # the 16-bit getuid is replaced, not kept: every C library calls getuid32 there
    assert "getuid" not in names
    entry(ported, Outcome.ADDED, "clock_gettime", "clock_gettime64")
    entry(ported, Outcome.TRANSLATED, "getuid", "getuid32")


def test_uid_conditions_move_to_the_32_bit_call() -> None:
    root = ArgCondition(index=0, value=0, op=Operator.EQ)
    ported = port(prof(allow("setuid", args=(root,))), to="arm")
    assert rules_for(ported, "setuid") == []
    assert [r.args for r in rules_for(ported, "setuid32")] == [(root,)]


def test_thread_pointer_calls_follow_the_architecture() -> None:
    p = prof(allow("arch_prctl", "brk"))
    assert "set_tls" in {n for r in port(p, to="arm").profile.syscalls for n in r.names}
    assert "set_thread_area" in {n for r in port(p, to="x86").profile.syscalls for n in r.names}
    ported = port(p, to="arm64")
    assert {n for r in ported.profile.syscalls for n in r.names} == {"brk"}
    assert "thread pointer" in entry(ported, Outcome.DROPPED, "arch_prctl")


def test_arch_only_calls_are_dropped_and_said() -> None:
    ported = port(prof(allow("iopl", "modify_ldt", "read")), to="aarch64")
    assert [r.names for r in ported.profile.syscalls] == [("read",)]
    (t,) = ported.report.targets
    assert {e.source for e in t.dropped} == {"iopl", "modify_ldt"}
    ported = port(prof(allow("riscv_flush_icache", "read"), arch=Arch.RISCV64), to="x86_64")
    assert {e.source for e in ported.report.targets[0].dropped} == {"riscv_flush_icache"}


def test_musl_style_legacy_calls_are_added_where_the_target_has_them() -> None:
    ported = port(prof(allow("openat", "pipe2"), arch=Arch.AARCH64), to="x86_64")
    names = {n for r in ported.profile.syscalls for n in r.names}
    assert {"open", "creat", "openat", "pipe", "pipe2"} == names
    assert "musl" in entry(ported, Outcome.ADDED, "openat", "open")
    # but not where the source had the legacy call and the program did not use it
    same = port(prof(allow("openat")), to="x86")
    assert {n for r in same.profile.syscalls for n in r.names} == {"openat"}


def test_socketcall_selects_its_call() -> None:
    sock = ArgCondition(index=0, value=1, op=Operator.EQ)
    ported = port(prof(allow("socketcall", args=(sock,)), arch=Arch.X86), to="x86_64")
    assert {n for r in ported.profile.syscalls for n in r.names} == {"socket"}
    everything = port(prof(allow("socketcall"), arch=Arch.X86), to="aarch64")
    names = {n for r in everything.profile.syscalls for n in r.names}
    assert {"socket", "connect", "sendmsg", "accept4"} <= names
    assert "multiplexes" in entry(everything, Outcome.TRANSLATED, "socketcall", "connect")


# -- conditions whose meaning differs: never wider ----------------------------------------------


def test_clone_flags_stay_at_0_on_aarch64_and_move_to_1_on_s390x() -> None:
    flags = ArgCondition(index=0, value=CLONE_NEWUSER, op=Operator.MASKED_EQ, value_two=0)
    ctid = ArgCondition(index=3, value=0, op=Operator.NE)  # x86_64: child_tid
    p = prof(allow("clone", args=(flags, ctid)))
    (a,) = rules_for(port(p, to="aarch64"), "clone")
    assert a.args == (flags, ArgCondition(index=4, value=0, op=Operator.NE))
    s390x = port(p, to="s390x")
    assert "(0 -> 1)" in entry(s390x, Outcome.TRANSLATED, "clone", "clone")
    (s,) = rules_for(s390x, "clone")
    assert s.args == (ArgCondition(index=1, value=CLONE_NEWUSER, op=Operator.MASKED_EQ,
                                   value_two=0), ctid)  # fmt: skip


def test_an_allow_whose_conditions_cannot_be_carried_is_left_out() -> None:
    flags = ArgCondition(index=0, value=CLONE_NEWUSER, op=Operator.MASKED_EQ, value_two=0)
    ported = port(prof(allow("clone", args=(flags,))), to="riscv64")
    assert rules_for(ported, "clone") == []
    assert "left out" in entry(ported, Outcome.UNDECIDED, "clone")


def test_a_deny_whose_conditions_cannot_be_carried_becomes_unconditional() -> None:
    flags = ArgCondition(index=0, value=CLONE_NEWUSER, op=Operator.MASKED_EQ, value_two=0)
    deny = SyscallRule(names=("clone",), action=Action.ERRNO, errno_ret=1, args=(flags,))
    ported = port(prof(deny, default=Action.ALLOW), to="riscv64")
    (r,) = rules_for(ported, "clone")
    assert r.args == () and r.action is Action.ERRNO
    assert "without conditions" in entry(ported, Outcome.UNDECIDED, "clone")


def test_values_above_32_bits_are_not_carried_to_a_32_bit_target() -> None:
    big = ArgCondition(index=2, value=1 << 40, op=Operator.LT)
    small = ArgCondition(index=2, value=4096, op=Operator.LT)
    assert rules_for(port(prof(allow("read", args=(small,))), to="arm"), "read")[0].args == (small,)
    ported = port(prof(allow("read", args=(big,))), to="arm")
    assert rules_for(ported, "read") == []
    assert "32 bits" in entry(ported, Outcome.UNDECIDED, "read")


def test_arguments_after_a_split_64_bit_one_are_not_carried_across_word_sizes() -> None:
    fd = ArgCondition(index=0, value=3, op=Operator.EQ)
    off = ArgCondition(index=3, value=0, op=Operator.EQ)
    assert rules_for(port(prof(allow("pread64", args=(fd,))), to="x86"), "pread64")[0].args == (fd,)
    ported = port(prof(allow("pread64", args=(off,))), to="x86")
    assert rules_for(ported, "pread64") == []
    assert "split" in entry(ported, Outcome.UNDECIDED, "pread64")
    # 64-bit to 64-bit: the same registers
    assert rules_for(port(prof(allow("pread64", args=(off,))), to="arm64"), "pread64")[0].args


def test_poll_timeout_has_no_counterpart_in_ppoll() -> None:
    timeout = ArgCondition(index=2, value=0, op=Operator.EQ)
    ported = port(prof(allow("poll", args=(timeout,))), to="arm64")
    assert rules_for(ported, "ppoll") == []
    assert "no counterpart" in entry(ported, Outcome.UNDECIDED, "poll", "ppoll")


def test_equivalents_with_different_actions_keep_the_strictest() -> None:
    deny = SyscallRule(names=("lstat",), action=Action.ERRNO, errno_ret=13)
    ported = port(prof(allow("stat"), deny, default=Action.KILL_PROCESS), to="arm64")
    (r,) = rules_for(ported, "newfstatat")
    assert r.action is Action.ERRNO
    assert "most restrictive" in entry(ported, Outcome.UNDECIDED, "stat", "newfstatat")


def test_the_profiles_own_rule_for_the_equivalent_wins() -> None:
    deny = SyscallRule(names=("open",), action=Action.ERRNO, errno_ret=13)
    ported = port(prof(deny, allow("openat")), to="arm64")
    (r,) = rules_for(ported, "openat")
    assert r.action is Action.ALLOW
    assert "own rule" in entry(ported, Outcome.UNDECIDED, "open", "openat")


# -- several targets, libseccomp, vDSO, bad input -------------------------------------------------


def test_one_document_for_several_targets_says_what_leaks_between_them() -> None:
    ported = port(prof(allow("open", "getuid")), to=["arm64", "x86"])
    assert ported.profile.architectures == (Arch.AARCH64, Arch.X86)
    arm, x86 = ported.report.targets
    assert {e.target for e in arm.translated} == {"openat"}
    # x86 keeps open; openat (for arm64) and getuid (kept for arm64) reach it too
    leaked = {e.target for e in x86.undecided}
    assert leaked == {"openat", "getuid"}
    assert ported.report  # something needs a person


def test_names_the_target_libseccomp_cannot_resolve_are_reported() -> None:
    ported = port(prof(allow("mseal", "read")), to="arm64", libseccomp="2.5.4")
    assert "cannot name mseal" in entry(ported, Outcome.UNDECIDED, "", "mseal")
    assert not port(prof(allow("mseal", "read")), to="arm64", libseccomp="2.6.0").report
    # known to 2.5.4, but not on x32 (a pseudo number: the rule is skipped there)
    x32 = port(prof(allow("map_shadow_stack")), to="x32", libseccomp="2.5.4")
    assert "cannot name map_shadow_stack" in entry(x32, Outcome.UNDECIDED, "", "map_shadow_stack")
    assert not port(prof(allow("map_shadow_stack")), to="x32", libseccomp="2.6.0").report
    loong = port(prof(allow("read")), to="loongarch64", libseccomp="2.5.4")
    assert "does not know the architecture" in entry(loong, Outcome.UNDECIDED, "")
    with pytest.raises(InputError, match=r"2\.4\.0"):
        port(prof(allow("read")), to="arm64", libseccomp="2.4.0")


def test_vdso_fallback_adds_what_the_targets_vdso_serves() -> None:
    p = prof(allow("read"))
    assert {n for r in port(p, to="arm64").profile.syscalls for n in r.names} == {"read"}
    ported = port(p, to="arm64", vdso_fallback=True)
    names = {n for r in ported.profile.syscalls for n in r.names}
    assert names == {"read", "clock_gettime", "gettimeofday", "clock_getres"}


def test_bad_input_is_refused_with_a_clear_message() -> None:
    with pytest.raises(InputError, match="did you mean 'arm64'"):
        port(prof(allow("read")), to="arm65")
    with pytest.raises(InputError, match="recorded on"):
        port(Profile(default_action=Action.ERRNO, syscalls=(allow("read"),)), to="arm64")
    with pytest.raises(InputError, match="at least one"):
        port(prof(allow("read")), to=[])


def test_from_overrides_the_declared_architecture() -> None:
    p = Profile(default_action=Action.ERRNO, syscalls=(allow("open"),))
    ported = port(p, to="arm64", from_="amd64")
    assert ported.report.source is Arch.X86_64
    assert rules_for(ported, "openat")


# -- properties ----------------------------------------------------------------------------------

_ARCHES = (Arch.X86_64, Arch.AARCH64, Arch.X86, Arch.ARM, Arch.S390X, Arch.RISCV64, Arch.PPC64LE)
_TOUCHED = (
    {e.legacy for e in EQUIVALENTS}
    | {r.name for e in EQUIVALENTS for r in e.replacements}
    | set(ARG_LAYOUTS) | set(SPLIT_64) | set(MULTIPLEXERS) | set(TLS_CALL.values())
    | {n for calls in MULTIPLEXERS.values() for n in calls.values()}
)  # fmt: skip


@given(p=profiles(architectures=_ARCHES, max_rules=6), data=st.data())
def test_porting_to_the_source_architecture_is_the_identity_on_effect(
    p: Profile, data: st.DataObject
) -> None:
    source = data.draw(st.sampled_from(p.architectures or (Arch.X86_64,)))
    try:
        ported = port(p, to=source, from_=source)
    except InputError:
        return  # a profile the runtimes refuse (diff would refuse it too)
    assert not diff(p, ported.profile, arch=source)
    assert not ported.report.targets[0].entries


@given(p=profiles(architectures=_ARCHES, max_rules=6), data=st.data())
def test_every_ported_name_exists_on_its_target_and_only_touched_names_change(
    p: Profile, data: st.DataObject
) -> None:
    source = data.draw(st.sampled_from(_ARCHES))
    target = data.draw(st.sampled_from(_ARCHES))
    try:
        ported = port(p, to=target, from_=source)
    except InputError:
        return
    table = syscalls.table(target)
    for r in ported.profile.syscalls:
        assert all(n in table for n in r.names), r.names
        for c in r.args:
            # conditions are carried only where they mean the same: never above 32 bits on a
            # 32-bit target ported from a 64-bit one
            if syscalls.arches.arch_info(target).bits < syscalls.arches.arch_info(source).bits:
                assert c.value <= 0xFFFF_FFFF
    # A name the table does not touch keeps exactly its effect (read on the target).
    as_target = Profile(default_action=p.default_action, default_errno_ret=p.default_errno_ret,
                        default_errno_name=p.default_errno_name, architectures=(target,),
                        syscalls=p.syscalls)  # fmt: skip
    try:
        changes = diff(as_target, ported.profile, arch=target)
    except InputError:
        return
    for change in changes.syscalls:
        if change.name in _TOUCHED:
            continue
        # Any other change is a condition that could not be carried (a value above 32 bits, an
        # argument after a split 64-bit one): never wider, for every argument tuple.
        assert _cross_word(source, target), change.name
        pairs = [(c.before, c.after) for c in change.cases]
        if change.before is not None and change.after is not None:
            pairs.append((change.before, change.after))
        assert pairs
        for before, after in pairs:
            assert rank(after) <= rank(before), (change.name, hex(before), hex(after))


def _cross_word(source: Arch, target: Arch) -> bool:
    info = syscalls.arches.arch_info
    return info(source).bits != info(target).bits or info(source).bits == 32


# -- the CLI -------------------------------------------------------------------------------------


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "seccomp_kit", "port", *args], input=stdin,
                          capture_output=True, text=True, check=False)  # fmt: skip


def test_cli_reads_stdin_writes_the_profile_and_reports_on_stderr(tmp_path: Path) -> None:
    out = tmp_path / "arm64.json"
    text = io.dumps(prof(allow("open", "read")))
    done = _cli("-", "--to", "arm64", "-o", str(out), stdin=text)
    assert done.returncode == 0, done.stderr
    assert "translated open -> openat" in done.stderr
    names = {n for r in io.load(out).syscalls for n in r.names}
    assert names == {"openat", "read"}


def test_cli_json_report_and_exit_status_1_when_undecided(tmp_path: Path) -> None:
    src = tmp_path / "p.json"
    src.write_text(io.dumps(prof(allow("open", "getuid"))))
    done = _cli(str(src), "--to", "arm64,x86", "--report", "-", "-o", str(tmp_path / "o.json"))
    assert done.returncode == 1
    data = json.loads(done.stdout)
    assert [t["arch"] for t in data["targets"]] == ["SCMP_ARCH_AARCH64", "SCMP_ARCH_X86"]
    assert data["targets"][1]["undecided"]


def test_cli_bad_architecture_is_a_usage_error(tmp_path: Path) -> None:
    src = tmp_path / "p.json"
    src.write_text(io.dumps(prof(allow("read"))))
    done = _cli(str(src), "--to", "sparc")
    assert done.returncode == 2
    assert "unknown architecture 'sparc'" in done.stderr


def test_the_example_in_docs_porting_md_is_what_port_writes() -> None:
    import re

    doc = (Path(__file__).resolve().parents[2] / "docs" / "porting.md").read_text()
    (recorded,) = re.findall(r"cat > recorded.json <<'EOF'\n(.*?)^EOF$", doc, re.S | re.M)
    expected = re.findall(r"```json\n(.*?)```", doc, re.S)[0]
    ported = port(io.loads(recorded), to="arm64")
    assert ported.profile == io.loads(expected)
    summary = "SCMP_ARCH_AARCH64: 3 kept, 5 translated, 0 added, 1 dropped, 0 undecided"
    assert summary in doc
    assert summary in ported.report.to_text()


def test_moby_arch_filters_follow_where_the_rule_applied() -> None:
    from seccomp_kit.model import CapFilter

    on_amd64 = SyscallRule(names=("open", "arch_prctl"), action=Action.ALLOW,
                           includes=CapFilter(arches=("amd64",)))  # fmt: skip
    on_arm64 = SyscallRule(names=("set_tid_address",), action=Action.ALLOW,
                           includes=CapFilter(arches=("arm64",)))  # fmt: skip
    on_s390x = SyscallRule(names=("s390_pci_mmio_read",), action=Action.ALLOW,
                           includes=CapFilter(arches=("s390x",)))  # fmt: skip
    ported = port(prof(on_amd64, on_arm64, on_s390x), to="arm64")
    by_name = {n: r for r in ported.profile.syscalls for n in r.names}
    # the amd64 rule is what the program used: ported, its arch filter gone
    assert by_name["openat"].includes.arches == ()
    # the arm64 rule is the target's own: kept as it is
    assert by_name["set_tid_address"].includes.arches == ("arm64",)
    assert "s390_pci_mmio_read" not in by_name
    assert "applies neither" in entry(ported, Outcome.DROPPED, "")


def test_mmap_conditions_go_to_mmap2_where_mmap_takes_a_struct() -> None:
    prot = ArgCondition(index=2, value=4, op=Operator.MASKED_EQ, value_two=0)  # no PROT_EXEC
    ported = port(prof(allow("mmap", args=(prot,))), to="x86")
    # x86's mmap is old_mmap (one pointer): the allow is left out there...
    assert rules_for(ported, "mmap") == []
    assert "(args)" in entry(ported, Outcome.UNDECIDED, "mmap", "mmap")
    # ...and the call glibc makes, mmap2, carries the condition on prot
    assert [r.args for r in rules_for(ported, "mmap2")] == [(prot,)]
