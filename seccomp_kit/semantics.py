"""Stable import path ``seccomp_kit.semantics``: the code lives in
:mod:`seccomp_kit.validation.semantics`.
"""

from __future__ import annotations

from seccomp_kit.validation.semantics import (
    CODES,
    RUNTIMES,
    Runtime,
    parse_kernel,
    semantic_checks,
)

__all__ = [
    "CODES",
    "RUNTIMES",
    "Runtime",
    "parse_kernel",
    "semantic_checks",
]
