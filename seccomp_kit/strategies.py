"""Stable import path ``seccomp_kit.strategies``: the code lives in
:mod:`seccomp_kit.testing.strategies`.
"""

from __future__ import annotations

from seccomp_kit.testing.strategies import (
    DEFAULT_FLAGS,
    RUNTIMES,
    SyscallEvent,
    arch_map_entries,
    arg_conditions,
    audit_records,
    cap_filters,
    profiles,
    syscall_events,
    syscall_rules,
)

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
