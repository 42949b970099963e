"""Argument conditions from observed syscall arguments: which arguments, and how.

Only arguments that are flags or enumerations are ever constrained, following :data:`TABLE`
(documented in ``docs/recording.md``); pointers, sizes, file descriptors, addresses and
everything not in the table stay unconstrained. For each syscall the observed values of its
table arguments are counted together as one key (socket's domain and type are one pair), so
the inferred rules allow exactly the combinations seen: one ALLOW rule per key. Past
``max_values`` distinct keys the syscall stays unconstrained (a cap, so a program that walks
through many ioctls gets one plain rule instead of hundreds).

``clone3`` takes a pointer, so its flags cannot be filtered: like Docker's default profile, a
recording that saw ``clone3`` answers it with ``ENOSYS``, which makes the C library fall back to
``clone``, whose flags are filtered on the namespace bits (MASKED_EQ, as Docker does). The
flags of each ``clone3`` call are read from the caller's memory when that is possible, so the
namespace combinations it used stay allowed through ``clone``.

Used by live recording and by anything else that sees :class:`~._notify.Notification` objects
(a listenerPath agent): :class:`ArgObserver` counts, :func:`infer` turns counts into rules.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping

import attrs

from seccomp_kit.model import Action, Arch, ArgCondition, Operator, SyscallRule
from seccomp_kit.record._notify import Notification
from seccomp_kit.syscalls import table

__all__ = [
    "CLONE_NAMESPACE_BITS",
    "DEFAULT_MAX_VALUES",
    "TABLE",
    "ArgInference",
    "ArgObserver",
    "ArgSpec",
    "infer",
]

CLONE_NAMESPACE_BITS = 0x7E02_0000
"""CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET (Docker's mask)."""
DEFAULT_MAX_VALUES = 16
_U32 = 0xFFFF_FFFF
_PROT_WX = 0x6  # PROT_WRITE | PROT_EXEC


@attrs.frozen
class ArgSpec:
    """How one syscall's arguments are recorded: which ``indices`` form the key, and for each
    either ``None`` (the value itself: an enumeration) or a mask (only those bits count)."""

    indices: tuple[int, ...]
    masks: tuple[int | None, ...]
    labels: tuple[str, ...]
    why: str

    def index_on(self, arch: Arch | None, position: int) -> int:
        # s390 passes clone's flags second (moby's profile has the same exception).
        if self.labels[position] == "flags" and arch in (Arch.S390, Arch.S390X):
            return 1
        return self.indices[position]


def _spec(
    indices: tuple[int, ...], masks: tuple[int | None, ...], labels: str, why: str
) -> ArgSpec:
    return ArgSpec(indices, masks, tuple(labels.split()), why)


_SOCKET = _spec((0, 1), (None, 0xF), "domain type", "address family and socket type")
_SOCKOPT = _spec((1, 2), (None, None), "level optname", "option level and name")
_PROT = _spec((2,), (_PROT_WX,), "prot", "PROT_WRITE and PROT_EXEC together or apart")
TABLE: Mapping[str, ArgSpec] = {
    "socket": _SOCKET,
    "socketpair": _SOCKET,
    "clone": _spec((0,), (CLONE_NAMESPACE_BITS,), "flags", "new namespaces (Docker's mask)"),
    "personality": _spec((0,), (None,), "persona", "execution domain"),
    "prctl": _spec((0,), (None,), "option", "operation"),
    "fcntl": _spec((1,), (None,), "cmd", "operation"),
    "fcntl64": _spec((1,), (None,), "cmd", "operation"),
    "ioctl": _spec((1,), (None,), "request", "request code"),
    "setsockopt": _SOCKOPT,
    "getsockopt": _SOCKOPT,
    "madvise": _spec((2,), (None,), "advice", "advice"),
    "mmap": _PROT,
    "mmap2": _PROT,
    "mprotect": _PROT,
    "pkey_mprotect": _PROT,
}
"""Per syscall, the arguments inferred from observed values; nothing else is constrained."""

NOTIFIED: frozenset[str] = frozenset(TABLE) | {"clone3", "seccomp"}
"""What the supervisor needs to see: the table, clone3 (for its policy) and seccomp (to tell
when the workload installs a filter of its own)."""
__all__ += ["NOTIFIED"]

_SECCOMP_SET_MODE_FILTER = 1
_FLAG_NEW_LISTENER = 8
_PR_SET_SECCOMP = 22


def _masked(value: int, mask: int | None) -> int:
    if mask is not None:
        return value & mask
    # The kernel reads these int arguments as 32 bits; keep a raw value that fits as it is.
    return value


class ArgObserver:
    """Counts, per syscall, the keys of its table arguments from notifications.

    ``read_clone3_flags`` reads the flags of a ``clone3`` call from the caller's memory
    (``/proc/PID/mem``); a call whose flags cannot be read is counted as unknown.
    """

    def __init__(self, *, read_clone3_flags: bool = True) -> None:
        self.counts: dict[str, Counter[tuple[int, ...]]] = {}
        self.calls: Counter[tuple[Arch, int]] = Counter()
        """Every notified call per (architecture, number): the kernel audits no
        USER_NOTIF verdict that is answered with CONTINUE, so these names come only from here."""
        self.clone3_unknown = 0
        self.own_filters: Counter[str] = Counter()
        self.read_clone3_flags = read_clone3_flags

    def __call__(self, note: Notification) -> None:
        if note.arch is not None:
            self.calls[(note.arch, note.nr)] += 1
        name = note.syscall
        if name is None:
            return
        args = note.args
        if name == "seccomp" or (name == "prctl" and args[0] == _PR_SET_SECCOMP):
            self._own_filter(name, args)
        if name == "clone3":
            flags = self._clone3_flags(note) if self.read_clone3_flags else None
            if flags is None:
                self.clone3_unknown += 1
            else:
                self.counts.setdefault("clone3", Counter())[(flags & CLONE_NAMESPACE_BITS,)] += 1
            return
        spec = TABLE.get(name)
        if spec is None:
            return
        key = tuple(
            _masked(args[spec.index_on(note.arch, i)], mask) for i, mask in enumerate(spec.masks)
        )
        self.counts.setdefault(name, Counter())[key] += 1

    def _own_filter(self, name: str, args: tuple[int, ...]) -> None:
        if name == "seccomp" and args[0] == _SECCOMP_SET_MODE_FILTER:
            if args[1] & _FLAG_NEW_LISTENER:
                self.own_filters["listener"] += 1
            else:
                self.own_filters["filter"] += 1
        elif name == "prctl":
            self.own_filters["filter"] += 1

    @staticmethod
    def _clone3_flags(note: Notification) -> int | None:
        # struct clone_args starts with a u64 flags; reading it races with nothing we rely on:
        # the value only widens what clone is allowed.
        try:
            fd = os.open(f"/proc/{note.pid}/mem", os.O_RDONLY)
        except OSError:
            return None
        try:
            data = os.pread(fd, 8, note.args[0])
        except OSError:
            return None
        finally:
            os.close(fd)
        return int.from_bytes(data, "little") if len(data) == 8 else None

    def warnings(self) -> list[str]:
        out = []
        if self.own_filters["listener"]:
            out.append(
                "WARNING: the workload asked for a seccomp listener of its own"
                " (SECCOMP_FILTER_FLAG_NEW_LISTENER); the kernel allows one per process tree"
                " and refused it (EBUSY) because the recorder's is attached, so the workload"
                " did not run as it normally does: record it without --args"
            )
        if self.own_filters["filter"]:
            out.append(
                "note: the workload installed a seccomp filter of its own; what that filter"
                " denies never reaches the recorder and is not in the profile"
            )
        return out


@attrs.frozen
class ArgInference:
    """Argument rules inferred from observations, and what they were made of."""

    rules: tuple[SyscallRule, ...]
    """Conditional ALLOW rules (and clone3's ENOSYS rule), each with a ``comment`` that says
    what was seen."""
    constrained: frozenset[str]
    """Names whose unconditional permission the rules replace."""
    added: frozenset[str]
    """Names allowed only because a policy needs them (clone for clone3's fallback)."""
    report: tuple[str, ...]
    """One line per table syscall recorded: values seen and how often, or why unconstrained."""


def _show(value: int) -> str:
    return str(value) if value < 10 else f"{value:#x}"


def _condition(index: int, mask: int | None, value: int) -> ArgCondition:
    if mask is None:
        if value <= _U32:
            return ArgCondition(index, value, Operator.EQ)
        mask, value = _U32, value & _U32
    return ArgCondition(index, mask, Operator.MASKED_EQ, value)


def _describe(spec: ArgSpec, key: tuple[int, ...]) -> str:
    parts = []
    for position, value in enumerate(key):
        mask = spec.masks[position]
        shown = _show(value) if mask is None else f"{_show(value)} under mask {mask:#x}"
        parts.append(f"arg{spec.indices[position]} {spec.labels[position]} {shown}")
    return ", ".join(parts)


def infer(
    counts: Mapping[str, Mapping[tuple[int, ...], int]],
    names: Iterable[str],
    *,
    max_values: int = DEFAULT_MAX_VALUES,
    clone3_unknown: int = 0,
    arches: Iterable[Arch] = (),
) -> ArgInference:
    """Rules for the recorded ``names`` from argument ``counts`` (as :class:`ArgObserver`
    keeps them). A name without observations stays unconstrained."""
    recorded = set(names)
    rules: list[SyscallRule] = []
    report: list[str] = []
    constrained: set[str] = set()
    added: set[str] = set()
    seen_by: dict[str, Counter[tuple[int, ...]]] = {n: Counter(c) for n, c in counts.items()}
    arch_set = set(arches)
    loose: set[str] = set()  # table syscalls that must stay unconstrained
    if "clone3" in recorded:
        seen3 = seen_by.pop("clone3", Counter())
        rules.append(
            SyscallRule(
                names=("clone3",),
                action=Action.ERRNO,
                errno_ret=38,
                comment="clone3 passes its flags behind a pointer, which no filter can read:"
                " ENOSYS makes the C library fall back to clone, whose flags are filtered",
            )
        )
        constrained.add("clone3")
        report.append(f"clone3: answered with ENOSYS ({seen3.total() + clone3_unknown} calls seen)")
        if "clone" not in recorded:
            added.add("clone")
            recorded.add("clone")
        if clone3_unknown or not seen3:
            loose.add("clone")
            report.append(
                "clone: unconstrained: the flags of clone3 calls could not be read"
                f" ({clone3_unknown or 'none'} unread)"
            )
        else:
            seen_by.setdefault("clone", Counter()).update(seen3)
    if arch_set & {Arch.S390, Arch.S390X} and arch_set - {Arch.S390, Arch.S390X}:
        # clone's flags sit at another index there: one rule cannot serve both orders.
        if "clone" in seen_by and "clone" not in loose:
            report.append("clone: unconstrained: s390 and other architectures recorded together")
        loose.add("clone")
    for name in sorted(recorded):
        spec = TABLE.get(name)
        if spec is None or name in loose:
            continue
        seen = seen_by.get(name)
        if not seen:
            report.append(f"{name}: unconstrained: no call was seen with its arguments")
            continue
        if len(seen) > max_values:
            report.append(
                f"{name}: unconstrained: {len(seen)} distinct values of"
                f" {' and '.join(spec.labels)}, more than the cap of {max_values}"
            )
            continue
        constrained.add(name)
        described = []
        for key, n in sorted(seen.items()):
            text = _describe(spec, key)
            described.append(f"{text} x{n}")
            conditions = tuple(
                _condition(spec.indices[i], spec.masks[i], value) for i, value in enumerate(key)
            )
            rules.append(
                SyscallRule(
                    names=(name,),
                    action=Action.ALLOW,
                    args=conditions,
                    comment=f"recorded {spec.why}: {text}, seen {n} time{'' if n == 1 else 's'}",
                )
            )
        report.append(f"{name}: {'; '.join(described)}")
    return ArgInference(
        rules=tuple(rules),
        constrained=frozenset(constrained),
        added=frozenset(added),
        report=tuple(report),
    )


def numbers_to_notify(arches: Iterable[Arch]) -> dict[Arch, list[int]]:
    """Per architecture, the numbers of :data:`NOTIFIED` syscalls it has."""
    out: dict[Arch, list[int]] = {}
    for arch in arches:
        tbl = table(arch)
        out[arch] = [nr for name in sorted(NOTIFIED) if (nr := tbl.number(name)) is not None]
    return out


__all__ += ["numbers_to_notify"]
