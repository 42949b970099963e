"""Validation: the JSON Schema of each dialect, then the checks a schema cannot express.

Owns: :mod:`.schema` (our schemas, their errors as diagnostics), :mod:`.semantics` (what runc,
crun and libseccomp will refuse or do differently), and :func:`validate`, which runs both and
ranks what they found. May import: ``model``, ``errors``, ``diagnostics``, ``syscalls``, ``io``,
``bpf`` and ``libseccomp`` (what a target runtime does with a profile decides what is an error).
"""

from __future__ import annotations

from seccomp_kit.validation._validate import (
    Source as Source,
)
from seccomp_kit.validation._validate import (
    check,
    validate,
    validate_text,
)

# Public names outside __all__ stay importable from here, as from the former module.
__all__ = [
    "check",
    "validate",
    "validate_text",
]
