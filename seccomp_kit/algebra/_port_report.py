"""What :func:`seccomp_kit.algebra.porting.port` did, per target architecture."""

from __future__ import annotations

import enum
from typing import Any

import attrs

from seccomp_kit.model import Arch, Profile

__all__ = ["Outcome", "PortEntry", "PortReport", "Ported", "TargetReport"]


class Outcome(enum.StrEnum):
    TRANSLATED = "translated"
    """The source call does not exist on the target; its equivalent stands in for it."""
    ADDED = "added"
    """The source call is kept and an equivalent the target's C library calls is added."""
    DROPPED = "dropped"
    """The source call does not exist on the target and nothing there does the same."""
    UNDECIDED = "undecided"
    """Needs a person: conditions that cannot be carried, conflicting actions, a name the
    target libseccomp cannot resolve, a rule another target brings in."""


@attrs.frozen
class PortEntry:
    outcome: Outcome
    source: str
    """The call in the source profile (empty where the entry is about the target name only)."""
    target: str
    """The call on the target (empty for a dropped call)."""
    reason: str

    def to_data(self) -> dict[str, str]:
        return {
            "outcome": self.outcome.value,
            "source": self.source,
            "target": self.target,
            "reason": self.reason,
        }


@attrs.frozen
class TargetReport:
    arch: Arch
    kept: tuple[str, ...]
    """Names of the source profile kept as they are (they exist on the target)."""
    entries: tuple[PortEntry, ...]

    def of(self, outcome: Outcome) -> tuple[PortEntry, ...]:
        return tuple(e for e in self.entries if e.outcome is outcome)

    @property
    def translated(self) -> tuple[PortEntry, ...]:
        return self.of(Outcome.TRANSLATED)

    @property
    def added(self) -> tuple[PortEntry, ...]:
        return self.of(Outcome.ADDED)

    @property
    def dropped(self) -> tuple[PortEntry, ...]:
        return self.of(Outcome.DROPPED)

    @property
    def undecided(self) -> tuple[PortEntry, ...]:
        return self.of(Outcome.UNDECIDED)

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"arch": self.arch.value, "kept": list(self.kept)}
        for outcome in Outcome:
            data[outcome.value] = [e.to_data() for e in self.of(outcome)]
        return data


@attrs.frozen
class PortReport:
    source: Arch
    libseccomp: str | None
    """The libseccomp version the names were checked against (None: not checked)."""
    targets: tuple[TargetReport, ...]

    def __bool__(self) -> bool:
        """True when something needs a person: an undecided entry on any target."""
        return any(t.undecided for t in self.targets)

    def to_data(self) -> dict[str, Any]:
        return {
            "source": self.source.value,
            "libseccomp": self.libseccomp,
            "targets": [t.to_data() for t in self.targets],
        }

    def to_text(self) -> str:
        lines = [f"ported from {self.source.value}"]
        if self.libseccomp is None:
            lines.append("names not checked against a libseccomp version (use --libseccomp)")
        else:
            lines.append(f"names checked against libseccomp {self.libseccomp}")
        for t in self.targets:
            counts = ", ".join(f"{len(t.of(o))} {o.value}" for o in Outcome)
            lines.append(f"{t.arch.value}: {len(t.kept)} kept, {counts}")
            for e in t.entries:
                arrow = f"{e.source or '-'} -> {e.target or '-'}"
                lines.append(f"  {e.outcome.value:<10} {arrow}: {e.reason}")
        return "\n".join(lines) + "\n"


@attrs.frozen
class Ported:
    """The ported profile and what happened on the way."""

    profile: Profile
    report: PortReport
