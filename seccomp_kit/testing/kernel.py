"""The kernel harness: ask the running kernel what a compiled profile does to a syscall.

:func:`observe` translates a profile, rewrites every distinct action value of the translation
(the default, each rule's action, and libseccomp's bad-architecture action) to a distinct
``SCMP_ACT_ERRNO(n)``, compiles it, loads it in a forked child and issues each event's raw
syscall there with the chosen six arguments. Because every outcome of the rewritten filter is
an errno, nothing the events name is ever executed. The child reports each errno through
shared memory (after the filter is loaded it cannot rely on any syscall, not even ``write``)
and the parent maps it back to the original 32-bit action value. Rewriting the translation
rather than the profile keeps everything else exactly as the runtime would do it: rules equal to
the default stay skipped (distinct values stay distinct), runc's ENOSYS stub and binary tree
are decided on the original profile.

What the harness observes, and what it cannot:

- the action the kernel applied, per event, on this machine's architecture (x86_64 here), for
  x32 numbers (``__X32_SYSCALL_BIT`` set; the kernel hands them to the filter with arch
  x86_64 even when x32 support is compiled out), and for i386 (``Event(nr, arch=Arch.X86)``:
  issued with ``int $0x80``, which a 64-bit process may use when the kernel has IA32 emulation;
  arguments are then 32 bits wide). Other architectures cannot be issued from an x86_64
  process; use :func:`seccomp_kit.bpf.emulate` for them;
- the action, not the rule: rules sharing an action share an errno (giving each rule its own
  errno would change how libseccomp merges them, e.g. turn a silent duplicate into EEXIST);
- ``uretprobe`` (x86_64 335) and ``uprobe`` (336) bypass seccomp on recent kernels (this
  machine's 6.18 runs them under a filter that returns ERRNO), so events naming them are
  refused;
- ERRNO data above 4095 is capped by the kernel; we report the original action value, as the
  filter returns it (the process would see errno 4095).

:func:`observe_real` loads the real, unrewritten filter, only for events whose outcome it can
observe without executing anything: those the program (emulated) answers with ERRNO, batched in
one child, and those it answers with KILL_PROCESS, KILL_THREAD or TRAP, one child each (they end
in SIGSYS). Events the filter would allow, log, trace or notify are refused.
"""

from __future__ import annotations

import contextlib
import ctypes
import mmap
import os
import resource
import signal
import time
from collections.abc import Callable, Iterable, Sequence

import attrs

from seccomp_kit import bpf
from seccomp_kit.bpf._load import Prepared, libc, set_no_new_privs
from seccomp_kit.errors import InputError, SeccompKitError
from seccomp_kit.libseccomp.compile import CompiledFilter, compile_translation
from seccomp_kit.libseccomp.translate import ERRNO_ENOSYS, Translation, translate
from seccomp_kit.model import Arch, Profile
from seccomp_kit.syscalls.arches import X32_SYSCALL_BIT, native_arch

__all__ = [
    "BYPASS_SECCOMP",
    "Event",
    "HarnessError",
    "Rewrite",
    "observe",
    "observe_real",
    "rewrite",
    "run_events",
]

BYPASS_SECCOMP = frozenset({335, 336})
"""x86_64 ``uretprobe`` and ``uprobe``: the kernel runs them without consulting seccomp."""

_ERRNO = 0x0005_0000
_ENOSYS = 38
_FIRST_ERRNO = 1000  # far from ENOSYS, which runc's stub returns
_BAD_ARCH_ERRNO = 999
_NO_ERROR = -1
_GETPID, _GETPID_I386 = 39, 20


class HarnessError(SeccompKitError):
    """The harness could not run (the filter did not load, the child died, a timeout)."""


def _int_tuple(values: Iterable[int]) -> tuple[int, ...]:
    return tuple(values)


@attrs.frozen
class Event:
    """One syscall to issue: number as the kernel sees it, and up to six 64-bit arguments.

    ``arch`` None issues it natively; ``Arch.X86`` issues it as an i386 syscall (``int $0x80``,
    32-bit arguments).
    """

    nr: int
    args: tuple[int, ...] = attrs.field(default=(), converter=_int_tuple)
    arch: Arch | None = None

    def full_args(self) -> tuple[int, ...]:
        return (*self.args, *([0] * (6 - len(self.args))))


@attrs.frozen
class Rewrite:
    """A translation whose actions are all distinct errnos, with the way back."""

    translation: Translation
    original: dict[int, int]
    """errno -> original action value."""


def rewrite(translation: Translation) -> Rewrite:
    """Replace every distinct action value with ``ERRNO(n)``, n distinct in 1000..4094."""
    values: dict[int, int] = {}

    def errno_for(value: int) -> int:
        if value not in values:
            values[value] = _FIRST_ERRNO + len(values)
        return values[value]

    default = _ERRNO | errno_for(translation.default_action)
    rules = tuple(attrs.evolve(r, action=_ERRNO | errno_for(r.action)) for r in translation.rules)
    if len(values) > 4094 - _FIRST_ERRNO:
        raise InputError(f"{len(values)} distinct actions are too many to tell apart by errno")
    rewritten = attrs.evolve(translation, default_action=default, rules=rules, new_listener=False)
    original = {n: v for v, n in values.items()}
    original[_ENOSYS] = ERRNO_ENOSYS
    original[_BAD_ARCH_ERRNO] = 0  # libseccomp's bad-architecture action, KILL_THREAD
    return Rewrite(rewritten, original)


def _as_events(events: Iterable[Event | int | tuple[int, Sequence[int]]]) -> list[Event]:
    out = []
    for item in events:
        if isinstance(item, int):
            e = Event(item)
        elif isinstance(item, Event):
            e = item
        else:
            e = Event(item[0], item[1])
        if len(e.args) > 6:
            raise InputError(f"syscall {e.nr}: at most 6 arguments, got {len(e.args)}")
        if not 0 <= e.nr <= 0xFFFF_FFFF:
            raise InputError(f"syscall number {e.nr} is not a 32-bit unsigned value")
        if e.arch not in (None, Arch.X86):
            raise InputError(
                f"syscall {e.nr}: the harness issues native and i386 syscalls, not"
                f" {e.arch.value} ones; use seccomp_kit.bpf.emulate"
            )
        if e.arch is Arch.X86 and any(a >> 32 for a in e.args):
            raise InputError(f"i386 syscall {e.nr}: arguments are 32 bits wide")
        if e.arch is None and e.nr & ~X32_SYSCALL_BIT in BYPASS_SECCOMP:
            raise InputError(
                f"syscall {e.nr} (uretprobe/uprobe) bypasses seccomp on this kernel; it would run"
            )
        out.append(e)
    return out


def _signed(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def run_events(
    program: bytes, events: Sequence[Event], *, flags: int = 0, timeout: float = 60.0
) -> list[int]:
    """Load ``program`` in a forked child, issue ``events`` there, and return for each the errno
    it failed with (``-1`` where the syscall succeeded). The program must answer every event
    with an errno (or the events must be harmless): whatever it allows is executed."""
    events = _as_events(events)
    n = len(events)
    if n == 0:
        return []
    native = native_arch()
    if native is not Arch.X86_64:
        raise HarnessError(f"the kernel harness issues x86_64 syscalls; this is {native.value}")
    shared = mmap.mmap(-1, 16 + 8 * n, flags=mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)
    try:
        state = (ctypes.c_int64 * 2).from_buffer(shared)
        results = (ctypes.c_int64 * n).from_buffer(shared, 16)
        nrs = [_signed(e.nr, 32) for e in events]
        argv = [tuple(_signed(a, 64) for a in e.full_args()) for e in events]
        prepared = Prepared(program, flags)
        native_call: Callable[..., int] = libc().syscall
        get_errno = ctypes.get_errno
        compat = _Int80() if any(e.arch is Arch.X86 for e in events) else None
        calls = [native_call if e.arch is None or compat is None else compat for e in events]
        warm = [(native_call, _GETPID)]
        if compat is not None:
            warm.append((compat, _GETPID_I386))
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            _child(prepared, state, results, nrs, argv, calls, warm, get_errno)
        try:
            _wait_done(pid, state, timeout)
        finally:
            _reap(pid)
        if state[0] < 0:
            raise HarnessError(f"the kernel refused the filter: {os.strerror(-state[0])}")
        if state[0] != 2:
            raise HarnessError("the harness child died before it finished")
        out = list(results)
    finally:
        del state, results
        shared.close()
    if compat is not None:
        compat.close()
    return out


# int $0x80 from 64-bit code: the kernel runs it as an i386 (compat) syscall, so seccomp sees
# AUDIT_ARCH_I386. System V arguments (nr, a0..a4 in rdi, rsi, rdx, rcx, r8, r9; a5 on the
# stack) move to i386's eax, ebx, ecx, edx, esi, edi, ebp; the negative errno comes back in eax.
_INT80_CODE = bytes.fromhex(
    "53"  # push rbx
    "55"  # push rbp
    "89f8"  # mov eax, edi
    "89f3"  # mov ebx, esi
    "4189ca"  # mov r10d, ecx
    "89d1"  # mov ecx, edx
    "4489d2"  # mov edx, r10d
    "4489c6"  # mov esi, r8d
    "4489cf"  # mov edi, r9d
    "8b6c2418"  # mov ebp, [rsp + 24]
    "cd80"  # int 0x80
    "5d"  # pop rbp
    "5b"  # pop rbx
    "c3"  # ret
)
_INT80_TYPE = ctypes.CFUNCTYPE(ctypes.c_int32, *([ctypes.c_uint32] * 7))


class _Int80:
    """A callable issuing an i386 syscall: ``(nr, a0, …, a5) -> -1`` with errno set, as libc's
    ``syscall`` does, or the result."""

    def __init__(self) -> None:
        prot = mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC
        self._page = mmap.mmap(-1, mmap.PAGESIZE, prot=prot)
        self._page.write(_INT80_CODE)
        address = ctypes.addressof(ctypes.c_char.from_buffer(self._page))
        self._call = _INT80_TYPE(address)

    def __call__(self, nr: int, *args: int) -> int:
        ret = int(self._call(nr & 0xFFFF_FFFF, *(a & 0xFFFF_FFFF for a in args)))
        if -4096 < ret < 0:
            ctypes.set_errno(-ret)
            return -1
        return ret

    def close(self) -> None:
        del self._call
        with contextlib.suppress(BufferError):
            self._page.close()


def _child(  # noqa: PLR0917 - the child's whole context, handed over at fork
    prepared: Prepared,
    state: ctypes.Array[ctypes.c_int64],
    results: ctypes.Array[ctypes.c_int64],
    nrs: list[int],
    argv: list[tuple[int, ...]],
    calls: list[Callable[..., int]],
    warm: list[tuple[Callable[..., int], int]],
    get_errno: Callable[[], int],
) -> None:  # pragma: no cover - runs in the forked child
    try:
        err = set_no_new_privs()
        if err:
            state[0] = -err
            return
        # Warm the loop (allocator free lists, bytecode caches) before any syscall can fail.
        for i in range(min(len(nrs), 4)):
            results[i] = 0
            for call, getpid in warm:
                call(getpid, 0, 0, 0, 0, 0, 0)
        rc = prepared.install()
        if rc < 0:
            state[0] = rc
            return
        state[0] = 1
        for i in range(len(nrs)):
            a = argv[i]
            r = calls[i](nrs[i], a[0], a[1], a[2], a[3], a[4], a[5])
            results[i] = get_errno() if r == -1 else _NO_ERROR
        state[0] = 2
    finally:
        # With the filter loaded even exit_group may fail; the parent kills us when it sees
        # state 2. os._exit is still tried for the cases where the filter allows it.
        os._exit(0)


def _wait_done(pid: int, state: ctypes.Array[ctypes.c_int64], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    delay = 0.0002
    while state[0] not in (2,) and state[0] >= 0:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return
        if time.monotonic() > deadline:
            raise HarnessError(f"the harness child did not finish within {timeout} s")
        time.sleep(delay)
        delay = min(delay * 2, 0.01)


def _reap(pid: int) -> int:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return 0
    return status


def observe(
    profile: Profile | Translation,
    events: Iterable[Event | int | tuple[int, Sequence[int]]],
    *,
    runtime: str = "runc",
    timeout: float = 60.0,
) -> list[int]:
    """The 32-bit action value the kernel applied to each event under ``profile`` (compiled as
    ``runtime`` would on this machine), observed through the errno rewrite."""
    evs = _as_events(events)
    t = profile if isinstance(profile, Translation) else translate(profile, runtime=runtime)
    # What libseccomp refuses (EEXIST, errno >= 4095...) must fail here too, not be hidden by
    # the rewrite.
    compile_translation(t)
    rw = rewrite(t)
    compiled = compile_translation(rw.translation, bad_arch_action=_ERRNO | _BAD_ARCH_ERRNO)
    errnos = run_events(compiled.bpf, evs, timeout=timeout)
    out = []
    for e, err in zip(evs, errnos, strict=True):
        if err not in rw.original:
            raise HarnessError(
                f"syscall {e.nr} returned {'success' if err == _NO_ERROR else f'errno {err}'},"
                " which no action of the rewritten filter produces"
            )
        out.append(rw.original[err])
    return out


@attrs.frozen
class RealOutcome:
    """What the real filter did to one event: an errno, or the signal that ended the child."""

    errno: int | None = None
    signal: int | None = None


__all__ += ["RealOutcome"]


def observe_real(
    compiled: CompiledFilter,
    events: Iterable[Event | int | tuple[int, Sequence[int]]],
    *,
    timeout: float = 60.0,
) -> list[RealOutcome]:
    """Load the real filter and observe the events it denies (see the module notes)."""
    evs = _as_events(events)
    program = compiled.program()
    arch = compiled.architectures[0]
    batch: list[int] = []
    single: list[int] = []
    for i, e in enumerate(evs):
        ret = program.emulate(arch=arch, nr=e.nr, args=e.full_args())
        action = ret & 0xFFFF_0000
        if action == _ERRNO:
            batch.append(i)
        elif action in (0x0000_0000, 0x8000_0000, 0x0003_0000):
            single.append(i)
        else:
            raise InputError(
                f"syscall {e.nr}: the filter answers {bpf.action_text(ret)}, so issuing it would"
                " execute it; observe_real only issues denied syscalls"
            )
    out: list[RealOutcome] = [RealOutcome()] * len(evs)
    flags = compiled.load_flags & ~(8 | 32)  # no listener without an agent
    errnos = run_events(compiled.bpf, [evs[i] for i in batch], flags=flags, timeout=timeout)
    for i, err in zip(batch, errnos, strict=True):
        out[i] = RealOutcome(errno=None if err == _NO_ERROR else err)
    for i in single:
        out[i] = RealOutcome(signal=_run_fatal(compiled.bpf, evs[i], flags, timeout))
    return out


def _run_fatal(program: bytes, event: Event, flags: int, timeout: float) -> int | None:
    prepared = Prepared(program, flags)
    sc = libc().syscall
    a = tuple(_signed(x, 64) for x in event.full_args())
    nr = _signed(event.nr, 32)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        try:
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # SIGSYS would dump core
            if set_no_new_privs() == 0 and prepared.install() >= 0:
                sc(nr, *a)
        finally:
            os._exit(0)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        if time.monotonic() > deadline:
            _reap(pid)
            raise HarnessError(f"the child issuing syscall {event.nr} did not end")
        time.sleep(0.001)
