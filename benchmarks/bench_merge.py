"""Merge and diff throughput, as ratios against a baseline measured in the same run.

Run: .venv/bin/python benchmarks/bench_merge.py [--profiles 1000] [--names 150] [--repeat 5]

* merge: N recorded-style profiles (default ERRNO, one ALLOW rule of ~150 names drawn from the
  x86_64 table with a fixed seed, so inputs overlap like replicas of one workload do).
* diff: two moby-size profiles (moby's default resolved for amd64 without and with
  CAP_SYS_ADMIN, from the shared corpus when present, else synthetic ones of the same size).
* baseline: building a dict of the same (name -> action) pairs in plain Python, the least any
  merge must do; the ratio says how far above that floor the real work is.
"""

from __future__ import annotations

import argparse
import platform
import random
import time
from collections.abc import Callable
from pathlib import Path

from seccomp_kit import io
from seccomp_kit.algebra.diffing import diff
from seccomp_kit.algebra.merging import merge
from seccomp_kit.algebra.resolving import resolve
from seccomp_kit.model import Action, Arch, Profile, SyscallRule
from seccomp_kit.syscalls import table

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "profiles"


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def recorded(count: int, names: int, seed: int = 1) -> list[Profile]:
    rng = random.Random(seed)
    pool = sorted(table(Arch.X86_64).by_name)
    common = rng.sample(pool, names)  # what every replica does
    out = []
    for _ in range(count):
        mine = set(rng.sample(common, names - 10)) | set(rng.sample(pool, 10))
        out.append(
            Profile(
                default_action=Action.ERRNO,
                architectures=(Arch.X86_64,),
                syscalls=(SyscallRule(names=tuple(sorted(mine)), action=Action.ALLOW),),
            )
        )
    return out


def moby_pair() -> tuple[Profile, Profile, str]:
    path = CORPUS / "moby-default.json"
    if path.is_file():
        moby = io.load(path)
        a = resolve(moby, arch="amd64", kernel="6.18")
        b = resolve(moby, arch="amd64", capabilities=["CAP_SYS_ADMIN"], kernel="6.18")
        return a, b, "moby-default.json resolved for amd64 (without / with CAP_SYS_ADMIN)"
    rng = random.Random(2)
    pool = sorted(table(Arch.X86_64).by_name)
    names = rng.sample(pool, 360)
    a = Profile(
        default_action=Action.ERRNO,
        syscalls=(SyscallRule(names=tuple(names[:330]), action=Action.ALLOW),),
    )
    b = Profile(
        default_action=Action.ERRNO,
        syscalls=(SyscallRule(names=tuple(names[30:]), action=Action.ALLOW),),
    )
    return a, b, "synthetic 330-name allowlists (corpus not found)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=1000)
    parser.add_argument("--names", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    inputs = recorded(args.profiles, args.names)

    def baseline() -> dict[str, str]:
        out: dict[str, str] = {}
        for p in inputs:
            for r in p.syscalls:
                for n in r.names:
                    out[n] = str(r.action)
        return out

    t_base = best_of(args.repeat, baseline)
    t_union = best_of(args.repeat, lambda: merge(*inputs))
    t_inter = best_of(args.repeat, lambda: merge(*inputs, strategy="intersection"))
    a, b, what = moby_pair()
    t_diff = best_of(args.repeat * 4, lambda: diff(a, b))
    t_diff_same = best_of(args.repeat * 4, lambda: diff(a, a))

    print(f"python {platform.python_version()} on {platform.machine()}, {platform.system()}")
    print(f"inputs: {args.profiles} profiles x {args.names} names; best of {args.repeat}")
    print(f"baseline dict fill   {t_base * 1e3:8.1f} ms")
    print(f"merge union          {t_union * 1e3:8.1f} ms  ({t_union / t_base:.1f}x baseline)")
    print(f"merge intersection   {t_inter * 1e3:8.1f} ms  ({t_inter / t_base:.1f}x baseline)")
    print(f"diff ({what})")
    print(f"  differing          {t_diff * 1e3:8.2f} ms")
    print(f"  identical          {t_diff_same * 1e3:8.2f} ms")
    print("targets: merge <= 1000 ms, diff <= 50 ms")


if __name__ == "__main__":
    main()
