"""What live recording costs the workload per syscall: no filter vs audit LOG vs USER_NOTIF.

Usage: .venv/bin/python benchmarks/bench_record.py [--calls N] [--repeat R]

Needs root (the audit netlink group, loginuid, the notify hand-over). One workload, a Python
program, times two loops of N calls each in its own process with ``perf_counter_ns``:

- ``getppid``: not in the argument table, so under ``record --args`` it is logged, never
  notified;
- ``fcntl(fd, F_GETFD)``: in the argument table, so under ``record --args`` every call is
  notified to the supervisor, which counts its ``cmd`` and answers CONTINUE.

It runs, interleaved R times in the same run: bare (no filter); under ``record_command`` by name
(every call is SCMP_ACT_LOG: one audit record each, read from netlink); under
``record_command(args=True)``. Reported: the best of R nanoseconds per call of each loop, the
overhead over bare, and the ratio to bare. The Python loop itself costs the same in every mode;
only the differences are the filter's and the recorder's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORKLOAD = """
import fcntl, os, sys, time, json
n = int(sys.argv[1])
fd = os.open("/dev/null", os.O_RDONLY)
getppid, fcntl_ = os.getppid, fcntl.fcntl
t = time.perf_counter_ns()
for _ in range(n):
    getppid()
a = time.perf_counter_ns() - t
t = time.perf_counter_ns()
for _ in range(n):
    fcntl_(fd, fcntl.F_GETFD)
b = time.perf_counter_ns() - t
print(json.dumps({"getppid": a / n, "fcntl": b / n}))
"""


def measure(mode: str, argv: list[str]) -> dict[str, float]:
    from seccomp_kit.record import record_command

    with tempfile.TemporaryFile() as out:
        if mode == "bare":
            subprocess.run(argv, stdout=out, check=True)
        else:
            live = record_command(argv, args=mode == "notify", stdout=out.fileno())
            assert live.returncode == 0, live.exit
            if mode == "notify":
                assert live.args_error is None, live.args_error
        out.seek(0)
        result: dict[str, float] = json.loads(out.read())
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    opts = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("needs root")
    argv = [sys.executable, "-I", "-S", "-c", WORKLOAD, str(opts.calls)]
    modes = ("bare", "log", "notify")
    best: dict[str, dict[str, float]] = {m: {} for m in modes}
    for _ in range(opts.repeat):
        for mode in modes:
            for call, ns in measure(mode, argv).items():
                best[mode][call] = min(ns, best[mode].get(call, float("inf")))
    print(f"{opts.calls} calls per loop, best of {opts.repeat}; ns per call (overhead, ratio)")
    print(f"{'mode':<28} {'getppid':>26} {'fcntl(F_GETFD)':>26}")
    labels = {
        "bare": "no filter",
        "log": "record (audit LOG)",
        "notify": "record --args (USER_NOTIF)",
    }
    for mode in modes:
        cells = []
        for call in ("getppid", "fcntl"):
            ns, base = best[mode][call], best["bare"][call]
            extra = "" if mode == "bare" else f" (+{ns - base:,.0f}, {ns / base:.1f}x)"
            cells.append(f"{ns:,.0f}{extra}")
        print(f"{labels[mode]:<28} {cells[0]:>26} {cells[1]:>26}")


if __name__ == "__main__":
    main()
