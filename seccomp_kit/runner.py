"""Stable import path ``seccomp_kit.runner``: the code lives in
:mod:`seccomp_kit.record.runner`.
"""

from __future__ import annotations

from seccomp_kit.record.runner import (
    Blocked,
    CallOutcome,
    RunReport,
    for_this_host,
    run,
    run_callable,
)

__all__ = [
    "for_this_host",
    "CallOutcome",
    "Blocked",
    "RunReport",
    "run",
    "run_callable",
]
