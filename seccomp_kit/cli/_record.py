"""``seccomp-kit record``: a least-privilege profile from SCMP_ACT_LOG records.

From logs: ``seccomp-kit record --from audit.log [filters] -o profile.json``; live:
``seccomp-kit record -o profile.json -- CMD ARGS...``. The accounting (lines, records, losses)
goes to stderr. Exit status: 0 profile written and nothing lost; 1 profile written but the
input shows lost records (or the recorded command failed, or arguments asked for were not
recorded); 2 usage errors, unreadable input; 3 nothing recorded (no profile written unless
``--allow-empty``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import click
from click.core import ParameterSource

from seccomp_kit.cli._common import (
    libseccomp_option,
    load_profile,
    note,
    quiet,
    replace_file,
    runtime_option,
    signal_number,
    stopping_options,
)
from seccomp_kit.errors import SeccompKitError

__all__ = ["command"]


class _Counting:
    """A binary reader that reports how many bytes were consumed (for the progress bar)."""

    def __init__(self, raw: IO[bytes], bar: Any) -> None:
        self._raw = raw
        self._bar = bar

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._bar.update(len(data))
        return data


def _streams(sources: tuple[str, ...], show_progress: bool) -> Iterator[IO[bytes]]:
    """Each source opened in turn (stdin for ``-``), with a progress bar when asked."""
    from seccomp_kit.errors import LoadError

    for name in sources:
        if name == "-":
            yield sys.stdin.buffer
            continue
        try:
            handle = Path(name).open("rb")  # noqa: SIM115 - closed below, streamed lazily
        except OSError as exc:
            raise LoadError(f"cannot read audit log: {exc.strerror or exc}", source=name) from exc
        with handle:
            if show_progress:
                size = os.fstat(handle.fileno()).st_size
                with click.progressbar(
                    length=size, label=f"reading {name}", file=sys.stderr
                ) as bar:
                    yield _Counting(handle, bar)  # type: ignore[misc]
            else:
                yield handle


def _events(sources: tuple[str, ...], stats: Any, show_progress: bool) -> Iterator[Any]:
    from seccomp_kit.audit import AuditParser

    parser = AuditParser(stats=stats)
    for stream in _streams(sources, show_progress):
        yield from parser.parse_stream(stream)


def _for_target(ctx: click.Context, profile: Any, opts: dict[str, Any]) -> list[str]:
    """With --runtime or --libseccomp: what that target will not do as recorded (a recorded
    name its libseccomp cannot resolve is dropped by the runtime, so the workload's call gets
    the default action there), as WARNING lines; nothing otherwise."""
    given = [
        name
        for name in ("runtime", "libseccomp")
        if ctx.get_parameter_source(name) is not ParameterSource.DEFAULT
    ]
    if not given:
        return []
    from seccomp_kit.diagnostics import Severity
    from seccomp_kit.validation import validate

    found = validate(profile, runtime=opts["runtime"], libseccomp=opts["libseccomp"])
    return [
        f"WARNING: {d.code} {d.message}"
        for d in found
        if d.code in ("SK120", "SK505") or d.severity is Severity.ERROR
    ]


def _counts(sources: tuple[str, ...], stats: Any, show_progress: bool) -> Any:
    """The events of every source counted (seccomp_kit.audit.tally), for filters on the action
    alone: no event objects, same accounting."""
    from collections import Counter

    from seccomp_kit.audit import AuditParser

    parser = AuditParser(stats=stats)
    counts: Counter[Any] = Counter()
    for stream in _streams(sources, show_progress):
        parser.tally_stream(stream, counts)
    return counts


def _progress() -> bool:
    """A progress bar only on a terminal, and not under --quiet."""
    return sys.stderr.isatty() and not quiet()


def _write(text: str, out: str) -> None:
    if out == "-":
        click.echo(text, nl=False)
    else:
        replace_file(out, text)


@click.command(
    "record",
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=(
        "Examples:\n\n"
        "  seccomp-kit record --from /var/log/audit/audit.log --comm nginx -o nginx.json\n\n"
        "  dmesg | seccomp-kit record --from - -o profile.json\n\n"
        "  seccomp-kit record --baseline runc -o app.json -- ./app --serve"
    ),
)
@click.option(
    "--from",
    "sources",
    multiple=True,
    metavar="FILE|-",
    help="Read records from a log (repeatable; - is stdin).",
)
@click.option(
    "--pid", "pids", multiple=True, type=int, help="Keep records of this pid (repeatable)."
)
@click.option(
    "--comm", "comms", multiple=True, help="Keep records of this command name (repeatable)."
)
@click.option(
    "--exe", "exes", multiple=True, help="Keep records of this executable path (repeatable)."
)
@click.option(
    "--uid", "uids", multiple=True, type=int, help="Keep records of this uid (repeatable)."
)
@click.option(
    "--since", metavar="TIME", help="Keep records at or after TIME (epoch seconds or ISO 8601)."
)
@click.option("--until", metavar="TIME", help="Keep records at or before TIME.")
@click.option(
    "--action",
    "actions",
    multiple=True,
    metavar="ACTION",
    help="Keep records of this action (log, errno, ...; repeatable). Default: all but allow.",
)
@click.option(
    "--arch",
    "arches",
    multiple=True,
    metavar="ARCH",
    help="Keep records of this architecture (repeatable).",
)
@click.option(
    "--default-action",
    default="SCMP_ACT_ERRNO",
    show_default=True,
    help="Action for everything not recorded.",
)
@click.option(
    "--default-errno",
    default="EPERM",
    show_default=True,
    help="Errno of the default action (name or number).",
)
@click.option(
    "--baseline",
    metavar="RUNTIME",
    help="Merge in what the runtime calls after installing the filter: runc, crun, runc,crun"
    " or a version such as runc@1.1.5.",
)
@click.option(
    "--refine",
    "refine_path",
    metavar="PROFILE",
    type=click.Path(dir_okay=False),
    help="Add what the records show PROFILE blocked; print the semantic diff.",
)
@click.option(
    "--source",
    default="auto",
    type=click.Choice(["auto", "netlink", "kmsg"]),
    show_default=True,
    help="Live recording: where records are read from.",
)
@click.option(
    "--save-records",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Live recording: also write the command's raw records to FILE.",
)
@stopping_options
@click.option(
    "--args",
    "record_args",
    is_flag=True,
    help="Live recording: also record arguments (flags and enumerations) and infer conditions.",
)
@click.option(
    "--max-values",
    type=click.IntRange(min=1),
    default=16,
    show_default=True,
    help="With --args: past this many distinct values a syscall's arguments stay unconstrained.",
)
@click.option(
    "--allow-empty",
    is_flag=True,
    help="Write a profile even when nothing was recorded (it allows no syscall).",
)
@click.option(
    "-o",
    "--output",
    "out",
    default="-",
    show_default=True,
    metavar="OUT",
    help="Where to write the profile.",
)
@runtime_option
@libseccomp_option
@click.argument("argv", nargs=-1, type=click.UNPROCESSED, metavar="[-- CMD ARGS...]")
@click.pass_context
def command(ctx: click.Context, /, **opts: Any) -> None:
    """Build a least-privilege profile from SCMP_ACT_LOG records, from logs or live."""
    from seccomp_kit import record as rec
    from seccomp_kit.audit import AuditStats
    from seccomp_kit.io import dumps

    sources: tuple[str, ...] = opts["sources"]
    argv: tuple[str, ...] = opts["argv"]
    if bool(sources) == bool(argv):
        raise click.UsageError("give either --from FILE (or -) or a command after --, not both")
    if "-" in sources and opts["refine_path"] == "-":
        raise click.UsageError("--from - and --refine - cannot both read standard input")
    if sources and opts["record_args"]:
        raise click.UsageError("--args records a command live: audit logs carry no arguments")
    stop_signal = signal_number(opts["stop_signal"])
    try:
        where = rec.EventFilter(
            pids=opts["pids"],
            comms=opts["comms"],
            exes=opts["exes"],
            uids=opts["uids"],
            since=None if opts["since"] is None else rec.parse_time(opts["since"]),
            until=None if opts["until"] is None else rec.parse_time(opts["until"]),
            actions=opts["actions"],
        )
        arches = opts["arches"] or None
        if arches:
            from seccomp_kit.syscalls.arches import parse_arch

            arches = [parse_arch(a) for a in arches]
        status = 0
        if sources:
            stats = AuditStats()
            events = _events(sources, stats, _progress())  # lazy: not read if counted
            live = None
        else:
            # The profile may go to stdout: the command's own output then goes to stderr.
            live = rec.record_command(
                argv,
                source=opts["source"],
                timeout=opts["timeout"],
                keep_lines=opts["save_records"] is not None,
                stdout=sys.stderr.fileno() if opts["out"] == "-" else None,
                args=opts["record_args"],
                stop_grace=opts["grace"],
                stop_signal=stop_signal,
            )
            stats = live.stats
            events = iter(live.events)
            for warning in live.warnings:
                click.secho(warning, err=True, fg="red" if warning.startswith("WARNING") else None)
            reason = live.exit.reason if live.exit is not None else ""
            if live.returncode != 0:
                click.echo(f"the command exited with status {live.returncode}: {reason}", err=True)
                status = 1
            else:
                click.echo(f"the command {reason}", err=True)
            if live.args_error is not None or any(w.startswith("WARNING") for w in live.warnings):
                status = 1
            if opts["save_records"] is not None:
                Path(opts["save_records"]).write_bytes(b"".join(x + b"\n" for x in live.lines))
        if opts["refine_path"] is not None:
            base = load_profile(opts["refine_path"])
            if arches:
                events = (e for e in events if e.arch in arches)
            result = rec.refine(base, events, where=where)
            _write(dumps(result.after), opts["out"])
            click.echo(result.to_text(), err=opts["out"] == "-", nl=False)
            summary = stats.summary() + _for_target(ctx, result.after, opts)
        else:
            options: dict[str, Any] = {
                "where": where,
                "default_action": opts["default_action"],
                "default_errno": opts["default_errno"],
                "baseline": opts["baseline"],
                "arches": arches,
                "stats": stats,
            }
            if live is None and where.plain:
                # Only the action decides: count the records instead of building events.
                counts = _counts(sources, stats, _progress())
                recording = rec.record_counts(counts, **options)
            else:
                if live is not None:
                    options.update(
                        arguments=live.arguments,
                        clone3_unknown=live.clone3_unknown,
                        notified=live.notified,
                        max_values=opts["max_values"],
                    )
                recording = rec.record(events, **options)
            summary = recording.summary()
            empty = recording.empty_reason()
            if empty is not None and live is not None and live.source != "netlink":
                empty += " (records came from the kernel log, not the audit stream: run as root)"
            if empty is not None and not opts["allow_empty"]:
                for line in summary:
                    click.echo(line, err=True)
                click.secho(
                    f"seccomp-kit record: nothing recorded: {empty}; no profile written"
                    " (--allow-empty writes one that allows nothing)",
                    err=True,
                    fg="red",
                )
                ctx.exit(3)
            if empty is not None:
                summary.append(f"WARNING: nothing recorded: {empty}; the profile allows nothing")
            _write(dumps(recording.profile), opts["out"])
            summary += _for_target(ctx, recording.profile, opts)
        if live is not None:
            summary.insert(0, f"recorded from {live.source}, audit session {live.session}")
            if live.overruns:
                status = 1
        for line in summary:
            if line.startswith(("LOST", "WARNING")):  # problems: printed even under --quiet
                click.secho(line, err=True, fg="red")
            else:
                note(line)
        if stats.lost:
            status = 1
    except SeccompKitError as exc:
        click.echo(f"seccomp-kit record: {exc}", err=True)
        ctx.exit(2)
    ctx.exit(status)
