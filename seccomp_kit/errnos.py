"""Stable import path ``seccomp_kit.errnos``: the code lives in
:mod:`seccomp_kit.syscalls.errnos`.
"""

from __future__ import annotations

from seccomp_kit.syscalls.errnos import (
    EPERM,
    errno_name,
    errno_number,
)

__all__ = [
    "EPERM",
    "errno_name",
    "errno_number",
]
