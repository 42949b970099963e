"""Draw-time percentiles of every option combination of ``seccomp_kit.testing.strategies``.

Usage: .venv/bin/python benchmarks/bench_strategies.py [--draws N] [--only SUBSTRING]

Each combination is drawn N times inside one ``@given`` run (default settings otherwise,
health checks off so slow draws are measured rather than aborted, no example database); every
``data.draw`` is timed on its own (also one Hypothesis abandons, a rejected or overrun example:
the health check counts those too), in wall-clock time (what the health check counts) and in the
process's CPU time (the same draw without the time the process waited for a CPU, which on a
shared machine is much of the slowest wall-clock draws), and in wall-clock time less the
pauses of Python's garbage collector that fell inside the draw (gc.callbacks): a full
collection walks the whole heap, most of it Hypothesis's own, and lands on whichever draw
allocates past the threshold. The baseline, drawn in the same run the
same way, is ``st.lists(st.integers(), max_size=8)``: the ratio column is p99 against its p99.
Hypothesis fails a test with ``FailedHealthCheck: too_slow`` when generating its first ten valid
examples takes over a second in all; the goal here is max <= 100 ms for every combination.

As in a user's suite: Hypothesis's storage directory starts empty (a new project, or a CI
checkout), and seccomp_kit counts as an installed package, not as the code under test (from a
source checkout Hypothesis would read the constants of every seccomp_kit module each draw
imports, a cost users of the wheel never pay). Hypothesis's own first-use work, building its
Unicode table for any text strategy once per storage directory, is done first and reported on
its own line.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GOAL_MS = 100.0


def combinations() -> list[tuple[str, Any]]:
    from hypothesis import strategies as st

    from seccomp_kit.testing import strategies as sks

    out: list[tuple[str, Any]] = [
        ("baseline lists(integers(), max_size=8)", st.lists(st.integers(), max_size=8))
    ]
    for runtime, dialect, conflicts, repeated, caps, args in itertools.product(
        ("runc", "crun", "oci"),
        ("oci", "moby", "containers"),
        (False, True),
        (False, True),
        (True, False),
        (True, False),
    ):
        if not caps and dialect == "oci":
            continue  # cap_filters only matters for moby and containers
        label = (
            f"profiles(runtime={runtime}, dialect={dialect}, conflicts={conflicts},"
            f" repeated_indices={repeated}, cap_filters={caps}, arg_conditions={args})"
        )
        out.append(
            (
                label,
                sks.profiles(
                    runtime=runtime,
                    dialect=dialect,
                    conflicts=conflicts,
                    repeated_indices=repeated,
                    cap_filters=caps,
                    arg_conditions=args,
                ),
            )
        )
    for dialect in ("oci", "moby", "containers"):
        out.append((f"syscall_rules(dialect={dialect})", sks.syscall_rules(dialect=dialect)))
    out.append(("arg_conditions()", sks.arg_conditions()))
    out.append(("cap_filters()", sks.cap_filters()))
    out.append(("arch_map_entries()", sks.arch_map_entries()))
    out.append(("syscall_events()", sks.syscall_events()))
    out.append(("audit_records()", sks.audit_records()))
    out.append(
        (
            "profiles().flatmap(syscall_events(profile=p))",
            sks.profiles().flatmap(lambda p: sks.syscall_events(profile=p)),
        )
    )
    return out


class _Collector:
    """Wall-clock time spent in Python's garbage collector, from gc.callbacks."""

    def __init__(self) -> None:
        self.total = 0.0
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.total += time.perf_counter() - self._start


COLLECTOR = _Collector()


def measure(strategy: Any, draws: int) -> tuple[list[float], list[float], list[float]]:
    """Wall-clock, CPU and wall-clock-outside-the-garbage-collector milliseconds of every
    draw."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    times: list[float] = []
    cpu: list[float] = []
    no_gc: list[float] = []

    @settings(
        max_examples=draws,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[__import__("hypothesis").Phase.generate],
    )
    @given(st.data())
    def run(data: Any) -> None:
        start, start_cpu, start_gc = time.perf_counter(), time.process_time(), COLLECTOR.total
        try:
            data.draw(strategy)
        finally:  # a draw Hypothesis abandons (rejected, overrun) counts for the health check
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
            no_gc.append(times[-1] - (COLLECTOR.total - start_gc) * 1000)

    run()
    return times, cpu, no_gc


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--only", default="")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    storage = tempfile.TemporaryDirectory(prefix="bench-strategies-")
    # Read when Hypothesis is imported: a new project's empty storage directory.
    os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = storage.name
    import hypothesis
    from hypothesis import strategies as st
    from hypothesis.internal.conjecture import providers

    local = providers.is_local_module_file
    package = str(ROOT / "seccomp_kit")
    # Internal API: the one switch that tells whether a module is the user's own code.
    providers.is_local_module_file = lambda path: (  # type: ignore[attr-defined]
        not path.startswith(package) and local(path)
    )

    print(
        f"hypothesis {hypothesis.__version__}, Python {sys.version.split()[0]}, {args.draws} draws"
    )
    gc.callbacks.append(COLLECTOR)
    print(
        f"{'p50':>7} {'p90':>7} {'p99':>7} {'max':>7} {'cpu max':>7} {'no gc':>7} {'x base':>7}"
        "  combination (ms; no gc: the slowest draw without its garbage collections;"
        " x base: p99 over the baseline's p99)"
    )
    base_p99 = None
    worst = worst_cpu = worst_no_gc = 0.0
    cases = combinations()
    # Hypothesis's own first-use work lands on whatever is drawn first: done here.
    first, first_cpu, first_no_gc = measure(st.characters(exclude_categories=["Cs"]), 1)
    print(
        f"{first[0]:7.2f} {'':>7} {'':>7} {first[0]:7.2f} {first_cpu[0]:7.2f}"
        f" {first_no_gc[0]:7.2f} {'':>7}  one characters() draw: Hypothesis builds its Unicode"
        " table (once per storage directory)"
    )
    for label, strategy in cases:
        if args.only and args.only not in label and not label.startswith("baseline"):
            continue
        times, cpu, no_gc = measure(strategy, args.draws)
        p99 = percentile(times, 0.99)
        if base_p99 is None:
            base_p99 = max(p99, 1e-6)
        else:
            worst, worst_cpu = max(worst, *times), max(worst_cpu, *cpu)
            worst_no_gc = max(worst_no_gc, *no_gc)
        print(
            f"{statistics.median(times):7.2f} {percentile(times, 0.9):7.2f} {p99:7.2f}"
            f" {max(times):7.2f} {max(cpu):7.2f} {max(no_gc):7.2f} {p99 / base_p99:7.0f}"
            f"  {label}",
            flush=True,
        )
    for what, value in (
        ("wall-clock", worst),
        ("CPU", worst_cpu),
        ("wall-clock without garbage collection", worst_no_gc),
    ):
        verdict = "met" if value <= GOAL_MS else "NOT met"
        print(f"slowest single draw, {what}: {value:.1f} ms (goal <= {GOAL_MS:.0f} ms): {verdict}")
    storage.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
