"""Loading a BPF program into the calling process (meant for forked children), via ctypes.

``prctl(PR_SET_NO_NEW_PRIVS)`` then ``seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog)``. Also
the raw ``syscall(2)`` entry the kernel harness uses. Only x86_64 syscall numbers are needed
here, because the harness and the runner load filters on this machine's own architecture.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache

from seccomp_kit import syscalls
from seccomp_kit.errors import InputError
from seccomp_kit.syscalls.arches import native_arch

__all__ = ["Prepared", "install", "libc", "set_no_new_privs", "sys_seccomp_nr"]

PR_SET_NO_NEW_PRIVS = 38
SECCOMP_SET_MODE_FILTER = 1


class _SockFprog(ctypes.Structure):
    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.c_void_p))


@cache
def libc() -> ctypes.CDLL:
    lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    lib.syscall.restype = ctypes.c_long
    lib.syscall.argtypes = (ctypes.c_long,) * 7
    lib.prctl.restype = ctypes.c_int
    lib.prctl.argtypes = (ctypes.c_int,) + (ctypes.c_ulong,) * 4
    return lib


@cache
def sys_seccomp_nr() -> int:
    arch = native_arch()
    nr = syscalls.table(arch).number("seccomp")
    if nr is None:
        raise InputError(f"loading filters is not supported on {arch.value}")
    return nr


def set_no_new_privs() -> int:
    """0 or an errno."""
    if libc().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return ctypes.get_errno()
    return 0


class Prepared:
    """A program in C memory, ready for :meth:`install` without allocating afterwards."""

    def __init__(self, program: bytes, flags: int) -> None:
        if not program or len(program) % 8:
            raise InputError("a filter program is a non-empty array of 8-byte instructions")
        self.buffer = ctypes.create_string_buffer(program, len(program))
        self.fprog = _SockFprog(len(program) // 8, ctypes.addressof(self.buffer))
        self.flags = flags
        self.nr = sys_seccomp_nr()
        self.libc = libc()

    def install(self) -> int:
        """Load into the calling thread: the seccomp(2) return (>= 0) or minus the errno."""
        rc = self.libc.syscall(
            self.nr, SECCOMP_SET_MODE_FILTER, self.flags, ctypes.addressof(self.fprog), 0, 0, 0
        )
        return int(rc) if rc >= 0 else -ctypes.get_errno()


def install(program: bytes, flags: int = 0) -> int:
    """Set no_new_privs and load ``program``; seccomp(2)'s return or minus the errno."""
    err = set_no_new_privs()
    if err:
        return -err
    return Prepared(program, flags).install()
