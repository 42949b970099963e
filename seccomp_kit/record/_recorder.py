"""Least-privilege profiles from SCMP_ACT_LOG records: filter events, build, refine, record live.

The recorder allows exactly the syscalls the records show, by name, in the table of the
architecture each record came from (a 32-bit ``compat`` caller on x86_64 yields i386 names under
``SCMP_ARCH_X86``); everything else gets the default action (``SCMP_ACT_ERRNO`` with EPERM
unless told otherwise). Output is a canonical OCI profile (:func:`seccomp_kit.io.dumps`).

Several architectures: ``architectures`` lists every one seen, and the profile's one ALLOW
rule names the union of their syscalls. OCI rules cannot be limited to one architecture (a
name applies wherever it exists; runtimes skip names an architecture lacks), so a name recorded
on one architecture is also allowed on another that has it. :attr:`Recording.cross_arch` lists
exactly those extra permissions; record each architecture separately (``arches=``) when they
matter.

Runtime baselines (:data:`RUNTIME_BASELINES`) are the syscalls a container runtime itself
makes after it installs the filter and before the workload's ``execve`` completes; a profile
recorded outside a container needs them to work under that runtime.
"""

from __future__ import annotations

import datetime
import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import IO, TYPE_CHECKING, Any

import attrs

from seccomp_kit.audit import AuditEvent, AuditStats, TallyKey, action_for_code, parse, tally
from seccomp_kit.errors import InputError
from seccomp_kit.libseccomp.targets import target
from seccomp_kit.model import UINT32_MAX, Action, Arch, Dialect, Profile, SyscallRule
from seccomp_kit.numbers import decimal
from seccomp_kit.record._args import DEFAULT_MAX_VALUES, ArgInference, infer
from seccomp_kit.syscalls import table
from seccomp_kit.syscalls.arches import parse_arch
from seccomp_kit.syscalls.errnos import EPERM, errno_number

if TYPE_CHECKING:
    from seccomp_kit.algebra.diffing import ProfileDiff

__all__ = [
    "RUNTIME_BASELINES",
    "EventFilter",
    "Recording",
    "Refinement",
    "baseline_names",
    "build_profile",
    "parse_time",
    "record",
    "record_counts",
    "record_log",
    "refine",
]

# Each runtime's calls between installing the filter and the workload's execve completing.
# Measured (tools/measure_baselines.py; tests/record/test_baselines_real.py repeats it on every
# run): busybox's true in a container of each Debian build (runc 1.1.5 and 1.1.15, crun 1.8.1
# and 1.21) under defaultAction SCMP_ACT_LOG, the calls logged before the workload's own comm,
# with and without noNewPrivileges. Without it (the default of Kubernetes and Docker) both
# runtimes install the filter before they drop privileges, so setgroups, setuid/setresuid,
# capset and prctl follow it. The builds of one runtime agree (up to calls that only some runs
# make), so one set per runtime serves every modelled version.
_RUNC_MEASURED = frozenset(
    {
        "capget", "capset", "chdir", "close", "epoll_ctl", "execve", "faccessat2", "fcntl",
        "fstat", "fstatfs", "getcwd", "getdents64", "getpid", "getppid", "newfstatat", "openat",
        "prctl", "read", "rt_sigreturn", "setgid", "setgroups", "setuid", "write",
    }
)  # fmt: skip
# Also from runc's source (libcontainer/standard_init_linux.go, v1.1-v1.2), for paths the
# measurement does not take: sending a listener fd to the parent (sendmsg), close_range on newer
# kernels, and what the Go runtime may do at any moment (futex, nanosleep, sched_yield,
# epoll_pwait, rt_sigprocmask, sigaltstack, tgkill, gettid, mmap, munmap, madvise; exit and
# exit_group end a thread or the process on error).
_RUNC = _RUNC_MEASURED | frozenset(
    {
        "close_range", "epoll_pwait", "exit", "exit_group", "futex", "gettid", "madvise", "mmap",
        "munmap", "nanosleep", "rt_sigprocmask", "sched_yield", "sendmsg", "sigaltstack",
        "tgkill",
    }
)  # fmt: skip
_CRUN_MEASURED = frozenset(
    {
        "capset", "close", "close_range", "execve", "prctl", "rt_sigaction", "rt_sigprocmask",
        "setresgid", "setresuid", "write",
    }
)  # fmt: skip
# Also from crun's source (src/libcrun/container.c): capget, setgroups, chdir/fchdir, the sync
# socket's read, execveat for fexecve, exit_group on failure.
_CRUN = _CRUN_MEASURED | frozenset(
    {"capget", "chdir", "execveat", "exit_group", "fchdir", "read", "setgroups"}
)
_RET_USER_NOTIF = 0x7FC0_0000
RUNTIME_BASELINES: Mapping[str, frozenset[str]] = {"runc": _RUNC, "crun": _CRUN}
"""Syscalls each runtime makes after installing the filter, merged in with ``baseline=``
(``"runc"``, ``"crun"``, or a target such as ``"runc@1.1.5"``: see :func:`baseline_names`)."""


def parse_time(value: str | float | datetime.datetime) -> float:
    """Seconds since the epoch from a number, an ISO 8601 text (naive means UTC) or a datetime."""
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, datetime.datetime):
        moment = value
    else:
        text = value.strip()
        try:
            return float(text)
        except ValueError:
            pass
        try:
            moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise InputError(
                f"cannot read {value!r} as a time; use seconds since the epoch or ISO 8601"
                " (2026-11-24T21:30:00Z)"
            ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()


def _actions(values: Iterable[Action | str]) -> frozenset[Action]:
    out = set()
    for value in values:
        if isinstance(value, Action):
            out.add(value)
            continue
        text = value.upper()
        for candidate in (text, "SCMP_ACT_" + text):
            try:
                out.add(Action(candidate))
                break
            except ValueError:
                continue
        else:
            raise InputError(f"unknown action {value!r}; use e.g. SCMP_ACT_LOG or log")
    return frozenset(Action.KILL_THREAD if a is Action.KILL else a for a in out)


@attrs.frozen
class EventFilter:
    """Which events count. Empty sets mean "any"; every condition given must hold.

    ``since``/``until`` bound the time (inclusive, seconds since the epoch); events without a
    timestamp fail any time bound. ``actions`` defaults to every action but ALLOW.
    """

    pids: frozenset[int] = attrs.field(default=frozenset(), converter=frozenset)
    comms: frozenset[str] = attrs.field(default=frozenset(), converter=frozenset)
    exes: frozenset[str] = attrs.field(default=frozenset(), converter=frozenset)
    uids: frozenset[int] = attrs.field(default=frozenset(), converter=frozenset)
    since: float | None = None
    until: float | None = None
    actions: frozenset[Action] = attrs.field(default=frozenset(), converter=_actions)

    @property
    def plain(self) -> bool:
        """True when only the action decides (no pid, comm, exe, uid or time condition)."""
        return (
            not (self.pids or self.comms or self.exes or self.uids)
            and self.since is None
            and self.until is None
        )

    def code_wanted(self, code: int) -> bool:
        """Whether a record of this ``code=`` passes the action condition."""
        action = action_for_code(code)
        if self.actions:
            return action in self.actions
        return action is not Action.ALLOW

    def __call__(self, event: AuditEvent) -> bool:
        return self.rejecting(event) is None

    def rejecting(self, event: AuditEvent) -> str | None:
        """The first condition ``event`` fails, named as the CLI option (``--comm``...), or
        None when it passes."""
        if self.pids and event.pid not in self.pids:
            return "--pid"
        if self.comms and event.comm not in self.comms:
            return "--comm"
        if self.exes and event.exe not in self.exes:
            return "--exe"
        if self.uids and event.uid not in self.uids:
            return "--uid"
        if self.since is not None or self.until is not None:
            ts = event.timestamp
            if ts is None:
                return "--since/--until (no timestamp)"
            if self.since is not None and ts < self.since:
                return "--since"
            if self.until is not None and ts > self.until:
                return "--until"
        return None if self.code_wanted(event.code) else "--action"


@attrs.frozen
class Recording:
    """A recorded profile and what it was made from."""

    profile: Profile
    syscalls: Mapping[Arch, frozenset[str]]
    """Per architecture, the syscall names the records show (baseline not included)."""
    baseline: Mapping[Arch, frozenset[str]]
    """Per architecture, the names the baseline added beyond the records."""
    events: int
    """Events that passed the filter and went into the profile."""
    filtered_out: int
    unnamed: Mapping[tuple[Arch, int], int]
    """(architecture, number) -> count, for syscall numbers no table names (not allowed)."""
    stats: AuditStats | None = None
    filtered_by: Mapping[str, int] = attrs.field(factory=dict, eq=False)
    """Events filtered out, per condition that rejected them (``--comm``, ``--arch``...; "the
    filter" for a callable ``where``). An explanation, left out of comparisons."""
    arguments: ArgInference | None = None
    """The argument conditions inferred (None when no arguments were recorded)."""

    @property
    def empty(self) -> bool:
        """Nothing was recorded: the profile allows no syscall a workload could run with."""
        return self.events == 0

    def empty_reason(self) -> str | None:
        """Why nothing was recorded, in one sentence (None when something was)."""
        if self.events:
            return None
        stats = self.stats
        if self.filtered_out:
            which = ", ".join(
                f"{n} by {cond}"
                for cond, n in sorted(self.filtered_by.items(), key=lambda x: -x[1])
            )
            return f"all {self.filtered_out} events were filtered out ({which})"
        if stats is not None and stats.records:
            skipped = ", ".join(f"{n} {why}" for why, n in stats.skipped.most_common())
            return f"none of the {stats.records} SECCOMP records could be used ({skipped})"
        if stats is not None:
            return f"no SECCOMP records at all in the input ({stats.lines} lines read)"
        return "no events at all"

    @property
    def cross_arch(self) -> Mapping[Arch, frozenset[str]]:
        """Per architecture, names the profile allows there only because another architecture
        recorded them (an OCI rule's names apply on every architecture that has them)."""
        allowed = set().union(*self.syscalls.values(), *self.baseline.values())
        out = {}
        for arch in self.syscalls:
            own = self.syscalls[arch] | self.baseline.get(arch, frozenset())
            extra = frozenset(n for n in allowed - own if n in table(arch))
            if extra:
                out[arch] = extra
        return out

    def summary(self) -> list[str]:
        out = [f"events used: {self.events} (filtered out: {self.filtered_out})"]
        for arch, names in self.syscalls.items():
            added = len(self.baseline.get(arch, ()))
            extra = f" + {added} from the baseline" if added else ""
            out.append(f"{arch.value}: {len(names)} syscalls{extra}")
        for (arch, nr), count in sorted(self.unnamed.items()):
            out.append(
                f"WARNING: {arch.value} syscall {nr} has no name ({count} events): not allowed"
            )
        for arch, names in self.cross_arch.items():
            out.append(
                f"note: {arch.value} also allows {len(names)} names recorded only on other"
                f" architectures: {', '.join(sorted(names))}"
            )
        if self.arguments is not None:
            out.append(f"arguments: {len(self.arguments.constrained)} syscalls constrained")
            out += [f"  {line}" for line in self.arguments.report]
        if self.stats is not None:
            out[:0] = self.stats.summary()
        return out


def _errno(value: int | str | None) -> int:
    if value is None:
        return EPERM
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()):
            return errno_number(value)
        number = decimal(value, digits=10)
        if number is None or number > UINT32_MAX:
            shown = value if len(value) <= 20 else f"{value[:20]}... ({len(value)} digits)"
            raise InputError(f"errno {shown} is outside 0..{UINT32_MAX}")
        return number
    if not 0 <= value <= UINT32_MAX:
        shown = str(value) if value.bit_length() < 64 else "beyond 64 bits"
        raise InputError(f"errno {shown} is outside 0..{UINT32_MAX}")
    return value


def build_profile(
    syscalls: Mapping[Arch, Iterable[str]] | Mapping[str, Iterable[str]],
    *,
    default_action: Action | str = Action.ERRNO,
    default_errno: int | str | None = None,
    arguments: ArgInference | None = None,
) -> Profile:
    """A canonical profile that allows exactly ``syscalls`` (per architecture) and applies
    ``default_action`` to everything else (with ``default_errno``, EPERM by default, when the
    action takes one). With ``arguments``, the names it constrains are allowed only through
    its rules (which carry comments, so the profile is in moby's dialect)."""
    action = next(iter(_actions([default_action])))
    if action is Action.ALLOW:
        raise InputError("a recorded profile cannot default to SCMP_ACT_ALLOW: it would allow all")
    arches: dict[Arch, set[str]] = {}
    for arch, names in syscalls.items():
        arches.setdefault(parse_arch(arch), set()).update(names)
    order = list(Arch)
    ordered = sorted(arches, key=order.index)
    names = sorted(set().union(*arches.values())) if arches else []
    dialect = Dialect.OCI
    extra: tuple[SyscallRule, ...] = ()
    if arguments is not None:
        names = sorted((set(names) | arguments.added) - arguments.constrained)
        extra = arguments.rules
        dialect = Dialect.MOBY
    rules: tuple[SyscallRule, ...] = (
        (SyscallRule(names=names, action=Action.ALLOW),) if names else ()
    )
    errno_ret = _errno(default_errno) if action.takes_errno else None
    rules += tuple(
        r
        for r in extra
        if not (r.action == action and action.takes_errno and r.errno_ret == errno_ret)
    )
    return Profile(
        default_action=action,
        default_errno_ret=errno_ret,
        architectures=tuple(ordered),
        syscalls=rules,
        dialect=dialect,
    )


def baseline_names(baseline: str | Iterable[str] | None) -> frozenset[str]:
    """The names ``baseline=`` adds: a comma-separated list of runtimes, each ``runc`` or
    ``crun`` or a target of :func:`~seccomp_kit.libseccomp.targets.target` (``runc@1.1.5``,
    ``crun@1.21``: checked against the modelled versions, which share their runtime's set), or
    your own names as an iterable."""
    if baseline is None:
        return frozenset()
    if isinstance(baseline, str):
        out: set[str] = set()
        for part in baseline.split(","):
            key = part.strip().lower()
            name = key.partition("@")[0]
            if name not in RUNTIME_BASELINES:
                known = ", ".join(sorted(RUNTIME_BASELINES))
                raise InputError(
                    f"unknown runtime baseline {part.strip()[:40]!r}; known: {known}"
                    " (optionally @VERSION, e.g. runc@1.1.5)"
                )
            if "@" in key:
                target(key)  # an unmodelled version is an error listing the modelled ones
            out |= RUNTIME_BASELINES[name]
        return frozenset(out)
    return frozenset(baseline)


def record(
    events: Iterable[AuditEvent],
    *,
    where: EventFilter | Callable[[AuditEvent], bool] | None = None,
    default_action: Action | str = Action.ERRNO,
    default_errno: int | str | None = None,
    baseline: str | Iterable[str] | None = None,
    arches: Iterable[Arch | str] | None = None,
    stats: AuditStats | None = None,
    arguments: Mapping[str, Mapping[tuple[int, ...], int]] | None = None,
    max_values: int = DEFAULT_MAX_VALUES,
    clone3_unknown: int = 0,
    notified: Mapping[tuple[Arch, int], int] | None = None,
) -> Recording:
    """Build the least-privilege profile for the events that pass ``where``.

    ``notified`` adds calls a user-notification supervisor saw, per (architecture, number)
    (:attr:`LiveRecording.notified <seccomp_kit.record.LiveRecording.notified>`): they count
    as events of action ``SCMP_ACT_NOTIFY`` and pass ``where``'s action condition like them.

    ``arguments`` (per syscall, counts of its table arguments' values, as
    :attr:`LiveRecording.arguments <seccomp_kit.record.LiveRecording.arguments>` has them)
    adds argument conditions (:func:`seccomp_kit.record.infer_arguments`), at most
    ``max_values`` distinct values per syscall; ``clone3_unknown`` counts clone3 calls whose
    flags could not be read.

    ``baseline`` adds a runtime's post-filter syscalls (``"runc"``, ``"crun"``, a version such
    as ``"runc@1.1.5"``, several as ``"runc,crun"``, or your own names), on each recorded
    architecture where they exist.
    ``arches`` keeps only events of those architectures. ``stats`` (the parse's accounting) is
    carried into the result for reports.
    """
    keep = where if where is not None else EventFilter()
    options: dict[str, Any] = {
        "default_action": default_action,
        "default_errno": default_errno,
        "baseline": baseline,
        "stats": stats,
        "arguments": arguments,
        "max_values": max_values,
        "clone3_unknown": clone3_unknown,
    }
    extra: Counter[tuple[Arch, int, str | None, int]] = Counter()
    for (arch, nr), n in (notified or {}).items():
        extra[(arch, nr, table(arch).name(nr), _RET_USER_NOTIF)] += n
    if isinstance(keep, EventFilter) and keep.plain:
        # Only the action and architecture matter: count, and decide once per distinct key.
        counts = Counter((e.arch, e.syscall_nr, e.syscall, e.code) for e in events)
        return record_counts(counts + extra, where=keep, arches=arches, **options)
    only = None if arches is None else {parse_arch(a) for a in arches}
    kept: Counter[tuple[Arch, int, str | None, int]] = Counter()
    dropped: Counter[str] = Counter()
    for event in events:
        if only is not None and event.arch not in only:
            dropped["--arch"] += 1
            continue
        why = (
            keep.rejecting(event)
            if isinstance(keep, EventFilter)
            else (None if keep(event) else "the filter")
        )
        if why is not None:
            dropped[why] += 1
            continue
        kept[(event.arch, event.syscall_nr, event.syscall, event.code)] += 1
    for key, n in extra.items():
        if only is not None and key[0] not in only:
            dropped["--arch"] += n
        elif isinstance(keep, EventFilter) and not keep.code_wanted(key[3]):
            dropped["--action"] += n
        else:
            kept[key] += n
    return _from_counts(kept, dropped, **options)


def record_counts(
    counts: Mapping[TallyKey, int] | Mapping[tuple[Arch, int, str | None, int], int],
    *,
    where: EventFilter | None = None,
    default_action: Action | str = Action.ERRNO,
    default_errno: int | str | None = None,
    baseline: str | Iterable[str] | None = None,
    arches: Iterable[Arch | str] | None = None,
    stats: AuditStats | None = None,
    arguments: Mapping[str, Mapping[tuple[int, ...], int]] | None = None,
    max_values: int = DEFAULT_MAX_VALUES,
    clone3_unknown: int = 0,
) -> Recording:
    """:func:`record` from event counts (:func:`seccomp_kit.audit.tally`): the same
    :class:`Recording` the counted events give, for a ``where`` that looks only at the action
    (:attr:`EventFilter.plain`; pid, comm, exe, uid and time conditions need the events).
    Keys with a count of zero or less are ignored."""
    keep = where if where is not None else EventFilter()
    if not isinstance(keep, EventFilter) or not keep.plain:
        raise InputError(
            "event counts carry only architecture, syscall and action: filters on pid, comm,"
            " exe, uid or time need the events (use record() or record_log())"
        )
    wanted = keep.code_wanted
    only = None if arches is None else {parse_arch(a) for a in arches}
    kept: Counter[tuple[Arch, int, str | None, int]] = Counter()
    dropped: Counter[str] = Counter()
    for key, n in counts.items():
        if n <= 0:
            continue
        if only is not None and key[0] not in only:
            dropped["--arch"] += n
        elif not wanted(key[3]):
            dropped["--action"] += n
        else:
            kept[key] += n
    return _from_counts(
        kept,
        dropped,
        default_action=default_action,
        default_errno=default_errno,
        baseline=baseline,
        stats=stats,
        arguments=arguments,
        max_values=max_values,
        clone3_unknown=clone3_unknown,
    )


def record_log(
    source: str | os.PathLike[str] | IO[bytes] | IO[str] | Iterable[str | bytes],
    *,
    where: EventFilter | Callable[[AuditEvent], bool] | None = None,
    default_action: Action | str = Action.ERRNO,
    default_errno: int | str | None = None,
    baseline: str | Iterable[str] | None = None,
    arches: Iterable[Arch | str] | None = None,
    stats: AuditStats | None = None,
    dedupe: bool = True,
) -> Recording:
    """Record straight from a log (a path, an open file or lines, as for
    :func:`seccomp_kit.audit.parse`): the same :class:`Recording` as
    ``record(parse(source, stats=stats), ..., stats=stats)``, faster when ``where`` looks only
    at the action (the default), because then events are counted, not built
    (:func:`seccomp_kit.audit.tally`). The accounting goes to ``stats`` (a new
    :class:`AuditStats` if None) and into the result."""
    stats = AuditStats() if stats is None else stats
    options: dict[str, Any] = {
        "default_action": default_action,
        "default_errno": default_errno,
        "baseline": baseline,
        "arches": arches,
        "stats": stats,
    }
    keep = where if where is not None else EventFilter()
    if isinstance(keep, EventFilter) and keep.plain:
        return record_counts(tally(source, stats=stats, dedupe=dedupe), where=keep, **options)
    return record(parse(source, stats=stats, dedupe=dedupe), where=keep, **options)


def _from_counts(
    kept: Mapping[tuple[Arch, int, str | None, int], int],
    dropped: Mapping[str, int],
    *,
    default_action: Action | str,
    default_errno: int | str | None,
    baseline: str | Iterable[str] | None,
    stats: AuditStats | None,
    arguments: Mapping[str, Mapping[tuple[int, ...], int]] | None = None,
    max_values: int = DEFAULT_MAX_VALUES,
    clone3_unknown: int = 0,
) -> Recording:
    """The profile and report for the events kept, counted per (arch, number, name, code)
    (shared by the recorders)."""
    seen: dict[Arch, set[str]] = {}
    unnamed: Counter[tuple[Arch, int]] = Counter()
    for (arch, nr, name, _code), n in kept.items():
        names = seen.setdefault(arch, set())
        if name is None:
            unnamed[(arch, nr)] += n
        else:
            names.add(name)
    used = sum(kept.values())
    extra = baseline_names(baseline)
    added: dict[Arch, frozenset[str]] = {}
    for arch, names in seen.items():
        tbl = table(arch)
        add = frozenset(n for n in extra if n in tbl and n not in names)
        if add:
            added[arch] = add
    allowed = {arch: names | added.get(arch, frozenset()) for arch, names in seen.items()}
    inferred = None
    if arguments is not None:
        recorded = set().union(*seen.values()) if seen else set()
        inferred = infer(
            arguments,
            recorded,
            max_values=max_values,
            clone3_unknown=clone3_unknown,
            arches=seen,
        )
    profile = build_profile(
        allowed, default_action=default_action, default_errno=default_errno, arguments=inferred
    )
    return Recording(
        profile=profile,
        syscalls={a: frozenset(seen[a]) for a in profile.architectures if isinstance(a, Arch)},
        baseline=added,
        events=used,
        filtered_out=sum(dropped.values()),
        unnamed=dict(unnamed),
        stats=stats,
        filtered_by=dict(dropped),
        arguments=inferred,
    )


@attrs.frozen
class Refinement:
    """An existing profile with the syscalls its LOG records show blocked added."""

    before: Profile
    after: Profile
    added: Mapping[Arch, frozenset[str]]
    """Per architecture, the names the refinement allows that were denied."""
    diff: ProfileDiff | None
    """The semantic difference (None only when :mod:`seccomp_kit.algebra.diffing` is
    unavailable)."""

    def to_text(self) -> str:
        if self.diff is not None:
            return self.diff.to_text()
        lines = []
        for arch, names in self.added.items():
            lines.append(f"{arch.value}:\n")
            lines.extend(f"  + {name}: newly allowed\n" for name in sorted(names))
        return "".join(lines) or "no difference in effect\n"


def _plain_allow(rule: SyscallRule) -> bool:
    return rule.action == Action.ALLOW and not (rule.args or rule.includes or rule.excludes)


def _unconditional_allows(profile: Profile) -> set[str]:
    return {name for rule in profile.syscalls if _plain_allow(rule) for name in rule.names}


def refine(
    profile: Profile,
    events: Iterable[AuditEvent],
    *,
    where: EventFilter | Callable[[AuditEvent], bool] | None = None,
) -> Refinement:
    """Allow what ``profile`` blocked, as its records show (a profile with
    ``SECCOMP_FILTER_FLAG_LOG`` logs its denials; a LOG default logs what it would deny).

    Blocked names are added to the first unconditional ALLOW rule (or a new one); a name that
    was allowed only under argument conditions becomes allowed outright, and the diff says so.
    Records of ALLOW are ignored (they only appear when ALLOW is logged on purpose).
    """
    keep = where if where is not None else EventFilter()
    already = _unconditional_allows(profile)
    blocked: dict[Arch, set[str]] = {}
    for event in events:
        if event.syscall is None or not keep(event):
            continue
        if action_for_code(event.code) is Action.ALLOW:
            continue
        if event.syscall not in already:
            blocked.setdefault(event.arch, set()).add(event.syscall)
    new_names = set().union(*blocked.values()) if blocked else set()
    after = _add_allowed(profile, new_names, blocked)
    diff = None
    try:
        from seccomp_kit.algebra.diffing import diff as semantic_diff
    except ImportError:  # pragma: no cover - the diff module ships with the package
        pass
    else:
        diff = semantic_diff(profile, after)
    return Refinement(
        before=profile,
        after=after,
        added={a: frozenset(n) for a, n in blocked.items()},
        diff=diff,
    )


def _add_allowed(profile: Profile, names: set[str], arches: Mapping[Arch, Any]) -> Profile:
    if not names:
        return profile
    rules = list(profile.syscalls)
    for i, rule in enumerate(rules):
        if _plain_allow(rule):
            merged = sorted(set(rule.names) | names)
            rules[i] = attrs.evolve(rule, names=merged, legacy_name=False)
            break
    else:
        rules.append(SyscallRule(names=sorted(names), action=Action.ALLOW))
    listed = list(profile.architectures)
    if listed or profile.arch_map:
        known = set(profile.all_architectures())
        listed += [a for a in sorted(arches, key=list(Arch).index) if a not in known]
    return attrs.evolve(profile, syscalls=tuple(rules), architectures=tuple(listed))
