"""Live recording with real commands: the profile lets the command run, and holds nothing more.

Each command is recorded by ``seccomp-kit record`` running under ``strace -f``, so the records
and the trace describe the very same run: every (pid, syscall) recorded must appear in the
trace for that pid (least privilege), and the recorded profile, enforced with an ERRNO default,
must let the same command succeed with the same output.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path

import attrs
import pytest

from seccomp_kit import record as rec
from seccomp_kit.audit import parse
from seccomp_kit.errors import InputError
from seccomp_kit.io import loads
from seccomp_kit.model import Action, Arch, Profile
from seccomp_kit.record._filter import load_allow_list
from seccomp_kit.record._live import _Tree

pytestmark = [
    pytest.mark.kernel,
    pytest.mark.skipif(sys.platform != "linux", reason="Linux only"),
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (CAP_AUDIT_READ, loginuid)"),
]

STRACE = shutil.which("strace")
_TRACE_LINE = re.compile(r"^(\d+) +(?:<\.\.\. (\w+) resumed>|(\w+)\()")


def strace_calls(path: Path) -> dict[int, set[str]]:
    """Syscall names per process. strace prints thread ids; audit records carry the process
    id (the thread group), so threads (clone with CLONE_THREAD) count for their process."""
    calls: dict[int, set[str]] = {}
    group: dict[int, int] = {}
    threading: set[int] = set()
    for line in path.read_text(errors="replace").splitlines():
        m = _TRACE_LINE.match(line)
        if not m:
            continue
        tid, name = int(m.group(1)), m.group(2) or m.group(3)
        calls.setdefault(tid, set()).add(name)
        if name in ("clone", "clone3"):
            if "CLONE_THREAD" in line:
                threading.add(tid)
            result = re.search(r"= (\d+)$", line)
            if result and tid in threading:
                group[int(result.group(1))] = group.get(tid, tid)
                threading.discard(tid)
    # A thread's first calls can be printed before its creator's clone returns: fold at the end.
    merged: dict[int, set[str]] = {}
    for tid, names in calls.items():
        leader = tid
        while leader in group:
            leader = group[leader]
        merged.setdefault(leader, set()).update(names)
    return merged


def record_under_strace(tmp_path: Path, argv: Sequence[str]) -> tuple[Profile, str]:
    """Record ``argv`` with the CLI, all of it traced; check least privilege; return the
    profile and the command's output."""
    if STRACE is None:
        pytest.skip("strace is not installed")
    trace, records, out = tmp_path / "trace.txt", tmp_path / "records.log", tmp_path / "p.json"
    cli = [sys.executable, "-m", "seccomp_kit", "record", "--save-records", str(records)]
    done = subprocess.run(
        [
            STRACE,
            "-f",
            "-qq",
            "-e",
            "trace=all",
            "-o",
            str(trace),
            *cli,
            "-o",
            str(out),
            "--",
            *argv,
        ],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert b"recorded from netlink" in done.stderr
    assert b"lost: none seen" in done.stderr
    events = list(parse(records))
    assert events, "no records"
    traced = strace_calls(trace)
    for event in events:
        assert event.syscall is not None
        assert event.syscall in traced.get(event.pid or -1, set()), (event.pid, event.syscall)
    profile = loads(out.read_text())
    recorded = {e.syscall for e in events}
    assert set(profile.syscalls[0].names) == recorded
    return profile, done.stdout.decode()


def enforced(profile: Profile, argv: Sequence[str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        list(argv),
        preexec_fn=lambda: load_allow_list(profile),
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=30,
        check=False,
    )


def test_shell_pipeline(tmp_path: Path) -> None:
    argv = ["sh", "-c", "ls / | wc -l; echo done"]
    profile, output = record_under_strace(tmp_path, argv)
    assert profile.default_action == Action.ERRNO
    assert profile.architectures == (Arch.X86_64,)
    names = set(profile.syscalls[0].names)
    assert {"execve", "wait4"} <= names
    assert names & {"pipe", "pipe2"}
    run = enforced(profile, argv)
    assert run.returncode == 0, run.stderr
    assert run.stdout.decode() == output
    # Least privilege has teeth: without the pipe syscall the pipeline breaks.
    rule = attrs.evolve(profile.syscalls[0], names=sorted(names - {"pipe", "pipe2"}))
    broken = enforced(attrs.evolve(profile, syscalls=(rule,)), argv)
    assert broken.returncode != 0 or broken.stdout.decode() != output


def test_ls_recursive(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    for i in range(3):
        (tree / f"d{i}" / "sub").mkdir(parents=True)
        (tree / f"d{i}" / "sub" / "file").write_text("x")
    argv = ["ls", "-R", str(tree)]
    profile, output = record_under_strace(tmp_path, argv)
    assert "getdents64" in profile.syscalls[0].names
    assert "file" in output
    run = enforced(profile, argv)
    assert run.returncode == 0, run.stderr
    assert run.stdout.decode() == output


PROGRAM = """
import socket, threading
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen()
got = []
def serve():
    conn, _ = srv.accept()
    got.append(conn.recv(5))
    conn.sendall(b"pong")
    conn.close()
t = threading.Thread(target=serve)
t.start()
client = socket.create_connection(srv.getsockname())
client.sendall(b"ping!")
reply = client.recv(4)
client.close()
t.join()
a, b = socket.socketpair()
a.send(b"x")
print(got[0].decode(), reply.decode(), b.recv(1).decode())
"""


def test_python_sockets_and_threads(tmp_path: Path) -> None:
    script = tmp_path / "net.py"
    script.write_text(textwrap.dedent(PROGRAM))
    argv = [sys.executable, "-I", "-S", str(script)]
    profile, output = record_under_strace(tmp_path, argv)
    allowed = set(profile.syscalls[0].names)
    assert {"socket", "bind", "listen", "connect", "socketpair"} <= allowed
    assert {"accept4", "accept"} & allowed
    assert {"clone3", "clone"} & allowed
    assert output == "ping! pong x\n"
    run = enforced(profile, argv)
    assert run.returncode == 0, run.stderr
    assert run.stdout.decode() == output


def test_api_and_process_tree() -> None:
    live = rec.record_command(["sh", "-c", "true; /bin/true & wait"], stdout=subprocess.DEVNULL)
    assert (live.returncode, live.source) == (0, "netlink")
    assert live.session is not None
    assert live.complete
    assert {e.ses for e in live.events} == {live.session}
    # The forked children were followed: more than one pid, and /bin/true's own records.
    assert len({e.pid for e in live.events}) >= 2
    assert "true" in {e.comm for e in live.events}
    result = rec.record(live.events)
    assert "exit_group" in result.profile.syscalls[0].names


def test_command_failure_and_timeout() -> None:
    assert rec.record_command(["sh", "-c", "exit 3"]).returncode == 3
    live = rec.record_command(["sleep", "5"], timeout=0.3)
    assert live.returncode != 0
    assert any("killed" in w for w in live.warnings)
    with pytest.raises(InputError, match="no command"):
        rec.record_command([])


def test_kernel_log_fallback_is_loud(monkeypatch: pytest.MonkeyPatch) -> None:
    from seccomp_kit.record import _live as _record_live

    def no_netlink() -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(_record_live, "_Netlink", no_netlink)
    live = rec.record_command(["true"], grace=0.2)
    assert live.source == "kmsg"
    assert not live.complete
    assert any("WILL be lost" in w for w in live.warnings)
    # Whatever the kernel log kept is the command's own.
    assert all(e.ses == live.session for e in live.events)


def test_pid_tree_fallback_follows_descendants() -> None:
    from seccomp_kit.audit import parse_line

    child = subprocess.Popen(["sh", "-c", "sleep 5 & wait"])
    try:
        grandchild = None
        for _ in range(100):
            kids = Path(f"/proc/{child.pid}/task/{child.pid}/children").read_text().split()
            if kids:
                grandchild = int(kids[0])
                break
            time.sleep(0.02)
        assert grandchild is not None
        tree = _Tree(child.pid)
        line = (
            'type=1326 audit(1.000:1): auid=0 uid=0 gid=0 ses=9 pid={} comm="x" exe="/x" '
            "sig=0 arch=c000003e syscall=0 compat=0 ip=0x1 code=0x7ffc0000"
        )
        mine = parse_line(line.format(grandchild))
        other = parse_line(line.format(os.getpid()))
        assert mine is not None and other is not None
        assert tree.belongs(mine)
        assert not tree.belongs(other)
        tree.session = 9
        assert tree.belongs(other)  # with a session, the session decides
    finally:
        child.kill()
        child.wait()


def test_cli_live_keeps_the_profile_apart_from_the_commands_output() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "seccomp_kit", "record", "--", "sh", "-c", "echo hello; exit 4"],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1  # the profile is written, but the command failed
    profile = loads(done.stdout.decode())
    assert "write" in profile.syscalls[0].names
    assert b"hello" in done.stderr
    assert b"the command exited with status 4" in done.stderr


def test_kernel_side_loss_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    from seccomp_kit.audit import _netlink as _netlink_audit

    assert isinstance(_netlink_audit.kernel_lost_counter(), int)
    counts = iter([10, 13])
    monkeypatch.setattr(_netlink_audit, "kernel_lost_counter", lambda: next(counts))
    live = rec.record_command(["true"])
    assert live.stats.audit_lost == 3
    assert not live.complete
    assert any("dropped 3 audit records" in w for w in live.warnings)
