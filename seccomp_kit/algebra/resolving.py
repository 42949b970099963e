"""Resolve a moby or containers/common profile into the plain OCI profile one host enforces.

Both engines turn their dialect into an OCI ``linux.seccomp`` object when a container starts;
this module does the same for a host described by its architecture, the container's
capabilities (the bounding set) and, for moby, the kernel version:

moby (``profiles/seccomp/seccomp_linux.go``)
    ``architectures`` and ``archMap`` together are an error. The host's architecture name is
    Go's ``GOARCH`` mapped to libseccomp's spelling (``amd64``, ``arm64``, ``x86``,
    ``mipsel64``, ``loongarch64``...); if that name maps to an ``archMap`` entry, the entry and
    its sub-architectures are appended to ``architectures``. Per rule, in order: ``excludes``
    skips it when the host architecture is listed, when ANY listed capability is present, or
    when the kernel is at least ``minKernel``; ``includes`` skips it unless the architecture is
    listed, ALL listed capabilities are present and the kernel is at least ``minKernel``.
    Kernel versions compare only ``major.minor``. Errno names (``errno``/``defaultErrno``) are
    not part of moby's format and are ignored, as moby's JSON decoder ignores them.
containers/common (``pkg/seccomp/seccomp_linux.go``)
    The same includes/excludes rules for ``caps`` and ``arches`` (with libseccomp's own
    architecture names: ``mipsel64``, ``loong64``...), but ``minKernel`` is not part of its
    format and never skips a rule; ``archMap`` is expanded only on amd64, arm64, the MIPS64
    family and s390x; errno names override the numbers.

The architecture names each engine compares are reproduced as they are, mismatches included:
on loong64 and 32-bit little-endian MIPS hosts moby finds no ``archMap`` entry (its two name
tables disagree there), so only the native architecture is filtered, as on such a real host.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import attrs

from seccomp_kit.algebra._target import as_target, view
from seccomp_kit.errors import InputError, excerpt
from seccomp_kit.io import ProfileSource, as_profile
from seccomp_kit.libseccomp.targets import Target
from seccomp_kit.model import Arch, CapFilter, Dialect, Profile, SyscallRule
from seccomp_kit.numbers import kernel_release, min_kernel
from seccomp_kit.syscalls.arches import parse_arch
from seccomp_kit.syscalls.capabilities import parse_capabilities
from seccomp_kit.syscalls.errnos import errno_number

__all__ = ["Engine", "parse_kernel", "resolve"]

Engine = Literal["moby", "containers"]

# The architecture name moby compares: goToNative[GOARCH] for the Go port running on the host.
_MOBY_NAME = {
    Arch.X86: "x86",
    Arch.X86_64: "amd64",
    Arch.ARM: "arm",
    Arch.AARCH64: "arm64",
    Arch.LOONGARCH64: "loongarch64",
    Arch.MIPS64: "mips64",
    Arch.MIPS64N32: "mips64n32",
    Arch.MIPSEL64: "mipsel64",
    Arch.MIPSEL64N32: "mips3l64n32",
    Arch.MIPSEL: "mipsel",
    Arch.PPC: "ppc",
    Arch.PPC64: "ppc64",
    Arch.PPC64LE: "ppc64le",
    Arch.RISCV64: "riscv64",
    Arch.S390: "s390",
    Arch.S390X: "s390x",
}
# moby's nativeToSeccomp: which of those names select an archMap entry, and which entry.
_MOBY_ARCHMAP = {
    "x86": Arch.X86,
    "amd64": Arch.X86_64,
    "arm": Arch.ARM,
    "arm64": Arch.AARCH64,
    "loong64": Arch.LOONGARCH64,
    "mips64": Arch.MIPS64,
    "mips64n32": Arch.MIPS64N32,
    "mipsel64": Arch.MIPSEL64,
    "mips3l64n32": Arch.MIPSEL64N32,
    "mipsle": Arch.MIPSEL,
    "ppc": Arch.PPC,
    "ppc64": Arch.PPC64,
    "ppc64le": Arch.PPC64LE,
    "riscv64": Arch.RISCV64,
    "s390": Arch.S390,
    "s390x": Arch.S390X,
}
# The name libseccomp-golang gives the native architecture (what containers/common compares).
_LIBSECCOMP_NAME = {
    Arch.X86: "x86",
    Arch.X86_64: "amd64",
    Arch.X32: "x32",
    Arch.ARM: "arm",
    Arch.AARCH64: "arm64",
    Arch.LOONGARCH64: "loong64",
    Arch.M68K: "m68k",
    Arch.MIPS: "mips",
    Arch.MIPS64: "mips64",
    Arch.MIPS64N32: "mips64n32",
    Arch.MIPSEL: "mipsel",
    Arch.MIPSEL64: "mipsel64",
    Arch.MIPSEL64N32: "mipsel64n32",
    Arch.PPC: "ppc",
    Arch.PPC64: "ppc64",
    Arch.PPC64LE: "ppc64le",
    Arch.S390: "s390",
    Arch.S390X: "s390x",
    Arch.PARISC: "parisc",
    Arch.PARISC64: "parisc64",
    Arch.RISCV64: "riscv64",
    Arch.SH: "sh",
    Arch.SHEB: "sheb",
}
# containers/common's nativeToSeccomp.
_CONTAINERS_ARCHMAP = {
    "amd64": Arch.X86_64,
    "arm64": Arch.AARCH64,
    "mips64": Arch.MIPS64,
    "mips64n32": Arch.MIPS64N32,
    "mipsel64": Arch.MIPSEL64,
    "mipsel64n32": Arch.MIPSEL64N32,
    "s390x": Arch.S390X,
}


def parse_kernel(kernel: str | tuple[int, int]) -> tuple[int, int]:
    """``"6.8.0-45-generic"``, ``"5.10"`` or ``(5, 10)`` -> ``(major, minor)``."""
    if isinstance(kernel, tuple):
        major, minor = kernel
        return int(major), int(minor)
    release = kernel_release(kernel.lstrip())
    if release is None:
        raise InputError(
            f"kernel version {excerpt(kernel)} is not of the form X.Y (for example 5.10)"
        )
    return release


def _min_kernel(value: str, path: tuple[str | int, ...]) -> tuple[int, int] | None:
    """moby's minKernel: exactly ``"X.Y"``, each part 0..255, not ``0.0``; empty means none."""
    if value == "":
        return None
    version = min_kernel(value)
    if version is None:
        raise InputError(
            f'invalid minKernel {excerpt(value)}, expected "<kernel>.<major>" (each 0..255,'
            " not 0.0)",
            path=path,
        )
    return version


def resolve(
    profile: ProfileSource,
    *,
    arch: Arch | str,
    capabilities: Iterable[str] = (),
    kernel: str | tuple[int, int] | None = None,
    engine: Engine | None = None,
    runtime: str | Target | None = None,
    libseccomp: str | None = None,
) -> Profile:
    """The plain OCI profile ``engine`` hands the runtime on a host of ``arch``.

    ``capabilities`` is the container's bounding set (``CAP_SYS_ADMIN`` or ``SYS_ADMIN``);
    ``kernel`` the host's release. ``engine`` defaults to containers/common for profiles that
    use its errno names and moby otherwise. With ``kernel=None``, a rule whose fate depends on
    ``minKernel`` is an error (naming the rule) rather than a guess.

    ``runtime``/``libseccomp`` (see :func:`~seccomp_kit.libseccomp.targets.target`) go one
    step further, to what that runtime loads: a result the target refuses is an error, and
    names its libseccomp cannot resolve are left out (the runtime drops them).
    """
    profile = as_profile(profile)
    tgt = as_target(runtime, libseccomp)
    target = parse_arch(arch)
    caps = frozenset(parse_capabilities(capabilities))
    release = None if kernel is None else parse_kernel(kernel)
    if engine is None:
        engine = "containers" if profile.dialect is Dialect.CONTAINERS else "moby"
    if engine not in ("moby", "containers"):
        raise InputError(f"unknown engine {engine!r}; use 'moby' or 'containers'")
    label = profile.source.name if profile.source is not None else None

    def fail(message: str, path: tuple[str | int, ...] = ()) -> InputError:
        return InputError(message, path=path, source=label)

    if profile.architectures and profile.arch_map:
        raise fail(
            "both 'architectures' and 'archMap' are set; the engines refuse that", ("archMap",)
        )
    moby = engine == "moby"
    if moby:
        name = _MOBY_NAME.get(target)
        if name is None:
            raise fail(f"moby does not run on {target.value} hosts (no Go port)")
        selected = _MOBY_ARCHMAP.get(name)
    else:
        name = _LIBSECCOMP_NAME[target]
        selected = _CONTAINERS_ARCHMAP.get(name)
    arches: list[Arch | str] = list(profile.architectures)
    for entry in profile.arch_map:
        if selected is not None and entry.architecture == selected:
            arches.append(entry.architecture)
            arches.extend(entry.sub_architectures)
            break

    def reaches(flt: CapFilter, path: tuple[str | int, ...], rule: SyscallRule) -> bool | None:
        """Whether the host is at least minKernel (None when moby ignores it)."""
        if not moby or flt.min_kernel is None:
            return None
        version = _min_kernel(flt.min_kernel, (*path, "minKernel"))
        if version is None:
            return None
        if release is None:
            names = ", ".join(rule.names)
            raise fail(
                f"rule for {names} depends on the kernel version (minKernel"
                f" {flt.min_kernel}); pass the host's kernel (kernel='X.Y', --kernel X.Y)",
                (*path, "minKernel"),
            )
        return release >= version

    rules: list[SyscallRule] = []
    for i, rule in enumerate(profile.syscalls):
        path: tuple[str | int, ...] = ("syscalls", i)
        both = any(k == "name" for k, _ in rule.extras)
        if both and moby:
            raise fail("both 'name' and 'names' are set; moby refuses that", (*path, "name"))
        ex, inc = rule.excludes, rule.includes
        if ex.arches and name in ex.arches:
            continue
        if ex.caps and any(c in caps for c in ex.caps):
            continue
        if reaches(ex, (*path, "excludes"), rule):
            continue
        if inc.arches and name not in inc.arches:
            continue
        if inc.caps and not all(c in caps for c in inc.caps):
            continue
        if reaches(inc, (*path, "includes"), rule) is False:
            continue
        if both:
            raise fail(
                "both 'name' and 'names' are set; containers/common refuses that",
                (*path, "name"),
            )
        errno_ret = rule.errno_ret
        if rule.errno_name is not None and not moby:
            errno_ret = _errno(rule.errno_name, (*path, "errno"), fail)
        rules.append(
            SyscallRule(names=rule.names, action=rule.action, errno_ret=errno_ret, args=rule.args)
        )
    default_errno = profile.default_errno_ret
    if profile.default_errno_name is not None and not moby:
        default_errno = _errno(profile.default_errno_name, ("defaultErrno",), fail)
    resolved = attrs.evolve(
        profile,
        default_errno_ret=default_errno,
        default_errno_name=None,
        architectures=tuple(arches),
        arch_map=(),
        syscalls=tuple(rules),
        dialect=Dialect.OCI,
        extras=(),
        source=None,
    )
    if tgt is None:
        return resolved
    return view(resolved, tgt, target, label).profile


def _errno(name: str, path: tuple[str | int, ...], fail: object) -> int:
    assert callable(fail)
    if name.isascii() and name.isdigit():
        return int(name)  # containers/common accepts numbers written as strings
    try:
        return errno_number(name)
    except InputError as exc:
        raise fail(exc.message, path) from None
