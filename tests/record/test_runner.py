"""Running commands and callables under a profile: seccomp_kit.run, seccomp_kit.testing and the
``compile`` / ``run`` commands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from seccomp_kit import bpf, io, run
from seccomp_kit.cli import main
from seccomp_kit.errors import InputError
from seccomp_kit.model import Action, Arch, Profile, SyscallRule
from seccomp_kit.record.runner import run_callable
from seccomp_kit.testing import SeccompViolation, assert_runs_under, run_under_profile

pytestmark = pytest.mark.kernel
ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not ROOT, reason="reading audit records needs root")

PROFILE = Profile(
    default_action="SCMP_ACT_ALLOW",
    syscalls=[
        SyscallRule(names=["getppid"], action="SCMP_ACT_ERRNO", errno_ret=13),
        SyscallRule(names=["uname"], action="SCMP_ACT_KILL_PROCESS"),
        SyscallRule(names=["unshare"], action="SCMP_ACT_ERRNO"),
    ],
)


def test_exit_status_passes_through() -> None:
    assert run(PROFILE, ["sh", "-c", "exit 3"]) == 0 + 3
    assert run(PROFILE, ["true"]) == 0


def test_killed_command_reports_128_plus_signal() -> None:
    assert run(PROFILE, ["uname"]) == 128 + 31  # SIGSYS


def test_filter_applies_to_the_command() -> None:
    # unshare(2) is denied with EPERM: the unshare tool fails with status 1
    assert run(PROFILE, ["unshare", "-U", "true"]) == 1
    allow_all = Profile(default_action="SCMP_ACT_ALLOW")
    assert run(allow_all, ["unshare", "-U", "true"]) == 0


def test_bad_commands() -> None:
    with pytest.raises(InputError, match="command not found"):
        run(PROFILE, ["no-such-command-here"])
    with pytest.raises(InputError, match="no command"):
        run(PROFILE, [])
    notify = Profile(
        default_action="SCMP_ACT_ALLOW",
        listener_path="/run/agent.sock",
        syscalls=[SyscallRule(names=["getppid"], action="SCMP_ACT_NOTIFY")],
    )
    with pytest.raises(InputError, match="seccomp agent"):
        run(notify, ["true"])


@needs_root
def test_report_counts_blocked_syscalls() -> None:
    script = "unshare -U true; unshare -U true; uname"
    result = run(PROFILE, ["sh", "-c", script], report=True)
    assert result.status == 128 + 31  # sh reports its child's SIGSYS as 128 + 31 too
    blocked = {b.name: b for b in result.blocked}
    assert blocked["unshare"].count == 2
    assert blocked["unshare"].number == 272
    assert blocked["unshare"].arch is Arch.X86_64
    assert blocked["unshare"].action is Action.ERRNO
    assert blocked["uname"].count == 1
    assert blocked["uname"].action is Action.KILL_PROCESS
    assert result.session is not None


@needs_root
def test_report_ignores_logged_syscalls() -> None:
    profile = Profile(
        default_action="SCMP_ACT_ALLOW",
        syscalls=[SyscallRule(names=["uname"], action="SCMP_ACT_LOG")],
    )
    result = run(profile, ["uname"], report=True)
    assert result.status == 0
    assert result.blocked == ()


# -- callables -----------------------------------------------------------------------------------


def _getppid_errno() -> int:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.syscall(110) == -1
    return ctypes.get_errno()


def test_callable_result_comes_back() -> None:
    assert run_under_profile(PROFILE, _getppid_errno) == 13
    assert run_under_profile(PROFILE, sum, [1, 2, 3]) == 6


def test_callable_exception_fails_with_traceback() -> None:
    def boom() -> None:
        raise ValueError("inside the child")

    with pytest.raises(SeccompViolation, match="inside the child"):
        run_under_profile(PROFILE, boom)


def test_killed_callable_names_the_syscall() -> None:
    with pytest.raises(SeccompViolation, match="killed") as info:
        run_under_profile(PROFILE, os.uname)
    assert isinstance(info.value, AssertionError)
    if ROOT:
        assert "uname (63, SCMP_ARCH_X86_64): SCMP_ACT_KILL_PROCESS x1" in str(info.value)


@needs_root
def test_strict_fails_on_a_tolerated_denial() -> None:
    with pytest.raises(SeccompViolation, match=r"getppid \(110, SCMP_ARCH_X86_64\)"):
        assert_runs_under(PROFILE, _getppid_errno)
    outcome = run_callable(PROFILE, _getppid_errno)
    assert outcome.completed and outcome.value == 13
    assert [(b.name, b.count) for b in outcome.blocked] == [("getppid", 1)]


def test_result_returns_even_when_write_is_denied() -> None:
    profile = Profile(
        default_action="SCMP_ACT_ALLOW",
        syscalls=[SyscallRule(names=["write", "exit_group", "exit"], action="SCMP_ACT_ERRNO")],
    )
    assert run_under_profile(profile, pow, 2, 10, report=False) == 1024


def test_moby_profiles_are_resolved_for_this_host(corpus: Path) -> None:
    import json

    moby = corpus / "profiles" / "moby-default.json"
    assert assert_runs_under(moby, json.loads, '{"a": [1]}') == {"a": [1]}
    # CAP_SYS_ADMIN's rules let unshare through; without it unshare is denied
    assert run(io.load(moby), ["unshare", "-U", "true"]) == 1
    assert run(io.load(moby), ["unshare", "-U", "true"], capabilities=["CAP_SYS_ADMIN"]) == 0


def test_profile_path_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    io.dump(PROFILE, path)
    assert run_under_profile(path, _getppid_errno, report=False) == 13


# -- CLI ---------------------------------------------------------------------------------------


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(args)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def test_compile_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "p.json"
    io.dump(PROFILE, path)
    code, out, err = _cli(["compile", str(path)], capsys)
    assert code == 0
    assert "return KILL_PROCESS" in out and "if (A != uname)" in out
    assert "instructions" in err
    target = tmp_path / "p.bpf"
    code, out, _ = _cli(["compile", str(path), "-o", str(target), "--pfc"], capsys)
    assert code == 0
    assert 'filter for syscall "uname"' in out
    assert bpf.emulate(target.read_bytes(), arch=Arch.X86_64, nr=63) == 0x8000_0000
    code, out, _ = _cli(["compile", str(path), "--runtime", "crun", "--arch", "aarch64"], capsys)
    assert code == 0 and "ARCH_AARCH64" in out


def test_compile_command_reports_rules_placed_by_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "new.json"
    path.write_text(
        '{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64",'
        ' "SCMP_ARCH_X86"], "syscalls": [{"names": ["statmount"], "action": "SCMP_ACT_ALLOW"},'
        ' {"names": ["listmount"], "action": "SCMP_ACT_ALLOW",'
        ' "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]}]}'
    )
    target = tmp_path / "new.bpf"
    argv = ["compile", str(path), "--arch", "x86_64", "--libseccomp", "2.5.4", "-o", str(target)]
    code, _, err = _cli(argv, capsys)
    assert code == 0
    assert "libseccomp 2.5.4 cannot resolve 2 syscall(s) (listmount, statmount)" in err
    assert "default action ERRNO(1)" in err
    dropped = target.read_bytes()
    assert bpf.emulate(dropped, arch=Arch.X86_64, nr=457) == 0x0005_0001  # statmount: dropped
    code, _, err = _cli([*argv, "--place-unknown"], capsys)
    assert code == 0
    assert "SCMP_ARCH_X86 (statmount); checked by number" in err
    assert "SCMP_ARCH_X86 (listmount); their rules have argument conditions" in err
    program, allow, deny = target.read_bytes(), 0x7FFF_0000, 0x0005_0001
    assert bpf.emulate(program, arch=Arch.X86, nr=457) == allow  # statmount
    assert bpf.emulate(program, arch=Arch.X86, nr=458, args=(1,)) == deny  # listmount


def test_compile_command_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _cli(["compile", str(tmp_path / "missing.json")], capsys)
    assert code == 2 and "missing.json" in err
    path = tmp_path / "eexist.json"
    path.write_text(
        '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": ['
        '{"names": ["read"], "action": "SCMP_ACT_ERRNO"},'
        '{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 5000}]}'
    )
    code, _, err = _cli(["compile", str(path)], capsys)
    assert code == 2
    assert "$.syscalls[1]" in err and "4095" in err
    assert "Traceback" not in err


def test_run_command(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    io.dump(PROFILE, path)
    exe = [sys.executable, "-m", "seccomp_kit"]
    done = subprocess.run(
        [*exe, "run", "--profile", str(path), "--", "sh", "-c", "exit 5"], check=False
    )
    assert done.returncode == 5
    done = subprocess.run([*exe, "run", "--profile", str(path), "--", "uname"], check=False)
    assert done.returncode == 128 + 31
    if ROOT:
        done = subprocess.run(
            [*exe, "run", "--report", "--profile", str(path), "--", "unshare", "-U", "true"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 1
        assert "unshare" in done.stderr and "272" in done.stderr and "1x" in done.stderr
