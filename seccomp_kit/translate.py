"""Stable import path ``seccomp_kit.translate``: the code lives in
:mod:`seccomp_kit.libseccomp.translate`.
"""

from __future__ import annotations

from seccomp_kit.libseccomp.translate import (
    ERRNO_ENOSYS,
    MAX_ARG_INDEX,
    RUNTIMES,
    RuleAdd,
    Skip,
    SkipReason,
    Translation,
    action_value,
    translate,
)

__all__ = [
    "ERRNO_ENOSYS",
    "MAX_ARG_INDEX",
    "RUNTIMES",
    "RuleAdd",
    "Skip",
    "SkipReason",
    "Translation",
    "action_value",
    "translate",
]
