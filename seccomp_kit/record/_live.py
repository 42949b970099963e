"""Recording a command live: run it under a LOG-everything filter and collect its records.

How records are told apart from every other process's: before loading the filter the child
writes its login uid back to ``/proc/self/loginuid`` (its own, or its uid when it had none),
which gives it a fresh audit session id that the kernel prints as ``ses=`` in every record of
the child and of everything it forks (session ids are never reused while the system runs). A
record belongs to the command when its ``ses`` is that session, or when its pid is one the
command's records already showed. When the login uid cannot be written (no CAP_AUDIT_CONTROL,
an immutable login uid) the tree is followed by pid instead: the command's pid, and every pid
whose parent chain in ``/proc`` leads to a pid already known, checked as its first record
arrives.

Records come from the audit netlink multicast group (every record, needs CAP_AUDIT_READ); when
that is unavailable, from ``/dev/kmsg``, where the kernel rate-limits them (about 10 per 5 s)
and drops the rest, so the recording is then almost certainly incomplete: the result says so
and counts the loss the log admits. Recording stops when the command exits and the records
already emitted have arrived (no record for ``grace`` seconds).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from seccomp_kit.audit import AuditEvent, AuditParser, AuditStats
from seccomp_kit.bpf._load import Prepared, set_no_new_privs
from seccomp_kit.errors import InputError, SeccompKitError
from seccomp_kit.libseccomp.compile import FILTER_FLAG_LOG, FILTER_FLAG_NEW_LISTENER
from seccomp_kit.model import Arch
from seccomp_kit.record._args import ArgObserver, numbers_to_notify
from seccomp_kit.record._notify import (
    NotifySupervisor,
    NotifyUnavailableError,
    find_listener,
    notify_filter,
    take_listener,
)
from seccomp_kit.record._process import (
    Exit,
    Watchdog,
    forwarded_signals,
    stop_workload,
    terminal_for,
    wait_workload,
)
from seccomp_kit.syscalls import table
from seccomp_kit.syscalls.arches import native_arch

__all__ = ["LiveRecording", "probe_notify", "record_command"]

_SOURCES = ("auto", "netlink", "kmsg")
_NOT_TAKEN = 71  # the exit status of a child whose listener the recorder could not take


@attrs.frozen
class LiveRecording:
    """What a live recording collected: the command's events (in arrival order) and how."""

    events: tuple[AuditEvent, ...]
    returncode: int
    source: str
    """``"netlink"`` or ``"kmsg"``."""
    session: int | None
    """The audit session the command ran in (None when pids were followed instead)."""
    stats: AuditStats
    """Accounting of everything read (other processes' records included)."""
    overruns: int = 0
    """Times the netlink socket overflowed (records dropped by the kernel)."""
    warnings: tuple[str, ...] = ()
    lines: tuple[bytes, ...] = ()
    """The raw record lines of the command's events, when ``keep_lines`` was set."""
    exit: Exit | None = None
    """How the command ended and why (a signal forwarded, the timeout, on its own)."""
    arguments: Mapping[str, Mapping[tuple[int, ...], int]] | None = None
    """With ``args=True``: per syscall, how often each key of its table arguments was seen
    (:class:`seccomp_kit.record._args.ArgObserver`); None when arguments were not recorded."""
    clone3_unknown: int = 0
    """clone3 calls whose flags could not be read."""
    notified: Mapping[tuple[Arch, int], int] | None = None
    """With ``args=True``: the notified calls per (architecture, number). The kernel writes no
    audit record for a notification answered with CONTINUE, so pass these to
    :func:`~seccomp_kit.record.record` (``notified=``) with the events."""
    args_error: str | None = None
    """Why arguments were asked for and not recorded."""

    @property
    def complete(self) -> bool:
        """No evidence of loss: netlink, no overrun, no serial gap."""
        return self.source == "netlink" and not self.overruns and not self.stats.lost


class _Tree:
    """Decides which records belong to the command."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.session: int | None = None
        self.pids = {root}
        self.rejected: set[int] = set()

    def belongs(self, event: AuditEvent) -> bool:
        if self.session is not None:
            return event.ses == self.session
        pid = event.pid
        if pid in self.pids:
            return True
        if pid is None or pid in self.rejected:
            return False
        if self._descends(pid):
            self.pids.add(pid)
            return True
        self.rejected.add(pid)
        return False

    def _descends(self, pid: int) -> bool:
        seen = 0
        while pid > 1 and seen < 64:
            try:
                with open(f"/proc/{pid}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                return False
            # The comm field may hold spaces and parentheses: the ppid follows the last ')'.
            pid = int(stat[stat.rindex(b")") + 2 :].split()[1])
            if pid in self.pids:
                return True
            seen += 1
        return False


class _Source:
    def read(self, timeout: float) -> list[bytes] | None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    overruns = 0


class _Netlink(_Source):
    def __init__(self) -> None:
        from seccomp_kit.audit._netlink import AuditMulticast

        self._m = AuditMulticast()

    def read(self, timeout: float) -> list[bytes] | None:
        lines = self._m.read(timeout)
        self.overruns = self._m.overruns
        return lines

    def close(self) -> None:
        self._m.close()


class _Kmsg(_Source):
    def __init__(self) -> None:
        self._fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
        os.lseek(self._fd, 0, os.SEEK_END)

    def read(self, timeout: float) -> list[bytes] | None:
        import select

        ready, _, _ = select.select([self._fd], [], [], timeout)
        lines: list[bytes] = []
        if not ready:
            return lines
        while True:
            try:
                record = os.read(self._fd, 8192)
            except BlockingIOError:
                break
            except BrokenPipeError:
                # The ring buffer overwrote records before we read them: say so, keep going.
                lines.append(b"audit: printk limit exceeded")
                continue
            if not record:
                break
            lines.append(record.split(b"\n", 1)[0])
        return lines

    def close(self) -> None:
        os.close(self._fd)


def _open_source(source: str, warnings: list[str]) -> tuple[_Source, str]:
    if source not in _SOURCES:
        raise InputError(f"unknown record source {source!r}; use one of {', '.join(_SOURCES)}")
    if source in ("auto", "netlink"):
        try:
            return _Netlink(), "netlink"
        except OSError as exc:
            if source == "netlink":
                raise SeccompKitError(
                    f"cannot join the audit netlink multicast group: {exc.strerror or exc};"
                    " recording needs root (CAP_AUDIT_READ)"
                ) from exc
            warnings.append(
                "WARNING: the audit netlink multicast group is unavailable"
                f" ({exc.strerror or exc}; it needs root, CAP_AUDIT_READ); reading the kernel"
                " log instead, which the kernel"
                " rate-limits (about 10 records per 5 s): records WILL be lost and the profile"
                " will likely be incomplete"
            )
    if source == "kmsg":
        warnings.append(
            "WARNING: reading the kernel log, which the kernel rate-limits (about 10 records"
            " per 5 s): records WILL be lost and the profile will likely be incomplete"
        )
    try:
        return _Kmsg(), "kmsg"
    except OSError as exc:
        raise SeccompKitError(
            f"cannot read the kernel log: {exc.strerror or exc}; recording needs root"
            " (CAP_AUDIT_READ for the audit netlink group, or CAP_SYSLOG for /dev/kmsg)"
        ) from exc


def _child_setup(write_fd: int, notify: Prepared | None, ack_fd: int | None) -> Callable[[], None]:
    def setup() -> None:
        # Runs in the forked child: a fresh audit session, report it, then the filter. With a
        # notifying filter, wait until the recorder holds the listener: it takes it from /proc
        # without our help, so whatever this code calls meanwhile may wait but cannot hang.
        session = b"-"
        try:
            with open("/proc/self/loginuid", "rb") as f:
                current = f.read().strip()
            uid = current if current != b"4294967295" else str(os.getuid()).encode()
            with open("/proc/self/loginuid", "wb") as f:
                f.write(uid)
            with open("/proc/self/sessionid", "rb") as f:
                session = f.read().strip()
        except OSError:
            pass
        os.write(write_fd, b"S" + session + b" %d\n" % os.getpid())
        if notify is not None and ack_fd is not None:
            err = set_no_new_privs()
            rc = -err if err else notify.install()
            if rc >= 0:
                os.write(write_fd, b"N%d\n" % rc)
                if os.read(ack_fd, 1) != b"1":
                    # Nobody else holds our listener: leave before any notified call.
                    os._exit(_NOT_TAKEN)
                return
            os.write(write_fd, b"E%d\n" % -rc)
        from seccomp_kit.record._filter import load_log_filter

        load_log_filter()

    return setup


class _Handover:
    """Reads the child's setup messages and, for argument recording, takes its listener and
    supervises it (in its own thread, until :meth:`stop`)."""

    def __init__(self, read_fd: int, ack_fd: int | None, observer: ArgObserver | None) -> None:
        self.read_fd = read_fd
        self.ack_fd = ack_fd
        self.observer = observer
        self.session: bytes | None = None
        self.pid: int | None = None
        self.error: str | None = None
        self.ready = threading.Event()
        self.supervisor: NotifySupervisor | None = None
        self._stop = threading.Event()
        self._buf = b""
        self.thread = threading.Thread(target=self._run, name="seccomp-kit-notify", daemon=True)
        self.thread.start()

    def _line(self, timeout: float | None) -> bytes | None:
        """The next line; b"" at EOF; None on timeout."""
        import select

        while b"\n" not in self._buf:
            ready, _, _ = select.select([self.read_fd], [], [], timeout)
            if not ready:
                return None
            chunk = os.read(self.read_fd, 256)
            if not chunk:
                return b""
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return line

    def _run(self) -> None:
        try:
            first = self._line(None) or b""
            if first.startswith(b"S"):
                session, _, pid = first[1:].partition(b" ")
                self.session, self.pid = session, int(pid)
            if self.ack_fd is None or self.pid is None:
                return
            listener = self._take(self.pid)
            if listener is None:
                return
            assert self.observer is not None
            self.supervisor = NotifySupervisor(listener, self.observer)
            os.write(self.ack_fd, b"1")
            self.ready.set()
            try:
                self.supervisor.run()
            finally:
                os.close(listener)
        except Exception as exc:
            self.error = self.error or f"argument recording failed: {exc}"
        finally:
            if self.ack_fd is not None and self.supervisor is None:
                with contextlib.suppress(OSError):
                    os.write(self.ack_fd, b"0")
                if self.pid is not None:
                    # It may be waiting in a notified call that only its own listener could
                    # answer: it cannot go on, and is started again by name only.
                    with contextlib.suppress(OSError):
                        os.kill(self.pid, signal.SIGKILL)
            self.ready.set()

    def _take(self, pid: int) -> int | None:
        while not self._stop.is_set():
            line = self._line(0.05)
            if line is None:
                fd = find_listener(pid)  # the child may be waiting in a notified call
                if fd is None:
                    continue
            elif line.startswith(b"N"):
                fd = int(line[1:])
            elif line.startswith(b"E"):
                self.error = (
                    f"the kernel refused the notifying filter: {os.strerror(int(line[1:]))}"
                )
                return None
            else:
                self.error = "the command ended before its listener could be taken"
                return None
            try:
                return take_listener(pid, fd)
            except NotifyUnavailableError as exc:
                self.error = str(exc)
                return None
        return None

    def stop(self) -> None:
        """Stop supervising, wait for the thread, close the setup pipes (once)."""
        self._stop.set()
        if self.supervisor is not None:
            self.supervisor.stop()
        self.thread.join()
        for fd in (self.read_fd, self.ack_fd):
            if fd is not None and fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.read_fd = self.ack_fd = -1


def probe_notify() -> str | None:
    """Why argument recording cannot run here (None when it can): try the whole path once on
    a throw-away child (a notifying filter, taking its listener, answering CONTINUE)."""
    nr = table(native_arch()).number("getppid")
    if nr is None:  # pragma: no cover - every architecture has getppid
        return "this architecture has no getppid to probe with"
    prepared = Prepared(
        notify_filter({native_arch(): [nr]}, otherwise=0x7FFF_0000),
        FILTER_FLAG_NEW_LISTENER,
    )
    read_fd, write_fd = os.pipe2(os.O_CLOEXEC)
    ack_r, ack_w = os.pipe2(os.O_CLOEXEC)
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the probe child
        try:
            os.close(read_fd)
            os.close(ack_w)  # so a recorder that gives up ends our wait with EOF
            err = set_no_new_privs()
            rc = -err if err else prepared.install()
            os.write(write_fd, b"N%d\n" % rc if rc >= 0 else b"E%d\n" % -rc)
            if rc >= 0 and os.read(ack_r, 1) == b"1":
                os._exit(0 if os.getppid() == parent else 3)
        finally:
            os._exit(2)
    os.close(write_fd)
    os.close(ack_r)
    reason: str | None = None
    try:
        line = b""
        while not line.endswith(b"\n") and (chunk := os.read(read_fd, 64)):
            line += chunk
        if line.startswith(b"E"):
            err = int(line[1:])
            reason = (
                "the kernel does not support seccomp user notifications (Linux 5.0 or later)"
                if err == errno.EINVAL
                else f"the kernel refused a notifying filter: {os.strerror(err)}"
            )
        elif not line.startswith(b"N"):
            reason = "the probe process failed before loading its filter"
        else:
            try:
                listener = take_listener(pid, int(line[1:]))
            except NotifyUnavailableError as exc:
                reason = str(exc)
            else:
                try:
                    supervisor = NotifySupervisor(listener, lambda _n: None)
                    os.write(ack_w, b"1")
                    supervisor.receive_one()
                    if supervisor.continue_refused:
                        reason = supervisor.continue_refused + " (Linux 5.5 or later is needed)"
                finally:
                    os.close(listener)
    finally:
        os.close(read_fd)
        os.close(ack_w)
        _, status = os.waitpid(pid, 0)
    if reason is None and os.waitstatus_to_exitcode(status) != 0:
        reason = "a syscall continued by the supervisor did not run as it should"
    return reason


def record_command(
    argv: Sequence[str],
    *,
    source: str = "auto",
    grace: float = 0.3,
    timeout: float | None = None,
    keep_lines: bool = False,
    on_event: Callable[[AuditEvent], None] | None = None,
    cwd: str | None = None,
    env: dict[str, str] | None = None,
    stdin: int | None = None,
    stdout: int | None = None,
    stderr: int | None = None,
    args: bool = False,
    stop_grace: float = 10.0,
    stop_signal: int = signal.SIGTERM,
) -> LiveRecording:
    """Run ``argv`` under a LOG-everything filter and return the SECCOMP events of its whole
    process tree. ``on_event`` sees each of the command's events as it arrives.

    Stopping (see :mod:`._process`): the command runs in its own process group; SIGINT,
    SIGTERM and SIGHUP sent to this process (when called from the main thread) are forwarded
    to it, ``timeout`` sends ``stop_signal``, and ``stop_grace`` seconds later the group gets
    SIGKILL. Whatever the command leaves running is stopped the same way. ``grace`` is how
    long records may keep arriving after the end (kauditd delivers asynchronously).

    ``args=True`` also records arguments: the filter notifies the syscalls of
    :data:`seccomp_kit.record.ARGUMENT_TABLE` to a supervisor here, which counts their argument
    values and lets each call continue. When that cannot work on this machine the recording
    is made by name only and :attr:`LiveRecording.args_error` says why.
    """
    if not argv:
        raise InputError("no command to record")
    from seccomp_kit.audit._netlink import kernel_lost_counter

    warnings: list[str] = []
    args_error: str | None = None
    notify: Prepared | None = None
    if args:
        args_error = probe_notify()
        if args_error is None:
            arches = [native_arch()]
            if native_arch() is Arch.X86_64:
                arches += [Arch.X86, Arch.X32]
            notify = Prepared(
                notify_filter(numbers_to_notify(arches)),
                FILTER_FLAG_NEW_LISTENER | FILTER_FLAG_LOG,
            )
    lost_before = kernel_lost_counter()
    src, kind = _open_source(source, warnings)
    stats = AuditStats()
    parser = AuditParser(stats=stats)
    pending: list[tuple[AuditEvent, bytes]] = []
    kept: list[tuple[AuditEvent, bytes]] = []
    trees: list[_Tree] = []
    lock = threading.Lock()

    def classify() -> None:
        # Runs in the reader thread once the tree is known, so /proc is read while the
        # processes still exist.
        with lock:
            tree = trees[0]
            for item in pending:
                if tree.belongs(item[0]):
                    kept.append(item)
                    if on_event is not None:
                        on_event(item[0])
            pending.clear()

    stop = threading.Event()
    last_arrival = [time.monotonic()]
    failure: list[BaseException] = []

    def pump() -> None:
        try:
            while not stop.is_set():
                lines = src.read(0.05)
                if lines is None:
                    return
                if not lines:
                    continue
                last_arrival[0] = time.monotonic()
                for line in lines:
                    for event in parser.feed(line):
                        pending.append((event, line))
                if trees:
                    classify()
        except BaseException as exc:  # surfaced in the caller's thread
            failure.append(exc)

    reader = threading.Thread(target=pump, name="seccomp-kit-record", daemon=True)
    reader.start()
    observer = ArgObserver() if notify is not None else None
    watchdog = Watchdog()
    handover: _Handover | None = None
    exit_info: Exit | None = None
    tree: _Tree | None = None
    try:
        with forwarded_signals() as received:
            proc, handover = _spawn(
                argv, notify, observer, cwd=cwd, env=env, stdin=stdin, stdout=stdout,
                stderr=stderr,
            )  # fmt: skip
            if handover.error is not None and notify is not None and handover.supervisor is None:
                args_error = handover.error
            handover.ready.wait()
            session = handover.session
            tree = _Tree(proc.pid)
            if session is not None and session.isdigit() and session != b"4294967295":
                tree.session = int(session)
            else:
                warnings.append(
                    "note: could not give the command its own audit session; following its"
                    " process tree by pid"
                )
            watchdog.arm(proc.pid, tree.session)
            trees.append(tree)
            with terminal_for(proc.pid):
                exit_info = wait_workload(
                    proc.pid,
                    received=received,
                    session=tree.session,
                    timeout=timeout,
                    grace=stop_grace,
                    stop_signal=stop_signal,
                )
            proc.returncode = exit_info.status
        # kauditd delivers asynchronously: wait until the records stop arriving.
        deadline = time.monotonic() + max(grace * 10, 3.0)
        while time.monotonic() < deadline and time.monotonic() - last_arrival[0] < grace:
            time.sleep(grace / 4)
    finally:
        if tree is not None and exit_info is None:
            # Interrupted before the end (an exception here): stop the workload now.
            stop_workload(tree.root, session=tree.session, grace=0)
        watchdog.disarm()
        if handover is not None:
            handover.stop()
        stop.set()
        reader.join()
        src.close()
    if failure:
        raise SeccompKitError(f"reading audit records failed: {failure[0]}") from failure[0]
    assert exit_info is not None and tree is not None and handover is not None
    if notify is not None and handover.supervisor is None and args_error is None:
        args_error = handover.error or "the listener could not be taken"
    if handover.supervisor is not None and handover.supervisor.error is not None:
        args_error = f"argument recording failed: {handover.supervisor.error}"
    elif notify is not None and handover.error is not None:
        # The supervisor stopped early: the listener was closed, later notified calls failed.
        args_error = handover.error
    if args and args_error is not None:
        warnings.append(
            f"WARNING: arguments were not recorded: {args_error}; the profile has names only"
        )
    if observer is not None and args_error is None:
        warnings += observer.warnings()
    if trees:
        classify()
    events = [event for event, _ in kept]
    lines = [line for _, line in kept] if keep_lines else []
    lost_after = kernel_lost_counter()
    kernel_lost = 0
    if lost_before is not None and lost_after is not None and lost_after > lost_before:
        kernel_lost = lost_after - lost_before
        stats.audit_lost += kernel_lost
        warnings.append(
            f"WARNING: the kernel dropped {kernel_lost} audit records during the recording"
            " (audit backlog full); they carry no serial, and some may have been the command's"
        )
    if src.overruns:
        warnings.append(
            f"WARNING: the netlink socket overflowed {src.overruns} times: records were lost"
        )
    if exit_info.stopped_by == "timeout":
        warnings.append(f"WARNING: the command ran longer than {timeout} s: {exit_info.reason}")
    recorded_args = observer is not None and args_error is None
    return LiveRecording(
        events=tuple(events),
        returncode=exit_info.status,
        source=kind,
        session=tree.session,
        stats=stats,
        overruns=src.overruns,
        warnings=tuple(warnings),
        lines=tuple(lines),
        exit=exit_info,
        arguments=(
            {name: dict(c) for name, c in observer.counts.items()}
            if recorded_args and observer is not None
            else None
        ),
        clone3_unknown=observer.clone3_unknown if recorded_args and observer is not None else 0,
        notified=dict(observer.calls) if observer is not None else None,
        args_error=args_error if args else None,
    )


def _spawn(
    argv: Sequence[str],
    notify: Prepared | None,
    observer: ArgObserver | None,
    **popen: Any,
) -> tuple[subprocess.Popen[bytes], _Handover]:
    """Start the command in its own process group with the filter; fall back to the logging
    filter alone when its notifying filter cannot be set up."""
    read_fd, write_fd = os.pipe2(os.O_CLOEXEC)
    ack_r, ack_w = os.pipe2(os.O_CLOEXEC) if notify is not None else (None, None)
    handover = _Handover(read_fd, ack_w, observer)
    try:
        try:
            proc = subprocess.Popen(
                list(argv),
                preexec_fn=_child_setup(write_fd, notify, ack_r),  # noqa: PLW1509
                close_fds=False,
                process_group=0,
                **popen,
            )
        except OSError as exc:
            raise SeccompKitError(f"cannot run {argv[0]!r}: {exc.strerror or exc}") from exc
        except subprocess.SubprocessError as exc:
            raise SeccompKitError(
                f"cannot install the logging filter for {argv[0]!r}: {exc}"
            ) from exc
    finally:
        for fd in (write_fd, ack_r):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
    handover.ready.wait()
    if notify is not None and handover.supervisor is None:
        # The notifying filter could not be set up and the child never ran the command:
        # start it again under the logging filter alone, and say why.
        proc.wait()
        error = handover.error or "the listener could not be taken"
        handover.stop()
        proc, handover = _spawn(argv, None, None, **popen)
        handover.error = error
    return proc, handover
