"""The part of a broken document that can still be checked.

A value the model cannot hold (``defaultErrnoRet: -1``, a rule whose ``args`` is a string) is a
schema error, reported as such; but it must not hide what the rest of the document gets wrong
(an unknown key, a misspelled syscall elsewhere). :func:`salvage` takes such values out (an
optional top-level field is dropped; a broken rule is replaced by a placeholder that names no
syscall the document names) until a :class:`Profile` can be built, and says which paths it cut
so that findings about them (already reported by the schema) are left out.
"""

from __future__ import annotations

import copy
from typing import Any

from seccomp_kit.errors import JSONPath, ProfileError
from seccomp_kit.io import from_data
from seccomp_kit.model import Profile, SourceText
from seccomp_kit.syscalls import all_names

__all__ = ["salvage"]

# Bounded: each round cuts one field or one rule, so a document has at most this many.
_MAX_ROUNDS = 256
_REQUIRED = frozenset({"defaultAction"})


def salvage(data: Any, source: SourceText) -> tuple[Profile | None, list[JSONPath]]:
    """A profile built from ``data`` minus what the model cannot hold, and the cut paths;
    ``(None, ...)`` when not even that works (no usable ``defaultAction``, not an object)."""
    cut: list[JSONPath] = []
    work = data
    for _ in range(_MAX_ROUNDS):
        try:
            return from_data(work, source=source), cut
        except ProfileError as exc:
            path = tuple(exc.path)
            if not isinstance(work, dict) or not path or path[0] in _REQUIRED or path in cut:
                return None, cut
            if work is data:
                work = copy.deepcopy(data)  # never change the caller's document
            if path[0] == "syscalls" and len(path) >= 2 and isinstance(path[1], int):
                rules = work.get("syscalls")
                if not isinstance(rules, list) or not 0 <= path[1] < len(rules):
                    return None, cut
                rules[path[1]] = _placeholder(work)
                cut.append(("syscalls", path[1]))
            else:
                work.pop(path[0], None)
                cut.append((path[0],))
    return None, cut


def _placeholder(data: dict[str, Any]) -> dict[str, Any]:
    """A rule the semantic checks pass over silently: an unconditional ALLOW of a syscall no
    other rule names (so no conflict is invented); findings at its path are dropped."""
    named: set[str] = set()
    rules = data.get("syscalls")
    for rule in rules if isinstance(rules, list) else ():
        if isinstance(rule, dict):
            names = rule.get("names")
            candidates = names if isinstance(names, list) else [rule.get("name")]
            named.update(n for n in candidates if isinstance(n, str))  # junk is not a name
    # Never exit/exit_group: their absence is a finding (SK410) the placeholder must not hide.
    name = next(n for n in sorted(all_names()) if n not in named and not n.startswith("exit"))
    return {"names": [name], "action": "SCMP_ACT_ALLOW"}
