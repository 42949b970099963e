"""``seccomp-kit compile`` and ``seccomp-kit run``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from seccomp_kit.cli._common import load_profile, signal_number, stopping_options
from seccomp_kit.model import Arch, Profile

__all__ = ["compile_command", "run_command"]

_RUNTIME = click.option(
    "--runtime",
    type=click.Choice(["runc", "crun"]),
    default="runc",
    show_default=True,
    help="Compile the profile the way this runtime does.",
)
_CAPS = click.option(
    "--cap",
    "caps",
    multiple=True,
    metavar="CAP",
    help="For moby profiles with includes/excludes: a capability the container has (repeatable).",
)
_KERNEL = click.option(
    "--kernel",
    metavar="X.Y",
    help="For moby profiles with minKernel rules: the host's kernel (default: this machine's"
    " when compiling for it).",
)


def _load(name: str, arch: str, caps: tuple[str, ...], kernel: str | None) -> Profile:
    profile = load_profile(name)
    if any(r.includes or r.excludes for r in profile.syscalls):
        from seccomp_kit.algebra.resolving import resolve
        from seccomp_kit.syscalls.arches import native_arch, parse_arch

        host = native_arch() if arch == "native" else parse_arch(arch)
        if kernel is None and host is native_arch():
            kernel = os.uname().release
        profile = resolve(profile, arch=host, capabilities=caps, kernel=kernel)
    return profile


@click.command("compile")
@click.argument("file", type=click.Path(allow_dash=True))
@click.option(
    "--arch",
    default="native",
    show_default=True,
    help="The host architecture (SCMP_ARCH_X86_64, amd64, aarch64...).",
)
@_RUNTIME
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write the raw BPF program (struct sock_filter array) here; - for stdout.",
)
@click.option("--pfc", is_flag=True, help="Print libseccomp's pseudo filter code.")
@click.option("--disasm", is_flag=True, help="Print the program, disassembled.")
@_CAPS
@_KERNEL
def compile_command(  # noqa: PLR0917 - click passes options as arguments
    file: str,
    arch: str,
    runtime: str,
    output: str | None,
    pfc: bool,
    disasm: bool,
    caps: tuple[str, ...],
    kernel: str | None,
) -> None:
    """Compile FILE to the BPF program the runtime would load.

    Without -o, --pfc or --disasm the disassembly is printed. A summary goes to stderr.
    """
    from seccomp_kit.libseccomp.compile import compile_profile

    compiled = compile_profile(_load(file, arch, caps, kernel), arch=arch, runtime=runtime)
    arches = ", ".join(a.value for a in compiled.architectures)
    summary = (
        f"{len(compiled)} instructions ({compiled.stub_length} in runc's ENOSYS stub) for"
        f" {arches}; load flags {compiled.load_flags:#x}"
    )
    click.echo(summary, err=True)
    _unnamed(compiled.placed, "note", "checked by number ahead of its program")
    _unnamed(
        compiled.unplaced, "warning", "their rules have argument conditions and are missing there"
    )
    if output == "-":
        sys.stdout.buffer.write(compiled.bpf)
        sys.stdout.buffer.flush()
    elif output is not None:
        Path(output).write_bytes(compiled.bpf)
    if pfc:
        click.echo(compiled.pfc, nl=False)
    if disasm or (output is None and not pfc):
        click.echo(compiled.disassemble(), nl=False)


@click.command("run", context_settings={"ignore_unknown_options": True})
@click.option(
    "--profile",
    "profile_file",
    required=True,
    type=click.Path(allow_dash=False),
    help="The profile to run the command under.",
)
@_RUNTIME
@click.option(
    "--report",
    is_flag=True,
    help="Afterwards, list the syscalls the profile blocked (needs root: audit records).",
)
@_CAPS
@_KERNEL
@stopping_options
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@click.pass_context
def run_command(  # noqa: PLR0917 - click passes options as arguments
    ctx: click.Context,
    profile_file: str,
    runtime: str,
    report: bool,
    caps: tuple[str, ...],
    kernel: str | None,
    timeout: float | None,
    grace: float,
    stop_signal: str,
    command: tuple[str, ...],
) -> None:
    """Run COMMAND under a profile; exit with its status (128 + N for signal N).

    Put -- before the command: seccomp-kit run --profile p.json -- ls -l
    """
    from seccomp_kit.record.runner import run

    profile = _load(profile_file, "native", caps, kernel)
    signo = signal_number(stop_signal)
    if not report:
        ctx.exit(
            run(
                profile, list(command), runtime=runtime, timeout=timeout, grace=grace,
                stop_signal=signo,
            )
        )  # fmt: skip
    result = run(
        profile, list(command), runtime=runtime, report=True, timeout=timeout, grace=grace,
        stop_signal=signo,
    )  # fmt: skip
    click.echo(f"seccomp-kit: the command {result.reason}", err=True)
    if result.blocked:
        click.echo(f"seccomp-kit: {profile_file} blocked:", err=True)
        width = max(len(b.name or "?") for b in result.blocked)
        for b in result.blocked:
            action = b.action.value if b.action is not None else "?"
            click.echo(
                f"  {b.name or '?':<{width}}  {b.number:>5}  {b.count:>6}x  {action}"
                f"  ({b.arch.value})",
                err=True,
            )
    else:
        click.echo(f"seccomp-kit: {profile_file} blocked nothing", err=True)
    if result.overruns:
        click.echo(
            f"seccomp-kit: warning: the audit socket overflowed {result.overruns} time(s);"
            " the report may be incomplete",
            err=True,
        )
    ctx.exit(result.status)


def _unnamed(pairs: tuple[tuple[str, Arch], ...], level: str, outcome: str) -> None:
    """Report, per architecture, the syscalls the installed libseccomp cannot name there."""
    by_arch: dict[str, list[str]] = {}
    for name, place in pairs:
        by_arch.setdefault(place.value, []).append(name)
    for where, names in by_arch.items():
        click.echo(
            f"{level}: the installed libseccomp cannot name {len(names)} syscall(s) on {where}"
            f" ({', '.join(names)}); {outcome}",
            err=True,
        )
