"""``seccomp-kit validate``: check profiles and report every problem."""

from __future__ import annotations

import sys

import click

from seccomp_kit.cli._common import (
    arch_option,
    kernel_option,
    libseccomp_option,
    located,
    note,
    runtime_option,
    target_kwargs,
)
from seccomp_kit.diagnostics import Diagnostic, Severity, has_errors, render, to_json_text
from seccomp_kit.errors import SeccompKitError
from seccomp_kit.model import Arch

__all__ = ["command"]


@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=True, allow_dash=True))
@runtime_option
@libseccomp_option
@arch_option
@kernel_option
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
    libseccomp: str,
    arch: Arch | None,
    kernel: str | None,
    output: str,
) -> None:
    """Check FILE... (JSON seccomp profiles, any dialect; - for stdin).

    Prints every problem as file:line:column: severity code message (suggestion).
    Exit status: 0 no errors (warnings allowed), 1 errors found, 2 usage error or
    unreadable input (reported on one line).

    A profile is judged for every host it may run on: without --arch its names are checked
    on each architecture it lists, and without --kernel on every kernel; --arch and --kernel
    narrow the check to one host.
    """
    from seccomp_kit.validation import validate, validate_text

    target = target_kwargs(validate, runtime, libseccomp)

    found: list[Diagnostic] = []
    status = 0
    unreadable = 0
    for name in files:
        try:
            if name == "-":
                from seccomp_kit.io import read_source

                _, text = read_source(sys.stdin.buffer)  # size and encoding checks
                diags = validate_text(text, name="<stdin>", arch=arch, kernel=kernel, **target)
            else:
                diags = validate(name, arch=arch, kernel=kernel, **target)
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
        note(
            f"{len(files)} file(s){skipped}: {counts[Severity.ERROR]} error(s),"
            f" {counts[Severity.WARNING]} warning(s), {counts[Severity.INFO]} info"
        )
    if status == 0 and has_errors(found):
        status = 1
    ctx.exit(status)
