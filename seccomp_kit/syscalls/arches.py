"""Facts about each OCI architecture: audit code, word size, syscall table and base, names.

``native`` is the name libseccomp and moby's ``includes.arches``/``excludes.arches`` use
(``amd64``, ``arm64``, ``x86``...). ``audit`` is the ``AUDIT_ARCH_*`` value the kernel hands the
filter in ``seccomp_data.arch`` and prints as ``arch=`` in SCMP_ACT_LOG records. ``nr_base`` is
added to libseccomp's raw table number to get the number the kernel sees (x32's
``__X32_SYSCALL_BIT``, the MIPS ABIs' 4000/5000/6000).
"""

from __future__ import annotations

import difflib

import attrs

from seccomp_kit.errors import InputError
from seccomp_kit.model import Arch

__all__ = [
    "ArchInfo",
    "RUNC_UNSUPPORTED",
    "X32_SYSCALL_BIT",
    "arch_info",
    "by_audit",
    "by_native",
    "native_arch",
    "parse_arch",
]

X32_SYSCALL_BIT = 0x4000_0000

_LE = 0x4000_0000  # __AUDIT_ARCH_LE
_64 = 0x8000_0000  # __AUDIT_ARCH_64BIT
_MIPS_N32 = 0x2000_0000  # __AUDIT_ARCH_CONVENTION_MIPS64_N32


@attrs.frozen
class ArchInfo:
    arch: Arch
    native: str
    table: str
    audit: int
    bits: int
    little_endian: bool
    nr_base: int = 0

    @property
    def is_32bit(self) -> bool:
        """libseccomp compares only the low 32 bits of arguments on these."""
        return self.bits == 32


_INFOS = (
    ArchInfo(Arch.X86, "x86", "x86", 3 | _LE, 32, True),
    ArchInfo(Arch.X86_64, "amd64", "x86_64", 62 | _64 | _LE, 64, True),
    # x32 shares AUDIT_ARCH_X86_64 in the kernel; libseccomp tells it apart by the syscall bit
    # and uses 0x4000003e as its own token. Arguments are 32-bit in libseccomp's model.
    ArchInfo(Arch.X32, "x32", "x32", 62 | _LE, 32, True, X32_SYSCALL_BIT),
    ArchInfo(Arch.ARM, "arm", "arm", 40 | _LE, 32, True),
    ArchInfo(Arch.AARCH64, "arm64", "aarch64", 183 | _64 | _LE, 64, True),
    ArchInfo(Arch.LOONGARCH64, "loong64", "loongarch64", 258 | _64 | _LE, 64, True),
    ArchInfo(Arch.M68K, "m68k", "m68k", 4, 32, False),
    ArchInfo(Arch.MIPS, "mips", "mips", 8, 32, False, 4000),
    ArchInfo(Arch.MIPSEL, "mipsle", "mips", 8 | _LE, 32, True, 4000),
    ArchInfo(Arch.MIPS64, "mips64", "mips64", 8 | _64, 64, False, 5000),
    ArchInfo(Arch.MIPSEL64, "mips64le", "mips64", 8 | _64 | _LE, 64, True, 5000),
    ArchInfo(Arch.MIPS64N32, "mips64n32", "mips64n32", 8 | _64 | _MIPS_N32, 32, False, 6000),
    ArchInfo(
        Arch.MIPSEL64N32, "mips64len32", "mips64n32", 8 | _64 | _LE | _MIPS_N32, 32, True, 6000
    ),
    ArchInfo(Arch.PPC, "ppc", "ppc", 20, 32, False),
    ArchInfo(Arch.PPC64, "ppc64", "ppc64", 21 | _64, 64, False),
    ArchInfo(Arch.PPC64LE, "ppc64le", "ppc64", 21 | _64 | _LE, 64, True),
    ArchInfo(Arch.S390, "s390", "s390", 22, 32, False),
    ArchInfo(Arch.S390X, "s390x", "s390x", 22 | _64, 64, False),
    # libseccomp's SCMP_ARCH_SH is little-endian SuperH, SHEB the big-endian one.
    ArchInfo(Arch.SH, "sh", "sh", 42 | _LE, 32, True),
    ArchInfo(Arch.SHEB, "sheb", "sh", 42, 32, False),
    ArchInfo(Arch.PARISC, "parisc", "parisc", 15, 32, False),
    ArchInfo(Arch.PARISC64, "parisc64", "parisc64", 15 | _64, 64, False),
    ArchInfo(Arch.RISCV64, "riscv64", "riscv64", 243 | _64 | _LE, 64, True),
)

_BY_ARCH = {i.arch: i for i in _INFOS}
_BY_NATIVE = {i.native: i for i in _INFOS}
# Aliases people write for native names (Go's GOARCH spellings, uname -m, libseccomp-golang's
# historical misspellings) resolve too; the canonical native name stays the one above.
_NATIVE_ALIASES = {
    "386": Arch.X86, "i386": Arch.X86, "i686": Arch.X86, "x86_64": Arch.X86_64,
    "aarch64": Arch.AARCH64, "loongarch64": Arch.LOONGARCH64, "mipsel": Arch.MIPSEL,
    "mipsel64": Arch.MIPSEL64, "mipsel64n32": Arch.MIPSEL64N32, "mips3l64n32": Arch.MIPSEL64N32,
    "mips64le": Arch.MIPSEL64,
}  # fmt: skip
# Audit codes are unique except x32, which the kernel reports as x86_64.
_BY_AUDIT = {i.audit: i for i in _INFOS if i.arch is not Arch.X32}

# runc's architecture list (libcontainer/seccomp/config.go) has never had these, up to 1.3.
RUNC_UNSUPPORTED = frozenset(
    {Arch.PARISC, Arch.PARISC64, Arch.M68K, Arch.SH, Arch.SHEB, Arch.LOONGARCH64}
)
"""Architectures runc's libseccomp bindings refuse (DESIGN.md §3)."""


def arch_info(arch: Arch | str) -> ArchInfo:
    """Facts for an architecture given as ``SCMP_ARCH_*`` or a native name."""
    return _BY_ARCH[parse_arch(arch)]


def by_native(name: str) -> ArchInfo | None:
    info = _BY_NATIVE.get(name)
    if info is None and name in _NATIVE_ALIASES:
        info = _BY_ARCH[_NATIVE_ALIASES[name]]
    return info


def by_audit(code: int) -> ArchInfo | None:
    """The architecture the kernel means by an ``AUDIT_ARCH_*`` value (x32 shows as x86_64)."""
    return _BY_AUDIT.get(code)


def parse_arch(value: Arch | str) -> Arch:
    """Accept ``SCMP_ARCH_X86_64``, ``x86_64``, ``amd64``, ``X86_64``; suggest on a typo."""
    if isinstance(value, Arch):
        return value
    try:
        return Arch(value)
    except ValueError:
        pass
    upper = value.upper()
    for candidate in (upper, "SCMP_ARCH_" + upper):
        try:
            return Arch(candidate)
        except ValueError:
            pass
    info = by_native(value) or by_native(value.lower())
    if info is not None:
        return info.arch
    known = [a.value for a in Arch] + list(_BY_NATIVE)
    close = difflib.get_close_matches(value, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise InputError(f"unknown architecture {value!r}{hint}")


def native_arch() -> Arch:
    """The architecture of this machine's kernel."""
    import os

    machine = os.uname().machine
    info = by_native(machine)
    if info is None:
        by_name = {"ppc64le": Arch.PPC64LE, "s390x": Arch.S390X, "riscv64": Arch.RISCV64}
        if machine in by_name:
            return by_name[machine]
        if machine.startswith("arm"):
            return Arch.ARM
        raise InputError(f"this machine's architecture {machine!r} is not one seccomp_kit knows")
    return info.arch
