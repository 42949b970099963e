"""Stable import path ``seccomp_kit.resolving``: the code lives in
:mod:`seccomp_kit.algebra.resolving`.
"""

from __future__ import annotations

from seccomp_kit.algebra.resolving import (
    Engine,
    parse_kernel,
    resolve,
)

__all__ = [
    "Engine",
    "parse_kernel",
    "resolve",
]
