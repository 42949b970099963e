"""What ``import seccomp_kit`` costs in this tree and at another git revision, in the same run.

Usage: .venv/bin/python benchmarks/bench_import.py [--base REV] [--runs N]

``--base`` (default ``3256df3``, the last commit of the flat one-folder layout) is checked out
into a temporary git worktree. Each run starts a fresh interpreter with ``-X importtime`` and
reads the cumulative microseconds of ``seccomp_kit`` from its report, so interpreter start-up
is not counted; the two trees alternate run by run so machine noise hits both alike. Also
counts the modules each import loads. Prints medians and the ratio this tree / base.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_LINE = re.compile(r"import time:\s+\d+ \|\s+(\d+) \| seccomp_kit$", re.M)
_COUNT = "import sys, seccomp_kit; print(sum(m.startswith('seccomp_kit') for m in sys.modules))"


def _env(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "0"}


def _import_us(tree: Path) -> int:
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import seccomp_kit"],
        env=_env(tree),
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    )
    match = _LINE.search(out.stderr)
    if match is None:
        raise SystemExit(f"no import time for seccomp_kit in {tree}:\n{out.stderr[-500:]}")
    return int(match.group(1))


def _modules(tree: Path) -> int:
    out = subprocess.run(
        [sys.executable, "-c", _COUNT], env=_env(tree), cwd=tree, capture_output=True, check=True
    )
    return int(out.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="3256df3")
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sk-import-") as tmp:
        base = Path(tmp) / "base"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "-q", str(base), args.base], cwd=ROOT, check=True
        )
        try:
            trees = {"this tree": ROOT, f"base {args.base}": base}
            for tree in trees.values():  # warm the bytecode caches
                _import_us(tree)
            times: dict[str, list[int]] = {name: [] for name in trees}
            for _ in range(args.runs):
                for name, tree in trees.items():
                    times[name].append(_import_us(tree))
            medians = {name: statistics.median(ts) for name, ts in times.items()}
            for name, tree in trees.items():
                print(
                    f"{name:>16}: import seccomp_kit {medians[name] / 1000:6.1f} ms median"
                    f" over {args.runs} runs, {_modules(tree)} seccomp_kit modules loaded"
                )
            this, other = medians.values()
            print(f"ratio this tree / base: {this / other:.2f}")
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, check=False
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
