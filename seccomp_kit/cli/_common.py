"""What several subcommands share: ``-`` for stdin, the options that describe the host and the
target (``--arch``, ``--cap``, ``--kernel``, ``--runtime``, ``--libseccomp``, each defined once
here so it means the same everywhere), error lines and atomic file replacement."""

from __future__ import annotations

import functools
import inspect
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar

import attrs
import click
from click.core import ParameterSource

from seccomp_kit.errors import InputError, SeccompKitError
from seccomp_kit.model import Arch, Profile

__all__ = [
    "DIRECTORY",
    "Host",
    "arch_option",
    "cap_option",
    "host_arch",
    "host_kernel",
    "host_options",
    "kernel_option",
    "libseccomp_option",
    "load_for_host",
    "load_profile",
    "located",
    "note",
    "parse_arch_value",
    "quiet",
    "replace_file",
    "runtime_option",
    "signal_number",
    "stdin_or",
    "stopping_options",
    "target_kwargs",
]

_Name = TypeVar("_Name", str, Path)
_F = TypeVar("_F", bound=Callable[..., Any])


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


# -- the host: --arch, --cap, --kernel ------------------------------------------------------


def parse_arch_value(ctx: click.Context, param: click.Parameter, value: str | None) -> Arch | None:
    """Click callback for an ``--arch``-like option: any spelling :func:`parse_arch` takes."""
    if value is None:
        return None
    from seccomp_kit.syscalls.arches import parse_arch

    try:
        return parse_arch(value)
    except InputError as exc:
        raise click.BadParameter(exc.message) from None


def _caps(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    from seccomp_kit.syscalls.capabilities import parse_capabilities

    try:
        return parse_capabilities(value)
    except InputError as exc:
        raise click.BadParameter(exc.message) from None


def _kernel(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    if value == "host":
        return os.uname().release
    from seccomp_kit.validation.semantics import parse_kernel

    try:
        parse_kernel(value)
    except InputError as exc:
        raise click.BadParameter(exc.message) from None
    return value


# The help texts are shared word for word; a command that reads the option differently says so
# in its own docstring (validate: omitted means "any host", not this one).
def arch_option(func: _F) -> _F:
    """``--arch ARCH``: the host's architecture; None (omitted) means this machine's."""
    return click.option(
        "--arch",
        callback=parse_arch_value,
        metavar="ARCH",
        help="The host's architecture: SCMP_ARCH_X86_64, amd64, aarch64, ... [default: this"
        " machine's]",
    )(func)


def cap_option(func: _F) -> _F:
    """``--cap CAP`` (repeatable): the container's capabilities, for moby includes/excludes."""
    return click.option(
        "--cap",
        "caps",
        multiple=True,
        metavar="CAP",
        callback=_caps,
        help="A capability in the container's bounding set, for moby/containers"
        " includes/excludes (repeatable; CAP_SYS_ADMIN or SYS_ADMIN). [default: none]",
    )(func)


def kernel_option(func: _F) -> _F:
    """``--kernel X.Y|host``: the host's kernel release; None (omitted) means this machine's."""
    return click.option(
        "--kernel",
        callback=_kernel,
        metavar="X.Y",
        help="The host's kernel release (moby's minKernel; syscalls it does not have yet);"
        " 'host' is this machine's. [default: this machine's]",
    )(func)


def host_arch(arch: Arch | None) -> Arch:
    """The architecture ``--arch`` names, this machine's when it was omitted."""
    from seccomp_kit.syscalls.arches import native_arch

    return native_arch() if arch is None else arch


def host_kernel(kernel: str | None) -> str:
    """The release ``--kernel`` names, this machine's when it was omitted."""
    return os.uname().release if kernel is None else kernel


def load_for_host(
    name: str, arch: Arch | None, caps: tuple[str, ...], kernel: str | None
) -> Profile:
    """The profile in ``name`` as the container engine hands it to the runtime on the host
    the options describe: moby/containers ``archMap`` and ``includes``/``excludes`` resolved,
    as docker and podman do before the runtime sees the profile; other profiles unchanged."""
    profile = load_profile(name)
    if profile.arch_map or any(r.includes or r.excludes for r in profile.syscalls):
        from seccomp_kit.algebra.resolving import resolve

        profile = resolve(
            profile, arch=host_arch(arch), capabilities=caps, kernel=host_kernel(kernel)
        )
    return profile


# -- the target: --runtime, --libseccomp --------------------------------------------------


def _target_checked(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """Validate the spelling early (a one-line usage error), keep the string for the library."""
    from seccomp_kit.libseccomp.targets import TargetError, target

    try:
        if param.name == "runtime":
            target(value, "installed")
        else:
            target("oci", value)  # 'oci' needs no runtime on PATH: checks the version alone
    except TargetError as exc:
        raise click.BadParameter(exc.message) from None
    return value


def runtime_option(func: _F) -> _F:
    """``--runtime``: whose translation of the profile the answer describes."""
    return click.option(
        "--runtime",
        default="runc",
        show_default=True,
        metavar="RUNTIME",
        callback=_target_checked,
        help="The runtime that hands the profile to libseccomp: runc, crun, oci (the spec"
        " alone), runc@1.1.5, crun@1.21, ... or host (the one on PATH).",
    )(func)


def libseccomp_option(func: _F) -> _F:
    """``--libseccomp``: the libseccomp version the runtime links."""
    return click.option(
        "--libseccomp",
        default="installed",
        show_default=True,
        metavar="VERSION",
        callback=_target_checked,
        help="The libseccomp the runtime links: installed (this machine's), 2.5.4, 2.6.0, ...",
    )(func)


_TARGET_DEFAULTS = {"runtime": "runc", "libseccomp": "installed"}


def target_kwargs(
    func: Callable[..., Any],
    runtime: str,
    libseccomp: str,
    explicit: frozenset[str] = frozenset({"runtime", "libseccomp"}),
) -> dict[str, Any]:
    """The keyword arguments that carry ``--runtime``/``--libseccomp`` to the library call
    ``func``: the one place where the CLI forwards the target.

    Each goes along where ``func`` accepts it; where it does not, a value other than the
    default is refused with a usage error rather than silently ignored. A function whose
    parameter defaults to None reads profiles on their own terms unless given a target
    (diff, merge, normalize, resolve): the option goes along only when ``explicit`` (given on
    the command line or by the environment), so that reading stays the default there too."""
    accepted = inspect.signature(func).parameters
    # Any: the values are strings, but typed loosely so ** can meet keyword-only parameters
    # of other types in the same signature (mypy matches a dict against all of them).
    kwargs: dict[str, Any] = {}
    for option, value in (("runtime", runtime), ("libseccomp", libseccomp)):
        if option in accepted:
            if accepted[option].default is None and option not in explicit:
                continue
            kwargs[option] = value
        elif value != _TARGET_DEFAULTS[option]:
            raise click.UsageError(
                f"--{option} {value}: {func.__name__}() answers for --{option}"
                f" {_TARGET_DEFAULTS[option]} only"
            )
    return kwargs


def quiet() -> bool:
    """Whether ``seccomp-kit --quiet`` asked for results and problems only."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.find_root().params.get("quiet"))


def note(message: str, **style: Any) -> None:
    """An informational line on stderr (a summary, a note, progress): not under --quiet."""
    if not quiet():
        click.secho(message, err=True, **style)


@attrs.frozen
class Host:
    """The five shared options of a command that answers for a host and a target."""

    arch: Arch | None
    caps: tuple[str, ...]
    kernel: str | None
    runtime: str
    libseccomp: str
    explicit: frozenset[str] = frozenset({"runtime", "libseccomp"})
    """Which of --runtime and --libseccomp were given rather than defaulted."""

    @property
    def native(self) -> Arch:
        """The host's architecture, this machine's when --arch was omitted."""
        return host_arch(self.arch)

    def load(self, name: str) -> Profile:
        """The profile in ``name`` as the engine hands it to the runtime on this host."""
        return load_for_host(name, self.arch, self.caps, self.kernel)

    def target(self, func: Callable[..., Any]) -> dict[str, Any]:
        """The target keyword arguments for the library call ``func``."""
        return target_kwargs(func, self.runtime, self.libseccomp, self.explicit)

    @property
    def has_target(self) -> bool:
        """Whether --runtime or --libseccomp was given."""
        return bool(self.explicit)


def host_options(func: _F) -> _F:
    """Add --arch, --cap, --kernel, --runtime and --libseccomp to a command, which receives
    them as one ``host: Host`` argument."""

    @functools.wraps(func)
    def command(
        *args: Any,
        arch: Arch | None,
        caps: tuple[str, ...],
        kernel: str | None,
        runtime: str,
        libseccomp: str,
        **kwargs: Any,
    ) -> Any:
        ctx = click.get_current_context()
        explicit = frozenset(
            name
            for name in ("runtime", "libseccomp")
            if ctx.get_parameter_source(name) not in (None, ParameterSource.DEFAULT)
        )
        host = Host(arch, caps, kernel, runtime, libseccomp, explicit)
        return func(*args, host=host, **kwargs)

    wrapped: Any = command
    for option in (libseccomp_option, runtime_option, kernel_option, cap_option, arch_option):
        wrapped = option(wrapped)
    return wrapped  # type: ignore[no-any-return]


# -- output ------------------------------------------------------------------------------------


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
