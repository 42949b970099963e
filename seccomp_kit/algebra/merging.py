"""Normalize, merge (union / intersection) and extend profiles, exactly on effect.

The effect of a profile is, per architecture, syscall and argument tuple, the value the
runtime's libseccomp filter returns (see :mod:`seccomp_kit.algebra._core` for how a profile is
read). Merging works on that effect, not on the text:

* **union** lets through whatever any input lets through: per syscall and argument case the
  least restrictive value by the kernel's precedence (ALLOW > LOG > TRACE > USER_NOTIF > ERRNO >
  TRAP > KILL_THREAD > KILL_PROCESS); **intersection** the most restrictive. Equal actions with
  different data (``ERRNO(EPERM)`` against ``ERRNO(ENOSYS)``) are ordered by the data: union
  keeps the larger number, intersection the smaller. This makes both strategies commutative,
  associative and idempotent on effect.
* The **default action** of the result is the union's (intersection's) choice among the
  inputs' defaults; every syscall where that differs from what the inputs say gets explicit
  rules, so nothing an input denied by its default is let through by a more permissive merged
  default, and nothing is dropped.
* **Architectures**: union lists every architecture any input lists (an OCI profile's rules
  apply alike to each listed architecture, so on an architecture only some inputs list, the
  others are read as if they listed it too); intersection keeps the ones every input lists
  (an empty list means "the native architecture only").
* **Flags**: ``TSYNC``, ``LOG`` and ``WAIT_KILLABLE_RECV`` concern how the filter is installed
  and logged and are kept when any input has them; ``SPEC_ALLOW`` weakens the process, so union
  keeps it when any input has it and intersection only when all do.
* **listenerPath / listenerMetadata** and unknown top-level keys must agree where set; a
  conflict is an error naming both inputs and the field.
* Argument rules are combined as sets of argument tuples; a conditional allow merged with an
  unconditional allow becomes unconditional. A combination that OCI rules cannot state on every
  architecture alike is refused with an error naming the syscall and the inputs, never
  approximated. Every syscall that ends up with argument rules is checked against the inputs
  with :class:`seccomp_kit.match.Matcher` on this machine's architecture, because libseccomp's
  decision tree does not always read rules on different arguments as their plain OR.

A runtime applies only the host's ``archMap`` entry, so profiles with an ``archMap`` merge
only when their ``archMap`` is the same (it is kept); rules with moby ``includes``/``excludes``
must be resolved for a host first (:func:`seccomp_kit.resolve`).

What is compared is the filter libseccomp builds from the rules (crun's filter; runc's too for
every syscall number up to the highest one the profile names: above it, runc adds a stub that
returns ENOSYS, which depends on the highest name rather than on any rule and is not merged).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs

from seccomp_kit.algebra._core import (
    ALL,
    NONE,
    Analysis,
    Cond,
    Conj,
    Effect,
    Inexpressible,
    Opaque,
    Region,
    analyze,
    cond_arg,
    describe_ret,
    rank,
    ret_action,
)
from seccomp_kit.algebra._target import as_target, view
from seccomp_kit.errors import InputError, SeccompKitError
from seccomp_kit.io import ProfileSource, as_profile
from seccomp_kit.libseccomp.targets import Target
from seccomp_kit.model import Action, Arch, ArchMapEntry, Dialect, Flag, Profile, SyscallRule
from seccomp_kit.syscalls import table
from seccomp_kit.syscalls.arches import arch_info, native_arch, parse_arch

__all__ = ["MAX_BASE_DEPTH", "Strategy", "extend", "extend_chain", "merge", "normalize"]

Strategy = str
MAX_BASE_DEPTH = 15
"""The longest baseProfileName chain :func:`extend_chain` follows."""

_ARCH_ORDER = {a: i for i, a in enumerate(Arch)}
_FLAG_ORDER = {f: i for i, f in enumerate(Flag)}


def _sources(sources: tuple[ProfileSource | Sequence[ProfileSource], ...]) -> list[Profile]:
    """``merge(a, b)`` or ``merge([a, b])``: one list, each item loaded when it is not a model."""
    flat: list[ProfileSource] = []
    for item in sources:
        if isinstance(item, (list, tuple)):
            flat.extend(item)
        else:
            flat.append(item)  # type: ignore[arg-type]  # a str path is a Sequence too
    return [as_profile(p) for p in flat]


def _label(profile: Profile, i: int) -> str:
    return profile.source.name if profile.source is not None else f"<profile {i + 1}>"


def normalize(
    profile: ProfileSource,
    *,
    arch: Arch | str | None = None,
    runtime: str | Target | None = None,
    libseccomp: str | None = None,
) -> Profile:
    """The smallest equivalent profile in canonical form.

    Unconditional names are grouped by action and errno and sorted; duplicates, rules equal to
    the default and rules a runtime never reaches (a second unconditional rule for a syscall,
    conditional rules next to an unconditional one) are dropped, except the names that set
    runc's ENOSYS-stub limits (kept in a last rule with the default action); argument rules
    are kept, one rule per distinct set of conditions. Errno names become numbers and comments
    are dropped; the result is an OCI profile.

    With ``runtime``/``libseccomp`` the result is the smallest profile with the same effect
    for that target (see :func:`merge`): names its libseccomp cannot resolve are dropped too.
    """
    return merge(as_profile(profile), arch=arch, runtime=runtime, libseccomp=libseccomp)


def merge(
    *sources: ProfileSource | Sequence[ProfileSource],
    strategy: Strategy = "union",
    arch: Arch | str | None = None,
    runtime: str | Target | None = None,
    libseccomp: str | None = None,
) -> Profile:
    """Merge profiles on effect: ``"union"`` (least restrictive) or ``"intersection"``.

    Each profile is a :class:`Profile`, a path or an open file; ``merge(a, b)`` and
    ``merge([a, b])`` are the same. ``arch`` is the host's architecture (default: this
    machine), where argument rules are checked with the matcher.

    ``runtime``/``libseccomp`` (see :func:`~seccomp_kit.libseccomp.targets.target`) merge
    what that target loads on the host: an input it refuses is an error naming the input and
    the field, names its libseccomp cannot resolve are left out (the runtime drops them; their
    syscalls get the default action either way), the argument rules are checked with that
    target's matcher, and the result must be one the target accepts. Without them, profiles
    are merged on their own terms.
    """
    profiles = _sources(sources)
    if strategy not in ("union", "intersection"):
        raise InputError(f"unknown merge strategy {strategy!r}; use 'union' or 'intersection'")
    if not profiles:
        raise InputError("merge needs at least one profile")
    labels = [_label(p, i) for i, p in enumerate(profiles)]
    tgt = as_target(runtime, libseccomp)
    host = native_arch() if arch is None else parse_arch(arch)
    if tgt is not None:
        profiles = [view(p, tgt, host, labels[i]).profile for i, p in enumerate(profiles)]
    analyses = [analyze(p, labels[i]) for i, p in enumerate(profiles)]
    union = strategy == "union"
    best = max if union else min
    default = best((a.default for a in analyses), key=rank)
    rules = _merge_rules(analyses, labels, default, union)
    arches, arch_map = _merge_arches(profiles, labels, union)
    kill = Action.KILL if any(a.kill is Action.KILL for a in analyses) else Action.KILL_THREAD
    action, errno = ret_action(default, kill)
    result = Profile(
        default_action=action,
        default_errno_ret=errno,
        architectures=arches,
        arch_map=arch_map,
        flags=_merge_flags(profiles, union),
        listener_path=_agree(profiles, labels, "listener_path", "listenerPath"),
        listener_metadata=_agree(profiles, labels, "listener_metadata", "listenerMetadata"),
        syscalls=_with_stub_names(_render(rules, kill), profiles, action, errno),
        dialect=Dialect.MOBY if arch_map else Dialect.OCI,
        extras=_merge_extras(profiles, labels),
    )
    conditional = sorted(n for n, items in rules.items() if any(c for _, c in items))
    if tgt is not None:
        view(result, tgt, host, "the merged profile")  # the target must accept the result
    _verify(profiles, labels, result, conditional, union, host=(tgt, host))
    return result


def _verify(
    profiles: Sequence[Profile],
    labels: Sequence[str],
    result: Profile,
    names: Sequence[str],
    union: bool,
    *,
    host: tuple[Target | None, Arch],
) -> None:
    """Check argument rules with the matcher on the host's architecture (for the target, when
    one is given).

    libseccomp does not always evaluate a syscall's conditional rules as their plain OR (rules
    on different arguments can shadow each other in its decision tree), so every syscall that
    ends up with argument rules is compared, on the boundary values of its conditions, with
    what the inputs' filters return; a difference is refused rather than written.
    """
    if not names:
        return
    from seccomp_kit.algebra.diffing import boundary_arguments
    from seccomp_kit.match import Matcher

    tgt, arch = host

    def matcher(p: Profile) -> Matcher:
        if tgt is None:
            return Matcher(p, arch=arch, runtime="crun", place_unknown=True)
        return Matcher(p, arch=arch, runtime=tgt)

    try:
        inputs = [matcher(p) for p in profiles]
    except SeccompKitError:
        return  # an input libseccomp cannot load has no effect to compare with
    which = ", ".join(labels)
    try:
        merged = matcher(result)
    except SeccompKitError as exc:
        raise InputError(
            f"libseccomp would not load the merged argument rules of {which}: {exc.message}"
        ) from None
    pick = max if union else min
    tbl = table(arch)
    bits = arch_info(arch).bits
    for name in names:
        nr = tbl.number(name)
        if nr is None:
            continue
        conds = [r.args for p in (*profiles, result) for r in p.syscalls if name in r.names]
        for args in boundary_arguments(conds, bits):
            want = pick((m.match(nr, args, arch=arch).ret for m in inputs), key=rank)
            got = merged.match(nr, args, arch=arch).ret
            if got != want:
                raise InputError(
                    f"{name}: libseccomp would not evaluate the merged argument rules of"
                    f" {which} as their {'union' if union else 'intersection'} (arguments"
                    f" {tuple(hex(a) for a in args)}: {describe_ret(got)} instead of"
                    f" {describe_ret(want)}); merge refuses rather than change the effect"
                )


# -- profile-level fields -------------------------------------------------------------------


def _arch_key(arch: Arch | str) -> tuple[int, str]:
    order = _ARCH_ORDER.get(arch, len(_ARCH_ORDER)) if isinstance(arch, Arch) else len(_ARCH_ORDER)
    return (order, str(arch))


def _merge_arches(
    profiles: Sequence[Profile], labels: Sequence[str], union: bool
) -> tuple[tuple[Arch | str, ...], tuple[ArchMapEntry, ...]]:
    maps = {p.arch_map for p in profiles}
    if any(maps - {()}):
        # A runtime takes only the host's archMap entry, so archMaps merge only when equal.
        if len(maps) > 1 or any(p.architectures for p in profiles):
            first = next(i for i, p in enumerate(profiles) if p.arch_map)
            other = next(
                i
                for i, p in enumerate(profiles)
                if p.arch_map != profiles[first].arch_map or p.architectures
            )
            raise InputError(
                f"archMap differs: {labels[first]} and {labels[other]}; resolve both for a host"
                " first ('seccomp-kit resolve') to merge their architectures",
                path=("archMap",),
            )
        return (), profiles[0].arch_map
    sets = [set(p.architectures) for p in profiles]
    merged = set().union(*sets) if union else set.intersection(*sets)
    return tuple(sorted(merged, key=_arch_key)), ()


def _merge_flags(profiles: Sequence[Profile], union: bool) -> tuple[Flag | str, ...]:
    sets = [set(p.flags) for p in profiles]
    anyone = set().union(*sets)
    everyone = set.intersection(*sets)
    merged = {f for f in anyone if f != Flag.SPEC_ALLOW}
    if Flag.SPEC_ALLOW in (anyone if union else everyone):
        merged.add(Flag.SPEC_ALLOW)
    return tuple(sorted(merged, key=lambda f: (_FLAG_ORDER.get(f, 99), str(f))))  # type: ignore[call-overload]


def _agree(profiles: Sequence[Profile], labels: Sequence[str], attr: str, key: str) -> str | None:
    found: tuple[str, str] | None = None
    for profile, label in zip(profiles, labels, strict=True):
        value = getattr(profile, attr)
        if value is None:
            continue
        if found is not None and found[0] != value:
            raise InputError(
                f"{key} differs: {found[1]} has {found[0]!r}, {label} has {value!r};"
                " a merged profile has one listener",
                path=(key,),
            )
        found = found or (value, label)
    return None if found is None else found[0]


def _merge_extras(
    profiles: Sequence[Profile], labels: Sequence[str]
) -> tuple[tuple[str, str], ...]:
    seen: dict[str, tuple[str, str]] = {}
    for profile, label in zip(profiles, labels, strict=True):
        for key, text in profile.extras:
            have = seen.get(key)
            if have is not None and have[0] != text:
                raise InputError(
                    f"unknown field {key!r} differs: {have[1]} has {have[0]}, {label} has {text}",
                    path=(key,),
                )
            seen.setdefault(key, (text, label))
    return tuple(sorted((k, v[0]) for k, v in seen.items()))


# -- per-syscall effects --------------------------------------------------------------------

# name -> list of (ret, conjunction or None for unconditional)
_Out = dict[str, list[tuple[int, Conj | None]]]


class _Ordered(list[tuple[int, Conj | None]]):
    """Rules whose order must be kept (overlapping, with different values)."""


def _merge_rules(
    analyses: Sequence[Analysis], labels: Sequence[str], default: int, union: bool
) -> _Out:
    better = _better(union)
    defaults: dict[int, int] = {}
    for a in analyses:
        defaults[a.default] = defaults.get(a.default, 0) + 1
    # Per name: the best unconditional value among inputs naming it, the inputs with
    # conditional effects, and how many inputs of each default name it.
    const: dict[str, int] = {}
    special: dict[str, list[int]] = {}
    present: dict[str, dict[int, int]] = {}
    for i, a in enumerate(analyses):
        d = a.default
        for name, effect in a.effects.items():
            counts = present.get(name)
            if counts is None:
                counts = present[name] = {}
            counts[d] = counts.get(d, 0) + 1
            if type(effect) is int:
                have = const.get(name)
                if have is None or better(effect, have):
                    const[name] = effect
            else:
                special.setdefault(name, []).append(i)
    out: _Out = {}
    for name, counts in present.items():
        c = const.get(name)
        for d, total in defaults.items():
            if counts.get(d, 0) < total and (c is None or better(d, c)):
                c = d  # some input with this default leaves the syscall to it
        idx = special.get(name)
        if idx is None:
            assert c is not None
            if c != default:
                out[name] = [(c, None)]
            continue
        try:
            rules = _settle(_combine(name, c, [(analyses[i], i) for i in idx], default, union))
        except Inexpressible as exc:
            raise InputError(
                f"{name}: the {'union' if union else 'intersection'} of the argument conditions"
                f" of {', '.join(labels)} cannot be written as OCI rules that mean the same on"
                f" every architecture ({exc})"
            ) from None
        except _OpaqueConflict as exc:
            raise InputError(
                f"{name}: {labels[exc.index]} has conditional rules {', '.join(exc.paths)}"
                " that overlap with different actions; which one wins is decided inside"
                " libseccomp, so they can only be merged with identical rules"
            ) from None
        if rules:
            out[name] = rules
    return out


def _settle(rules: list[tuple[int, Conj | None]]) -> list[tuple[int, Conj | None]]:
    """A rule whose conditions every value meets is unconditional, and then the only one."""
    if isinstance(rules, _Ordered):
        return rules
    for ret, conj in rules:
        if not conj:
            return [(ret, None)]
    return rules


def _better(union: bool) -> Callable[[int, int], bool]:
    def less_restrictive(a: int, b: int) -> bool:
        return rank(a) > rank(b)

    def more_restrictive(a: int, b: int) -> bool:
        return rank(a) < rank(b)

    return less_restrictive if union else more_restrictive


class _OpaqueConflict(Exception):
    def __init__(self, index: int, paths: tuple[str, ...]) -> None:
        super().__init__()
        self.index = index
        self.paths = paths


def _combine(
    name: str,
    const: int | None,
    inputs: list[tuple[Analysis, int]],
    default: int,
    union: bool,
) -> list[tuple[int, Conj | None]]:
    better = _better(union)
    effects: list[tuple[Effect, int]] = [(a.effects[name], a.default) for a, _ in inputs]
    # An unconditional value at least as good as anything the others can return decides alone.
    if const is not None:
        values = {v for e, d in effects for v in _values(e, d)}
        if all(not better(v, const) for v in values):
            return [] if const == default else [(const, None)]
    opaque = [
        (e, i) for (e, _), (_, i) in zip(effects, inputs, strict=True) if isinstance(e, Opaque)
    ]
    if opaque:
        first, i = opaque[0]
        same = (
            const is None
            and all(e == first for e, _ in effects)
            and all(d == default for _, d in effects)
        )
        if not same:
            raise _OpaqueConflict(i, first.paths)
        return _Ordered((ret, conj) for conj, ret in first.rules)
    conds: list[tuple[Cond, int]] = [(e, d) for e, d in effects if isinstance(e, Cond)]
    if const is None and len(conds) == 1 and conds[0][1] == default:
        return [(ret, conj) for ret, dnf in conds[0][0].regions().items() for conj in dnf]
    levels = sorted(
        {v for c, d in conds for v in _values(c, d)} | ({const} if const is not None else set()),
        key=rank,
    )
    at_least: list[Region] = []
    for v in levels:
        parts: list[Region] = []
        if const is not None:
            parts.append(ALL if rank(const) >= rank(v) else NONE)
        parts.extend(_at_least(c, d, v) for c, d in conds)
        region = parts[0]
        for p in parts[1:]:
            region = (region | p) if union else (region & p)
        at_least.append(region)
    out: list[tuple[int, Conj | None]] = []
    for k, v in enumerate(levels):
        if v == default:
            continue
        exact = at_least[k] & ~at_least[k + 1] if k + 1 < len(levels) else at_least[k]
        dnf = exact.materialize()
        if dnf == ((),):
            return [(v, None)]
        out.extend((v, conj) for conj in dnf)
    return out


def _values(effect: Effect, default: int) -> set[int]:
    if isinstance(effect, int):
        return {effect}
    return {ret for _, ret in effect.rules} | {default}


def _at_least(cond: Cond, default: int, v: int) -> Region:
    """Where the input's effect is at least ``v`` (by rank)."""
    regions = cond.regions()
    if rank(default) >= rank(v):
        below = [c for ret, dnf in regions.items() if rank(ret) < rank(v) for c in dnf]
        return ~Region(tuple(below)) if below else ALL
    above = [c for ret, dnf in regions.items() if rank(ret) >= rank(v) for c in dnf]
    return Region(tuple(above)) if above else NONE


def _with_stub_names(
    rules: tuple[SyscallRule, ...],
    profiles: Sequence[Profile],
    action: Action,
    errno: int | None,
) -> tuple[SyscallRule, ...]:
    """``rules`` plus a rule with the default action for the names that set runc's ENOSYS-stub
    limits in the inputs and would otherwise be gone.

    runc answers ENOSYS above the highest syscall number any rule names, rules equal to the
    default included (it skips those only when adding rules); dropping such a name would lower
    that limit and turn the default's errno into ENOSYS for the numbers in between. Kept is,
    per architecture, the input name with the highest number, where no kept name reaches it.
    """
    wanted = {n for p in profiles for r in p.syscalls for n in r.names}
    kept = {n for r in rules for n in r.names}
    missing = wanted - kept
    if not missing:
        return rules
    extra: set[str] = set()
    for arch in Arch:
        numbers = table(arch).by_name
        top = max((nr for n in kept if (nr := numbers.get(n)) is not None), default=-1)
        best = max(
            ((nr, n) for n in missing if (nr := numbers.get(n)) is not None and nr > top),
            default=None,
        )
        if best is not None:
            extra.add(best[1])
    if not extra:
        return rules
    return (*rules, SyscallRule(names=tuple(sorted(extra)), action=action, errno_ret=errno))


def _render(rules: _Out, kill: Action) -> tuple[SyscallRule, ...]:
    uncond: dict[int, list[str]] = {}
    cond: dict[tuple[int, Conj], list[str]] = {}
    ordered: list[tuple[str, list[tuple[int, Conj | None]]]] = []
    for name, items in rules.items():
        if isinstance(items, _Ordered):
            ordered.append((name, items))
            continue
        for ret, conj in items:
            if conj is None:
                uncond.setdefault(ret, []).append(name)
            else:
                cond.setdefault((ret, conj), []).append(name)
    out: list[SyscallRule] = []
    for ret in sorted(uncond, key=rank, reverse=True):
        action, errno = ret_action(ret, kill)
        out.append(SyscallRule(names=sorted(uncond[ret]), action=action, errno_ret=errno))
    conditional = sorted(
        cond.items(), key=lambda kv: (sorted(kv[1]), [-x for x in rank(kv[0][0])], kv[0][1])
    )
    for (ret, conj), names in conditional:
        action, errno = ret_action(ret, kill)
        out.append(
            SyscallRule(
                names=sorted(names),
                action=action,
                errno_ret=errno,
                args=tuple(cond_arg(c) for c in conj),
            )
        )
    # Kept in profile order, one rule per condition set: which of them wins where they overlap
    # is decided by libseccomp, and the order they are added in is part of its input.
    for name, items in sorted(ordered):
        for ret, maybe in items:
            action, errno = ret_action(ret, kill)
            args = () if maybe is None else tuple(cond_arg(c) for c in maybe)
            out.append(SyscallRule(names=(name,), action=action, errno_ret=errno, args=args))
    return tuple(out)


# -- extend ---------------------------------------------------------------------------------


def extend(base: Profile, profile: Profile) -> Profile:
    """``profile`` extended by ``base`` as the Security Profiles Operator's ``baseProfileName``
    does: the child's default action, and per syscall the union of both profiles' rules."""
    rebased = attrs.evolve(
        base,
        default_action=profile.default_action,
        default_errno_ret=profile.default_errno_ret,
        default_errno_name=profile.default_errno_name,
    )
    return merge(rebased, profile)


def extend_chain(
    name: str,
    lookup: Callable[[str], tuple[Profile, str | None]],
    *,
    max_depth: int = MAX_BASE_DEPTH,
) -> Profile:
    """Follow ``baseProfileName`` links from ``name`` and extend along the chain.

    ``lookup(name)`` returns the named profile and the name of its base (or None). A cycle, or
    a chain with more than ``max_depth`` bases, is an error naming the chain.
    """
    chain: list[str] = [name]
    profiles: list[Profile] = []
    current: str | None = name
    while current is not None:
        try:
            profile, base = lookup(current)
        except KeyError:
            raise InputError(
                f"base profile {current!r} not found (chain: {' -> '.join(chain)})"
            ) from None
        profiles.append(profile)
        if base is None:
            break
        if base in chain:
            raise InputError(f"baseProfileName cycle: {' -> '.join([*chain, base])}")
        chain.append(base)
        if len(chain) - 1 > max_depth:
            raise InputError(f"baseProfileName chain longer than {max_depth}: {' -> '.join(chain)}")
        current = base
    result = profiles[-1]
    for child in reversed(profiles[:-1]):
        result = extend(result, child)
    return result
