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

What changes between versions is a :class:`~seccomp_kit.libseccomp.targets.Target`: runc 1.1
refuses any ``flags``, sets no binary tree and (before 1.1.15) builds its stub from the declared
architectures only; every libseccomp version resolves its own set of names
(:mod:`seccomp_kit.libseccomp.names`). Names are resolved as the target's libseccomp resolves
them: a name it does not know is dropped everywhere (the syscall gets the default action); a
known name lands on the architectures where it has a number, and on those that multiplex it
through socketcall/ipc. ``place_unknown=True`` instead places names only our tables know by
their number (what no runtime does; for profiles meant for a newer libseccomp).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import attrs

from seccomp_kit import syscalls
from seccomp_kit.errors import InputError, ProfileError
from seccomp_kit.libseccomp.names import (
    Placement,
    knows_arch,
    libseccomp_arch_name,
    placement,
    resolved_number,
)
from seccomp_kit.libseccomp.targets import Target, target
from seccomp_kit.model import Action, Arch, ArgCondition, Flag, Operator, Profile, SyscallRule
from seccomp_kit.syscalls.arches import arch_info, native_arch, parse_arch
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
    """No architecture has this name (in our tables or the target's libseccomp)."""
    EQUALS_DEFAULT = "equals-default"
    UNRESOLVED = "unresolved"
    """The target's libseccomp cannot resolve the name: the runtime drops it."""


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
    multiplexed: tuple[Arch, ...] = ()
    """Architectures where libseccomp also (or only) places the rule through socketcall/ipc."""

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
    target: Target
    """The runtime build and libseccomp version this translation follows (:attr:`runtime` is
    its translation rules: ``runc``, ``crun`` or ``oci``)."""
    placed_by_number: bool = False
    """Names only our tables know were kept by number (``place_unknown=True``)."""
    enosys_empty: tuple[Arch, ...] = ()
    """Architectures of runc's stub that name no syscall: runc keeps a jump-table entry for
    their kernel architecture (into the filter) but no section."""

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


def _filter_arches(profile: Profile, host: Arch, tgt: Target) -> tuple[Arch, ...]:
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
        if tgt.runtime is not None and arch in tgt.runtime.unsupported:
            raise ProfileError(
                f"runc does not support {arch.value} ({tgt.runtime.label} has no name for it)",
                path=("architectures", i),
            )
        out.setdefault(arch)
    for arch in out:
        if not knows_arch(tgt.libseccomp, arch):
            where = "the host's architecture" if arch is host else "an architecture"
            raise ProfileError(
                f"{tgt.libseccomp.label} does not know {arch.value}"
                f" ({libseccomp_arch_name(arch)}), {where} of the filter: {_who(tgt)} refuses"
                " the profile",
                path=_arch_path(profile, arch),
            )
    little = {arch_info(a).little_endian for a in out}
    if len(little) > 1:
        raise ProfileError(
            "big-endian and little-endian architectures in one filter: libseccomp cannot merge"
            f" them, so {_who(tgt)} refuses the profile ({', '.join(a.value for a in out)})",
            path=("architectures",),
        )
    return tuple(out)


def _arch_path(profile: Profile, arch: Arch) -> tuple[str | int, ...]:
    if arch in profile.architectures:
        return ("architectures", profile.architectures.index(arch))
    return ("architectures",)


def _who(tgt: Target) -> str:
    return "the runtime" if tgt.runtime is None else tgt.runtime.label


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
    profile: Profile,
    *,
    runtime: str | Target = "runc",
    host_arch: Arch | str | None = None,
    libseccomp: str = "installed",
    place_unknown: bool = False,
) -> Translation:
    """Translate ``profile`` the way ``runtime`` (with ``libseccomp``, see
    :func:`~seccomp_kit.libseccomp.targets.target`) does on a host of ``host_arch`` (default:
    this machine). Raises :class:`ProfileError` (with the JSON path) where the runtime or its
    libseccomp refuses the profile."""
    tgt = target(runtime, libseccomp)
    host = native_arch() if host_arch is None else parse_arch(host_arch)
    _check_plain(profile)
    rt = tgt.runtime_name
    model = tgt.runtime
    default_errno = _effective_errno(
        profile.default_errno_ret, profile.default_errno_name, ("defaultErrnoRet",)
    )
    if not isinstance(profile.default_action, Action):
        raise ProfileError(f"unknown action {profile.default_action!r}", path=("defaultAction",))
    if default_errno is not None and not profile.default_action.takes_errno:
        if rt != "runc":
            raise ProfileError(
                f"crun refuses defaultErrnoRet on {profile.default_action.value}",
                path=("defaultErrnoRet",),
            )
        default_errno = None
    if rt == "runc" and profile.default_action is Action.NOTIFY:
        raise ProfileError(
            "runc refuses SCMP_ACT_NOTIFY as default action", path=("defaultAction",)
        )
    default = action_value(profile.default_action, default_errno)
    arches = _filter_arches(profile, host, tgt)
    flags: list[Flag] = []
    for i, flag in enumerate(profile.flags):
        if not isinstance(flag, Flag):
            raise ProfileError(f"unknown flag {flag!r}", path=("flags", i))
        if model is not None and not model.flags:
            raise ProfileError(
                f'{model.label} refuses any seccomp flags ("seccomp flags are not yet supported'
                ' by runc"; runc supports them from 1.2.0)',
                path=("flags", i),
            )
        flags.append(flag)
    where = _Placer(tgt, arches, place_unknown)

    rules: list[RuleAdd] = []
    skipped: list[Skip] = []
    name_count = 0
    new_listener = False
    for i, rule in enumerate(profile.syscalls):
        path: tuple[str | int, ...] = ("syscalls", i)
        action = _rule_action(rule, path, rt)
        conditions = _condition_sets(rule, path)
        for k, name in enumerate(rule.names):
            name_count += 1
            name_path = (*path, "names", k)
            if rule.action is Action.NOTIFY:
                new_listener = True
                if rt == "runc" and name == "write":
                    raise ProfileError("runc refuses SCMP_ACT_NOTIFY for write", path=name_path)
            if action == default:
                skipped.append(Skip(name, name_path, SkipReason.EQUALS_DEFAULT))
                continue
            found = where.places(name)
            if isinstance(found, SkipReason):
                skipped.append(Skip(name, name_path, found))
                continue
            numbers, mux = found
            rules.extend(
                RuleAdd(name, action, conds, numbers, path, k, mux) for conds in conditions
            )

    enosys: tuple[tuple[Arch, int], ...] | None = None
    empty: tuple[Arch, ...] = ()
    if (
        model is not None
        and model.enosys_stub
        and profile.default_action not in (Action.ALLOW, Action.LOG, Action.TRACE)
        and default_errno != _RUNC_STUB_SKIP_ERRNO
    ):
        enosys, empty = _stub_limits(profile, arches, host, model.stub_adds_native, where)
    return Translation(
        runtime=rt,
        default_action=default,
        architectures=arches,
        flags=tuple(flags),
        rules=tuple(rules),
        skipped=tuple(skipped),
        binary_tree=model is not None and model.binary_tree and name_count > _RUNC_TREE_THRESHOLD,
        enosys_limits=enosys,
        new_listener=new_listener,
        target=tgt,
        placed_by_number=place_unknown,
        enosys_empty=empty,
    )


class _Placer:
    """Where each name lands on the filter's architectures, for one target."""

    def __init__(self, tgt: Target, arches: tuple[Arch, ...], by_number: bool) -> None:
        self.lib = tgt.libseccomp
        self.arches = arches
        self.by_number = by_number
        self.tables = [(a, syscalls.table(a)) for a in arches]

    def number(self, arch: Arch, name: str) -> int | None:
        """The number runc's stub sees for ``name`` (libseccomp's own, never a pseudo one)."""
        if self.by_number:
            return syscalls.table(arch).number(name)
        return resolved_number(self.lib, arch, name)

    def places(
        self, name: str
    ) -> tuple[tuple[tuple[Arch, int], ...], tuple[Arch, ...]] | SkipReason:
        if self.by_number:
            numbers = tuple((a, nr) for a, t in self.tables if (nr := t.number(name)) is not None)
            return (numbers, ()) if numbers else SkipReason.UNKNOWN_NAME
        spots = [(a, placement(self.lib, a, name, self.arches[0])) for a in self.arches]
        if any(p is None for _, p in spots):
            return (
                SkipReason.UNRESOLVED if name in syscalls.all_names() else SkipReason.UNKNOWN_NAME
            )
        found = [(a, p) for a, p in spots if isinstance(p, Placement)]
        numbers = tuple((a, p.number) for a, p in found if p.number is not None)
        mux = tuple(a for a, p in found if p.multiplexed)
        if not numbers and not mux:
            return SkipReason.UNKNOWN_NAME
        return numbers, mux


def _stub_limits(
    profile: Profile,
    arches: tuple[Arch, ...],
    host: Arch,
    adds_native: bool,
    where: _Placer,
) -> tuple[tuple[tuple[Arch, int], ...], tuple[Arch, ...]]:
    """runc's ``findLastSyscalls``: per architecture of the stub, the highest number any name of
    the profile has there (rules equal to the default count too: runc looks at every name).

    runc before 1.1.15 takes the declared architectures only; from 1.1.15 the native one is
    always added. An architecture whose maximum stays 0 gets no section, but its kernel
    architecture keeps an entry in the stub's jump table (into the filter).
    """
    stub_arches = [a for a in arches if a is not host or adds_native or _declared(profile, a)]
    names = {n for r in profile.syscalls for n in r.names}
    limits: list[tuple[Arch, int]] = []
    empty: list[Arch] = []
    for arch in stub_arches:
        known = [nr for n in names if (nr := where.number(arch, n)) is not None]
        # runc starts its search at 0: an architecture whose maximum stays 0 has no section.
        if known and max(known) > 0:
            limits.append((arch, max(known)))
        else:
            empty.append(arch)
    return tuple(limits), tuple(empty)


def _declared(profile: Profile, arch: Arch) -> bool:
    if arch in profile.architectures:
        return True
    return any(arch == e.architecture or arch in e.sub_architectures for e in profile.arch_map)
