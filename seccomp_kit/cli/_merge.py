"""``seccomp-kit merge``, ``diff``, ``normalize`` and ``resolve``."""

from __future__ import annotations

import json
import os

import click

from seccomp_kit.cli._common import load_profile, replace_file
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
def merge_command(files: tuple[str, ...], output: str, strategy: str) -> None:
    """Merge the profiles FILE... on effect into one.

    Per syscall and argument case, union keeps the least restrictive action (kernel
    precedence), intersection the most restrictive. Inputs that cannot be combined
    without changing meaning are refused with an error naming the files and the field.
    Exit status: 0 written, 2 unreadable or incompatible input.
    """
    from seccomp_kit.algebra.merging import merge

    _write(merge(*(load_profile(f) for f in files), strategy=strategy), output)


@click.command("normalize")
@click.argument("file", type=click.Path(allow_dash=True))
@_OUTPUT
def normalize_command(file: str, output: str) -> None:
    """Write the smallest profile with the same effect as FILE, in canonical form.

    Unconditional names are grouped by action and errno and sorted; duplicates, rules
    equal to the default and rules a runtime never reaches are dropped.
    """
    from seccomp_kit.algebra.merging import normalize

    _write(normalize(load_profile(file)), output)


@click.command("diff")
@click.argument("a", type=click.Path(allow_dash=True))
@click.argument("b", type=click.Path(allow_dash=True))
@click.option("--arch", help="Compare on this architecture only (SCMP_ARCH_* or amd64...).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@click.pass_context
def diff_command(ctx: click.Context, a: str, b: str, arch: str | None, fmt: str) -> None:
    """Show how the effect of profile B differs from profile A, per syscall.

    Exit status like diff(1): 0 same effect, 1 the effect differs, 2 unreadable input.
    """
    from seccomp_kit.algebra.diffing import diff

    result = diff(load_profile(a), load_profile(b), arch=arch)
    if fmt == "json":
        click.echo(json.dumps(result.to_data(), indent=2))
    else:
        click.echo(result.to_text(), nl=False)
    ctx.exit(1 if result else 0)


@click.command("resolve")
@click.argument("file", type=click.Path(allow_dash=True))
@click.option("--arch", required=True, help="The host's architecture (amd64, arm64, ...).")
@click.option(
    "--cap",
    "caps",
    multiple=True,
    help="A capability in the container's bounding set (repeatable): CAP_SYS_ADMIN.",
)
@click.option(
    "--kernel",
    help="The host's kernel release (X.Y); 'host' for this machine's. Needed for minKernel.",
)
@click.option(
    "--engine",
    type=click.Choice(["moby", "containers"]),
    help="Whose rules to apply (default: containers for profiles with errno names, else moby).",
)
@_OUTPUT
def resolve_command(
    *,
    file: str,
    arch: str,
    caps: tuple[str, ...],
    kernel: str | None,
    engine: str | None,
    output: str,
) -> None:
    """Turn a moby or containers/common profile into the plain OCI profile one host gets.

    includes/excludes are applied exactly as the engine does (excludes.caps: any present
    skips the rule; includes.caps: all are needed; arches in native names; minKernel),
    and the host's archMap entry becomes 'architectures'.
    """
    from seccomp_kit.algebra.resolving import resolve

    if kernel == "host":
        kernel = os.uname().release
    profile = resolve(
        load_profile(file),
        arch=arch,
        capabilities=caps,
        kernel=kernel,
        engine="containers" if engine == "containers" else "moby" if engine else None,
    )
    _write(profile, output)
