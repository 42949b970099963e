"""Measure what a real runtime calls after it installs the seccomp filter.

A container runs ``argv`` under ``defaultAction: SCMP_ACT_LOG``; every call after the filter is
installed reaches the audit multicast group. Calls made under another ``comm`` than the
workload's are the runtime's (its init up to and including the ``execve``), the rest the
workload's. :data:`seccomp_kit.record.RUNTIME_BASELINES` is checked against this
(``tests/record/test_baselines_real.py``) and ``tools/measure_baselines.py`` prints it.

Needs root, the kernel's audit support and a build from ``tools/runtimes.sh``.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from seccomp_kit.audit import parse
from seccomp_kit.audit._netlink import AuditMulticast
from seccomp_kit.testing.runtimes import RuntimeSession

__all__ = ["LOG_EVERYTHING", "MeasuredCalls", "measure_calls"]

LOG_EVERYTHING = {"defaultAction": "SCMP_ACT_LOG", "architectures": ["SCMP_ARCH_X86_64"]}
_LOG = 0x7FFC_0000
_QUIET = 0.3  # seconds without a record after the run: the kernel has sent them all


@attrs.frozen
class MeasuredCalls:
    """Syscall names seen in one run, split by who made them."""

    runtime: frozenset[str]
    workload: frozenset[str]
    exit_status: int
    stderr: str


def measure_calls(
    session: RuntimeSession,
    *,
    no_new_privileges: bool,
    argv: Sequence[str] = ("/bin/true",),
    workload_comm: str = "true",
) -> MeasuredCalls:
    """Run ``argv`` once in ``session`` under :data:`LOG_EVERYTHING` and split the logged
    calls by ``comm``."""
    with AuditMulticast() as audit:
        run = session.run(LOG_EVERYTHING, argv, no_new_privileges=no_new_privileges)
        lines: list[bytes] = []
        while True:
            got = audit.read(_QUIET)
            if not got:
                break
            lines.extend(got)
    runtime: set[str] = set()
    workload: set[str] = set()
    for event in parse(line.decode("utf-8", "replace") for line in lines):
        if event.code != _LOG or event.syscall is None:
            continue
        (workload if event.comm == workload_comm else runtime).add(event.syscall)
    return MeasuredCalls(frozenset(runtime), frozenset(workload), run.exit_status, run.stderr)
