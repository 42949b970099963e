"""Targets: the runtime build and the libseccomp version an answer describes.

Every "what happens" question (validate, compile, match, diff, merge, normalize, resolve, run,
the recorder's baselines) depends on which runtime hands the profile to which libseccomp. A
:class:`Target` names both, and each answer says which target it follows. The behaviours that
differ between versions are fields of :class:`RuntimeModel` and :class:`LibseccompModel`; the
table in ``docs/targets.md`` lists them with their sources.

Spelling (``runtime=`` / ``--runtime``): ``runc``, ``crun`` (the newest version of each we
model), ``runc@1.1.5``, ``crun@1.8.1``, … (any version inside a modelled range), ``oci`` (the
specification's plain semantics as crun implements them: no ENOSYS stub, no binary tree) and
``host`` (the runtime found on this node, with the libseccomp it links). ``libseccomp=`` /
``--libseccomp``: ``installed`` (default: the library this process loads; for ``host``, the one
the runtime links), ``2.5.4``, ``2.6.0``, … A version outside every modelled range is an error
that lists the modelled ones.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import ModuleType

import attrs

from seccomp_kit.errors import InputError
from seccomp_kit.model import Arch
from seccomp_kit.syscalls.arches import RUNC_UNSUPPORTED

__all__ = [
    "LIBSECCOMP_MODELS",
    "RUNTIME_MODELS",
    "LibseccompModel",
    "RuntimeModel",
    "Target",
    "TargetError",
    "detect_host",
    "parse_version",
    "target",
]

Version = tuple[int, ...]


class TargetError(InputError):
    """An unknown or unmodelled runtime or libseccomp version, or a host without a runtime."""


@attrs.frozen
class RuntimeModel:
    """What one range of runtime versions does with a profile (see ``docs/targets.md``)."""

    name: str
    """``runc`` or ``crun``."""
    version: Version
    """The version this model was measured on (or read from, for versions Debian ships none of)."""
    since: Version
    """The first version that behaves like this."""
    until: Version
    """The first version that no longer does (exclusive)."""
    binary_tree: bool
    """Sets libseccomp's ``SCMP_FLTATR_CTL_OPTIMIZE=2`` for profiles of more than 32 names."""
    enosys_stub: bool
    """Prepends runc's stub that answers ENOSYS for numbers above the profile's highest."""
    stub_adds_native: bool
    """The stub covers the host's native architecture even when the profile does not list it."""
    flags: bool
    """Accepts the profile's ``flags`` (runc 1.1 refuses any)."""
    unsupported: frozenset[Arch] = frozenset()
    """Architectures it has no name for and refuses."""

    @property
    def label(self) -> str:
        return f"{self.name} {_text(self.version)}"

    def covers(self, version: Version) -> bool:
        # "1.2" means 1.2.0: as a tuple (1, 2) would sort below (1, 2, 0).
        padded = (*version, *(0,) * (3 - len(version)))
        return self.since <= padded < self.until


@attrs.frozen
class LibseccompModel:
    """What one libseccomp version resolves and generates."""

    version: Version
    names_module: str
    """The generated module with the names this version resolves per architecture."""
    pseudo_section_bug: bool
    """The code generator does not load the syscall number in an architecture section whose
    first syscall is a pseudo-syscall (a multiplexed call without a number of its own there),
    so the section compares the architecture value instead (measured in 2.5.4 and 2.6.0)."""
    api_level: int
    note: str = ""
    pseudo_aliases: tuple[tuple[str, str], ...] = ()
    """Names whose pseudo number (on an architecture without them) another name shares: a
    rule added by such a name on a host that lacks it is translated to the other architectures
    as the name libseccomp finds first for that number (measured)."""

    @property
    def label(self) -> str:
        return f"libseccomp {_text(self.version)}"

    def names(self) -> ModuleType:
        return _names(self.names_module)


@attrs.frozen
class Target:
    """A runtime build and the libseccomp it links: what an answer describes."""

    runtime: RuntimeModel | None
    """None for ``oci``: the specification's plain semantics, as crun implements them."""
    libseccomp: LibseccompModel
    libseccomp_installed: bool = False
    """Whether ``libseccomp`` was taken from the installed library (``installed``)."""
    runtime_path: str | None = None
    """For ``host``: the runtime binary that was found."""

    @property
    def runtime_name(self) -> str:
        """``runc``, ``crun`` or ``oci``: the translation rules that apply."""
        return "oci" if self.runtime is None else self.runtime.name

    @property
    def label(self) -> str:
        runtime = "the OCI specification (as crun)" if self.runtime is None else self.runtime.label
        return f"{runtime} + {self.libseccomp.label}"

    def __str__(self) -> str:
        return self.label


# runc: 1.1.0 to 1.1.14 measured as Debian 12's 1.1.5; 1.1.15 and later 1.1 releases measured
# as Debian 13's 1.1.15; 1.2 and 1.3 from runc's changelog and libcontainer/seccomp (no Debian
# release ships them).
_RUNC_NO = RUNC_UNSUPPORTED
RUNTIME_MODELS: tuple[RuntimeModel, ...] = (
    RuntimeModel(
        "runc",
        (1, 1, 5),
        (1, 1, 0),
        (1, 1, 8),
        False,
        True,
        False,
        False,
        _RUNC_NO | {Arch.RISCV64},
    ),
    # riscv64 joined runc's architecture list in 1.1.8; everything else as in 1.1.5.
    RuntimeModel("runc", (1, 1, 8), (1, 1, 8), (1, 1, 15), False, True, False, False, _RUNC_NO),
    RuntimeModel("runc", (1, 1, 15), (1, 1, 15), (1, 2, 0), False, True, True, False, _RUNC_NO),
    RuntimeModel("runc", (1, 2, 0), (1, 2, 0), (1, 4, 0), True, True, True, True, _RUNC_NO),
    RuntimeModel("crun", (1, 8, 1), (1, 8, 0), (1, 9, 0), False, False, False, True),
    RuntimeModel("crun", (1, 21), (1, 9, 0), (1, 26, 0), False, False, False, True),
)

LIBSECCOMP_MODELS: tuple[LibseccompModel, ...] = (
    LibseccompModel(
        (2, 5, 4),
        "seccomp_kit.libseccomp._names_2_5_4",
        pseudo_section_bug=True,
        api_level=6,
        note="as Debian 12 builds it: its name table is upstream 2.5.5's",
        pseudo_aliases=(("sys_debug_setcontext", "switch_endian"),),
    ),
    LibseccompModel(
        (2, 6, 0),
        "seccomp_kit.libseccomp._names_2_6_0",
        pseudo_section_bug=True,
        api_level=7,
        pseudo_aliases=(("switch_endian", "sys_debug_setcontext"),),
    ),
)
# Versions that resolve and generate exactly like a modelled one.
_LIBSECCOMP_ALIASES: Mapping[Version, Version] = {
    (2, 5): (2, 5, 4),
    (2, 5, 5): (2, 5, 4),
    (2, 6): (2, 6, 0),
}

_VERSION = re.compile(r"\d{1,4}(?:\.\d{1,4}){0,3}")


def _text(version: Version) -> str:
    return ".".join(map(str, version))


def parse_version(text: str, what: str) -> Version:
    """``"1.1.15"`` -> ``(1, 1, 15)``; a clear error for anything else (bounded length)."""
    core = text.strip()
    # Debian and distributions append build suffixes: 1.1.5+ds1, 2.5.4-1+deb12u1.
    match = _VERSION.match(core)
    if match is None or (match.end() < len(core) and core[match.end()] not in "+-~"):
        raise TargetError(f"{what}: {text[:40]!r} is not a version (expected e.g. 1.1.15)")
    return tuple(int(p) for p in match.group().split("."))


def _modelled_runtimes() -> str:
    return ", ".join(
        f"{m.name} >={_text(m.since)},<{_text(m.until)} (as {_text(m.version)})"
        for m in RUNTIME_MODELS
    )


def _modelled_libseccomp() -> str:
    return ", ".join(_text(m.version) for m in LIBSECCOMP_MODELS) + ", installed"


def _runtime_model(name: str, version: Version | None) -> RuntimeModel:
    models = [m for m in RUNTIME_MODELS if m.name == name]
    if version is None:
        return models[-1]
    for m in models:
        if m.covers(version):
            return m
    raise TargetError(
        f"{name} {_text(version)} is not a modelled version; modelled: {_modelled_runtimes()}"
    )


def _libseccomp_model(version: Version) -> LibseccompModel:
    version = _LIBSECCOMP_ALIASES.get(version, version)
    for m in LIBSECCOMP_MODELS:
        if m.version == version:
            return m
    raise TargetError(
        f"libseccomp {_text(version)} is not a modelled version; modelled: {_modelled_libseccomp()}"
    )


@cache
def _names(module: str) -> ModuleType:
    import importlib

    return importlib.import_module(module)


def _installed_libseccomp() -> Version:
    from seccomp_kit.libseccomp import _ffi

    return _ffi.version()


def target(runtime: str | Target = "runc", libseccomp: str = "installed") -> Target:
    """The :class:`Target` that ``runtime`` and ``libseccomp`` name (see the module docs).

    Raises :class:`TargetError` for an unknown runtime, an unmodelled version, or (for
    ``host``) a node without runc or crun. ``installed`` needs the libseccomp library only to
    read its version; without it, the newest modelled version is assumed (compiling, which needs
    the library itself, then fails naming the cause).
    """
    if isinstance(runtime, Target):
        return runtime
    if not isinstance(runtime, str) or not isinstance(libseccomp, str):
        raise TargetError("runtime and libseccomp are strings, e.g. 'runc@1.1.5' and '2.5.4'")
    spec = runtime.strip()
    if spec == "host":
        return detect_host(libseccomp)
    name, _, version_text = spec.partition("@")
    if name not in ("runc", "crun", "oci"):
        raise TargetError(
            f"unknown runtime {runtime[:40]!r}; expected runc, crun, oci or host, optionally"
            f" with @VERSION (modelled: {_modelled_runtimes()})"
        )
    if name == "oci" and version_text:
        raise TargetError("'oci' names the specification and takes no version")
    version = parse_version(version_text, f"{name} version") if version_text else None
    model = None if name == "oci" else _runtime_model(name, version)
    lib, installed = _resolve_libseccomp(libseccomp)
    return Target(model, lib, installed)


def _resolve_libseccomp(text: str) -> tuple[LibseccompModel, bool]:
    if text.strip() == "installed":
        from seccomp_kit.errors import LibseccompUnavailableError

        try:
            return _libseccomp_model(_installed_libseccomp()), True
        except LibseccompUnavailableError:
            # Models answer without the library; compiling then fails naming the cause.
            return LIBSECCOMP_MODELS[-1], True
    return _libseccomp_model(parse_version(text, "libseccomp version")), False


_RUNC_VERSION = re.compile(r"^runc version (\S+)", re.M)
_RUNC_LIBSECCOMP = re.compile(r"^libseccomp: (\S+)", re.M)
_CRUN_VERSION = re.compile(r"^crun version (\S+)", re.M)
_LIBSECCOMP_SO = re.compile(r"libseccomp\.so\.2 => (\S+)")


def detect_host(libseccomp: str = "installed") -> Target:
    """The runtime on this node's ``PATH`` (runc first, then crun) and the libseccomp it links."""
    for name in ("runc", "crun"):
        path = shutil.which(name)
        if path is None:
            continue
        try:
            out = subprocess.run(
                [path, "--version"], capture_output=True, text=True, timeout=10, check=False
            ).stdout
        except (OSError, subprocess.SubprocessError) as exc:
            raise TargetError(f"--runtime host: cannot run {path} --version: {exc}") from None
        pattern = _RUNC_VERSION if name == "runc" else _CRUN_VERSION
        found = pattern.search(out)
        if found is None:
            raise TargetError(f"--runtime host: {path} --version printed no version")
        model = _runtime_model(name, parse_version(found.group(1), f"{path} version"))
        if libseccomp.strip() != "installed":
            lib = _libseccomp_model(parse_version(libseccomp, "libseccomp version"))
        else:
            linked = _RUNC_LIBSECCOMP.search(out) if name == "runc" else None
            text = linked.group(1) if linked else _linked_libseccomp(path)
            if text is None:
                raise TargetError(f"--runtime host: cannot tell which libseccomp {path} links")
            lib = _libseccomp_model(parse_version(text, f"libseccomp linked by {path}"))
        return Target(model, lib, libseccomp.strip() == "installed", runtime_path=path)
    raise TargetError("--runtime host: looked for runc and crun on PATH and found neither")


def _linked_libseccomp(binary: str) -> str | None:
    """The version of the libseccomp ``binary`` loads, from the library's file name."""
    try:
        out = subprocess.run(
            ["ldd", binary], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = _LIBSECCOMP_SO.search(out)
    if found is None:
        return None
    real = Path(found.group(1)).resolve().name  # libseccomp.so.2.5.4
    version = real.removeprefix("libseccomp.so.")
    return version if _VERSION.fullmatch(version) else None
