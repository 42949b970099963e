"""What one target (runtime build + libseccomp version) refuses or silently changes.

The checks of :mod:`.semantics` describe runc, crun and the specification; this pass asks the
target's own translation (:func:`seccomp_kit.libseccomp.translate.translate`), so ``validate``
passing means the runtime accepts the profile and ``compile`` succeeds: flags on runc before
1.2, an architecture the runtime or its libseccomp does not know, big- and little-endian
architectures together; and it names the exact consequence of every name the target's
libseccomp cannot resolve (the runtime drops it: the syscall gets the default action).
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from seccomp_kit.bpf import action_text
from seccomp_kit.diagnostics import Diagnostic, Severity
from seccomp_kit.errors import ProfileError
from seccomp_kit.libseccomp.targets import Target
from seccomp_kit.libseccomp.translate import SkipReason, translate
from seccomp_kit.model import Arch, Profile

__all__ = ["target_checks"]


def target_checks(
    profile: Profile, tgt: Target, arch: Arch | None, known: Sequence[Diagnostic]
) -> list[Diagnostic]:
    """Diagnostics for ``tgt`` that ``known`` (the other checks' findings) does not already
    give. Profiles with moby conditions are checked once resolved (``seccomp-kit resolve``)."""
    if any(r.includes or r.excludes for r in profile.syscalls):
        return []
    who = "the runtime" if tgt.runtime is None else tgt.runtime.label
    out: list[Diagnostic] = []
    try:
        t = translate(profile, runtime=tgt, host_arch=arch)
    except ProfileError as exc:
        if not any(d.severity is Severity.ERROR and d.path == exc.path for d in known):
            out.append(
                Diagnostic(Severity.ERROR, "SK505", f"{exc.message} (as {tgt.label})", exc.path)
            )
        if exc.path[:1] != ("flags",):
            return out
        try:  # the rest is still worth knowing: report every problem at once
            t = translate(attrs.evolve(profile, flags=()), runtime=tgt, host_arch=arch)
        except ProfileError:
            return out
    default = action_text(t.default_action)
    return out + [
        Diagnostic(
            Severity.WARNING,
            "SK120",
            f"{skip.name!r} is unknown to {tgt.libseccomp.label}: {who} drops it, so it gets"
            f" the default action {default}",
            skip.path,
            suggestion="list it only for runtimes whose libseccomp knows it, or allow what"
            " the program does instead",
        )
        for skip in t.skipped
        if skip.reason is SkipReason.UNRESOLVED
    ]
