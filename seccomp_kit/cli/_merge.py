"""``seccomp-kit merge``, ``diff``, ``normalize`` and ``resolve``."""

from __future__ import annotations

import json

import attrs
import click

from seccomp_kit.cli._common import (
    Host,
    host_kernel,
    host_options,
    load_profile,
    note,
    replace_file,
)
from seccomp_kit.model import Profile

__all__ = ["diff_command", "merge_command", "normalize_command", "resolve_command"]

_OUTPUT = click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    default="-",
    show_default=True,
    help="Write the profile here (- for stdout).",
)


def _write(profile: Profile, output: str) -> None:
    import seccomp_kit.io as skio

    text = skio.dumps(profile)
    if output == "-":
        click.echo(text, nl=False)
    else:
        replace_file(output, text)


@click.command("merge")
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True))
@_OUTPUT
@click.option(
    "--strategy",
    type=click.Choice(["union", "intersection"]),
    default="union",
    show_default=True,
    help="union lets through what any input lets through; intersection what all do.",
)
@host_options
def merge_command(
    files: tuple[str, ...],
    output: str,
    strategy: str,
    host: Host,
) -> None:
    """Merge the profiles FILE... on effect into one.

    Per syscall and argument case, union keeps the least restrictive action (kernel
    precedence), intersection the most restrictive. moby/containers profiles are first
    resolved for the host (--arch, --cap, --kernel). Inputs that cannot be combined
    without changing meaning are refused with an error naming the files and the field.
    With --runtime or --libseccomp the merge is for that target: inputs it refuses are
    errors, names its libseccomp cannot resolve are left out (listed on stderr).
    Exit status: 0 written, 2 unreadable or incompatible input.
    """
    from seccomp_kit.algebra.merging import merge

    profiles = [host.load(f) for f in files]
    _note_dropped(profiles, files, host)
    _write(merge(profiles, strategy=strategy, arch=host.arch, **host.target(merge)), output)


def _note_dropped(profiles: list[Profile], files: tuple[str, ...], host: Host) -> None:
    """Say which names the target drops, so leaving them out is never silent."""
    if not host.has_target:
        return
    from seccomp_kit.algebra._target import as_target, view

    tgt = as_target(host.runtime, host.libseccomp)
    assert tgt is not None
    for profile, name in zip(profiles, files, strict=True):
        dropped = view(profile, tgt, host.native, name).dropped
        if dropped:
            note(
                f"{name}: left out, unknown to {tgt.libseccomp.label} (the runtime drops"
                f" them): {', '.join(dropped)}"
            )


@click.command("normalize")
@click.argument("file", type=click.Path(allow_dash=True))
@_OUTPUT
@host_options
def normalize_command(
    file: str,
    output: str,
    host: Host,
) -> None:
    """Write the smallest profile with the same effect as FILE, in canonical form.

    Unconditional names are grouped by action and errno and sorted; duplicates, rules
    equal to the default and rules a runtime never reaches are dropped. moby/containers
    profiles are first resolved for the host (--arch, --cap, --kernel). With --runtime or
    --libseccomp: the smallest profile with the same effect for that target (names its
    libseccomp cannot resolve are left out, listed on stderr).
    """
    from seccomp_kit.algebra.merging import normalize

    profile = host.load(file)
    _note_dropped([profile], (file,), host)
    _write(normalize(profile, arch=host.arch, **host.target(normalize)), output)


@click.command("diff")
@click.argument("a", type=click.Path(allow_dash=True))
@click.argument("b", type=click.Path(allow_dash=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@host_options
@click.pass_context
def diff_command(
    ctx: click.Context,
    a: str,
    b: str,
    fmt: str,
    host: Host,
) -> None:
    """Show how the effect of profile B differs from profile A, per syscall.

    moby/containers profiles are first resolved for the host (--arch, --cap, --kernel).
    With --arch only that architecture is compared; without it, every architecture either
    profile lists. With --runtime or --libseccomp: what that target loads on the host
    (names its libseccomp cannot resolve get the default action); without them the
    profiles are compared on their own terms. Exit status like diff(1): 0 same effect, 1
    the effect differs, 2 unreadable input.
    """
    from seccomp_kit.algebra.diffing import diff

    if a == "-" and b == "-":
        raise click.UsageError("only one of A and B can be - (standard input)")
    result = diff(host.load(a), host.load(b), arch=host.arch, **host.target(diff))
    if fmt == "json":
        click.echo(json.dumps(result.to_data(), indent=2))
    else:
        click.echo(result.to_text(), nl=False)
    ctx.exit(1 if result else 0)


@click.command("resolve")
@click.argument("file", type=click.Path(allow_dash=True))
@click.option(
    "--engine",
    type=click.Choice(["moby", "containers"]),
    help="Whose rules to apply (default: containers for profiles with errno names, else moby).",
)
@_OUTPUT
@host_options
def resolve_command(
    file: str,
    engine: str | None,
    output: str,
    host: Host,
) -> None:
    """Turn a moby or containers/common profile into the plain OCI profile one host gets.

    includes/excludes are applied exactly as the engine does (excludes.caps: any present
    skips the rule; includes.caps: all are needed; arches in native names; minKernel),
    and the host's archMap entry becomes 'architectures'. The host is this machine unless
    --arch and --kernel say otherwise. With --runtime or --libseccomp: what that target
    loads (a profile it refuses is an error; names its libseccomp cannot resolve are left
    out, listed on stderr).
    """
    from seccomp_kit.algebra.resolving import resolve

    original = load_profile(file)
    plain = resolve(
        original,
        arch=host.native,
        capabilities=host.caps,
        kernel=host_kernel(host.kernel),
        engine="containers" if engine == "containers" else "moby" if engine else None,
    )
    _note_dropped([plain], (file,), host)
    # The engine's result, then what the target loads of it (the same as passing the target).
    named = attrs.evolve(plain, source=original.source)  # errors name the file
    profile = resolve(named, arch=host.native, **host.target(resolve))
    _write(profile, output)
