"""The profile model: frozen attrs classes for the OCI seccomp object and its dialects.

The classes hold every field of the OCI ``linux.seccomp`` object, of moby's profile format
(``archMap``, ``includes``/``excludes``, ``comment``, the legacy singular ``name``) and of
containers/common's (``defaultErrno``/``errno`` as errno names). Enum values are the spec's own
literals so ``Action("SCMP_ACT_ALLOW")`` works. Serialization lives in :mod:`seccomp_kit.io`.

Values the spec constrains but the model can still hold (an errno on ALLOW, an argument index of
9) are kept as they are: the model must be able to represent every profile found in the wild, so
that :func:`seccomp_kit.validate` can say what is wrong with it. Only type errors (a string where
an integer belongs) and out-of-range integers are refused at construction.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

import attrs

__all__ = [
    "Action",
    "Arch",
    "ArchMapEntry",
    "ArgCondition",
    "CapFilter",
    "Dialect",
    "Flag",
    "Operator",
    "Profile",
    "SourceText",
    "SyscallRule",
    "UINT32_MAX",
    "UINT64_MAX",
]

UINT32_MAX = 0xFFFF_FFFF
UINT64_MAX = 0xFFFF_FFFF_FFFF_FFFF


class Action(enum.StrEnum):
    """Seccomp actions as the OCI runtime spec spells them."""

    KILL = "SCMP_ACT_KILL"
    KILL_PROCESS = "SCMP_ACT_KILL_PROCESS"
    KILL_THREAD = "SCMP_ACT_KILL_THREAD"
    TRAP = "SCMP_ACT_TRAP"
    ERRNO = "SCMP_ACT_ERRNO"
    TRACE = "SCMP_ACT_TRACE"
    ALLOW = "SCMP_ACT_ALLOW"
    LOG = "SCMP_ACT_LOG"
    NOTIFY = "SCMP_ACT_NOTIFY"

    @property
    def takes_errno(self) -> bool:
        """Whether runtimes pass ``errnoRet`` to this action (ERRNO's errno, TRACE's data)."""
        return self in (Action.ERRNO, Action.TRACE)

    @property
    def kernel_base(self) -> int:
        """The ``SECCOMP_RET_*`` value with empty data bits."""
        return _KERNEL_BASE[self]

    @classmethod
    def from_kernel(cls, ret: int) -> Action | None:
        """The action of a 32-bit filter return value (``SECCOMP_RET_ACTION_FULL``), or None
        for a value no action has; 0 is reported as KILL_THREAD (libseccomp's KILL too)."""
        return _BY_KERNEL_BASE.get(ret & 0xFFFF_0000)


_KERNEL_BASE = {
    Action.KILL: 0x0000_0000,  # SECCOMP_RET_KILL_THREAD; libseccomp's SCMP_ACT_KILL
    Action.KILL_THREAD: 0x0000_0000,
    Action.KILL_PROCESS: 0x8000_0000,
    Action.TRAP: 0x0003_0000,
    Action.ERRNO: 0x0005_0000,
    Action.NOTIFY: 0x7FC0_0000,
    Action.TRACE: 0x7FF0_0000,
    Action.LOG: 0x7FFC_0000,
    Action.ALLOW: 0x7FFF_0000,
}


_BY_KERNEL_BASE = {
    base: action for action, base in _KERNEL_BASE.items() if action is not Action.KILL
}


class Arch(enum.StrEnum):
    """The 23 architectures of the OCI runtime spec."""

    X86 = "SCMP_ARCH_X86"
    X86_64 = "SCMP_ARCH_X86_64"
    X32 = "SCMP_ARCH_X32"
    ARM = "SCMP_ARCH_ARM"
    AARCH64 = "SCMP_ARCH_AARCH64"
    LOONGARCH64 = "SCMP_ARCH_LOONGARCH64"
    M68K = "SCMP_ARCH_M68K"
    MIPS = "SCMP_ARCH_MIPS"
    MIPS64 = "SCMP_ARCH_MIPS64"
    MIPS64N32 = "SCMP_ARCH_MIPS64N32"
    MIPSEL = "SCMP_ARCH_MIPSEL"
    MIPSEL64 = "SCMP_ARCH_MIPSEL64"
    MIPSEL64N32 = "SCMP_ARCH_MIPSEL64N32"
    PPC = "SCMP_ARCH_PPC"
    PPC64 = "SCMP_ARCH_PPC64"
    PPC64LE = "SCMP_ARCH_PPC64LE"
    S390 = "SCMP_ARCH_S390"
    S390X = "SCMP_ARCH_S390X"
    SH = "SCMP_ARCH_SH"
    SHEB = "SCMP_ARCH_SHEB"
    PARISC = "SCMP_ARCH_PARISC"
    PARISC64 = "SCMP_ARCH_PARISC64"
    RISCV64 = "SCMP_ARCH_RISCV64"


class Operator(enum.StrEnum):
    """Argument comparison operators."""

    NE = "SCMP_CMP_NE"
    LT = "SCMP_CMP_LT"
    LE = "SCMP_CMP_LE"
    EQ = "SCMP_CMP_EQ"
    GE = "SCMP_CMP_GE"
    GT = "SCMP_CMP_GT"
    MASKED_EQ = "SCMP_CMP_MASKED_EQ"


class Flag(enum.StrEnum):
    """Flags passed to seccomp(SECCOMP_SET_MODE_FILTER)."""

    TSYNC = "SECCOMP_FILTER_FLAG_TSYNC"
    LOG = "SECCOMP_FILTER_FLAG_LOG"
    SPEC_ALLOW = "SECCOMP_FILTER_FLAG_SPEC_ALLOW"
    WAIT_KILLABLE_RECV = "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"


class Dialect(enum.StrEnum):
    """The JSON dialect a profile was written in (and is written back in unless converted).

    ``CONTAINERS`` is containers/common's format: moby's plus errno names.
    """

    OCI = "oci"
    MOBY = "moby"
    CONTAINERS = "containers"


def _uint(bits: int) -> Any:
    limit = (1 << bits) - 1

    def check(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{attribute.name} must be an integer, not {type(value).__name__}")
        if not 0 <= value <= limit:
            raise ValueError(f"{attribute.name} {value} is outside 0..{limit}")

    return check


def _opt_uint(bits: int) -> Any:
    return attrs.validators.optional(_uint(bits))


def _str_tuple(value: Iterable[str] | None) -> tuple[str, ...]:
    return () if value is None else tuple(value)


def _args(value: Iterable[ArgCondition]) -> tuple[ArgCondition, ...]:
    return tuple(value)


def _rules(value: Iterable[SyscallRule]) -> tuple[SyscallRule, ...]:
    return tuple(value)


def _arch_map(value: Iterable[ArchMapEntry]) -> tuple[ArchMapEntry, ...]:
    return tuple(value)


def _extras(value: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in value)


def _coerce(enum_type: type[enum.StrEnum], value: object) -> object:
    """Known literals become the enum; unknown strings stay so validation can name them."""
    if isinstance(value, str) and not isinstance(value, enum_type):
        try:
            return enum_type(value)
        except ValueError:
            return value
    return value


def _action(value: Action | str) -> Action | str:
    return _coerce(Action, value)  # type: ignore[return-value]


def _operator(value: Operator | str) -> Operator | str:
    return _coerce(Operator, value)  # type: ignore[return-value]


def _arch(value: Arch | str) -> Arch | str:
    return _coerce(Arch, value)  # type: ignore[return-value]


def _archs(value: Iterable[Arch | str] | None) -> tuple[Arch | str, ...]:
    return () if value is None else tuple(_arch(v) for v in value)


def _flags(value: Iterable[Flag | str] | None) -> tuple[Flag | str, ...]:
    return () if value is None else tuple(_coerce(Flag, v) for v in value)  # type: ignore[misc]


def _is_str(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{attribute.name} must be a string, not {type(value).__name__}")


def _each_str(inst: object, attribute: attrs.Attribute[Any], value: tuple[object, ...]) -> None:
    for item in value:
        if not isinstance(item, str):
            raise TypeError(f"{attribute.name} items must be strings, not {type(item).__name__}")


@attrs.frozen
class ArgCondition:
    """One ``args[]`` entry: compare argument ``index`` with ``value`` (and ``value_two``)."""

    index: int = attrs.field(validator=_uint(32))
    value: int = attrs.field(validator=_uint(64))
    op: Operator | str = attrs.field(converter=_operator, validator=_is_str)
    value_two: int | None = attrs.field(default=None, validator=_opt_uint(64))

    @property
    def effective_value_two(self) -> int:
        """``valueTwo`` as runtimes read it (absent means 0)."""
        return 0 if self.value_two is None else self.value_two


@attrs.frozen
class CapFilter:
    """moby's ``includes``/``excludes`` object."""

    caps: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple, validator=_each_str)
    arches: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple, validator=_each_str)
    min_kernel: str | None = attrs.field(default=None, validator=attrs.validators.optional(_is_str))

    def __bool__(self) -> bool:
        return bool(self.caps or self.arches or self.min_kernel is not None)


@attrs.frozen
class SyscallRule:
    """One ``syscalls[]`` entry.

    ``errno_ret`` is the numeric ``errnoRet``; ``errno_name`` is containers/common's ``errno``
    (an errno name such as ``"ENOSYS"``), which overrides the number where both are set.
    """

    names: tuple[str, ...] = attrs.field(converter=_str_tuple, validator=_each_str)
    action: Action | str = attrs.field(converter=_action, validator=_is_str)
    errno_ret: int | None = attrs.field(default=None, validator=_opt_uint(32))
    args: tuple[ArgCondition, ...] = attrs.field(default=(), converter=_args)
    errno_name: str | None = attrs.field(default=None, validator=attrs.validators.optional(_is_str))
    comment: str | None = attrs.field(default=None, validator=attrs.validators.optional(_is_str))
    includes: CapFilter = attrs.field(factory=CapFilter)
    excludes: CapFilter = attrs.field(factory=CapFilter)
    legacy_name: bool = False
    """The rule was written with moby's singular ``name``; it is written back that way."""
    extras: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_extras)
    """Unknown keys, kept verbatim as (key, compact JSON text) so nothing is lost."""


@attrs.frozen
class ArchMapEntry:
    """moby's ``archMap[]`` entry: an architecture and the ones it implies."""

    architecture: Arch | str = attrs.field(converter=_arch, validator=_is_str)
    sub_architectures: tuple[Arch | str, ...] = attrs.field(default=(), converter=_archs)


@attrs.frozen
class SourceText:
    """Where a profile was read from, for diagnostics with line and column."""

    name: str
    text: str


@attrs.frozen
class Profile:
    """A whole seccomp profile.

    ``source`` is not part of equality: two profiles that say the same are equal wherever they
    were read from.
    """

    default_action: Action | str = attrs.field(converter=_action, validator=_is_str)
    default_errno_ret: int | None = attrs.field(default=None, validator=_opt_uint(32))
    default_errno_name: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(_is_str)
    )
    architectures: tuple[Arch | str, ...] = attrs.field(default=(), converter=_archs)
    arch_map: tuple[ArchMapEntry, ...] = attrs.field(default=(), converter=_arch_map)
    flags: tuple[Flag | str, ...] = attrs.field(default=(), converter=_flags)
    listener_path: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(_is_str)
    )
    listener_metadata: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(_is_str)
    )
    syscalls: tuple[SyscallRule, ...] = attrs.field(default=(), converter=_rules)
    dialect: Dialect = attrs.field(default=Dialect.OCI, converter=Dialect)
    extras: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_extras)
    """Unknown top-level keys, kept verbatim as (key, compact JSON text)."""
    source: SourceText | None = attrs.field(default=None, eq=False, repr=False)

    def all_architectures(self) -> tuple[Arch | str, ...]:
        """``architectures`` plus every ``archMap`` entry and sub-architecture, in order, once."""
        seen: dict[Arch | str, None] = dict.fromkeys(self.architectures)
        for entry in self.arch_map:
            seen.setdefault(entry.architecture)
            for sub in entry.sub_architectures:
                seen.setdefault(sub)
        return tuple(seen)
