"""Registers seccomp_kit's strategies for its model types with ``st.from_type``.

Called by the Hypothesis entry point when Hypothesis is imported, so it must stay cheap and must
not import :mod:`seccomp_kit.testing.strategies` (which imports Hypothesis and the syscall
tables): each
type gets a function that imports the strategies on the first ``from_type`` that needs them.
The enums need nothing: Hypothesis draws their members by itself.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["register"]

# model class name -> strategies function that draws it (called without arguments).
_STRATEGIES = {
    "Profile": "profiles",
    "SyscallRule": "syscall_rules",
    "ArgCondition": "arg_conditions",
    "CapFilter": "cap_filters",
    "ArchMapEntry": "arch_map_entries",
}


def _lazy(function: str) -> Any:
    def resolve(_type: type) -> Any:
        strategies = importlib.import_module("seccomp_kit.testing.strategies")
        return getattr(strategies, function)()

    return resolve


def register() -> None:
    """Register a strategy for each model class (idempotent)."""
    import hypothesis.strategies as st

    from seccomp_kit import model

    for cls_name, function in _STRATEGIES.items():
        st.register_type_strategy(getattr(model, cls_name), _lazy(function))
