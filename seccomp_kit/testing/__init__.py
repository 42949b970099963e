"""Testing aids for other projects and ours: a pytest helper, strategies, the kernel harness.

Owns: :func:`assert_runs_under` and :func:`run_under_profile` (run code under a profile in a
forked child, fail on what it denies), the Hypothesis strategies (:mod:`.strategies`) and the
plugin that registers them (:mod:`._plugin`, loaded by Hypothesis' entry point without numpy,
jsonschema or libseccomp), and the kernel harness (:mod:`.kernel`). May import everything but
``cli``. Importing this package stays cheap: the helpers load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["SeccompViolation", "assert_runs_under", "run_under_profile"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'seccomp_kit.testing' has no attribute {name!r}")
    value = getattr(importlib.import_module("seccomp_kit.testing._assert"), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from seccomp_kit.testing._assert import SeccompViolation, assert_runs_under, run_under_profile
