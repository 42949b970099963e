"""Stable import path ``seccomp_kit.resources``: the code lives in
:mod:`seccomp_kit.io.resources`.
"""

from __future__ import annotations

from seccomp_kit.io.resources import (
    profile_names,
    profiles_dir,
    read_profile_text,
    schemas_dir,
)

__all__ = [
    "profile_names",
    "profiles_dir",
    "read_profile_text",
    "schemas_dir",
]
