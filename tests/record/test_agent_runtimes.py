"""The listenerPath agent with real runtimes: Debian 12's runc 1.1.5 and crun 1.8.1 (libseccomp
2.5.4) and Debian 13's runc 1.1.15 and crun 1.21 (libseccomp 2.6.0) start busybox containers
whose profile reports every syscall to the agent.

- A shell pipeline and a small server (busybox httpd on the container's loopback, fetched with
  wget in the same container) are recorded, rerun under the recorded profile (same output),
  and a syscall the workload never made, or made with other arguments, is refused (EPERM).
- Two containers recorded at once get two profiles, each enough for its own workload only.
- An agent killed (SIGKILL) or stopped (SIGTERM) while a container waits in a notified call
  never wedges it: the kernel answers ENOSYS, and the container ends on its own.
- With no agent listening when a container starts, both runtimes refuse to start it.
- ``--oci-seccomp`` for a build's target lists only names its libseccomp resolves: the runtime
  warns about none, and the same object with every kernel name makes it warn about exactly
  the names that libseccomp lacks.

Needs root and the runtimes from ``tools/runtimes.sh``. Missing runtimes fail the tests (with a
pointer to that script) unless ``SECCOMP_KIT_NO_RUNTIMES=1``, which skips them.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from seccomp_kit.io import dumps, loads
from seccomp_kit.libseccomp.names import knows_name
from seccomp_kit.libseccomp.targets import target
from seccomp_kit.record import Agent, oci_seccomp
from seccomp_kit.syscalls import table
from seccomp_kit.syscalls.arches import native_arch
from seccomp_kit.testing.runtimes import (
    ContainerRun,
    RuntimeBuild,
    run_in_container,
)
from tests.conftest import runtime_build

pytestmark = [pytest.mark.runtime, pytest.mark.kernel]

# Each build, and the target it is: its runtime model and the libseccomp it links.
TARGETS = {
    ("host", "runc"): ("runc@1.1.5", "2.5.4"),
    ("host", "crun"): ("crun@1.8.1", "2.5.4"),
    ("trixie", "runc"): ("runc@1.1.15", "2.6.0"),
    ("trixie", "crun"): ("crun@1.21", "2.6.0"),
}

PIPELINE = ["sh", "-c", "ls / | wc -l; echo done"]
# busybox httpd binds and listens before it daemonizes, so wget can follow at once. The
# container's network namespace has lo down: bringing it up needs CAP_NET_ADMIN.
SERVER = [
    "sh",
    "-c",
    "ip link set lo up && httpd -p 127.0.0.1:8080 -h /www && "
    "wget -q -O - http://127.0.0.1:8080/index.html && echo served",
]
PAGE = b"hello from httpd\n"
NET_ADMIN = ["CAP_NET_ADMIN"]
MKDIR = ["sh", "-c", "mkdir /tmp/x && echo made"]


@pytest.fixture(params=list(TARGETS), ids=lambda k: f"{k[0]}-{k[1]}")
def build(request: pytest.FixtureRequest) -> RuntimeBuild:
    return runtime_build(request.param)


def wait_until(check: Callable[[], object], timeout: float = 20.0, what: str = "") -> None:
    end = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < end, f"timed out waiting for {what or check}"
        time.sleep(0.01)


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[Agent]:
    served = Agent(tmp_path / "a.sock", tmp_path / "out", args=True)
    served.bind()
    thread = threading.Thread(target=served.serve)
    thread.start()
    yield served
    served.stop()
    thread.join()


def _seccomp(socket_path: Path | str, **target: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(dumps(oci_seccomp(str(socket_path), **target)))
    return data


def _names(path: Path) -> set[str]:
    return {n for r in loads(path.read_text()).syscalls for n in r.names}


def _page(tmp_path: Path) -> dict[str, str | bytes | os.PathLike[str]]:
    page = tmp_path / "index.html"
    page.write_bytes(PAGE)
    return {"/www/index.html": page}


# -- record, then enforce ---------------------------------------------------------------------


def test_a_pipeline_recorded_then_enforced(build: RuntimeBuild, agent: Agent) -> None:
    first = run_in_container(build, _seccomp(agent.socket_path), PIPELINE)
    assert (first.exit_status, first.stdout) == (0, b"6\ndone\n"), first.error
    wait_until(lambda: len(agent.written) == 1, what="the recording")
    (written,) = agent.written
    assert written.complete and written.calls > 0
    recorded = json.loads(written.path.read_text())
    assert recorded["defaultAction"] == "SCMP_ACT_ERRNO"
    again = run_in_container(build, recorded, PIPELINE)
    assert (again.exit_status, again.stdout) == (0, b"6\ndone\n"), again.error
    # A syscall the workload never made (mkdir) is refused with the default errno (EPERM).
    variant = run_in_container(build, recorded, MKDIR)
    assert variant.exit_status == 1 and variant.stdout == b""
    assert "Operation not permitted" in variant.container_stderr


def test_a_server_recorded_then_enforced(build: RuntimeBuild, agent: Agent, tmp_path: Path) -> None:
    extra = _page(tmp_path)

    def run(seccomp: dict[str, Any], argv: list[str]) -> ContainerRun:
        return run_in_container(build, seccomp, argv, rootfs_extra=extra, capabilities=NET_ADMIN)

    first = run(_seccomp(agent.socket_path), SERVER)
    assert (first.exit_status, first.stdout) == (0, PAGE + b"served\n"), first.error
    wait_until(lambda: len(agent.written) == 1, what="the recording")
    written = agent.written[0].path
    assert {"socket", "bind", "listen", "accept", "connect", "sendfile"} <= _names(written)
    recorded = json.loads(written.read_text())
    again = run(recorded, SERVER)
    assert (again.exit_status, again.stdout) == (0, PAGE + b"served\n"), again.error
    variant = run(recorded, MKDIR)
    assert variant.exit_status == 1 and "Operation not permitted" in variant.container_stderr
    # With --args the socket family is recorded: the same server on IPv6 is refused.
    six = run(recorded, [SERVER[0], SERVER[1], SERVER[2].replace("127.0.0.1", "[::1]")])
    assert six.exit_status == 1 and six.stdout == b""
    assert "httpd: socket: Operation not permitted" in six.container_stderr


def test_two_containers_recorded_at_once(build: RuntimeBuild, agent: Agent) -> None:
    work = {"lister": PIPELINE, "maker": MKDIR}
    outcomes: dict[str, ContainerRun] = {}

    def start(key: str) -> None:
        outcomes[key] = run_in_container(build, _seccomp(agent.socket_path), work[key])

    threads = [threading.Thread(target=start, args=(key,)) for key in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes["lister"].stdout == b"6\ndone\n" and outcomes["maker"].stdout == b"made\n"
    wait_until(lambda: len(agent.written) == 2, what="both recordings")
    assert len({w.id for w in agent.written}) == 2
    by_role = {("maker" if "mkdir" in _names(w.path) else "lister"): w for w in agent.written}
    assert set(by_role) == {"lister", "maker"}  # exactly one of them made a directory
    profiles = {k: json.loads(w.path.read_text()) for k, w in by_role.items()}
    # Each profile runs its own workload; the lister's refuses the maker's.
    for key, argv in work.items():
        rerun = run_in_container(build, profiles[key], argv)
        assert rerun.stdout == outcomes[key].stdout, (key, rerun.error)
    refused = run_in_container(build, profiles["lister"], MKDIR)
    assert refused.exit_status == 1 and "Operation not permitted" in refused.container_stderr


# -- the agent goes away ----------------------------------------------------------------------

# Creates a marker (openat: allowed outright), then loops on calls that are notified (mkdir,
# rmdir, and the shell's clone and wait4) until one fails; then one more notified call from a
# shell builtin (ulimit: prlimit64), whose error the shell prints.
LOOP = [
    "sh",
    "-c",
    ": > /tmp/started; while mkdir /tmp/d && rmdir /tmp/d; do :; done; echo after the loop;"
    " ulimit -n 512; exit 3",
]


class CliAgent:
    """``seccomp-kit agent`` in its own process, its log lines read as they come."""

    def __init__(self, sock: Path, out: Path) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "seccomp_kit",
                "agent",
                "--socket",
                str(sock),
                "--out",
                str(out),
            ],
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        assert self.proc.stderr is not None
        stream = self.proc.stderr
        self.reader = threading.Thread(target=lambda: [self.lines.put(x) for x in stream])
        self.reader.start()

    def expect(self, pattern: str, timeout: float = 20.0) -> re.Match[str]:
        end = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, end - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"the agent did not log {pattern!r} within {timeout} s")
            found = re.search(pattern, line)
            if found is not None:
                return found

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        self.proc.wait(timeout=30)
        self.reader.join(timeout=30)  # EOF once the agent is gone
        assert self.proc.stderr is not None
        self.proc.stderr.close()


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{p}/task"):
                text = Path(f"/proc/{p}/task/{task}/children").read_text()
                todo += [int(c) for c in text.split()]
    return out


def _waiting_for_the_agent(pid: int) -> bool:
    """Whether a process of the container sleeps in the kernel's user-notification wait."""
    for p in _tree(pid):
        with contextlib.suppress(OSError):
            if Path(f"/proc/{p}/wchan").read_text().startswith("seccomp_do_user_notification"):
                return True
    return False


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_an_agent_gone_mid_recording_does_not_wedge_the_container(
    build: RuntimeBuild, tmp_path: Path, sig: signal.Signals
) -> None:
    """The agent is frozen (SIGSTOP) while the container loops on notified calls, so one of
    them is pending, then killed or stopped: the pending call and every later notified call
    fail with ENOSYS (no runtime keeps a copy of the listener), and the container ends."""
    sock, out = tmp_path / "a.sock", tmp_path / "out"
    agent = CliAgent(sock, out)
    result: dict[str, ContainerRun | BaseException] = {}

    def start() -> None:
        try:
            result["run"] = run_in_container(build, _seccomp(sock), LOOP, timeout=60)
        except BaseException as exc:  # reported by the assertions below
            result["run"] = exc

    try:
        agent.expect("listening on")
        container = threading.Thread(target=start)
        container.start()
        pid = int(agent.expect(r"recording \(pid (\d+)\)").group(1))
        wait_until(lambda: os.path.exists(f"/proc/{pid}/root/tmp/started"), what="the loop")
        agent.proc.send_signal(signal.SIGSTOP)
        wait_until(lambda: _waiting_for_the_agent(pid), what="a pending notification")
        gone = time.monotonic()
        agent.proc.send_signal(sig)
        agent.proc.send_signal(signal.SIGCONT)  # SIGTERM is handled once it runs again
        container.join(timeout=90)
        took = time.monotonic() - gone
        if sig == signal.SIGTERM:
            agent.proc.wait(timeout=30)  # it writes what it has and exits on its own
    finally:
        agent.close()
    run = result["run"]
    assert isinstance(run, ContainerRun), run
    assert took < 15, took  # the runtime's own timeout is 60 s: it ended on its own
    # 3: the loop's mkdir/rmdir failed and the script went on; 2: the shell's own clone failed.
    assert run.exit_status in (2, 3), (run.exit_status, run.error)
    assert "Function not implemented" in run.container_stderr, run.container_stderr
    if sig == signal.SIGKILL:
        # Nothing written, and the socket is left behind: the next container is refused.
        assert not list(out.glob("*.json"))
        assert sock.is_socket()
        after = run_in_container(build, _seccomp(sock), ["sh", "-c", "echo ran"])
        assert after.exit_status == 1 and after.stdout == b""
        assert after.error is not None and _REFUSED[build.name][1] in after.error, after.error
    else:
        assert agent.proc.returncode == 0
        (profile,) = out.glob("*.json")
        assert "mkdir" in _names(profile)
        assert not sock.exists()


# runtime -> what it says when nothing listens: (no socket file, a stale socket file)
_REFUSED = {
    "runc": (
        "failed to connect with seccomp agent specified in the seccomp profile: dial unix {}: "
        "connect: no such file or directory",
        "connect: connection refused",
    ),
    "crun": (
        "open seccomp receiver: connect socket to `{}`: No such file or directory",
        "Connection refused",
    ),
}


@pytest.mark.parametrize("stale", [False, True], ids=["no-socket", "stale-socket"])
def test_no_agent_when_the_container_starts(
    build: RuntimeBuild, tmp_path: Path, stale: bool
) -> None:
    """Both runtimes refuse to start the container: the workload never runs."""
    sock = tmp_path / "agent.sock"
    if stale:  # what a killed agent leaves: a socket file nobody listens on
        with socket.socket(socket.AF_UNIX) as s:
            s.bind(str(sock))
    run = run_in_container(build, _seccomp(sock), ["sh", "-c", "echo ran"])
    assert run.exit_status == 1 and run.stdout == b""
    expected = _REFUSED[build.name][int(stale)].format(sock)
    assert run.error is not None and expected in run.error, run.error


# -- --oci-seccomp per target -----------------------------------------------------------------

_UNKNOWN = re.compile(r"unknown seccomp syscall [`\"]([a-z0-9_]+)[`\"] ignored")


def _unknown(run: ContainerRun) -> set[str]:
    """The names the runtime dropped: crun warns, runc logs them at debug level."""
    return {m.group(1) for msg in run.messages if (m := _UNKNOWN.search(msg.msg))}


def test_oci_seccomp_for_the_target_loads_without_unknown_names(
    build: RuntimeBuild, agent: Agent
) -> None:
    runtime, libseccomp = TARGETS[(build.origin, build.name)]
    printed = subprocess.run(
        [sys.executable, "-m", "seccomp_kit", "agent", "--oci-seccomp",
         "--socket", str(agent.socket_path), "--runtime", runtime, "--libseccomp", libseccomp],
        capture_output=True, timeout=60, check=True,
    )  # fmt: skip
    seccomp = json.loads(printed.stdout)
    run = run_in_container(build, seccomp, PIPELINE)
    assert (run.exit_status, run.stdout) == (0, b"6\ndone\n"), run.error
    assert _unknown(run) == set()
    assert not [w for w in run.warnings if "seccomp" in w]
    wait_until(lambda: len(agent.written) == 1, what="the recording")
    # The control: every name of the kernel's table, as before targets; the runtime drops
    # exactly the names our tables say its libseccomp lacks (so the check above can fail).
    lib = target(runtime, libseccomp).libseccomp
    lacking = {n for n in table(native_arch()).by_name if not knows_name(lib, n)}
    rule = dict(seccomp["syscalls"][0])
    rule["names"] = sorted(set(rule["names"]) | lacking)
    control = run_in_container(build, {**seccomp, "syscalls": [rule]}, PIPELINE)
    assert control.exit_status == 0, control.error
    assert lacking and _unknown(control) == lacking
