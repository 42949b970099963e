"""Syscall events for matcher and filter tests, biased toward where rules change their mind."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs
import hypothesis.strategies as st
from hypothesis.errors import InvalidArgument

from seccomp_kit.errors import InputError
from seccomp_kit.model import (
    UINT32_MAX,
    UINT64_MAX,
    Arch,
    ArgCondition,
    Operator,
    Profile,
    SyscallRule,
)
from seccomp_kit.syscalls import table
from seccomp_kit.syscalls.arches import arch_info, native_arch, parse_arch

__all__ = ["SyscallEvent", "syscall_events"]

_ARGS = 6


def _check_args(inst: object, attribute: attrs.Attribute[Any], value: tuple[int, ...]) -> None:
    if len(value) != _ARGS:
        raise ValueError(f"args must hold {_ARGS} values, not {len(value)}")
    for v in value:
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= UINT64_MAX:
            raise ValueError(f"args values must be integers in 0..{UINT64_MAX}, not {v!r}")


def _check_nr(inst: object, attribute: attrs.Attribute[Any], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= UINT32_MAX:
        raise ValueError(f"nr must be an integer in 0..{UINT32_MAX}, not {value!r}")


def _to_args(value: Iterable[int]) -> tuple[int, ...]:
    return tuple(value)


@attrs.frozen
class SyscallEvent:
    """One syscall as a seccomp filter sees it (``struct seccomp_data`` without the IP).

    ``nr`` is the 32 bits of ``seccomp_data.nr`` read unsigned (-1 is ``0xffffffff``), the
    number in ``arch``'s own table (x32 numbers carry the x32 bit, MIPS ones their ABI base).
    An x32 call may also appear as ``Arch.X86_64`` with the x32 bit set: that is what the
    kernel reports for it. ``args`` are the six 64-bit argument registers.
    """

    arch: Arch = attrs.field(converter=parse_arch)
    nr: int = attrs.field(validator=_check_nr)
    args: tuple[int, ...] = attrs.field(
        default=(0,) * _ARGS, converter=_to_args, validator=_check_args
    )


def _near(values: set[int], top: int) -> set[int]:
    out: set[int] = set()
    for v in values:
        out.update({v, (v - 1) & top, (v + 1) & top})
    return out


def _arg_targets(conditions: list[ArgCondition]) -> tuple[int, ...]:
    """Values at and around every comparison of one argument index."""
    top = UINT64_MAX
    base: set[int] = set()
    for c in conditions:
        if c.op is Operator.MASKED_EQ:
            mask, datum = c.value, c.effective_value_two
            hit = datum & mask
            base.update({hit, hit | (~mask & top), datum})
            # Off by one bit inside the mask: the lowest and the highest set bit.
            if mask:
                base.add(hit ^ (mask & -mask))
                base.add(hit ^ (1 << (mask.bit_length() - 1)))
        else:
            base.add(c.value)
    near = _near(base, top)
    # 32-bit edges: the same low word with other high words, and the low word alone.
    for v in list(near):
        near.update({v & UINT32_MAX, v ^ (1 << 32), v | (UINT32_MAX << 32)})
    return tuple(sorted(near))


_EDGES = (0, 1, UINT32_MAX, 1 << 32, (1 << 63), UINT64_MAX)
_GENERIC_ARGS = st.sampled_from(_EDGES) | st.integers(0, 16) | st.integers(0, UINT64_MAX)


def _arg_sources(rules: Iterable[SyscallRule]) -> tuple[st.SearchStrategy[int], ...]:
    """Per argument index, values biased toward the comparisons ``rules`` make of it."""
    by_index: dict[int, list[ArgCondition]] = {}
    for rule in rules:
        for cond in rule.args:
            by_index.setdefault(cond.index, []).append(cond)
    sources = []
    for index in range(_ARGS):
        targets = _arg_targets(by_index.get(index, []))
        sources.append(st.sampled_from(targets) | _GENERIC_ARGS if targets else _GENERIC_ARGS)
    return tuple(sources)


@st.composite
def _event(
    draw: st.DrawFn,
    arches: tuple[Arch, ...],
    others: tuple[Arch, ...],
    names: frozenset[str],
    arg_sources: tuple[st.SearchStrategy[int], ...],
) -> SyscallEvent:
    # Mostly the profile's architectures; the others stand for a process of another ABI.
    own = st.sampled_from(arches)
    arch = draw(own | st.sampled_from(others) if others else own)
    tbl = table(arch)
    named = sorted(n for n in names if n in tbl)
    choices = [
        st.sampled_from(named).map(lambda n: tbl.by_name[n]) if named else None,
        st.sampled_from(sorted(tbl.by_number)),
        # Just outside the table: above the highest number and -1 as the kernel's int.
        st.sampled_from((tbl.max_number + 1, tbl.max_number + 2, UINT32_MAX)),
        st.integers(0, UINT32_MAX),
    ]
    info = arch_info(arch)
    if arch is Arch.X86_64:
        # An x32 call as the kernel reports it: x86_64's audit arch, the x32 bit set.
        choices.append(st.sampled_from(sorted(table(Arch.X32).by_number)))
    elif info.nr_base:
        # Below the ABI base or without the x32 bit: another ABI's number.
        choices.append(st.sampled_from(sorted(tbl.by_number)).map(lambda n: n - info.nr_base))
    nr = draw(st.one_of([c for c in choices if c is not None]))
    args = tuple(draw(source) for source in arg_sources)
    return SyscallEvent(arch, nr & UINT32_MAX, args)


def syscall_events(
    *, profile: Profile | None = None, arch: Arch | str | None = None
) -> st.SearchStrategy[SyscallEvent]:
    """Syscall events, biased toward where ``profile`` decides (when given).

    Numbers: the profile's syscalls, any in the table, just outside it (highest + 1, -1 as
    ``0xffffffff``), another ABI's (x32 calls on x86_64, MIPS numbers below the base) and any
    32-bit value. Arguments: each comparison value and its neighbours, masked values that
    match exactly and one bit off, the same low word with other high words (32-bit
    truncation), and any 64-bit value. Architectures: ``arch`` only when given; otherwise the
    profile's (this machine's when it lists none) and now and then one it does not list.
    """
    if profile is not None and not isinstance(profile, Profile):
        raise InvalidArgument(f"profile={profile!r} must be a seccomp_kit Profile")
    rules = profile.syscalls if profile is not None else ()
    names = frozenset(n for r in rules for n in r.names)
    arg_sources = _arg_sources(rules)
    if arch is not None:
        try:
            return _event((parse_arch(arch),), (), names, arg_sources)
        except InputError as exc:
            raise InvalidArgument(f"arch: {exc.message}") from None
    listed: list[Arch] = []
    if profile is not None:
        for a in profile.all_architectures():
            try:
                listed.append(parse_arch(a))
            except InputError:
                continue  # an unknown name in a hand-written profile: nothing to draw for it
    arches = tuple(dict.fromkeys(listed)) or (native_arch(),)
    others = tuple(a for a in Arch if a not in arches)
    return _event(arches, others, names, arg_sources)
