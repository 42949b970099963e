"""Watching real workloads: least-privilege profiles from what they call, and runs under a profile.

Owns: building and refining profiles from audit events (:mod:`._recorder`), recording a command
live (:mod:`._live`, with the logging filter of :mod:`._filter`, stopped cleanly by
:mod:`._process`), argument recording (the user-notification supervisor of :mod:`._notify` and
the inference of :mod:`._args`), and running a command under a profile with a report of what
it blocked (:mod:`.runner`). May import everything below it:
``model`` … ``audit``, ``libseccomp``, ``match``, ``algebra``; never ``kubernetes``, ``cli``.
"""

from __future__ import annotations

from seccomp_kit.record._agent import Agent, ContainerRecording, oci_seccomp
from seccomp_kit.record._args import TABLE as ARGUMENT_TABLE
from seccomp_kit.record._args import ArgInference, ArgObserver, ArgSpec
from seccomp_kit.record._args import infer as infer_arguments
from seccomp_kit.record._live import LiveRecording, probe_notify, record_command
from seccomp_kit.record._notify import (
    Notification,
    NotifySupervisor,
    NotifyUnavailableError,
    notify_filter,
    take_listener,
)
from seccomp_kit.record._process import Exit
from seccomp_kit.record._recorder import (
    RUNTIME_BASELINES,
    EventFilter,
    Recording,
    Refinement,
    baseline_names,
    build_profile,
    parse_time,
    record,
    record_counts,
    record_log,
    refine,
)

__all__ = [
    "ARGUMENT_TABLE",
    "Agent",
    "ContainerRecording",
    "oci_seccomp",
    "ArgInference",
    "ArgObserver",
    "ArgSpec",
    "Exit",
    "LiveRecording",
    "Notification",
    "NotifySupervisor",
    "NotifyUnavailableError",
    "infer_arguments",
    "notify_filter",
    "probe_notify",
    "record_command",
    "take_listener",
    "RUNTIME_BASELINES",
    "EventFilter",
    "Recording",
    "Refinement",
    "baseline_names",
    "build_profile",
    "parse_time",
    "record",
    "record_counts",
    "record_log",
    "refine",
]
