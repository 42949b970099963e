"""libseccomp's rule databases for a translation: one per architecture, grouped by audit code.

Where each rule lands (socket and SysV IPC calls also through ``socketcall``/``ipc`` on the
architectures that multiplex them), which additions libseccomp refuses (EEXIST) and which it would
never finish (its database loops on some overlapping conditions). Compiling asks this module
before calling libseccomp, so a profile that would hang the runtime is refused instead; the
matcher walks the databases it builds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from seccomp_kit import syscalls
from seccomp_kit.bpf import kernel_arch_code as kernel_audit
from seccomp_kit.errors import ProfileError
from seccomp_kit.libseccomp._db import LOOPS, Node, SyscallDB, SysEntry
from seccomp_kit.libseccomp.translate import RuleAdd, Translation
from seccomp_kit.model import Arch, ArgCondition, Operator
from seccomp_kit.syscalls.arches import arch_info

__all__ = [
    "MUX_ARCHES",
    "MUX_CALLS",
    "Group",
    "LibseccompLoopError",
    "build_groups",
    "chain",
    "check_finishes",
]

_U64 = 0xFFFF_FFFF_FFFF_FFFF

# libseccomp multiplexes these through socketcall/ipc on the architectures below: it adds each
# such rule once for the multiplexer (argument 0 compared with the sub-call number) and once for
# the direct syscall where one exists.
_SOCKET_CALLS = (
    "socket", "bind", "connect", "listen", "accept", "getsockname", "getpeername", "socketpair",
    "send", "recv", "sendto", "recvfrom", "shutdown", "setsockopt", "getsockopt", "sendmsg",
    "recvmsg", "accept4", "recvmmsg", "sendmmsg",
)  # fmt: skip
_IPC_CALLS = {
    "semop": 1, "semget": 2, "semctl": 3, "semtimedop": 4, "msgsnd": 11, "msgrcv": 12,
    "msgget": 13, "msgctl": 14, "shmat": 21, "shmdt": 22, "shmget": 23, "shmctl": 24,
}  # fmt: skip
MUX_CALLS: dict[str, tuple[str, int]] = {
    **{name: ("socketcall", i + 1) for i, name in enumerate(_SOCKET_CALLS)},
    **{name: ("ipc", sub) for name, sub in _IPC_CALLS.items()},
}
MUX_ARCHES = frozenset(
    {Arch.X86, Arch.MIPS, Arch.MIPSEL, Arch.PPC, Arch.PPC64, Arch.PPC64LE, Arch.S390, Arch.S390X}
)


def chain(conditions: Iterable[ArgCondition]) -> list[tuple[int, Operator, int, int]]:
    out: list[tuple[int, Operator, int, int]] = []
    for c in conditions:
        op = Operator(c.op)
        if op is Operator.MASKED_EQ:
            out.append((c.index, op, c.value, c.effective_value_two))
        else:
            out.append((c.index, op, _U64, c.value))
    return out


class Group:
    """The filter's section for one audit code: one or two architectures' databases."""

    __slots__ = ("arches", "audit", "entries", "pseudo_first", "x32_only", "x86_64_only")

    def __init__(
        self, audit: int, arches: list[Arch], dbs: list[SyscallDB], pseudo_first: bool = False
    ) -> None:
        self.audit = audit
        self.pseudo_first = pseudo_first
        """libseccomp (2.5 and 2.6) generates this section without loading the syscall number: its
        first syscall is a pseudo-syscall (see :func:`_pseudo_first`)."""
        self.arches = arches
        self.entries: dict[int, SysEntry] = {}
        for db in dbs:
            self.entries.update(db.entries)
        self.x86_64_only = arches == [Arch.X86_64]
        self.x32_only = arches == [Arch.X32]


class LibseccompLoopError(ProfileError):
    """libseccomp would never return from adding a rule (the runtime would hang)."""


def build_groups(
    t: Translation, *, skip: frozenset[tuple[RuleAdd, Arch]] = frozenset()
) -> dict[int, Group]:
    """libseccomp's rule database for every architecture of ``t``, grouped by audit code.

    ``skip`` names (rule, architecture) pairs the filter does not carry (see
    :func:`seccomp_kit.libseccomp.compile.missing_rules`).

    Raises :class:`ProfileError` where libseccomp refuses a rule (EEXIST) or would never finish
    adding it (its database loops on some overlapping conditions).
    """
    by_audit: dict[int, tuple[list[Arch], list[SyscallDB]]] = {}
    pseudo_first: set[int] = set()
    for arch in t.architectures:
        info = arch_info(arch)
        db = SyscallDB(info.bits)
        table = syscalls.table(arch)
        pseudo = SyscallDB(info.bits)  # the pseudo-syscall entries, one per name
        pseudo_keys: dict[str, int] = {}
        for rule in _rules_on(t, arch):
            if skip and (rule, arch) in skip:
                continue
            conds = chain(rule.conditions)
            leaf = (rule.action, rule)
            if _multiplexed(t, rule, arch):
                if rule.number(arch) is None:
                    key = pseudo_keys.setdefault(rule.name, -1 - len(pseudo_keys))
                    pseudo.add(key, conds, leaf)
                via, sub = MUX_CALLS[rule.name]
                mux_nr = table.number(via)
                if mux_nr is not None:
                    mux_chain = [c for c in conds if c[0] != 0]
                    mux_chain.append((0, Operator.EQ, _U64, sub))
                    _add(db, mux_nr, mux_chain, leaf, rule=rule, arch=arch)
            nr = rule.number(arch)
            if nr is not None:
                _add(db, nr, conds, leaf, rule=rule, arch=arch)
        arches, dbs = by_audit.setdefault(kernel_audit(arch), ([], []))
        arches.append(arch)
        dbs.append(db)
        if (
            pseudo.entries
            and t.target.libseccomp.pseudo_section_bug
            and not t.binary_tree
            and _pseudo_first(db, pseudo)
        ):
            pseudo_first.add(kernel_audit(arch))
    return {audit: Group(audit, a, d, audit in pseudo_first) for audit, (a, d) in by_audit.items()}


def _multiplexed(t: Translation, rule: RuleAdd, arch: Arch) -> bool:
    if t.placed_by_number:  # our tables: libseccomp multiplexes where these arches have it
        return arch in MUX_ARCHES and rule.name in MUX_CALLS
    return arch in rule.multiplexed


def _nodes(node: Node | None, seen: set[int]) -> int:
    count = 0
    while node is not None:
        if id(node) not in seen:
            seen.add(id(node))
            count += 1 + _nodes(node.nxt_t, seen) + _nodes(node.nxt_f, seen)
        node = node.lvl_nxt
    return count


def _priority(nodes: int) -> int:
    # libseccomp ranks a syscall's block by 0xffff minus the comparisons in its tree.
    return 0xFFFF - nodes


def _pseudo_first(db: SyscallDB, pseudo: SyscallDB) -> bool:
    """Whether the section starts with a pseudo-syscall. libseccomp (2.5 and 2.6) generates an
    architecture's syscalls by priority (fewest comparisons first) and loads the syscall number
    while generating the first one; a pseudo-syscall (a multiplexed call with no number of its
    own there) is skipped by the generator, and that load with it, when it comes first. It
    comes first only when it ranks strictly higher than every real entry (at equal priority a
    real entry leads: libseccomp's own sim tables 30, 33, 36 and 37 on x86, s390, ppc and mips,
    and the real runtimes' filters, agree)."""
    real = max((_priority(_nodes(e.chains, set())) for e in db.entries.values()), default=-1)
    best = max(_priority(_nodes(e.chains, set())) for e in pseudo.entries.values())
    return best > real


def check_finishes(t: Translation) -> None:
    """Raise where libseccomp would refuse (EEXIST) or never finish adding ``t``'s rules.

    Only a syscall number that receives several rules, one of them conditional, can loop or
    clash, so only those rules are modelled. A number belongs to one name on each architecture
    (the tables have no aliases), except that on x86, s390 and the others that multiplex
    socketcall/ipc a socket call's rule also lands on the multiplexer's number.
    """
    groups: dict[str, list[RuleAdd]] = {}
    for rule in t.rules:
        groups.setdefault(rule.name, []).append(rule)
    if any(_multiplexed(t, r, a) for r in t.rules for a in t.architectures):
        for rule in t.rules:
            via = MUX_CALLS[rule.name][0] if rule.name in MUX_CALLS else rule.name
            if via in ("socketcall", "ipc"):
                groups.setdefault(f"{via} family", []).append(rule)
    risky = {
        id(rule)
        for rules in groups.values()
        if len(rules) > 1 and any(r.conditions for r in rules)
        for rule in rules
    }
    if risky:
        build_groups(attrs.evolve(t, rules=tuple(r for r in t.rules if id(r) in risky)))


def _rules_on(t: Translation, arch: Arch) -> Iterable[RuleAdd]:
    for rule in t.rules:
        if rule.number(arch) is not None or _multiplexed(t, rule, arch):
            yield rule


def _add(
    db: SyscallDB,
    nr: int,
    chain: Sequence[tuple[int, Operator, int, int]],
    leaf: tuple[int, RuleAdd],
    *,
    rule: RuleAdd,
    arch: Arch,
) -> None:
    rc = db.add(nr, chain, leaf)
    if rc == LOOPS:
        raise LibseccompLoopError(
            f"libseccomp 2.5 never finishes adding the rule for {rule.name!r} on"
            f" {arch.value}: its rule database loops on these overlapping conditions (the"
            " runtime would hang); change or split the conditions",
            path=(*rule.path, "names", rule.name_index),
        )
    if rc < 0:
        raise ProfileError(
            f"libseccomp refuses the rule for {rule.name!r} on {arch.value} (EEXIST): an"
            " earlier rule has the same argument conditions with a different action",
            path=(*rule.path, "names", rule.name_index),
        )
