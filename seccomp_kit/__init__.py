"""seccomp_kit: model, validate, merge, compile, match and record Linux seccomp profiles.

The model and the errors are imported eagerly (they need only attrs); everything else, the JSON
functions included, is imported on first use, so
``import seccomp_kit`` stays cheap and works without those installed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from seccomp_kit.errors import (
    CompileError,
    InputError,
    LibseccompUnavailableError,
    LoadError,
    ParseError,
    ProfileError,
    SeccompKitError,
    ValidationFailedError,
)
from seccomp_kit.model import (
    Action,
    Arch,
    ArchMapEntry,
    ArgCondition,
    CapFilter,
    Dialect,
    Flag,
    Operator,
    Profile,
    SyscallRule,
)

__version__ = "0.1.0"

# name -> module that defines it; resolved on first attribute access.
_LAZY = {
    # The JSON functions too: Hypothesis imports this package (for its plugin) and should get
    # the model alone.
    "convert": "seccomp_kit.io",
    "dump": "seccomp_kit.io",
    "dumps": "seccomp_kit.io",
    "load": "seccomp_kit.io",
    "loads": "seccomp_kit.io",
    "Diagnostic": "seccomp_kit.diagnostics",
    "Severity": "seccomp_kit.diagnostics",
    "validate": "seccomp_kit.validation",
    "normalize": "seccomp_kit.algebra.merging",
    "merge": "seccomp_kit.algebra.merging",
    "extend": "seccomp_kit.algebra.merging",
    "diff": "seccomp_kit.algebra.diffing",
    "resolve": "seccomp_kit.algebra.resolving",
    "port": "seccomp_kit.algebra.porting",
    "Ported": "seccomp_kit.algebra.porting",
    "PortReport": "seccomp_kit.algebra.porting",
    "compile_profile": "seccomp_kit.libseccomp.compile",
    "CompiledFilter": "seccomp_kit.libseccomp.compile",
    "run": "seccomp_kit.record.runner",
    "Matcher": "seccomp_kit.match",
    "Verdict": "seccomp_kit.match",
}

__all__ = [
    "Action",
    "Arch",
    "ArchMapEntry",
    "ArgCondition",
    "CapFilter",
    "CompileError",
    "CompiledFilter",
    "Diagnostic",
    "Dialect",
    "Flag",
    "InputError",
    "LibseccompUnavailableError",
    "LoadError",
    "Matcher",
    "Operator",
    "ParseError",
    "PortReport",
    "Ported",
    "Profile",
    "ProfileError",
    "SeccompKitError",
    "Severity",
    "SyscallRule",
    "ValidationFailedError",
    "Verdict",
    "__version__",
    "compile_profile",
    "convert",
    "diff",
    "dump",
    "dumps",
    "extend",
    "load",
    "loads",
    "merge",
    "normalize",
    "port",
    "resolve",
    "run",
    "validate",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'seccomp_kit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from seccomp_kit.algebra.diffing import diff
    from seccomp_kit.algebra.merging import extend, merge, normalize
    from seccomp_kit.algebra.porting import Ported, PortReport, port
    from seccomp_kit.algebra.resolving import resolve
    from seccomp_kit.diagnostics import Diagnostic, Severity
    from seccomp_kit.io import convert, dump, dumps, load, loads
    from seccomp_kit.libseccomp.compile import CompiledFilter, compile_profile
    from seccomp_kit.match import Matcher, Verdict
    from seccomp_kit.record.runner import run
    from seccomp_kit.validation import validate
