"""``seccomp-kit fmt``: rewrite profiles in canonical form, like black or gofmt."""

from __future__ import annotations

import sys

import click

from seccomp_kit.cli._common import located, note, replace_file
from seccomp_kit.errors import SeccompKitError
from seccomp_kit.model import SourceText

__all__ = ["command"]


@click.command("fmt")
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write to this file (- for stdout) instead of in place; one input only.",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if any file would change.")
@click.option(
    "--dialect",
    type=click.Choice(["keep", "oci", "moby", "containers"]),
    default="keep",
    show_default=True,
    help="Convert to this dialect; what it cannot hold is listed on stderr.",
)
@click.pass_context
def command(
    ctx: click.Context, files: tuple[str, ...], output: str | None, check: bool, dialect: str
) -> None:
    """Write FILE... in canonical form (fixed key order and layout), in place.

    Files already canonical are left untouched. - reads stdin and writes stdout.
    Exit status: 0 done (or nothing to change with --check), 1 --check found files
    that would change, 2 usage error or unreadable input.
    """
    import seccomp_kit.io as skio

    if output is not None and len(files) != 1:
        raise click.UsageError("-o/--output takes exactly one input file")
    if output is not None and check:
        raise click.UsageError("--check writes nothing; it cannot be combined with -o")
    status = 0
    for name in files:
        try:
            if name == "-":
                label, original = "<stdin>", skio.read_source(sys.stdin.buffer)[1]
            else:
                label, original = skio.read_source(name)
            profile = skio.from_data(
                skio.parse_json(original, label), source=SourceText(label, original)
            )
            if dialect != "keep":
                profile, dropped = skio.convert(profile, dialect)
                for item in dropped:
                    click.echo(f"{label}: converting to {dialect} dropped {item}", err=True)
            text = skio.dumps(profile)
        except SeccompKitError as exc:
            click.echo(f"seccomp-kit: {located(exc, name)}", err=True)
            status = 2
            continue
        changed = text != original
        if check:
            if changed:
                click.echo(f"would reformat {label}", err=True)
                status = max(status, 1)
            continue
        target = output if output is not None else name
        if target == "-":
            click.echo(text, nl=False)
        elif target != name:
            replace_file(target, text)
            note(f"wrote {target}")
        elif changed:
            replace_file(target, text)
            note(f"reformatted {target}")
    ctx.exit(status)
