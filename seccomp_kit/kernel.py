"""Stable import path ``seccomp_kit.kernel``: the code lives in
:mod:`seccomp_kit.testing.kernel`.
"""

from __future__ import annotations

from seccomp_kit.testing.kernel import (
    BYPASS_SECCOMP,
    Event,
    HarnessError,
    RealOutcome,
    Rewrite,
    observe,
    observe_real,
    rewrite,
    run_events,
)

__all__ = [
    "RealOutcome",
    "BYPASS_SECCOMP",
    "Event",
    "HarnessError",
    "Rewrite",
    "observe",
    "observe_real",
    "rewrite",
    "run_events",
]
