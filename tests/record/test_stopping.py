"""Stopping recordings and runs on the kernel: signals reach the workload's process group, the
grace period ends in SIGKILL, ``--timeout`` sends the stop signal first, the profile and the
report are written in every case, and nothing outlives the recorder (even when it is killed)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seccomp_kit.io import loads

pytestmark = [
    pytest.mark.kernel,
    pytest.mark.skipif(sys.platform != "linux", reason="Linux only"),
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (CAP_AUDIT_READ, loginuid)"),
]

CLI = [sys.executable, "-m", "seccomp_kit"]


def wait_for(path: Path, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < end, f"{path} never appeared"
        time.sleep(0.05)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def start(args: list[str], tmp_path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*CLI, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )


def script(tmp_path: Path, body: str) -> list[str]:
    """A shell workload that writes its pid to ``pid`` once its traps are set."""
    return ["sh", "-c", f"{body}\necho $$ > {tmp_path}/pid.tmp; mv {tmp_path}/pid.tmp"
            f" {tmp_path}/pid; while :; do sleep 0.1; done"]  # fmt: skip


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_is_forwarded_and_the_profile_written(tmp_path: Path, sig: int) -> None:
    out = tmp_path / "p.json"
    argv = script(tmp_path, f"trap 'echo bye > {tmp_path}/bye; exit 0' INT TERM")
    proc = start(["record", "-o", str(out), "--", *argv], tmp_path)
    wait_for(tmp_path / "pid")
    workload = int((tmp_path / "pid").read_text())
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()
    assert (tmp_path / "bye").read_text() == "bye\n"  # the workload's own shutdown ran
    assert f"after {signal.Signals(sig).name} to the recorder was forwarded".encode() in err
    profile = loads(out.read_text())
    assert "rt_sigreturn" in profile.syscalls[0].names  # the shutdown path is recorded
    assert not group_alive(workload)


def test_grace_then_sigkill(tmp_path: Path) -> None:
    out = tmp_path / "p.json"
    argv = script(tmp_path, "trap '' INT TERM")
    proc = start(["record", "--grace", "0.5", "-o", str(out), "--", *argv], tmp_path)
    wait_for(tmp_path / "pid")
    workload = int((tmp_path / "pid").read_text())
    began = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert time.monotonic() - began >= 0.5
    assert proc.returncode == 1  # the command died of SIGKILL
    assert b"killed by SIGKILL after SIGINT to the recorder was forwarded" in err
    assert b"still running 0.5 s later: SIGKILL" in err
    assert out.exists()
    assert not group_alive(workload)


def test_timeout_sends_the_stop_signal_first(tmp_path: Path) -> None:
    out = tmp_path / "p.json"
    argv = script(tmp_path, f"trap 'echo $1 > {tmp_path}/got; exit 0' USR1")
    proc = start(
        ["record", "--timeout", "1", "--stop-signal", "usr1", "-o", str(out), "--", *argv],
        tmp_path,
    )
    _, err = proc.communicate(timeout=60)
    assert (tmp_path / "got").exists()
    assert b"after the 1 s timeout sent SIGUSR1" in err
    assert proc.returncode == 1  # a timeout is reported as a failure
    assert "rt_sigreturn" in loads(out.read_text()).syscalls[0].names


def test_leftovers_are_stopped(tmp_path: Path) -> None:
    out = tmp_path / "p.json"
    proc = start(
        ["record", "--grace", "2", "-o", str(out), "--", "sh", "-c",
         f"setsid sleep 300 & echo $! > {tmp_path}/bg; exit 0"],
        tmp_path,
    )  # fmt: skip
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()
    assert b"process(es) it left running were stopped" in err
    background = int((tmp_path / "bg").read_text())
    # setsid left the group; the audit session still found it.
    assert not Path(f"/proc/{background}").exists()


@pytest.mark.parametrize("command", ["record", "run"])
def test_a_killed_recorder_leaves_nothing_behind(tmp_path: Path, command: str) -> None:
    argv = script(tmp_path, "trap '' INT TERM HUP; sleep 300 &")
    if command == "record":
        args = ["record", "-o", str(tmp_path / "p.json"), "--", *argv]
    else:
        args = ["run", "--report", "--profile", "profiles/complain.json", "--", *argv]
    proc = subprocess.Popen(
        [*CLI, *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, cwd=Path(__file__).parents[2],
    )  # fmt: skip
    wait_for(tmp_path / "pid")
    workload = int((tmp_path / "pid").read_text())
    assert group_alive(workload)
    proc.kill()
    proc.wait()
    end = time.monotonic() + 10
    while group_alive(workload) and time.monotonic() < end:
        time.sleep(0.05)
    assert not group_alive(workload)


def test_run_report_survives_ctrl_c(tmp_path: Path) -> None:
    argv = script(tmp_path, "trap 'unshare -U true; exit 3' INT")
    proc = subprocess.Popen(
        [*CLI, "run", "--report", "--profile", "profiles/complain.json", "--", *argv],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        cwd=Path(__file__).parents[2],
    )  # fmt: skip
    wait_for(tmp_path / "pid")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 3
    assert b"exited with status 3 after SIGINT to the recorder was forwarded" in err
    assert b"blocked:" in err and b"unshare" in err
