"""Installing profiles under the kubelet's seccomp root, atomically and without escaping it.

The kubelet resolves ``localhostProfile`` relative to its seccomp root (default
``/var/lib/kubelet/seccomp``); the API server accepts only descending relative paths (no leading
``/``, no ``..`` element). Writing follows the usual crash-safe recipe: a temporary file in the
target directory, ``fsync``, ``rename`` over the target, ``fsync`` of the directory. Directories
below the root are walked with ``O_NOFOLLOW`` directory descriptors, so a component swapped for
a symlink between our check and our write makes the open fail instead of leading elsewhere.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from seccomp_kit.diagnostics import Diagnostic, Severity
from seccomp_kit.errors import InputError, SeccompKitError
from seccomp_kit.io import dumps, load
from seccomp_kit.io._dialects import PathLike
from seccomp_kit.model import Profile

__all__ = [
    "DEFAULT_ROOT",
    "InstallError",
    "check_localhost_path",
    "install",
    "resolve_under_root",
]

DEFAULT_ROOT = "/var/lib/kubelet/seccomp"
_TMP_PREFIX = ".seccomp-kit-"
_NAME_MAX = 255  # bytes in one path component on Linux file systems
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class InstallError(SeccompKitError):
    """The file system refused the installation (permissions, a full disk, a symlink swap)."""


def check_localhost_path(name: object) -> tuple[str, ...]:
    """Split a ``localhostProfile`` value into its components, refusing hostile ones.

    Accepted: a relative path of plain names (``profiles/web.json``). Refused, with a message
    saying why: non-strings, empty names, absolute paths, ``..`` (the API server's rule), ``.``
    and empty components (not canonical: the same file under two names), NUL and other control
    characters.
    """
    if not isinstance(name, str):
        raise InputError(f"profile name must be a string, not {type(name).__name__}")
    if not name:
        raise InputError("profile name is empty")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise InputError(f"profile name {name!r} contains control characters")
    if name.startswith("/"):
        raise InputError(
            f"profile name {name!r} is absolute; localhostProfile is a path relative to the"
            " kubelet seccomp root"
        )
    parts = tuple(name.split("/"))
    if ".." in parts:
        raise InputError(f"profile name {name!r} contains '..'; it must descend from the root")
    if "" in parts or "." in parts:
        raise InputError(
            f"profile name {name!r} has empty or '.' components; write it as"
            f" {'/'.join(p for p in parts if p not in ('', '.'))!r}"
        )
    try:
        sizes = [len(p.encode("utf-8")) for p in parts]
    except UnicodeEncodeError:
        raise InputError(f"profile name {name!r} is not valid Unicode text") from None
    if max(sizes) > _NAME_MAX:
        raise InputError(
            f"profile name {name[:40]!r}...: a component is longer than {_NAME_MAX} bytes"
        )
    return parts


def _realroot(root: PathLike, *, create: bool) -> Path:
    path = Path(os.fspath(root))
    if create:
        try:
            path.mkdir(mode=0o755, parents=True, exist_ok=True)
        except FileExistsError:
            raise InstallError(f"seccomp root {path} exists and is not a directory") from None
        except OSError as exc:
            raise InstallError(f"cannot create seccomp root {path}: {exc.strerror or exc}") from exc
    try:
        resolved = _real(path)
    except OSError as exc:
        raise InstallError(f"cannot resolve seccomp root {path}: {exc.strerror or exc}") from None
    if not resolved.is_dir():
        raise InstallError(f"seccomp root {path} is not a directory")
    return resolved


def resolve_under_root(root: PathLike, name: str) -> Path:
    """The real path of ``name`` under ``root``; raise if it (through symlinks) leaves the root.

    Only checks; nothing is created. Used by the manifest check to find Localhost profiles.
    """
    parts = check_localhost_path(name)
    try:
        real_root = _real(Path(os.fspath(root)))
        target = _real(real_root.joinpath(*parts))
    except OSError as exc:
        raise InputError(
            f"profile name {name!r} cannot be resolved under the seccomp root {root}:"
            f" {exc.strerror or exc}"
        ) from None
    if target != real_root and real_root not in target.parents:
        raise InputError(
            f"profile name {name!r} leads out of the seccomp root {real_root} via a symlink"
        )
    return target


def _real(path: Path) -> Path:
    """``path.resolve()``, with every failure an OSError: Python 3.11 raises RuntimeError for a
    symlink loop, where 3.13 raises OSError(ELOOP)."""
    try:
        return path.resolve()
    except RuntimeError:
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), str(path)) from None


@contextmanager
def _open_dir(path: Path) -> Iterator[int]:
    fd = os.open(path, _DIR_FLAGS)
    try:
        yield fd
    finally:
        os.close(fd)


def _descend(root_fd: int, parts: tuple[str, ...], name: str) -> int:
    """Open (creating where missing) each directory of ``parts`` below ``root_fd``; refuse links."""
    fd = os.dup(root_fd)
    try:
        for part in parts:
            with suppress(FileExistsError):
                os.mkdir(part, 0o755, dir_fd=fd)
            try:
                child = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    info = os.lstat(part, dir_fd=fd)
                    kind = "a symlink" if stat.S_ISLNK(info.st_mode) else "not a directory"
                    raise InputError(
                        f"profile name {name!r}: component {part!r} is {kind}; refusing to"
                        " write through it"
                    ) from None
                raise
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


def _write_atomic(dir_fd: int, base: str, data: bytes) -> None:
    tmp = f"{_TMP_PREFIX}{secrets.token_hex(8)}.tmp"
    fd = os.open(
        tmp,
        os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
        0o644,
        dir_fd=dir_fd,
    )
    try:
        try:
            os.fchmod(fd, 0o644)  # the umask must not make the profile unreadable
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        existing = _lstat_or_none(base, dir_fd)
        if existing is not None and stat.S_ISDIR(existing.st_mode):
            raise IsADirectoryError(errno.EISDIR, "a directory is in the way", base)
        os.rename(tmp, base, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp, dir_fd=dir_fd)
        raise
    os.fsync(dir_fd)


def _lstat_or_none(name: str, dir_fd: int) -> os.stat_result | None:
    try:
        return os.lstat(name, dir_fd=dir_fd)
    except FileNotFoundError:
        return None


def _validated(
    profile: Profile | PathLike, runtime: str, warnings: list[Diagnostic] | None = None
) -> Profile:
    if not isinstance(profile, Profile):
        profile = load(profile)
    from seccomp_kit.validation import check

    found = check(profile, runtime=runtime)
    if warnings is not None:
        warnings += [d for d in found if d.severity is Severity.WARNING]
    return profile


def install(
    profile: Profile | PathLike,
    name: str,
    *,
    root: PathLike = DEFAULT_ROOT,
    runtime: str = "runc",
    warnings: list[Diagnostic] | None = None,
) -> str:
    """Write ``profile`` to ``root/name`` atomically (mode 0644) and return the
    ``localhostProfile`` value that refers to it. Validation warnings (such as SK411, a profile
    that allows nothing) are appended to ``warnings`` when given; they do not stop the install.

    ``profile`` is a :class:`~seccomp_kit.model.Profile` or a path to one. It is validated for
    ``runtime`` first and never written when validation finds errors
    (:class:`~seccomp_kit.errors.ValidationFailedError`). Hostile names raise
    :class:`~seccomp_kit.errors.InputError`; file system failures raise :class:`InstallError`.
    After any failure the previous file (if any) is untouched and no temporary file remains.
    """
    check_localhost_path(name)
    checked = _validated(profile, runtime, warnings)
    data = dumps(checked).encode("utf-8")
    real_root = _realroot(root, create=True)
    # A symlink inside the root that points elsewhere inside the root is allowed (the kubelet
    # follows it too); one that leads out is not. Walk the resolved directories without
    # following links, so the check cannot be raced.
    target = resolve_under_root(real_root, name)
    rel = target.relative_to(real_root).parts
    if not rel:
        raise InputError(f"profile name {name!r} resolves to the seccomp root itself")
    try:
        with _open_dir(real_root) as root_fd:
            dir_fd = _descend(root_fd, rel[:-1], name)
            try:
                _write_atomic(dir_fd, rel[-1], data)
            finally:
                os.close(dir_fd)
    except SeccompKitError:
        raise
    except OSError as exc:
        where = real_root.joinpath(*rel)
        raise InstallError(f"cannot install {where}: {exc.strerror or exc}") from exc
    return name
