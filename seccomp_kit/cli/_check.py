"""``seccomp-kit check``: what a profile does to a syscall, or to a recording of many.

Exit status: 0 when the syscall (every replayed event) is allowed (ALLOW or LOG), 1 when
something would be blocked, 2 for usage errors and unreadable input.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from seccomp_kit.cli._common import (
    Host,
    host_kernel,
    host_options,
    load_profile,
    parse_arch_value,
)
from seccomp_kit.errors import InputError, LoadError, ParseError, json_path
from seccomp_kit.match import DecidedBy, Matcher, Verdict
from seccomp_kit.model import Arch, Profile
from seccomp_kit.syscalls.arches import parse_arch

__all__ = ["command"]


def _number(text: str, what: str) -> int:
    try:
        # 0b and 64 binary digits is the longest 64-bit spelling: longer text is no argument.
        if len(text) > 70:
            raise ValueError(text)
        return int(text, 0)
    except ValueError:
        raise click.BadParameter(
            f"{what} {text[:40]!r} is not an integer (decimal, 0x.., 0o..)"
        ) from None


def _prepare(
    profile: Profile,
    host: Arch,
    target: dict[str, Any],
    *,
    caps: tuple[str, ...],
    kernel: str | None,
) -> Matcher:
    if profile.arch_map or any(r.includes or r.excludes for r in profile.syscalls):
        # moby's dialect: resolve for this host the way the engine would before the runtime
        from seccomp_kit.algebra.resolving import resolve

        profile = resolve(profile, arch=host, capabilities=caps, kernel=host_kernel(kernel))
    return Matcher(profile, arch=host, **target)


@click.command("check")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.argument("syscall", required=False)
@click.argument("args", nargs=-1)
@host_options
@click.option(
    "--abi",
    callback=parse_arch_value,
    metavar="ARCH",
    help="The calling process's architecture, e.g. x86 or x32 on an x86_64 host "
    "(default: the host's).",
)
@click.option(
    "--events",
    "events",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Replay a file of events: JSON lines {syscall, args, arch} or SCMP_ACT_LOG records.",
)
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@click.pass_context
def command(  # noqa: PLR0917 - click passes options as arguments
    ctx: click.Context,
    file: str,
    syscall: str | None,
    args: tuple[str, ...],
    abi: Arch | None,
    events: str | None,
    output: str,
    host: Host,
) -> None:
    """What the profile in FILE does to SYSCALL (a name or a number) with ARGs, or, with
    --events, to every event of a recording: the action and the rule that decides it."""
    if (syscall is None) == (events is None):
        raise click.UsageError("give either SYSCALL [ARG...] or --events FILE")
    if file == "-" and events == "-":
        raise click.UsageError("FILE and --events cannot both be - (standard input)")
    target = host.target(Matcher)
    original = load_profile(file)
    matcher = _prepare(original, host.native, target, caps=host.caps, kernel=host.kernel)
    if events is not None:
        ctx.exit(_replay(matcher, events, abi, output))
    assert syscall is not None
    if len(args) > 6:
        raise click.UsageError(f"a syscall has at most 6 arguments, got {len(args)}")
    values = tuple(_number(a, "argument") for a in args)
    call: str | int = syscall
    if (syscall.isascii() and syscall.lstrip("-").isdigit()) or syscall.lower().startswith("0x"):
        call = _number(syscall, "syscall")
    verdict = matcher.match(call, values, arch=abi)
    found = _original_location(original, verdict)
    if output == "json":
        data = _verdict_data(verdict, values)
        data["original_rule"] = None
        if found is not None:
            # The matcher ran on the resolved profile: say where the rule is in FILE.
            data["original_rule"], data["location"] = found
        click.echo(json.dumps(data, indent=2))
    else:
        shown = f" with args [{', '.join(hex(v & (2**64 - 1)) for v in values)}]" if values else ""
        lines = verdict.explain().splitlines()
        if found and len(lines) > 1 and " at " not in lines[1]:
            where = f"{found[0]} at {found[1]}"
            lines[1] = lines[1].replace(
                " (name ", f" of the resolved profile, from {where} (name ", 1
            )
        click.echo(lines[0].replace(": ", f"{shown}: ", 1))
        for line in lines[1:]:
            click.echo(line)
    ctx.exit(0 if verdict.allowed else 1)


def _original_location(original: Profile, v: Verdict) -> tuple[str, str] | None:
    """Where the deciding rule's name sits in the file (its JSON path and ``file:line:column``)
    when the matcher ran on a resolved (moby) profile, whose rule indices differ from the
    file's."""
    if v.rule is None or original.source is None or v.location() is not None:
        return None
    from seccomp_kit.io._positions import line_column, locate

    for i, rule in enumerate(original.syscalls):
        if v.rule.name in rule.names and set(v.rule.conditions) <= set(rule.args):
            path = ("syscalls", i, "names", rule.names.index(v.rule.name))
            offset = locate(original.source.text, path)
            if offset is None:
                return None
            line, column = line_column(original.source.text, offset)
            return json_path(path), f"{original.source.name}:{line}:{column}"
    return None


def _rule(v: Verdict) -> str | None:
    return None if v.rule_path is None else json_path(v.rule_path)


def _verdict_data(v: Verdict, args: tuple[int, ...] = ()) -> dict[str, Any]:
    return {
        "syscall": v.name,
        "nr": v.nr,
        "arch": v.arch.value,
        "args": list(args),
        "ret": v.ret,
        "action": v.action.value,
        "errno": v.errno,
        "data": v.data,
        "decided_by": v.decided_by.value,
        "rule": _rule(v),
        "location": v.location(),
        "allowed": v.allowed,
        "quirk": v.quirk,
    }


# -- replay -----------------------------------------------------------------------------------

Event = tuple[Arch | None, str | int, tuple[int, ...]]
Outcome = tuple[int, DecidedBy, str | None]  # (ret, decided_by, rule)


def _json_events(path: Path, lines: list[str]) -> Iterator[Event]:
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ParseError(f"not JSON: {exc.msg}", source=str(path), line=lineno) from None
        if not isinstance(data, dict) or "syscall" not in data:
            raise InputError(f"{where}: an event is an object with a 'syscall' key")
        call = data["syscall"]
        if isinstance(call, bool) or not isinstance(call, (str, int)):
            raise InputError(f"{where}: 'syscall' must be a name or a number")
        raw_args = data.get("args") or []
        if not isinstance(raw_args, list) or not all(
            isinstance(a, int) and not isinstance(a, bool) for a in raw_args
        ):
            raise InputError(f"{where}: 'args' must be a list of integers")
        arch = data.get("arch")
        try:
            parsed = None if arch is None else parse_arch(str(arch))
        except InputError as exc:
            raise InputError(f"{where}: {exc.message}") from None
        yield parsed, call, tuple(raw_args)


def _read_events(source: str) -> tuple[str, Iterator[Event]]:
    if source == "-":
        text = sys.stdin.read()
        path = Path("<stdin>")
    else:
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8", errors="surrogateescape")
        except OSError as exc:
            raise LoadError(f"cannot read events: {exc.strerror or exc}", source=source) from exc
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip()), "")
    if first.lstrip().startswith("{"):
        try:
            probe = json.loads(first)
        except json.JSONDecodeError:
            probe = None
        if isinstance(probe, dict) and "syscall" in probe:
            return "events", _json_events(path, lines)
    from seccomp_kit.audit import parse

    return "audit records", ((e.arch, e.syscall_nr, ()) for e in parse(lines))


def _replay(matcher: Matcher, source: str, abi: Arch | None, output: str) -> int:
    kind, stream = _read_events(source)
    verdicts: dict[tuple[Arch, int], Counter[Outcome]] = {}
    blocked_events: Counter[tuple[Arch, int]] = Counter()
    names: dict[tuple[Arch, int], str | None] = {}
    cache: dict[Event, tuple[Verdict, Outcome]] = {}
    total = 0
    for arch, call, args in stream:
        key = (arch or abi, call, args)
        hit = cache.get(key)
        if hit is None:
            v = matcher.match(call, args, arch=key[0])
            hit = cache[key] = (v, (v.ret, v.decided_by, _rule(v)))
        v, outcome = hit
        total += 1
        sk = (v.arch, v.nr)
        names[sk] = v.name
        verdicts.setdefault(sk, Counter())[outcome] += 1
        if not v.allowed:
            blocked_events[sk] += 1
    if total == 0:
        # A gate pointed at the wrong file must not pass: no events is an input error.
        click.echo(
            f"seccomp-kit check: {source}: no events to replay (no JSON event lines and no"
            " SECCOMP audit records)",
            err=True,
        )
        return 2
    rows = [
        (sk, outcomes.total(), blocked_events[sk], outcomes) for sk, outcomes in verdicts.items()
    ]
    rows.sort(key=lambda r: (-r[2], -r[1], r[0][1]))
    blocked_rows = [r for r in rows if r[2]]
    if output == "json":
        data = {
            "source": kind,
            "events": total,
            "blocked_events": sum(r[2] for r in rows),
            "syscalls": [
                {
                    "syscall": names[sk],
                    "nr": sk[1],
                    "arch": sk[0].value,
                    "events": n,
                    "blocked": blocked,
                    "outcomes": [
                        {
                            "ret": ret,
                            "action": Verdict(ret, by, arch=sk[0], nr=sk[1]).action_text(),
                            "decided_by": by.value,
                            "rule": rule,
                            "events": c,
                        }
                        for (ret, by, rule), c in outcomes.most_common()
                    ],
                }
                for sk, n, blocked, outcomes in rows
            ],
        }
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(
            f"{total} {kind}, {len(rows)} syscalls; {len(blocked_rows)} syscalls would be"
            f" blocked ({sum(r[2] for r in rows)} events)"
        )
        for sk, n, blocked, outcomes in blocked_rows:
            label = f"{names[sk] or 'syscall'} ({sk[1]})" if names[sk] else f"syscall {sk[1]}"
            click.echo(f"  BLOCKED {label} on {sk[0].value}: {blocked} of {n} events")
            for (ret, by, rule), c in outcomes.most_common():
                text = Verdict(ret, by, arch=sk[0], nr=sk[1]).action_text()
                why = rule if rule is not None else by.value
                click.echo(f"      {c:>6} x {text} by {why}")
        allowed = [r for r in rows if not r[2]]
        if allowed:
            click.echo(
                f"  allowed: {', '.join(names[sk] or str(sk[1]) for sk, *_ in allowed[:40])}"
                + (f" (+{len(allowed) - 40} more)" if len(allowed) > 40 else "")
            )
    return 1 if blocked_rows else 0
