"""Seccomp user notifications: a filter that notifies chosen syscalls, and a supervisor that
receives each notification from a listener fd and lets the syscall continue.

Reusable on its own: :class:`NotifySupervisor` takes any listener fd (one taken from a child
with :func:`take_listener`, or one a container runtime hands over on an OCI ``listenerPath``)
and calls a handler with every :class:`Notification` (pid, architecture, syscall number, the
six raw arguments) before answering ``SECCOMP_USER_NOTIF_FLAG_CONTINUE``: the kernel then runs
the syscall as if no filter had asked. Nothing is ever answered with an error, so a slow or
failing handler delays the workload but never changes what its syscalls do.

Kernel facts relied on (seccomp_unotify(2)): ``SECCOMP_RET_USER_NOTIF`` needs Linux 5.0, the
CONTINUE flag 5.5; the listener is created with ``O_CLOEXEC`` (the workload never inherits it
past ``execve``); while no process holds the listener, notified syscalls fail with ENOSYS; a
filter tree may carry only one listener, so a workload asking for its own
(``SECCOMP_FILTER_FLAG_NEW_LISTENER``) gets EBUSY; ``SECCOMP_IOCTL_NOTIF_RECV`` needs a zeroed
buffer and fails with ENOENT when the caller died before it was read.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import select
import struct
import threading
from collections.abc import Callable, Iterable, Mapping

import attrs

from seccomp_kit import bpf
from seccomp_kit.bpf._load import libc
from seccomp_kit.errors import SeccompKitError
from seccomp_kit.model import Arch
from seccomp_kit.syscalls import table
from seccomp_kit.syscalls.arches import by_audit, native_arch

__all__ = [
    "RET_LOG",
    "RET_USER_NOTIF",
    "Notification",
    "NotifySupervisor",
    "NotifyUnavailableError",
    "find_listener",
    "is_listener",
    "notify_filter",
    "take_listener",
]

RET_USER_NOTIF = 0x7FC0_0000
RET_LOG = 0x7FFC_0000
_FLAG_CONTINUE = 1
_NOTIF = struct.Struct("=QII iIQ6Q")  # struct seccomp_notif: id, pid, flags, seccomp_data
_RESP = struct.Struct("=QqiI")  # struct seccomp_notif_resp: id, val, error, flags


def _ioc(direction: str, nr: int, size: int) -> int:
    """Linux ``_IOC('!', nr, size)``: powerpc, mips and sparc encode directions differently."""
    arch = native_arch().value
    if any(word in arch for word in ("PPC", "MIPS", "SPARC")):
        read, write, size_bits, dir_shift = 2, 4, 13, 29
    else:
        read, write, size_bits, dir_shift = 2, 1, 14, 30
    bits = {"rw": read | write, "w": write}[direction]
    return (bits << dir_shift) | ((size & ((1 << size_bits) - 1)) << 16) | (ord("!") << 8) | nr


_IOCTL_RECV = _ioc("rw", 0, _NOTIF.size)
_IOCTL_SEND = _ioc("rw", 1, _RESP.size)


class NotifyUnavailableError(SeccompKitError):
    """Argument recording cannot run here; the message says why (name-only recording still
    works)."""


@attrs.frozen
class Notification:
    """One notified syscall, as the kernel reported it."""

    id: int
    pid: int
    """In the supervisor's pid namespace (0 when the caller is in none it can see)."""
    arch: Arch | None
    """None for an AUDIT_ARCH value no table knows."""
    arch_code: int
    nr: int
    args: tuple[int, int, int, int, int, int]

    @property
    def syscall(self) -> str | None:
        return None if self.arch is None else table(self.arch).name(self.nr)


def notify_filter(numbers: Mapping[Arch, Iterable[int]], *, otherwise: int = RET_LOG) -> bytes:
    """A BPF program returning ``SECCOMP_RET_USER_NOTIF`` for the given syscall numbers (per
    architecture; x32 numbers carry their 0x40000000 bit and share x86_64's audit code) and
    ``otherwise`` for everything else, any architecture included."""
    blocks: dict[int, list[int]] = {}
    for arch, nrs in numbers.items():
        blocks.setdefault(bpf.kernel_arch_code(arch), []).extend(sorted(set(nrs)))
    body: list[tuple[int, int, int, int]] = []  # (code, jt, jf, k); jt -1 = to the notify return
    for code, nrs in blocks.items():
        body.append((bpf.LD_W_ABS, 0, 0, 4))
        body.append((bpf.JEQ_K, 0, len(nrs) + 2, code))
        body.append((bpf.LD_W_ABS, 0, 0, 0))
        body += [(bpf.JEQ_K, -1, 0, nr) for nr in nrs]
        body.append((bpf.RET_K, 0, 0, otherwise))
    body.append((bpf.RET_K, 0, 0, otherwise))
    notify_at = len(body)
    program = bytearray()
    for i, (code, to, jf, k) in enumerate(body):
        jt = notify_at - i - 1 if to == -1 else to
        if jt > 255:
            raise SeccompKitError("too many notified syscalls for one filter")
        program += struct.pack("=HBBI", code, jt, jf, k)
    program += struct.pack("=HBBI", bpf.RET_K, 0, 0, RET_USER_NOTIF)
    return bytes(program)


def is_listener(path: str) -> bool:
    """Whether the fd at ``path`` (a /proc/.../fd/N link) is a seccomp listener."""
    try:
        return os.readlink(path) == "anon_inode:seccomp notify"
    except OSError:
        return False


def find_listener(pid: int) -> int | None:
    """The number of a seccomp listener fd open in process ``pid``, from ``/proc`` (None
    when it holds none)."""
    try:
        names = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return None
    for name in sorted(names, key=int):
        if is_listener(f"/proc/{pid}/fd/{name}"):
            return int(name)
    return None


def take_listener(pid: int, fd: int) -> int:
    """A duplicate, in this process, of the listener ``fd`` of process ``pid``
    (``pidfd_getfd``, Linux 5.6; needs ptrace access to ``pid``). Taking it needs nothing from
    the process, which may already be waiting in a notified syscall."""
    nr = table(native_arch()).number("pidfd_getfd")
    if nr is None:  # pragma: no cover - every architecture seccomp_kit runs on has it
        raise NotifyUnavailableError("this architecture has no pidfd_getfd")
    try:
        pidfd = os.pidfd_open(pid)
    except OSError as exc:
        raise NotifyUnavailableError(f"cannot open a pidfd: {exc.strerror or exc}") from exc
    try:
        got = int(libc().syscall(nr, pidfd, fd, 0, 0, 0, 0, 0))
        if got < 0:
            err = ctypes.get_errno()
            why = {
                errno.ENOSYS: "the kernel has no pidfd_getfd (Linux 5.6 or later is needed)",
                errno.EPERM: "no ptrace access to the workload (CAP_SYS_PTRACE or Yama's"
                " ptrace_scope)",
            }.get(err, os.strerror(err))
            raise NotifyUnavailableError(f"cannot take the listener: {why}")
    finally:
        os.close(pidfd)
    if not is_listener(f"/proc/self/fd/{got}"):
        os.close(got)
        raise NotifyUnavailableError(f"fd {fd} of process {pid} is not a seccomp listener")
    return got


class NotifySupervisor:
    """Receive every notification from ``fd``, hand it to ``handler``, answer CONTINUE.

    :meth:`run` loops until :meth:`stop` is called or no process uses the filter any more
    (the listener then polls as hung up). The fd is not closed here: its owner closes it.
    ``handler`` exceptions stop nothing: the syscall is continued and the first error is kept
    in :attr:`error`.
    """

    def __init__(self, fd: int, handler: Callable[[Notification], None]) -> None:
        self.fd = fd
        self.handler = handler
        self.received = 0
        self.error: BaseException | None = None
        self.continue_refused: str | None = None
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def run(self, poll_interval: float = 0.05) -> None:
        poller = select.poll()
        poller.register(self.fd, select.POLLIN)
        buf = bytearray(_NOTIF.size)
        while not self._stop.is_set():
            events = poller.poll(int(poll_interval * 1000))
            if not events:
                continue
            if not any(mask & select.POLLIN for _, mask in events):
                return  # POLLHUP: every process under the filter is gone
            self.receive_one(buf)

    def receive_one(self, buf: bytearray | None = None) -> Notification | None:
        """Receive, handle and continue one notification (blocks until one comes)."""
        buf = bytearray(_NOTIF.size) if buf is None else buf
        buf[:] = bytes(len(buf))  # the kernel insists on a zeroed buffer
        import fcntl

        try:
            fcntl.ioctl(self.fd, _IOCTL_RECV, buf, True)
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.EINTR):
                return None  # the caller died (or we were interrupted) before we read it
            raise
        nid, pid, _flags, nr, arch_code, _ip, *args = _NOTIF.unpack(buf)
        info = by_audit(arch_code)
        arch = None if info is None else info.arch
        if arch is Arch.X86_64 and nr & 0x4000_0000:
            arch = Arch.X32
        note = Notification(nid, pid, arch, arch_code, nr, tuple(args))
        self.received += 1
        try:
            self.handler(note)
        except BaseException as exc:  # never leave the workload waiting on our mistake
            if self.error is None:
                self.error = exc
        self._continue(nid)
        return note

    def _continue(self, nid: int) -> None:
        import fcntl

        try:
            fcntl.ioctl(self.fd, _IOCTL_SEND, _RESP.pack(nid, 0, 0, _FLAG_CONTINUE))
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                return  # the caller died or was interrupted by a signal: nothing to answer
            if exc.errno == errno.EINVAL and self.continue_refused is None:
                # Kernels before 5.5 know no CONTINUE: fail the call rather than hang it.
                self.continue_refused = "the kernel refuses SECCOMP_USER_NOTIF_FLAG_CONTINUE"
                with contextlib.suppress(OSError):
                    fcntl.ioctl(self.fd, _IOCTL_SEND, _RESP.pack(nid, 0, -errno.ENOSYS, 0))
                self.stop()
                return
            raise
