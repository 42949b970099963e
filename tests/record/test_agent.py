"""The listenerPath agent against a stand-in runtime that does what runc and crun do: load a
notifying filter in the container's process, pass the listener to its parent over a socket
pair, and send it to the agent with the container state (SCM_RIGHTS). Bad peers are refused
and logged while the agent keeps serving the others. The same with real runc and crun builds:
``test_agent_runtimes.py``."""

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
from seccomp_kit.errors import InputError
from seccomp_kit.io import loads
from seccomp_kit.model import Action, Arch
from seccomp_kit.record import RUNTIME_BASELINES, Agent, notify_filter, oci_seccomp
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


@pytest.mark.parametrize(
    ("runtime", "libseccomp"), [("crun@1.8.1", "2.5.4"), ("runc@1.1.15", "2.6.0")]
)
def test_oci_seccomp_lists_only_names_the_target_resolves(runtime: str, libseccomp: str) -> None:
    from seccomp_kit.libseccomp.names import knows_name
    from seccomp_kit.libseccomp.targets import target

    lib = target(runtime, libseccomp).libseccomp
    (rule,) = oci_seccomp("/run/a.sock", runtime=runtime, libseccomp=libseccomp).syscalls
    names = set(rule.names)
    assert all(knows_name(lib, n) for n in names)
    # Every name the kernel table has and the target resolves, but the runtimes' needs.
    missing = {n for n in X86_64.by_name if knows_name(lib, n)} - names
    assert missing == {"write"} | RUNTIME_BASELINES["runc"] | RUNTIME_BASELINES["crun"]
    assert ("mseal" in names) == (libseccomp == "2.6.0")  # 2.5.4 cannot resolve it
    assert "file_getattr" not in names  # newer than both
    # The validator agrees: nothing the target's libseccomp would drop (SK120), no errors.
    profile = oci_seccomp("/run/a.sock", runtime=runtime, libseccomp=libseccomp)
    found = validate(profile, runtime=runtime, libseccomp=libseccomp)
    assert [d.code for d in found if d.code == "SK120" or d.severity.value == "error"] == []


def test_oci_seccomp_refuses_what_the_target_cannot_build() -> None:
    with pytest.raises(InputError, match="cannot build a filter for SCMP_ARCH_PARISC"):
        oci_seccomp("/run/a.sock", arches=["SCMP_ARCH_PARISC"], runtime="runc")
    with pytest.raises(InputError, match="not a modelled version"):
        oci_seccomp("/run/a.sock", libseccomp="1.0")


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


def test_cli_oci_seccomp_follows_the_target() -> None:
    import subprocess

    def printed(*target: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "seccomp_kit", "agent", "--oci-seccomp", "--socket",
             "/run/a.sock", *target],
            capture_output=True, timeout=60, check=False,
        )  # fmt: skip

    names = {}
    for lib in ("2.5.4", "2.6.0"):
        done = printed("--runtime", "crun@1.8.1", "--libseccomp", lib)
        assert done.returncode == 0, done.stderr.decode()
        names[lib] = set(json.loads(done.stdout)["syscalls"][0]["names"])
    assert names["2.6.0"] - names["2.5.4"] >= {"mseal", "statmount", "listmount"}
    assert names["2.5.4"] < names["2.6.0"]
    done = printed("--libseccomp", "1.0")
    assert done.returncode == 2 and b"not a modelled version" in done.stderr
    # Serving takes no target: it records whatever a runtime sends.
    done = subprocess.run(
        [sys.executable, "-m", "seccomp_kit", "agent", "--socket", "/run/a.sock", "--out", "o",
         "--libseccomp", "2.5.4"],
        capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and b"go with --oci-seccomp" in done.stderr
