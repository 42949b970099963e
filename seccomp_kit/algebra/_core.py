"""The effect of a profile per syscall, and boolean algebra over argument conditions.

A profile's effect on one syscall is what the runtime's libseccomp filter returns for it: a
32-bit kernel return value (action | data) as a function of the six arguments. This module reads
a profile the way runc hands it to libseccomp (rules equal to the default skipped; ERRNO and
TRACE without ``errnoRet`` return EPERM; an entry that repeats an argument index becomes one rule
per condition; the first unconditional rule for a syscall wins and replaces every conditional
one) and describes each syscall as one of:

* an ``int``: the same return value for every argument tuple;
* :class:`Cond`: conditional rules whose regions are disjoint whenever their values differ, so
  the effect does not depend on libseccomp's internal chain ordering;
* :class:`Opaque`: conditional rules that overlap with different values; only the compiled
  filter (the matcher) knows which wins, so these are never rewritten.

Regions of the argument space are sets of conjunctions (DNF); a conjunction holds at most one
condition per argument index, because libseccomp refuses the same argument twice in one rule.
Arithmetic that would need a value of 2**32 or more is refused (:class:`Inexpressible`): on
32-bit architectures libseccomp compares only the low 32 bits, so such a rewrite could mean
different things on different architectures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import attrs

from seccomp_kit.errors import InputError, ProfileError
from seccomp_kit.libseccomp.translate import action_value
from seccomp_kit.model import Action, ArgCondition, Operator, Profile, SyscallRule
from seccomp_kit.syscalls.errnos import errno_number

__all__: list[str] = []

U32 = 0xFFFF_FFFF
U64 = 0xFFFF_FFFF_FFFF_FFFF
MAX_ARG_INDEX = 5
# Past this many conjunctions a rewritten region is refused rather than emitted.
MAX_CONJUNCTIONS = 256
# An interval this narrow (or narrower) may be written as one EQ rule per value.
MAX_EQ_EXPANSION = 16

# (index, op, value, value_two); value_two is 0 except for MASKED_EQ, where value is the mask.
CondT = tuple[int, Operator, int, int]
Conj = tuple[CondT, ...]
DNF = tuple[Conj, ...]
TRUE: DNF = ((),)
FALSE: DNF = ()


class Inexpressible(Exception):
    """A region cannot be written as OCI rules without changing meaning on some architecture."""


# -- return values ---------------------------------------------------------------------------

_BASE_ACTION = {
    0x7FFF_0000: Action.ALLOW,
    0x7FFC_0000: Action.LOG,
    0x7FF0_0000: Action.TRACE,
    0x7FC0_0000: Action.NOTIFY,
    0x0005_0000: Action.ERRNO,
    0x0003_0000: Action.TRAP,
    0x0000_0000: Action.KILL_THREAD,
    0x8000_0000: Action.KILL_PROCESS,
}


def rank(ret: int) -> tuple[int, int]:
    """Order of kernel precedence: higher is less restrictive.

    The kernel compares ``(s32)(ret & SECCOMP_RET_ACTION_FULL)``; equal actions (ERRNO with
    different errnos) are ordered by their data so the order is total and merges are
    deterministic, commutative and associative.
    """
    action = ret & 0xFFFF_0000
    signed = action - (1 << 32) if action & 0x8000_0000 else action
    return signed, ret & 0xFFFF


_TAKES_ERRNO = (Action.ERRNO, Action.TRACE)


def action_ret(
    action: Action | str,
    errno_ret: int | None,
    errno_name: str | None,
    *,
    path: tuple[str | int, ...] = (),
    source: str | None = None,
) -> int:
    """The kernel return value runc asks libseccomp for (errors carry ``path``)."""
    if errno_name is not None:
        errno_ret = errno_number(errno_name)
    try:
        return action_value(action, errno_ret if action in _TAKES_ERRNO else None, path=path)
    except ProfileError as exc:
        raise ProfileError(exc.message, path=exc.path, source=source) from None


def ret_action(ret: int, kill: Action = Action.KILL_THREAD) -> tuple[Action, int | None]:
    """A return value back to (action, errnoRet)."""
    action = _BASE_ACTION[ret & 0xFFFF_0000]
    if action is Action.KILL_THREAD:
        return kill, None
    return action, (ret & 0xFFFF) if action.takes_errno else None


def describe_ret(ret: int) -> str:
    action, data = ret_action(ret)
    if data is None:
        return action.value
    from seccomp_kit.syscalls.errnos import errno_name

    name = errno_name(data) if action is Action.ERRNO else None
    return f"{action.value}({name or data})"


# -- conditions ------------------------------------------------------------------------------


def cond_of(arg: ArgCondition) -> CondT:
    op = arg.op
    assert isinstance(op, Operator)
    if op is Operator.MASKED_EQ:
        # libseccomp stores valueTwo masked: (arg & mask) == (valueTwo & mask).
        return (arg.index, op, arg.value, arg.effective_value_two & arg.value)
    return (arg.index, op, arg.value, 0)


def cond_arg(cond: CondT) -> ArgCondition:
    index, op, value, two = cond
    if op is Operator.MASKED_EQ:
        return ArgCondition(index=index, value=value, op=op, value_two=two)
    return ArgCondition(index=index, value=value, op=op)


def holds(cond: CondT, args: Sequence[int], bits: int) -> bool:
    """Whether ``cond`` holds for ``args`` on an architecture of ``bits`` bits."""
    _, op, value, two = cond
    arg = args[cond[0]] if cond[0] < len(args) else 0
    if bits == 32:
        arg &= U32
        value &= U32
        two &= U32
    if op is Operator.EQ:
        return arg == value
    if op is Operator.NE:
        return arg != value
    if op is Operator.LT:
        return arg < value
    if op is Operator.LE:
        return arg <= value
    if op is Operator.GT:
        return arg > value
    if op is Operator.GE:
        return arg >= value
    return (arg & value) == (two & value)


def _intervals(cond: CondT) -> list[tuple[int, int]] | None:
    """The comparison as intervals of [0, U64], or None for MASKED_EQ."""
    _, op, v, _ = cond
    if op is Operator.EQ:
        return [(v, v)]
    if op is Operator.NE:
        return [iv for iv in ((0, v - 1), (v + 1, U64)) if iv[0] <= iv[1]]
    if op is Operator.LT:
        return [(0, v - 1)] if v > 0 else []
    if op is Operator.LE:
        return [(0, v)]
    if op is Operator.GT:
        return [(v + 1, U64)] if v < U64 else []
    if op is Operator.GE:
        return [(v, U64)]
    return None


def _small(*values: int) -> bool:
    return all(v <= U32 for v in values)


def _conds_of_intervals(index: int, ivs: list[tuple[int, int]]) -> DNF:
    """Intervals back to conditions on one index (one conjunction each)."""
    if not ivs:
        return FALSE
    if ivs == [(0, U64)]:
        return TRUE
    if len(ivs) == 2 and ivs[0][0] == 0 and ivs[1][1] == U64 and ivs[0][1] + 2 == ivs[1][0]:
        return (((index, Operator.NE, ivs[0][1] + 1, 0),),)
    out: list[Conj] = []
    for lo, hi in ivs:
        if lo == hi:
            out.append(((index, Operator.EQ, lo, 0),))
        elif lo == 0:
            out.append(((index, Operator.LE, hi, 0),))
        elif hi == U64:
            out.append(((index, Operator.GE, lo, 0),))
        elif hi - lo < MAX_EQ_EXPANSION:
            out.extend(((index, Operator.EQ, v, 0),) for v in range(lo, hi + 1))
        else:
            raise Inexpressible(f"argument {index} in {lo}..{hi}")
    return tuple(out)


def _cut(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for lo1, hi1 in a:
        for lo2, hi2 in b:
            lo, hi = max(lo1, lo2), min(hi1, hi2)
            if lo <= hi:
                out.append((lo, hi))
    return sorted(out)


def and_cond(x: CondT, y: CondT) -> DNF:
    """Conjunction of two conditions on the same index, as conditions on that index."""
    if x == y:
        return ((x,),)
    index = x[0]
    if not _small(x[2], x[3], y[2], y[3]):
        raise Inexpressible("a value of 2**32 or more")
    ix, iy = _intervals(x), _intervals(y)
    if ix is not None and iy is not None:
        return _conds_of_intervals(index, _cut(ix, iy))
    if ix is None and iy is None:
        (m1, v1), (m2, v2) = x[2:], y[2:]
        if v1 & ~m1 or v2 & ~m2 or (v1 ^ v2) & m1 & m2:
            return FALSE
        return (((index, Operator.MASKED_EQ, m1 | m2, v1 | v2),),)
    masked, other = (x, y) if ix is None else (y, x)
    if other[1] is Operator.EQ:
        return ((other,),) if other[2] & masked[2] == masked[3] else FALSE
    raise Inexpressible("a masked condition combined with a comparison")


def not_cond(c: CondT) -> DNF:
    index, op, v, two = c
    if op is Operator.MASKED_EQ:
        if not _small(v, two):
            raise Inexpressible("a mask of 2**32 or more")
        if two & ~v:
            return TRUE
        bits = [1 << b for b in range(32) if v >> b & 1]
        if not bits:
            return FALSE
        return tuple(((index, op, bit, 0 if two & bit else bit),) for bit in bits)
    ivs = _intervals(c)
    assert ivs is not None
    out: list[tuple[int, int]] = []
    pos = 0
    for lo, hi in ivs:
        if lo > pos:
            out.append((pos, lo - 1))
        pos = hi + 1
    if pos <= U64:
        out.append((pos, U64))
    if not _small(v) and op not in (Operator.EQ, Operator.NE):
        raise Inexpressible("a value of 2**32 or more")
    return _conds_of_intervals(index, out)


def and_conj(a: Conj, b: Conj) -> DNF:
    """Conjunction of two conjunctions (possibly several, when an index needs an OR)."""
    by_index: dict[int, DNF] = {c[0]: ((c,),) for c in a}
    for c in b:
        have = by_index.get(c[0])
        if have is None:
            by_index[c[0]] = ((c,),)
            continue
        parts: list[Conj] = []
        for conj in have:
            if not conj:
                parts.append((c,))
            else:
                parts.extend(and_cond(conj[0], c))
        by_index[c[0]] = tuple(parts)
        if not parts:
            return FALSE
    result: DNF = TRUE
    for index in sorted(by_index):
        options = by_index[index]
        result = tuple(tuple(sorted(r + o)) for r in result for o in options)
        if len(result) > MAX_CONJUNCTIONS:
            raise Inexpressible("too many rules")
    return result


def implies(a: Conj, b: Conj) -> bool:
    """Every argument tuple that satisfies ``a`` satisfies ``b`` (conservative)."""
    mine = {c[0]: c for c in a}
    for c in b:
        have = mine.get(c[0])
        if have is None:
            return False
        if have == c:
            continue
        try:
            if and_cond(have, c) != ((have,),):
                return False
        except Inexpressible:
            return False
    return True


def _tidy(conj: Conj) -> Conj | None:
    """Drop conditions every value meets; None when one no value meets."""
    out = []
    for c in conj:
        _, op, v, _ = c
        if (op is Operator.LT and v == 0) or (op is Operator.GT and v == U64):
            return None
        if (op is Operator.GE and v == 0) or (op is Operator.LE and v == U64):
            continue
        if op is Operator.MASKED_EQ and v == 0:
            continue  # (arg & 0) == (valueTwo & 0): always
        out.append(c)
    return tuple(out)


def simplify(dnf: Iterable[Conj]) -> DNF:
    """Drop duplicates and conjunctions implied by others (absorption); canonical order."""
    items = sorted({t for c in dnf if (t := _tidy(c)) is not None}, key=lambda c: (len(c), c))
    kept: list[Conj] = []
    for conj in items:
        if not any(implies(conj, k) for k in kept):
            kept.append(conj)
    if len(kept) > MAX_CONJUNCTIONS:
        raise Inexpressible("too many rules")
    return tuple(sorted(kept))


def or_dnf(a: DNF, b: DNF) -> DNF:
    return simplify(a + b)


def and_dnf(a: DNF, b: DNF) -> DNF:
    return simplify(r for x in a for y in b for r in and_conj(x, y))


def disjoint(a: Conj, b: Conj) -> bool:
    try:
        return not and_conj(a, b)
    except Inexpressible:
        return False


def minus(a: DNF, b: DNF) -> DNF:
    """``a and not b``, avoiding complements where a conjunction settles it."""
    result = a
    for conj_b in b:
        parts: list[Conj] = []
        for r in result:
            if implies(r, conj_b):
                continue
            if disjoint(r, conj_b):
                parts.append(r)
                continue
            for c in conj_b:
                for neg in not_cond(c):
                    parts.extend(and_conj(r, neg))
        result = simplify(parts)
    return result


@attrs.frozen
class Region:
    """A set of argument tuples: ``dnf``, or its complement when ``neg``."""

    dnf: DNF
    neg: bool = False

    def __or__(self, other: Region) -> Region:
        return ~(~self & ~other)  # De Morgan

    def __and__(self, other: Region) -> Region:
        if not self.neg and not other.neg:
            return Region(and_dnf(self.dnf, other.dnf))
        if self.neg and other.neg:
            return Region(or_dnf(self.dnf, other.dnf), True)
        pos, neg = (self, other) if other.neg else (other, self)
        return Region(minus(pos.dnf, neg.dnf))

    def __invert__(self) -> Region:
        return Region(self.dnf, not self.neg)

    def materialize(self) -> DNF:
        return minus(TRUE, self.dnf) if self.neg else self.dnf


ALL = Region(TRUE)
NONE = Region(FALSE)


# -- per-syscall effect ----------------------------------------------------------------------


@attrs.frozen
class Cond:
    """Conditional rules (conjunction, return value); different values never overlap."""

    rules: tuple[tuple[Conj, int], ...]

    def regions(self) -> dict[int, DNF]:
        out: dict[int, list[Conj]] = {}
        for conj, ret in self.rules:
            out.setdefault(ret, []).append(conj)
        return {ret: simplify(c) for ret, c in out.items()}

    def value(self, args: Sequence[int], bits: int, default: int) -> int:
        for conj, ret in self.rules:
            if all(holds(c, args, bits) for c in conj):
                return ret
        return default


@attrs.frozen
class Opaque:
    """Conditional rules that overlap with different values, in profile order."""

    rules: tuple[tuple[Conj, int], ...]
    paths: tuple[str, ...]


Effect = int | Cond | Opaque


@attrs.frozen
class Analysis:
    """A profile read as runc would hand it to libseccomp: default and per-name effects."""

    default: int
    effects: dict[str, Effect]
    kill: Action
    """How the profile spells the thread-killing action (KILL or KILL_THREAD)."""


# How analyze() builds the error for a bad rule: a message and the path of the field.
_Fail = Callable[[str, Sequence[str | int]], InputError]


def analyze(profile: Profile, label: str | None = None) -> Analysis:
    """Read ``profile`` into per-name effects; refuse what the runtime would refuse."""
    label = label or (profile.source.name if profile.source else None)

    def fail(message: str, path: Sequence[str | int] = ()) -> InputError:
        return InputError(message, path=path, source=label)

    for i, rule in enumerate(profile.syscalls):
        if rule.includes or rule.excludes:
            raise fail(
                "rule with moby includes/excludes conditions; run 'seccomp-kit resolve' first"
                " to get the rules one host really gets",
                ("syscalls", i, "includes" if rule.includes else "excludes"),
            )
    if not isinstance(profile.default_action, Action):
        raise fail(f"unknown action {profile.default_action!r}", ("defaultAction",))
    default = action_ret(
        profile.default_action,
        profile.default_errno_ret,
        profile.default_errno_name,
        path=("defaultErrnoRet",),
        source=label,
    )
    kill = Action.KILL_THREAD
    if profile.default_action is Action.KILL:
        kill = Action.KILL
    uncond: dict[str, int] = {}
    conds: dict[str, dict[Conj, tuple[int, str]]] = {}
    for i, rule in enumerate(profile.syscalls):
        ret = _rule_ret(rule, i, fail, label)
        if rule.action is Action.KILL:
            kill = Action.KILL
        if ret == default:
            continue  # runc skips it; libseccomp would refuse it
        conjs = _rule_conjs(rule, i, fail)
        for name in rule.names:
            if conjs is None:
                uncond.setdefault(name, ret)
                continue
            mine = conds.setdefault(name, {})
            for conj in conjs:
                have = mine.get(conj)
                if have is not None and have[0] != ret:
                    raise fail(
                        f"{name}: the same argument conditions as {have[1]} with another"
                        " action; libseccomp refuses this (EEXIST)",
                        ("syscalls", i),
                    )
                mine.setdefault(conj, (ret, f"$.syscalls[{i}]"))
    effects: dict[str, Effect] = dict(uncond)
    for name, mine in conds.items():
        if name in uncond:
            continue  # the unconditional rule replaces the conditional ones
        rules = tuple((conj, ret) for conj, (ret, _) in mine.items())
        if len({ret for _, ret in rules}) == 1 or all(
            r1 == r2 or disjoint(c1, c2) for c1, r1 in rules for c2, r2 in rules
        ):
            effects[name] = Cond(rules)
        else:
            effects[name] = Opaque(rules, tuple(sorted({p for _, p in mine.values()})))
    return Analysis(default, effects, kill)


def _rule_ret(rule: SyscallRule, i: int, fail: _Fail, label: str | None) -> int:
    if not isinstance(rule.action, Action):
        raise fail(f"unknown action {rule.action!r}", ("syscalls", i, "action"))
    if rule.extras:
        key = rule.extras[0][0]
        raise fail(f"unknown field {key!r} in a rule", ("syscalls", i, key))
    return action_ret(
        rule.action,
        rule.errno_ret,
        rule.errno_name,
        path=("syscalls", i, "errnoRet"),
        source=label,
    )


def _rule_conjs(rule: SyscallRule, i: int, fail: _Fail) -> list[Conj] | None:
    """None for an unconditional rule; else the conjunctions runc turns it into."""
    if not rule.args:
        return None
    conds: list[CondT] = []
    for j, arg in enumerate(rule.args):
        if not isinstance(arg.op, Operator):
            raise fail(f"unknown operator {arg.op!r}", ("syscalls", i, "args", j, "op"))
        if arg.index > MAX_ARG_INDEX:
            raise fail(
                f"argument index {arg.index} (a syscall has six arguments, 0..5)",
                ("syscalls", i, "args", j, "index"),
            )
        conds.append(cond_of(arg))
    indices = [c[0] for c in conds]
    if len(set(indices)) != len(indices):
        return [(c,) for c in dict.fromkeys(conds)]  # runc: one rule per condition (OR)
    return [tuple(sorted(conds))]


def value_of(effect: Effect | None, default: int, args: Sequence[int], bits: int) -> int:
    """The effect's return value for ``args`` (Opaque needs the matcher; callers handle it)."""
    if effect is None:
        return default
    if isinstance(effect, int):
        return effect
    if isinstance(effect, Cond):
        return effect.value(args, bits, default)
    raise TypeError("opaque effect")
