"""Stable import path ``seccomp_kit.compile``: the code lives in
:mod:`seccomp_kit.libseccomp.compile`.
"""

from __future__ import annotations

from seccomp_kit.libseccomp.compile import (
    FILTER_FLAG_LOG,
    FILTER_FLAG_NEW_LISTENER,
    FILTER_FLAG_SPEC_ALLOW,
    FILTER_FLAG_TSYNC,
    FILTER_FLAG_WAIT_KILLABLE_RECV,
    KILL_THREAD,
    CompiledFilter,
    compile_profile,
    compile_translation,
    enosys_stub,
    missing_rules,
)

__all__ = [
    "FILTER_FLAG_LOG",
    "FILTER_FLAG_NEW_LISTENER",
    "FILTER_FLAG_SPEC_ALLOW",
    "FILTER_FLAG_TSYNC",
    "FILTER_FLAG_WAIT_KILLABLE_RECV",
    "KILL_THREAD",
    "CompiledFilter",
    "compile_profile",
    "compile_translation",
    "enosys_stub",
    "missing_rules",
]
