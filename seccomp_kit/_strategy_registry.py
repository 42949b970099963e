"""Registers seccomp_kit's strategies for its model types (filled in by the strategies module)."""

from __future__ import annotations

__all__ = ["register"]


def register() -> None:
    """Register strategies for the model classes with Hypothesis (no-op until strategies exist)."""
