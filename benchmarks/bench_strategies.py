"""Draw-time percentiles of every option combination of ``seccomp_kit.testing.strategies``.

Usage: .venv/bin/python benchmarks/bench_strategies.py [--draws N] [--only SUBSTRING]

Each combination is drawn N times inside one ``@given`` run (default settings otherwise,
health checks off so slow draws are measured rather than aborted, no example database); every
``data.draw`` is timed on its own. The baseline, drawn in the same run the same way, is
``st.lists(st.integers(), max_size=8)``: the ratio column is p99 against its p99. Hypothesis
fails a test with ``FailedHealthCheck: too_slow`` when generating its first examples takes over
about a second in all; the goal here is max <= 100 ms for every combination.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
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


def measure(strategy: Any, draws: int) -> list[float]:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    times: list[float] = []

    @settings(
        max_examples=draws,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[__import__("hypothesis").Phase.generate],
    )
    @given(st.data())
    def run(data: Any) -> None:
        start = time.perf_counter()
        data.draw(strategy)
        times.append((time.perf_counter() - start) * 1000)

    run()
    return times


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--only", default="")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import hypothesis

    print(
        f"hypothesis {hypothesis.__version__}, Python {sys.version.split()[0]}, {args.draws} draws"
    )
    print(f"{'p50':>7} {'p90':>7} {'p99':>7} {'max':>7} {'x base':>7}  combination (ms)")
    base_p99 = None
    worst = 0.0
    for label, strategy in combinations():
        if args.only and args.only not in label and not label.startswith("baseline"):
            continue
        times = measure(strategy, args.draws)
        p99 = percentile(times, 0.99)
        if base_p99 is None:
            base_p99 = max(p99, 1e-6)
        else:
            worst = max(worst, *times)
        print(
            f"{statistics.median(times):7.2f} {percentile(times, 0.9):7.2f} {p99:7.2f}"
            f" {max(times):7.2f} {p99 / base_p99:7.0f}  {label}",
            flush=True,
        )
    verdict = "met" if worst <= GOAL_MS else "NOT met"
    print(f"slowest single draw: {worst:.1f} ms (goal <= {GOAL_MS:.0f} ms): {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
