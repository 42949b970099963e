"""Pod Security Standards' capability rules (``pod-security-admission``, checks
``capabilities_baseline`` and ``capabilities_restricted``).

- baseline: ``capabilities.add`` may only list names from :data:`BASELINE_ALLOWED`;
- restricted (v1.22 and later): ``capabilities.drop`` must contain ``ALL`` and ``add`` may only
  list ``NET_BIND_SERVICE``; Windows pods are exempt.

Both apply to every container (init and ephemeral included) and compare the names exactly as
written: ``CAP_CHOWN`` or ``chown`` is not ``CHOWN`` to the admission controller, although the
container runtimes accept them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["BASELINE_ALLOWED", "RESTRICTED_ADD", "baseline_problems", "restricted_problems"]

BASELINE_ALLOWED = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)
RESTRICTED_ADD = frozenset({"NET_BIND_SERVICE"})


def _list(caps: Any, key: str) -> list[str]:
    if not isinstance(caps, Mapping):
        return []
    value = caps.get(key)
    return [str(v) for v in value] if isinstance(value, list) else []


def baseline_problems(capabilities: Any) -> list[str]:
    """The ``add`` entries Pod Security baseline refuses, each explained."""
    out = []
    for name in _list(capabilities, "add"):
        if name in BASELINE_ALLOWED:
            continue
        plain = name.upper().removeprefix("CAP_")
        if plain in BASELINE_ALLOWED:
            out.append(f"adds {name!r} (Pod Security compares names as written: use {plain!r})")
        else:
            out.append(f"adds {name!r}")
    return out


def restricted_problems(capabilities: Any) -> list[str]:
    """What keeps a container's capabilities from Pod Security restricted."""
    out = []
    if "ALL" not in _list(capabilities, "drop"):
        out.append("does not drop ALL")
    extra = [n for n in _list(capabilities, "add") if n not in RESTRICTED_ADD]
    if extra:
        out.append(
            f"adds {', '.join(repr(n) for n in extra)} (only 'NET_BIND_SERVICE' may be added)"
        )
    return out
