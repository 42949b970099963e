"""Compile time, program shape and the kernel's cost per syscall for moby's default profile.

    .venv/bin/python benchmarks/bench_compile.py [--repeat 7] [--calls 2000000]

1. Compile time of moby-default.json (resolved for x86_64, no capabilities, this kernel) as runc
   would compile it, median of warm runs.
2. Instruction count and longest path (static, and the most any x86_64 syscall executes) with
   our settings (runc: libseccomp's binary tree, runc's ENOSYS stub) against libseccomp's
   linear default (no tree, no stub).
3. The kernel's cost per syscall: a C loop (built with cc when present, else a Python loop)
   runs in a child that loaded each filter (or none: the baseline), measured in the same run,
   interleaved, median of ``--repeat`` rounds. Syscalls: getppid (allowed whatever its
   arguments, so since Linux 5.11 the kernel's per-filter bitmap skips the filter) and
   personality(0xffffffff) (allowed only for some arguments, so the filter runs).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import attrs

from seccomp_kit import bpf, io, syscalls
from seccomp_kit._load import Prepared, set_no_new_privs
from seccomp_kit.compile import CompiledFilter, compile_profile, compile_translation
from seccomp_kit.model import Arch
from seccomp_kit.resolving import resolve

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "profiles" / "moby-default.json"

C_LOOP = r"""
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(int argc, char **argv) {
    long nr = atol(argv[1]);
    unsigned long a0 = strtoul(argv[2], 0, 0);
    long n = atol(argv[3]);
    struct timespec t0, t1;
    for (long i = 0; i < n / 10; i++) syscall(nr, a0, 0, 0, 0, 0, 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < n; i++) syscall(nr, a0, 0, 0, 0, 0, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("%.2f\n", ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / n);
    return 0;
}
"""

PY_LOOP = (
    "import ctypes, sys, time\n"
    "libc = ctypes.CDLL(None)\n"
    "nr, a0, n = int(sys.argv[1]), int(sys.argv[2], 0), int(sys.argv[3])\n"
    "f = libc.syscall\n"
    "for _ in range(n // 10): f(nr, a0)\n"
    "t = time.perf_counter_ns()\n"
    "for _ in range(n): f(nr, a0)\n"
    "print((time.perf_counter_ns() - t) / n)\n"
)


def moby() -> object:
    kernel = ".".join(platform.release().split(".")[:2])
    return resolve(io.load(CORPUS), arch="x86_64", kernel=kernel)


def time_compile(profile: object, repeat: int, **kw: object) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of warm compiles (library loaded, tables built)."""
    compile_profile(profile, **kw)  # type: ignore[arg-type]
    wall, cpu = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        compile_profile(profile, **kw)  # type: ignore[arg-type]
        cpu.append((time.process_time() - c) * 1e3)
        wall.append((time.perf_counter() - t) * 1e3)
    return wall, cpu


def time_export(compiled: CompiledFilter, repeat: int) -> float:
    """CPU milliseconds of libseccomp's own BPF generation (seccomp_export_bpf) alone."""
    from seccomp_kit import _libseccomp as lib

    spent: list[float] = []
    real = lib.LibFilter.export_bpf

    def timed(self: lib.LibFilter) -> tuple[int, bytes]:
        c = time.process_time()
        try:
            return real(self)
        finally:
            spent.append((time.process_time() - c) * 1e3)

    lib.LibFilter.export_bpf = timed  # type: ignore[method-assign]
    try:
        for _ in range(repeat):
            compile_translation(compiled.translation)
    finally:
        lib.LibFilter.export_bpf = real  # type: ignore[method-assign]
    return statistics.median(spent)


def linear(compiled: CompiledFilter) -> CompiledFilter:
    t = attrs.evolve(compiled.translation, binary_tree=False, enosys_limits=None)
    return compile_translation(t)


def dynamic_paths(compiled: CompiledFilter) -> tuple[int, float]:
    lengths = [
        len(bpf.trace(compiled.bpf, arch=Arch.X86_64, nr=nr))
        for nr in syscalls.table(Arch.X86_64).by_number
    ]
    return max(lengths), statistics.mean(lengths)


def build_loop(tmp: Path) -> list[str]:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc:
        src = tmp / "loop.c"
        src.write_text(C_LOOP)
        exe = tmp / "loop"
        subprocess.run([cc, "-O2", "-o", str(exe), str(src)], check=True)
        return [str(exe)]
    return [sys.executable, "-c", PY_LOOP]


def measure(loop: list[str], program: bytes | None, nr: int, a0: int, calls: int) -> float:
    read_fd, write_fd = os.pipe()
    prepared = Prepared(program, 0) if program is not None else None
    pid = os.fork()
    if pid == 0:  # the child: load the filter (if any), then exec the loop
        try:
            os.dup2(write_fd, 1)
            if prepared is not None and (set_no_new_privs() or prepared.install() < 0):
                os._exit(3)
            os.execv(loop[0], [*loop, str(nr), hex(a0), str(calls)])
        finally:
            os._exit(4)
    os.close(write_fd)
    with os.fdopen(read_fd) as f:
        text = f.read()
    _, status = os.waitpid(pid, 0)
    if status:
        raise RuntimeError(f"loop failed with status {status}")
    return float(text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--calls", type=int, default=2_000_000)
    opts = parser.parse_args()

    profile = moby()
    ours = compile_profile(profile)  # type: ignore[arg-type]
    only64 = attrs.evolve(profile, architectures=(Arch.X86_64,), arch_map=())
    for label, prof in (("x86_64 + x86 + x32 (moby's archMap)", profile), ("x86_64 only", only64)):
        wall, cpu = time_compile(prof, opts.repeat * 3)
        print(f"compile moby-default.json, runc, {label}: wall median {statistics.median(wall):.2f}"
              f" ms (min {min(wall):.2f}), CPU median {statistics.median(cpu):.2f} ms"
              f" (min {min(cpu):.2f}), {opts.repeat * 3} warm runs")  # fmt: skip
    print(f"  of which libseccomp's seccomp_export_bpf (CPU, median):"
          f" {time_export(ours, opts.repeat):.2f} ms")  # fmt: skip

    plain = linear(ours)
    filters = {"runc (binary tree + ENOSYS stub)": ours, "libseccomp linear default": plain}
    print(f"{'filter':36} {'instructions':>12} {'longest path':>12} {'max x86_64':>10}"
          f" {'mean x86_64':>11}")  # fmt: skip
    for name, c in filters.items():
        longest, mean = dynamic_paths(c)
        print(f"{name:36} {len(c):>12} {bpf.longest_path(c.bpf):>12} {longest:>10}"
              f" {mean:>11.1f}")  # fmt: skip

    with tempfile.TemporaryDirectory() as tmp:
        loop = build_loop(Path(tmp))
        kind = "C" if loop[0] != sys.executable else "Python (ctypes)"
        cases = {"getppid": (110, 0), "personality(0xffffffff)": (135, 0xFFFF_FFFF)}
        programs: dict[str, bytes | None] = {"no filter": None}
        programs.update({name: c.bpf for name, c in filters.items()})
        results: dict[tuple[str, str], list[float]] = {}
        for _ in range(opts.repeat):
            for case, (nr, a0) in cases.items():
                for name, program in programs.items():
                    value = measure(loop, program, nr, a0, opts.calls)
                    results.setdefault((case, name), []).append(value)
        print(f"kernel cost per syscall ({kind} loop, {opts.calls} calls, median of"
              f" {opts.repeat}, ns/call; delta against no filter)")  # fmt: skip
        for case in cases:
            base = statistics.median(results[(case, "no filter")])
            for name in programs:
                value = statistics.median(results[(case, name)])
                delta = "" if name == "no filter" else f"  (+{value - base:.1f})"
                print(f"  {case:24} {name:36} {value:8.1f}{delta}")
    print(f"machine: {platform.machine()}, Linux {platform.release()}, {os.cpu_count()} CPUs,"
          f" Python {platform.python_version()}")  # fmt: skip


if __name__ == "__main__":
    main()
