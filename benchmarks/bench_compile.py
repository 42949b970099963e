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
from seccomp_kit.algebra.resolving import resolve
from seccomp_kit.bpf._load import Prepared, set_no_new_privs
from seccomp_kit.libseccomp.compile import CompiledFilter, compile_profile, compile_translation
from seccomp_kit.model import Arch

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
    from seccomp_kit.libseccomp import _ffi as lib

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


# The same libseccomp calls replayed from C, with no Python in between: what compiling costs
# inside libseccomp alone (and what runc, which makes the same calls, pays). The declarations
# mirror seccomp.h so no development package is needed; the program links the runtime library.
C_REPLAY = r"""
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
struct scmp_arg_cmp { unsigned int arg; int op; uint64_t a; uint64_t b; };
void *seccomp_init(uint32_t);
void seccomp_release(void *);
int seccomp_arch_add(void *, uint32_t);
int seccomp_arch_remove(void *, uint32_t);
int seccomp_attr_set(void *, int, uint32_t);
int seccomp_rule_add_array(void *, uint32_t, int, unsigned int, const struct scmp_arg_cmp *);
int seccomp_merge(void *, void *);
int seccomp_export_bpf(void *, int);
static double cpu_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}
static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
static char ops[1 << 22];
int main(int argc, char **argv) {
    FILE *f = fopen(argv[1], "r");
    int runs = atoi(argv[2]);
    size_t n = fread(ops, 1, sizeof ops - 1, f);
    ops[n] = 0;
    double *total = calloc(runs, sizeof(double));
    double *adds = calloc(runs, sizeof(double));
    double *exports = calloc(runs, sizeof(double));
    int out = open("/dev/null", O_WRONLY);
    for (int r = 0; r < runs; r++) {
        void *ctx[64] = {0};
        char *p = ops, op[16];
        double t0 = cpu_ms(), t;
        int i, j, k, used, cnt, nr, attr;
        unsigned long a, act;
        unsigned long long x, y;
        while (sscanf(p, "%15s %d%n", op, &i, &used) == 2) {
            p += used;
            t = cpu_ms();
            if (!strcmp(op, "rule")) {
                struct scmp_arg_cmp c[6];
                sscanf(p, "%lu %d %d%n", &act, &nr, &cnt, &used);
                p += used;
                for (k = 0; k < cnt; k++) {
                    sscanf(p, "%u %d %llu %llu%n", &c[k].arg, &c[k].op, &x, &y, &used);
                    p += used;
                    c[k].a = x;
                    c[k].b = y;
                }
                if (seccomp_rule_add_array(ctx[i], act, nr, cnt, c) < 0) return 1;
                adds[r] += cpu_ms() - t;
            } else if (!strcmp(op, "export")) {
                if (seccomp_export_bpf(ctx[i], out) < 0) return 1;
                exports[r] += cpu_ms() - t;
            } else if (!strcmp(op, "attr")) {
                sscanf(p, "%d %lu%n", &attr, &a, &used);
                p += used;
                seccomp_attr_set(ctx[i], attr, a);
            } else if (!strcmp(op, "merge")) {
                sscanf(p, "%d%n", &j, &used);
                p += used;
                seccomp_merge(ctx[i], ctx[j]);
                ctx[j] = 0;
            } else {
                sscanf(p, "%lu%n", &a, &used);
                p += used;
                if (!strcmp(op, "init")) ctx[i] = seccomp_init(a);
                else if (!strcmp(op, "arch_rm")) seccomp_arch_remove(ctx[i], a);
                else seccomp_arch_add(ctx[i], a);
            }
        }
        for (i = 0; i < 64; i++)
            if (ctx[i]) seccomp_release(ctx[i]);
        total[r] = cpu_ms() - t0;
    }
    qsort(total, runs, sizeof(double), cmp);
    qsort(adds, runs, sizeof(double), cmp);
    qsort(exports, runs, sizeof(double), cmp);
    printf("%.3f %.3f %.3f %.3f\n", total[runs / 2], total[0], adds[runs / 2], exports[runs / 2]);
    return 0;
}
"""


def record_calls(translation: object) -> str:
    """The libseccomp calls compiling ``translation`` makes, as the replay program reads them."""
    from seccomp_kit.libseccomp import _ffi as lib

    ops: list[str] = []
    ids: dict[int, int] = {}
    cls = lib.LibFilter
    names = ("__init__", "arch_add", "arch_remove", "attr_set", "rule_add", "merge", "export_bpf")
    real = {name: getattr(cls, name) for name in names}

    def ident(f: lib.LibFilter) -> int:
        return ids.setdefault(id(f), len(ids))

    def init(self: lib.LibFilter, action: int) -> None:
        real["__init__"](self, action)
        ops.append(f"init {ident(self)} {action}")

    def wrap(name: str, fmt: object) -> object:
        def call(self: lib.LibFilter, *args: object) -> object:
            ops.append(fmt(ident(self), *args))  # type: ignore[operator]
            return real[name](self, *args)

        return call

    def rule(i: int, action: int, nr: int, conds: tuple[tuple[int, ...], ...]) -> str:
        parts = " ".join(f"{a} {o} {v} {w}" for a, o, v, w in conds)
        return f"rule {i} {action} {nr} {len(conds)} {parts}"

    patches = {
        "__init__": init,
        "arch_add": wrap("arch_add", lambda i, t: f"arch_add {i} {t}"),
        "arch_remove": wrap("arch_remove", lambda i, t: f"arch_rm {i} {t}"),
        "attr_set": wrap("attr_set", lambda i, a, v: f"attr {i} {a} {v}"),
        "rule_add": wrap("rule_add", rule),
        "merge": wrap("merge", lambda i, other: f"merge {i} {ident(other)}"),
        "export_bpf": wrap("export_bpf", lambda i: f"export {i}"),
    }
    for name, fn in patches.items():
        setattr(cls, name, fn)
    try:
        compile_translation(translation)  # type: ignore[arg-type]
    finally:
        for name, fn in real.items():
            setattr(cls, name, fn)
    return "\n".join(ops) + "\n"


def replay_in_c(tmp: Path, compiled: CompiledFilter, runs: int) -> tuple[float, ...] | None:
    """CPU ms inside libseccomp alone: (median total, min total, median rule adds, median
    export), or None without a C compiler."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        return None
    src, exe, ops = tmp / "replay.c", tmp / "replay", tmp / "ops.txt"
    src.write_text(C_REPLAY)
    subprocess.run([cc, "-O2", "-o", str(exe), str(src), "-l:libseccomp.so.2"], check=True)
    ops.write_text(record_calls(compiled.translation))
    done = subprocess.run(
        [str(exe), str(ops), str(runs)], check=True, capture_output=True, text=True
    )
    return tuple(float(x) for x in done.stdout.split())


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
    cases = (
        ("runc", "x86_64 + x86 + x32 (moby's archMap)", profile),
        ("runc", "x86_64 only", only64),
        ("crun", "x86_64 + x86 + x32 (moby's archMap)", profile),
    )
    for runtime, label, prof in cases:
        wall, cpu = time_compile(prof, opts.repeat * 3, runtime=runtime)
        print(f"compile moby-default.json, {runtime}, {label}: wall median"
              f" {statistics.median(wall):.2f} ms (min {min(wall):.2f}), CPU median"
              f" {statistics.median(cpu):.2f} ms"
              f" (min {min(cpu):.2f}), {opts.repeat * 3} warm runs")  # fmt: skip
    print(f"  of which libseccomp's seccomp_export_bpf (CPU, median):"
          f" {time_export(ours, opts.repeat):.2f} ms")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for label, prof in (("x86_64 + x86 + x32", profile), ("x86_64 only", only64)):
            floor = replay_in_c(Path(tmp), compile_profile(prof), opts.repeat * 3)  # type: ignore[arg-type]
            if floor is not None:
                print(f"  libseccomp alone, the same calls replayed from C ({label}): CPU median"
                      f" {floor[0]:.2f} ms (min {floor[1]:.2f}): rule adds {floor[2]:.2f} ms,"
                      f" seccomp_export_bpf {floor[3]:.2f} ms")  # fmt: skip

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
