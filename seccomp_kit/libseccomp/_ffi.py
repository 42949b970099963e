"""A small ctypes wrapper over the libseccomp shared library.

Only what compiling needs: build a filter per architecture, add rules, merge, set attributes and
export the BPF program and the PFC text. The library is opened on first use, so importing
seccomp_kit works where libseccomp is missing; a missing or unusable library raises
:class:`LibseccompUnavailableError` naming the cause. Every libseccomp call that fails returns
a negative errno, which callers turn into errors that name the profile field.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from functools import cache

from seccomp_kit.errors import LibseccompUnavailableError

__all__ = [
    "ATTR_ACT_BADARCH",
    "ATTR_CTL_LOG",
    "ATTR_CTL_NNP",
    "ATTR_CTL_OPTIMIZE",
    "ATTR_CTL_SSB",
    "ATTR_CTL_TSYNC",
    "ARCH_NATIVE",
    "NR_SCMP_ERROR",
    "LibFilter",
    "Libseccomp",
    "api_level",
    "for_version",
    "installed",
    "library",
    "native_token",
    "resolve_name",
    "resolve_name_arch",
    "version",
]

# enum scmp_filter_attr (seccomp.h, libseccomp 2.5)
ATTR_ACT_BADARCH = 2
ATTR_CTL_NNP = 3
ATTR_CTL_TSYNC = 4
ATTR_CTL_LOG = 6
ATTR_CTL_SSB = 7
ATTR_CTL_OPTIMIZE = 8
ARCH_NATIVE = 0
NR_SCMP_ERROR = -1

# environment variable that names the shared library to load instead of searching for it; tests
# point it at a missing file to check the behaviour without libseccomp.
LIBRARY_ENV = "SECCOMP_KIT_LIBSECCOMP"
# where other versions of the library can be found (compiling for another target's libseccomp)
PATH_ENV = "SECCOMP_KIT_LIBSECCOMP_PATH"


class _ArgCmp(ctypes.Structure):
    _fields_ = (
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    )


class _Version(ctypes.Structure):
    _fields_ = (("major", ctypes.c_uint), ("minor", ctypes.c_uint), ("micro", ctypes.c_uint))


_SIGNATURES: dict[str, tuple[tuple[object, ...], object]] = {
    "seccomp_init": ((ctypes.c_uint32,), ctypes.c_void_p),
    "seccomp_release": ((ctypes.c_void_p,), None),
    "seccomp_merge": ((ctypes.c_void_p, ctypes.c_void_p), ctypes.c_int),
    "seccomp_arch_add": ((ctypes.c_void_p, ctypes.c_uint32), ctypes.c_int),
    "seccomp_arch_remove": ((ctypes.c_void_p, ctypes.c_uint32), ctypes.c_int),
    "seccomp_arch_native": ((), ctypes.c_uint32),
    "seccomp_attr_set": ((ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32), ctypes.c_int),
    "seccomp_rule_add_array": (
        (ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint, ctypes.c_void_p),
        ctypes.c_int,
    ),
    "seccomp_syscall_resolve_name": ((ctypes.c_char_p,), ctypes.c_int),
    "seccomp_syscall_resolve_name_arch": ((ctypes.c_uint32, ctypes.c_char_p), ctypes.c_int),
    "seccomp_export_bpf": ((ctypes.c_void_p, ctypes.c_int), ctypes.c_int),
    "seccomp_export_pfc": ((ctypes.c_void_p, ctypes.c_int), ctypes.c_int),
    "seccomp_version": ((), ctypes.c_void_p),
    "seccomp_api_get": ((), ctypes.c_uint),
}


def _open(path: str) -> ctypes.CDLL:
    try:
        lib = ctypes.CDLL(path)
    except OSError as exc:
        raise LibseccompUnavailableError(f"cannot load libseccomp from {path}: {exc}") from exc
    for name, (argtypes, restype) in _SIGNATURES.items():
        try:
            func = getattr(lib, name)
        except AttributeError as exc:
            raise LibseccompUnavailableError(
                f"{path} lacks {name}; libseccomp 2.5 or newer is needed"
            ) from exc
        func.argtypes = argtypes
        func.restype = restype
    return lib


class Libseccomp:
    """One loaded libseccomp library (several versions can be loaded side by side)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.cdll = _open(path)
        v = _Version.from_address(self.cdll.seccomp_version())
        self.version: tuple[int, int, int] = (v.major, v.minor, v.micro)
        self.api_level = int(self.cdll.seccomp_api_get())
        self.native_token = int(self.cdll.seccomp_arch_native())

    def resolve_name(self, name: str) -> int:
        """The number for ``name`` on libseccomp's native architecture (negative: a pseudo
        number, -1: unknown)."""
        return int(self.cdll.seccomp_syscall_resolve_name(name.encode()))

    def resolve_name_arch(self, token: int, name: str) -> int:
        return int(self.cdll.seccomp_syscall_resolve_name_arch(token, name.encode()))

    def filter(self, default_action: int) -> LibFilter:
        return LibFilter(default_action, self)


@cache
def installed() -> Libseccomp:
    """The libseccomp this process finds (``$SECCOMP_KIT_LIBSECCOMP`` names another file)."""
    path = os.environ.get(LIBRARY_ENV) or ctypes.util.find_library("seccomp")
    if path is None:
        raise LibseccompUnavailableError(
            "libseccomp is not installed (no libseccomp.so.2 on the library path);"
            " install it (Debian/Ubuntu: libseccomp2, Fedora: libseccomp)"
        )
    return Libseccomp(path)


def _candidates() -> list[str]:
    """Library files that may hold other libseccomp versions: ``$SECCOMP_KIT_LIBSECCOMP_PATH``
    (files or folders, ``:``-separated), the system's library folders, and the Debian 13
    chroot that ``tools/runtimes.sh`` builds."""
    places = [p for p in os.environ.get(PATH_ENV, "").split(os.pathsep) if p]
    trixie = os.environ.get("SECCOMP_KIT_TRIXIE_ROOT", "/var/cache/seccomp-kit/trixie")
    places += ["/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib"]
    places.append(os.path.join(trixie, "usr/lib/x86_64-linux-gnu"))
    found: list[str] = []
    for place in places:
        if os.path.isfile(place):
            found.append(place)
        elif os.path.isdir(place):
            try:
                names = sorted(os.listdir(place))
            except OSError:
                continue
            found += [os.path.join(place, n) for n in names if n.startswith("libseccomp.so.2.")]
    return found


@cache
def for_version(version: tuple[int, int, int]) -> Libseccomp:
    """A loaded libseccomp of exactly ``version`` (the installed one when it is that version).

    Raises :class:`LibseccompUnavailableError` naming what was found when none is."""
    seen: list[str] = []
    try:
        lib = installed()
        if lib.version == version:
            return lib
        seen.append(f"{'.'.join(map(str, lib.version))} at {lib.path}")
    except LibseccompUnavailableError as exc:
        seen.append(str(exc))
    for path in _candidates():
        if os.path.realpath(path) in {os.path.realpath(s.split(" at ")[-1]) for s in seen}:
            continue
        try:
            lib = Libseccomp(path)
        except LibseccompUnavailableError:
            continue
        if lib.version == version:
            return lib
        seen.append(f"{'.'.join(map(str, lib.version))} at {path}")
    wanted = ".".join(map(str, version))
    raise LibseccompUnavailableError(
        f"compiling for libseccomp {wanted} needs that library; found {'; '.join(seen)}."
        f" Name it with {PATH_ENV}=/path/to/libseccomp.so.{wanted}"
    )


def library() -> ctypes.CDLL:
    """The installed libseccomp, with argument types declared."""
    return installed().cdll


def version() -> tuple[int, int, int]:
    return installed().version


def api_level() -> int:
    return installed().api_level


def native_token() -> int:
    """libseccomp's own architecture (the one whose numbers it takes without translation)."""
    return installed().native_token


def resolve_name(name: str) -> int:
    """libseccomp's number for ``name`` on its native architecture (negative: pseudo number,
    -1: unknown)."""
    return installed().resolve_name(name)


def resolve_name_arch(token: int, name: str) -> int:
    return installed().resolve_name_arch(token, name)


def _read_fd(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


class LibFilter:
    """One ``scmp_filter_ctx``; released when closed or collected."""

    def __init__(self, default_action: int, lib: Libseccomp | None = None) -> None:
        self._ctx: int | None = None
        self._lib = (lib or installed()).cdll
        ctx = self._lib.seccomp_init(default_action)
        if not ctx:
            raise ValueError(f"libseccomp refused the default action {default_action:#010x}")
        self._ctx = ctx

    @property
    def ctx(self) -> int:
        if self._ctx is None:
            raise ValueError("filter already released or merged")
        return self._ctx

    def close(self) -> None:
        if self._ctx is not None:
            self._lib.seccomp_release(self._ctx)
            self._ctx = None

    def __del__(self) -> None:
        self.close()

    def arch_add(self, token: int) -> int:
        return int(self._lib.seccomp_arch_add(self.ctx, token))

    def arch_remove(self, token: int) -> int:
        return int(self._lib.seccomp_arch_remove(self.ctx, token))

    def attr_set(self, attr: int, value: int) -> int:
        return int(self._lib.seccomp_attr_set(self.ctx, attr, value))

    def rule_add(
        self, action: int, syscall: int, conditions: tuple[tuple[int, int, int, int], ...]
    ) -> int:
        """``seccomp_rule_add_array`` (not the exact variant: runtimes use this one, which lets
        libseccomp rewrite multiplexed syscalls such as x86's socketcall)."""
        if not conditions:
            return int(self._lib.seccomp_rule_add_array(self.ctx, action, syscall, 0, None))
        array = (_ArgCmp * len(conditions))(*(_ArgCmp(*c) for c in conditions))
        return int(
            self._lib.seccomp_rule_add_array(
                self.ctx, action, syscall, len(conditions), ctypes.addressof(array)
            )
        )

    def merge(self, other: LibFilter) -> int:
        """Merge ``other`` into this filter; on success ``other`` no longer owns its context."""
        rc = int(self._lib.seccomp_merge(self.ctx, other.ctx))
        if rc == 0:
            other._ctx = None
        return rc

    def _export(self, func_name: str) -> tuple[int, bytes]:
        fd = os.memfd_create("seccomp-kit-export", os.MFD_CLOEXEC)
        try:
            rc = int(getattr(self._lib, func_name)(self.ctx, fd))
            return rc, _read_fd(fd) if rc == 0 else b""
        finally:
            os.close(fd)

    def export_bpf(self) -> tuple[int, bytes]:
        return self._export("seccomp_export_bpf")

    def export_pfc(self) -> tuple[int, bytes]:
        return self._export("seccomp_export_pfc")
