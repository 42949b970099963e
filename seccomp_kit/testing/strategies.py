"""Hypothesis strategies for seccomp profiles, rules, argument conditions and syscall events.

Why one file of this length: it is the public module users import (``seccomp_kit.strategies``),
and its strategies share the option checks and the "valid by construction" bookkeeping below;
events live in :mod:`._events` and audit lines in :mod:`._audit_records` already.

Every profile drawn is valid for the runtime it was drawn for (``runtime="runc"``, ``"crun"`` or
``"oci"``, the spec alone): runc, crun and libseccomp accept it without an error. By
construction, not by filtering:

* syscall names exist on every architecture the profile lists (on this machine's architecture
  when it lists none), per :mod:`seccomp_kit.syscalls`;
* no rule has the default action (libseccomp refuses that with EACCES; KILL and KILL_THREAD
  count as one action, ERRNO rules differ from an ERRNO default by their errno);
* the listed architectures share one byte order (libseccomp: EDOM otherwise) and, for runc,
  are ones runc supports;
* ``errnoRet`` appears only on ERRNO and TRACE, at most 4094 (libseccomp 2.5 refuses 4095),
  NOTIFY is never the default nor used for ``write`` and always comes with a
  ``listenerPath``; TSYNC never joins NOTIFY, WAIT_KILLABLE_RECV never goes without it;
* argument indices are 0..5 and never repeat inside a rule (libseccomp's EINVAL) unless
  ``repeated_indices=True`` asks for the runtimes' reading of a repeated index: runc and crun
  (measured: runc 1.1.5 and 1.1.15, crun 1.8.1 and 1.21) add each condition as its own rule
  (OR), so libseccomp never sees the repetition;
* values fit the argument width (32 bits if any listed architecture is 32-bit);
* with ``conflicts=True`` several rules may name one syscall with overlapping conditions and
  different actions, but never in a way libseccomp refuses (EEXIST: an argument chain equal to,
  or containing, one that another action already uses; on x86, MIPS o32, PPC and s390 the
  socketcall/ipc syscalls count as one chain whatever their conditions).

Options follow Hypothesis' own style: keyword-only, plural names, strategies accepted where a
value is drawn, :class:`hypothesis.errors.InvalidArgument` (raised when the strategy is
defined) for bad arguments. Importing this module imports Hypothesis; ``import seccomp_kit``
does not.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Collection, Iterable
from typing import Any, TypeVar

import attrs
import hypothesis.strategies as st
from hypothesis import reject
from hypothesis.errors import InvalidArgument

from seccomp_kit.errors import InputError
from seccomp_kit.model import (
    UINT64_MAX,
    Action,
    Arch,
    ArchMapEntry,
    ArgCondition,
    CapFilter,
    Dialect,
    Flag,
    Operator,
    Profile,
    SyscallRule,
)
from seccomp_kit.syscalls import all_names, table
from seccomp_kit.syscalls.arches import RUNC_UNSUPPORTED, arch_info, native_arch, parse_arch
from seccomp_kit.syscalls.errnos import errno_number
from seccomp_kit.testing._events import SyscallEvent, syscall_events

__all__ = [
    "DEFAULT_FLAGS",
    "RUNTIMES",
    "SyscallEvent",
    "arch_map_entries",
    "arg_conditions",
    "audit_records",
    "cap_filters",
    "profiles",
    "syscall_events",
    "syscall_rules",
]

E = TypeVar("E", bound=enum.StrEnum)
T = TypeVar("T")

RUNTIMES = ("runc", "crun", "oci")
"""What a drawn profile must be valid for: ``"oci"`` is the runtime spec alone."""

DEFAULT_FLAGS = (Flag.TSYNC, Flag.LOG, Flag.SPEC_ALLOW)
"""Flags drawn unless ``flags=`` says otherwise. WAIT_KILLABLE_RECV needs libseccomp 2.6."""

MAX_INDEX = 5
_ERRNO_DEFAULT = 1  # EPERM: what runc and crun use for ERRNO without errnoRet

# Values people write and the edges libseccomp and the kernel split on: 32-bit halves,
# sign bits, all-ones.
_BOUNDARIES = (
    0,
    1,
    2,
    0x7F,
    0x80,
    0xFF,
    0x100,
    0xFFFF,
    0x7FFF_FFFF,
    0x8000_0000,
    0xFFFF_FFFF,
    0x1_0000_0000,
    0x1_0000_0001,
    0x7FFF_FFFF_FFFF_FFFF,
    0x8000_0000_0000_0000,
    0xFFFF_FFFF_FFFF_FFFE,
    UINT64_MAX,
)
_COMMON_ERRNOS = (1, 38, 13, 22, 2, 95)  # EPERM ENOSYS EACCES EINVAL ENOENT EOPNOTSUPP
_ERRNO_NAMES = ("EPERM", "ENOSYS", "EACCES", "EINVAL", "ENOENT", "EOPNOTSUPP", "EAGAIN")
_CAPS = (
    "CAP_SYS_ADMIN",
    "CAP_SYS_PTRACE",
    "CAP_SYS_MODULE",
    "CAP_SYS_TIME",
    "CAP_SYS_BOOT",
    "CAP_BPF",
    "CAP_PERFMON",
    "CAP_SYSLOG",
    "CAP_DAC_READ_SEARCH",
    "CAP_NET_ADMIN",
)
# libseccomp turns these into socketcall()/ipc() rules on the architectures that multiplex them:
# the call number is the only condition there (the arguments sit in memory), so every rule for
# one of them is the same chain.
_MULTIPLEXERS = frozenset(
    {Arch.X86, Arch.MIPS, Arch.MIPSEL, Arch.PPC, Arch.PPC64, Arch.PPC64LE, Arch.S390, Arch.S390X}
)
_MULTIPLEXED = frozenset(
    {
        "socket",
        "bind",
        "connect",
        "listen",
        "accept",
        "getsockname",
        "getpeername",
        "socketpair",
        "send",
        "recv",
        "sendto",
        "recvfrom",
        "shutdown",
        "setsockopt",
        "getsockopt",
        "sendmsg",
        "recvmsg",
        "accept4",
        "recvmmsg",
        "sendmmsg",
        "semop",
        "semget",
        "semctl",
        "semtimedop",
        "msgsnd",
        "msgrcv",
        "msgget",
        "msgctl",
        "shmat",
        "shmdt",
        "shmget",
        "shmctl",
    }
)
_MUX_KEY = (-1, "multiplexed", 0, 0)
_PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
_LISTENERS = ("/run/seccomp-agent.socket", "/var/run/seccomp/notify.sock")
# moby's archMap: an architecture and the ones a container on it may also use.
_SUB_ARCHES: dict[Arch, tuple[Arch, ...]] = {
    Arch.X86_64: (Arch.X86, Arch.X32),
    Arch.AARCH64: (Arch.ARM,),
    Arch.MIPS64: (Arch.MIPS, Arch.MIPS64N32),
    Arch.MIPS64N32: (Arch.MIPS, Arch.MIPS64),
    Arch.MIPSEL64: (Arch.MIPSEL, Arch.MIPSEL64N32),
    Arch.MIPSEL64N32: (Arch.MIPSEL, Arch.MIPSEL64),
    Arch.S390X: (Arch.S390,),
    Arch.RISCV64: (),
    Arch.LOONGARCH64: (),
}


# -- argument checking ------------------------------------------------------------------------


def _check_runtime(runtime: object) -> str:
    if runtime not in RUNTIMES:
        raise InvalidArgument(f"runtime={runtime!r} must be one of {', '.join(RUNTIMES)}")
    return str(runtime)


def _check_dialect(dialect: object) -> Dialect:
    try:
        return Dialect(str(dialect))
    except ValueError:
        known = ", ".join(d.value for d in Dialect)
        raise InvalidArgument(f"dialect={dialect!r} must be one of {known}") from None


def _enum_list(
    values: Iterable[object] | None, kind: type[E], what: str, default: Iterable[E]
) -> tuple[E, ...]:
    if values is None:
        return tuple(default)
    if isinstance(values, (str, st.SearchStrategy)):
        raise InvalidArgument(f"{what}={values!r} must be a collection of {kind.__name__} values")
    out: list[E] = []
    for value in values:
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            item = kind(value)
        except ValueError:
            known = ", ".join(m.value for m in kind)
            raise InvalidArgument(f"{what}: unknown value {value!r}; known: {known}") from None
        if item not in out:
            out.append(item)
    if not out:
        raise InvalidArgument(f"{what} must not be empty")
    return tuple(out)


def _check_arches(values: Iterable[object], runtime: str, what: str) -> tuple[Arch, ...]:
    if isinstance(values, str):
        raise InvalidArgument(f"{what}={values!r} must be a collection of architectures")
    out: list[Arch] = []
    for value in values:
        if not isinstance(value, str):
            raise InvalidArgument(f"{what}: {value!r} is not an architecture name")
        try:
            arch = parse_arch(value)
        except InputError as exc:
            raise InvalidArgument(f"{what}: {exc.message}") from None
        if runtime == "runc" and arch in RUNC_UNSUPPORTED:
            raise InvalidArgument(f"{what}: runc does not support {arch.value}")
        if arch not in out:
            out.append(arch)
    return tuple(out)


def _runtime_arches(runtime: str) -> tuple[Arch, ...]:
    return tuple(a for a in Arch if runtime != "runc" or a not in RUNC_UNSUPPORTED)


def _check_count(name: str, value: object, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"{name}={value!r} must be an integer")
    if value < low or (high is not None and value > high):
        bound = f"{low}..{high}" if high is not None else f">= {low}"
        raise InvalidArgument(f"{name}={value} must be {bound}")
    return value


def _check_indices(indices: Iterable[int]) -> tuple[int, ...]:
    if isinstance(indices, (str, st.SearchStrategy)):
        raise InvalidArgument(f"indices={indices!r} must be a collection of integers")
    out = tuple(sorted(set(indices)))
    if not out:
        raise InvalidArgument("indices must not be empty")
    for i in out:
        _check_count("indices item", i, 0, MAX_INDEX)
    return out


def _check_strategy(name: str, value: object) -> None:
    if value is not None and not isinstance(value, st.SearchStrategy):
        raise InvalidArgument(f"{name}={value!r} must be a Hypothesis strategy")


def _check_names(names: object) -> tuple[str, ...] | st.SearchStrategy[str] | None:
    if names is None or isinstance(names, st.SearchStrategy):
        return names
    if isinstance(names, str) or not isinstance(names, Iterable):
        raise InvalidArgument(
            f"names={names!r} must be a collection of syscall names or a strategy"
        )
    out = tuple(dict.fromkeys(names))
    if not out:
        raise InvalidArgument("names must not be empty")
    known = all_names()
    for name in out:
        if name not in known:
            raise InvalidArgument(f"names: {name!r} is not a syscall on any architecture")
    return out


# -- the pieces -------------------------------------------------------------------------------


# Strategies are built once per set of arguments: building (and validating) them per draw
# costs more than drawing from them. Where the arguments come from draws (the architectures,
# the default's errno) the cache is bounded: it serves the rules of one profile, and an
# unbounded one grows for the whole test session, and every pause of the garbage collector
# (inside some draw) with it.
_cache_for_drawn = functools.lru_cache(maxsize=256)


@_cache_for_drawn
def _choice(items: tuple[T, ...]) -> st.SearchStrategy[T]:
    # Cached: a rule draw asks for the same pools (hundreds of names) again and again, and a
    # new strategy costs Hypothesis a validation each time.
    return st.sampled_from(items)


_ERRNOS = st.sampled_from(_COMMON_ERRNOS) | st.integers(0, 4094)
_MAYBE_ERRNOS = st.none() | _ERRNOS
# Every character UTF-8 can encode, i.e. all but the surrogates (category Cs). Said by category:
# codec="utf-8" makes Hypothesis scan all of Unicode once per project (about a second, inside
# the first draw, which trips the too_slow health check of a new user's suite).
_COMMENTS = st.none() | st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
_VALUE_TWOS = st.sampled_from((None, 0))
_BOOLEANS = st.booleans()


@_cache_for_drawn
def _errno_rets(
    action: Action, default: ActionKey | None, needed: bool
) -> st.SearchStrategy[int | None]:
    """errnoRet values a rule with ``action`` may carry next to ``default``."""
    source = _ERRNOS if needed else _MAYBE_ERRNOS
    if default is None:
        return source
    return source.filter(lambda e: not _clashes(_action_key(action, e), default))


@functools.cache
def _values(bits: int) -> st.SearchStrategy[int]:
    top = (1 << bits) - 1
    return st.one_of(
        st.integers(0, 16),
        st.sampled_from([b for b in _BOUNDARIES if b <= top]),
        st.integers(0, top),
    )


@_cache_for_drawn
def _names_on(arches: tuple[Arch, ...]) -> tuple[str, ...]:
    """Names that exist on every one of ``arches`` (this machine's when empty), sorted."""
    targets = arches or (native_arch(),)
    common = set(table(targets[0]).by_name)
    for arch in targets[1:]:
        common &= set(table(arch).by_name)
    return tuple(sorted(common))


def _bits(arches: tuple[Arch, ...]) -> int:
    targets = arches or (native_arch(),)
    return 32 if any(arch_info(a).is_32bit for a in targets) else 64


@attrs.frozen
class _Options:
    """Everything a rule draw needs, resolved from the public arguments."""

    actions: tuple[Action, ...]
    operators: tuple[Operator, ...]
    indices: tuple[int, ...]
    max_args: int
    max_names: int
    values: st.SearchStrategy[int] | None
    names: tuple[str, ...] | st.SearchStrategy[str] | None
    repeated_indices: bool
    dialect: Dialect
    cap_filters: bool


@functools.cache
def _condition(
    index: int,
    operators: tuple[Operator, ...],
    values: st.SearchStrategy[int] | None,
    bits: int,
) -> st.SearchStrategy[ArgCondition]:
    return _draw_condition(index, operators, values, bits)


@functools.cache
def _bounded(values: st.SearchStrategy[int] | None, bits: int) -> st.SearchStrategy[int]:
    if values is None:
        return _values(bits)
    top = (1 << bits) - 1
    return values.map(lambda v: v & top)


@st.composite
def _draw_condition(
    draw: st.DrawFn,
    index: int,
    operators: tuple[Operator, ...],
    values: st.SearchStrategy[int] | None,
    bits: int,
) -> ArgCondition:
    # Only cached strategies here: a strategy built per draw costs Hypothesis a validation.
    source = _bounded(values, bits)
    op = draw(_choice(operators))
    value = draw(source)
    if op is Operator.MASKED_EQ:
        # valueTwo is the datum; libseccomp compares it masked, so a datum with bits outside
        # the mask is legal (and a case matchers must get right): drawn now and then. Inside
        # the mask first, so examples shrink toward it.
        outside = draw(_BOOLEANS)
        datum = draw(source)
        return ArgCondition(index, value, op, datum if outside else datum & value)
    # Files in the wild write valueTwo 0 on every operator; runtimes ignore it there.
    return ArgCondition(index, value, op, draw(_VALUE_TWOS))


def arg_conditions(
    *,
    indices: Collection[int] = range(MAX_INDEX + 1),
    operators: Collection[Operator | str] | None = None,
    values: st.SearchStrategy[int] | None = None,
    bits: int = 64,
) -> st.SearchStrategy[ArgCondition]:
    """One argument condition: an index from ``indices``, an operator from ``operators`` (all
    seven by default) and values from ``values`` (default: biased toward 0, small numbers and
    the 32/64-bit edges) reduced to ``bits`` (32 or 64) bits. MASKED_EQ conditions carry a
    ``value_two`` datum, mostly inside the mask; other operators carry no ``value_two`` or 0.
    """
    idx = _check_indices(indices)
    ops = _enum_list(operators, Operator, "operators", Operator)
    _check_strategy("values", values)
    if bits not in (32, 64):
        raise InvalidArgument(f"bits={bits!r} must be 32 or 64")
    return st.sampled_from(idx).flatmap(lambda i: _condition(i, ops, values, bits))


def cap_filters(*, arches: Collection[Arch | str] = ()) -> st.SearchStrategy[CapFilter]:
    """moby ``includes``/``excludes`` objects: known capabilities, the native names of
    ``arches`` and ``minKernel`` versions such as ``"4.8"``."""
    return _cap_filters(_check_arches(arches, "oci", "arches"))


@_cache_for_drawn
def _cap_filters(arches: tuple[Arch, ...]) -> st.SearchStrategy[CapFilter]:
    natives = tuple(_native(a) for a in arches)
    return st.builds(
        CapFilter,
        caps=st.lists(st.sampled_from(_CAPS), unique=True, max_size=2).map(tuple),
        arches=st.lists(st.sampled_from(natives), unique=True, max_size=2).map(tuple)
        if natives
        else st.just(()),
        min_kernel=st.none()
        | st.tuples(st.integers(3, 6), st.integers(0, 19)).map(lambda v: f"{v[0]}.{v[1]}"),
    )


def _native(arch: Arch) -> str:
    return arch_info(arch).native


def arch_map_entries(
    *, architectures: Collection[Arch | str] | None = None, runtime: str = "runc"
) -> st.SearchStrategy[ArchMapEntry]:
    """moby ``archMap`` entries: an architecture with sub-architectures it really implies
    (x86_64 with x86 and x32, aarch64 with arm...), all drawn from ``architectures``."""
    rt = _check_runtime(runtime)
    pool = (
        _runtime_arches(rt)
        if architectures is None
        else _check_arches(architectures, rt, "architectures")
    )
    if not pool:
        raise InvalidArgument("architectures must not be empty")
    return st.sampled_from(pool).flatmap(lambda a: _arch_entry(a, pool))


@functools.cache
def _arch_entry(arch: Arch, pool: tuple[Arch, ...]) -> st.SearchStrategy[ArchMapEntry]:
    subs = [s for s in _SUB_ARCHES.get(arch, ()) if s in pool and _little(s) is _little(arch)]
    return (
        st.lists(st.sampled_from(subs), unique=True).map(
            lambda chosen: ArchMapEntry(arch, tuple(s for s in subs if s in chosen))
        )
        if subs
        else st.just(ArchMapEntry(arch, ()))
    )


# -- rules ------------------------------------------------------------------------------------

ChainKey = frozenset[tuple[int, str, int, int]]
ActionKey = tuple[int, int | None]


# libseccomp stores NE, LT and LE as EQ, GE and GT with the branches swapped.
_NODE_OPS = {
    Operator.EQ: "EQ",
    Operator.NE: "EQ",
    Operator.GE: "GE",
    Operator.LT: "GE",
    Operator.GT: "GT",
    Operator.LE: "GT",
    Operator.MASKED_EQ: "MASKED_EQ",
}


def _chains(args: tuple[ArgCondition, ...]) -> list[ChainKey]:
    """The argument chains libseccomp builds for one rule, one node key per condition.

    MASKED_EQ's datum is stored masked; ``valueTwo`` means nothing on other operators. A rule
    that repeats an index is, for runc, one single-condition rule per condition.
    """

    def key(a: ArgCondition) -> tuple[int, str, int, int]:
        op = _NODE_OPS.get(a.op, str(a.op))  # type: ignore[call-overload]
        if a.op is Operator.MASKED_EQ:
            return (a.index, op, a.value, a.effective_value_two & a.value)
        return (a.index, op, a.value, 0)

    if len({a.index for a in args}) < len(args):
        return [frozenset({key(a)}) for a in args]
    return [frozenset(key(a) for a in args)]


def _action_key(action: Action, errno_ret: int | None) -> ActionKey:
    """What libseccomp compares: the kernel action with its data (TRACE without errnoRet is
    left open, so it is never taken as equal to, or different from, another TRACE)."""
    if action is Action.ERRNO:
        return (action.kernel_base, _ERRNO_DEFAULT if errno_ret is None else errno_ret)
    if action is Action.TRACE:
        return (action.kernel_base, errno_ret)
    return (action.kernel_base, 0)


def _clashes(a: ActionKey, b: ActionKey) -> bool:
    """Whether two actions may be the same one (so a rule may not use ``a`` if ``b`` is the
    default)."""
    if a[0] != b[0]:
        return False
    return a[1] is None or b[1] is None or a[1] == b[1]


def _rule_actions(actions: tuple[Action, ...], default: ActionKey | None) -> tuple[Action, ...]:
    """The actions a rule may take next to ``default``: ERRNO and TRACE also when the default
    is the same action, as long as their errno differs."""
    if default is None:
        return actions
    return tuple(
        a
        for a in actions
        if not _clashes(_action_key(a, None if a is Action.TRACE else 0), default)
        or (a.takes_errno and default[1] is not None)
    )


def _moby_only(rule: SyscallRule) -> bool:
    """Whether the rule carries a field only moby's dialect has (so the file reads as moby)."""
    return rule.comment is not None or rule.legacy_name or bool(rule.includes or rule.excludes)


def _conflicts(
    new: list[ChainKey],
    action: ActionKey,
    old: list[tuple[ChainKey, ActionKey]],
    *,
    wide: bool,
) -> bool:
    """Whether libseccomp could refuse the new rule next to the earlier ones (EEXIST).

    libseccomp refuses a chain that ends on a node where another action's chain ends or goes
    on. A 64-bit comparison is two nodes, the high word first, and ordering operators decide
    on the high word alone when it differs, so two conditions on one argument share a node
    whenever their high words match (``wide``: some listed architecture is 64-bit). Stricter
    than libseccomp, and independent of insertion order: two conditional rules with different
    actions conflict when the indices of one are a subset of the other's and every shared
    index may share a node. Unconditional rules never conflict (the first unconditional wins,
    or it replaces conditional ones), so they stay in to exercise those paths.
    """
    for chain in new:
        mine = {k[0]: k for k in chain}
        for other, other_action in old:
            if (other_action == action and action[1] is not None) or not chain or not other:
                continue
            theirs = {k[0]: k for k in other}
            if not (mine.keys() <= theirs.keys() or theirs.keys() <= mine.keys()):
                continue
            if all(_share_node(mine[i], theirs[i], wide) for i in mine.keys() & theirs.keys()):
                return True
    return False


def _share_node(a: tuple[int, str, int, int], b: tuple[int, str, int, int], wide: bool) -> bool:
    return a == b or (wide and a[2] >> 32 == b[2] >> 32 and a[3] >> 32 == b[3] >> 32)


@st.composite
def _rule(
    draw: st.DrawFn,
    *,
    opts: _Options,
    arches: tuple[Arch, ...],
    default: ActionKey | None,
    taken: dict[str, list[tuple[ChainKey, ActionKey]]] | None,
    conflicts: bool,
) -> SyscallRule:
    """One rule valid on ``arches`` next to the default and the rules already in ``taken``
    (syscall name -> chains and actions), or standalone when ``taken`` is None."""
    bits = _bits(arches)
    action = draw(_choice(_rule_actions(opts.actions, default)))
    errno_ret: int | None = None
    errno_name: str | None = None
    if action.takes_errno:
        needs_errno = default is not None and default[0] == action.kernel_base
        if opts.dialect is Dialect.CONTAINERS and action is Action.ERRNO and draw(_BOOLEANS):
            names = [
                n
                for n in _ERRNO_NAMES
                if default is None or not _clashes(_action_key(action, errno_number(n)), default)
            ]
            errno_name = draw(_choice(tuple(names)))
        else:
            errno_ret = draw(_errno_rets(action, default, needs_errno))
    effective = errno_number(errno_name) if errno_name is not None else errno_ret
    action_key = _action_key(action, effective)

    args: tuple[ArgCondition, ...] = ()
    if opts.max_args:
        indices = draw(_index_lists(opts.indices, opts.repeated_indices, opts.max_args))
        args = tuple(draw(_condition(i, opts.operators, opts.values, bits)) for i in indices)
    chains = _chains(args)

    pool = _name_pool(opts, arches)
    if not isinstance(pool, st.SearchStrategy) and (
        not pool or (taken is not None and not conflicts and all(n in taken for n in pool))
    ):
        raise _Exhausted
    # One cached list strategy per pool; names already taken are dropped after the draw (or,
    # with conflicts, reached through an index into them), not filtered out by a strategy
    # built per rule: building one costs more than the draw.
    used = sorted(taken) if conflicts and taken else []
    drawn = draw(_name_lists(pool, opts.max_names, bool(used)))
    picked = [used[n % len(used)] if isinstance(n, int) else n for n in drawn]
    if taken is not None and not conflicts:
        picked = [n for n in picked if n not in taken]
    names = list(dict.fromkeys(picked))
    if action is Action.NOTIFY:
        names = [n for n in names if n != "write"]
    mux = not _MULTIPLEXERS.isdisjoint(arches or (native_arch(),))

    def chains_of(name: str) -> list[ChainKey]:
        if mux and name in _MULTIPLEXED:
            return [frozenset({_MUX_KEY})]
        return chains

    if taken is not None:
        wide = bits == 64 or any(not arch_info(a).is_32bit for a in arches)
        names = [
            n
            for n in names
            if not _conflicts(chains_of(n), action_key, taken.get(n, []), wide=wide)
        ]
    if not names:
        if isinstance(pool, st.SearchStrategy):
            raise _Exhausted
        fresh = [n for n in pool if (taken is None or n not in taken) and n != "write"]
        if not fresh:
            raise _Exhausted
        names = [draw(st.sampled_from(fresh))]
    if taken is not None:
        for n in names:
            taken.setdefault(n, []).extend((c, action_key) for c in chains_of(n))

    comment = legacy = None
    includes = excludes = CapFilter()
    if opts.dialect is not Dialect.OCI:
        legacy = len(names) == 1 and draw(_BOOLEANS)
        comment = draw(_COMMENTS)
        if opts.cap_filters:
            includes = draw(_maybe_cap_filters(arches))
            excludes = draw(_maybe_cap_filters(arches))
    return SyscallRule(
        names=tuple(names),
        action=action,
        errno_ret=errno_ret,
        args=args,
        errno_name=errno_name,
        comment=comment,
        includes=includes,
        excludes=excludes,
        legacy_name=bool(legacy),
    )


_MAX_REFERENCE = 63  # an index into the names taken, modulo their number


@_cache_for_drawn
def _name_lists(
    pool: tuple[str, ...] | st.SearchStrategy[str], max_names: int, refer: bool
) -> st.SearchStrategy[list[str | int]]:
    """Lists of names from ``pool``; with ``refer`` some items are instead indices into the
    names earlier rules took (first, so examples shrink toward a repeated name)."""
    source: st.SearchStrategy[Any] = pool if isinstance(pool, st.SearchStrategy) else _choice(pool)
    if refer:
        source = st.integers(0, _MAX_REFERENCE) | source
    return st.lists(source, min_size=1, max_size=max_names, unique=True)


@functools.cache
def _index_lists(
    indices: tuple[int, ...], repeated: bool, max_args: int
) -> st.SearchStrategy[list[int]]:
    return st.lists(_choice(indices), unique=not repeated, max_size=max_args)


@_cache_for_drawn
def _maybe_cap_filters(arches: tuple[Arch, ...]) -> st.SearchStrategy[CapFilter]:
    return st.just(CapFilter()) | _cap_filters(arches)


class _Exhausted(Exception):
    """No syscall name is left that a further rule could use."""


@_cache_for_drawn
def _name_pool(
    opts: _Options, arches: tuple[Arch, ...]
) -> tuple[str, ...] | st.SearchStrategy[str]:
    on_arches = _names_on(arches)
    if opts.names is None:
        return on_arches
    allowed = frozenset(on_arches)
    if isinstance(opts.names, st.SearchStrategy):
        return opts.names.filter(allowed.__contains__)
    return tuple(n for n in opts.names if n in allowed)


def _options(
    *,
    actions: Collection[Action | str] | None,
    operators: Collection[Operator | str] | None,
    indices: Collection[int],
    arg_conditions: bool,
    max_args: int,
    max_names: int,
    values: st.SearchStrategy[int] | None,
    names: object,
    repeated_indices: bool,
    dialect: Dialect,
    cap_filters: bool,
) -> _Options:
    _check_strategy("values", values)
    if not isinstance(repeated_indices, bool):
        raise InvalidArgument(f"repeated_indices={repeated_indices!r} must be True or False")
    if not isinstance(arg_conditions, bool):
        raise InvalidArgument(f"arg_conditions={arg_conditions!r} must be True or False")
    if not isinstance(cap_filters, bool):
        raise InvalidArgument(f"cap_filters={cap_filters!r} must be True or False")
    return _Options(
        actions=_enum_list(actions, Action, "actions", Action),
        operators=_enum_list(operators, Operator, "operators", Operator),
        indices=_check_indices(indices),
        max_args=_check_count("max_args", max_args, 0, 6) if arg_conditions else 0,
        max_names=_check_count("max_names", max_names, 1),
        values=values,
        names=_check_names(names),
        repeated_indices=repeated_indices,
        dialect=dialect,
        cap_filters=cap_filters and dialect is not Dialect.OCI,
    )


def syscall_rules(
    *,
    architectures: Collection[Arch | str] = (),
    actions: Collection[Action | str] | None = None,
    names: Collection[str] | st.SearchStrategy[str] | None = None,
    arg_conditions: bool = True,
    max_args: int = 3,
    max_names: int = 3,
    operators: Collection[Operator | str] | None = None,
    indices: Collection[int] = range(MAX_INDEX + 1),
    values: st.SearchStrategy[int] | None = None,
    repeated_indices: bool = False,
    dialect: Dialect | str = "oci",
    cap_filters: bool = True,
    runtime: str = "runc",
) -> st.SearchStrategy[SyscallRule]:
    """Single rules, valid on their own for ``runtime`` on every one of ``architectures``
    (this machine's when empty): names that exist there, ``errnoRet`` only on ERRNO/TRACE,
    NOTIFY never for ``write``, distinct argument indices (unless ``repeated_indices``), values
    that fit the argument width. Rules of a whole profile also depend on each other and on the
    default action: draw those with :func:`profiles`.
    """
    rt = _check_runtime(runtime)
    arches = _check_arches(architectures, rt, "architectures")
    opts = _options(
        actions=actions,
        operators=operators,
        indices=indices,
        arg_conditions=arg_conditions,
        max_args=max_args,
        max_names=max_names,
        values=values,
        names=names,
        repeated_indices=repeated_indices,
        dialect=_check_dialect(dialect),
        cap_filters=cap_filters,
    )
    _check_pool(opts, arches)
    return _rule(opts=opts, arches=arches, default=None, taken=None, conflicts=False)


def _check_pool(opts: _Options, arches: tuple[Arch, ...]) -> None:
    pool = _name_pool(opts, arches)
    if not isinstance(pool, st.SearchStrategy) and not pool:
        where = ", ".join(a.value for a in arches) or "this machine's architecture"
        raise InvalidArgument(f"none of names exists on every one of {where}")


# -- profiles ---------------------------------------------------------------------------------


def profiles(
    *,
    architectures: Collection[Arch | str] | st.SearchStrategy[Collection[Arch | str]] | None = None,
    actions: Collection[Action | str] | None = None,
    default_actions: Collection[Action | str] | None = None,
    dialect: Dialect | str = "oci",
    min_rules: int = 0,
    max_rules: int = 8,
    max_names: int = 3,
    arg_conditions: bool = True,
    max_args: int = 3,
    operators: Collection[Operator | str] | None = None,
    indices: Collection[int] = range(MAX_INDEX + 1),
    values: st.SearchStrategy[int] | None = None,
    names: Collection[str] | st.SearchStrategy[str] | None = None,
    conflicts: bool = False,
    repeated_indices: bool = False,
    flags: Collection[Flag | str] | None = None,
    cap_filters: bool = True,
    runtime: str = "runc",
) -> st.SearchStrategy[Profile]:
    """Whole profiles, valid for ``runtime`` (``"runc"``, ``"crun"`` or ``"oci"``).

    ``architectures``: a collection to draw a non-empty subset from, a strategy that draws the
    exact list, or None for any subset (possibly empty: this machine's architecture) of those
    ``runtime`` supports. In the moby dialect they become ``archMap`` entries with their
    sub-architectures. ``actions`` are drawn for rules, ``default_actions`` for the default
    (NOTIFY never). ``min_rules``/``max_rules`` bound the rule count, ``max_names`` the names
    per rule, ``max_args`` the conditions per rule (none when ``arg_conditions=False``).
    ``operators``, ``indices``, ``values`` and ``names`` narrow what conditions and rules use.
    ``conflicts=True`` lets several rules name one syscall with overlapping conditions and
    different actions; ``repeated_indices=True`` lets a rule repeat an argument index, which
    runc and crun read as one rule per condition (OR). ``flags`` is the pool of filter flags
    (default :data:`DEFAULT_FLAGS`).
    ``dialect="moby"`` adds comments, the legacy ``name``, ``archMap`` and (``cap_filters``)
    ``includes``/``excludes``; ``"containers"`` also errno names and an ERRNO default.
    """
    rt = _check_runtime(runtime)
    dia = _check_dialect(dialect)
    if architectures is None or isinstance(architectures, st.SearchStrategy):
        arch_pool = _runtime_arches(rt)
    else:
        arch_pool = _check_arches(architectures, rt, "architectures")
        if not arch_pool:
            raise InvalidArgument("architectures must not be empty (None means any)")
    opts = _options(
        actions=actions,
        operators=operators,
        indices=indices,
        arg_conditions=arg_conditions,
        max_args=max_args,
        max_names=max_names,
        values=values,
        names=names,
        repeated_indices=repeated_indices,
        dialect=dia,
        cap_filters=cap_filters,
    )
    defaults = _enum_list(
        default_actions,
        Action,
        "default_actions",
        [a for a in Action if a is not Action.NOTIFY],
    )
    if Action.NOTIFY in defaults:
        raise InvalidArgument("default_actions: NOTIFY cannot be the default action")
    if dia is Dialect.CONTAINERS:
        if Action.ERRNO not in defaults:
            raise InvalidArgument(
                "dialect='containers' draws an ERRNO default with defaultErrno (its marker); "
                "default_actions must include ERRNO"
            )
        defaults = (Action.ERRNO,)
    low = _check_count("min_rules", min_rules, 0)
    high = _check_count("max_rules", max_rules, 0)
    if low > high:
        raise InvalidArgument(f"min_rules={low} must not exceed max_rules={high}")
    if low:
        # Only defaults that leave some rule action: with an errno, ERRNO/TRACE always do.
        defaults = tuple(d for d in defaults if _rule_actions(opts.actions, _action_key(d, 1)))
        if not defaults:
            raise InvalidArgument(
                f"min_rules={low}, but every action in actions equals every default action"
            )
    flag_pool = _enum_list(flags, Flag, "flags", DEFAULT_FLAGS)
    if not isinstance(conflicts, bool):
        raise InvalidArgument(f"conflicts={conflicts!r} must be True or False")
    arch_source = _arch_strategy(architectures, arch_pool, rt)
    return _profile(
        opts=opts,
        defaults=defaults,
        min_rules=low,
        max_rules=high,
        conflicts=conflicts,
        flag_pool=flag_pool,
        arch_source=arch_source,
        arch_pool=arch_pool,
        dialect=dia,
        runtime=rt,
    )


def _arch_strategy(
    architectures: object, pool: tuple[Arch, ...], runtime: str
) -> st.SearchStrategy[tuple[Arch, ...]]:
    if isinstance(architectures, st.SearchStrategy):

        def check(drawn: Any) -> tuple[Arch, ...]:
            arches = _check_arches(drawn, runtime, "architectures (drawn)")
            if len({_little(a) for a in arches}) > 1:
                raise InvalidArgument(
                    f"architectures (drawn) {[a.value for a in arches]} mix byte orders; "
                    "libseccomp refuses that in one filter (EDOM)"
                )
            return arches

        return architectures.map(check)
    # One filter holds one byte order (libseccomp: EDOM): draw the order, then the arches.
    # This machine's order comes first, so examples shrink toward it.
    native = _little(native_arch())
    groups = [
        tuple(a for a in pool if _little(a) is order)
        for order in (native, not native)
        if any(_little(a) is order for a in pool)
    ]
    min_arches = 0 if architectures is None else 1  # None: any subset, the empty one too
    return st.sampled_from(groups).flatmap(lambda group: _arch_lists(group, min_arches))


@functools.cache
def _arch_lists(group: tuple[Arch, ...], min_size: int) -> st.SearchStrategy[tuple[Arch, ...]]:
    return st.lists(_choice(group), unique=True, min_size=min_size, max_size=3).map(tuple)


@functools.cache
def _integers(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(low, high)


@functools.cache
def _flag_lists(pool: tuple[Flag, ...]) -> st.SearchStrategy[list[Flag]]:
    return st.lists(_choice(pool), unique=True, max_size=len(pool))


_METADATA = st.none() | st.text(_PRINTABLE, max_size=12)


def _little(arch: Arch) -> bool:
    return arch_info(arch).little_endian


@st.composite
def _profile(
    draw: st.DrawFn,
    *,
    opts: _Options,
    defaults: tuple[Action, ...],
    min_rules: int,
    max_rules: int,
    conflicts: bool,
    flag_pool: tuple[Flag, ...],
    arch_source: st.SearchStrategy[tuple[Arch, ...]],
    arch_pool: tuple[Arch, ...],
    dialect: Dialect,
    runtime: str,
) -> Profile:
    listed = draw(arch_source)
    arch_map: tuple[ArchMapEntry, ...] = ()
    arches = listed
    if dialect is not Dialect.OCI and listed:
        # moby's own files use archMap; sub-architectures widen the set names must exist on.
        arch_map = tuple(draw(_arch_entry(a, arch_pool)) for a in listed)
        seen = dict.fromkeys(a for e in arch_map for a in (e.architecture, *e.sub_architectures))
        arches = tuple(Arch(a) for a in seen)
    default = draw(_choice(defaults))
    default_errno_ret: int | None = None
    default_errno_name: str | None = None
    if dialect is Dialect.CONTAINERS:
        default_errno_name = draw(_choice(_ERRNO_NAMES))
    elif default.takes_errno:
        # A TRACE default without errnoRet would leave TRACE rules nothing to differ by.
        optional = default is Action.ERRNO or Action.TRACE not in opts.actions
        default_errno_ret = draw(_MAYBE_ERRNOS if optional else _ERRNOS)
    effective = (
        errno_number(default_errno_name) if default_errno_name is not None else default_errno_ret
    )
    default_key = _action_key(default, effective)
    count = draw(_integers(min_rules, max_rules)) if _rule_actions(opts.actions, default_key) else 0
    taken: dict[str, list[tuple[ChainKey, ActionKey]]] = {}
    rules: list[SyscallRule] = []
    for _ in range(count):
        try:
            rules.append(
                draw(
                    _rule(
                        opts=opts,
                        arches=arches,
                        default=default_key,
                        taken=taken,
                        conflicts=conflicts,
                    )
                )
            )
        except _Exhausted:
            if len(rules) < min_rules and isinstance(opts.names, st.SearchStrategy):
                reject()  # this draw of the caller's names ran dry; another may not
            if len(rules) < min_rules:
                raise InvalidArgument(
                    f"the syscall names available on {arches or 'this machine'} run out before "
                    f"min_rules={min_rules} rules"
                ) from None
            break

    notify = any(r.action is Action.NOTIFY for r in rules)
    chosen = draw(_flag_lists(flag_pool))
    # The kernel refuses TSYNC with a listener (without TSYNC_ESRCH) and WAIT_KILLABLE_RECV
    # without one.
    flag_list = tuple(
        f
        for f in chosen
        if not (f is Flag.TSYNC and notify) and not (f is Flag.WAIT_KILLABLE_RECV and not notify)
    )
    listener_path = listener_metadata = None
    if notify:
        listener_path = draw(_choice(_LISTENERS))
        listener_metadata = draw(_METADATA)
    if dialect is Dialect.MOBY and not arch_map and not any(_moby_only(r) for r in rules):
        # The profile must read back as moby: give it the archMap every moby file has.
        arch_map = (ArchMapEntry(native_arch(), ()),)
    profile = Profile(
        default_action=default,
        default_errno_ret=default_errno_ret,
        default_errno_name=default_errno_name,
        architectures=() if arch_map else listed,
        arch_map=arch_map,
        flags=flag_list,
        listener_path=listener_path,
        listener_metadata=listener_metadata,
        syscalls=tuple(rules),
        dialect=dialect,
    )
    if (conflicts or opts.repeated_indices) and not _libseccomp_accepts(profile, runtime):
        reject()
    return profile


def _libseccomp_accepts(profile: Profile, runtime: str) -> bool:
    """The last word on rules that interact: seccomp_kit's model of libseccomp's rule database
    (what :mod:`seccomp_kit.match` and compiling use) adds them as the runtime would. It
    refuses what the conflict rules above miss, rarely: EEXIST cases of libseccomp's pruning,
    and inputs on which libseccomp 2.5 never returns."""
    # The modules themselves, not seccomp_kit.match: the matcher's imports would double the
    # cost of the first draw that gets here.
    from seccomp_kit.errors import ProfileError
    from seccomp_kit.libseccomp._build import check_finishes
    from seccomp_kit.libseccomp.translate import translate

    plain = attrs.evolve(
        profile,
        syscalls=tuple(
            attrs.evolve(r, includes=CapFilter(), excludes=CapFilter()) for r in profile.syscalls
        ),
    )
    arches = profile.all_architectures()
    try:
        # What the Matcher builds, but only for the syscalls where rules can interact (several
        # rules, one conditional): a whole rule database per draw cost milliseconds.
        check_finishes(
            translate(
                plain,
                runtime="crun" if runtime == "crun" else "runc",
                host_arch=arches[0] if arches else None,
            )
        )
    except ProfileError:
        return False
    return True


# -- audit records (lines the audit parser reads) ---------------------------------------------


def audit_records(*, formats: Collection[str] | None = None) -> st.SearchStrategy[str]:
    """SCMP_ACT_LOG records as text lines, in every format :mod:`seccomp_kit.audit` parses
    (or those named in ``formats``); see
    :func:`seccomp_kit.testing._audit_records.audit_records`."""
    try:
        from seccomp_kit.testing import _audit_records
    except ImportError as exc:  # pragma: no cover - only before the audit parser exists
        raise InvalidArgument(f"audit_records needs seccomp_kit.audit: {exc}") from exc
    builder: Callable[..., st.SearchStrategy[str]] = _audit_records.audit_records
    return builder(formats=formats)
