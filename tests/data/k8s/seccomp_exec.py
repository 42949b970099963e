"""Load a compiled seccomp filter, then exec a command under it (a test helper).

Usage: python seccomp_exec.py FILTER.bpf FLAGS COMMAND [ARG...]

The filter bytes are a ``struct sock_filter`` array as ``CompiledFilter.bpf`` holds them. Only
execve runs between loading and the command, so the command's own syscalls are what the filter
judges from its first instruction on.
"""

from __future__ import annotations

import ctypes
import os
import sys

PR_SET_NO_NEW_PRIVS = 38
SECCOMP_SET_MODE_FILTER = 1
SYS_SECCOMP = {"x86_64": 317, "aarch64": 277}


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def main() -> None:
    path, flags, argv = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    with open(path, "rb") as fh:
        code = fh.read()
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(code, len(code))
    prog = SockFprog(len(code) // 8, ctypes.cast(buf, ctypes.c_void_p))
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    nr = SYS_SECCOMP[os.uname().machine]
    if libc.syscall(nr, SECCOMP_SET_MODE_FILTER, flags, ctypes.byref(prog)) != 0:
        raise OSError(ctypes.get_errno(), "seccomp(SECCOMP_SET_MODE_FILTER)")
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main()
