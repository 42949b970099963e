"""``seccomp-kit port``: a profile recorded on one architecture, made for others."""

from __future__ import annotations

import json
from pathlib import Path

import click

from seccomp_kit.cli._common import libseccomp_option, load_profile, replace_file

__all__ = ["command"]


@click.command("port")
@click.argument("file", type=click.Path(allow_dash=True))
@click.option(
    "--to",
    "to",
    multiple=True,
    required=True,
    help="Target architecture (repeatable, or comma-separated): arm64, SCMP_ARCH_ARM, ...",
)
@click.option("--from", "from_", help="The architecture FILE was recorded on (default: its first).")
@libseccomp_option
@click.option(
    "--vdso-fallback",
    is_flag=True,
    help="Also allow the calls the target's vDSO serves (clock_gettime...), which a "
    "recording cannot see but qemu-user and some clocksources make as syscalls.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    default="-",
    show_default=True,
    help="Write the ported profile here (- for stdout).",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write the report as JSON here (- for stdout) instead of text on stderr.",
)
@click.pass_context
def command(
    ctx: click.Context,
    *,
    file: str,
    to: tuple[str, ...],
    from_: str | None,
    libseccomp: str,
    vdso_fallback: bool,
    output: str,
    report_path: str | None,
) -> None:
    """Port the profile FILE (- for stdin) to the architectures --to.

    Each call that does not exist on a target becomes the call the C library uses there
    (open -> openat, stat -> newfstatat, fork -> clone, ...), 32-bit targets get their
    *64/*_time64/*32 forms, argument conditions move with the argument where it means the
    same, and nothing is ever silently widened. The report (stderr) lists per target what
    was translated, added, dropped and left undecided.

    Exit status: 0 written; 1 written but something is undecided; 2 unusable input.
    """
    import seccomp_kit.io as skio
    from seccomp_kit.algebra.porting import port

    targets = [a.strip() for item in to for a in item.split(",") if a.strip()]
    result = port(
        load_profile(file),
        to=targets,
        from_=from_,
        libseccomp=libseccomp,
        vdso_fallback=vdso_fallback,
    )
    text = skio.dumps(result.profile)
    if output == "-":
        click.echo(text, nl=False)
    else:
        replace_file(Path(output), text)
    if report_path is None:
        click.echo(result.report.to_text(), err=True, nl=False)
    else:
        data = json.dumps(result.report.to_data(), indent=2) + "\n"
        if report_path == "-":
            click.echo(data, nl=False)
        else:
            replace_file(Path(report_path), data)
    ctx.exit(1 if result.report else 0)
