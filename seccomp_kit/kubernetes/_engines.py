"""Container engines' own defaults, per version: the seccomp profile behind ``RuntimeDefault``,
the capabilities a container gets when its manifest says nothing, and the runtime it runs.

The data lives in ``engines/<engine>-<version>.json`` (shipped in the wheel as
``seccomp_kit/engines``), each file naming its source: Debian packages, the shared corpus, or
observation of the real engine (``tools/gen_engine_defaults.py``).
"""

from __future__ import annotations

import difflib
import json
import re
from functools import cache

import attrs

from seccomp_kit.errors import InputError
from seccomp_kit.io import from_data
from seccomp_kit.io.resources import engines_dir
from seccomp_kit.model import Arch, Profile
from seccomp_kit.syscalls.arches import parse_arch
from seccomp_kit.syscalls.capabilities import parse_capabilities

__all__ = ["ENGINES", "EngineDefaults", "engine_defaults", "modelled_engines"]

ENGINES = ("containerd", "cri-o", "docker", "podman")
"""The engines a node can run, as ``--engine`` names them."""

_ALIASES = {"crio": "cri-o", "moby": "docker", "dockerd": "docker"}


@attrs.frozen
class EngineDefaults:
    """One engine version's defaults."""

    engine: str
    version: str
    runtime: str
    """The OCI runtime it runs, ``name`` or ``name@version`` (``runc@1.1.5``)."""
    dialect: str
    """How it resolves its profile for a container: ``moby`` or ``containers``."""
    arches: tuple[Arch, ...] | None
    """The host architectures the data covers (None: every one the profile names)."""
    capabilities: tuple[str, ...]
    profile: Profile
    source: str
    refuses: tuple[str, ...] = ()
    """Capabilities the engine does not know and refuses to grant (Docker 20.10: CAP_PERFMON,
    CAP_BPF, CAP_CHECKPOINT_RESTORE)."""

    @property
    def label(self) -> str:
        return f"{self.engine}@{self.version}"

    @property
    def runtime_name(self) -> str:
        """``runc`` or ``crun``."""
        return self.runtime.split("@", 1)[0]


def _version_key(version: str) -> tuple[int, tuple[int, ...]]:
    if version == "latest":
        return (1, ())
    return (0, tuple(int(p) for p in re.findall(r"\d+", version)))


@cache
def _all() -> tuple[EngineDefaults, ...]:
    found: list[EngineDefaults] = []
    for entry in engines_dir().iterdir():
        if not entry.name.endswith(".json"):
            continue
        data = json.loads(entry.read_text(encoding="utf-8"))
        arches = data.get("arches")
        found.append(
            EngineDefaults(
                engine=data["engine"],
                version=data["version"],
                runtime=data["runtime"],
                dialect=data["dialect"],
                arches=None if arches is None else tuple(parse_arch(a) for a in arches),
                capabilities=parse_capabilities(data["capabilities"]),
                profile=from_data(data["profile"]),
                source=data["source"],
                refuses=parse_capabilities(data.get("refuses", ())),
            )
        )
    return tuple(sorted(found, key=lambda e: (e.engine, _version_key(e.version))))


def modelled_engines() -> tuple[str, ...]:
    """Every ``engine@version`` we ship defaults for."""
    return tuple(e.label for e in _all())


def engine_defaults(spec: str) -> EngineDefaults:
    """``"containerd"``, ``"docker@20.10.24"``, ``"podman@latest"`` -> that engine's defaults.

    Without a version, the newest one modelled. An unknown engine or version raises
    :class:`InputError` naming those we model.
    """
    name, _, version = spec.strip().partition("@")
    name = _ALIASES.get(name.lower(), name.lower())
    if name not in ENGINES:
        close = difflib.get_close_matches(name, ENGINES, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise InputError(
            f"unknown container engine {spec!r}{hint} (modelled: {', '.join(modelled_engines())})"
        )
    versions = [e for e in _all() if e.engine == name]
    if not version:
        return versions[-1]
    for candidate in versions:
        if candidate.version == version or (
            version != "latest"
            and candidate.version != "latest"
            and _version_key(candidate.version) == _version_key(version)
        ):
            return candidate
    raise InputError(
        f"{name} {version} is not modelled; modelled {name} versions:"
        f" {', '.join(e.version for e in versions)} (all: {', '.join(modelled_engines())})"
    )
