"""libseccomp and the runtimes in front of it: everything that decides which filter is loaded.

Owns: the ctypes wrapper around the installed libseccomp (:mod:`._ffi`), how runc and crun turn
a profile into libseccomp calls (:mod:`.translate`), libseccomp's rule database rebuilt in Python
(:mod:`._db`, :mod:`._build`) and compiling to the BPF program the kernel runs
(:mod:`.compile`). Both :mod:`seccomp_kit.match` and :mod:`seccomp_kit.algebra` depend on this
package; it depends on neither. May import: ``model``, ``errors``, ``syscalls``, ``io``, ``bpf``.

Where a new runtime or libseccomp quirk goes: the runtime's side (what it hands libseccomp) in
:mod:`.translate`, libseccomp's side (how it folds and places rules) in :mod:`._db` and
:mod:`._build`, and code generation in :mod:`.compile`.
"""

from __future__ import annotations

__all__: list[str] = []
