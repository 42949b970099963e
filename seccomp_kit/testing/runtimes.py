"""Real OCI runtimes for the conformance suite: start containers, read back the loaded filters.

Standard library only (it is also executed as a script: the ``createRuntime`` hook and its
tracer, see below), Linux x86_64 only, needs root. ``tools/runtimes.sh`` installs what it uses.

Builds (:func:`available_builds`)
    * the host's own (Debian 12) ``runc`` and ``crun`` from ``$PATH``;
    * Debian 13 ("trixie") ``runc`` and ``crun`` from the mmdebstrap chroot at
      ``$SECCOMP_KIT_TRIXIE_ROOT`` (default ``/var/cache/seccomp-kit/trixie``). They need trixie's
      libc, and run without ``chroot``, so bundle paths work unchanged: crun through the
      chroot's dynamic loader (``ld-linux-x86-64.so.2 --library-path ... crun``); runc cannot,
      because it re-executes ``/proc/self/exe init``, which would be the loader, which then
      takes ``init`` for the program to load ("init: error while loading shared libraries").
      ``tools/runtimes.sh`` therefore keeps a copy of trixie's runc whose ELF interpreter is the
      chroot's loader and whose DT_RPATH is the chroot's library dirs (patchelf).

The libseccomp a build uses: runc prints it (``libseccomp: X`` in ``--version``); crun does not,
so it is read from the file name the loader resolves ``libseccomp.so.2`` to
(``libseccomp.so.2.5.4``).

Reading back what a runtime loaded (:func:`loaded_filters`)
    The bundle's ``config.json`` carries a ``createRuntime`` hook: this file, run with
    ``sys.executable -I -S``. Both runtimes run createRuntime hooks in the runtime's namespaces
    while the container's init (state ``pid``) waits on its sync pipe, before it loads the
    seccomp filter, and wait for the hook to exit before letting it go on; so the filter is
    loaded after the hook has returned and the hook cannot be the tracer itself. (Measured for
    all four builds: with ``trace_syscalls`` the tracer, attached from the hook, sees the init's
    ``seccomp()`` call; runc and crun load exactly one filter for the profiles tried, with
    ``noNewPrivileges`` true or false.) The hook forks a tracer (new session, stdio on
    ``/dev/null``: runc waits for the hook's stdout/stderr pipes to close, so a tracer holding
    them would deadlock it), which seizes (``PTRACE_SEIZE``) the init with ``PTRACE_O_TRACEEXEC |
    PTRACE_O_TRACEEXIT`` and reports success through a pipe; only then does the hook exit 0. The
    tracer passes every signal through (Go's runtime in ``runc init`` preempts with SIGURG) until
    the init stops at its ``execve`` of the user process (or at its exit: the runtime gave up
    after or without loading a filter, or the filter denied ``execve``), reads every filter with
    ``PTRACE_SECCOMP_GET_FILTER`` and its flags with ``PTRACE_SECCOMP_GET_METADATA``, writes
    them as JSON into the bundle and detaches; the runtime then finishes as usual.
    Only the init's main thread is traced: ``runc init`` runs with ``runtime.LockOSThread`` on
    its main thread and execs from it; crun's init is single-threaded. The tracer is root in the
    initial user namespace, which covers runc init's ``PR_SET_DUMPABLE 0`` (a Yama
    ``ptrace_scope`` of 3 would forbid the attach). ``PTRACE_SECCOMP_GET_FILTER`` needs
    ``CONFIG_CHECKPOINT_RESTORE`` and a tracer that is itself not under seccomp.
    A task killed by seccomp (``SECCOMP_RET_KILL_*``) is marked ``SECCOMP_MODE_DEAD`` and
    ``PTRACE_SECCOMP_GET_FILTER`` then fails with EINVAL even at its exit stop; with
    ``trace_syscalls=True`` the tracer also stops at every syscall and snapshots the filters
    after each ``seccomp()``/``prctl(PR_SET_SECCOMP)``, which covers that case (~30 ms more).

    Filter order is the kernel's: index 0 is what ``PTRACE_SECCOMP_GET_FILTER`` returns for
    ``addr=0``, which (contrary to ptrace(2), see :func:`_read_filters`) is the OLDEST filter
    the task has; the last one is the most recently installed.

Quirks
    * crun (1.8.1 and 1.21) on a hybrid cgroup layout (v1 controllers plus cgroup2 at
      ``/sys/fs/cgroup/unified``) prints "cgroups in hybrid mode not supported, drop all
      controllers from cgroupv2" and exits 1. Every crun call therefore runs as ``unshare -m sh
      -c 'umount /sys/fs/cgroup/unified; exec crun ...'`` when that mount exists. runc needs
      nothing.
    * Every call gets a private ``--root`` state dir and a unique container id; after the
      runtime returns, ``delete -f`` runs if the state dir still holds a container, and on a
      timeout the runtime's process group and the tracer are killed first.
    * Both runtimes run with ``--debug --log-format=json``: crun (1.8.1 and 1.21) prints its
      "unknown seccomp syscall `mseal` ignored" warnings only at that verbosity (1.8.1 has no
      ``--log-level``), runc logs ``unknown seccomp syscall "mseal" ignored`` at debug level.
      The container's stdout/stderr are the runtime's: ``stderr`` holds the runtime's JSON log
      lines (parsed into ``messages``/``warnings``/``error``) and the container's own output
      (``container_stderr``).

Why one file of this length: the file is also the ``createRuntime`` hook and its tracer,
executed as a script with the standard library only, so it cannot import a sibling module.
"""

from __future__ import annotations

# The createRuntime hook runs this file as a script (``python -I -S runtimes.py --hook ...``) and
# the runtime waits for it: the hook and tracer come first, with cheap imports only, and the
# script exits before the heavier imports below (about 100 ms less per container).
# ruff: noqa: E402
import contextlib
import ctypes
import itertools
import json
import os
import signal
import struct
import sys
from typing import Any

# --- the hook and its tracer (run as a script by the runtime) ---------------------------------

_PTRACE_CONT = 7
_PTRACE_SYSCALL = 24
_PTRACE_GETEVENTMSG = 0x4201
_PTRACE_INTERRUPT = 0x4207
_PTRACE_GET_SYSCALL_INFO = 0x420E
_PTRACE_O_TRACESYSGOOD = 0x1
_NR_PRCTL = 157  # x86_64
_NR_SECCOMP = 317
_PR_SET_SECCOMP = 22
_PTRACE_DETACH = 17
_PTRACE_SEIZE = 0x4206
_PTRACE_SECCOMP_GET_FILTER = 0x420C
_PTRACE_SECCOMP_GET_METADATA = 0x420D
_PTRACE_O_TRACEEXEC = 0x10
_PTRACE_O_TRACEEXIT = 0x40
_PTRACE_EVENT_EXEC = 4
_PTRACE_EVENT_EXIT = 6
_PTRACE_EVENT_STOP = 128
_WALL = 0x40000000
_SYS_PTRACE = 101  # x86_64


class _Ptrace:
    """ptrace(2) through syscall(2), raising OSError."""

    def __init__(self) -> None:
        self.libc = ctypes.CDLL(None, use_errno=True)

    def __call__(self, request: int, pid: int, addr: int, data: int) -> int:
        fn = self.libc.syscall
        fn.restype = ctypes.c_long
        res = int(
            fn(
                ctypes.c_long(_SYS_PTRACE),
                ctypes.c_long(request),
                ctypes.c_long(pid),
                ctypes.c_void_p(addr),
                ctypes.c_void_p(data),
            )
        )
        if res == -1:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))
        return res


def _read_filters(ptrace: _Ptrace, pid: int) -> list[dict[str, Any]]:
    """Every filter of the stopped tracee, in the order of ``addr`` = 0, 1, ...

    Linux's get_nth_filter() counts ``addr`` from the oldest filter (it walks ``count - addr - 1``
    steps back from the newest), although ptrace(2) says index 0 is the most recent one.
    """
    out: list[dict[str, Any]] = []
    for index in itertools.count():
        try:
            count = ptrace(_PTRACE_SECCOMP_GET_FILTER, pid, index, 0)
        except OSError as e:
            if e.errno == 2 or (e.errno == 22 and index == 0):  # ENOENT: no more; EINVAL: none
                break
            raise
        buf = ctypes.create_string_buffer(count * 8)
        got = ptrace(_PTRACE_SECCOMP_GET_FILTER, pid, index, ctypes.addressof(buf))
        meta = (ctypes.c_uint64 * 2)(index, 0)
        ptrace(_PTRACE_SECCOMP_GET_METADATA, pid, ctypes.sizeof(meta), ctypes.addressof(meta))
        out.append({"bpf_hex": buf.raw[: got * 8].hex(), "flags": int(meta[1])})
    return out


def _write_json(path: str, data: Mapping[str, Any]) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f)
    os.replace(tmp, path)


_HOOK_MODES = ("exec", "syscalls", "loaded")


def _syscall_stop(ptrace: _Ptrace, pid: int) -> tuple[int, int, int]:
    """``(op, nr, arg0)`` of a syscall-stop (op 1: entry, 2: exit; nr/arg0 only at entry)."""
    info = ctypes.create_string_buffer(88)
    ptrace(_PTRACE_GET_SYSCALL_INFO, pid, len(info), ctypes.addressof(info))
    op = info.raw[0]
    nr, arg0 = struct.unpack_from("=QQ", info.raw, 24)
    return op, nr, arg0


def _trace(
    pid: int, result: str, ready: int, deadline: float, syscalls: bool, *, stop: bool = False
) -> None:
    ptrace = _Ptrace()
    options = _PTRACE_O_TRACEEXEC | _PTRACE_O_TRACEEXIT
    if syscalls:
        options |= _PTRACE_O_TRACESYSGOOD
    resume = _PTRACE_SYSCALL if syscalls else _PTRACE_CONT
    try:
        ptrace(_PTRACE_SEIZE, pid, 0, options)
        if syscalls:  # a seized tracee runs on: stop it once to start syscall tracing
            ptrace(_PTRACE_INTERRUPT, pid, 0, 0)
    except OSError as e:
        _write_json(result, {"error": f"PTRACE_SEIZE {pid}: {e}"})
        os.write(ready, f"PTRACE_SEIZE {pid}: {e}\n".encode())
        return
    os.write(ready, b"ok\n")
    os.close(ready)
    signal.alarm(max(1, int(deadline)))  # dying detaches
    snapshot: list[dict[str, Any]] = []
    entered = (-1, -1)
    while True:
        try:
            _, status = os.waitpid(pid, _WALL)
        except ChildProcessError:
            _write_json(result, {"error": f"lost the tracee {pid}"})
            return
        if not os.WIFSTOPPED(status):
            _write_json(result, {"event": "gone", "filters": snapshot})
            return
        sig, event = os.WSTOPSIG(status), status >> 16
        if sig == signal.SIGTRAP | 0x80:
            op, nr, arg0 = _syscall_stop(ptrace, pid)
            if op == 1:
                entered = (nr, arg0)
            elif op == 2 and entered in ((_NR_SECCOMP, 1), (_NR_PRCTL, _PR_SET_SECCOMP)):
                snapshot = _read_filters(ptrace, pid)
                if stop and snapshot:
                    # Loaded: nothing after this matters, and a profile that denies what the
                    # init needs next could keep the runtime waiting: end the init here.
                    _write_json(result, {"event": "loaded", "filters": snapshot})
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
                    return
            with contextlib.suppress(OSError):
                ptrace(resume, pid, 0, 0)
            continue
        if sig == signal.SIGTRAP and event in (_PTRACE_EVENT_EXEC, _PTRACE_EVENT_EXIT):
            name = "exec"
            if event == _PTRACE_EVENT_EXIT:
                msg = ctypes.c_ulong(0)
                ptrace(_PTRACE_GETEVENTMSG, pid, 0, ctypes.addressof(msg))
                code = int(msg.value)
                killed = os.WIFSIGNALED(code) and os.WTERMSIG(code) == signal.SIGSYS
                name = "killed" if killed else "exit"
            try:
                # After a seccomp kill the task's mode is SECCOMP_MODE_DEAD: EINVAL, nothing to
                # read any more; the syscall-stop snapshot (if any) is all there is.
                filters = _read_filters(ptrace, pid) if name != "killed" else snapshot
            except OSError as e:
                _write_json(result, {"error": f"PTRACE_SECCOMP_GET_FILTER: {e}"})
            else:
                _write_json(result, {"event": name, "filters": filters})
            with contextlib.suppress(OSError):
                ptrace(_PTRACE_DETACH, pid, 0, 0)
            return
        inject = 0 if event == _PTRACE_EVENT_STOP or sig == signal.SIGTRAP else sig
        with contextlib.suppress(OSError):
            ptrace(resume, pid, 0, inject)


def _hook_main(result: str, mode: str) -> int:
    state = json.load(sys.stdin)
    pid = int(state["pid"])
    r, w = os.pipe()
    child = os.fork()
    if child == 0:  # the tracer: outlives the hook, holds none of the runtime's pipes
        code = 0
        try:
            os.close(r)
            os.setsid()
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            pidfile = result + ".pid"
            with open(pidfile, "w", encoding="ascii") as f:
                f.write(str(os.getpid()))
            try:
                _trace(pid, result, w, deadline=60, syscalls=mode != "exec", stop=mode == "loaded")
            finally:
                with contextlib.suppress(OSError):
                    os.unlink(pidfile)
        except BaseException:
            code = 1
        os._exit(code)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        answer = f.read().decode()
    if answer.strip() != "ok":
        sys.stderr.write(f"seccomp-kit hook: {answer or 'tracer died'}\n")
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--hook" and sys.argv[3] in _HOOK_MODES:
        sys.exit(_hook_main(sys.argv[2], sys.argv[3]))
    sys.exit(f"usage: {sys.argv[0]} --hook RESULT.json exec|syscalls|loaded (createRuntime hook)")


import functools
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ContainerRun",
    "LoadedFilter",
    "LoadedFilters",
    "ReadbackError",
    "RuntimeBuild",
    "RuntimeMessage",
    "RuntimeSession",
    "available_builds",
    "loaded_filters",
    "run_in_container",
    "trixie_root",
]

DEFAULT_TRIXIE_ROOT = "/var/cache/seccomp-kit/trixie"
BUSYBOX = "/bin/busybox"
_HYBRID_CGROUP2 = "/sys/fs/cgroup/unified"
_RESULT_NAME = "seccomp-kit-filters.json"
_BUSYBOX_LINKS = ("sh", "true", "false", "cat", "echo", "ls", "sleep", "id", "env")


class ReadbackError(RuntimeError):
    """The read-back machinery itself failed (not the runtime refusing a profile)."""


# --- builds -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuntimeBuild:
    """One runtime binary and how to invoke it.

    ``argv`` is the prefix to run it (without the cgroup workaround, which :meth:`command`
    adds); ``origin`` is ``"host"`` (this Debian 12) or ``"trixie"``.
    """

    name: str
    version: str
    libseccomp: str
    argv: tuple[str, ...]
    origin: str
    binary: str

    @property
    def id(self) -> str:
        """A short label, e.g. ``runc-1.1.5+ds1``, for test ids."""
        return f"{self.name}-{self.version}"

    def command(self, *args: str) -> list[str]:
        """The full argv to run the runtime with ``args``: with ``--debug --log-format=json``
        (crun prints warnings such as "unknown seccomp syscall ignored" only so; runc logs its
        dropped names at debug level), crun in a private mount namespace without the hybrid
        layout's cgroup2 mount."""
        argv = [*self.argv, "--debug", "--log-format=json", *args]
        if self.name == "crun" and os.path.ismount(_HYBRID_CGROUP2):
            script = f'umount {_HYBRID_CGROUP2} 2>/dev/null; exec "$@"'
            return [
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "sh",
                "-c",
                script,
                "sh",
                *argv,
            ]
        return argv


def trixie_root() -> Path:
    """Where ``tools/runtimes.sh`` builds the Debian 13 chroot."""
    return Path(os.environ.get("SECCOMP_KIT_TRIXIE_ROOT") or DEFAULT_TRIXIE_ROOT)


def _output(argv: Sequence[str]) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    return proc.stdout + proc.stderr


def _version_of(name: str, argv: Sequence[str]) -> tuple[str, str | None]:
    text = _output([*argv, "--version"])
    found = re.search(rf"^{name} version (\S+)", text, re.MULTILINE)
    if found is None:
        raise ReadbackError(f"cannot parse the version of {' '.join(argv)}: {text!r}")
    lib = re.search(r"^libseccomp: (\S+)", text, re.MULTILINE)
    return found.group(1), lib.group(1) if lib else None


def _linked_libseccomp(listing: str) -> str:
    found = re.search(r"libseccomp\.so\.\d+ => (\S+)", listing)
    if found is None:
        raise ReadbackError(f"no libseccomp in the loader's listing: {listing!r}")
    real = os.path.basename(os.path.realpath(found.group(1)))
    version = re.fullmatch(r"libseccomp\.so\.(\d+\.\d+\.\d+)", real)
    if version is None:
        raise ReadbackError(f"cannot tell libseccomp's version from {real!r}")
    return version.group(1)


def _make_build(
    name: str, argv: tuple[str, ...], origin: str, binary: str, listing: Sequence[str]
) -> RuntimeBuild:
    version, lib = _version_of(name, argv)
    if lib is None:
        lib = _linked_libseccomp(_output(listing))
    return RuntimeBuild(name, version, lib, argv, origin, binary)


@functools.cache
def _builds(root: str) -> tuple[RuntimeBuild, ...]:
    builds: list[RuntimeBuild] = []
    for name in ("runc", "crun"):
        path = shutil.which(name)
        if path is not None:
            builds.append(_make_build(name, (path,), "host", path, ["ldd", path]))
    loader = os.path.join(root, "lib64/ld-linux-x86-64.so.2")
    libs = f"{root}/usr/lib/x86_64-linux-gnu:{root}/lib/x86_64-linux-gnu"
    runc = os.path.join(root, ".seccomp-kit/bin/runc")
    if os.access(runc, os.X_OK):
        builds.append(_make_build("runc", (runc,), "trixie", runc, [runc, "--version"]))
    crun = os.path.join(root, "usr/bin/crun")
    if os.access(crun, os.X_OK) and os.access(loader, os.X_OK):
        argv = (loader, "--library-path", libs, crun)
        builds.append(
            _make_build(
                "crun", argv, "trixie", crun, [loader, "--list", "--library-path", libs, crun]
            )
        )
    return tuple(builds)


def available_builds() -> list[RuntimeBuild]:
    """The runtimes present here: host runc/crun, then trixie runc/crun if the chroot exists."""
    return list(_builds(str(trixie_root())))


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedFilter:
    """One filter as the kernel holds it: raw ``struct sock_filter`` array, host byte order."""

    bpf: bytes
    flags: int

    @property
    def instructions(self) -> list[tuple[int, int, int, int]]:
        """``(code, jt, jf, k)`` per instruction."""
        return [struct.unpack_from("=HBBI", self.bpf, i) for i in range(0, len(self.bpf), 8)]

    @property
    def return_values(self) -> set[int]:
        """The ``k`` of every ``BPF_RET|BPF_K`` instruction (the actions it can return)."""
        return {k for code, _, _, k in self.instructions if code == 0x06}


@dataclass(frozen=True)
class RuntimeMessage:
    """One line of the runtime's own log (both run with ``--debug --log-format=json``)."""

    level: str
    msg: str


def _split_stderr(stderr: str) -> tuple[tuple[RuntimeMessage, ...], str]:
    """The runtime's JSON log lines, and the rest (the container's own stderr)."""
    messages: list[RuntimeMessage] = []
    rest: list[str] = []
    for line in stderr.splitlines(keepends=True):
        try:
            obj = json.loads(line) if line.startswith("{") else None
        except ValueError:
            obj = None
        if isinstance(obj, dict) and isinstance(obj.get("msg"), str) and "level" in obj:
            messages.append(RuntimeMessage(str(obj["level"]), obj["msg"]))
        else:
            rest.append(line)
    return tuple(messages), "".join(rest)


@dataclass(frozen=True)
class _Outcome:
    build: RuntimeBuild
    exit_status: int
    stderr: str
    seconds: float

    @property
    def messages(self) -> tuple[RuntimeMessage, ...]:
        """The runtime's log lines (runc's debug lines included)."""
        return _split_stderr(self.stderr)[0]

    @property
    def warnings(self) -> list[str]:
        """The runtime's warnings, e.g. crun's "unknown seccomp syscall `mseal` ignored"."""
        return [m.msg for m in self.messages if m.level in ("warning", "warn")]

    @property
    def container_stderr(self) -> str:
        """``stderr`` without the runtime's log lines."""
        return _split_stderr(self.stderr)[1]

    @property
    def error(self) -> str | None:
        """The runtime's last error message when the exit status is not 0, else None."""
        if self.exit_status == 0:
            return None
        errors = [m.msg for m in self.messages if m.level in ("error", "fatal")]
        if errors:
            return errors[-1]
        lines = [line for line in self.container_stderr.splitlines() if line.strip()]
        return lines[-1] if lines else ""


@dataclass(frozen=True)
class LoadedFilters(_Outcome):
    """What one runtime did with one profile.

    ``filters``: as the kernel reports them, index 0 first (the oldest). ``event`` is where the
    tracer caught the init: ``"exec"`` (the user process is starting), ``"exit"`` (the init
    exited without exec), ``"killed"`` (killed by seccomp's SIGSYS before exec: the kernel no
    longer reports its filters, ``filters`` is then the snapshot taken after the last
    ``seccomp()``/``prctl(PR_SET_SECCOMP)``, empty without ``trace_syscalls``), ``"gone"``, or
    ``"none"`` (no hook ran: the runtime refused the config before creating the container).
    ``stderr`` is the runtime's stderr as it was (its JSON log lines and the container's
    stderr).
    """

    filters: tuple[LoadedFilter, ...]
    event: str

    @property
    def refused(self) -> bool:
        """The runtime failed without loading any filter (and the init was not killed)."""
        return self.exit_status != 0 and not self.filters and self.event != "killed"


@dataclass(frozen=True)
class ContainerRun(_Outcome):
    """A command's outcome in a container: ``exit_status`` is the runtime's (the command's own
    status, 128 + signal when it was killed, or 1 when the runtime failed: see ``error``);
    ``stdout`` is the command's."""

    stdout: bytes


# --- bundles and runs -------------------------------------------------------------------------


def _spec(
    args: Sequence[str],
    seccomp: Mapping[str, Any] | None,
    *,
    no_new_privileges: bool,
    env: Sequence[str],
    hook: Sequence[str] | None,
    capabilities: Sequence[str] = (),
) -> dict[str, Any]:
    caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", *capabilities]
    linux: dict[str, Any] = {
        "namespaces": [{"type": t} for t in ("pid", "ipc", "uts", "mount", "network")],
        "maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"],
        "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
    }
    if seccomp is not None:
        linux["seccomp"] = dict(seccomp)
    spec: dict[str, Any] = {
        "ociVersion": "1.0.2",
        "process": {
            "terminal": False,
            "user": {"uid": 0, "gid": 0},
            "args": list(args),
            "env": ["PATH=/bin", "HOME=/", *env],
            "cwd": "/",
            "capabilities": dict.fromkeys(("bounding", "effective", "permitted"), caps),
            "noNewPrivileges": no_new_privileges,
        },
        "root": {"path": "rootfs", "readonly": True},
        "hostname": "seccomp-kit",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {
                "destination": "/dev",
                "type": "tmpfs",
                "source": "tmpfs",
                "options": ["nosuid", "strictatime", "mode=755", "size=65536k"],
            },
            {
                "destination": "/tmp",
                "type": "tmpfs",
                "source": "tmpfs",
                "options": ["nosuid", "nodev", "mode=1777", "size=65536k"],
            },
        ],
        "linux": linux,
    }
    if hook is not None:
        spec["hooks"] = {"createRuntime": [{"path": hook[0], "args": list(hook), "timeout": 30}]}
    return spec


def _make_rootfs(rootfs: Path, extra: Mapping[str, bytes | str | os.PathLike[str]]) -> None:
    (rootfs / "bin").mkdir(parents=True)
    for d in ("proc", "dev", "tmp", "sys", "etc"):
        (rootfs / d).mkdir()
    shutil.copy2(BUSYBOX, rootfs / "bin/busybox")
    for name in _BUSYBOX_LINKS:
        (rootfs / "bin" / name).symlink_to("busybox")
    for dest, content in extra.items():
        target = rootfs / dest.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
            target.chmod(0o755)
        else:
            shutil.copy2(content, target)


_counter = itertools.count()


class RuntimeSession:
    """A bundle dir (busybox rootfs built once) and a state dir, reused for many runs.

    Use as a context manager; the directories are removed on exit. One run at a time.
    """

    def __init__(
        self,
        build: RuntimeBuild,
        *,
        rootfs_extra: Mapping[str, bytes | str | os.PathLike[str]] | None = None,
        timeout: float = 20.0,
    ) -> None:
        if not os.path.exists(BUSYBOX):
            raise ReadbackError(f"{BUSYBOX} is missing: run tools/runtimes.sh (busybox-static)")
        self.build = build
        self.timeout = timeout
        self._dir = Path(tempfile.mkdtemp(prefix="seccomp-kit-bundle-"))
        self.bundle = self._dir / "bundle"
        self.state = self._dir / "state"
        self.bundle.mkdir()
        self.state.mkdir()
        _make_rootfs(self.bundle / "rootfs", rootfs_extra or {})

    def __enter__(self) -> RuntimeSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove the directories (after deleting any container left in the state dir)."""
        if self.state.is_dir():
            for cid in os.listdir(self.state):
                self._delete(cid)
        shutil.rmtree(self._dir, ignore_errors=True)

    def _delete(self, cid: str) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            subprocess.run(
                self.build.command("--root", str(self.state), "delete", "-f", cid),
                capture_output=True,
                timeout=30,
                check=False,
            )

    def _run(self, spec: dict[str, Any], extra_kill: Path | None = None) -> tuple[int, bytes, str]:
        cid = f"sk-{os.getpid()}-{next(_counter)}"
        (self.bundle / "config.json").write_text(json.dumps(spec), encoding="utf-8")
        argv = self.build.command(
            "--root", str(self.state), "run", "--bundle", str(self.bundle), cid
        )
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            out, err = proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            _kill_pidfile(extra_kill)
            subprocess.run(
                self.build.command("--root", str(self.state), "kill", cid, "KILL"),
                capture_output=True,
                timeout=30,
                check=False,
            )
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            self._delete(cid)
            raise ReadbackError(f"{self.build.id} did not finish within {self.timeout} s") from None
        finally:
            _kill_pidfile(extra_kill)
            if (self.state / cid).exists():
                self._delete(cid)
            self._forget_cache()
        return proc.returncode, out, err.decode("utf-8", "replace")

    def _forget_cache(self) -> None:
        """Empty the state dir. crun (from 1.9) caches compiled filters there, keyed by a hash
        of the profile that leaves out each rule's errnoRet and joins names without separators:
        a later profile that differs only there would load the earlier filter. A node keeps
        that cache too; each of our runs must see what a fresh node does."""
        for child in self.state.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)

    def loaded_filters(
        self,
        seccomp: Mapping[str, Any],
        *,
        args: Sequence[str] = ("/bin/true",),
        no_new_privileges: bool = True,
        trace_syscalls: bool = False,
        stop_after_load: bool = False,
    ) -> LoadedFilters:
        """Run ``args`` under ``seccomp`` and return the filters the runtime loaded.

        ``stop_after_load``: read the filters as soon as the init has loaded one, then kill the
        init (event ``"loaded"``); for profiles that deny what the runtime's init needs next
        (the conformance suite compares filters, not what the container does).

        ``trace_syscalls``: also stop the init at every syscall after the hook and snapshot its
        filters after each ``seccomp()``/``prctl(PR_SET_SECCOMP)``: the only way to see them when
        the profile kills the init before its ``execve`` (slower)."""
        result = self.bundle / _RESULT_NAME
        pidfile = self.bundle / (_RESULT_NAME + ".pid")
        for p in (result, pidfile):
            p.unlink(missing_ok=True)
        hook = [
            sys.executable,
            "-I",
            "-S",
            os.path.abspath(__file__),
            "--hook",
            str(result),
            "loaded" if stop_after_load else "syscalls" if trace_syscalls else "exec",
        ]
        spec = _spec(args, seccomp, no_new_privileges=no_new_privileges, env=(), hook=hook)
        start = time.monotonic()
        status, _, stderr = self._run(spec, extra_kill=pidfile)
        seconds = time.monotonic() - start
        if not result.exists():
            if status == 0:
                raise ReadbackError(f"{self.build.id} ran but the hook wrote nothing: {stderr}")
            return LoadedFilters(self.build, status, stderr, seconds, (), "none")
        data = json.loads(result.read_text(encoding="utf-8"))
        if data.get("error"):
            raise ReadbackError(f"{self.build.id}: tracer failed: {data['error']}; {stderr}")
        filters = tuple(
            LoadedFilter(bytes.fromhex(f["bpf_hex"]), int(f["flags"])) for f in data["filters"]
        )
        return LoadedFilters(self.build, status, stderr, seconds, filters, str(data["event"]))

    def run(
        self,
        seccomp: Mapping[str, Any] | None,
        argv: Sequence[str],
        *,
        no_new_privileges: bool = True,
        env: Sequence[str] = (),
        capabilities: Sequence[str] = (),
    ) -> ContainerRun:
        """Run ``argv`` in a container under ``seccomp`` (None: no ``linux.seccomp``), with
        ``capabilities`` (e.g. ``CAP_NET_ADMIN``) besides the few every container gets."""
        spec = _spec(
            argv,
            seccomp,
            no_new_privileges=no_new_privileges,
            env=env,
            hook=None,
            capabilities=capabilities,
        )
        start = time.monotonic()
        status, out, err = self._run(spec)
        return ContainerRun(self.build, status, err, time.monotonic() - start, out)


def _kill_pidfile(pidfile: Path | None) -> None:
    if pidfile is None:
        return
    with contextlib.suppress(OSError, ValueError):
        pid = int(pidfile.read_text(encoding="ascii"))
        pidfile.unlink()
        # Only our tracer writes this file; it removes it itself when it is done.
        os.kill(pid, signal.SIGKILL)


def loaded_filters(
    build: RuntimeBuild,
    seccomp: Mapping[str, Any],
    *,
    timeout: float = 20.0,
    args: Sequence[str] = ("/bin/true",),
    no_new_privileges: bool = True,
    trace_syscalls: bool = False,
    stop_after_load: bool = False,
) -> LoadedFilters:
    """Start ``args`` in a container of ``build`` with ``linux.seccomp = seccomp``; return the
    filters it loaded, or its refusal. For many profiles use one :class:`RuntimeSession`."""
    with RuntimeSession(build, timeout=timeout) as session:
        return session.loaded_filters(
            seccomp,
            args=args,
            no_new_privileges=no_new_privileges,
            trace_syscalls=trace_syscalls,
            stop_after_load=stop_after_load,
        )


def run_in_container(
    build: RuntimeBuild,
    seccomp: Mapping[str, Any] | None,
    argv: Sequence[str],
    *,
    rootfs_extra: Mapping[str, bytes | str | os.PathLike[str]] | None = None,
    timeout: float = 20.0,
    no_new_privileges: bool = True,
    env: Sequence[str] = (),
    capabilities: Sequence[str] = (),
) -> ContainerRun:
    """Run ``argv`` in a busybox container (plus ``rootfs_extra``: container path -> bytes, made
    executable, or a host file to copy) under ``seccomp``, with ``capabilities`` besides the
    default few."""
    with RuntimeSession(build, rootfs_extra=rootfs_extra, timeout=timeout) as session:
        return session.run(
            seccomp,
            argv,
            no_new_privileges=no_new_privileges,
            env=env,
            capabilities=capabilities,
        )
