"""The matcher: what a profile does to a syscall, exactly as the loaded filter would.

Owns: :class:`Matcher` and :class:`Verdict` (one question, with the deciding rule), the exact
replay of libseccomp's generated argument code (:mod:`._exact`) and bulk matching with numpy
(:mod:`._bulk`). Everything about how libseccomp builds its rule tree lives in
:mod:`seccomp_kit.libseccomp`; this package walks it. May import: ``model``, ``errors``,
``syscalls``, ``io``, ``bpf``, ``libseccomp``.
"""

from __future__ import annotations

from seccomp_kit.match._scalar import (
    BAD_ARCH_ACTION,
    DecidedBy,
    LibseccompLoopError,
    Matcher,
    Verdict,
    action_of,
    build_groups,
    check_finishes,
    kernel_audit,
)

__all__ = [
    "BAD_ARCH_ACTION",
    "DecidedBy",
    "LibseccompLoopError",
    "Matcher",
    "Verdict",
    "action_of",
    "build_groups",
    "check_finishes",
    "kernel_audit",
]
