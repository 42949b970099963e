"""Audit records: SCMP_ACT_LOG (type 1326) records from every shape logs keep them in.

Owns: the parser (:mod:`._parser`, with its C fast path :mod:`._scan` and the field decoding of
:mod:`._fields`), loss accounting (serial gaps, rate-limit notes) and the audit netlink
multicast reader (:mod:`._netlink`). May import: ``model``, ``errors``, ``syscalls``.
"""

from __future__ import annotations

from seccomp_kit.audit._parser import (
    AuditEvent,
    AuditParser,
    AuditStats,
    Reason,
    TallyKey,
    action_for_code,
    parse,
    parse_line,
    tally,
)

__all__ = [
    "AuditEvent",
    "AuditParser",
    "AuditStats",
    "Reason",
    "TallyKey",
    "action_for_code",
    "parse",
    "parse_line",
    "tally",
]
