"""Conformance with real runtimes: our compile and matcher against the filter a runtime loaded.

:func:`compare_programs` says whether the program :func:`~seccomp_kit.compile_profile` builds
for a target is the one the runtime loaded, byte for byte, or equal up to the one documented
nondeterminism: runc builds its ENOSYS stub by ranging over Go maps, so the order of the stub's
jump-table entries and of its per-architecture sections varies between runs. Every jump in the
stub that leaves a section is measured from the stub's end (runc builds it back to front), so a
section compared by its instructions, its inner jumps and the distances of its outer jumps from
the end is independent of that order.

:func:`boundary_events` draws the syscalls where a profile's answers change (each rule's
number and its neighbours, the stub limits, socketcall/ipc sub-calls, argument values at and
around each condition's value) and :func:`matcher_disagreements` compares the matcher with the
loaded program on them (the loaded program emulated: :func:`seccomp_kit.bpf.emulate` agrees with
the kernel on every instruction seccomp allows).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import attrs

from seccomp_kit import bpf
from seccomp_kit.algebra.resolving import resolve
from seccomp_kit.bpf import Instruction
from seccomp_kit.errors import SeccompKitError
from seccomp_kit.io import convert, to_data
from seccomp_kit.libseccomp.compile import CompiledFilter, compile_profile
from seccomp_kit.libseccomp.names import MUX_CALLS
from seccomp_kit.libseccomp.translate import Translation
from seccomp_kit.match import Matcher
from seccomp_kit.model import Arch, Dialect, Operator, Profile
from seccomp_kit.syscalls import table
from seccomp_kit.syscalls.arches import X32_SYSCALL_BIT
from seccomp_kit.testing.runtimes import RuntimeBuild, RuntimeSession

__all__ = [
    "CaseResult",
    "Comparison",
    "Event",
    "boundary_events",
    "compare_programs",
    "matcher_disagreements",
    "plain",
    "run_case",
    "target_of",
]

_U32 = 0xFFFF_FFFF
_U64 = (1 << 64) - 1
_JUMPS = frozenset({bpf.JEQ_K, bpf.JGT_K, bpf.JGE_K, bpf.JSET_K})


@attrs.frozen
class Comparison:
    """How a compiled program compares with the loaded one."""

    identical: bool
    """Byte for byte."""
    equal: bool
    """Identical, or equal up to the order of runc's stub sections and jump-table entries."""
    detail: str = ""


def _stub_form(code: Sequence[Instruction], n: int) -> dict[int, tuple[object, ...]] | None:
    """runc's stub (the first ``n`` instructions) as {kernel arch: its section}, or None when
    ``code`` does not have that shape. Jump targets are kept as distances from the stub's end."""
    if n < 4 or len(code) < n or code[0] != Instruction(bpf.LD_W_ABS, 0, 0, 4):
        return None
    targets: dict[int, int] = {}
    pc = 1
    while pc < n and code[pc].code != bpf.JA:
        ins = code[pc]
        if ins.code != bpf.JEQ_K:
            return None
        if ins.jf == 0:  # jeq arch, jt
            targets[ins.k] = pc + 1 + ins.jt
            pc += 1
        else:  # jne arch, 1; ja jump
            if pc + 1 >= n or code[pc + 1].code != bpf.JA:
                return None
            targets[ins.k] = pc + 2 + code[pc + 1].k
            pc += 2
    if pc >= n or pc + 1 + code[pc].k != n:  # the dummy "jump into the filter"
        return None
    starts = sorted({t for t in targets.values() if t < n} | {n - 2})
    form: dict[int, tuple[object, ...]] = {}
    for audit, start in targets.items():
        if start >= n:
            form[audit] = ("filter",)
            continue
        end = starts[starts.index(start) + 1]

        def where(target: int, start: int = start, end: int = end) -> tuple[str, int]:
            # Inside the section: relative to its start; beyond it: from the stub's end.
            return ("in", target - start) if target < end else ("end", n - target)

        body: list[object] = []
        for i in range(start, end):
            ins = code[i]
            if ins.code in _JUMPS:
                body.append((ins.code, ins.k, where(i + 1 + ins.jt), where(i + 1 + ins.jf)))
            elif ins.code == bpf.JA:
                body.append((ins.code, where(i + 1 + ins.k)))
            else:
                body.append((ins.code, ins.k))
        form[audit] = tuple(body)
    return form


def compare_programs(compiled: CompiledFilter, loaded: bytes) -> Comparison:
    """``compiled`` against the program a runtime loaded (host byte order)."""
    if compiled.bpf == loaded:
        return Comparison(identical=True, equal=True)
    if len(loaded) != len(compiled.bpf) or len(loaded) % 8:
        return Comparison(
            False,
            False,
            f"{len(loaded) // 8} instructions loaded, {len(compiled)} compiled",
        )
    theirs = bpf.decode(loaded)
    ours = compiled.instructions
    n = compiled.stub_length
    if n == 0 or theirs[n:] != ours[n:]:
        first = next(i for i, (a, b) in enumerate(zip(theirs, ours, strict=True)) if a != b)
        return Comparison(False, False, f"first difference at instruction {first}")
    a, b = _stub_form(theirs, n), _stub_form(ours, n)
    if a is None or b is None or a != b:
        return Comparison(False, False, "runc's stub differs beyond its map order")
    return Comparison(False, True, "equal up to the order of runc's stub (Go map order)")


@attrs.frozen
class Event:
    """One syscall as the filter sees it."""

    arch: Arch
    nr: int
    args: tuple[int, ...] = ()


def _around(value: int, bits: int) -> Iterator[int]:
    top = (1 << bits) - 1
    for v in (value - 1, value, value + 1, value | (top ^ _U32), value & _U32):
        if 0 <= v <= top:
            yield v


def boundary_events(t: Translation, *, limit: int = 400) -> list[Event]:
    """Syscalls at the edges of ``t``'s decisions, at most ``limit`` (spread over the arches)."""
    seen: set[Event] = set()
    out: list[Event] = []

    def add(event: Event) -> None:
        if event not in seen:
            seen.add(event)
            out.append(event)

    for arch in t.architectures:
        base = X32_SYSCALL_BIT if arch is Arch.X32 else 0
        tbl = table(arch)
        for nr in (base, base + 1, _U32, base + max(tbl.by_number, default=0) + 1):
            add(Event(arch, nr & _U32))
        for _, limit_nr in t.enosys_limits or ():
            for nr in (limit_nr, limit_nr + 1):
                add(Event(arch, nr & _U32))
        for rule in t.rules:
            numbers = [nr for a, nr in rule.numbers if a is arch]
            if arch in rule.multiplexed and rule.name in MUX_CALLS:
                via, sub = MUX_CALLS[rule.name]
                mux = tbl.number(via)
                if mux is not None:
                    for s in (sub - 1, sub, sub + 1):
                        add(Event(arch, mux, (s,)))
            for nr in numbers:
                add(Event(arch, nr))
                add(Event(arch, nr + 1))
                args = [0] * 6
                for c in rule.conditions:
                    for v in _around(c.value, 64):
                        probe = list(args)
                        probe[c.index] = v
                        if c.op is Operator.MASKED_EQ:
                            probe[c.index] = c.effective_value_two | (v & ~c.value & _U64)
                        add(Event(arch, nr, tuple(probe)))
                    args[c.index] = c.effective_value_two if c.op is Operator.MASKED_EQ else c.value
                add(Event(arch, nr, tuple(args)))
    return out[:limit]


def matcher_disagreements(
    matcher: Matcher, loaded: bytes, events: Sequence[Event]
) -> list[tuple[Event, int, int]]:
    """The events where ``matcher`` and the loaded program answer differently:
    (event, matcher's return value, the program's)."""
    program = bpf.Program(bpf.decode(loaded))
    out = []
    for e in events:
        ours = matcher.match(e.nr, e.args, arch=e.arch).ret
        theirs = bpf.emulate(program, arch=bpf.kernel_arch_code(e.arch), nr=e.nr, args=e.args)
        if ours != theirs:
            out.append((e, ours, theirs))
    return out


@attrs.frozen
class CaseResult:
    """One profile on one runtime build."""

    outcome: str
    """``identical``, ``equal`` (up to runc's map order), ``refused`` (both refused), or
    ``failing`` (see :attr:`detail`)."""
    events: int = 0
    """Boundary events the matcher was compared on."""
    disagreements: tuple[tuple[Event, int, int], ...] = ()
    detail: str = ""


def target_of(build: RuntimeBuild) -> tuple[str, str]:
    """The target a runtime build is: ``("runc@1.1.5", "2.5.4")``."""
    return f"{build.name}@{build.version.split('+')[0]}", build.libseccomp


def plain(profile: Profile, host: Arch) -> Profile:
    """What a runtime reads: moby and containers/common profiles resolved for ``host`` (as the
    engine does, without extra capabilities), in the OCI dialect."""
    if any(r.includes or r.excludes for r in profile.syscalls) or profile.arch_map:
        profile = resolve(profile, arch=host, capabilities=(), kernel="6.1")
    return convert(profile, Dialect.OCI)[0]


def run_case(session: RuntimeSession, profile: Profile, *, host: Arch = Arch.X86_64) -> CaseResult:
    """Load ``profile`` with ``session``'s runtime, read the filter back and compare it with
    our compile and matcher for that build's target."""
    runtime, libseccomp = target_of(session.build)
    profile = plain(profile, host)
    seccomp = to_data(profile)
    loaded = session.loaded_filters(seccomp, stop_after_load=True)
    try:
        compiled = compile_profile(profile, arch=host, runtime=runtime, libseccomp=libseccomp)
    except SeccompKitError as exc:
        if loaded.refused:
            return CaseResult("refused")
        return CaseResult("failing", detail=f"the runtime loaded it, we refused it: {exc}")
    if loaded.refused:
        return CaseResult("failing", detail=f"the runtime refused it ({loaded.error})")
    if len(loaded.filters) != 1:
        return CaseResult("failing", detail=f"{len(loaded.filters)} filters loaded")
    program = loaded.filters[0].bpf
    result = compare_programs(compiled, program)
    if not result.equal:
        return CaseResult("failing", detail=result.detail)
    # PTRACE_SECCOMP_GET_METADATA reports SECCOMP_FILTER_FLAG_LOG only.
    if loaded.filters[0].flags != compiled.load_flags & 2:
        return CaseResult("failing", detail=f"load flags {loaded.filters[0].flags:#x}")
    matcher = Matcher(profile, arch=host, runtime=runtime, libseccomp=libseccomp)
    events = boundary_events(matcher.translation)
    wrong = tuple(matcher_disagreements(matcher, program, events))
    outcome = "identical" if result.identical else "equal"
    if wrong:
        return CaseResult("failing", len(events), wrong, "the matcher disagrees")
    return CaseResult(outcome, len(events))
