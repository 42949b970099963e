"""Argument recording on the kernel: record real programs with ``record --args`` (traced with
``strace -f``), enforce the profile with the runner, and show that the program still works,
that variants using other argument values are refused, and that every recorded syscall was
really made by the program."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

import pytest

from seccomp_kit import record as rec
from seccomp_kit.audit import parse
from seccomp_kit.io import loads
from seccomp_kit.model import Action, Profile
from seccomp_kit.record.runner import run
from tests.record.test_record_live import strace_calls

pytestmark = [
    pytest.mark.kernel,
    pytest.mark.skipif(sys.platform != "linux", reason="Linux only"),
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (CAP_AUDIT_READ, loginuid)"),
]

STRACE = shutil.which("strace")
PYTHON = sys.executable

PROGRAM = """
import ctypes, socket, sys, threading
libc = ctypes.CDLL(None, use_errno=True)
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(("127.0.0.1", 0))
srv.listen()
def serve():
    conn, _ = srv.accept()
    conn.sendall(conn.recv(4).upper())
    conn.close()
t = threading.Thread(target=serve)
t.start()
client = socket.create_connection(srv.getsockname())
client.sendall(b"ping")
reply = client.recv(4)
client.close()
t.join()
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
a.send(b"x")
got = b.recv(1)
u = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
u.close()
persona = libc.personality(0xFFFFFFFF)  # query only
variant = sys.argv[1] if len(sys.argv) > 1 else ""
outcome = "-"
try:
    if variant == "netlink":
        socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0).close()
    elif variant == "packet":
        socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0).close()
    elif variant == "personality":
        if libc.personality(0x0008) == -1:
            raise OSError(ctypes.get_errno(), "personality")
    outcome = "ok"
except OSError as exc:
    outcome = f"errno {exc.errno}"
print(reply.decode(), got.decode(), persona >= 0, outcome)
"""


def record_args(tmp_path: Path, argv: Sequence[str]) -> tuple[Profile, str, set[str]]:
    """Record with ``record --args`` under ``strace -f``; return the profile, the command's
    output and the syscalls the command's own processes made according to strace."""
    if STRACE is None:
        pytest.skip("strace is not installed")
    trace, records, out = tmp_path / "trace.txt", tmp_path / "records.log", tmp_path / "p.json"
    cli = [PYTHON, "-m", "seccomp_kit", "record", "--args", "--save-records", str(records)]
    done = subprocess.run(
        [STRACE, "-f", "-qq", "-o", str(trace), *cli, "-o", str(out), "--", *argv],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert b"arguments were not recorded" not in done.stderr
    pids = {e.pid for e in parse(records)}
    traced = strace_calls(trace)
    made = set().union(*(traced.get(pid, set()) for pid in pids if pid is not None))
    return loads(out.read_text()), done.stdout.decode(), made


def names(profile: Profile) -> set[str]:
    return {n for r in profile.syscalls for n in r.names}


def test_python_sockets_threads_and_personality(tmp_path: Path) -> None:
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent(PROGRAM))
    argv = [PYTHON, "-I", "-S", str(script)]
    profile, output, made = record_args(tmp_path, argv)
    assert output == "PING x True -\n" or output == "PING x True ok\n"
    # Least privilege: every name the profile allows or answers was made by the program.
    # (clone may only be there for clone3's ENOSYS fallback.)
    assert names(profile) - {"clone"} <= made, names(profile) - made
    rules = {r.names[0]: r for r in profile.syscalls if r.args}
    assert rules["socket"].comment and "seen" in rules["socket"].comment
    assert "personality" in rules and "0xffffffff" in (rules["personality"].comment or "")
    # The same program runs under the recorded profile, arguments enforced.
    status = run(profile, argv, report=True)
    assert status.status == 0, status
    # ... and variants that pass other argument values are refused with the default errno.
    for variant in ("netlink", "packet", "personality"):
        done = subprocess.run(
            [PYTHON, "-m", "seccomp_kit", "run", "--profile", str(tmp_path / "p.json"), "--",
             *argv, variant],
            capture_output=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr.decode()
        assert done.stdout.decode() == "PING x True errno 1\n", (variant, done.stdout)
    # Without arguments recorded the same variants pass: the conditions are what refuses.
    plain = rec.build_profile({profile.architectures[0]: names(profile)})
    allowed = run(plain, [*argv, "netlink"], report=True)
    assert allowed.status == 0 and not allowed.blocked


def test_shell_pipeline(tmp_path: Path) -> None:
    argv = ["sh", "-c", "ls / | wc -l; echo done"]
    profile, output, made = record_args(tmp_path, argv)
    assert output.endswith("done\n")
    assert names(profile) - {"clone"} <= made
    assert profile.default_action == Action.ERRNO
    done = subprocess.run(
        [PYTHON, "-m", "seccomp_kit", "run", "--profile", str(tmp_path / "p.json"), "--", *argv],
        capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode() == output


def test_library_api_reports_arguments() -> None:
    live = rec.record_command(
        [PYTHON, "-I", "-S", "-c", "import socket; socket.socket(socket.AF_UNIX).close()"],
        args=True,
    )
    assert live.args_error is None and live.arguments is not None and live.notified
    assert (1, 1) in live.arguments["socket"]  # AF_UNIX, SOCK_STREAM
    result = rec.record(live.events, arguments=live.arguments, notified=live.notified)
    assert result.arguments is not None
    assert "socket" in result.arguments.constrained
    assert any(line.startswith("socket: arg0 domain 1") for line in result.arguments.report)


def test_unavailable_notifications_fall_back_to_names(monkeypatch: pytest.MonkeyPatch) -> None:
    from seccomp_kit.record import _live

    reason = "the kernel does not support seccomp user notifications (Linux 5.0 or later)"
    monkeypatch.setattr(_live, "probe_notify", lambda: reason)
    live = rec.record_command(["true"], args=True)
    assert live.returncode == 0 and live.events
    assert live.args_error == reason and live.arguments is None
    assert any("arguments were not recorded" in w and reason in w for w in live.warnings)


def test_probe_succeeds_on_this_kernel() -> None:
    assert rec.probe_notify() is None


def test_workload_asking_for_its_own_listener_is_told(tmp_path: Path) -> None:
    """A workload that loads a filter with SECCOMP_FILTER_FLAG_NEW_LISTENER gets EBUSY while
    the recorder's listener is attached: the recording says so; by name it works."""
    script = tmp_path / "listener.py"
    script.write_text(
        textwrap.dedent(
            """
            import ctypes, ctypes.util
            libc = ctypes.CDLL(None, use_errno=True)
            libc.syscall.restype = ctypes.c_long
            # one instruction: RET ALLOW
            insn = (ctypes.c_ubyte * 8)(6, 0, 0, 0, 0, 0, 0xFF, 0x7F)
            class Prog(ctypes.Structure):
                _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
            prog = Prog(1, ctypes.addressof(insn))
            libc.prctl(38, 1, 0, 0, 0)
            rc = libc.syscall(317, 1, 8, ctypes.byref(prog))
            print("listener" if rc >= 0 else f"errno {ctypes.get_errno()}")
            """
        )
    )
    argv = [PYTHON, "-I", "-S", str(script)]
    done = subprocess.run(
        [PYTHON, "-m", "seccomp_kit", "record", "--args", "-o", str(tmp_path / "a.json"), "--",
         *argv],
        capture_output=True, timeout=60, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert b"errno 16" in done.stdout  # EBUSY
    assert b"NEW_LISTENER" in done.stderr and b"without --args" in done.stderr
    assert done.returncode == 1
    plain = subprocess.run(
        [PYTHON, "-m", "seccomp_kit", "record", "-o", str(tmp_path / "b.json"), "--", *argv],
        capture_output=True, timeout=60, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert plain.returncode == 0, plain.stderr.decode()
    assert plain.stdout == b"listener\n"
    assert "seccomp" in names(loads((tmp_path / "b.json").read_text()))


def test_without_cap_sys_admin(tmp_path: Path) -> None:
    """The notifying filter is loaded under no_new_privs, so CAP_SYS_ADMIN is not needed (nor
    CAP_SYS_PTRACE: the listener is taken from a child of the same user)."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is not installed")
    drop = "-sys_admin,-sys_ptrace"
    done = subprocess.run(
        [setpriv, f"--inh-caps={drop}", f"--bounding-set={drop}", "--", PYTHON, "-m",
         "seccomp_kit", "record", "--args", "-o", str(tmp_path / "p.json"), "--", PYTHON, "-I",
         "-S", "-c", "import socket; socket.socket(socket.AF_UNIX).close()"],
        capture_output=True, timeout=60, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    rules = [r for r in loads((tmp_path / "p.json").read_text()).syscalls if r.args]
    assert any(r.names == ("socket",) and r.args[0].value == 1 for r in rules)


def test_listener_that_cannot_be_taken_falls_back_to_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The probe passed but taking the real command's listener fails: the command is started
    again under the logging filter alone (its notifying filter cannot be unloaded), once."""
    from seccomp_kit.record import _live

    def refuse(pid: int, fd: int) -> int:
        raise rec.NotifyUnavailableError("cannot take the listener: no ptrace access (test)")

    monkeypatch.setattr(_live, "probe_notify", lambda: None)
    monkeypatch.setattr(_live, "take_listener", refuse)
    live = rec.record_command(["sh", "-c", "echo once"], args=True, stdout=subprocess.DEVNULL)
    assert live.returncode == 0
    assert live.arguments is None
    assert live.args_error is not None and "no ptrace access (test)" in live.args_error
    assert "execve" in {e.syscall for e in live.events}


def test_a_kernel_without_user_notifications_falls_back_to_names(tmp_path: Path) -> None:
    """Not a substitute: the recorder runs under a filter that answers seccomp(2) with
    SECCOMP_FILTER_FLAG_NEW_LISTENER by EINVAL, exactly what a kernel before 5.0 answers for
    the flag it does not know. Names are still recorded; the arguments' absence is said."""
    from seccomp_kit import bpf
    from seccomp_kit.bpf import Instruction as I

    seccomp_nr, new_listener, einval = 317, 8, 22
    program = [
        I(bpf.LD_W_ABS, 0, 0, 4),
        I(bpf.JEQ_K, 0, 6, 0xC000_003E),  # x86_64 only; anything else is allowed
        I(bpf.LD_W_ABS, 0, 0, 0),
        I(bpf.JEQ_K, 0, 4, seccomp_nr),
        I(bpf.LD_W_ABS, 0, 0, 16),
        I(bpf.JEQ_K, 0, 2, 1),  # SECCOMP_SET_MODE_FILTER
        I(bpf.LD_W_ABS, 0, 0, 24),
        I(bpf.JSET_K, 1, 0, new_listener),
        I(bpf.RET_K, 0, 0, 0x7FFF_0000),
        I(bpf.RET_K, 0, 0, 0x0005_0000 | einval),
    ]
    old_kernel = tmp_path / "old_kernel.py"
    old_kernel.write_text(
        textwrap.dedent(
            f"""
            import os, sys
            from seccomp_kit.bpf._load import install
            assert install({bpf.encode(program)!r}) >= 0
            os.execv(sys.executable, [sys.executable, "-m", "seccomp_kit", *sys.argv[1:]])
            """
        )
    )
    out = tmp_path / "p.json"
    done = subprocess.run(
        [sys.executable, str(old_kernel), "record", "--args", "-o", str(out), "--", "true"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "the kernel does not support seccomp user notifications (Linux 5.0 or later)" in (
        done.stderr
    ), done.stderr
    assert "arguments were not recorded" in done.stderr
    assert done.returncode == 1  # a warning that changes the result is a failure to report
    profile = loads(out.read_text())
    names = {n for r in profile.syscalls for n in r.names}
    assert {"execve", "exit_group"} <= names
    assert all(not r.args for r in profile.syscalls)
