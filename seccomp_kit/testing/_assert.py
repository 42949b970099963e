"""A pytest helper for other projects: run code under a seccomp profile, fail on what it denies.

::

    from seccomp_kit.testing import assert_runs_under

    def test_parser_needs_no_network():
        assert_runs_under("profiles/parser.json", parse_file, "sample.txt")

The callable runs in a forked child that loads the compiled profile (as runc would compile it;
moby profiles resolved for this machine with ``capabilities``, none by default) and returns its
result, pickled. The assertion fails, naming each denied syscall with its number,
architecture, action and count, when the callable raised, was killed (KILL, TRAP), or (with
``strict=True``, the default) merely had a syscall denied that it coped with. Denied syscalls
are read from the kernel's audit records (see :mod:`seccomp_kit.record.runner`), which needs root
(CAP_AUDIT_READ and CAP_AUDIT_CONTROL); elsewhere failures still fail, without the names.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from seccomp_kit.io import load
from seccomp_kit.model import Profile
from seccomp_kit.record.runner import CallOutcome, run_callable

__all__ = ["SeccompViolation", "assert_runs_under", "run_under_profile"]

T = TypeVar("T")


class SeccompViolation(AssertionError):
    """The code under test needed something the profile denies."""

    def __init__(self, message: str, outcome: CallOutcome) -> None:
        super().__init__(message)
        self.outcome = outcome


def _profile(profile: Profile | str | os.PathLike[str]) -> Profile:
    return profile if isinstance(profile, Profile) else load(Path(profile))


def _message(func: Callable[..., Any], outcome: CallOutcome, what: str) -> str:
    name = getattr(func, "__qualname__", repr(func))
    lines = [f"{name} {what} under the seccomp profile"]
    if outcome.blocked:
        lines.append("denied syscalls:")
        lines += [f"  {b}" for b in outcome.blocked]
    elif not outcome.reported:
        lines.append("(denied syscalls unknown: reading audit records needs root)")
    if outcome.error:
        lines += ["", outcome.error]
    return "\n".join(lines)


def run_under_profile(
    profile: Profile | str | os.PathLike[str],
    func: Callable[..., T],
    *args: Any,
    runtime: str = "runc",
    strict: bool = False,
    timeout: float = 300.0,
    capabilities: Sequence[str] = (),
    **kwargs: Any,
) -> T:
    """``func(*args, **kwargs)`` run under ``profile``; its return value.

    Raises :class:`SeccompViolation` (an AssertionError, so pytest shows it as a failure)
    when the callable raised or was killed, and with ``strict`` also when any syscall was
    denied on the way.
    """
    outcome = run_callable(
        _profile(profile),
        func,
        *args,
        runtime=runtime,
        timeout=timeout,
        capabilities=capabilities,
        **kwargs,
    )
    if not outcome.completed:
        what = f"was killed (exit status {outcome.status})"
        if outcome.error:
            what = "did not finish"
        raise SeccompViolation(_message(func, outcome, what), outcome)
    if outcome.error is not None:
        raise SeccompViolation(_message(func, outcome, "failed"), outcome)
    if strict and outcome.blocked:
        raise SeccompViolation(_message(func, outcome, "had syscalls denied"), outcome)
    return outcome.value  # type: ignore[no-any-return]


def assert_runs_under(
    profile: Profile | str | os.PathLike[str],
    func: Callable[..., T],
    *args: Any,
    runtime: str = "runc",
    strict: bool = True,
    timeout: float = 300.0,
    capabilities: Sequence[str] = (),
    **kwargs: Any,
) -> T:
    """Like :func:`run_under_profile`, strict by default: any denied syscall fails."""
    return run_under_profile(
        profile,
        func,
        *args,
        runtime=runtime,
        strict=strict,
        timeout=timeout,
        capabilities=capabilities,
        **kwargs,
    )
