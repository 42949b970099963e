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

import os
import subprocess
import threading
import time
from collections.abc import Callable, Sequence

import attrs

from seccomp_kit.audit import AuditEvent, AuditParser, AuditStats
from seccomp_kit.errors import InputError, SeccompKitError

__all__ = ["LiveRecording", "record_command"]

_SOURCES = ("auto", "netlink", "kmsg")


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


def _child_setup(write_fd: int) -> Callable[[], None]:
    def setup() -> None:
        # Runs in the forked child: a fresh audit session, report it, then the LOG filter.
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
        os.write(write_fd, session + b"\n")
        os.close(write_fd)
        from seccomp_kit.record._filter import load_log_filter

        load_log_filter()

    return setup


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
) -> LiveRecording:
    """Run ``argv`` under a LOG-everything filter and return the SECCOMP events of its whole
    process tree. ``timeout`` kills the command after that many seconds. ``on_event`` sees each
    of the command's events as it arrives (for progress displays)."""
    if not argv:
        raise InputError("no command to record")
    from seccomp_kit.audit._netlink import kernel_lost_counter

    warnings: list[str] = []
    lost_before = kernel_lost_counter()
    src, kind = _open_source(source, warnings)
    stats = AuditStats()
    parser = AuditParser(stats=stats)
    pending: list[tuple[AuditEvent, bytes]] = []
    kept: list[tuple[AuditEvent, bytes]] = []
    trees: list[_Tree] = []

    def classify() -> None:
        # Runs in the reader thread once the tree is known, so /proc is read while the
        # processes still exist.
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
    read_fd, write_fd = os.pipe()
    try:
        try:
            proc = subprocess.Popen(
                list(argv),
                preexec_fn=_child_setup(write_fd),  # noqa: PLW1509 - the filter must be set there
                close_fds=False,
                cwd=cwd,
                env=env,
                stdin=stdin,
                stdout=stdout,
                stderr=stderr,
            )
        except OSError as exc:
            raise SeccompKitError(f"cannot run {argv[0]!r}: {exc.strerror or exc}") from exc
        except subprocess.SubprocessError as exc:
            raise SeccompKitError(
                f"cannot install the logging filter for {argv[0]!r}: {exc}"
            ) from exc
        finally:
            os.close(write_fd)
        with os.fdopen(read_fd, "rb") as f:
            reported = f.readline().strip()
        tree = _Tree(proc.pid)
        if reported.isdigit() and reported != b"4294967295":
            tree.session = int(reported)
        else:
            warnings.append(
                "note: could not give the command its own audit session; following its"
                " process tree by pid"
            )
        trees.append(tree)
        try:
            returncode = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            returncode = proc.wait()
            warnings.append(f"WARNING: the command ran longer than {timeout} s and was killed")
        # kauditd delivers asynchronously: wait until the records stop arriving.
        deadline = time.monotonic() + max(grace * 10, 3.0)
        while time.monotonic() < deadline and time.monotonic() - last_arrival[0] < grace:
            time.sleep(grace / 4)
    finally:
        stop.set()
        reader.join()
        src.close()
    if failure:
        raise SeccompKitError(f"reading audit records failed: {failure[0]}") from failure[0]
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
    return LiveRecording(
        events=tuple(events),
        returncode=returncode,
        source=kind,
        session=tree.session,
        stats=stats,
        overruns=src.overruns,
        warnings=tuple(warnings),
        lines=tuple(lines),
    )
