"""Fuzz the loaders: atheris (libFuzzer, coverage-guided) where it installs, else Hypothesis.

Usage:
  .venv/bin/python -m tools.fuzz.run TARGET [libFuzzer options] [CORPUS_DIR ...]
  .venv/bin/python -m tools.fuzz.run all --seconds N [--corpus DIR]

Targets (``tools/fuzz/targets.py``): profile, audit, bpf, kubernetes, install, cli. ``all``
runs each target in its own process for N seconds (libFuzzer's ``-max_total_time``), starting
from the repository's seeds and the corpus kept in DIR (a fresh temporary one by default), and
prints the executions each reached. A fault (an exception that is not a SeccompKitError, a C
and Python disagreement, a write outside the root, a CLI traceback) stops that target with the
input saved by libFuzzer (``crash-…``) and makes the exit status 1.

Without atheris (it has no wheels for every Python), each target runs under Hypothesis with
``st.binary()`` and mutated seeds for about N seconds' worth of examples.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _one(target: str, argv: list[str]) -> None:
    try:
        import atheris  # type: ignore[import-untyped]
    except ImportError:
        _hypothesis(target, seconds=_seconds(argv))
        return
    # Generated tables are data, not branches: imported uninstrumented, they cost no startup.
    import seccomp_kit.libseccomp._names_2_5_4
    import seccomp_kit.libseccomp._names_2_6_0
    import seccomp_kit.syscalls._generated

    with atheris.instrument_imports(include=["seccomp_kit"]):
        import seccomp_kit.algebra
        import seccomp_kit.audit
        import seccomp_kit.bpf
        import seccomp_kit.cli
        import seccomp_kit.io
        import seccomp_kit.kubernetes
        import seccomp_kit.libseccomp.translate
        import seccomp_kit.validation  # noqa: F401
    from tools.fuzz.targets import TARGETS

    test: Callable[[bytes], None] = TARGETS[target]
    atheris.Setup([sys.argv[0], *argv], test)
    atheris.Fuzz()


def _seconds(argv: list[str]) -> float:
    for arg in argv:
        if arg.startswith("-max_total_time="):
            return float(arg.split("=", 1)[1])
    return 60.0


def _hypothesis(target: str, *, seconds: float) -> None:
    """The fallback: Hypothesis draws bytes and mutated seeds until the time is up."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tools.fuzz.targets import TARGETS, seeds

    pool = seeds(target)
    mutated = st.tuples(st.sampled_from(pool), st.integers(0, 1 << 16), st.binary(max_size=64))
    inputs = st.binary(max_size=4096) | mutated.map(
        lambda t: t[0][: t[1] % (len(t[0]) + 1)] + t[2] + t[0][t[1] % (len(t[0]) + 1) :]
    )
    deadline = time.monotonic() + seconds
    runs = 0

    @settings(
        max_examples=10**9,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(inputs)
    def run(data: bytes) -> None:
        nonlocal runs
        if time.monotonic() > deadline:
            raise _Done
        runs += 1
        TARGETS[target](data)

    with contextlib.suppress(_Done):
        run()
    print(f"Done {runs} runs in {seconds:.0f} second(s)", file=sys.stderr)


class _Done(Exception):
    pass


def _all(seconds: int, corpus: Path | None) -> int:
    from tools.fuzz.targets import TARGETS, seeds

    base = corpus or Path(tempfile.mkdtemp(prefix="seccomp-kit-fuzz-corpus-"))
    failed = 0
    print(f"{'target':<11} {'executions':>11} {'seconds':>8}  result")
    for target in TARGETS:
        kept = base / target
        seed_dir = base / f"{target}-seeds"
        kept.mkdir(parents=True, exist_ok=True)
        seed_dir.mkdir(parents=True, exist_ok=True)
        for i, seed in enumerate(seeds(target)):
            (seed_dir / f"seed-{i}").write_bytes(seed)
        argv = [
            sys.executable,
            "-m",
            "tools.fuzz.run",
            target,
            f"-max_total_time={seconds}",
            "-timeout=30",
            "-rss_limit_mb=3072",
            "-max_len=4096",
            f"-artifact_prefix={base}/{target}-",
            "-print_final_stats=1",
            str(kept),
            str(seed_dir),
        ]
        start = time.monotonic()
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
        took = time.monotonic() - start
        runs = re.findall(r"Done (\d+) runs", done.stderr) or re.findall(
            r"stat::number_of_executed_units:\s*(\d+)", done.stderr
        )
        result = "ok" if done.returncode == 0 else f"FAULT (exit {done.returncode})"
        print(f"{target:<11} {runs[-1] if runs else '?':>11} {took:>8.0f}  {result}")
        if done.returncode != 0:
            failed += 1
            print(done.stderr[-4000:], file=sys.stderr)
    if failed or corpus is not None:
        print(f"corpus and any crash inputs: {base}")
    else:
        shutil.rmtree(base, ignore_errors=True)  # a temporary corpus with nothing to keep
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "all":
        parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        parser.add_argument("--seconds", type=int, default=20)
        parser.add_argument("--corpus", type=Path, default=None)
        args = parser.parse_args(argv[1:])
        return _all(args.seconds, args.corpus)
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    os.environ.setdefault("SECCOMP_KIT_REQUIRE_NATIVE", "1")
    _one(argv[0], argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
