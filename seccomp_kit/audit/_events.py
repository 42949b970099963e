"""What the audit parser produces: events, the parse's accounting, and the keys it counts."""

from __future__ import annotations

import datetime
from collections import Counter
from typing import Any, NamedTuple

import attrs

from seccomp_kit.model import Action, Arch

__all__ = ["AuditEvent", "AuditStats", "TallyKey", "action_for_code"]


def action_for_code(code: int) -> Action | None:
    """The action a ``code=`` value means (its data bits ignored), or None if none does."""
    return Action.from_kernel(code)


# slots=False on purpose: the parser fills ``__dict__`` directly, which costs a quarter of the
# generated ``__init__`` for twenty fields; equality, hashing and immutability stay attrs'.
@attrs.frozen(slots=False)
class AuditEvent:
    """One SECCOMP record.

    ``arch`` is the table ``syscall_nr`` belongs to (``SCMP_ARCH_X86`` for a 32-bit caller on
    x86_64, ``SCMP_ARCH_X32`` for an x32 one); ``arch_code`` is the raw ``AUDIT_ARCH`` value.
    ``syscall`` is the name in that table or None. ``timestamp`` is seconds since the epoch
    (None where the log keeps no usable time), ``serial`` the audit serial (None where the log
    drops it). Fields a record lacks are None.
    """

    timestamp: float | None
    serial: int | None
    node: str | None
    pid: int | None
    auid: int | None
    uid: int | None
    gid: int | None
    ses: int | None
    subj: str | None
    comm: str | None
    exe: str | None
    sig: int | None
    arch: Arch
    arch_code: int
    syscall_nr: int
    syscall: str | None
    compat: bool | None
    ip: int | None
    code: int

    @property
    def action(self) -> Action | None:
        """The seccomp action that logged the record (``SCMP_ACT_LOG`` for LOG profiles)."""
        return action_for_code(self.code)

    @property
    def action_data(self) -> int:
        """The action's 16 data bits: the errno of ERRNO, the value of TRACE."""
        return self.code & 0xFFFF

    @property
    def time(self) -> datetime.datetime | None:
        """``timestamp`` as an aware UTC datetime."""
        if self.timestamp is None:
            return None
        return datetime.datetime.fromtimestamp(self.timestamp, tz=datetime.UTC)


def _event(values: dict[str, Any]) -> AuditEvent:
    event: AuditEvent = object.__new__(AuditEvent)
    event.__dict__.update(values)
    return event


@attrs.define
class AuditStats:
    """What a parse saw. Every counter is exact for the input read so far.

    ``records`` counts SECCOMP records found (``events`` of them were emitted, the rest are in
    ``skipped`` by reason). Loss evidence is kept per kind, because each kind counts something
    different: ``serial_gaps`` counts audit serials that never appeared (the kernel numbers every
    audit record, not only SECCOMP ones, and per ``node``); ``callbacks_suppressed`` sums the
    kernel's "kauditd_printk_skb: N callbacks suppressed" notes (records printk dropped);
    ``printk_limit`` counts "audit: printk limit exceeded" notes (older kernels, one per dropped
    record); ``audit_lost`` is the growth of the kernel's ``audit_lost=`` counter between its
    notes (the first note counts as one).
    """

    lines: int = 0
    records: int = 0
    events: int = 0
    record_lines: int = 0
    skipped: Counter[str] = attrs.field(factory=Counter)
    unknown_arch_codes: Counter[str] = attrs.field(factory=Counter)
    unknown_syscalls: int = 0
    serial_gaps: int = 0
    callbacks_suppressed: int = 0
    printk_limit: int = 0
    audit_lost: int = 0

    @property
    def other_lines(self) -> int:
        """Lines that held no SECCOMP record (other messages, loss notes, other audit types)."""
        return self.lines - self.record_lines

    @property
    def lost(self) -> int:
        """A lower bound of the records the log lost: the larger of the serial evidence and the
        kernel's own notes (the two usually describe the same drops, so they are not added)."""
        notes = self.callbacks_suppressed + self.printk_limit + self.audit_lost
        return max(self.serial_gaps, notes)

    def summary(self) -> list[str]:
        """Human-readable lines for a report (the CLI prints these)."""
        out = [
            f"lines read: {self.lines}",
            f"SECCOMP records: {self.records} ({self.events} used)",
        ]
        for reason, count in sorted(self.skipped.items()):
            out.append(f"  skipped, {reason}: {count}")
        if self.unknown_arch_codes:
            codes = ", ".join(f"{c} ({n})" for c, n in sorted(self.unknown_arch_codes.items()))
            out.append(f"  unknown arch codes: {codes}")
        if self.unknown_syscalls:
            out.append(f"  syscall numbers without a name: {self.unknown_syscalls}")
        if self.lost:
            out.append(
                f"LOST: at least {self.lost} records (serial gaps {self.serial_gaps}, "
                f"callbacks suppressed {self.callbacks_suppressed}, printk limit "
                f"{self.printk_limit}, audit_lost {self.audit_lost})"
            )
        else:
            out.append("lost: none seen")
        return out


class TallyKey(NamedTuple):
    """What a recording needs of an event; :func:`tally` counts events per key."""

    arch: Arch
    syscall_nr: int
    syscall: str | None
    code: int
