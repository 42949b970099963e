"""Profile algebra: normalize, merge, extend, diff and resolve, exactly on effect.

Owns: :mod:`.merging` (normalize, union and intersection, SPO's ``baseProfileName`` extension),
:mod:`.diffing` (what changes for which syscall), :mod:`.resolving` (a moby or
containers/common profile resolved for one host) and the region arithmetic they share
(:mod:`._core`). May import: ``model`` … ``libseccomp``, ``match`` (effects are decided by the
matcher).
"""

from __future__ import annotations

from seccomp_kit.algebra.diffing import ProfileDiff, diff
from seccomp_kit.algebra.merging import extend, merge, normalize
from seccomp_kit.algebra.resolving import resolve

__all__ = ["ProfileDiff", "diff", "extend", "merge", "normalize", "resolve"]
