"""Profile algebra: normalize, merge, extend, diff, resolve and port, exactly on effect.

Owns: :mod:`.merging` (normalize, union and intersection, SPO's ``baseProfileName`` extension),
:mod:`.diffing` (what changes for which syscall), :mod:`.resolving` (a moby or
containers/common profile resolved for one host), :mod:`.porting` (a profile recorded on one
architecture made for others, with the equivalence table :mod:`._equivalents`) and the region
arithmetic they share (:mod:`._core`). May import: ``model`` … ``libseccomp``, ``match``
(effects are decided by the matcher).
"""

from __future__ import annotations

from seccomp_kit.algebra.diffing import ProfileDiff, diff
from seccomp_kit.algebra.merging import extend, merge, normalize
from seccomp_kit.algebra.porting import Ported, PortReport, port
from seccomp_kit.algebra.resolving import resolve

__all__ = [
    "PortReport",
    "Ported",
    "ProfileDiff",
    "diff",
    "extend",
    "merge",
    "normalize",
    "port",
    "resolve",
]
