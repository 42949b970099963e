"""Semantic difference of two profiles: what changes for which syscall, not which lines.

For every architecture compared and every syscall, the value the compiled filter returns under
profile ``a`` is compared with the one under ``b``. A change that holds for every argument tuple
is reported as *newly allowed* (the call now runs: ALLOW or LOG), *newly denied* (it no longer
runs) or *changed* (another action or errno, with the call running or not in both); a change
that depends on the arguments is *argument-dependent* and lists each distinct change with an
example argument tuple.

Examples are found by evaluating both profiles on the boundary values of every condition either
profile puts on that syscall (each comparison value and its neighbours, each masked value with a
bit flipped, 0 and the maximum), in every combination over the arguments involved: for EQ, NE,
LT, LE, GT and GE conditions these points reach every case; for several different masks on one
argument they are representative, not exhaustive. Syscalls whose rules overlap with different
actions are evaluated by :class:`seccomp_kit.match.Matcher`, the only judge of libseccomp's
chain ordering. An architecture that only one profile lists is reported as such: the other
profile's filter kills every call from it (libseccomp's bad-architecture action). The native
architecture of the machine running the diff is always part of a filter, listed or not.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs

from seccomp_kit.algebra._core import (
    U32,
    U64,
    Analysis,
    Cond,
    CondT,
    Effect,
    Opaque,
    analyze,
    cond_of,
    describe_ret,
    ret_action,
    value_of,
)
from seccomp_kit.algebra._target import TargetView, as_target, view
from seccomp_kit.io import ProfileSource, as_profile
from seccomp_kit.libseccomp.targets import Target
from seccomp_kit.model import Action, Arch, ArgCondition, Operator, Profile
from seccomp_kit.syscalls import table
from seccomp_kit.syscalls.arches import arch_info, native_arch, parse_arch

if TYPE_CHECKING:
    from seccomp_kit.match import Matcher

__all__ = [
    "ArgumentCase",
    "Change",
    "ProfileDiff",
    "SyscallChange",
    "boundary_arguments",
    "diff",
]

Change = Literal["newly-allowed", "newly-denied", "changed", "argument-dependent"]
MAX_EXAMPLES = 4096
"""Argument tuples evaluated per syscall at most (beyond, the first ones in order)."""

_RUNS = (Action.ALLOW, Action.LOG)
_ENOSYS = 0x0005_0026  # SCMP_ACT_ERRNO(ENOSYS)
_STUB = "enosys-stub"  # DecidedBy.ENOSYS_STUB, without importing the matcher up front


def _runs(ret: int) -> bool:
    return ret_action(ret)[0] in _RUNS


def _kind(before: int, after: int) -> Change:
    if not _runs(before) and _runs(after):
        return "newly-allowed"
    if _runs(before) and not _runs(after):
        return "newly-denied"
    return "changed"


@attrs.frozen
class ArgumentCase:
    """One distinct change of a syscall, with an argument tuple that shows it."""

    before: int
    after: int
    args: tuple[int, ...]

    @property
    def change(self) -> Change:
        return _kind(self.before, self.after)


@attrs.frozen
class SyscallChange:
    arch: Arch
    name: str
    number: int
    change: Change
    before: int | None
    """The value for every argument tuple, or None when argument-dependent."""
    after: int | None
    cases: tuple[ArgumentCase, ...] = ()


@attrs.frozen
class ProfileDiff:
    """The whole difference; false when both profiles have the same effect."""

    syscalls: tuple[SyscallChange, ...]
    only_in_a: tuple[Arch, ...] = ()
    """Architectures only ``a`` filters (``b`` kills every call from them)."""
    only_in_b: tuple[Arch, ...] = ()
    settings: tuple[tuple[str, str, str], ...] = ()
    """(field, a's value, b's value) for flags and listener settings that differ."""
    target: str | None = None
    """The runtime and libseccomp the answer is for (``runtime=``/``libseccomp=``); None for
    the profiles on their own terms."""

    def __bool__(self) -> bool:
        return bool(self.syscalls or self.only_in_a or self.only_in_b or self.settings)

    def to_data(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "equal": not self,
            "target": self.target,
            "architectures": {
                "only_in_a": [a.value for a in self.only_in_a],
                "only_in_b": [a.value for a in self.only_in_b],
            },
            "settings": [{"field": f, "a": x, "b": y} for f, x, y in self.settings],
            "syscalls": [
                {
                    "arch": c.arch.value,
                    "name": c.name,
                    "number": c.number,
                    "change": c.change,
                    "before": None if c.before is None else describe_ret(c.before),
                    "after": None if c.after is None else describe_ret(c.after),
                    "cases": [
                        {
                            "change": k.change,
                            "before": describe_ret(k.before),
                            "after": describe_ret(k.after),
                            "args": list(k.args),
                        }
                        for k in c.cases
                    ],
                }
                for c in self.syscalls
            ],
        }

    def to_text(self) -> str:
        """Readable form, one line per syscall (and per case)."""
        return "".join(self._lines())

    def _lines(self) -> Iterator[str]:
        if self.target is not None:
            yield f"as {self.target}:\n"
        if not self:
            yield "no difference in effect\n"
            return
        for arch in self.only_in_a:
            yield f"{arch.value}: filtered only by a; b kills every call from it\n"
        for arch in self.only_in_b:
            yield f"{arch.value}: filtered only by b; a kills every call from it\n"
        for field, x, y in self.settings:
            yield f"{field}: {x} -> {y}\n"
        current: Arch | None = None
        marks = {"newly-allowed": "+", "newly-denied": "-", "changed": "~"}
        for c in self.syscalls:
            if c.arch is not current:
                current = c.arch
                yield f"{c.arch.value}:\n"
            head = f"  {marks.get(c.change, '?')} {c.name} ({c.number}): {c.change}"
            if c.before is not None and c.after is not None:
                yield f"{head}: {describe_ret(c.before)} -> {describe_ret(c.after)}\n"
                continue
            yield f"{head}\n"
            for k in c.cases:
                args = ", ".join(hex(v) for v in k.args)
                yield (
                    f"      args ({args}): {describe_ret(k.before)} -> {describe_ret(k.after)}"
                    f" [{k.change}]\n"
                )


def diff(
    a: ProfileSource,
    b: ProfileSource,
    *,
    arch: Arch | str | None = None,
    runtime: str | Target | None = None,
    libseccomp: str | None = None,
) -> ProfileDiff:
    """What changes from ``a`` to ``b``, per architecture and syscall.

    ``arch`` limits the comparison to one architecture; by default every architecture either
    profile lists is compared (the native one when neither lists any).

    ``runtime``/``libseccomp`` (see :func:`~seccomp_kit.libseccomp.targets.target`) compare
    what that target loads on a host of ``arch`` (default: this machine): a profile it refuses
    is an error, a name its libseccomp cannot resolve gets the default action. Without them the
    profiles are compared on their own terms (every name by seccomp_kit's tables).
    """
    a, b = as_profile(a), as_profile(b)
    tgt = as_target(runtime, libseccomp)
    native = native_arch() if arch is None or tgt is None else parse_arch(arch)
    views: tuple[TargetView | None, TargetView | None] = (None, None)
    if tgt is not None:
        views = (view(a, tgt, native, _name(a, "a")), view(b, tgt, native, _name(b, "b")))
        a, b = views[0].profile, views[1].profile
    ana_a, ana_b = analyze(a), analyze(b)
    listed_a = {parse_arch(x) for x in a.all_architectures()} | {native}
    listed_b = {parse_arch(x) for x in b.all_architectures()} | {native}
    if arch is not None:
        arches = [parse_arch(arch)]
    else:
        arches = sorted(listed_a | listed_b, key=list(Arch).index)
    only_a = tuple(x for x in arches if x in listed_a and x not in listed_b)
    only_b = tuple(x for x in arches if x in listed_b and x not in listed_a)
    changes: list[SyscallChange] = []
    for target in arches:
        if target in only_a or target in only_b:
            continue
        changes.extend(_diff_arch(target, a, b, ana_a, ana_b, host=(tgt, native), views=views))
    settings = []
    if set(a.flags) != set(b.flags):
        settings.append(("flags", _flags(a), _flags(b)))
    for field, key in (
        ("listener_path", "listenerPath"),
        ("listener_metadata", "listenerMetadata"),
    ):
        x, y = getattr(a, field), getattr(b, field)
        if x != y:
            settings.append((key, repr(x), repr(y)))
    label = None if tgt is None else tgt.label
    return ProfileDiff(tuple(changes), only_a, only_b, tuple(settings), label)


def _name(profile: Profile, fallback: str) -> str:
    return profile.source.name if profile.source is not None else fallback


def _in_effect(analysis: Analysis, tv: TargetView | None, arch: Arch) -> Analysis:
    """``analysis`` without the names ``tv``'s target does not place on ``arch``."""
    if tv is None:
        return analysis
    effects = {n: e for n, e in analysis.effects.items() if tv.in_effect(arch, n)}
    return attrs.evolve(analysis, effects=effects)


def _flags(p: Profile) -> str:
    return "[" + ", ".join(sorted(str(f) for f in set(p.flags))) + "]"


def _diff_arch(
    target: Arch,
    a: Profile,
    b: Profile,
    ana_a: Analysis,
    ana_b: Analysis,
    *,
    host: tuple[Target | None, Arch],
    views: tuple[TargetView | None, TargetView | None],
) -> Iterator[SyscallChange]:
    tbl = table(target)
    ana_a, ana_b = _in_effect(ana_a, views[0], target), _in_effect(ana_b, views[1], target)
    bits = arch_info(target).bits
    # runc's ENOSYS stub answers for numbers above the highest name, whatever the rules say.
    stubs = host[0] is not None and host[0].runtime is not None and host[0].runtime.enosys_stub
    if ana_a.default == ana_b.default and not stubs:
        names: Sequence[str] = sorted(
            n for n in set(ana_a.effects) | set(ana_b.effects) if n in tbl
        )
    else:
        names = sorted(tbl.by_name)
    side_a, side_b = _Side(a, ana_a, target, host), _Side(b, ana_b, target, host)
    for name in names:
        ea, eb = ana_a.effects.get(name), ana_b.effects.get(name)
        nr = tbl.by_name[name]
        if stubs:
            ea = _ENOSYS if side_a.stubbed(nr) else ea
            eb = _ENOSYS if side_b.stubbed(nr) else eb
        if ea == eb and ana_a.default == ana_b.default:
            continue
        if not isinstance(ea, (Cond, Opaque)) and not isinstance(eb, (Cond, Opaque)):
            va = ana_a.default if ea is None else ea
            vb = ana_b.default if eb is None else eb
            if va != vb:
                yield SyscallChange(target, name, nr, _kind(va, vb), va, vb)
            continue
        seen: dict[tuple[int, int], tuple[int, ...]] = {}
        for args in _examples((ea, eb), bits):
            va = side_a.value(ea, nr, args)
            vb = side_b.value(eb, nr, args)
            seen.setdefault((va, vb), args)
        differing = [(k, v) for k, v in seen.items() if k[0] != k[1]]
        if not differing:
            continue
        if len(seen) == 1:
            (va, vb), _ = differing[0]
            yield SyscallChange(target, name, nr, _kind(va, vb), va, vb)
            continue
        cases = tuple(ArgumentCase(va, vb, args) for (va, vb), args in differing)
        yield SyscallChange(target, name, nr, "argument-dependent", None, None, cases)


class _Side:
    """One profile's values on one architecture (the matcher only for opaque syscalls)."""

    def __init__(
        self, profile: Profile, analysis: Analysis, arch: Arch, host: tuple[Target | None, Arch]
    ) -> None:
        self.profile = profile
        self.target, self.host = host
        self.analysis = analysis
        self.arch = arch
        self.bits = arch_info(arch).bits
        self._matcher: Matcher | None = None

    def value(self, effect: Effect | None, nr: int, args: tuple[int, ...]) -> int:
        if not isinstance(effect, Opaque):
            return value_of(effect, self.analysis.default, args, self.bits)
        # Only the matcher reproduces libseccomp's ordering of overlapping rules.
        return self.matcher().match(nr, args, arch=self.arch).ret

    def stubbed(self, nr: int) -> bool:
        """Whether runc's ENOSYS stub answers for ``nr`` before the rules are reached."""
        return self.matcher().match(nr, arch=self.arch).decided_by == _STUB

    def matcher(self) -> Matcher:
        if self._matcher is None:
            from seccomp_kit.match import Matcher

            if self.target is None:
                self._matcher = Matcher(
                    self.profile, arch=self.arch, runtime="crun", place_unknown=True
                )
            else:
                # The target resolves names on the host, whichever section is compared.
                self._matcher = Matcher(self.profile, arch=self.host, runtime=self.target)
        return self._matcher


def boundary_arguments(
    rules: Sequence[Sequence[ArgCondition]], bits: int
) -> Iterator[tuple[int, ...]]:
    """Argument tuples that reach every case of the given conditions (see the module text)."""
    conjs = [tuple(cond_of(c) for c in args if isinstance(c.op, Operator)) for args in rules]
    return _points(conjs, bits)


def _examples(effects: Sequence[Effect | None], bits: int) -> Iterator[tuple[int, ...]]:
    conjs = [conj for e in effects if isinstance(e, (Cond, Opaque)) for conj, _ in e.rules]
    return _points(conjs, bits)


def _points(conjs: Sequence[Sequence[CondT]], bits: int) -> Iterator[tuple[int, ...]]:
    top = U32 if bits == 32 else U64
    points: dict[int, set[int]] = {}
    for conj in conjs:
        for index, op, raw, raw_two in conj:
            # 64-bit comparisons run as two 32-bit halves in the filter, so each half's
            # boundaries matter too.
            mine = points.setdefault(index, {0, top, U32, U32 + 1} if bits == 64 else {0, top})
            value, two = (raw & U32, raw_two & U32) if bits == 32 else (raw, raw_two)
            if op.name == "MASKED_EQ":
                low = value & -value
                mine.update({two, two ^ low, (two | ~value) & top, two ^ value})
            else:
                halves = (value, value & U32, value & ~U32 & top)
                mine.update(v + d for v in halves for d in (-1, 0, 1) if 0 <= v + d <= top)
    indices = sorted(points)
    columns = [sorted(points[i]) for i in indices]
    for n, combo in enumerate(itertools.product(*columns)):
        if n >= MAX_EXAMPLES:
            return
        args = [0] * 6
        for i, v in zip(indices, combo, strict=True):
            args[i] = v
        yield tuple(args)
