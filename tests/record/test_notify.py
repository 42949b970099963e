"""The user-notification pieces on the kernel: the notifying filter, taking a listener from
another process, and a supervisor that sees six arguments and lets every call continue."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable

import pytest

from seccomp_kit import bpf
from seccomp_kit.bpf._load import Prepared, set_no_new_privs
from seccomp_kit.model import Arch
from seccomp_kit.record import Notification, NotifySupervisor, NotifyUnavailableError
from seccomp_kit.record._notify import RET_LOG, RET_USER_NOTIF, find_listener, notify_filter
from seccomp_kit.record._notify import take_listener as take
from seccomp_kit.syscalls import table

pytestmark = [
    pytest.mark.kernel,
    pytest.mark.skipif(sys.platform != "linux", reason="Linux only"),
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (pidfd_getfd on a child)"),
]

X86_64 = table(Arch.X86_64)


def test_filter_notifies_exactly_the_given_numbers() -> None:
    getppid, uname = X86_64.number("getppid"), X86_64.number("uname")
    assert getppid is not None and uname is not None
    program = notify_filter({Arch.X86_64: [getppid], Arch.X32: [0x4000_0000 | 110]})
    bpf.check(program)
    assert bpf.emulate(program, arch=Arch.X86_64, nr=getppid) == RET_USER_NOTIF
    assert bpf.emulate(program, arch=Arch.X86_64, nr=0x4000_0000 | 110) == RET_USER_NOTIF
    assert bpf.emulate(program, arch=Arch.X86_64, nr=uname) == RET_LOG
    assert bpf.emulate(program, arch=Arch.AARCH64, nr=getppid) == RET_LOG


def notified_child(body: Callable[[], int]) -> tuple[int, int]:
    """Fork a child that notifies getppid, then runs ``body`` (its exit status); return its
    pid and the recorder's duplicate of its listener, taken while the child may wait."""
    getppid = X86_64.number("getppid")
    assert getppid is not None
    prepared = Prepared(notify_filter({Arch.X86_64: [getppid]}, otherwise=0x7FFF_0000), 8)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            set_no_new_privs()
            if prepared.install() < 0:
                os._exit(2)
            os._exit(body())
        finally:
            os._exit(4)
    fd = None
    for _ in range(500):
        fd = find_listener(pid)
        if fd is not None:
            break
        time.sleep(0.01)
    assert fd is not None
    return pid, take(pid, fd)


def test_supervisor_sees_arguments_and_continues() -> None:
    getppid = X86_64.number("getppid")
    parent = os.getpid()
    read_fd, write_fd = os.pipe()

    def body() -> int:
        from seccomp_kit.bpf._load import libc

        # The supervisor may not be there yet: this call waits for it, and must not hang.
        value = libc().syscall(getppid, 11, 22, 33, 44, 55, 66)
        os.write(write_fd, b"%d\n" % value)
        return 0 if value == parent else 3

    pid, listener = notified_child(body)
    os.close(write_fd)
    seen: list[Notification] = []
    supervisor = NotifySupervisor(listener, seen.append)
    thread = threading.Thread(target=supervisor.run)
    thread.start()
    _, status = os.waitpid(pid, 0)
    supervisor.stop()
    thread.join()
    os.close(listener)
    assert os.waitstatus_to_exitcode(status) == 0
    assert os.read(read_fd, 64) == b"%d\n" % parent
    os.close(read_fd)
    (got,) = seen
    assert (got.pid, got.arch, got.syscall) == (pid, Arch.X86_64, "getppid")
    assert got.args == (11, 22, 33, 44, 55, 66)


def test_taking_something_else_is_refused() -> None:
    with pytest.raises(NotifyUnavailableError, match="not a seccomp listener"):
        take(os.getpid(), 0)
    with pytest.raises(NotifyUnavailableError, match="cannot"):
        take(2**22 + 12345, 3)  # no such process


def test_handler_errors_do_not_stall_the_workload() -> None:
    pid, listener = notified_child(lambda: 0 if os.getppid() > 0 else 3)

    def broken(_note: Notification) -> None:
        raise RuntimeError("handler bug")

    supervisor = NotifySupervisor(listener, broken)
    supervisor.receive_one()
    _, status = os.waitpid(pid, 0)
    os.close(listener)
    assert os.waitstatus_to_exitcode(status) == 0
    assert isinstance(supervisor.error, RuntimeError)
