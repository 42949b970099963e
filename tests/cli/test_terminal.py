"""Terminal manners: colour only on a terminal and never with NO_COLOR, --quiet, completion."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SGR = re.compile(rb"\x1b\[[0-9;]*m")  # select graphic rendition: colours and styles
RECORD = (
    'type=1326 audit(1795556796.855:{serial}): auid=0 uid=0 gid=0 ses=7 pid=1 comm="sh"'
    ' exe="/usr/bin/dash" sig=0 arch=c000003e syscall={nr} compat=0 ip=0x1 code=0x7ffc0000\n'
)


@pytest.fixture
def gappy_log(tmp_path: Path) -> Path:
    """Two records with a serial gap between them: record reports LOST records (in red)."""
    path = tmp_path / "audit.log"
    path.write_text(RECORD.format(serial=1, nr=0) + RECORD.format(serial=9, nr=1))
    return path


def run_on_terminal(args: list[str], env: dict[str, str]) -> tuple[int, bytes]:
    """Run seccomp-kit with stderr on a pseudo-terminal; return its status and stderr."""
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "seccomp_kit", *args],
            stdout=subprocess.DEVNULL,
            stderr=follower,
            env=env,
            timeout=60,
            check=False,
        )
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's other end is closed and drained
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        if follower >= 0:
            os.close(follower)
        os.close(leader)
    return done.returncode, b"".join(chunks)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update(extra)
    return env


def test_colour_on_a_terminal(gappy_log: Path) -> None:
    code, err = run_on_terminal(["record", "--from", str(gappy_log)], clean_env())
    assert code == 1 and b"LOST" in err
    assert b"\x1b[31m" in err


def test_no_color_turns_colour_off(gappy_log: Path) -> None:
    code, err = run_on_terminal(["record", "--from", str(gappy_log)], clean_env(NO_COLOR="1"))
    assert code == 1 and b"LOST" in err
    assert not SGR.search(err)  # no colour; a progress bar may still hide the cursor


def test_no_escape_codes_into_a_pipe(gappy_log: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "seccomp_kit", "record", "--from", str(gappy_log)],
        capture_output=True,
        env=clean_env(),
        check=False,
    )
    assert b"LOST" in done.stderr
    assert b"\x1b" not in done.stderr + done.stdout


def test_quiet_keeps_results_and_problems_only(gappy_log: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "seccomp_kit", *args],
            capture_output=True,
            text=True,
            env=clean_env(),
            check=False,
        )

    loud = run("validate", str(ROOT / "profiles" / "log-all.json"))
    quiet = run("--quiet", "validate", str(ROOT / "profiles" / "log-all.json"))
    assert "1 file(s)" in loud.stderr and quiet.stderr == "" and quiet.returncode == 0
    recorded = run("-q", "record", "--from", str(gappy_log))
    assert recorded.returncode == 1
    assert recorded.stdout.startswith("{")  # the profile itself
    assert [ln for ln in recorded.stderr.splitlines() if ln] == [
        ln for ln in recorded.stderr.splitlines() if ln.startswith("LOST")
    ]
    assert "LOST" in recorded.stderr
    bad = run("-q", "validate", str(gappy_log))
    assert bad.returncode == 2 and "invalid JSON" in bad.stderr


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_shell_completion_comes_from_click(shell: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "seccomp_kit"],
        capture_output=True,
        text=True,
        env=clean_env(_SECCOMP_KIT_COMPLETE=f"{shell}_source"),
        check=False,
    )
    assert done.returncode == 0 and "_SECCOMP_KIT_COMPLETE" in done.stdout


def test_completion_lists_subcommands_and_options() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "seccomp_kit"],
        capture_output=True,
        text=True,
        env=clean_env(
            _SECCOMP_KIT_COMPLETE="bash_complete",
            COMP_WORDS="seccomp-kit compile --ru",
            COMP_CWORD="2",
        ),
        check=False,
    )
    assert "--runtime" in done.stdout
