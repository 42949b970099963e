"""The matcher: what a profile does to one syscall, exactly as the kernel would, and why.

A :class:`Matcher` starts from :func:`seccomp_kit.libseccomp.translate.translate` (what the
runtime hands libseccomp), rebuilds libseccomp's rule database per architecture
(:mod:`seccomp_kit.libseccomp._build`) and then
answers the way the loaded filter does:

1. runc's ENOSYS stub, which runs before libseccomp's program: a syscall number above the
   highest one the profile names on that architecture returns ``ERRNO(ENOSYS)``; on s390 and
   s390x so does ``setup`` (0). On x86_64 the x32 bit selects which limit applies.
2. An architecture the filter does not list gets the bad-architecture action
   (``SCMP_ACT_KILL_THREAD``, libseccomp's default). x86_64 and x32 share one audit code: a
   filter with only x86_64 treats numbers with the x32 bit (except -1) as a bad architecture,
   one with only x32 the numbers without it.
3. The syscall's tree decides; a number no rule names, or a tree that falls through, gets the
   default action.

:meth:`Matcher.match` answers one question with a :class:`Verdict` that names the deciding
rule; :meth:`Matcher.match_many` answers millions at once as numpy arrays of return values.
Syscall numbers are the ones the kernel sees (x32 numbers carry ``0x40000000``, MIPS numbers
their ABI base). The kernel itself lets ``uretprobe``/``uprobe`` bypass seccomp on recent
kernels; the matcher reports what the filter says.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from seccomp_kit import syscalls
from seccomp_kit.bpf import kernel_arch_code
from seccomp_kit.errors import InputError, JSONPath, ProfileError, json_path
from seccomp_kit.io import ProfileSource, as_profile
from seccomp_kit.io._positions import line_column, locate
from seccomp_kit.libseccomp._build import (
    Group,
    LibseccompLoopError,
    build_groups,
    check_finishes,
)
from seccomp_kit.libseccomp._db import evaluate
from seccomp_kit.libseccomp.targets import Target
from seccomp_kit.libseccomp.translate import ERRNO_ENOSYS, RuleAdd, Translation, translate
from seccomp_kit.model import Action, Arch, ArgCondition, Operator, SourceText
from seccomp_kit.syscalls.arches import X32_SYSCALL_BIT, native_arch, parse_arch
from seccomp_kit.syscalls.errnos import errno_name

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import numpy.typing as npt

    from seccomp_kit.match._exact import ExactCode

__all__ = [
    "BAD_ARCH_ACTION",
    "DecidedBy",
    "LibseccompLoopError",
    "Matcher",
    "Verdict",
    "action_of",
    "build_groups",
    "check_finishes",
    "kernel_audit",
]

BAD_ARCH_ACTION = 0x0000_0000
"""libseccomp's default SCMP_FLTATR_ACT_BADARCH (SCMP_ACT_KILL_THREAD); runc and crun keep it."""

_U32 = 0xFFFF_FFFF
_U64 = 0xFFFF_FFFF_FFFF_FFFF
_MAX_ERRNO = 4095
_FAST_LIMIT = 1 << 16  # remembered argument-independent verdicts per architecture

kernel_audit = kernel_arch_code
"""The ``seccomp_data.arch`` value the kernel reports: x32 callers show as x86_64."""


def action_of(ret: int) -> Action:
    """The action of a 32-bit filter return value (KILL is reported as KILL_THREAD)."""
    # The kernel treats a value no action has as KILL_PROCESS.
    return Action.from_kernel(ret) or Action.KILL_PROCESS


class DecidedBy(enum.StrEnum):
    """What produced a verdict."""

    RULE = "rule"
    DEFAULT = "default"
    BAD_ARCH = "bad-arch"
    ENOSYS_STUB = "enosys-stub"


class Verdict:
    """What the filter returns for one syscall, and what decided it.

    ``ret`` is the 32-bit value the filter returns (the errno or trace data keep their 16 bits
    there); ``errno`` is what the process sees (capped at 4095 by the kernel) for ERRNO, else
    None; ``rule_path`` the JSON path of the deciding profile rule (``("syscalls", 3)``), None
    when ``decided_by`` is the default action, the bad-architecture action or runc's stub.
    """

    __slots__ = (
        "_source",
        "arch",
        "decided_by",
        "name",
        "nr",
        "quirk",
        "ret",
        "rule",
        "rule_path",
    )

    def __init__(
        self,
        ret: int,
        decided_by: DecidedBy,
        *,
        arch: Arch,
        nr: int,
        rule: RuleAdd | None = None,
        source: SourceText | None = None,
        quirk: bool = False,
    ) -> None:
        self.ret = ret
        self.quirk = quirk
        """libseccomp's generated code answers differently from its own rule tree here (see
        :mod:`seccomp_kit.match._exact`); ``ret`` is the code's answer, the kernel's."""
        self.decided_by = decided_by
        self.arch = arch
        self.nr = nr
        table_arch = Arch.X32 if arch is Arch.X86_64 and nr & X32_SYSCALL_BIT else arch
        self.name = syscalls.table(table_arch).name(nr)
        self.rule = rule
        self.rule_path: JSONPath | None = None if rule is None else rule.path
        self._source = source

    @property
    def action(self) -> Action:
        return action_of(self.ret)

    @property
    def data(self) -> int:
        """The 16 data bits of the return value (errno, trace message, 0)."""
        return self.ret & 0xFFFF

    @property
    def errno(self) -> int | None:
        """The errno the process sees for ERRNO (capped at 4095), else None."""
        if self.ret & 0xFFFF_0000 != 0x0005_0000:
            return None
        return min(self.ret & 0xFFFF, _MAX_ERRNO)

    @property
    def allowed(self) -> bool:
        """The syscall runs (ALLOW or LOG)."""
        return self.ret & 0xFFFF_0000 in (0x7FFF_0000, 0x7FFC_0000)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Verdict):
            return NotImplemented
        return (self.ret, self.decided_by, self.arch, self.nr, self.rule_path) == (
            other.ret,
            other.decided_by,
            other.arch,
            other.nr,
            other.rule_path,
        )

    def __hash__(self) -> int:
        return hash((self.ret, self.decided_by, self.arch, self.nr, self.rule_path))

    def __repr__(self) -> str:
        where = "" if self.rule_path is None else f", rule={json_path(self.rule_path)}"
        return (
            f"Verdict({self.action_text()}, {self.decided_by.value}, "
            f"{self.name or self.nr}@{self.arch.value}{where})"
        )

    def action_text(self) -> str:
        """``SCMP_ACT_ERRNO(1 EPERM)``, ``SCMP_ACT_ALLOW`` ..."""
        action = self.action
        if action is Action.ERRNO:
            errno = self.errno
            assert errno is not None
            name = errno_name(errno)
            shown = f"{self.data}" if self.data == errno else f"{self.data}, seen as {errno}"
            return f"{action.value}({shown}{' ' + name if name else ''})"
        if action is Action.TRACE:
            return f"{action.value}({self.data})"
        return action.value

    def location(self) -> str | None:
        """``file:line:column`` of the deciding rule when the profile was read from text."""
        if self.rule is None or self._source is None:
            return None
        offset = locate(self._source.text, self.rule.path)
        if offset is None:
            return None
        line, column = line_column(self._source.text, offset)
        return f"{self._source.name}:{line}:{column}"

    def explain(self) -> str:
        """A few lines saying what happens and which part of the profile decided it."""
        call = f"{self.name} ({self.nr})" if self.name else f"syscall {self.nr}"
        head = f"{call} on {self.arch.value}: {self.action_text()}"
        if self.decided_by is DecidedBy.RULE and (self.rule is None or self.rule_path is None):
            return f"{head}\n  decided by libseccomp's generated code, no single rule" + (
                _QUIRK_NOTE if self.quirk else ""
            )
        if self.decided_by is DecidedBy.RULE:
            assert self.rule is not None and self.rule_path is not None
            where = self.location()
            rule = f"rule {json_path(self.rule_path)}"
            if where:
                rule += f" at {where}"
            conds = ""
            if self.rule.conditions:
                conds = " when " + " and ".join(_cond_text(c) for c in self.rule.conditions)
            text = f"{head}\n  decided by {rule} (name {self.rule.name!r}){conds}"
            return text + (_QUIRK_NOTE if self.quirk else "")
        reason = {
            DecidedBy.DEFAULT: "no rule matched: the profile's defaultAction",
            DecidedBy.BAD_ARCH: (
                "the filter does not cover this architecture: libseccomp's bad-architecture action"
            ),
            DecidedBy.ENOSYS_STUB: (
                "runc's ENOSYS stub: the number is above the highest syscall the profile names"
                " for this architecture (or is s390's setup)"
            ),
        }[self.decided_by]
        return f"{head}\n  decided by {reason}" + (_QUIRK_NOTE if self.quirk else "")


_QUIRK_NOTE = (
    "\n  note: libseccomp 2.5's generated code differs from its rule tree for these arguments"
    " (a comparison reuses a stale accumulator); this is what the kernel does"
)


def _cond_text(c: ArgCondition) -> str:
    if c.op is Operator.MASKED_EQ:
        return f"(arg{c.index} & {c.value:#x}) == {c.effective_value_two:#x}"
    symbol = {
        Operator.NE: "!=",
        Operator.LT: "<",
        Operator.LE: "<=",
        Operator.EQ: "==",
        Operator.GE: ">=",
        Operator.GT: ">",
    }.get(Operator(c.op), str(c.op))
    return f"arg{c.index} {symbol} {c.value:#x}"


class Matcher:
    """Answers "what does this profile do to this syscall" for a host of ``arch``.

    ``arch`` is the host's architecture (default: this machine's), which decides the filter's
    architectures (the host's first, as runtimes do) and is the default architecture of a
    question. ``runtime`` and ``libseccomp`` name the target (see
    :func:`~seccomp_kit.libseccomp.targets.target`: ``"runc@1.1.5"``, ``"crun"``, ``"2.6.0"``,
    …); :attr:`target` says which one the answers follow.
    Raises :class:`~seccomp_kit.errors.ProfileError` where the runtime or libseccomp would refuse
    the profile.
    """

    def __init__(
        self,
        profile: ProfileSource,
        *,
        arch: Arch | str | None = None,
        runtime: str | Target = "runc",
        libseccomp: str = "installed",
        place_unknown: bool = False,
    ) -> None:
        self.profile = profile = as_profile(profile)
        self.arch = native_arch() if arch is None else parse_arch(arch)
        self.translation: Translation = translate(
            profile,
            runtime=runtime,
            host_arch=self.arch,
            libseccomp=libseccomp,
            place_unknown=place_unknown,
        )
        self.target: Target = self.translation.target
        self.runtime = self.translation.runtime
        self._source = profile.source
        self._check_errnos()
        self._groups = build_groups(self.translation, skip=_missing_rules(self.translation))
        self._stubs = self._build_stubs()
        self._fast: dict[Arch, dict[object, Verdict]] = {}
        self._exact: ExactCode | bool | None = False  # False: not built yet
        self._bulk: dict[Arch, Any] = {}
        self._fast_host = self._fast_for(self.arch)
        self.match = _fast_match(self._fast_host, self._match)  # type: ignore[method-assign]

    # -- building -----------------------------------------------------------------------------

    def _check_errnos(self) -> None:
        """libseccomp refuses SCMP_ACT_ERRNO with an errno of 4095 or more (EINVAL)."""
        t = self.translation
        if (
            t.default_action & 0xFFFF_0000 == 0x0005_0000
            and t.default_action & 0xFFFF >= _MAX_ERRNO
        ):
            raise ProfileError(
                f"libseccomp refuses SCMP_ACT_ERRNO({t.default_action & 0xFFFF}) as default"
                f" action (EINVAL): errno values must be below {_MAX_ERRNO}",
                path=("defaultErrnoRet",),
            )
        for rule in t.rules:
            if rule.action & 0xFFFF_0000 == 0x0005_0000 and rule.action & 0xFFFF >= _MAX_ERRNO:
                raise ProfileError(
                    f"libseccomp refuses SCMP_ACT_ERRNO({rule.action & 0xFFFF}) (EINVAL): errno"
                    f" values must be below {_MAX_ERRNO}",
                    path=(*rule.path, "errnoRet"),
                )

    def _build_stubs(self) -> dict[int, dict[Arch, int]]:
        limits = self.translation.enosys_limits
        stubs: dict[int, dict[Arch, int]] = {}
        if limits is None:
            return stubs
        for arch, limit in limits:
            stubs.setdefault(kernel_audit(arch), {})[arch] = limit
        return stubs

    def _fast_for(self, arch: Arch) -> dict[object, Verdict]:
        fast = self._fast.get(arch)
        if fast is None:
            fast = self._fast[arch] = {}
        return fast

    def _cached(self, arch: Arch, syscall: object) -> Verdict | None:
        """The argument-independent verdict of ``syscall``, remembered for the next call."""
        fast = self._fast_for(arch)
        try:
            return fast[syscall]
        except (KeyError, TypeError):
            pass
        v = self._nr_only_verdict(arch, syscall)
        if v is not None and len(fast) < _FAST_LIMIT:
            fast[syscall] = v
        return v

    def _nr_only_verdict(self, arch: Arch, syscall: object) -> Verdict | None:
        """The verdict for ``syscall`` when its arguments cannot matter, else None."""
        if isinstance(syscall, str):
            nr = syscalls.table(arch).number(syscall)
            if nr is None:
                return None
        elif isinstance(syscall, int) and not isinstance(syscall, bool):
            if not -(1 << 31) <= syscall <= _U32:
                return None
            nr = syscall & _U32
        else:
            return None
        audit = kernel_audit(arch)
        group = self._groups.get(audit)
        entry = None if group is None else group.entries.get(nr)
        if entry is not None and entry.chains is not None:
            return None
        return self._decide(arch, audit, nr, ())

    # -- answering ----------------------------------------------------------------------------

    def number(self, syscall: str | int, arch: Arch | str | None = None) -> int:
        """The kernel-visible number of ``syscall`` on ``arch`` (a name or a number)."""
        a = self.arch if arch is None else parse_arch(arch)
        if isinstance(syscall, bool):
            raise InputError(f"syscall must be a name or a number, not {syscall!r}")
        if isinstance(syscall, int):
            if not -(1 << 31) <= syscall <= _U32:
                raise InputError(f"syscall number {syscall} does not fit in 32 bits")
            return syscall & _U32
        return syscalls.resolve(syscall, a)

    def match(
        self, syscall: str | int, args: Sequence[int] | None = None, arch: Arch | str | None = None
    ) -> Verdict:
        """What the filter returns for ``syscall`` (name or number) with ``args`` on ``arch``.

        Missing arguments (or ``args=None``) are 0; arguments are 64-bit values (negative ones
        are taken as two's complement). Unknown names raise :class:`InputError` with a
        suggestion."""
        # Each instance answers through the closure of _fast_match first; this is its slow path.
        return self._match(syscall, args, arch)

    def _match(
        self, syscall: str | int, args: Sequence[int] | None = None, arch: Arch | str | None = None
    ) -> Verdict:
        if args is None:
            args = ()
        if not args and arch is None:
            try:
                return self._fast_host[syscall]
            except (KeyError, TypeError):
                pass
        a = self.arch if arch is None else parse_arch(arch)
        if not args:
            found = self._cached(a, syscall)
            if found is not None:
                return found
        nr = self.number(syscall, a)
        return self._decide(a, kernel_audit(a), nr, _args(args))

    def _decide(self, arch: Arch, audit: int, nr: int, args: Sequence[int]) -> Verdict:
        stub = self._stubs.get(audit)
        if stub is not None and _enosys(stub, nr):
            return Verdict(
                ERRNO_ENOSYS, DecidedBy.ENOSYS_STUB, arch=arch, nr=nr, source=self._source
            )
        group = self._groups.get(audit)
        if group is None:
            return self._bad_arch(arch, nr)
        if group.x86_64_only and nr >= X32_SYSCALL_BIT and nr != _U32:
            return self._bad_arch(arch, nr)
        if group.x32_only and nr < X32_SYSCALL_BIT:
            return self._bad_arch(arch, nr)
        if group.pseudo_first:
            return self._pseudo_first(arch, audit, nr, args)
        entry = group.entries.get(nr)
        leaf = None
        if entry is not None:
            if entry.chains is None:
                leaf = entry.action
            else:
                leaf = evaluate(entry.chains, args)
                code = self.exact_code()
                head = None if code is None else code.head(audit, nr)
                if code is not None and head is not None:
                    ret = code.run(head, args)
                    if ret != (self.translation.default_action if leaf is None else leaf[0]):
                        return self._quirk(arch, nr, ret)
        if leaf is None:
            return Verdict(
                self.translation.default_action,
                DecidedBy.DEFAULT,
                arch=arch,
                nr=nr,
                source=self._source,
            )
        ret, rule = leaf
        assert isinstance(rule, RuleAdd)
        return Verdict(ret, DecidedBy.RULE, arch=arch, nr=nr, rule=rule, source=self._source)

    def exact_code(self) -> ExactCode | None:
        """libseccomp's compiled program for argument chains (None without libseccomp)."""
        if self._exact is False:
            from seccomp_kit.match._exact import build

            self._exact = build(self.translation)
        assert self._exact is not True
        return self._exact

    def _pseudo_first(self, arch: Arch, audit: int, nr: int, args: Sequence[int]) -> Verdict:
        """libseccomp's section without the syscall-number load: its comparisons see the
        architecture value. The compiled program answers where libseccomp is at hand; else
        the rule tree is asked for the number equal to that value."""
        code = self.exact_code()
        if code is not None:
            return self._quirk(arch, nr, code.run_all(audit, nr, args))
        group = self._groups[audit]
        entry = group.entries.get(audit)
        leaf = None
        if entry is not None:
            leaf = entry.action if entry.chains is None else evaluate(entry.chains, args)
        ret = self.translation.default_action if leaf is None else leaf[0]
        return self._quirk(arch, nr, ret)

    def _quirk(self, arch: Arch, nr: int, ret: int) -> Verdict:
        if ret == self.translation.default_action:
            return Verdict(
                ret, DecidedBy.DEFAULT, arch=arch, nr=nr, source=self._source, quirk=True
            )
        rule = next(
            (r for r, n in self.translation.rules_for(arch) if n == nr and r.action == ret),
            None,
        )
        return Verdict(
            ret, DecidedBy.RULE, arch=arch, nr=nr, rule=rule, source=self._source, quirk=True
        )

    def _bad_arch(self, arch: Arch, nr: int) -> Verdict:
        return Verdict(BAD_ARCH_ACTION, DecidedBy.BAD_ARCH, arch=arch, nr=nr, source=self._source)

    def has_argument_rules(self, syscall: str | int, *, arch: Arch | str | None = None) -> bool:
        """Whether the answer for ``syscall`` depends on its arguments."""
        a = self.arch if arch is None else parse_arch(arch)
        group = self._groups.get(kernel_audit(a))
        if group is None:
            return False
        entry = group.entries.get(self.number(syscall, a))
        return entry is not None and entry.chains is not None

    def match_many(
        self,
        nrs: npt.ArrayLike,
        args: npt.ArrayLike | None = None,
        *,
        arch: Arch | str | None = None,
        chunk_size: int = 1 << 18,
    ) -> np.ndarray[Any, np.dtype[np.uint32]]:
        """The 32-bit return values for arrays of syscall numbers (and an N x 6 uint64 argument
        array; missing arguments are 0). Work proceeds ``chunk_size`` events at a time, so
        temporary memory is bounded by the chunk, not the input."""
        from seccomp_kit.match._bulk import match_many

        a = self.arch if arch is None else parse_arch(arch)
        result: np.ndarray[Any, np.dtype[np.uint32]] = match_many(
            self, a, nrs, args, chunk_size=chunk_size
        )
        return result

    # bulk helpers (used by ._bulk)

    def _group_for(self, arch: Arch) -> Group | None:
        return self._groups.get(kernel_audit(arch))

    def _nr_only(self, arch: Arch, nr: int) -> int | None:
        """The return value for ``nr`` when it does not depend on arguments, else None."""
        group = self._group_for(arch)
        if group is not None:
            entry = group.entries.get(nr)
            if entry is not None and entry.chains is not None:
                v = self._decide(arch, kernel_audit(arch), nr, ())
                if v.decided_by is DecidedBy.RULE or v.decided_by is DecidedBy.DEFAULT:
                    return None
                return v.ret
        return self._decide(arch, kernel_audit(arch), nr, ()).ret


def _fast_match(
    fast: dict[object, Verdict],
    slow: Callable[[str | int, Sequence[int] | None, Arch | str | None], Verdict],
) -> Callable[..., Verdict]:
    """:meth:`Matcher.match` for one instance: the common question (no arguments, the host's
    architecture) is one lookup of a verdict built once, in a closure rather than a method
    (no attribute lookups) without keyword-only parameters (CPython calls such functions
    through a faster path); everything else goes to ``slow``."""

    def match(
        syscall: str | int, args: Sequence[int] | None = None, arch: Arch | str | None = None
    ) -> Verdict:
        if args is None and arch is None:  # two identity tests: cheaper than `not args`
            try:
                return fast[syscall]
            except (KeyError, TypeError):
                pass
        return slow(syscall, args, arch)

    match.__doc__ = Matcher.match.__doc__
    return match


def _enosys(stub: dict[Arch, int], nr: int) -> bool:
    """runc's stub for one audit code (see generateEnosysStub in runc's patchbpf)."""
    if len(stub) == 1:
        ((arch, limit),) = stub.items()
        if arch in (Arch.S390, Arch.S390X) and nr == 0:
            return True
        if arch is Arch.X86_64 and nr & X32_SYSCALL_BIT:
            return False
        if arch is Arch.X32 and not nr & X32_SYSCALL_BIT:
            return False
        return nr > limit
    limit = stub[Arch.X32] if nr & X32_SYSCALL_BIT else stub[Arch.X86_64]
    return nr > limit


def _args(args: Sequence[int]) -> tuple[int, ...]:
    if len(args) > 6:
        raise InputError(f"a syscall has at most 6 arguments, got {len(args)}")
    out = []
    for i, v in enumerate(args):
        if isinstance(v, bool) or not isinstance(v, int):
            raise InputError(f"argument {i} must be an integer, not {type(v).__name__}")
        if not -(1 << 63) <= v <= _U64:
            raise InputError(f"argument {i} ({v}) does not fit in 64 bits")
        out.append(v & _U64)
    return tuple(out)


def _missing_rules(t: Translation) -> frozenset[tuple[RuleAdd, Arch]]:
    """The rules the compiled filter lacks because the installed libseccomp cannot name their
    syscall on a foreign architecture (none when libseccomp is not installed)."""
    from seccomp_kit.errors import LibseccompUnavailableError
    from seccomp_kit.libseccomp.compile import missing_rules

    try:
        return missing_rules(t)
    except LibseccompUnavailableError:
        return frozenset()
