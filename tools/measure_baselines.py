"""Print what each real runtime build calls after installing the seccomp filter.

Usage (root, after tools/runtimes.sh): .venv/bin/python tools/measure_baselines.py [--runs N]

For every build and both noNewPrivileges settings, busybox's true runs N times (default 5) in a
container under defaultAction SCMP_ACT_LOG (seccomp_kit.testing.baselines); printed are the
runtime's calls seen in any run, and those missing from seccomp_kit.record.RUNTIME_BASELINES.
"""

from __future__ import annotations

import argparse

from seccomp_kit.record import RUNTIME_BASELINES
from seccomp_kit.testing.baselines import measure_calls
from seccomp_kit.testing.runtimes import RuntimeSession, available_builds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    missing_any = False
    for build in available_builds():
        with RuntimeSession(build) as session:
            for nnp in (True, False):
                seen: set[str] = set()
                for _ in range(runs):
                    seen |= measure_calls(session, no_new_privileges=nnp).runtime
                missing = seen - RUNTIME_BASELINES[build.name]
                missing_any |= bool(missing)
                mode = "noNewPrivileges" if nnp else "privileges"
                print(f"{build.name} {build.version} ({build.origin}), {mode}:")
                print("  calls:   " + " ".join(sorted(seen)))
                print("  missing: " + (" ".join(sorted(missing)) or "none"))
    return 1 if missing_any else 0


if __name__ == "__main__":
    raise SystemExit(main())
