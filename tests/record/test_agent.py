"""The listenerPath agent against a stand-in runtime that does what runc and crun do: load a
notifying filter in the container's process, pass the listener to its parent over a socket
pair, and send it to the agent with the container state (SCM_RIGHTS). Bad peers are refused
and logged while the agent keeps serving the others."""

from __future__ import annotations

import array
import contextlib
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from seccomp_kit.bpf._load import Prepared, set_no_new_privs
from seccomp_kit.io import loads
from seccomp_kit.model import Action, Arch
from seccomp_kit.record import Agent, notify_filter, oci_seccomp
from seccomp_kit.syscalls import table
from seccomp_kit.validation import validate

pytestmark = [
    pytest.mark.kernel,
    pytest.mark.skipif(sys.platform != "linux", reason="Linux only"),
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
]

X86_64 = table(Arch.X86_64)
NOTIFIED = ["uname", "getppid", "execve", "wait4", "clone", "exit_group"]


def send(path: Path, state: bytes, fds: list[int]) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.connect(str(path))
        rights = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
        conn.sendmsg([state], rights)


def state(cid: str, pid: int = 1) -> bytes:
    return json.dumps(
        {"ociVersion": "1.0.2", "fds": ["seccompFd"], "pid": pid, "metadata": "",
         "state": {"ociVersion": "1.0.2", "id": cid, "status": "creating", "pid": pid,
                   "bundle": "/b", "annotations": {}}}
    ).encode()  # fmt: skip


def container(sock: Path, cid: str, argv: list[str]) -> int:
    """Start ``argv`` as a 'container': its process loads the notifying filter and hands the
    listener to us (its runtime), and we send it to the agent. Returns the pid."""
    nrs = [n for name in NOTIFIED if (n := X86_64.number(name)) is not None]
    prepared = Prepared(notify_filter({Arch.X86_64: nrs}, otherwise=0x7FFF_0000), 8)
    parent_end, child_end = socket.socketpair()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            parent_end.close()
            set_no_new_privs()
            fd = prepared.install()
            socket.send_fds(child_end, [b"fd"], [fd])
            os.close(fd)
            child_end.recv(1)  # the runtime says go once the agent has it
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    child_end.close()
    _, fds, _, _ = socket.recv_fds(parent_end, 16, 1)
    send(sock, state(cid, pid), fds)
    os.close(fds[0])
    parent_end.send(b"g")
    parent_end.close()
    return pid


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[tuple[Agent, list[str]]]:
    lines: list[str] = []
    served = Agent(tmp_path / "agent.sock", tmp_path / "out", args=True, log=lines.append,
                   handshake_timeout=1.0)  # fmt: skip
    served.bind()
    thread = threading.Thread(target=served.serve)
    thread.start()
    yield served, lines
    served.stop()
    thread.join()


def wait_until(check: object, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)


def test_two_containers_at_once(tmp_path: Path, agent: tuple[Agent, list[str]]) -> None:
    served, lines = agent
    sock = tmp_path / "agent.sock"
    a = container(sock, "web", ["sh", "-c", "uname >/dev/null; sleep 0.3"])
    b = container(sock, "db", ["sh", "-c", "sleep 0.3"])
    for pid in (a, b):
        assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    wait_until(lambda: len(served.written) == 2)
    web = loads((tmp_path / "out" / "web.json").read_text())
    db = loads((tmp_path / "out" / "db.json").read_text())
    web_names = {n for r in web.syscalls for n in r.names}
    db_names = {n for r in db.syscalls for n in r.names}
    assert "uname" in web_names and "uname" not in db_names
    assert {"execve", "exit_group", "write"} <= db_names  # write: never notified, always allowed
    assert all(c.complete for c in served.written)
    assert any("web: wrote" in line for line in lines)


@pytest.mark.parametrize(
    ("payload", "fd_kind", "why"),
    [
        (b"\x00\xffjunk", "none", "not JSON"),
        (state("nofd"), "none", "seccompFd was not sent"),
        (state("pipe"), "pipe", "not a seccomp listener"),
        (b"[1, 2]", "none", "not a JSON object"),
        (b'{"fds": ["seccompFd"], "state": {"id": "../etc"}}', "none", "no usable container id"),
        (b'{"x": "' + b"a" * (1 << 21) + b'"}', "none", "larger than"),
        (b'{"fds": [', "none", "no complete state"),
    ],
)
def test_bad_peers_are_refused_and_the_agent_goes_on(
    tmp_path: Path, agent: tuple[Agent, list[str]], payload: bytes, fd_kind: str, why: str
) -> None:
    served, lines = agent
    sock = tmp_path / "agent.sock"
    fds: list[int] = []
    if fd_kind == "pipe":
        fds = list(os.pipe())[:1]
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.connect(str(sock))
        rights = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
        # The agent may give up on the huge document before we finish sending it.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.sendmsg([payload], rights)
        if why == "no complete state":
            time.sleep(1.5)
    wait_until(lambda: any(why in line for line in lines))
    # ... and serves the next container.
    pid = container(sock, "after", ["true"])
    os.waitpid(pid, 0)
    wait_until(lambda: any(w.id == "after" for w in served.written))


def test_duplicate_id_is_refused(tmp_path: Path, agent: tuple[Agent, list[str]]) -> None:
    served, lines = agent
    sock = tmp_path / "agent.sock"
    first = container(sock, "same", ["sleep", "1"])
    second = container(sock, "same", ["true"])
    wait_until(lambda: any("same: already being recorded" in line for line in lines))
    for pid in (first, second):
        os.waitpid(pid, 0)
    wait_until(lambda: any(w.id == "same" for w in served.written))


def test_stopping_writes_open_recordings(tmp_path: Path) -> None:
    lines: list[str] = []
    served = Agent(tmp_path / "a.sock", tmp_path / "out", log=lines.append)
    served.bind()
    thread = threading.Thread(target=served.serve)
    thread.start()
    pid = container(tmp_path / "a.sock", "long", ["sh", "-c", "uname >/dev/null; sleep 2"])
    wait_until(lambda: any("long: recording" in line for line in lines))
    time.sleep(0.3)
    served.stop()
    thread.join()
    (written,) = served.written
    assert written.id == "long" and not written.complete
    assert "uname" in {n for r in loads(written.path.read_text()).syscalls for n in r.names}
    os.waitpid(pid, 0)


def test_oci_seccomp_reports_everything_but_write_and_the_runtime_needs() -> None:
    profile = oci_seccomp("/run/agent.sock", metadata="team=web")
    assert profile.default_action == Action.ALLOW
    assert profile.listener_path == "/run/agent.sock"
    assert profile.listener_metadata == "team=web"
    (rule,) = profile.syscalls
    assert rule.action == Action.NOTIFY
    names = set(rule.names)
    assert "write" not in names and "sendmsg" not in names and "execve" not in names
    assert {"connect", "socket", "uname"} <= names
    errors = [d for d in validate(profile, runtime="runc") if d.severity.value == "error"]
    assert errors == []


# -- real runtimes ------------------------------------------------------------------------------


def _builds() -> list[object]:
    try:
        from seccomp_kit.testing.runtimes import available_builds
    except ImportError:  # pragma: no cover - the harness ships with the package
        return []
    return list(available_builds())


BUILDS = _builds()
PIPELINE = ["sh", "-c", "ls / | wc -l; echo done"]


@pytest.fixture
def live_agent(tmp_path: Path) -> Iterator[Agent]:
    served = Agent(tmp_path / "a.sock", tmp_path / "out", args=True)
    served.bind()
    thread = threading.Thread(target=served.serve)
    thread.start()
    yield served
    served.stop()
    thread.join()


def _seccomp(agent: Agent) -> dict[str, object]:
    from seccomp_kit.io import dumps

    data: dict[str, object] = json.loads(dumps(oci_seccomp(str(agent.socket_path))))
    return data


@pytest.mark.parametrize("build", BUILDS, ids=lambda b: f"{b.name}-{b.version}")  # type: ignore[attr-defined]
def test_record_with_a_real_runtime_then_enforce(build: object, live_agent: Agent) -> None:
    from seccomp_kit.testing.runtimes import RuntimeBuild, run_in_container

    assert isinstance(build, RuntimeBuild)
    first = run_in_container(build, _seccomp(live_agent), PIPELINE)
    assert (first.exit_status, first.stdout) == (0, b"6\ndone\n"), first
    wait_until(lambda: len(live_agent.written) == 1)
    recorded = json.loads(live_agent.written[0].path.read_text())
    assert live_agent.written[0].complete
    again = run_in_container(build, recorded, PIPELINE)
    assert (again.exit_status, again.stdout) == (0, b"6\ndone\n"), again
    # A syscall the workload never made (mkdir) is refused under the recorded profile.
    variant = run_in_container(build, recorded, ["sh", "-c", "mkdir /tmp/x && echo made"])
    assert variant.exit_status != 0 and b"made" not in variant.stdout


@pytest.mark.skipif(not BUILDS, reason="no runtime builds")
def test_two_real_containers_at_once(live_agent: Agent) -> None:
    from seccomp_kit.testing.runtimes import run_in_container

    build = BUILDS[0]
    outcomes: dict[str, object] = {}
    work = {"lister": PIPELINE, "maker": ["sh", "-c", "mkdir /tmp/d && echo ok"]}
    threads = [
        threading.Thread(
            target=lambda k=k, v=v: outcomes.__setitem__(
                k,
                run_in_container(build, _seccomp(live_agent), v),  # type: ignore[arg-type]
            )
        )
        for k, v in work.items()
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wait_until(lambda: len(live_agent.written) == 2)
    names = {}
    for w in live_agent.written:
        names[w.id] = {n for r in loads(w.path.read_text()).syscalls for n in r.names}
    with_mkdir = [cid for cid, n in names.items() if "mkdir" in n or "mkdirat" in n]
    assert len(with_mkdir) == 1  # only the container that made a directory may make one


@pytest.mark.skipif(not BUILDS, reason="no runtime builds")
def test_a_stopped_agent_does_not_wedge_the_container(tmp_path: Path) -> None:
    """When the agent goes away the listener closes: the kernel then fails the container's
    notified syscalls with ENOSYS instead of leaving them waiting."""
    from seccomp_kit.testing.runtimes import run_in_container

    served = Agent(tmp_path / "a.sock", tmp_path / "out")
    served.bind()
    thread = threading.Thread(target=served.serve)
    thread.start()
    timer = threading.Timer(1.0, served.stop)
    timer.start()
    began = time.monotonic()
    argv = ["sh", "-c", "sleep 3; uname -s; echo $?"]
    outcome = run_in_container(BUILDS[0], _seccomp(served), argv, timeout=30)  # type: ignore[arg-type]
    thread.join()
    assert time.monotonic() - began < 25  # returned on its own, well before the timeout
    # Once the agent has gone, notified calls (uname, and the shell's own wait4...) fail with
    # ENOSYS instead of waiting: the workload fails, promptly.
    assert b"Linux" not in outcome.stdout
    assert outcome.exit_status != 0
    (written,) = served.written
    assert not written.complete


def test_kubernetes_path_installs_and_the_daemonset_parses(tmp_path: Path) -> None:
    from seccomp_kit.kubernetes import install
    from seccomp_kit.kubernetes._yaml import load_documents

    profile = oci_seccomp("/var/run/seccomp-kit/agent.sock")
    value = install(profile, "seccomp-kit/record.json", root=tmp_path / "kubelet")
    installed = loads((tmp_path / "kubelet" / value).read_text())
    assert installed.listener_path == "/var/run/seccomp-kit/agent.sock"
    manifest = Path(__file__).parents[2] / "docs" / "agent-daemonset.yaml"
    (doc,) = list(load_documents(manifest))
    spec = doc.data["spec"]["template"]["spec"]
    assert spec["hostPID"] is True
    command = spec["containers"][0]["command"]
    assert command[:2] == ["seccomp-kit", "agent"]
    assert "/var/run/seccomp-kit/agent.sock" in command


def test_cli_serves_until_sigterm_and_writes_open_recordings(tmp_path: Path) -> None:
    import signal
    import subprocess

    sock, out = tmp_path / "cli.sock", tmp_path / "out"
    agent_proc = subprocess.Popen(
        [sys.executable, "-m", "seccomp_kit", "agent", "--socket", str(sock), "--out", str(out)],
        stderr=subprocess.PIPE,
    )
    try:
        wait_until(sock.exists)
        pid = container(sock, "cli", ["sh", "-c", "uname >/dev/null; sleep 3"])
        time.sleep(0.5)
        agent_proc.send_signal(signal.SIGTERM)
        _, err = agent_proc.communicate(timeout=30)
    finally:
        agent_proc.kill()
    os.waitpid(pid, 0)
    assert agent_proc.returncode == 0, err.decode()
    assert b"cli: wrote" in err and b"stopped before the container exited" in err
    assert "uname" in {n for r in loads((out / "cli.json").read_text()).syscalls for n in r.names}
    assert not sock.exists()


def test_cli_oci_seccomp_into_a_bundle(tmp_path: Path) -> None:
    import subprocess

    (tmp_path / "config.json").write_text('{"ociVersion": "1.0.2", "linux": {}}')
    done = subprocess.run(
        [sys.executable, "-m", "seccomp_kit", "agent", "--oci-seccomp", "--socket", "/run/a.sock",
         "--metadata", "m", "--bundle", str(tmp_path)],
        capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    seccomp = json.loads((tmp_path / "config.json").read_text())["linux"]["seccomp"]
    assert (seccomp["listenerPath"], seccomp["listenerMetadata"]) == ("/run/a.sock", "m")
    assert seccomp["defaultAction"] == "SCMP_ACT_ALLOW"
    done = subprocess.run(
        [sys.executable, "-m", "seccomp_kit", "agent", "--oci-seccomp", "--socket", "rel.sock"],
        capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and b"absolute path" in done.stderr
