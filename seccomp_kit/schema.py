"""Stable import path ``seccomp_kit.schema``: the code lives in
:mod:`seccomp_kit.validation.schema`.
"""

from __future__ import annotations

from seccomp_kit.validation.schema import (
    SCHEMA_FILES,
    schema_errors,
    schema_for,
    validator_for,
)

__all__ = [
    "SCHEMA_FILES",
    "schema_errors",
    "schema_for",
    "validator_for",
]
