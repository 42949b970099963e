"""Watching real workloads: least-privilege profiles from what they call, and runs under a profile.

Owns: building and refining profiles from audit events (:mod:`._recorder`), recording a command
live (:mod:`._live`, with the logging filter of :mod:`._filter`), and running a command under a
profile with a report of what it blocked (:mod:`.runner`). May import everything below it:
``model`` … ``audit``, ``libseccomp``, ``match``, ``algebra``; never ``kubernetes``, ``cli``.
"""

from __future__ import annotations

from seccomp_kit.record._live import LiveRecording, record_command
from seccomp_kit.record._recorder import (
    RUNTIME_BASELINES,
    EventFilter,
    Recording,
    Refinement,
    build_profile,
    parse_time,
    record,
    record_counts,
    record_log,
    refine,
)

__all__ = [
    "LiveRecording",
    "record_command",
    "RUNTIME_BASELINES",
    "EventFilter",
    "Recording",
    "Refinement",
    "build_profile",
    "parse_time",
    "record",
    "record_counts",
    "record_log",
    "refine",
]
