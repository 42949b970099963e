"""The JSON Schemas, ready profiles and engine defaults shipped with seccomp_kit.

In a wheel they live inside the package (``seccomp_kit/schemas``, ``seccomp_kit/profiles``,
``seccomp_kit/engines``); in a source checkout or editable install they are the top-level
``schemas/``, ``profiles/`` and ``engines/``.
Both are read through :mod:`importlib.resources` traversables.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

__all__ = ["engines_dir", "profile_names", "profiles_dir", "read_profile_text", "schemas_dir"]


def _dir(name: str) -> Traversable:
    packaged = resources.files("seccomp_kit").joinpath(name)
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"seccomp_kit data folder {name!r} is missing from this install")


def schemas_dir() -> Traversable:
    return _dir("schemas")


def profiles_dir() -> Traversable:
    return _dir("profiles")


def engines_dir() -> Traversable:
    """Container engines' default profiles and capability sets (``<engine>-<version>.json``)."""
    return _dir("engines")


def profile_names() -> list[str]:
    """Names of the shipped profiles (file names without ``.json``)."""
    return sorted(
        p.name.removesuffix(".json") for p in profiles_dir().iterdir() if p.name.endswith(".json")
    )


def read_profile_text(name: str) -> str:
    """The JSON text of a shipped profile by name."""
    if name not in profile_names():
        raise KeyError(f"no shipped profile named {name!r}; have: {', '.join(profile_names())}")
    return profiles_dir().joinpath(f"{name}.json").read_text(encoding="utf-8")
