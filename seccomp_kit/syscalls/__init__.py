"""Syscall name <-> number tables for every OCI architecture, with kernel versions.

Built from the generated ``_generated`` (libseccomp's syscalls.csv), not from the installed
libseccomp, which knows fewer syscalls. Numbers are the ones the kernel sees in
``seccomp_data.nr``: x32 numbers carry ``__X32_SYSCALL_BIT``, MIPS numbers their ABI base.
Lookups are dictionary lookups, O(1) both ways.

The package also owns the other per-architecture facts: :mod:`.arches` (names, audit codes,
word size, byte order), :mod:`.errnos` and :mod:`.capabilities`. May import: ``model``,
``errors``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from functools import cache

from seccomp_kit.errors import InputError
from seccomp_kit.model import Arch
from seccomp_kit.syscalls import _generated as _raw
from seccomp_kit.syscalls.arches import arch_info, parse_arch

__all__ = [
    "TABLE_VERSION",
    "SyscallTable",
    "all_names",
    "kernel_version",
    "suggest",
    "table",
]

TABLE_VERSION = _raw.TABLE_VERSION


class SyscallTable:
    """One architecture's table."""

    __slots__ = ("arch", "by_name", "by_number", "max_number")

    def __init__(self, arch: Arch) -> None:
        info = arch_info(arch)
        self.arch = arch
        self.by_name: Mapping[str, int] = {
            name: nr + info.nr_base for name, nr in _raw.NUMBERS[info.table].items()
        }
        self.by_number: Mapping[int, str] = {nr: name for name, nr in self.by_name.items()}
        self.max_number = max(self.by_number)

    def number(self, name: str) -> int | None:
        return self.by_name.get(name)

    def name(self, number: int) -> str | None:
        return self.by_number.get(number)

    def __contains__(self, name: object) -> bool:
        return name in self.by_name

    def __len__(self) -> int:
        return len(self.by_name)


@cache
def _table(arch: Arch) -> SyscallTable:
    return SyscallTable(arch)


def table(arch: Arch | str) -> SyscallTable:
    """The table for ``arch`` (``SCMP_ARCH_*`` or a native name such as ``amd64``)."""
    return _table(parse_arch(arch))


@cache
def all_names() -> frozenset[str]:
    """Every syscall name that exists on at least one architecture."""
    return frozenset(n for t in _raw.NUMBERS.values() for n in t)


def kernel_version(name: str, arch: Arch | str | None = None) -> tuple[int, int] | None:
    """The Linux release that added ``name`` (on ``arch`` where it differs), or None when it
    predates Linux 2.6.27 or is unknown."""
    versions = _raw.KERNEL_VERSIONS.get(name)
    if not versions:
        return None
    if arch is not None:
        tbl = arch_info(arch).table
        if tbl in versions:
            return versions[tbl]
    return versions.get("*")


def suggest(name: str, arch: Arch | str | None = None) -> str | None:
    """The closest known syscall name, for "did you mean" messages."""
    pool = table(arch).by_name if arch is not None else all_names()
    close = difflib.get_close_matches(name, list(pool), n=1, cutoff=0.75)
    return close[0] if close else None


def resolve(syscall: str | int, arch: Arch | str) -> int:
    """A syscall name or number to the number ``arch``'s kernel sees; raise on unknown names."""
    if isinstance(syscall, int):
        return syscall
    nr = table(arch).number(syscall)
    if nr is None:
        hint = suggest(syscall, arch)
        extra = f"; did you mean {hint!r}?" if hint else ""
        raise InputError(f"syscall {syscall!r} does not exist on {parse_arch(arch).value}{extra}")
    return nr


__all__ += ["resolve"]
