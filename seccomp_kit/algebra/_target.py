"""A profile as one target (runtime build + libseccomp) loads it, for diff, merge, normalize
and resolve.

Without a target these functions read a profile on its own terms: every name by seccomp_kit's
syscall tables. With ``runtime=`` or ``libseccomp=`` they answer for that target instead, from
its own translation (:func:`seccomp_kit.libseccomp.translate.translate`): a profile the target
refuses is an error naming the field and the target, a name its libseccomp cannot resolve is
dropped as the runtime drops it (the syscall gets the default action), and a name is in effect
on an architecture only where the target's libseccomp places it at its own number (placement
through socketcall/ipc is not reported by name).
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from seccomp_kit.errors import InputError, ProfileError
from seccomp_kit.libseccomp.targets import Target, target
from seccomp_kit.libseccomp.translate import SkipReason, translate
from seccomp_kit.model import Arch, Profile

__all__ = ["TargetView", "as_target", "view"]


def as_target(runtime: str | Target | None, libseccomp: str | None) -> Target | None:
    """The target ``runtime``/``libseccomp`` name; None when neither is given (a profile read
    on its own terms). One given alone takes the usual default for the other (runc, the
    installed libseccomp)."""
    if runtime is None and libseccomp is None:
        return None
    return target("runc" if runtime is None else runtime, libseccomp or "installed")


@attrs.frozen
class TargetView:
    """What one target does with one profile on a host of one architecture."""

    profile: Profile
    """The profile without the names the target drops (rules left without a name go too)."""
    dropped: tuple[str, ...]
    """Names the target's libseccomp cannot resolve on the host, in profile order."""
    placed: Mapping[Arch, frozenset[str]]
    """Per architecture of the filter, the names the target's libseccomp places at their own
    syscall number there (a name it only multiplexes through socketcall/ipc is not)."""

    def in_effect(self, arch: Arch, name: str) -> bool:
        """Whether a rule for ``name`` reaches the filter's ``arch`` section at the name's own
        number. Architectures outside the filter are left to the caller (nothing to
        restrict)."""
        names = self.placed.get(arch)
        return names is None or name in names


def view(profile: Profile, tgt: Target, host: Arch, label: str | None = None) -> TargetView:
    """Translate ``profile`` for ``tgt`` on ``host``; the target's refusal is an
    :class:`InputError` naming the field, the file (``label``) and the target."""
    try:
        t = translate(profile, runtime=tgt, host_arch=host)
    except ProfileError as exc:
        raise InputError(
            f"{exc.message} (as {tgt.label})",
            path=exc.path,
            source=label or exc.source,
        ) from None
    placed: dict[Arch, set[str]] = {arch: set() for arch in t.architectures}
    for add in t.rules:
        for arch, _ in add.numbers:
            placed.setdefault(arch, set()).add(add.name)
    dropped = tuple(dict.fromkeys(s.name for s in t.skipped if s.reason is SkipReason.UNRESOLVED))
    return TargetView(
        _without(profile, frozenset(dropped)),
        dropped,
        {arch: frozenset(names) for arch, names in placed.items()},
    )


def _without(profile: Profile, names: frozenset[str]) -> Profile:
    if not names:
        return profile
    rules = []
    for rule in profile.syscalls:
        kept = tuple(n for n in rule.names if n not in names)
        if kept == tuple(rule.names):
            rules.append(rule)
        elif kept:
            rules.append(attrs.evolve(rule, names=kept))
    return attrs.evolve(profile, syscalls=tuple(rules))
