"""The ready profiles in ``profiles/``: canonical, valid, compilable, and doing on the kernel
what ``profiles/README.md`` says they do."""

from __future__ import annotations

import os
import re
import select
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

import seccomp_kit as sk
from seccomp_kit import kubernetes as k8s
from seccomp_kit.algebra.resolving import resolve
from seccomp_kit.diagnostics import Severity
from seccomp_kit.io.resources import profile_names, profiles_dir, read_profile_text
from seccomp_kit.libseccomp.compile import compile_profile
from seccomp_kit.record.runner import run
from seccomp_kit.syscalls import table
from seccomp_kit.syscalls.arches import native_arch
from seccomp_kit.validation import validate

ROOT = Path(__file__).resolve().parent.parent
EXEC_HELPER = Path(__file__).parent / "data" / "k8s" / "seccomp_exec.py"
SHIPPED = ["block-all", "complain", "log-all", "runtime-default", "static-web-server"]
EPERM, ENOSYS = 1, 38
CLONE_NEWNS = 0x20000


def _load(name: str) -> sk.Profile:
    return sk.loads(read_profile_text(name), name=f"profiles/{name}.json")


def _host_kernel() -> str:
    match = re.match(r"(\d+)\.(\d+)", os.uname().release)
    assert match is not None
    return f"{match.group(1)}.{match.group(2)}"


def _for_host(profile: sk.Profile, caps: tuple[str, ...] = ()) -> sk.Profile:
    """What a container engine hands the runtime on this machine (moby dialect resolved)."""
    if profile.dialect is sk.Dialect.OCI:
        return profile
    return resolve(profile, arch=native_arch(), capabilities=caps, kernel=_host_kernel())


# -- the files ---------------------------------------------------------------------------------


def test_the_shipped_set_is_complete() -> None:
    assert profile_names() == SHIPPED
    assert not (ROOT / "profiles" / ".keep").exists()


@pytest.mark.parametrize("name", SHIPPED)
def test_profile_text_is_canonical(name: str) -> None:
    text = read_profile_text(name)
    assert sk.dumps(sk.loads(text)) == text


@pytest.mark.parametrize("runtime", ["runc", "crun"])
@pytest.mark.parametrize("name", SHIPPED)
def test_profile_validates_without_errors_or_warnings(name: str, runtime: str) -> None:
    diags = validate(profiles_dir().joinpath(f"{name}.json"), runtime=runtime)  # type: ignore[arg-type]
    assert [d for d in diags if d.severity is not Severity.INFO] == []


@pytest.mark.parametrize("name", SHIPPED)
def test_profile_is_documented(name: str) -> None:
    readme = (ROOT / "profiles" / "README.md").read_text()
    assert f"## `{name}.json`" in readme


@pytest.mark.parametrize("arch", ["x86_64", "aarch64"])
@pytest.mark.parametrize("name", SHIPPED)
def test_profile_compiles_for_both_architectures(name: str, arch: str) -> None:
    profile = _load(name)
    if profile.dialect is not sk.Dialect.OCI:
        profile = resolve(profile, arch=arch, kernel="6.1")
    compiled = compile_profile(profile, arch=arch)
    assert len(compiled) > 0
    assert compiled.architectures[0] is sk.Arch(f"SCMP_ARCH_{arch.upper()}")


def _emulate(profile: sk.Profile, arch: str, name: str, args: tuple[int, ...] = ()) -> int:
    compiled = compile_profile(profile, arch=arch)
    nr = table(arch).number(name)
    assert nr is not None
    return compiled.emulate(nr=nr, arch=f"SCMP_ARCH_{arch.upper()}", args=args)


ERRNO = 0x0005_0000
ALLOW = 0x7FFF_0000
LOG = 0x7FFC_0000


@pytest.mark.parametrize("arch", ["x86_64", "aarch64"])
def test_runtime_default_depends_on_capabilities_on_both_architectures(arch: str) -> None:
    profile = _load("runtime-default")
    plain = resolve(profile, arch=arch, kernel="6.1")
    admin = resolve(profile, arch=arch, capabilities=["CAP_SYS_ADMIN"], kernel="6.1")
    for name in ("mount", "unshare", "setns", "bpf"):
        assert _emulate(plain, arch, name) == ERRNO | EPERM, name
        assert _emulate(admin, arch, name) == ALLOW, name
    assert _emulate(plain, arch, "clone", (CLONE_NEWNS,)) == ERRNO | EPERM
    assert _emulate(plain, arch, "clone", (0x11,)) == ALLOW  # SIGCHLD: a plain fork
    assert _emulate(admin, arch, "clone", (CLONE_NEWNS,)) == ALLOW
    assert _emulate(plain, arch, "clone3") == ERRNO | ENOSYS
    assert _emulate(admin, arch, "clone3") == ALLOW
    # ptrace: allowed from Linux 4.8 on, and with CAP_SYS_PTRACE on older kernels.
    old = resolve(profile, arch=arch, kernel="4.4")
    assert _emulate(old, arch, "ptrace") == ERRNO | EPERM
    assert _emulate(plain, arch, "ptrace") == ALLOW
    traced = resolve(profile, arch=arch, capabilities=["CAP_SYS_PTRACE"], kernel="4.4")
    assert _emulate(traced, arch, "ptrace") == ALLOW
    for name in ("read", "openat", "execve", "exit_group", "getpid"):
        assert _emulate(plain, arch, name) == ALLOW, name
    assert _emulate(plain, arch, "personality", (0,)) == ALLOW
    assert _emulate(plain, arch, "personality", (0x0040000,)) == ERRNO | EPERM


def test_runtime_default_has_the_arch_specific_rules() -> None:
    profile = _load("runtime-default")
    x86 = resolve(profile, arch="x86_64", kernel="6.1")
    arm = resolve(profile, arch="aarch64", kernel="6.1")
    names_x86 = {n for r in x86.syscalls for n in r.names}
    names_arm = {n for r in arm.syscalls for n in r.names}
    assert "arch_prctl" in names_x86
    assert "arch_prctl" not in names_arm
    assert "set_tls" in names_arm
    assert "set_tls" not in names_x86
    assert {e.architecture for e in profile.arch_map} == {sk.Arch.X86_64, sk.Arch.AARCH64}


def test_complain_logs_everything_but_the_high_risk_calls() -> None:
    profile = _load("complain")
    for arch in ("x86_64", "aarch64"):
        for name in ("kexec_load", "init_module", "mount", "unshare", "ptrace", "bpf"):
            assert _emulate(profile, arch, name) == ERRNO | EPERM, (arch, name)
        for name in ("read", "execve", "connect", "clone"):
            assert _emulate(profile, arch, name) == LOG, (arch, name)


def test_static_web_server_allows_threads_but_not_processes() -> None:
    profile = _load("static-web-server")
    clone_thread = 0x10000
    assert _emulate(profile, "x86_64", "clone", (0x3D0F00 | clone_thread,)) == ALLOW
    assert _emulate(profile, "x86_64", "clone", (0x11,)) == ERRNO | EPERM
    assert _emulate(profile, "x86_64", "clone3") == ERRNO | ENOSYS
    assert _emulate(profile, "x86_64", "connect") == ERRNO | EPERM
    assert _emulate(profile, "x86_64", "ioctl", (1, 0x5401)) == ALLOW
    assert _emulate(profile, "x86_64", "ioctl", (1, 0x5412)) == ERRNO | EPERM  # TIOCSTI
    o_rdonly, o_cloexec, o_wronly, o_creat = 0, 0x80000, 1, 0x40
    assert _emulate(profile, "x86_64", "openat", (0, 0, o_rdonly | o_cloexec)) == ALLOW
    assert _emulate(profile, "x86_64", "openat", (0, 0, o_wronly | o_creat)) == ERRNO | EPERM


@pytest.mark.parametrize("name", ["block-all", "complain", "log-all", "static-web-server"])
def test_plain_profiles_round_trip_through_a_seccompprofile(name: str) -> None:
    profile = _load(name)
    text = k8s.export_seccomp_profile(profile, name)
    (back,) = k8s.import_seccomp_profiles(text=text).resources
    assert back.profile == profile
    assert yaml.safe_load(text)["spec"]["defaultAction"] == str(profile.default_action)


def test_runtime_default_needs_resolving_before_it_becomes_a_seccompprofile() -> None:
    profile = _load("runtime-default")
    problems = k8s.spo_problems(profile)
    assert any("includes/excludes" in p for p in problems)
    host = resolve(profile, arch="x86_64", kernel="6.1")
    without_default_errno = sk.loads(
        sk.dumps(host).replace('  "defaultErrnoRet": 1,\n', ""), name="host.json"
    )
    assert k8s.spo_problems(without_default_errno) == []


# -- on the kernel -----------------------------------------------------------------------------
# Commands run through seccomp_kit.record.runner.run (the filter is loaded right before execve).
# Where a test needs the process in the background or its pid, tests/data/k8s/seccomp_exec.py
# loads the same compiled program and execs the command.


def _bpf_file(tmp_path: Path, profile: sk.Profile) -> tuple[Path, int]:
    compiled = compile_profile(profile)
    path = tmp_path / "filter.bpf"
    path.write_bytes(compiled.bpf)
    return path, compiled.load_flags


def _under(
    tmp_path: Path, profile: sk.Profile, argv: list[str]
) -> subprocess.CompletedProcess[str]:
    bpf_path, flags = _bpf_file(tmp_path, profile)
    cmd = [sys.executable, str(EXEC_HELPER), str(bpf_path), str(flags), *argv]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)


# Exits with the errno of one raw syscall with all-zero arguments (0 when it succeeded), so
# the filter's answer is the exit status.
PROBE = """
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
NR = {"x86_64": {"unshare": 272, "mount": 165}, "aarch64": {"unshare": 97, "mount": 40}}
rc = libc.syscall(NR[os.uname().machine][sys.argv[1]], 0, 0, 0, 0, 0)
sys.exit(0 if rc == 0 else ctypes.get_errno())
"""


def _probe(profile: sk.Profile, name: str) -> int:
    return run(profile, [sys.executable, "-c", PROBE, name])


@pytest.mark.kernel
def test_block_all_makes_even_true_fail() -> None:
    assert run(_load("block-all"), ["true"]) != 0
    # Unfiltered, the same command succeeds: the failure is the filter's doing.
    assert run(sk.loads('{"defaultAction": "SCMP_ACT_ALLOW"}'), ["true"]) == 0


@pytest.mark.kernel
def test_log_all_lets_commands_run_under_a_loaded_filter() -> None:
    # Seccomp mode 2 in /proc/self/status: a filter is in force, and the command ran to the end.
    script = "grep -q '^Seccomp:[[:space:]]*2$' /proc/self/status && ls / >/dev/null && exit 7"
    assert run(_load("log-all"), ["sh", "-c", script]) == 7


@pytest.mark.kernel
def test_log_all_records_every_syscall_of_the_command(tmp_path: Path) -> None:
    """The records reach the audit multicast group (no printk rate limit there)."""
    from seccomp_kit.audit import parse_line
    from seccomp_kit.audit._netlink import AuditMulticast

    bpf_path, flags = _bpf_file(tmp_path, _load("log-all"))
    cmd = [sys.executable, str(EXEC_HELPER), str(bpf_path), str(flags), "/bin/sh", "-c", "exit 3"]
    try:
        feed = AuditMulticast()
    except OSError as exc:  # pragma: no cover - needs CAP_AUDIT_READ
        pytest.skip(f"audit multicast group not readable here: {exc}")
    with feed:
        child = subprocess.Popen(cmd)
        assert child.wait(timeout=60) == 3
        names: list[str | None] = []
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < 1.0:
            lines = feed.read(0.2) or []
            if lines:
                quiet_since = time.monotonic()
            for line in lines:
                event = parse_line(line)
                if event is not None and event.pid == child.pid:
                    names.append(event.syscall)
    # Logged from the first syscall under the filter (the execve) to the last.
    assert names[0] == "execve"
    assert names[-1] == "exit_group"
    assert len(names) > 10


@pytest.mark.kernel
def test_complain_runs_commands_and_blocks_high_risk_syscalls() -> None:
    profile = _load("complain")
    assert run(profile, ["sh", "-c", "ls / >/dev/null"]) == 0
    # unshare(0) is a no-op that succeeds unfiltered; the filter answers EPERM.
    assert _probe(sk.loads('{"defaultAction": "SCMP_ACT_ALLOW"}'), "unshare") == 0
    assert _probe(profile, "unshare") == EPERM
    assert _probe(profile, "mount") == EPERM


@pytest.mark.kernel
def test_runtime_default_runs_shells_and_blocks_namespaces_without_cap_sys_admin() -> None:
    profile = _for_host(_load("runtime-default"))
    assert run(profile, ["sh", "-c", "ls / >/dev/null && echo ok >/dev/null"]) == 0
    assert run(profile, ["unshare", "--user", "true"]) != 0
    assert _probe(profile, "unshare") == EPERM
    assert _probe(profile, "mount") == EPERM
    # Threads still start: clone3 answers ENOSYS and the C library falls back to clone.
    threads = (
        "import sys, threading; ran = []; t = threading.Thread(target=ran.append, args=(1,));"
        " t.start(); t.join(); sys.exit(0 if ran else 1)"
    )
    assert run(profile, [sys.executable, "-c", threads]) == 0


@pytest.mark.kernel
def test_runtime_default_with_cap_sys_admin_allows_namespaces() -> None:
    profile = _for_host(_load("runtime-default"), ("CAP_SYS_ADMIN",))
    assert _probe(profile, "unshare") == 0
    assert _probe(profile, "mount") not in (0, EPERM)  # the kernel judges the bogus arguments


@pytest.fixture
def web_root(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<h1>served under seccomp</h1>\n")
    return site


@pytest.fixture
def static_server(tmp_path: Path, web_root: Path) -> Iterator[int]:
    """``python -m http.server`` on loopback under static-web-server.json; yields its port."""
    bpf_path, flags = _bpf_file(tmp_path, _load("static-web-server"))
    cmd = [
        sys.executable, str(EXEC_HELPER), str(bpf_path), str(flags),
        sys.executable, "-u", "-m", "http.server", "--bind", "127.0.0.1",
        "--directory", str(web_root), "0",
    ]  # fmt: skip
    server = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        ready, _, _ = select.select([server.stdout], [], [], 30)
        line = server.stdout.readline() if ready else ""
        match = re.search(r"port (\d+)", line)
        assert match, f"server did not start: {line!r} {server.stderr and server.stderr.read()}"
        yield int(match.group(1))
    finally:
        server.kill()
        server.communicate(timeout=30)


def _get(port: int, path: str) -> tuple[int, bytes]:
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as reply:
                return reply.status, reply.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except (ConnectionError, urllib.error.URLError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.mark.kernel
def test_static_web_server_serves_files_when_enforced(static_server: int) -> None:
    assert _get(static_server, "/index.html") == (200, b"<h1>served under seccomp</h1>\n")
    assert _get(static_server, "/missing.html")[0] == 404
    # Each request runs on its own thread (ThreadingHTTPServer): several in a row still work.
    for _ in range(3):
        assert _get(static_server, "/index.html")[0] == 200


OUTSIDE = """
import errno, os, socket, sys
results = []
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    results.append("connect=ok")
except OSError as exc:
    results.append(f"connect={errno.errorcode.get(exc.errno, exc.errno)}")
try:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    results.append("fork=ok")
except OSError as exc:
    results.append(f"fork={errno.errorcode.get(exc.errno, exc.errno)}")
try:
    os.mkdir(sys.argv[2])
    results.append("mkdir=ok")
except OSError as exc:
    results.append(f"mkdir={errno.errorcode.get(exc.errno, exc.errno)}")
try:
    open(sys.argv[2], "w").close()
    results.append("create=ok")
except OSError as exc:
    results.append(f"create={errno.errorcode.get(exc.errno, exc.errno)}")
with open(sys.argv[3]) as fh:
    results.append("read=ok" if fh.read() else "read=empty")
print(" ".join(results))
"""


@pytest.mark.kernel
def test_static_web_server_blocks_what_a_static_server_never_needs(
    tmp_path: Path, web_root: Path, static_server: int
) -> None:
    with socket.create_connection(("127.0.0.1", static_server), timeout=5):
        pass  # reachable unfiltered, so a refusal below is the filter's
    target = tmp_path / "made-by-server"
    done = _under(
        tmp_path,
        _load("static-web-server"),
        [
            sys.executable,
            "-c",
            OUTSIDE,
            str(static_server),
            str(target),
            str(web_root / "index.html"),
        ],
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [
        "connect=EPERM",
        "fork=EPERM",
        "mkdir=EPERM",
        "create=EPERM",
        "read=ok",
    ]
    assert not target.exists()
