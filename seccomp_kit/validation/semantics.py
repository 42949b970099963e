"""The checks a JSON Schema cannot express, per runtime (runc, crun, or the OCI spec's word).

Each check has a stable code (see :data:`CODES` and the "Diagnostic codes" table of
docs/validation.md).
Where runc and crun treat a profile differently the message says which does what. The facts
behind each check are in DESIGN.md §2-3; syscall names are looked up in
:mod:`seccomp_kit.syscalls`, not in the installed libseccomp.

Why one file of this length: the checks are one pass of one checker (:class:`_Checker`) over the
profile, sharing what earlier checks learned (names seen per architecture, the rules that may
meet on a syscall); split across modules, that state would have to travel between them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Literal

import attrs

from seccomp_kit import syscalls
from seccomp_kit.diagnostics import Diagnostic, Severity
from seccomp_kit.errors import InputError, JSONPath, excerpt
from seccomp_kit.model import (
    UINT32_MAX,
    Action,
    Arch,
    ArgCondition,
    CapFilter,
    Flag,
    Operator,
    Profile,
    SyscallRule,
)
from seccomp_kit.numbers import kernel_release
from seccomp_kit.numbers import min_kernel as moby_min_kernel
from seccomp_kit.syscalls.arches import RUNC_UNSUPPORTED, arch_info, by_native, native_arch
from seccomp_kit.syscalls.capabilities import CAPABILITIES
from seccomp_kit.syscalls.errnos import EPERM, errno_number
from seccomp_kit.validation._conflicts import MAX_COMPARED, Earlier

__all__ = [
    "CODES",
    "RUNTIMES",
    "Runtime",
    "parse_kernel",
    "semantic_checks",
]

Runtime = Literal["runc", "crun", "oci"]
RUNTIMES: tuple[Runtime, ...] = ("runc", "crun", "oci")

CODES: dict[str, str] = {
    "SK001": "a value has the wrong JSON type (null where runc/crun read it as absent: warning)",
    "SK002": "a required field is missing",
    "SK003": "an integer is outside its range (uint32 / uint64)",
    "SK004": "an array that must not be empty is empty",
    "SK005": "a value is not one of the allowed ones",
    "SK006": "another schema violation",
    "SK007": "the document is not a seccomp profile",
    "SK008": "the document cannot be read as a profile",
    "SK101": "unknown action",
    "SK102": "unknown architecture",
    "SK103": "unknown operator",
    "SK104": "unknown flag",
    "SK105": "unknown key (kept, ignored by runtimes)",
    "SK106": "unknown errno name (containers/common)",
    "SK107": "unknown capability in includes/excludes",
    "SK108": "includes/excludes architecture is not a native name",
    "SK110": "syscall name unknown on the profile's architectures (runtimes ignore it)",
    "SK111": "syscall newer than the target kernel",
    "SK120": "syscall name the target's libseccomp cannot resolve: dropped, the default applies",
    "SK201": "errnoRet on an action that takes none",
    "SK202": "defaultErrnoRet on a default action that takes none",
    "SK203": "errno value the runtime changes (only its low 16 bits are passed)",
    "SK204": "errno 0: the syscall is skipped and reports success",
    "SK205": "errno name and errnoRet disagree",
    "SK206": "errno libseccomp refuses (4095 or more after the 16-bit cut): the runtime fails",
    "SK210": "SCMP_ACT_NOTIFY as the default action",
    "SK211": "SCMP_ACT_NOTIFY on write",
    "SK212": "SCMP_ACT_NOTIFY without listenerPath",
    "SK213": "listenerMetadata without listenerPath",
    "SK301": "argument index above 5",
    "SK303": "repeated argument index: the rule's conditions are OR-ed",
    "SK304": "value wider than 32 bits on a 32-bit architecture",
    "SK305": "more than six conditions in one rule (crun reads only six)",
    "SK306": "valueTwo on an operator other than SCMP_CMP_MASKED_EQ",
    "SK401": "rule action equals the default action (runtimes drop the rule)",
    "SK402": "two unconditional rules with different actions: libseccomp keeps the first",
    "SK403": "an unconditional rule replaces earlier conditional rules",
    "SK404": "a conditional rule after an unconditional one is dropped",
    "SK405": "identical conditions with another action: libseccomp refuses the profile",
    "SK406": "redundant rule (same syscall, action and conditions)",
    "SK407": "overlapping conditional rules with different actions",
    "SK410": "allowlist lacks exit_group / exit",
    "SK411": "allowlist that allows no syscall at all: nothing can run, not even exit",
    "SK501": "both architectures and archMap",
    "SK502": "both name and names",
    "SK503": "malformed minKernel",
    "SK504": "architecture runc does not support",
    "SK505": "the target runtime or its libseccomp refuses the profile",
}
"""Every diagnostic code with a one-line summary."""


_CAPS = frozenset(CAPABILITIES)
# At most nine digits a part (numbers.kernel_release): int() never sees a hostile length.
_KERNEL_ARG = re.compile(r"\A([0-9]{1,9})\.([0-9]{1,9})(?:\.[0-9]+)?(?:[-+~].*)?\Z")
_MAX_ERRNO = 4095
_PROFILE_KEYS = (
    "defaultAction", "defaultErrnoRet", "defaultErrno", "architectures", "archMap", "flags",
    "listenerPath", "listenerMetadata", "syscalls",
)  # fmt: skip
_RULE_KEYS = (
    "names", "name", "action", "errnoRet", "errno", "args", "comment", "includes", "excludes",
)  # fmt: skip
_MAX_LISTED = 6


def parse_kernel(value: str | tuple[int, int] | None) -> tuple[int, int] | None:
    """``"5.10"``, ``"6.1.12-arch1"`` or ``(5, 10)`` to ``(major, minor)``."""
    if value is None or isinstance(value, tuple):
        return value
    match = _KERNEL_ARG.match(value.strip())
    if not match:
        raise InputError(
            f"kernel version {excerpt(value)} is not of the form X.Y (for example 5.10)"
        )
    return int(match.group(1)), int(match.group(2))


def _close(word: str, options: Iterable[str], cutoff: float = 0.6) -> str | None:
    found = difflib.get_close_matches(word, list(options), n=1, cutoff=cutoff)
    return f"did you mean {found[0]!r}?" if found else None


def _listing(items: Sequence[str]) -> str:
    shown = ", ".join(items[:_MAX_LISTED])
    return shown + (f" and {len(items) - _MAX_LISTED} more" if len(items) > _MAX_LISTED else "")


def _name_path(rule: SyscallRule, i: int, j: int) -> JSONPath:
    if rule.legacy_name:
        return ("syscalls", i, "name")
    return ("syscalls", i, "names", j)


@attrs.frozen
class _Entry:
    """One rule as libseccomp receives it for one syscall (after runtimes' OR expansion)."""

    rule: int
    action: tuple[str, int | None]
    conds: frozenset[tuple[int, str, int, int]]


class _Checker:
    def __init__(
        self,
        profile: Profile,
        runtime: str,
        arch: Arch | None,
        kernel: tuple[int, int] | None,
    ) -> None:
        self.p = profile
        self.runtime = runtime
        self.kernel = kernel
        self.out: list[Diagnostic] = []
        known = [a for a in profile.all_architectures() if isinstance(a, Arch)]
        if arch is not None:
            self.arches: tuple[Arch, ...] = (arch,)
        elif known:
            self.arches = tuple(known)
        else:
            # No architectures: runtimes build the filter for the native one only.
            self.arches = (native_arch(),)
        # Without listed architectures a profile is meant for whatever machine runs it.
        self.portable = not known
        self.default_errno = self._errno_of(
            profile.default_errno_ret, profile.default_errno_name, EPERM
        )

    # -- helpers ----------------------------------------------------------------------------

    def add(
        self,
        severity: Severity,
        code: str,
        message: str,
        path: JSONPath = (),
        suggestion: str | None = None,
    ) -> None:
        self.out.append(Diagnostic(severity, code, message, path, suggestion=suggestion))

    def by_runtime(self, runc: Severity | None, crun: Severity | None, oci: Severity) -> Severity:
        chosen = {"runc": runc, "crun": crun, "oci": oci}[self.runtime]
        return oci if chosen is None else chosen

    @staticmethod
    def _errno_of(number: int | None, name: str | None, default: int | None) -> int | None:
        if name is not None:
            try:
                return errno_number(name)
            except InputError:
                return number if number is not None else default
        return number if number is not None else default

    def action_key(self, action: Action, errno: int | None) -> tuple[str, int | None]:
        """What libseccomp receives: the action and, for ERRNO/TRACE, its 16-bit data."""
        if action.takes_errno:
            value = EPERM if errno is None else errno
            return (action.value, value & 0xFFFF)
        if action is Action.KILL:
            action = Action.KILL_THREAD  # the same kernel action
        return (action.value, None)

    def default_key(self) -> tuple[str, int | None] | None:
        if not isinstance(self.p.default_action, Action):
            return None
        return self.action_key(self.p.default_action, self.default_errno)

    # -- checks -----------------------------------------------------------------------------

    def run(self) -> list[Diagnostic]:
        self.top_level()
        self.architectures()
        for i, rule in enumerate(self.p.syscalls):
            self.rule(i, rule)
        self.conflicts()
        self.exit_calls()
        return self.out

    def top_level(self) -> None:
        p = self.p
        if not isinstance(p.default_action, Action):
            self.add(
                Severity.ERROR,
                "SK101",
                f"unknown action {p.default_action!r}",
                ("defaultAction",),
                _close(p.default_action, [a.value for a in Action]),
            )
        for key, _ in p.extras:
            self.add(
                Severity.WARNING,
                "SK105",
                f"unknown key {key!r}: runtimes ignore it",
                (key,),
                _close(key, _PROFILE_KEYS, 0.75),
            )
        for i, flag in enumerate(p.flags):
            if not isinstance(flag, Flag):
                self.add(
                    Severity.ERROR,
                    "SK104",
                    f"unknown flag {flag!r}",
                    ("flags", i),
                    _close(flag, [f.value for f in Flag]),
                )
        action = p.default_action
        if (
            p.default_errno_ret is not None
            and isinstance(action, Action)
            and not action.takes_errno
        ):
            self.add(
                self.by_runtime(Severity.WARNING, Severity.ERROR, Severity.ERROR),
                "SK202",
                f"defaultErrnoRet on {action.value}, which takes no errno: runc ignores it,"
                " crun refuses the profile, the OCI spec says it must fail",
                ("defaultErrnoRet",),
                "remove defaultErrnoRet or use SCMP_ACT_ERRNO",
            )
        if isinstance(action, Action):
            self.errno_value(
                action,
                p.default_errno_ret,
                p.default_errno_name,
                ("defaultErrnoRet",),
                ("defaultErrno",),
            )
        if action is Action.NOTIFY:
            self.add(
                self.by_runtime(Severity.ERROR, Severity.WARNING, Severity.WARNING),
                "SK210",
                "SCMP_ACT_NOTIFY as the default action: runc refuses it; elsewhere every"
                " syscall not listed, including the runtime's own after the filter is loaded,"
                " waits for the supervisor",
                ("defaultAction",),
            )
        uses_notify = action is Action.NOTIFY or any(r.action is Action.NOTIFY for r in p.syscalls)
        if uses_notify and p.listener_path is None:
            where: JSONPath = ("defaultAction",)
            if action is not Action.NOTIFY:
                first = next(i for i, r in enumerate(p.syscalls) if r.action is Action.NOTIFY)
                where = ("syscalls", first, "action")
            self.add(
                self.by_runtime(Severity.ERROR, Severity.WARNING, Severity.WARNING),
                "SK212",
                "SCMP_ACT_NOTIFY without listenerPath: no supervisor receives the notification"
                " fd; runc refuses the profile, crun loads it and the kernel then fails every"
                " notified syscall with ENOSYS",
                where,
                "set listenerPath to the supervisor's UNIX socket",
            )
        if p.listener_metadata is not None and p.listener_path is None:
            self.add(
                Severity.ERROR,
                "SK213",
                "listenerMetadata without listenerPath: the OCI spec forbids it (there is no"
                " listener to send it to)",
                ("listenerMetadata",),
                "set listenerPath or remove listenerMetadata",
            )

    def architectures(self) -> None:
        p = self.p
        if p.architectures and p.arch_map:
            self.add(
                Severity.ERROR,
                "SK501",
                "both architectures and archMap: moby and containers/common refuse the profile",
                ("archMap",),
                "keep one of them",
            )
        places: list[tuple[Arch | str, JSONPath]] = [
            (a, ("architectures", i)) for i, a in enumerate(p.architectures)
        ]
        for i, entry in enumerate(p.arch_map):
            places.append((entry.architecture, ("archMap", i, "architecture")))
            places.extend(
                (s, ("archMap", i, "subArchitectures", j))
                for j, s in enumerate(entry.sub_architectures)
            )
        reported: set[str] = set()
        for value, path in places:
            if not isinstance(value, Arch):
                self.add(
                    Severity.ERROR,
                    "SK102",
                    f"unknown architecture {value!r}",
                    path,
                    _arch_hint(value),
                )
            elif (
                self.runtime == "runc" and value in RUNC_UNSUPPORTED and value.value not in reported
            ):
                reported.add(value.value)
                if path[0] == "archMap":
                    # The engine hands runc only the host's entry: only such hosts fail.
                    self.add(
                        Severity.WARNING,
                        "SK504",
                        f"{value.value}: runc does not support this architecture; on such a"
                        " host runc refuses the profile (crun passes it to libseccomp)",
                        path,
                    )
                else:
                    self.add(
                        Severity.ERROR,
                        "SK504",
                        f"{value.value}: runc does not support this architecture and refuses"
                        " the profile (crun passes it to libseccomp)",
                        path,
                    )

    def errno_value(
        self,
        action: Action,
        number: int | None,
        name: str | None,
        number_path: JSONPath,
        name_path: JSONPath,
    ) -> None:
        if name is not None:
            try:
                named = errno_number(name)
            except InputError as exc:
                self.add(
                    Severity.ERROR,
                    "SK106",
                    f"unknown errno name {name!r}: containers/common refuses the profile",
                    name_path,
                    exc.message.partition("; ")[2] or None,
                )
                return
            if number is not None and number != named:
                self.add(
                    Severity.WARNING,
                    "SK205",
                    f"errno {name} ({named}) and the number {number} disagree:"
                    f" containers/common uses {name}",
                    number_path,
                    f"write {named} or drop the number",
                )
            number = named
            number_path = name_path
        if number is None or action is not Action.ERRNO:
            return
        seen = min(number & 0xFFFF, _MAX_ERRNO)
        if number == 0:
            self.add(
                Severity.WARNING,
                "SK204",
                "errno 0: the kernel skips the syscall and returns 0, so callers believe it"
                " succeeded",
                number_path,
            )
        elif (number & 0xFFFF) >= _MAX_ERRNO:
            # libseccomp's action check refuses SCMP_ACT_ERRNO(x) for x >= 4095 (EINVAL), so
            # runc and crun fail to start the container; the spec alone says nothing.
            cut = " (runtimes pass only its low 16 bits)" if number > 0xFFFF else ""
            self.add(
                self.by_runtime(Severity.ERROR, Severity.ERROR, Severity.WARNING),
                "SK206",
                f"errno {number}{cut}: libseccomp refuses SCMP_ACT_ERRNO with {number & 0xFFFF}"
                " (EINVAL: 4094 is the largest it accepts), so runc and crun fail to load the"
                " filter",
                number_path,
                "use an errno between 1 and 4094",
            )
        elif seen != number:
            result = (
                "the syscall is skipped and reports success (errno 0)"
                if seen == 0
                else f"callers see errno {seen}"
            )
            self.add(
                Severity.WARNING,
                "SK203",
                f"errno {number}: runtimes pass only its low 16 bits; {result}",
                number_path,
                "use an errno between 1 and 4094",
            )

    def rule(self, i: int, rule: SyscallRule) -> None:
        base: JSONPath = ("syscalls", i)
        action = rule.action
        if not isinstance(action, Action):
            self.add(
                Severity.ERROR,
                "SK101",
                f"unknown action {action!r}",
                (*base, "action"),
                _close(action, [a.value for a in Action]),
            )
        for key, _ in rule.extras:
            if key == "name":
                self.add(
                    Severity.ERROR,
                    "SK502",
                    "both name and names: moby refuses the rule",
                    (*base, "name"),
                    "move the name into names",
                )
                continue
            self.add(
                Severity.WARNING,
                "SK105",
                f"unknown key {key!r}: runtimes ignore it",
                (*base, key),
                _close(key, _RULE_KEYS, 0.75),
            )
        if isinstance(action, Action):
            if not action.takes_errno and (
                rule.errno_ret is not None or rule.errno_name is not None
            ):
                # containers/common turns an errno name into errnoRet: the same problem.
                key = "errnoRet" if rule.errno_ret is not None else "errno"
                self.add(
                    self.by_runtime(Severity.WARNING, Severity.ERROR, Severity.ERROR),
                    "SK201",
                    f"{key} on {action.value}, which takes no errno: runc ignores it, crun"
                    " refuses the profile, the OCI spec says it must fail",
                    (*base, key),
                    f"remove {key} or use SCMP_ACT_ERRNO",
                )
            self.errno_value(
                action, rule.errno_ret, rule.errno_name, (*base, "errnoRet"), (*base, "errno")
            )
            if action is Action.NOTIFY and "write" in rule.names:
                j = rule.names.index("write")
                self.add(
                    self.by_runtime(Severity.ERROR, Severity.WARNING, Severity.WARNING),
                    "SK211",
                    "SCMP_ACT_NOTIFY on write: runc refuses it; elsewhere the runtime's own"
                    " writes after loading the filter can deadlock on the supervisor",
                    _name_path(rule, i, j),
                )
            effective = self.action_key(
                action, self._errno_of(rule.errno_ret, rule.errno_name, None)
            )
            if effective == self.default_key():
                self.add(
                    Severity.INFO,
                    "SK401",
                    f"the action equals the default action ({_show(effective)}): runc and crun drop"
                    " this rule",
                    (*base, "action"),
                )
        self.args(i, rule)
        self.cap_filters(i, rule)
        self.names(i, rule)

    def args(self, i: int, rule: SyscallRule) -> None:
        base: JSONPath = ("syscalls", i, "args")
        counts: dict[int, int] = {}
        narrow = [a for a in self.rule_arches(rule) if arch_info(a).is_32bit]
        for k, arg in enumerate(rule.args):
            counts[arg.index] = counts.get(arg.index, 0) + 1
            if arg.index > 5:
                self.add(
                    Severity.ERROR,
                    "SK301",
                    f"argument index {arg.index}: syscalls have six arguments (0..5); runc and"
                    " crun refuse the profile",
                    (*base, k, "index"),
                )
            if not isinstance(arg.op, Operator):
                self.add(
                    Severity.ERROR,
                    "SK103",
                    f"unknown operator {arg.op!r}",
                    (*base, k, "op"),
                    _close(arg.op, [o.value for o in Operator]),
                )
            elif arg.op is not Operator.MASKED_EQ and arg.value_two not in (None, 0):
                self.add(
                    Severity.INFO,
                    "SK306",
                    f"valueTwo is used only by SCMP_CMP_MASKED_EQ; {arg.op.value} ignores it",
                    (*base, k, "valueTwo"),
                )
            if narrow:
                self.wide_values(arg, (*base, k), narrow)
        repeated = sorted(ix for ix, n in counts.items() if n > 1)
        if repeated:
            self.add(
                Severity.WARNING,
                "SK303",
                f"argument index {', '.join(map(str, repeated))} appears more than once: runc"
                " and crun then add every condition of this rule as a rule of its own, so it"
                " matches when ANY condition holds (OR), not all of them (AND)",
                ("syscalls", i, "args"),
                "split the rule into one rule per alternative to say what you mean",
            )
        if len(rule.args) > 6:
            self.add(
                Severity.WARNING if self.runtime == "crun" else Severity.INFO,
                "SK305",
                f"{len(rule.args)} conditions: crun reads only the first six and ignores the"
                " rest; runc uses all of them",
                ("syscalls", i, "args", 6),
            )

    def wide_values(self, arg: ArgCondition, path: JSONPath, narrow: Sequence[Arch]) -> None:
        names = _listing([a.value for a in narrow])
        for field, value in (("value", arg.value), ("valueTwo", arg.value_two)):
            if value is not None and value > UINT32_MAX:
                self.add(
                    Severity.WARNING,
                    "SK304",
                    f"{field} {value:#x} is wider than 32 bits: on {names} libseccomp compares"
                    f" only the low 32 bits ({value & UINT32_MAX:#x})",
                    (*path, field),
                )

    def cap_filters(self, i: int, rule: SyscallRule) -> None:
        for key, flt in (("includes", rule.includes), ("excludes", rule.excludes)):
            base: JSONPath = ("syscalls", i, key)
            effect = "the rule never applies" if key == "includes" else "it never excludes"
            for j, cap in enumerate(flt.caps):
                if cap not in _CAPS:
                    self.add(
                        Severity.WARNING,
                        "SK107",
                        f"unknown capability {cap!r}: {effect}",
                        (*base, "caps", j),
                        _close(cap.upper() if cap.isalpha() else cap, CAPABILITIES, 0.7)
                        or _close("CAP_" + cap.upper(), CAPABILITIES, 0.7),
                    )
            for j, name in enumerate(flt.arches):
                info = by_native(name)
                if info is not None and info.native == name:
                    continue
                hint = None
                if info is not None:
                    hint = f"write {info.native!r}"
                else:
                    try:
                        hint = f"write {arch_info(name).native!r}"
                    except InputError:
                        hint = _arch_hint(name, native=True)
                self.add(
                    Severity.WARNING,
                    "SK108",
                    f"{name!r} is not a native architecture name (amd64, arm64, x86, ...):"
                    f" moby compares against those, so {effect}",
                    (*base, "arches", j),
                    hint,
                )
            if flt.min_kernel and moby_min_kernel(flt.min_kernel) is None:
                self.add(
                    Severity.ERROR,
                    "SK503",
                    f"minKernel {excerpt(flt.min_kernel)} is not of the form"
                    ' "X.Y" with each part 0..255 (and not 0.0): moby refuses the profile',
                    (*base, "minKernel"),
                )

    def rule_arches(self, rule: SyscallRule) -> tuple[Arch, ...]:
        """The architectures a rule applies to, after moby's includes/excludes arches."""
        arches = self.arches
        if rule.includes.arches:
            wanted = {i.arch for n in rule.includes.arches if (i := by_native(n)) is not None}
            arches = tuple(a for a in arches if a in wanted) or tuple(
                a for a in Arch if a in wanted
            )
        if rule.excludes.arches:
            unwanted = {i.arch for n in rule.excludes.arches if (i := by_native(n)) is not None}
            arches = tuple(a for a in arches if a not in unwanted)
        return arches

    def names(self, i: int, rule: SyscallRule) -> None:
        arches = self.rule_arches(rule)
        if not arches:
            return
        tables = [syscalls.table(a) for a in arches]
        min_kernel = None
        if rule.includes.min_kernel is not None:
            min_kernel = kernel_release(rule.includes.min_kernel, exact=True)
        all_names = syscalls.all_names()
        where = _listing([a.value for a in arches])
        elsewhere: list[tuple[int, str]] = []
        newer: list[tuple[int, str, tuple[int, int]]] = []
        for j, name in enumerate(rule.names):
            path = _name_path(rule, i, j)
            if not any(name in t for t in tables):
                if name not in all_names:
                    hint = syscalls.suggest(name)
                    self.add(
                        Severity.WARNING,
                        "SK110",
                        f"unknown syscall {name!r}: runtimes ignore it",
                        path,
                        f"did you mean {hint!r}?" if hint else None,
                    )
                elif self.portable:
                    elsewhere.append((j, name))
                else:
                    self.add(
                        Severity.WARNING,
                        "SK110",
                        f"{name!r} is not a syscall on {where}: runtimes ignore it there",
                        path,
                    )
                continue
            if self.kernel is None or (min_kernel is not None and min_kernel > self.kernel):
                continue
            added = [
                v
                for a, t in zip(arches, tables, strict=True)
                if name in t and (v := syscalls.kernel_version(name, a)) is not None
            ]
            if added and min(added) > self.kernel:
                newer.append((j, name, min(added)))
        if newer:
            kernel = f"{self.kernel[0]}.{self.kernel[1]}"  # type: ignore[index]
            listed = [f"{n} ({v[0]}.{v[1]})" for _, n, v in newer]
            self.add(
                Severity.INFO,
                "SK111",
                f"{_listing(listed)}: added after Linux {kernel}; on that kernel they answer"
                " ENOSYS whatever the rule says",
                _name_path(rule, i, newer[0][0]),
            )
        if elsewhere:
            names = [n for _, n in elsewhere]
            self.add(
                Severity.INFO,
                "SK110",
                f"{_listing(names)}: not syscalls on {where}, where runtimes ignore them; the"
                " profile lists no architectures, so these serve other machines",
                _name_path(rule, i, elsewhere[0][0]),
            )

    # -- how libseccomp combines the rules ----------------------------------------------------

    def entries(self, i: int, rule: SyscallRule) -> Iterator[_Entry]:
        if not isinstance(rule.action, Action):
            return
        if any(not isinstance(a.op, Operator) or a.index > 5 for a in rule.args):
            return
        key = self.action_key(rule.action, self._errno_of(rule.errno_ret, rule.errno_name, None))
        if key == self.default_key():
            return  # dropped by the runtime (SK401)
        args = rule.args[:6] if self.runtime == "crun" else rule.args
        conds = [
            (
                a.index,
                str(a.op),
                a.value,
                a.effective_value_two if a.op is Operator.MASKED_EQ else 0,
            )
            for a in args
        ]
        if len({c[0] for c in conds}) != len(conds):
            for cond in conds:  # the runtimes' OR expansion
                yield _Entry(i, key, frozenset([cond]))
        else:
            yield _Entry(i, key, frozenset(conds))

    def conflicts(self) -> None:
        by_name: dict[str, list[_Entry]] = {}
        for i, rule in enumerate(self.p.syscalls):
            entries = list(self.entries(i, rule))
            for name in rule.names:
                by_name.setdefault(name, []).extend(entries)
        found: dict[tuple[str, int, int], list[str]] = {}
        rules = self.p.syscalls
        for name, entries in by_name.items():
            seen: set[tuple[str, int, int]] = set()
            # Earlier entries per includes/excludes signature (rules of one signature apply
            # on the same hosts), each compared through its bounded index, not pairwise.
            groups: dict[tuple[CapFilter, CapFilter], Earlier[_Entry]] = {}
            for b in entries:
                rb = rules[b.rule]
                mine = (rb.includes, rb.excludes)
                for signature, earlier in list(groups.items())[:MAX_COMPARED]:
                    for a in earlier.candidates(b):
                        ra = rules[a.rule]
                        if signature != mine and not _may_coexist(ra, rb):
                            break
                        code = _pair_code(a, b)
                        if code is None:
                            continue
                        if code == "SK406" and not _applies_wherever(ra, rb):
                            continue  # b adds the syscall on hosts where a does not apply
                        key = (code, a.rule, b.rule)
                        if key not in seen:
                            seen.add(key)
                            found.setdefault(key, []).append(name)
                groups.setdefault(mine, Earlier()).add(b)
        for (code, first, later), names in sorted(
            found.items(), key=lambda kv: (kv[0][2], kv[0][1])
        ):
            self.conflict(code, first, later, names)

    def conflict(self, code: str, a: int, b: int, names: list[str]) -> None:
        rules = self.p.syscalls
        ra, rb = rules[a], rules[b]
        what = f"{_listing(names)}"
        first = f"$.syscalls[{a}] ({ra.action})"
        if a == b:
            if code == "SK406":
                self.add(
                    Severity.INFO,
                    code,
                    f"{what} appears twice in the same rule",
                    ("syscalls", b, "names"),
                )
            return
        path: JSONPath = ("syscalls", b)
        if code == "SK402":
            self.add(
                Severity.WARNING,
                code,
                f"{what}: unconditional rules with different actions; libseccomp keeps the"
                f" first, {first}, and silently ignores this one ({rb.action})",
                path,
            )
        elif code == "SK403":
            self.add(
                Severity.WARNING,
                code,
                f"{what}: this unconditional rule ({rb.action}) replaces the conditional rule"
                f" {first}; its conditions no longer matter",
                path,
            )
        elif code == "SK404":
            self.add(
                Severity.WARNING,
                code,
                f"{what}: the unconditional rule {first} already decides; libseccomp drops"
                f" this conditional rule ({rb.action})",
                path,
            )
        elif code == "SK405":
            self.add(
                Severity.ERROR,
                code,
                f"{what}: the same conditions as {first} with another action ({rb.action});"
                " libseccomp refuses this (EEXIST), so runc and crun fail to start the"
                " container",
                path,
            )
        elif code == "SK406":
            self.add(
                Severity.INFO,
                code,
                f"{what}: already covered by {first} with the same action",
                path,
            )
        elif code == "SK407":
            self.add(
                Severity.INFO,
                code,
                f"{what}: conditional rules with different actions ({first} and"
                f" {rb.action}); for arguments both match, libseccomp's own ordering, not the"
                " file's, decides",
                path,
            )

    def exit_calls(self) -> None:
        if self.p.default_action in (Action.ALLOW, Action.LOG) or not isinstance(
            self.p.default_action, Action
        ):
            return
        allowed: set[str] = set()
        anything = False
        for rule in self.p.syscalls:
            if rule.action in (Action.ALLOW, Action.LOG):
                anything = True
                if not rule.args and not rule.includes:
                    allowed.update(rule.names)
        if not anything:
            self.add(
                Severity.WARNING,
                "SK411",
                f"no rule allows any syscall: under {self.p.default_action} every call is"
                " refused, so no process can run or even exit (an empty recording looks"
                " like this)",
                ("syscalls",),
                "record the workload again, or allow what it needs",
            )
            return
        missing = [n for n in ("exit_group", "exit") if n not in allowed]
        if not missing:
            return
        if len(missing) == 2:
            self.add(
                Severity.WARNING,
                "SK410",
                f"allowlist without exit_group and exit: processes cannot end normally; under"
                f" {self.p.default_action} they die or loop instead of exiting",
                ("defaultAction",),
                "allow exit_group and exit unconditionally",
            )
        elif missing == ["exit_group"]:
            self.add(
                Severity.WARNING,
                "SK410",
                "exit_group is not allowed: exit() and returning from main cannot end the"
                " process normally",
                ("defaultAction",),
                "allow exit_group unconditionally",
            )
        else:
            self.add(
                Severity.WARNING,
                "SK410",
                "exit is not allowed: threads cannot end normally (pthread_exit uses it)",
                ("defaultAction",),
                "allow exit unconditionally",
            )


def _show(key: tuple[str, int | None]) -> str:
    return key[0] if key[1] is None else f"{key[0]} errno {key[1]}"


def _pair_code(a: _Entry, b: _Entry) -> str | None:
    """How libseccomp combines entry ``a`` (added first) with ``b`` for the same syscall."""
    same = a.action == b.action
    if not a.conds and not b.conds:
        return "SK406" if same else "SK402"
    if a.conds and not b.conds:
        return None if same else "SK403"
    if not a.conds:
        return "SK406" if same else "SK404"
    if a.conds == b.conds:
        return "SK406" if same else "SK405"
    if same or _witness(a.conds | b.conds) is None:
        return None
    return "SK407"


def _holds(op: str, value: int, two: int, arg: int) -> bool:
    if op == Operator.EQ:
        return arg == value
    if op == Operator.NE:
        return arg != value
    if op == Operator.LT:
        return arg < value
    if op == Operator.LE:
        return arg <= value
    if op == Operator.GT:
        return arg > value
    if op == Operator.GE:
        return arg >= value
    return arg & value == two  # MASKED_EQ


def _witness(conds: Iterable[tuple[int, str, int, int]]) -> dict[int, int] | None:
    """Argument values satisfying every condition, or None when none was found.

    Tries the boundary values of each condition: enough for the comparison operators; for
    MASKED_EQ it may miss a witness, so callers treat None as "no overlap shown".
    """
    by_index: dict[int, list[tuple[str, int, int]]] = {}
    for index, op, value, two in conds:
        by_index.setdefault(index, []).append((op, value, two))
    top = (1 << 64) - 1
    found: dict[int, int] = {}
    for index, group in by_index.items():
        candidates = {0, top}
        for _, value, two in group:
            candidates.update(
                (value, two, max(value - 1, 0), min(value + 1, top), two | ~value & top)
            )
        match = next(
            (c for c in sorted(candidates) if all(_holds(o, v, t, c) for o, v, t in group)), None
        )
        if match is None:
            return None
        found[index] = match
    return found


def _arches_of(names: Iterable[str]) -> set[Arch]:
    return {i.arch for n in names if (i := by_native(n)) is not None}


def _excluded(inc: CapFilter, exc: CapFilter) -> bool:
    """Whether a rule with ``inc`` applies only where one with ``exc`` never does."""
    if set(inc.caps) & set(exc.caps):
        return True
    inc_arches = _arches_of(inc.arches)
    return bool(inc_arches) and inc_arches <= _arches_of(exc.arches)


def _applies_wherever(a: SyscallRule, b: SyscallRule) -> bool:
    """Whether moby's includes/excludes let ``a`` apply on every host where ``b`` applies, so
    that ``b`` repeating ``a`` is redundant rather than an addition for other hosts."""
    if not set(a.includes.caps) <= set(b.includes.caps):
        return False
    if a.includes.arches and not (
        b.includes.arches and _arches_of(b.includes.arches) <= _arches_of(a.includes.arches)
    ):
        return False
    if a.includes.min_kernel is not None and a.includes.min_kernel != b.includes.min_kernel:
        return False
    return not a.excludes or a.excludes == b.excludes


def _may_coexist(a: SyscallRule, b: SyscallRule) -> bool:
    """Whether moby's includes/excludes let both rules apply on one host."""
    if _excluded(a.includes, b.excludes) or _excluded(b.includes, a.excludes):
        return False
    arches_a, arches_b = _arches_of(a.includes.arches), _arches_of(b.includes.arches)
    return not (arches_a and arches_b and not arches_a & arches_b)


def _arch_hint(value: str, *, native: bool = False) -> str | None:
    options = [a.value for a in Arch]
    natives = sorted({arch_info(a).native for a in Arch})
    if native:
        return _close(value, natives)
    return _close(value, options) or _close("SCMP_ARCH_" + value.upper(), options)


def semantic_checks(
    profile: Profile,
    *,
    runtime: Runtime | str = "runc",
    arch: Arch | str | None = None,
    kernel: str | tuple[int, int] | None = None,
) -> list[Diagnostic]:
    """Every semantic problem of ``profile`` for ``runtime`` (no positions, no file name).

    ``arch`` restricts the syscall-name checks to one architecture; by default they use the
    profile's architectures (``architectures`` plus ``archMap``), or this machine's when the
    profile lists none, as runtimes then filter only the native one.
    """
    if runtime not in RUNTIMES:
        raise InputError(f"unknown runtime {runtime!r}; choose runc, crun or oci")
    from seccomp_kit.syscalls.arches import parse_arch

    chosen = None if arch is None else parse_arch(arch)
    return _Checker(profile, runtime, chosen, parse_kernel(kernel)).run()
