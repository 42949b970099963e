"""What several subcommands share: ``-`` for stdin, the architecture option, error lines and
atomic file replacement."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import IO, TypeVar

import click

from seccomp_kit.errors import InputError, SeccompKitError
from seccomp_kit.model import Arch, Profile

__all__ = [
    "DIRECTORY",
    "arch_option",
    "load_profile",
    "located",
    "replace_file",
    "stdin_or",
]

_Name = TypeVar("_Name", str, Path)


def stdin_or(name: _Name) -> _Name | IO[bytes]:
    """The file ``name``, or stdin for ``-``."""
    return sys.stdin.buffer if str(name) == "-" else name


def load_profile(name: str) -> Profile:
    """The profile in the file ``name`` (``-``: stdin)."""
    import seccomp_kit.io as skio

    return skio.load(stdin_or(name))


class _Directory(click.Path):
    """A directory option as a :class:`Path`; ``""`` is refused (``Path("")`` would quietly be
    the current directory)."""

    def __init__(self) -> None:
        super().__init__(file_okay=False, path_type=Path)

    def convert(
        self,
        value: str | os.PathLike[str],
        param: click.Parameter | None,
        ctx: click.Context | None,
    ) -> str | bytes | os.PathLike[str]:
        if value == "":
            self.fail("the path is empty", param, ctx)
        return super().convert(value, param, ctx)


DIRECTORY = _Directory()


def arch_option(ctx: click.Context, param: click.Parameter, value: str | None) -> Arch | None:
    """Click callback for an ``--arch``-like option: any spelling :func:`parse_arch` takes."""
    if value is None:
        return None
    from seccomp_kit.syscalls.arches import parse_arch

    try:
        return parse_arch(value)
    except InputError as exc:
        raise click.BadParameter(exc.message) from None


def located(exc: SeccompKitError, name: str) -> str:
    """The error on one line, always naming the file."""
    return str(exc) if exc.source is not None else f"{name}: {exc}"


def replace_file(path: Path | str, content: str | bytes) -> None:
    """Write ``content`` beside ``path`` and rename it over ``path``, so a failed run never
    leaves half a file. The file keeps the permissions it had; a new one gets what ``open()``
    would give it (0666 less the umask), not mkstemp's 0600.

    Any failure (a missing directory, no permission, a name too long, ``""``) is an
    :class:`InputError` naming ``path``, never the temporary file."""
    name = os.fspath(path)
    if not name:
        raise InputError("the output path is empty")
    path = Path(name)
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        _replace(path, data)
    except OSError as exc:
        raise InputError(f"cannot write {name}: {exc.strerror or exc}") from exc


def _replace(path: Path, data: bytes) -> None:
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0o022)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:64]}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
