"""The equivalence table for porting: a call -> the calls that do the same on other architectures.

Each entry says: where a program called ``legacy``, on an architecture whose C library calls one
of ``replacements`` instead (because ``legacy`` does not exist there, or because the 32-bit ABI
uses a wider form), the program needs that replacement. ``args`` maps each argument index of
``legacy`` to the index of the same argument in the replacement, or None where there is no
argument with that meaning (so a condition on it cannot be carried). Every entry names its
sources: the man page or kernel/glibc fact it rests on, checked against the syscall tables in
:mod:`seccomp_kit.syscalls` for which architectures have which name.

Three more facts live here: :data:`ARG_LAYOUTS` (a call whose argument order differs between
architectures under one name, e.g. ``clone``), :data:`SPLIT_64` (calls with a 64-bit argument that
32-bit ABIs pass as two registers, shifting every later argument) and :data:`MULTIPLEXERS`
(``socketcall``/``ipc``: argument 0 selects the call).
"""

from __future__ import annotations

import attrs

from seccomp_kit.model import Arch

__all__ = [
    "ARG_LAYOUTS",
    "EQUIVALENTS",
    "MULTIPLEXERS",
    "SPLIT_64",
    "TLS_CALL",
    "VDSO",
    "Equivalent",
    "Replacement",
]


@attrs.frozen
class Replacement:
    name: str
    args: tuple[int | None, ...]
    """Argument i of the legacy call is argument ``args[i]`` here (None: no counterpart)."""


@attrs.frozen
class Equivalent:
    legacy: str
    replacements: tuple[Replacement, ...]
    kind: str
    """legacy (an older form), time64, largefile, uid32, tls (thread pointer setup)."""
    source: str
    note: str = ""
    """What the replacement allows beyond the legacy call, said in the report."""
    first_only: bool = False
    """Only the first replacement (in order) the target has stands in: the C library picks one
    (stat -> newfstatat, else fstatat64, else statx)."""
    replaces: bool = False
    """Where the replacement is the target's form, ``legacy`` is not kept beside it: every C
    library calls the replacement there (the 32-bit id calls, the thread pointer call)."""
    reverse: bool = False
    """musl (and older glibc) call ``legacy`` wherever the architecture has it (``SYS_open``,
    ``SYS_fork``, ``SYS_pipe``...): ported from an architecture without it, the replacement
    also needs ``legacy`` on a target that has it."""


def _e(
    legacy: str,
    reps: dict[str, tuple[int | None, ...]],
    kind: str,
    source: str,
    note: str = "",
    *,
    reverse: bool = False,
) -> Equivalent:
    reps_ = tuple(Replacement(n, a) for n, a in reps.items())
    first = legacy in _FIRST_ONLY
    return Equivalent(legacy, reps_, kind, source, note, first, kind in ("uid32", "tls"), reverse)


# Entries whose replacements are alternatives the C library chooses between by what the
# architecture has (glibc's fstatat64 uses newfstatat or fstatat64 and statx only where neither
# exists; access uses faccessat, faccessat2 only for flags; rename uses renameat if present).
_FIRST_ONLY = frozenset(
    ["stat", "lstat", "fstat", "stat64", "lstat64", "fstat64", "access", "rename"]
)


_AT = (
    "asm-generic/unistd.h (aarch64, riscv64, loongarch64) has only the newer call; glibc and "
    "musl implement this one with it there"
)
_STAT = (
    "stat(2), statx(2): stat/lstat/fstat are fstatat(AT_FDCWD|fd, path, buf, flags); 64-bit "
    "asm-generic ABIs name it newfstatat, 32-bit ones fstatat64; glibc 2.33+ uses statx on "
    "32-bit ABIs for 64-bit time"
)
_T64 = (
    "Linux 5.1 added *_time64 calls for 32-bit ABIs (y2038); glibc 2.34+ calls them first on "
    "32-bit architectures, with the same arguments and a 64-bit timespec"
)
_LFS = (
    "32-bit ABIs have large-file forms (lseek -> _llseek, mmap -> mmap2, fcntl -> fcntl64, "
    "truncate -> truncate64, statfs -> statfs64, sendfile -> sendfile64) that glibc and musl "
    "call there; a 64-bit argument is split in two registers"
)
_UID32 = (
    "x86 and arm 32-bit: the original uid/gid calls take 16-bit ids; glibc calls the *32 forms "
    "(syscalls(2), 'uid32')"
)
_TLS = (
    "the thread pointer: arch_prctl(ARCH_SET_FS) on x86_64, set_thread_area(2) on x86/mips/m68k, "
    "the ARM private set_tls on arm; aarch64, riscv64, ppc, s390 set it without a syscall"
)
_CLONE = (
    "fork(2)/vfork(2) are clone(SIGCHLD[|CLONE_VM|CLONE_VFORK]) in glibc and musl; "
    "asm-generic/unistd.h has no fork or vfork"
)

EQUIVALENTS: tuple[Equivalent, ...] = (
    # -- the *at family and other legacy forms missing from asm-generic ABIs -----------------
    _e(
        "open",
        {"openat": (1, 2, 3)},
        "legacy",
        "open(2): openat(dirfd, path, flags, mode); " + _AT,
        "openat's dirfd (argument 0) is not constrained",
        reverse=True,
    ),
    _e(
        "creat",
        {"openat": (1, 3)},
        "legacy",
        "open(2): creat(path, mode) is openat(AT_FDCWD, path, O_CREAT|O_WRONLY|O_TRUNC, mode); "
        + _AT,
        "openat also opens without O_CREAT",
        reverse=True,
    ),
    _e(
        "stat",
        {"newfstatat": (1, 2), "fstatat64": (1, 2), "statx": (1, 4)},
        "legacy",
        _STAT,
        reverse=True,
    ),
    _e(
        "lstat",
        {"newfstatat": (1, 2), "fstatat64": (1, 2), "statx": (1, 4)},
        "legacy",
        _STAT,
        reverse=True,
    ),
    _e("fstat", {"newfstatat": (0, 2), "fstatat64": (0, 2), "statx": (0, 4)}, "legacy", _STAT),
    _e("stat64", {"newfstatat": (1, 2), "statx": (1, 4)}, "largefile", _STAT),
    _e("lstat64", {"newfstatat": (1, 2), "statx": (1, 4)}, "largefile", _STAT),
    _e("fstat64", {"newfstatat": (0, 2), "statx": (0, 4)}, "largefile", _STAT),
    _e("newfstatat", {"fstatat64": (0, 1, 2, 3), "statx": (0, 1, 4, 2)}, "largefile", _STAT),
    _e("fstatat64", {"newfstatat": (0, 1, 2, 3), "statx": (0, 1, 4, 2)}, "largefile", _STAT),
    _e(
        "fork",
        {"clone": ()},
        "legacy",
        _CLONE,
        "clone also creates threads and namespaces; restrict its flags by hand if needed",
        reverse=True,
    ),
    _e(
        "vfork",
        {"clone": ()},
        "legacy",
        _CLONE,
        "clone also creates threads and namespaces; restrict its flags by hand if needed",
        reverse=True,
    ),
    _e(
        "pipe",
        {"pipe2": (0,)},
        "legacy",
        "pipe(2): pipe(fds) is pipe2(fds, 0); " + _AT,
        reverse=True,
    ),
    _e(
        "dup2",
        {"dup3": (0, 1)},
        "legacy",
        "dup(2): dup2(old, new) is dup3(old, new, 0); " + _AT,
        reverse=True,
    ),
    _e(
        "poll",
        {"ppoll": (0, 1, None)},
        "legacy",
        "poll(2): ppoll takes a timespec pointer where poll takes milliseconds; " + _AT,
        reverse=True,
    ),
    _e(
        "select",
        {"pselect6": (0, 1, 2, 3, None)},
        "legacy",
        "select(2): pselect6 takes a timespec pointer where select takes a timeval; " + _AT,
        reverse=True,
    ),
    _e(
        "_newselect",
        {"pselect6": (0, 1, 2, 3, None)},
        "legacy",
        "select(2): _newselect is select on 32-bit ABIs; " + _AT,
    ),
    _e(
        "epoll_wait",
        {"epoll_pwait": (0, 1, 2, 3)},
        "legacy",
        "epoll_wait(2): epoll_wait is epoll_pwait with a NULL sigmask; " + _AT,
        reverse=True,
    ),
    _e(
        "epoll_create",
        {"epoll_create1": (None,)},
        "legacy",
        "epoll_create(2): size is ignored, epoll_create1 takes flags instead; " + _AT,
        reverse=True,
    ),
    _e(
        "inotify_init",
        {"inotify_init1": ()},
        "legacy",
        "inotify_init(2): inotify_init is inotify_init1(0); " + _AT,
        reverse=True,
    ),
    _e(
        "eventfd",
        {"eventfd2": (0,)},
        "legacy",
        "eventfd(2): eventfd(n) is eventfd2(n, 0); " + _AT,
        reverse=True,
    ),
    _e(
        "signalfd",
        {"signalfd4": (0, 1, 2)},
        "legacy",
        "signalfd(2): signalfd is signalfd4 with flags 0; " + _AT,
        reverse=True,
    ),
    _e(
        "access",
        {"faccessat": (1, 2), "faccessat2": (1, 2)},
        "legacy",
        "access(2): access(path, mode) is faccessat(AT_FDCWD, path, mode); glibc 2.33+ tries "
        "faccessat2 first; " + _AT,
        reverse=True,
    ),
    # path calls whose *at form is the same call with AT_FDCWD (symlink's path is its 2nd)
    *(
        _e(legacy, {rep: args}, "legacy", f"{legacy}(2): {rep} with AT_FDCWD; " + _AT, reverse=True)
        for legacy, rep, args in (
            ("mkdir", "mkdirat", (1, 2)),
            ("mknod", "mknodat", (1, 2, 3)),
            ("link", "linkat", (1, 3)),
            ("symlink", "symlinkat", (0, 2)),
            ("readlink", "readlinkat", (1, 2, 3)),
            ("chmod", "fchmodat", (1, 2)),
        )
    ),
    _e(
        "rmdir",
        {"unlinkat": (1,)},
        "legacy",
        "unlink(2): rmdir(path) is unlinkat(AT_FDCWD, path, AT_REMOVEDIR); " + _AT,
        "unlinkat also removes files",
        reverse=True,
    ),
    _e(
        "unlink",
        {"unlinkat": (1,)},
        "legacy",
        "unlink(2): unlink(path) is unlinkat(AT_FDCWD, path, 0); " + _AT,
        "unlinkat also removes directories",
        reverse=True,
    ),
    _e(
        "rename",
        {"renameat": (1, 3), "renameat2": (1, 3)},
        "legacy",
        "rename(2): renameat(AT_FDCWD, old, AT_FDCWD, new); riscv64 and loongarch64 have only "
        "renameat2; " + _AT,
        reverse=True,
    ),
    _e(
        "renameat",
        {"renameat2": (0, 1, 2, 3)},
        "legacy",
        "rename(2): renameat is renameat2 with flags 0; riscv64 and loongarch64 lack renameat",
    ),
    _e(
        "chown",
        {"fchownat": (1, 2, 3), "chown32": (0, 1, 2)},
        "legacy",
        "chown(2): fchownat(AT_FDCWD, ...); " + _AT + "; " + _UID32,
        reverse=True,
    ),
    _e(
        "lchown",
        {"fchownat": (1, 2, 3), "lchown32": (0, 1, 2)},
        "legacy",
        "chown(2): lchown is fchownat(..., AT_SYMLINK_NOFOLLOW); " + _AT + "; " + _UID32,
        reverse=True,
    ),
    _e(
        "utime",
        {"utimensat": (1,)},
        "legacy",
        "utime(2), utimensat(2): utimensat(AT_FDCWD, path, times, 0); " + _AT,
    ),
    _e(
        "utimes",
        {"utimensat": (1,)},
        "legacy",
        "utimes(2), utimensat(2): utimensat(AT_FDCWD, path, times, 0); " + _AT,
    ),
    _e("futimesat", {"utimensat": (0, 1)}, "legacy", "futimesat(2): superseded by utimensat"),
    _e(
        "getdents",
        {"getdents64": (0, 1, 2)},
        "legacy",
        "getdents(2): asm-generic ABIs have only getdents64; glibc's readdir uses it everywhere",
        reverse=True,
    ),
    _e(
        "alarm",
        {"setitimer": (None,)},
        "legacy",
        "alarm(2): glibc implements alarm with setitimer(ITIMER_REAL) where alarm is missing",
    ),
    _e(
        "pause",
        {"rt_sigsuspend": ()},
        "legacy",
        "pause(2): glibc implements pause with sigsuspend where pause is missing",
    ),
    _e(
        "time",
        {"clock_gettime": (None,), "clock_gettime64": (None,)},
        "legacy",
        "time(2): glibc's time() is clock_gettime(CLOCK_REALTIME) (normally in the vDSO) where "
        "time is missing",
    ),
    _e("getpgrp", {"getpgid": ()}, "legacy", "getpgrp(2): getpgrp() is getpgid(0)"),
    _e("waitpid", {"wait4": (0, 1, 2)}, "legacy", "wait(2): waitpid is wait4(pid, st, opt, NULL)"),
    _e("umount", {"umount2": (0,)}, "legacy", "umount(2): umount(t) is umount2(t, 0)"),
    _e("send", {"sendto": (0, 1, 2, 3)}, "legacy", "send(2): send is sendto(..., NULL, 0)"),
    _e("recv", {"recvfrom": (0, 1, 2, 3)}, "legacy", "recv(2): recv is recvfrom(..., NULL, NULL)"),
    _e("signal", {"rt_sigaction": (0,)}, "legacy", "signal(2): glibc's signal uses rt_sigaction"),
    _e(
        "sigaction",
        {"rt_sigaction": (0,)},
        "legacy",
        "sigaction(2): the rt_ form is the one libc uses",
    ),
    _e("sigprocmask", {"rt_sigprocmask": (0,)}, "legacy", "sigprocmask(2): as above"),
    _e("sigsuspend", {"rt_sigsuspend": ()}, "legacy", "sigsuspend(2): as above"),
    _e("sigreturn", {"rt_sigreturn": ()}, "legacy", "sigreturn(2): as above"),
    _e(
        "getrlimit",
        {"prlimit64": (1,), "ugetrlimit": (0,)},
        "legacy",
        "getrlimit(2): getrlimit(r, l) is prlimit64(0, r, NULL, l); glibc uses prlimit64",
    ),
    _e(
        "prlimit64",
        {"ugetrlimit": (None, 0, None, 1)},
        "legacy",
        "getrlimit(2): glibc's getrlimit on x86 and arm 32-bit calls ugetrlimit (seen in strace "
        "of Debian 12's i386 busybox-static), prlimit64 on 64-bit ABIs",
        "ugetrlimit only reads limits; prlimit64's pid and new limit have no counterpart",
    ),
    _e(
        "rt_sigreturn",
        {"sigreturn": ()},
        "legacy",
        "sigreturn(2): on x86 and arm 32-bit a handler installed without SA_SIGINFO returns "
        "through sigreturn; 64-bit ABIs have only rt_sigreturn (seen in strace of Debian 12's "
        "i386 busybox-static)",
    ),
    _e(
        "setrlimit",
        {"prlimit64": (1, 2)},
        "legacy",
        "getrlimit(2): setrlimit(r, l) is prlimit64(0, r, l, NULL); glibc uses prlimit64",
    ),
    # -- 64-bit time on 32-bit ABIs -----------------------------------------------------------
    _e("clock_gettime", {"clock_gettime64": (0, 1)}, "time64", _T64),
    _e(
        "gettimeofday",
        {"clock_gettime": (None, None), "clock_gettime64": (None, None)},
        "time64",
        "gettimeofday(2): " + _T64 + "; glibc's gettimeofday is clock_gettime there",
    ),
    _e("clock_settime", {"clock_settime64": (0, 1)}, "time64", _T64),
    _e("clock_getres", {"clock_getres_time64": (0, 1)}, "time64", _T64),
    _e("clock_adjtime", {"clock_adjtime64": (0, 1)}, "time64", _T64),
    _e("clock_nanosleep", {"clock_nanosleep_time64": (0, 1, 2, 3)}, "time64", _T64),
    _e(
        "nanosleep",
        {"clock_nanosleep": (None, None), "clock_nanosleep_time64": (None, None)},
        "time64",
        "nanosleep(2): glibc 2.31+ implements nanosleep with clock_nanosleep; " + _T64,
    ),
    _e("futex", {"futex_time64": (0, 1, 2, 3, 4, 5)}, "time64", _T64),
    _e("ppoll", {"ppoll_time64": (0, 1, 2, 3, 4)}, "time64", _T64),
    _e("pselect6", {"pselect6_time64": (0, 1, 2, 3, 4, 5)}, "time64", _T64),
    _e("utimensat", {"utimensat_time64": (0, 1, 2, 3)}, "time64", _T64),
    _e("recvmmsg", {"recvmmsg_time64": (0, 1, 2, 3, 4)}, "time64", _T64),
    _e("semtimedop", {"semtimedop_time64": (0, 1, 2, 3)}, "time64", _T64),
    _e("timerfd_settime", {"timerfd_settime64": (0, 1, 2, 3)}, "time64", _T64),
    _e("timerfd_gettime", {"timerfd_gettime64": (0, 1)}, "time64", _T64),
    _e("timer_settime", {"timer_settime64": (0, 1, 2, 3)}, "time64", _T64),
    _e("timer_gettime", {"timer_gettime64": (0, 1)}, "time64", _T64),
    _e("io_pgetevents", {"io_pgetevents_time64": (0, 1, 2, 3, 4, 5)}, "time64", _T64),
    _e("rt_sigtimedwait", {"rt_sigtimedwait_time64": (0, 1, 2, 3)}, "time64", _T64),
    _e("sched_rr_get_interval", {"sched_rr_get_interval_time64": (0, 1)}, "time64", _T64),
    _e("mq_timedsend", {"mq_timedsend_time64": (0, 1, 2, 3, 4)}, "time64", _T64),
    _e("mq_timedreceive", {"mq_timedreceive_time64": (0, 1, 2, 3, 4)}, "time64", _T64),
    # -- large-file forms on 32-bit ABIs --------------------------------------------------------
    _e("lseek", {"_llseek": (0, None, 4)}, "largefile", _LFS),
    _e(
        "mmap",
        {"mmap2": (0, 1, 2, 3, 4, None)},
        "largefile",
        "mmap(2): mmap2 takes the offset in 4096-byte units; " + _LFS,
    ),
    _e("fcntl", {"fcntl64": (0, 1, 2)}, "largefile", _LFS),
    _e("truncate", {"truncate64": (0, None)}, "largefile", _LFS),
    _e("ftruncate", {"ftruncate64": (0, None)}, "largefile", _LFS),
    _e(
        "statfs", {"statfs64": (0, 2)}, "largefile", "statfs(2): statfs64(path, size, buf); " + _LFS
    ),
    _e(
        "fstatfs",
        {"fstatfs64": (0, 2)},
        "largefile",
        "statfs(2): fstatfs64(fd, size, buf); " + _LFS,
    ),
    _e("sendfile", {"sendfile64": (0, 1, 2, 3)}, "largefile", _LFS),
    _e(
        "fadvise64",
        {"fadvise64_64": (0,), "arm_fadvise64_64": (0,)},
        "largefile",
        "posix_fadvise(3): 32-bit ABIs split offset and length (arm moves advice to argument 1)",
    ),
    _e(
        "sync_file_range",
        {"sync_file_range2": (0,)},
        "largefile",
        "sync_file_range(2): arm and ppc have sync_file_range2 with flags as argument 1",
    ),
    # -- 32-bit ids on x86 and arm --------------------------------------------------------------
    *(
        _e(f"{call}", {f"{call}32": args}, "uid32", _UID32)
        for call, args in (
            ("getuid", ()),
            ("getgid", ()),
            ("geteuid", ()),
            ("getegid", ()),
            ("setuid", (0,)),
            ("setgid", (0,)),
            ("setreuid", (0, 1)),
            ("setregid", (0, 1)),
            ("setresuid", (0, 1, 2)),
            ("setresgid", (0, 1, 2)),
            ("getresuid", (0, 1, 2)),
            ("getresgid", (0, 1, 2)),
            ("getgroups", (0, 1)),
            ("setgroups", (0, 1)),
            ("fchown", (0, 1, 2)),
            ("setfsuid", (0,)),
            ("setfsgid", (0,)),
        )
    ),
    # -- the thread pointer ---------------------------------------------------------------------
    _e("arch_prctl", {"set_thread_area": (None,), "set_tls": (None,)}, "tls", _TLS),
    _e("set_thread_area", {"set_tls": (None,)}, "tls", _TLS),
    _e("set_tls", {"set_thread_area": (None,)}, "tls", _TLS),
)

_BACKWARDS = ("flags", "stack", "parent_tid", "tls", "child_tid")
ARG_LAYOUTS: dict[str, dict[Arch, tuple[str, ...]]] = {
    # kernel/fork.c: SYSCALL_DEFINE5(clone, ...) in three orders; arch/*/Kconfig select
    # CLONE_BACKWARDS (arm, arm64, x86 32-bit, mips, powerpc) or CLONE_BACKWARDS2 (s390).
    # Architectures missing here have an order we did not verify: conditions are not carried.
    "clone": {
        Arch.X86_64: ("flags", "stack", "parent_tid", "child_tid", "tls"),
        Arch.X32: ("flags", "stack", "parent_tid", "child_tid", "tls"),
        Arch.X86: _BACKWARDS,
        Arch.ARM: _BACKWARDS,
        Arch.AARCH64: _BACKWARDS,
        **dict.fromkeys(
            (Arch.MIPS, Arch.MIPSEL, Arch.MIPS64, Arch.MIPSEL64, Arch.MIPS64N32,
             Arch.MIPSEL64N32, Arch.PPC, Arch.PPC64, Arch.PPC64LE), _BACKWARDS
        ),
        Arch.S390: ("stack", "flags", "parent_tid", "child_tid", "tls"),
        Arch.S390X: ("stack", "flags", "parent_tid", "child_tid", "tls"),
    },
    # mmap(2) NOTES: on x86, s390, s390x and m68k the call named mmap is old_mmap, which takes
    # one pointer to a struct of the six arguments.
    "mmap": {
        **dict.fromkeys(
            (Arch.X86_64, Arch.X32, Arch.AARCH64, Arch.RISCV64, Arch.LOONGARCH64, Arch.MIPS,
             Arch.MIPSEL, Arch.MIPS64, Arch.MIPSEL64, Arch.MIPS64N32, Arch.MIPSEL64N32, Arch.PPC,
             Arch.PPC64, Arch.PPC64LE, Arch.PARISC, Arch.PARISC64, Arch.SH, Arch.SHEB),
            ("addr", "length", "prot", "flags", "fd", "offset"),
        ),
        **dict.fromkeys((Arch.X86, Arch.S390, Arch.S390X, Arch.M68K), ("args",)),
    },
}  # fmt: skip

SPLIT_64: dict[str, int] = {
    # syscall(2) "Architecture calling conventions": on 32-bit ABIs a 64-bit argument takes two
    # registers (arm EABI, mips o32 and ppc32 also align it to an even register), so it and
    # every later argument sit elsewhere than on 64-bit ABIs. Value: the first such index.
    "pread64": 3, "pwrite64": 3, "preadv": 3, "pwritev": 3, "preadv2": 3, "pwritev2": 3,
    "fallocate": 2, "truncate": 1, "ftruncate": 1, "truncate64": 1, "ftruncate64": 1,
    "readahead": 1, "fadvise64": 1, "fadvise64_64": 1, "sync_file_range": 1, "lseek": 1,
    "lookup_dcookie": 0, "fanotify_mark": 2, "copy_file_range": 1,
}  # fmt: skip

MULTIPLEXERS: dict[str, dict[int, str]] = {
    # socketcall(2) and ipc(2): argument 0 is the call number (linux/net.h SYS_*, linux/ipc.h).
    "socketcall": {
        1: "socket", 2: "bind", 3: "connect", 4: "listen", 5: "accept", 6: "getsockname",
        7: "getpeername", 8: "socketpair", 9: "send", 10: "recv", 11: "sendto", 12: "recvfrom",
        13: "shutdown", 14: "setsockopt", 15: "getsockopt", 16: "sendmsg", 17: "recvmsg",
        18: "accept4", 19: "recvmmsg", 20: "sendmmsg",
    },
    "ipc": {
        1: "semop", 2: "semget", 3: "semctl", 4: "semtimedop", 11: "msgsnd", 12: "msgrcv",
        13: "msgget", 14: "msgctl", 21: "shmat", 22: "shmdt", 23: "shmget", 24: "shmctl",
    },
}  # fmt: skip

TLS_CALL: dict[Arch, str] = {
    # The call glibc and musl use to set the thread pointer (``_TLS`` above); architectures
    # missing here set it without a syscall.
    Arch.X86_64: "arch_prctl",
    Arch.X32: "arch_prctl",
    Arch.X86: "set_thread_area",
    Arch.ARM: "set_tls",
    **dict.fromkeys(
        (Arch.MIPS, Arch.MIPSEL, Arch.MIPS64, Arch.MIPSEL64, Arch.MIPS64N32, Arch.MIPSEL64N32,
         Arch.M68K),
        "set_thread_area",
    ),
}  # fmt: skip

VDSO: dict[Arch, tuple[str, ...]] = {
    # The calls each architecture's vDSO serves (the __vdso_*/__kernel_* symbols of
    # arch/*/entry/vdso/vdso*.lds.S, arch/*/kernel/vdso*/vdso.lds.S). A recording never sees
    # them; the C library falls back to the syscall where the vDSO cannot answer (a clocksource
    # without vDSO support, vdso=0, qemu-user without a vDSO).
    Arch.X86_64: ("clock_gettime", "gettimeofday", "time", "getcpu", "clock_getres"),
    Arch.X32: ("clock_gettime", "gettimeofday", "time", "getcpu", "clock_getres"),
    Arch.X86: ("clock_gettime", "clock_gettime64", "gettimeofday", "time", "clock_getres"),
    Arch.AARCH64: ("clock_gettime", "gettimeofday", "clock_getres"),
    Arch.ARM: ("clock_gettime", "clock_gettime64", "gettimeofday"),
    Arch.RISCV64: ("clock_gettime", "gettimeofday", "clock_getres", "getcpu"),
    Arch.S390X: ("clock_gettime", "gettimeofday", "clock_getres", "getcpu"),
    Arch.PPC64LE: ("clock_gettime", "gettimeofday", "clock_getres", "time", "getcpu"),
    Arch.PPC64: ("clock_gettime", "gettimeofday", "clock_getres", "time", "getcpu"),
    Arch.LOONGARCH64: ("clock_gettime", "gettimeofday", "getcpu"),
}
