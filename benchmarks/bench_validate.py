"""Load and fully validate moby's default profile; compare with bare ``json.loads`` in the same run.

Usage: .venv/bin/python benchmarks/bench_validate.py [PROFILE] [--repeat N]

PROFILE defaults to ../shared/corpus/profiles/moby-default.json. Every stage is timed on the
same file in the same process, after one warm-up call (the first call compiles the JSON Schema
validators and builds the syscall tables; that one-time cost is reported separately). Figures
are medians over N runs, with the ratio to the ``json.loads`` baseline, so machines of different
speed can be compared. Also times the refusal of a 100 MB file.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT.parent / "shared" / "corpus" / "profiles" / "moby-default.json"
TARGET_MS = 20.0


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    start = time.perf_counter()
    import seccomp_kit
    from seccomp_kit.io import detect_dialect, load, parse_json
    from seccomp_kit.validation import validate
    from seccomp_kit.validation.schema import schema_errors
    from seccomp_kit.validation.semantics import semantic_checks

    import_ms = (time.perf_counter() - start) * 1000
    path: Path = args.profile
    text = path.read_text()
    start = time.perf_counter()
    validate(path)
    first_ms = (time.perf_counter() - start) * 1000

    data = json.loads(text)
    dialect = detect_dialect(data)
    profile = load(path)
    stages: list[tuple[str, Callable[[], object]]] = [
        ("json.loads (baseline)", lambda: json.loads(text)),
        ("parse_json (strict, depth check)", lambda: parse_json(text)),
        ("load (read, parse, model)", lambda: load(path)),
        (f"schema only ({dialect.value})", lambda: schema_errors(data, dialect)),
        ("semantics only", lambda: semantic_checks(profile)),
        ("validate(path): all of it", lambda: validate(path)),
        ("validate(path, kernel='4.4')", lambda: validate(path, kernel="4.4")),
    ]
    results = [(name, _median_ms(fn, args.repeat)) for name, fn in stages]
    baseline = results[0][1]

    print(f"seccomp_kit {seccomp_kit.__version__}, Python {sys.version.split()[0]}")
    print(f"profile: {path.name} ({len(text)} bytes, {len(profile.syscalls)} rules)")
    print(f"import seccomp_kit + validation modules: {import_ms:.1f} ms (once)")
    print(f"first validate() incl. schema compile and tables: {first_ms:.1f} ms (once)")
    print(f"median of {args.repeat} runs:")
    for name, ms in results:
        print(f"  {name:<36} {ms:8.3f} ms  {ms / baseline:7.1f}x baseline")
    total = results[5][1]
    verdict = "meets" if total <= TARGET_MS else "MISSES"
    print(f"full validation {total:.2f} ms {verdict} the {TARGET_MS:.0f} ms target")

    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "huge.json"
        with big.open("wb") as fh:
            fh.write(b'{"defaultAction": "SCMP_ACT_ALLOW", "x": "')
            fh.write(b"a" * (100 * 1024 * 1024))
            fh.write(b'"}')
        start = time.perf_counter()
        try:
            validate(big)
        except seccomp_kit.LoadError as exc:
            refused = (time.perf_counter() - start) * 1000
            print(f"100 MB file refused in {refused:.1f} ms: {exc.message}")
    return 0 if total <= TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
