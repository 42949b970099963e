"""``seccomp-kit validate``: check profiles and report every problem."""

from __future__ import annotations

import sys

import click

from seccomp_kit.cli._common import arch_option, located
from seccomp_kit.diagnostics import Diagnostic, Severity, has_errors, render, to_json_text
from seccomp_kit.errors import InputError, SeccompKitError
from seccomp_kit.model import Arch
from seccomp_kit.validation.semantics import parse_kernel

__all__ = ["command"]


def _kernel(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        parse_kernel(value)
    except InputError as exc:
        raise click.BadParameter(exc.message) from None
    return value


@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=True, allow_dash=True))
@click.option(
    "--runtime",
    type=click.Choice(["runc", "crun", "oci"]),
    default="runc",
    show_default=True,
    help="Whose behaviour to check against (oci: the spec's rules).",
)
@click.option(
    "--arch",
    callback=arch_option,
    metavar="ARCH",
    help="Check syscall names for this architecture only (SCMP_ARCH_X86_64, amd64, ...).",
)
@click.option(
    "--kernel",
    callback=_kernel,
    metavar="X.Y",
    help="Report syscalls newer than this kernel release.",
)
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: one line per finding; json: one JSON array of all findings.",
)
@click.pass_context
def command(  # noqa: PLR0917 - click passes options as arguments
    ctx: click.Context,
    files: tuple[str, ...],
    runtime: str,
    arch: Arch | None,
    kernel: str | None,
    output: str,
) -> None:
    """Check FILE... (JSON seccomp profiles, any dialect; - for stdin).

    Prints every problem as file:line:column: severity code message (suggestion).
    Exit status: 0 no errors (warnings allowed), 1 errors found, 2 usage error or
    unreadable input (reported on one line).
    """
    from seccomp_kit.validation import validate, validate_text

    found: list[Diagnostic] = []
    status = 0
    unreadable = 0
    for name in files:
        try:
            if name == "-":
                from seccomp_kit.io import read_source

                _, text = read_source(sys.stdin.buffer)  # size and encoding checks
                diags = validate_text(
                    text, name="<stdin>", runtime=runtime, arch=arch, kernel=kernel
                )
            else:
                diags = validate(name, runtime=runtime, arch=arch, kernel=kernel)
        except SeccompKitError as exc:
            click.echo(f"seccomp-kit: {located(exc, name)}", err=True)
            status = 2
            unreadable += 1
            continue
        found.extend(diags)
        if output == "text":
            for diag in diags:
                click.echo(render(diag))
    if output == "json":
        click.echo(to_json_text(found))
    else:
        counts = {s: sum(d.severity is s for d in found) for s in Severity}
        skipped = f" ({unreadable} unreadable)" if unreadable else ""
        click.echo(
            f"{len(files)} file(s){skipped}: {counts[Severity.ERROR]} error(s),"
            f" {counts[Severity.WARNING]} warning(s), {counts[Severity.INFO]} info",
            err=True,
        )
    if status == 0 and has_errors(found):
        status = 1
    ctx.exit(status)
