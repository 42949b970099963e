"""The RuntimeDefault proof as a table: per engine and capability set, what the engine loaded and
how it compares with our effective profile (needs root and tools/engines.sh).

    .venv/bin/python benchmarks/bench_engines.py

Uses the checks of tests/kubernetes/test_engines_real.py on its sample of capability sets.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from seccomp_kit.kubernetes import engine_defaults  # noqa: E402
from tests.kubernetes import test_engines_real as proof  # noqa: E402


def main() -> int:
    print(
        "| engine | runtime | add / drop | caps | rules | loaded instructions | same filter |"
        " events agreed | s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name in sorted(proof.ENGINES):
        cls, label = proof.ENGINES[name]
        runtime = engine_defaults(label).runtime
        with cls() as engine, tempfile.TemporaryDirectory() as tmp:
            for add, drop in proof.SAMPLE:
                start = time.monotonic()
                ours = proof._ours(label, add, drop, Path(tmp))
                run = proof._start(engine, ours, add, drop)
                assert ours.profile is not None
                (loaded,) = run.filters
                proof._assert_same_filter(
                    loaded.bpf, proof._compiled(ours.profile, runtime), runtime
                )
                events = proof._agree(loaded.bpf, ours.profile, runtime)
                seconds = time.monotonic() - start
                same = "bytes" if runtime.startswith("crun") else "bytes after the stub"
                case = f"{','.join(add) or '-'} / {','.join(drop) or '-'}"
                print(
                    f"| {label} | {runtime} | {case} | {len(ours.capabilities)} |"
                    f" {len(ours.profile.syscalls)} | {len(loaded.bpf) // 8} | {same} |"
                    f" {events} | {seconds:.1f} |"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
