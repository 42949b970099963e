"""Stable import path ``seccomp_kit.merging``: the code lives in
:mod:`seccomp_kit.algebra.merging`.
"""

from __future__ import annotations

from seccomp_kit.algebra.merging import (
    MAX_BASE_DEPTH,
    Strategy,
    extend,
    extend_chain,
    merge,
    normalize,
)

__all__ = [
    "MAX_BASE_DEPTH",
    "Strategy",
    "extend",
    "extend_chain",
    "merge",
    "normalize",
]
