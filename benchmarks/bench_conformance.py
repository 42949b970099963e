"""The conformance matrix: our compile and matcher against what real runc and crun load.

Usage (as root, after tools/runtimes.sh): .venv/bin/python benchmarks/bench_conformance.py
    [--generated N]

Per runtime build (seccomp_kit.testing.runtimes.available_builds): every corpus profile
(../shared/corpus, moby and containers/common ones resolved for x86_64), every shipped profile,
and N profiles drawn from seccomp_kit.strategies (derandomized: the same every run; NOTIFY left
out: it needs an agent).
Each case is loaded by the real runtime, its filter read back from the container's init and
compared with compile_profile for the build's target; the matcher is compared with the loaded
program on the profile's boundary events. Prints one row per build: cases byte-identical,
equal up to runc's map order, refused by both, failing; events compared and disagreements.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import attrs
from hypothesis import HealthCheck, Phase, given, settings

from seccomp_kit.io import load, loads
from seccomp_kit.io.resources import profile_names, read_profile_text
from seccomp_kit.model import Action, Arch, Profile
from seccomp_kit.testing import strategies
from seccomp_kit.testing.conformance import run_case
from seccomp_kit.testing.runtimes import RuntimeSession, available_builds

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "profiles"
_LITTLE = [
    Arch.X86_64, Arch.X86, Arch.X32, Arch.AARCH64, Arch.ARM, Arch.RISCV64, Arch.MIPSEL,
    Arch.MIPSEL64, Arch.PPC64LE,
]  # fmt: skip


def _draw(runtime: str, count: int) -> list[Profile]:
    actions = [a for a in Action if a is not Action.NOTIFY]
    strategy = strategies.profiles(
        architectures=_LITTLE, actions=actions, runtime=runtime, max_rules=6
    )
    out: list[Profile] = []

    @settings(
        max_examples=count,
        database=None,
        derandomize=True,  # the same profiles every run
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(profile: Profile) -> None:
        out.append(attrs.evolve(profile, flags=()) if runtime == "runc" else profile)

    collect()
    return out[:count]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generated", type=int, default=200)
    args = parser.parse_args(argv)
    fixed: list[tuple[str, Profile]] = [
        (p.name, load(p))
        for p in sorted(CORPUS.glob("*.json"))
        if "defaultAction" in p.read_text(encoding="utf-8")
    ]
    fixed += [(f"profiles/{n}", loads(read_profile_text(n))) for n in profile_names()]
    print("| build | cases | byte-identical | equal up to runc's map order | refused by both"
          " | failing | matcher events | disagreements | seconds |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    failures = 0
    for build in available_builds():
        cases = fixed + [
            (f"generated-{i}", p) for i, p in enumerate(_draw(build.name, args.generated))
        ]
        counts: Counter[str] = Counter()
        events = wrong = 0
        start = time.monotonic()
        with RuntimeSession(build, timeout=15) as session:
            for name, profile in cases:
                result = run_case(session, profile)
                counts[result.outcome] += 1
                events += result.events
                wrong += len(result.disagreements)
                if result.outcome == "failing":
                    print(f"  {build.id} {name}: {result.detail}", file=sys.stderr)
        failures += counts["failing"]
        print(
            f"| {build.id} (libseccomp {build.libseccomp}) | {len(cases)} | {counts['identical']}"
            f" | {counts['equal']} | {counts['refused']} | {counts['failing']} | {events}"
            f" | {wrong} | {time.monotonic() - start:.0f} |"
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
