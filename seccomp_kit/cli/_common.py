"""What several subcommands share: ``-`` for stdin, the architecture option, error lines and
atomic file replacement."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar

import click

from seccomp_kit.errors import InputError, SeccompKitError
from seccomp_kit.model import Arch, Profile

__all__ = [
    "arch_option",
    "load_profile",
    "located",
    "replace_file",
    "signal_number",
    "stdin_or",
    "stopping_options",
]

_Name = TypeVar("_Name", str, Path)


def stdin_or(name: _Name) -> _Name | IO[bytes]:
    """The file ``name``, or stdin for ``-``."""
    return sys.stdin.buffer if str(name) == "-" else name


def load_profile(name: str) -> Profile:
    """The profile in the file ``name`` (``-``: stdin)."""
    import seccomp_kit.io as skio

    return skio.load(stdin_or(name))


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


def replace_file(path: Path, text: str) -> None:
    """Write ``text`` beside ``path`` and rename it over ``path``, so a failed run never leaves
    half a file. The file keeps the permissions it had; a new one gets what ``open()`` would
    give it (0666 less the umask), not mkstemp's 0600."""
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0o022)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def signal_number(value: str) -> int:
    """Click-side reading of a signal option: a name (``SIGTERM``, ``term``) or a number."""
    import signal

    text = value.strip().upper()
    if text.isdigit():
        return int(text)
    name = text if text.startswith("SIG") else "SIG" + text
    try:
        return int(signal.Signals[name])
    except KeyError:
        raise click.BadParameter(
            f"unknown signal {value!r}; use a name such as SIGTERM or INT, or a number",
            param_hint="--stop-signal",
        ) from None


def stopping_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--timeout``, ``--grace`` and ``--stop-signal``, shared by ``run`` and ``record``."""
    for option in reversed(
        (
            click.option(
                "--timeout",
                type=click.FloatRange(min=0, min_open=True),
                metavar="SECONDS",
                help="After SECONDS send the command the stop signal.",
            ),
            click.option(
                "--grace",
                type=click.FloatRange(min=0),
                default=10.0,
                show_default=True,
                metavar="SECONDS",
                help="How long a stopped command may take to exit before SIGKILL.",
            ),
            click.option(
                "--stop-signal",
                default="SIGTERM",
                show_default=True,
                metavar="SIGNAL",
                help="The signal --timeout sends first (name or number).",
            ),
        )
    ):
        func = option(func)
    return func
