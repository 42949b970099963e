"""validate() time per rule from 100 to 10,000 rules: flat means linear.

Usage: .venv/bin/python benchmarks/bench_validate_scaling.py [--sizes 100,1000,...] [--repeat N]

Each profile alternates one-name rules between SCMP_ACT_ALLOW and SCMP_ACT_ERRNO over the
x86_64 syscall names, so every name has many rules with different actions: the shape that made
validation quadratic (a position lookup rescanning the text per diagnostic, every pair of rules
per name compared). Also a worst case for the pairwise check: every rule names the same
syscall. Figures are CPU seconds (``time.process_time``, median of N) per rule, with the ratio
to ``json.loads`` of the same text measured in the same run.
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _profile(count: int, names: list[str]) -> str:
    rules = []
    for i in range(count):
        rule: dict[str, object] = {"names": [names[i % len(names)]]}
        rule["action"] = "SCMP_ACT_ALLOW" if i % 2 else "SCMP_ACT_ERRNO"
        rules.append(rule)
    return json.dumps({"defaultAction": "SCMP_ACT_KILL", "syscalls": rules}, indent=2)


def _median(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,300,1000,3000,10000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from seccomp_kit import syscalls
    from seccomp_kit.model import Arch
    from seccomp_kit.validation import validate

    names = sorted(syscalls.table(Arch.X86_64).by_name)
    validate(_write(_profile(10, names)))  # compile the schema validators once
    print(f"{'rules':>7} {'shape':<12} {'validate s':>11} {'us/rule':>8} {'x json.loads':>13}")
    for count in (int(s) for s in args.sizes.split(",")):
        for shape, pool in (("alternating", names), ("one name", names[:1])):
            text = _profile(count, pool)
            path = _write(text)
            seconds = _median(functools.partial(validate, path), args.repeat)
            baseline = _median(functools.partial(json.loads, text), args.repeat * 5)
            print(
                f"{count:>7} {shape:<12} {seconds:>11.3f} {seconds / count * 1e6:>8.0f}"
                f" {seconds / max(baseline, 1e-9):>13.0f}"
            )
    return 0


def _write(text: str) -> Path:
    handle = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)  # noqa: SIM115
    with handle:
        handle.write(text)
    return Path(handle.name)


if __name__ == "__main__":
    raise SystemExit(main())
