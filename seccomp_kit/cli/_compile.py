"""``seccomp-kit compile`` and ``seccomp-kit run``."""

from __future__ import annotations

import sys

import click

from seccomp_kit.cli._common import (
    Host,
    cap_option,
    host_options,
    kernel_option,
    libseccomp_option,
    load_for_host,
    note,
    replace_file,
    runtime_option,
    signal_number,
    stopping_options,
    target_kwargs,
)
from seccomp_kit.model import Arch

__all__ = ["compile_command", "run_command"]


@click.command("compile")
@click.argument("file", type=click.Path(allow_dash=True))
@host_options
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write the raw BPF program (struct sock_filter array) here; - for stdout.",
)
@click.option("--pfc", is_flag=True, help="Print libseccomp's pseudo filter code.")
@click.option("--disasm", is_flag=True, help="Print the program, disassembled.")
@click.option(
    "--place-unknown",
    is_flag=True,
    help="Place names the target's libseccomp cannot resolve by their number (no runtime does).",
)
def compile_command(  # noqa: PLR0917 - click passes options as arguments
    file: str, output: str | None, pfc: bool, disasm: bool, host: Host, place_unknown: bool
) -> None:
    """Compile FILE to the BPF program the runtime would load.

    Without -o, --pfc or --disasm the disassembly is printed. A summary goes to stderr.
    """
    from seccomp_kit.bpf import action_text
    from seccomp_kit.libseccomp.compile import compile_profile
    from seccomp_kit.libseccomp.translate import SkipReason

    compiled = compile_profile(
        host.load(file),
        arch=host.native,
        place_unknown=place_unknown,
        **host.target(compile_profile),
    )
    t = compiled.translation
    arches = ", ".join(a.value for a in compiled.architectures)
    summary = (
        f"{len(compiled)} instructions ({compiled.stub_length} in runc's ENOSYS stub) for"
        f" {arches}; load flags {compiled.load_flags:#x}; as {t.target.label}"
    )
    note(summary)
    dropped = sorted({s.name for s in t.skipped if s.reason is SkipReason.UNRESOLVED})
    if dropped:
        click.echo(
            f"warning: {t.target.libseccomp.label} cannot resolve {len(dropped)} syscall(s)"
            f" ({', '.join(dropped)}): the runtime drops them, so they get the default action"
            f" {action_text(t.default_action)} (--place-unknown places them by number)",
            err=True,
        )
    _unnamed(compiled.placed, "note", "checked by number ahead of its program")
    _unnamed(
        compiled.unplaced, "warning", "their rules have argument conditions and are missing there"
    )
    if output == "-":
        sys.stdout.buffer.write(compiled.bpf)
        sys.stdout.buffer.flush()
    elif output is not None:
        replace_file(output, compiled.bpf)
    if pfc:
        click.echo(compiled.pfc, nl=False)
    if disasm or (output is None and not pfc):
        click.echo(compiled.disassemble(), nl=False)


@click.command("run", context_settings={"ignore_unknown_options": True})
@click.option(
    "--profile",
    "profile_file",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="The profile to run the command under (- for stdin).",
)
@runtime_option
@libseccomp_option
@click.option(
    "--report",
    is_flag=True,
    help="Afterwards, list the syscalls the profile blocked (needs root: audit records).",
)
@cap_option
@kernel_option
@stopping_options
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@click.pass_context
def run_command(  # noqa: PLR0917 - click passes options as arguments
    ctx: click.Context,
    profile_file: str,
    runtime: str,
    libseccomp: str,
    report: bool,
    caps: tuple[str, ...],
    kernel: str | None,
    timeout: float | None,
    grace: float,
    stop_signal: str,
    command: tuple[str, ...],
) -> None:
    """Run COMMAND under a profile; exit with its status (128 + N for signal N).

    Put -- before the command: seccomp-kit run --profile p.json -- ls -l. The host is this
    machine: moby profiles are resolved for its architecture and kernel (--kernel overrides).
    """
    from seccomp_kit.record.runner import run

    target = target_kwargs(run, runtime, libseccomp)
    profile = load_for_host(profile_file, None, caps, kernel)
    signo = signal_number(stop_signal)
    if not report:
        ctx.exit(
            run(
                profile, list(command), report=False, timeout=timeout, grace=grace,
                stop_signal=signo, **target,
            )
        )  # fmt: skip
    result = run(
        profile, list(command), report=True, timeout=timeout, grace=grace, stop_signal=signo,
        **target,
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
        note(f"seccomp-kit: {profile_file} blocked nothing")
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
        line = (
            f"{level}: the installed libseccomp cannot name {len(names)} syscall(s) on {where}"
            f" ({', '.join(names)}); {outcome}"
        )
        if level == "note":
            note(line)
        else:
            click.echo(line, err=True)
