"""Stable import path ``seccomp_kit.capabilities``: the code lives in
:mod:`seccomp_kit.syscalls.capabilities`.
"""

from __future__ import annotations

from seccomp_kit.syscalls.capabilities import (
    CAPABILITIES,
    parse_capabilities,
    parse_capability,
)

__all__ = [
    "CAPABILITIES",
    "parse_capabilities",
    "parse_capability",
]
