"""Port a profile recorded on one architecture to others.

For each target architecture and each name of each rule:

1. a name that exists on the target is kept, with its argument conditions where each argument
   means the same there (``clone``'s order differs between x86_64, aarch64 and s390x; on a
   32-bit target a value of 2**32 or more, or an argument after a split 64-bit one, does not);
2. for each entry of the equivalence table (:mod:`._equivalents`) whose legacy call is the name,
   each replacement that exists on the target is added when the name does not exist there
   (translated) or the replacement does not exist on the source (added: the target's C library
   calls it, e.g. ``clock_gettime64`` on 32-bit ABIs); conditions move with the argument map;
3. for an entry marked ``reverse`` whose replacement is the name, the legacy call is added where
   the target has it and the source does not (musl calls ``open`` where it exists);
4. ``socketcall``/``ipc`` with ``arg0 == n`` become the call ``n`` selects.

A rule whose conditions cannot be carried is never widened: if its action is less restrictive
than the default it is left out on that target, otherwise it is kept without conditions (so it
applies to more calls, never fewer). Equivalents that land on one name with different actions
keep the profile's own rule for that name or, lacking one, the most restrictive. All of it is
in the report.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from seccomp_kit import syscalls
from seccomp_kit.algebra._core import action_ret, rank
from seccomp_kit.algebra._equivalents import (
    ARG_LAYOUTS,
    EQUIVALENTS,
    MULTIPLEXERS,
    SPLIT_64,
    TLS_CALL,
    VDSO,
    Equivalent,
)
from seccomp_kit.algebra._port_report import (
    Outcome,
    Ported,
    PortEntry,
    PortReport,
    TargetReport,
)
from seccomp_kit.errors import InputError
from seccomp_kit.libseccomp.names import knows_arch, placement
from seccomp_kit.libseccomp.targets import LIBSECCOMP_MODELS, LibseccompModel
from seccomp_kit.libseccomp.targets import target as _target
from seccomp_kit.model import Arch, ArgCondition, Operator, Profile, SyscallRule
from seccomp_kit.syscalls.arches import arch_info, by_native, parse_arch

__all__ = ["LIBSECCOMP_VERSIONS", "Outcome", "PortReport", "Ported", "TargetReport", "port"]

LIBSECCOMP_VERSIONS = tuple(".".join(map(str, m.version)) for m in LIBSECCOMP_MODELS)
_U32 = 0xFFFF_FFFF

_BY_LEGACY: dict[str, list[Equivalent]] = {}
_BY_REPLACEMENT: dict[str, list[tuple[Equivalent, int]]] = {}
for _eq in EQUIVALENTS:
    _BY_LEGACY.setdefault(_eq.legacy, []).append(_eq)
    for _i, _rep in enumerate(_eq.replacements):
        _BY_REPLACEMENT.setdefault(_rep.name, []).append((_eq, _i))


@attrs.frozen
class _Out:
    """One output rule on one target: the source rule it comes from, the name, the conditions
    (already mapped) and whether it is the profile's own rule for that name."""

    rule: int
    name: str
    args: tuple[ArgCondition, ...]
    native: bool


def port(
    profile: Profile,
    *,
    to: Arch | str | Sequence[Arch | str],
    from_: Arch | str | None = None,
    libseccomp: str | None = None,
    vdso_fallback: bool = False,
) -> Ported:
    """``profile`` (recorded on ``from_``) made to do the same on each architecture of ``to``.

    ``from_`` defaults to the first architecture the profile declares (``architectures``, then
    ``archMap``). ``libseccomp`` ("2.5.4" or "2.6.0") checks that the target's libseccomp can
    name every call of the result; unnameable calls are reported as undecided, because runtimes
    drop them and the default action then applies. ``vdso_fallback`` also allows, with the
    action of the profile's first unconditional ALLOW rule, the calls the target's vDSO serves
    (``clock_gettime``...): a recording never sees them, but the C library makes them as
    syscalls where the vDSO cannot answer (qemu-user, a clocksource without vDSO support).

    Returns the ported profile (``architectures`` = the targets) and a :class:`PortReport`.
    Raises :class:`~seccomp_kit.errors.InputError` for an unknown architecture or version.
    """
    targets = _targets(to)
    source = _source(profile, from_)
    lib = _libseccomp_model(libseccomp)
    default = action_ret(
        profile.default_action, profile.default_errno_ret, profile.default_errno_name
    )
    rets = [
        action_ret(r.action, r.errno_ret, r.errno_name, path=("syscalls", i))
        for i, r in enumerate(profile.syscalls)
    ]

    per_target: list[tuple[Arch, list[_Out], list[PortEntry], list[str]]] = []
    for target in targets:
        outs, entries, kept = _port_one(profile, rets, default, source, target)
        if vdso_fallback:
            outs += _vdso(profile, target, outs, entries)
        per_target.append((target, outs, entries, kept))

    # One document serves every target: a rule made for one target also applies on another
    # where its name exists. Say so wherever that is not what the other target's port wanted.
    union: dict[_Out, None] = {}
    for _, outs, _, _ in per_target:
        union.update(dict.fromkeys(outs))
    reports = []
    for target, outs, entries, kept in per_target:
        own = {(o.rule, o.name, o.args) for o in outs}
        table = syscalls.table(target)
        for out in union:
            rule = profile.syscalls[out.rule]
            reaches = _applies_on(rule, source) or _applies_on(rule, target)
            if (out.rule, out.name, out.args) not in own and out.name in table and reaches:
                entries.append(
                    PortEntry(
                        Outcome.UNDECIDED,
                        "",
                        out.name,
                        "a rule ported for another target applies here too; port to this "
                        "target alone for an exact profile",
                    )
                )
        if lib is not None:
            entries.extend(_unnameable(lib, target, {o.name for o in outs}))
        reports.append(TargetReport(target, tuple(sorted(set(kept))), tuple(_dedupe(entries))))

    result = attrs.evolve(
        profile,
        architectures=targets,
        arch_map=(),
        source=None,  # positions in the original text no longer describe this profile
        syscalls=_render(profile, list(union), source),
    )
    return Ported(result, PortReport(source, libseccomp, tuple(reports)))


def _targets(to: Arch | str | Sequence[Arch | str]) -> tuple[Arch, ...]:
    items = [to] if isinstance(to, str) else list(to)
    if not items:
        raise InputError("port needs at least one target architecture")
    return tuple(dict.fromkeys(parse_arch(a) for a in items))


def _source(profile: Profile, from_: Arch | str | None) -> Arch:
    if from_ is not None:
        return parse_arch(from_)
    declared = profile.all_architectures()
    if not declared:
        raise InputError(
            "the profile declares no architecture; say which one it was recorded on (from_)"
        )
    return parse_arch(declared[0])


def _libseccomp_model(version: str | None) -> LibseccompModel | None:
    """The measured name table of libseccomp ``version`` (None: no check)."""
    return None if version is None else _target("oci", version).libseccomp


def _unnameable(lib: LibseccompModel, arch: Arch, names: Iterable[str]) -> Iterable[PortEntry]:
    if not knows_arch(lib, arch):
        yield PortEntry(Outcome.UNDECIDED, "", "", (
            f"{lib.label} does not know the architecture {arch.value}: no runtime built on it"
            " can load this profile there"))  # fmt: skip
        return
    for name in sorted(names):
        found = placement(lib, arch, name)
        # Unknown, or known but not on this architecture (socketcall/ipc calls are placed on
        # the multiplexer by libseccomp itself): the runtime drops the rule there.
        if found is None or not found.placed:
            yield PortEntry(
                Outcome.UNDECIDED,
                "",
                name,
                f"{lib.label} cannot name {name} on {arch.value}: runtimes drop the rule and the"
                " default action applies",
            )


def _dedupe(entries: Iterable[PortEntry]) -> list[PortEntry]:
    return list(dict.fromkeys(entries))


def _port_one(
    profile: Profile, rets: list[int], default: int, source: Arch, target: Arch
) -> tuple[list[_Out], list[PortEntry], list[str]]:
    table = syscalls.table(target)
    src_table = syscalls.table(source)
    native: list[_Out] = []
    extra: list[tuple[_Out, str]] = []  # (output, source name)
    entries: list[PortEntry] = []
    kept: list[str] = []

    def carry(
        i: int, src_name: str, name: str, mapping: Sequence[int | None] | None, what: str
    ) -> tuple[ArgCondition, ...] | None:
        """The rule's conditions on ``name`` (target), or None when they cannot be carried
        (reported; the caller then applies the never-wider fallback)."""
        rule = profile.syscalls[i]
        problems: list[str] = []
        out: list[ArgCondition] = []
        for cond in rule.args:
            idx = cond.index if mapping is None else _mapped(mapping, cond.index)
            if idx is None:
                if src_name != name:
                    problems.append(
                        f"argument {cond.index} of {src_name} has no counterpart in {name}"
                    )
                elif not mapping:
                    problems.append(
                        f"the argument order of {name} on {target.value} is not in the table"
                    )
                else:
                    problems.append(
                        f"argument {cond.index} of {name} has no counterpart in {name} on "
                        f"{target.value} ({', '.join(ARG_LAYOUTS[name][target])})"
                    )
                continue
            problem = _meaning(src_name, name, cond, idx, source=source, target=target)
            if problem:
                problems.append(problem)
                continue
            out.append(attrs.evolve(cond, index=idx))
        if problems:
            entries.append(
                PortEntry(
                    Outcome.UNDECIDED,
                    src_name,
                    name,
                    _fallback("; ".join(problems), rets[i], default, what),
                )
            )
            return None
        moved = [f"{c.index} -> {o.index}" for c, o in zip(rule.args, out, strict=True)
                 if c.index != o.index]  # fmt: skip
        if moved and src_name == name:
            entries.append(PortEntry(Outcome.TRANSLATED, src_name, name, (
                f"{name}'s arguments are in another order on {target.value}: conditions moved "
                f"({', '.join(moved)})")))  # fmt: skip
        return tuple(out)

    nowhere: list[str] = []
    for i, rule in enumerate(profile.syscalls):
        on_source = _applies_on(rule, source)
        if not on_source and not _applies_on(rule, target):
            entries.append(PortEntry(Outcome.DROPPED, "", "", (
                f"syscalls[{i}] ({', '.join(rule.names)}) applies neither on {source.value} nor "
                f"on {target.value} (includes/excludes arches)")))  # fmt: skip
            continue
        for name in rule.names:
            replaced = any(
                eq.replaces and rep.name in table and _wanted(eq, name, rep.name, source, target)
                for eq in _BY_LEGACY.get(name, ())
                for rep in eq.replacements
            )
            if name in table and not replaced:
                args = carry(i, name, name, _layout_map(name, source, target), "kept")
                if args is None:
                    args = _fallback_args(rets[i], default)
                if args is not None:
                    native.append(_Out(i, name, args, True))
                    kept.append(name)
            if name not in src_table or not on_source:
                # It did nothing on the source: there is nothing to carry over.
                if name not in table:
                    nowhere.append(name)
                continue
            for eq in _BY_LEGACY.get(name, ()):
                reps = eq.replacements
                if eq.first_only:
                    reps = tuple(r for r in reps if r.name in table)[:1]
                for rep in reps:
                    if rep.name not in table or not _wanted(eq, name, rep.name, source, target):
                        continue
                    outcome = (
                        Outcome.ADDED if name in table and not replaced else Outcome.TRANSLATED
                    )
                    args = carry(i, name, rep.name, rep.args, outcome.value)
                    if args is None:
                        args = _fallback_args(rets[i], default)
                    if args is not None:
                        extra.append((_Out(i, rep.name, args, False), name))
                        reason = eq.source + (f"; {eq.note}" if eq.note else "")
                        entries.append(PortEntry(outcome, name, rep.name, reason))
            for eq, k in _BY_REPLACEMENT.get(name, ()):
                if not eq.reverse or eq.legacy not in table or eq.legacy in src_table:
                    continue
                inverse = _inverse(eq.replacements[k].args)
                args = carry(i, name, eq.legacy, inverse, "added")
                if args is None:
                    args = _fallback_args(rets[i], default)
                if args is not None:
                    extra.append((_Out(i, eq.legacy, args, False), name))
                    entries.append(
                        PortEntry(
                            Outcome.ADDED,
                            name,
                            eq.legacy,
                            (f"musl calls {eq.legacy} where the architecture has it; " + eq.source),
                        )
                    )
            if name in MULTIPLEXERS and name not in table:
                extra.extend(_demultiplex(profile, i, name, table, entries))
            if name not in table and not _handled(name, entries):
                entries.append(PortEntry(Outcome.DROPPED, name, "", _drop_reason(name, target)))

    if nowhere:
        entries.append(PortEntry(Outcome.DROPPED, "", "", (
            f"{', '.join(sorted(set(nowhere)))}: exist on neither {source.value} nor "
            f"{target.value}; they had no effect on the source")))  # fmt: skip
    return native + _settle(native, extra, rets, entries), entries, kept


def _applies_on(rule: SyscallRule, arch: Arch) -> bool:
    """Whether moby's ``includes.arches``/``excludes.arches`` let the rule apply on ``arch``."""

    def named(values: Iterable[str]) -> bool:
        for value in values:
            info = by_native(value)
            try:
                parsed = info.arch if info is not None else parse_arch(value)
            except InputError:
                continue
            if parsed is arch:
                return True
        return False

    if rule.includes.arches and not named(rule.includes.arches):
        return False
    return not named(rule.excludes.arches)


def _vdso(profile: Profile, target: Arch, outs: list[_Out], entries: list[PortEntry]) -> list[_Out]:
    from seccomp_kit.model import Action

    allow = next((i for i, r in enumerate(profile.syscalls)
                  if r.action is Action.ALLOW and not r.args), None)  # fmt: skip
    if allow is None:
        return []
    present = {o.name for o in outs}
    table = syscalls.table(target)
    added = []
    for name in VDSO.get(target, ()):
        if name in table and name not in present:
            added.append(_Out(allow, name, (), False))
            entries.append(PortEntry(Outcome.ADDED, "", name, (
                f"served by the {target.value} vDSO, so no recording shows it; the C library "
                "calls it as a syscall where the vDSO cannot answer (vdso_fallback)")))  # fmt: skip
    return added


def _wanted(eq: Equivalent, name: str, rep: str, source: Arch, target: Arch) -> bool:
    """Whether the target's C library calls ``rep`` for what ``name`` did on the source: where
    ``name`` is missing on the target, or ``rep`` on the source (the target's ABI form); the
    thread pointer call by architecture."""
    if eq.kind == "tls":
        return TLS_CALL.get(target) == rep and TLS_CALL.get(source) != rep
    return name not in syscalls.table(target) or rep not in syscalls.table(source)


def _handled(name: str, entries: list[PortEntry]) -> bool:
    return any(e.source == name and e.outcome is not Outcome.DROPPED for e in entries)


def _drop_reason(name: str, target: Arch) -> str:
    if name in ("arch_prctl", "set_thread_area", "set_tls"):
        return (
            f"{target.value} sets the thread pointer without a syscall "
            "(the TLS use of this call); its other uses have no equivalent there"
        )
    return f"{name} does not exist on {target.value} and has no equivalent there"


def _mapped(mapping: Sequence[int | None], index: int) -> int | None:
    return mapping[index] if index < len(mapping) else None


def _inverse(mapping: Sequence[int | None]) -> tuple[int | None, ...]:
    pairs = {j: i for i, j in enumerate(mapping) if j is not None}
    return tuple(pairs.get(j) for j in range(max(pairs, default=-1) + 1))


def _layout_map(name: str, source: Arch, target: Arch) -> tuple[int | None, ...] | None:
    """The index map for a call whose argument order depends on the architecture; None when it
    does not (identity). Unknown orders map nothing, so conditions are not carried."""
    layouts = ARG_LAYOUTS.get(name)
    if layouts is None or source is target:
        return None
    src, dst = layouts.get(source), layouts.get(target)
    if src is None or dst is None:
        return ()
    return tuple(dst.index(p) if p in dst else None for p in src)


def _meaning(
    src_name: str, name: str, cond: ArgCondition, idx: int, *, source: Arch, target: Arch
) -> str | None:
    """Why a condition would not mean the same on the target, or None."""
    if source is target:
        return None
    src_bits, dst_bits = arch_info(source).bits, arch_info(target).bits
    if src_bits != dst_bits or src_bits == 32:
        first = SPLIT_64.get(src_name)
        if first is not None and cond.index >= first:
            return (
                f"argument {cond.index} of {src_name} is at or after a 64-bit argument "
                f"that 32-bit ABIs split in two registers"
            )
        first = SPLIT_64.get(name)
        if first is not None and idx >= first:
            return (
                f"argument {idx} of {name} is at or after a 64-bit argument "
                f"that 32-bit ABIs split in two registers"
            )
    if dst_bits == 32 and src_bits == 64:
        values = (cond.value, cond.effective_value_two if cond.op is Operator.MASKED_EQ else 0)
        if any(v > _U32 for v in values):
            return (
                f"the condition on argument {cond.index} of {src_name} uses a value above "
                f"32 bits; libseccomp compares only the low 32 bits on {target.value}"
            )
    return None


def _fallback(problem: str, ret: int, default: int, what: str) -> str:
    if rank(ret) > rank(default):
        return f"{problem}; left out on this target (narrower), add it by hand if needed"
    return f"{problem}; {what} without conditions (narrower: it now applies to every call)"


def _fallback_args(ret: int, default: int) -> tuple[ArgCondition, ...] | None:
    """The never-wider answer for a rule whose conditions cannot be carried: drop a rule less
    restrictive than the default, keep a more restrictive one unconditional."""
    return None if rank(ret) > rank(default) else ()


def _demultiplex(
    profile: Profile, i: int, name: str, table: syscalls.SyscallTable, entries: list[PortEntry]
) -> list[tuple[_Out, str]]:
    """socketcall/ipc rules become the calls they select (argument 0)."""
    calls = MULTIPLEXERS[name]
    rule = profile.syscalls[i]
    selector = [c for c in rule.args if c.index == 0]
    rest = tuple(c for c in rule.args if c.index != 0)
    if rest:
        entries.append(
            PortEntry(
                Outcome.UNDECIDED,
                name,
                "",
                (
                    f"conditions on {name}'s arguments other than the call number point into its "
                    "argument array; left out"
                ),
            )
        )
        return []
    if not selector:
        chosen = sorted(calls.values())
        why = f"{name} without conditions allows every call it multiplexes"
    elif len(selector) == 1 and selector[0].op is Operator.EQ and selector[0].value in calls:
        chosen = [calls[selector[0].value]]
        why = f"{name}(arg0 == {selector[0].value}) is {chosen[0]}"
    else:
        entries.append(
            PortEntry(
                Outcome.UNDECIDED,
                name,
                "",
                (
                    f"{name}'s call number is compared with something other than one known value; "
                    "left out"
                ),
            )
        )
        return []
    out = []
    for call in chosen:
        if call in table:
            out.append((_Out(i, call, (), False), name))
            entries.append(PortEntry(Outcome.TRANSLATED, name, call, why))
    return out


def _settle(
    native: list[_Out], extra: list[tuple[_Out, str]], rets: list[int], entries: list[PortEntry]
) -> list[_Out]:
    """Equivalents for one name agree on one action: the profile's own rule for that name wins,
    else the most restrictive action; the others are reported."""
    own: dict[str, set[int]] = {}
    for out in native:
        own.setdefault(out.name, set()).add(rets[out.rule])
    by_name: dict[str, list[tuple[_Out, str]]] = {}
    for out, src in extra:
        by_name.setdefault(out.name, []).append((out, src))
    result: list[_Out] = []
    for name, outs in by_name.items():
        if name in own:
            allowed = own[name]
            why = "the profile's own rule for {name} has another action; kept that"
        else:
            strictest = min((rets[o.rule] for o, _ in outs), key=rank)
            allowed = {strictest}
            why = "equivalents with different actions land on {name}; kept the most restrictive"
        for out, src in outs:
            if rets[out.rule] not in allowed:
                entries.append(PortEntry(Outcome.UNDECIDED, src, name, why.format(name=name)))
                continue
            if (
                name in own
                and out.args
                and any(
                    n.name == name and not n.args and rets[n.rule] == rets[out.rule] for n in native
                )
            ):
                continue  # the profile already allows every call of it
            result.append(out)
    return list(dict.fromkeys(result))


def _render(profile: Profile, outs: list[_Out], source: Arch) -> tuple[SyscallRule, ...]:
    """Rules in the source's order: each source rule with the names it keeps, then one rule per
    source rule and condition set for the names ported from it. A rule that applied on the
    source loses its ``includes``/``excludes`` arches (they named the source's architectures);
    a rule that applied only on a target keeps them."""
    rules: list[SyscallRule] = []
    for i, rule in enumerate(profile.syscalls):
        if _applies_on(rule, source) and (rule.includes.arches or rule.excludes.arches):
            rule = attrs.evolve(  # noqa: PLW2901 - the rule as ported
                rule,
                includes=attrs.evolve(rule.includes, arches=()),
                excludes=attrs.evolve(rule.excludes, arches=()),
            )
        groups: dict[tuple[bool, tuple[ArgCondition, ...]], list[str]] = {}
        for out in outs:
            if out.rule == i:
                groups.setdefault((not out.native, out.args), []).append(out.name)
        for (added, args), names in sorted(groups.items(), key=lambda kv: kv[0][0]):
            unique = list(dict.fromkeys(names))
            if added:
                unique.sort()
            legacy = rule.legacy_name and len(unique) == 1
            rules.append(attrs.evolve(rule, names=unique, args=args, legacy_name=legacy))
    return tuple(rules)
