"""Stable import path ``seccomp_kit.arches``: the code lives in
:mod:`seccomp_kit.syscalls.arches`.
"""

from __future__ import annotations

from seccomp_kit.syscalls.arches import (
    RUNC_UNSUPPORTED,
    X32_SYSCALL_BIT,
    ArchInfo,
    arch_info,
    by_audit,
    by_native,
    native_arch,
    parse_arch,
)

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
