"""Linux capability names (``linux/capability.h``), with "did you mean" for typos."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from seccomp_kit.errors import InputError

__all__ = ["CAPABILITIES", "parse_capabilities", "parse_capability"]

CAPABILITIES: tuple[str, ...] = (
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
)
"""In kernel bit order (CAP_CHOWN is bit 0)."""

_KNOWN = frozenset(CAPABILITIES)


def parse_capability(name: str) -> str:
    """``"CAP_SYS_ADMIN"``, ``"SYS_ADMIN"`` or ``"sys_admin"`` -> ``"CAP_SYS_ADMIN"``.

    Container engines compare the bounding set's ``CAP_*`` spellings, so that is what comes
    back; an unknown name raises :class:`InputError` with the closest known one.
    """
    upper = name.strip().upper()
    full = upper if upper.startswith("CAP_") else "CAP_" + upper
    if full in _KNOWN:
        return full
    close = difflib.get_close_matches(full, CAPABILITIES, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise InputError(f"unknown capability {name!r}{hint}")


def parse_capabilities(names: Iterable[str]) -> tuple[str, ...]:
    """Every name parsed, duplicates dropped, in the order given."""
    return tuple(dict.fromkeys(parse_capability(n) for n in names))
