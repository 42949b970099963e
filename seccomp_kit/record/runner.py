"""Running a command (or a Python callable) under a profile, and reporting what it blocked.

The child sets no_new_privs and loads the compiled filter (with the runtime's load flags) as
the last step before ``execve``, as runc does, so the command runs under exactly the filter a
container would get.

How blocked syscalls are found (``report=True``): the filter is loaded unchanged except for
``SECCOMP_FILTER_FLAG_LOG``, which makes the kernel write an audit record for every action
other than ALLOW that ``/proc/sys/kernel/seccomp/actions_logged`` lists (all of them by
default); KILL actions are logged even without the flag. The records are read from the audit
netlink multicast group (every record, no rate limit, needs CAP_AUDIT_READ) and told apart from
other processes' by audit session: before loading the filter the child writes its login uid to
``/proc/self/loginuid``, which starts a fresh session that everything it forks inherits.
Nothing about the filter's decisions changes, so the report is what the profile blocked in
this run. Records of ``SCMP_ACT_LOG`` are not blocks and are not counted. Without CAP_AUDIT_READ
(or when loginuid cannot be written) a report is refused rather than guessed. A side effect
worth knowing: without auditd the kernel also prints these records to its log (rate-limited).
"""

from __future__ import annotations

import contextlib
import ctypes
import mmap
import os
import pickle
import shutil
import signal
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, Literal, overload

import attrs

from seccomp_kit.bpf._load import Prepared, set_no_new_privs
from seccomp_kit.errors import InputError, SeccompKitError
from seccomp_kit.io import ProfileSource, as_profile
from seccomp_kit.libseccomp.compile import (
    FILTER_FLAG_LOG,
    FILTER_FLAG_NEW_LISTENER,
    compile_profile,
)
from seccomp_kit.model import Action, Arch, Profile
from seccomp_kit.record._process import Watchdog, forwarded_signals, terminal_for, wait_workload
from seccomp_kit.syscalls.arches import native_arch

__all__ = ["Blocked", "RunReport", "run", "run_callable"]

_SECCOMP_RECORD = 1326  # AUDIT_SECCOMP
_NOT_BLOCKED = {0x7FFF_0000, 0x7FFC_0000}  # ALLOW, LOG


@attrs.frozen
class Blocked:
    """A syscall the profile blocked, how often, and with which action."""

    name: str | None
    number: int
    arch: Arch
    action: Action | None
    """The action (audit records carry no errno or other data bits)."""
    count: int

    def __str__(self) -> str:
        name = self.name or "?"
        action = self.action.value if self.action is not None else "?"
        return f"{name} ({self.number}, {self.arch.value}): {action} x{self.count}"


@attrs.frozen
class RunReport:
    """The exit status (shell style: 128 + signal for a signal) and what was blocked."""

    status: int
    blocked: tuple[Blocked, ...]
    session: int | None
    overruns: int = 0
    """Times the audit socket overflowed: records were lost, the report may be short."""
    reason: str = ""
    """How the command ended and why (a forwarded signal, the timeout, on its own)."""


class _Audit:
    """Audit records of one session, read while the child runs."""

    def __init__(self) -> None:
        from seccomp_kit.audit._netlink import AuditMulticast

        try:
            self.source = AuditMulticast()
        except OSError as exc:
            raise SeccompKitError(
                "reporting blocked syscalls reads the audit netlink multicast group, which"
                f" needs CAP_AUDIT_READ (run as root): {exc.strerror or exc}"
            ) from exc
        self.lines: list[bytes] = []

    def pump(self, timeout: float) -> int:
        got = self.source.read(timeout) or []
        self.lines += [line for line in got if line.startswith(b"type=%d " % _SECCOMP_RECORD)]
        return len(got)

    def blocked(self, session: int | None, pid: int) -> tuple[Blocked, ...]:
        from seccomp_kit.audit import parse_line

        counts: Counter[tuple[str | None, int, Arch, Action | None]] = Counter()
        for line in self.lines:
            event = parse_line(line)
            if event is None or event.code & 0xFFFF_0000 in _NOT_BLOCKED:
                continue
            if (event.ses if session is not None else event.pid) != (session or pid):
                continue
            counts[(event.syscall, event.syscall_nr, event.arch, event.action)] += 1
        return tuple(
            Blocked(name, nr, arch, code, n)
            for (name, nr, arch, code), n in sorted(
                counts.items(), key=lambda item: (-item[1], item[0][1])
            )
        )

    def close(self) -> None:
        self.source.close()


def _new_session() -> int:
    """Start a fresh audit session for this process (see the module notes)."""
    with open("/proc/self/loginuid") as f:
        loginuid = int(f.read().strip() or "4294967295")
    if loginuid == 0xFFFF_FFFF:
        loginuid = os.getuid()
    with open("/proc/self/loginuid", "w") as f:
        f.write(str(loginuid))
    with open("/proc/self/sessionid") as f:
        return int(f.read().strip())


def _status(wait_status: int) -> int:
    if os.WIFSIGNALED(wait_status):
        return 128 + os.WTERMSIG(wait_status)
    return os.waitstatus_to_exitcode(wait_status)


def for_this_host(profile: Profile, capabilities: Sequence[str] = ()) -> Profile:
    """``profile`` as a container engine hands it to the runtime on this machine: moby's
    ``includes``/``excludes`` resolved for this architecture and kernel and the container's
    ``capabilities`` (none by default). Plain profiles come back unchanged."""
    if not any(r.includes or r.excludes for r in profile.syscalls):
        return profile
    from seccomp_kit.algebra.resolving import resolve

    return resolve(
        profile, arch=native_arch(), capabilities=capabilities, kernel=os.uname().release
    )


__all__ += ["for_this_host"]


def _prepare(
    profile: Profile,
    runtime: str,
    report: bool,
    capabilities: Sequence[str],
    libseccomp: str = "installed",
) -> Prepared:
    compiled = compile_profile(
        for_this_host(profile, capabilities), runtime=runtime, libseccomp=libseccomp
    )
    if compiled.load_flags & FILTER_FLAG_NEW_LISTENER:
        raise InputError(
            "the profile uses SCMP_ACT_NOTIFY, which needs a seccomp agent listening on the"
            " notification fd; running it here would hang at the first notified syscall"
        )
    flags = compiled.load_flags | (FILTER_FLAG_LOG if report else 0)
    return Prepared(compiled.bpf, flags)


@overload
def run(
    profile: ProfileSource,
    argv: Sequence[str],
    *,
    runtime: str = ...,
    libseccomp: str = ...,
    report: Literal[False] = ...,
    capabilities: Sequence[str] = ...,
    timeout: float | None = ...,
    grace: float = ...,
    stop_signal: int = ...,
) -> int: ...
@overload
def run(
    profile: ProfileSource,
    argv: Sequence[str],
    *,
    runtime: str = ...,
    libseccomp: str = ...,
    report: Literal[True],
    capabilities: Sequence[str] = ...,
    timeout: float | None = ...,
    grace: float = ...,
    stop_signal: int = ...,
) -> RunReport: ...
def run(
    profile: ProfileSource,
    argv: Sequence[str],
    *,
    runtime: str = "runc",
    libseccomp: str = "installed",
    report: bool = False,
    capabilities: Sequence[str] = (),
    timeout: float | None = None,
    grace: float = 10.0,
    stop_signal: int = signal.SIGTERM,
) -> int | RunReport:
    """Run ``argv`` under ``profile`` (compiled as ``runtime`` would) and return its exit
    status, 128 + N when signal N ended it; with ``report=True`` a :class:`RunReport` that also
    lists the syscalls the profile blocked. moby profiles are resolved for this host with
    ``capabilities`` (see :func:`for_this_host`).

    The command runs in its own process group: SIGINT, SIGTERM and SIGHUP sent to this
    process (from the main thread) are forwarded to it, ``timeout`` sends ``stop_signal``, and
    ``grace`` seconds later the group gets SIGKILL; the report is made in every case."""
    profile = as_profile(profile)
    if not argv:
        raise InputError("no command to run")
    path = shutil.which(argv[0])
    if path is None:
        raise InputError(f"command not found: {argv[0]}")
    prepared = _prepare(profile, runtime, report, capabilities, libseccomp)
    audit = _Audit() if report else None
    read_fd, write_fd = os.pipe2(os.O_CLOEXEC)
    watchdog = Watchdog()
    try:
        with forwarded_signals() as received:
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the child
                _exec_child(prepared, path, list(argv), write_fd, report)
            os.close(write_fd)
            setup = _read_all(read_fd)
            session, error = _parse_setup(setup)
            watchdog.arm(pid, session)
            with terminal_for(pid):
                ended = wait_workload(
                    pid,
                    received=received,
                    session=session,
                    timeout=timeout,
                    grace=grace,
                    stop_signal=stop_signal,
                    poll=None if audit is None else audit.pump,
                )
    finally:
        watchdog.disarm()
        os.close(read_fd)
    try:
        if error:
            raise SeccompKitError(error)
        if audit is None:
            return ended.status
        _drain(audit)
        return RunReport(
            ended.status, audit.blocked(session, pid), session, audit.source.overruns, ended.reason
        )
    finally:
        if audit is not None:
            audit.close()


def _exec_child(
    prepared: Prepared, path: str, argv: list[str], fd: int, report: bool
) -> None:  # pragma: no cover - runs in the child
    try:
        os.setpgid(0, 0)  # its own group, so signals and cleanup reach all it starts
        if report:
            try:
                os.write(fd, b"S%d\n" % _new_session())
            except OSError as exc:
                os.write(fd, b"Ecannot start an audit session for the report: %s\n"
                         % str(exc).encode())  # fmt: skip
                return
        err = set_no_new_privs()
        if err:
            os.write(fd, b"Ecannot set no_new_privs: %s\n" % os.strerror(err).encode())
            return
        rc = prepared.install()
        if rc < 0:
            os.write(fd, b"Ethe kernel refused the filter: %s\n" % os.strerror(-rc).encode())
            return
        try:
            os.execv(path, argv)
        except OSError as exc:
            # The filter may deny write as well; then the exit status 127 is all that is left.
            with contextlib.suppress(OSError):
                os.write(fd, b"Xcannot execute %s: %s\n" % (path.encode(), str(exc).encode()))
    finally:
        os._exit(127)


def _read_all(fd: int) -> bytes:
    data = b""
    while chunk := os.read(fd, 4096):
        data += chunk
    return data


def _parse_setup(data: bytes) -> tuple[int | None, str | None]:
    session = None
    for line in data.decode(errors="replace").splitlines():
        if line.startswith("S"):
            session = int(line[1:])
        elif line.startswith(("E", "X")):
            return session, line[1:]
    return session, None


def _drain(audit: _Audit, quiet: float = 0.2, limit: float = 3.0) -> None:
    """Records are delivered asynchronously by kauditd: read until none came for ``quiet``."""
    end = time.monotonic() + limit
    while time.monotonic() < end and audit.pump(quiet):
        pass


# -- Python callables --------------------------------------------------------------------------


@attrs.frozen
class CallOutcome:
    """What happened to a callable run under a profile."""

    completed: bool
    """The callable returned or raised (rather than being killed)."""
    value: Any = None
    error: str | None = None
    """The exception the callable raised, formatted, or why the result could not come back."""
    status: int = 0
    blocked: tuple[Blocked, ...] = ()
    reported: bool = False
    """Whether ``blocked`` was collected (audit available)."""


__all__ += ["CallOutcome"]

_RESULT_BYTES = 64 << 20


def run_callable(
    profile: Profile,
    func: Callable[..., Any],
    *args: Any,
    runtime: str = "runc",
    libseccomp: str = "installed",
    report: bool | None = None,
    timeout: float = 300.0,
    capabilities: Sequence[str] = (),
    **kwargs: Any,
) -> CallOutcome:
    """Call ``func(*args, **kwargs)`` in a forked child under ``profile``.

    The result (or the exception) comes back pickled through shared memory, because the
    profile may deny even ``write``. ``report``: collect blocked syscalls from audit (None:
    when this process may read audit records, i.e. runs as root).
    """
    if report is None:
        report = os.geteuid() == 0
    prepared = _prepare(profile, runtime, report, capabilities, libseccomp)
    audit = _Audit() if report else None
    shared = mmap.mmap(-1, _RESULT_BYTES, flags=mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)
    header = (ctypes.c_int64 * 4).from_buffer(shared)  # state, length, session, setup errno
    try:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            _call_child(prepared, shared, header, report, func, args, kwargs)
        deadline = time.monotonic() + timeout
        wait_status = None
        while True:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                wait_status = st
                break
            if header[0] == 2:  # finished but may not be able to exit under its filter
                break
            if time.monotonic() > deadline:
                break
            if audit is not None:
                audit.pump(0.02)
            else:
                time.sleep(0.005)
        if wait_status is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            _, wait_status = os.waitpid(pid, 0)
        finished = header[0] == 2
        status = 0 if finished else _status(wait_status)
        session = header[2] if header[2] > 0 else None
        if header[3]:
            raise SeccompKitError(f"could not load the filter: {os.strerror(header[3])}")
        value: Any = None
        error: str | None = None
        if finished:
            size = header[1]
            try:
                ok, payload = pickle.loads(shared[32 : 32 + size])
            except Exception as exc:
                ok, payload = False, f"the result could not be read back: {exc!r}"
            if ok:
                value = payload
            else:
                error = payload
        elif time.monotonic() > deadline:
            error = f"the callable did not finish within {timeout} s"
        blocked: tuple[Blocked, ...] = ()
        if audit is not None:
            _drain(audit)
            blocked = audit.blocked(session, pid)
        return CallOutcome(finished, value, error, status, blocked, audit is not None)
    finally:
        del header
        shared.close()
        if audit is not None:
            audit.close()


def _call_child(  # noqa: PLR0917 - the child's whole context, handed over at fork
    prepared: Prepared,
    shared: mmap.mmap,
    header: ctypes.Array[ctypes.c_int64],
    report: bool,
    func: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:  # pragma: no cover - runs in the child
    import traceback

    try:
        if report:
            header[2] = _new_session()
        err = set_no_new_privs()
        rc = -err if err else prepared.install()
        if rc < 0:
            header[3] = -rc
            return
        try:
            result: tuple[bool, Any] = (True, func(*args, **kwargs))
        except BaseException as exc:
            result = (False, "".join(traceback.format_exception(exc)).rstrip())
        try:
            data = pickle.dumps(result)
        except Exception as exc:
            data = pickle.dumps((False, f"the result cannot be pickled: {exc!r}"))
        if len(data) > _RESULT_BYTES - 32:
            data = pickle.dumps((False, f"the result is too large ({len(data)} bytes)"))
        shared[32 : 32 + len(data)] = data
        header[1] = len(data)
        header[0] = 2
    finally:
        os._exit(0)
