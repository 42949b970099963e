"""How a container runtime turns a profile into libseccomp calls.

This is the single place that knows what runc and crun do between reading ``linux.seccomp`` and
calling libseccomp (DESIGN.md §3, checked against runc's ``libcontainer/seccomp`` and crun's
``src/libcrun/seccomp.c``). Compiling, matching, merging and diffing all start from a
:class:`Translation`, so they agree on it by construction.

What both runtimes do:

- every name of a rule becomes its own libseccomp rule, in profile order;
- ``SCMP_ACT_KILL`` is ``SCMP_ACT_KILL_THREAD``; ERRNO and TRACE without ``errnoRet`` get EPERM;
  the errno is masked to 16 bits (``SCMP_ACT_ERRNO(x)`` does that in C, runc's int16 does it in
  Go); the kernel later caps it at 4095;
- a rule whose action (with its errno) equals the default action is skipped;
- an unknown name is skipped (runc logs at debug level, crun warns);
- if one argument index appears twice in a rule, every condition becomes a rule of its own (OR);
  otherwise all conditions form one rule (AND).

Where they differ: runc silently ignores ``errnoRet`` on other actions, crun refuses it (also for
the default); runc refuses NOTIFY as default action and NOTIFY for ``write``; runc refuses
architectures it has no name for (PARISC, PARISC64, M68K, SH, SHEB); runc turns on libseccomp's
binary tree when a profile has more than 32 names; runc prepends a stub that returns ENOSYS for
syscall numbers above the highest one the profile names, unless the default action is ALLOW, LOG
or TRACE. crun does none of the last three.

Names are resolved with our own tables (:mod:`seccomp_kit.syscalls`), per architecture, which is
what libseccomp does with its pseudo-syscall numbers for a name it knows: a rule applies on the
architectures where its syscall exists and is dropped on the others.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import attrs

from seccomp_kit import syscalls
from seccomp_kit.errors import InputError, ProfileError
from seccomp_kit.model import Action, Arch, ArgCondition, Flag, Operator, Profile, SyscallRule
from seccomp_kit.syscalls.arches import RUNC_UNSUPPORTED, native_arch, parse_arch
from seccomp_kit.syscalls.errnos import EPERM, errno_number

__all__ = [
    "ERRNO_ENOSYS",
    "MAX_ARG_INDEX",
    "RUNTIMES",
    "RuleAdd",
    "Skip",
    "SkipReason",
    "Translation",
    "action_value",
    "translate",
]

RUNTIMES = ("runc", "crun")
MAX_ARG_INDEX = 5
ERRNO_ENOSYS = 0x0005_0000 | 38
_RUNC_TREE_THRESHOLD = 32
# runc's stub compares the profile's defaultErrnoRet with this whole action value (not with the
# errno 38), so in practice the stub is always added; we model what runc does, not what it meant.
_RUNC_STUB_SKIP_ERRNO = ERRNO_ENOSYS


class SkipReason(enum.StrEnum):
    UNKNOWN_NAME = "unknown-name"
    EQUALS_DEFAULT = "equals-default"


@attrs.frozen
class RuleAdd:
    """One libseccomp rule, as the runtime adds it.

    ``numbers`` maps each architecture of the filter where the syscall exists to its number
    there (as ``(arch, nr)`` pairs in filter order). ``conditions`` are ANDed.
    """

    name: str
    action: int
    conditions: tuple[ArgCondition, ...]
    numbers: tuple[tuple[Arch, int], ...]
    path: tuple[str | int, ...]
    """The JSON path of the profile rule: ``("syscalls", i)``."""
    name_index: int

    def number(self, arch: Arch) -> int | None:
        for a, nr in self.numbers:
            if a is arch:
                return nr
        return None


@attrs.frozen
class Skip:
    """A profile rule name the runtime does not turn into a libseccomp rule, and why."""

    name: str
    path: tuple[str | int, ...]
    reason: SkipReason


@attrs.frozen
class Translation:
    """Everything a runtime hands libseccomp (and the kernel) for one profile on one host."""

    runtime: str
    default_action: int
    architectures: tuple[Arch, ...]
    """The filter's architectures: the host's native one first, then the profile's, once."""
    flags: tuple[Flag, ...]
    rules: tuple[RuleAdd, ...]
    skipped: tuple[Skip, ...]
    binary_tree: bool
    """libseccomp's SCMP_FLTATR_CTL_OPTIMIZE=2, which runc sets for more than 32 names."""
    enosys_limits: tuple[tuple[Arch, int], ...] | None
    """runc's ENOSYS stub: per architecture, the highest syscall number the profile names;
    numbers above it return ``ERRNO(ENOSYS)``. None where no stub is added."""
    new_listener: bool
    """A NOTIFY rule exists, so the filter is loaded with SECCOMP_FILTER_FLAG_NEW_LISTENER."""

    def rules_for(self, arch: Arch) -> Iterable[tuple[RuleAdd, int]]:
        """The rules that exist on ``arch``, with their syscall number there, in add order."""
        for rule in self.rules:
            nr = rule.number(arch)
            if nr is not None:
                yield rule, nr


def action_value(
    action: Action | str, errno_ret: int | None, *, path: tuple[str | int, ...] = ()
) -> int:
    """The 32-bit value libseccomp gets for an action, as runc and crun compute it."""
    if not isinstance(action, Action):
        raise ProfileError(f"unknown action {action!r}", path=path)
    base = action.kernel_base
    if action.takes_errno:
        return base | ((EPERM if errno_ret is None else errno_ret) & 0xFFFF)
    return base


def _effective_errno(
    number: int | None, name: str | None, path: tuple[str | int, ...]
) -> int | None:
    if name is not None:
        try:
            return errno_number(name)
        except InputError as exc:
            raise ProfileError(exc.message, path=path) from None
    return number


def _check_plain(profile: Profile) -> None:
    for i, rule in enumerate(profile.syscalls):
        if rule.includes or rule.excludes:
            raise ProfileError(
                "rule is conditional on capabilities, architectures or kernel (moby's"
                " includes/excludes); resolve the profile for a host first"
                " (seccomp_kit.algebra.resolving / 'seccomp-kit resolve')",
                path=("syscalls", i),
            )


def _filter_arches(profile: Profile, host: Arch, runtime: str) -> tuple[Arch, ...]:
    declared: list[Arch | str] = list(profile.architectures)
    if profile.arch_map:
        # moby hands the runtime the archMap entry of the host and its sub-architectures.
        for entry in profile.arch_map:
            if entry.architecture == host:
                declared += [entry.architecture, *entry.sub_architectures]
    out: dict[Arch, None] = {host: None}
    for i, arch in enumerate(declared):
        if not isinstance(arch, Arch):
            raise ProfileError(f"unknown architecture {arch!r}", path=("architectures", i))
        if runtime == "runc" and arch in RUNC_UNSUPPORTED:
            raise ProfileError(f"runc does not support {arch.value}", path=("architectures", i))
        out.setdefault(arch)
    return tuple(out)


def _rule_action(rule: SyscallRule, path: tuple[str | int, ...], runtime: str) -> int:
    errno_ret = _effective_errno(rule.errno_ret, rule.errno_name, (*path, "errnoRet"))
    if not isinstance(rule.action, Action):
        raise ProfileError(f"unknown action {rule.action!r}", path=(*path, "action"))
    if errno_ret is not None and not rule.action.takes_errno:
        if runtime == "crun":
            raise ProfileError(
                f"crun refuses errnoRet on {rule.action.value}", path=(*path, "errnoRet")
            )
        errno_ret = None  # runc ignores it
    return action_value(rule.action, errno_ret, path=(*path, "action"))


def _condition_sets(
    rule: SyscallRule, path: tuple[str | int, ...]
) -> list[tuple[ArgCondition, ...]]:
    seen: set[int] = set()
    repeated = False
    for j, cond in enumerate(rule.args):
        if cond.index > MAX_ARG_INDEX:
            raise ProfileError(
                f"argument index {cond.index} is out of range 0..{MAX_ARG_INDEX}",
                path=(*path, "args", j, "index"),
            )
        if not isinstance(cond.op, Operator):
            raise ProfileError(f"unknown operator {cond.op!r}", path=(*path, "args", j, "op"))
        repeated |= cond.index in seen
        seen.add(cond.index)
    if not rule.args:
        return [()]
    if repeated:
        return [(cond,) for cond in rule.args]
    return [rule.args]


def translate(
    profile: Profile, *, runtime: str = "runc", host_arch: Arch | str | None = None
) -> Translation:
    """Translate ``profile`` the way ``runtime`` does on a host of ``host_arch`` (default: this
    machine). Raises :class:`ProfileError` (with the JSON path) where the runtime refuses the
    profile."""
    if runtime not in RUNTIMES:
        raise InputError(f"unknown runtime {runtime!r}; expected one of {', '.join(RUNTIMES)}")
    host = native_arch() if host_arch is None else parse_arch(host_arch)
    _check_plain(profile)
    default_errno = _effective_errno(
        profile.default_errno_ret, profile.default_errno_name, ("defaultErrnoRet",)
    )
    if not isinstance(profile.default_action, Action):
        raise ProfileError(f"unknown action {profile.default_action!r}", path=("defaultAction",))
    if default_errno is not None and not profile.default_action.takes_errno:
        if runtime == "crun":
            raise ProfileError(
                f"crun refuses defaultErrnoRet on {profile.default_action.value}",
                path=("defaultErrnoRet",),
            )
        default_errno = None
    if runtime == "runc" and profile.default_action is Action.NOTIFY:
        raise ProfileError(
            "runc refuses SCMP_ACT_NOTIFY as default action", path=("defaultAction",)
        )
    default = action_value(profile.default_action, default_errno)
    arches = _filter_arches(profile, host, runtime)
    flags: list[Flag] = []
    for i, flag in enumerate(profile.flags):
        if not isinstance(flag, Flag):
            raise ProfileError(f"unknown flag {flag!r}", path=("flags", i))
        flags.append(flag)
    tables = [(a, syscalls.table(a)) for a in arches]

    rules: list[RuleAdd] = []
    skipped: list[Skip] = []
    name_count = 0
    new_listener = False
    for i, rule in enumerate(profile.syscalls):
        path: tuple[str | int, ...] = ("syscalls", i)
        action = _rule_action(rule, path, runtime)
        conditions = _condition_sets(rule, path)
        for k, name in enumerate(rule.names):
            name_count += 1
            name_path = (*path, "names", k)
            if rule.action is Action.NOTIFY:
                new_listener = True
                if runtime == "runc" and name == "write":
                    raise ProfileError("runc refuses SCMP_ACT_NOTIFY for write", path=name_path)
            if action == default:
                skipped.append(Skip(name, name_path, SkipReason.EQUALS_DEFAULT))
                continue
            numbers = tuple((a, nr) for a, t in tables if (nr := t.number(name)) is not None)
            if not numbers:
                skipped.append(Skip(name, name_path, SkipReason.UNKNOWN_NAME))
                continue
            rules.extend(RuleAdd(name, action, conds, numbers, path, k) for conds in conditions)

    enosys: tuple[tuple[Arch, int], ...] | None = None
    if (
        runtime == "runc"
        and profile.default_action not in (Action.ALLOW, Action.LOG, Action.TRACE)
        and default_errno != _RUNC_STUB_SKIP_ERRNO
    ):
        names = {n for r in profile.syscalls for n in r.names}
        limits = []
        for arch, table in tables:
            known = [nr for n in names if (nr := table.number(n)) is not None]
            # runc starts its search at 0 and drops an architecture whose maximum stays 0.
            if known and max(known) > 0:
                limits.append((arch, max(known)))
        enosys = tuple(limits)
    return Translation(
        runtime=runtime,
        default_action=default,
        architectures=arches,
        flags=tuple(flags),
        rules=tuple(rules),
        skipped=tuple(skipped),
        binary_tree=runtime == "runc" and name_count > _RUNC_TREE_THRESHOLD,
        enosys_limits=enosys,
        new_listener=new_listener,
    )
