"""Stable import path ``seccomp_kit.diffing``: the code lives in
:mod:`seccomp_kit.algebra.diffing`.
"""

from __future__ import annotations

from seccomp_kit.algebra.diffing import (
    ArgumentCase,
    Change,
    ProfileDiff,
    SyscallChange,
    boundary_arguments,
    diff,
)

__all__ = [
    "ArgumentCase",
    "Change",
    "ProfileDiff",
    "SyscallChange",
    "boundary_arguments",
    "diff",
]
