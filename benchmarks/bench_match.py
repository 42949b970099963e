"""Matcher throughput on moby's default profile, with baselines measured in the same run.

    .venv/bin/python benchmarks/bench_match.py [--events 10000000] [--repeat 5]

Profile: ``moby-default.json`` resolved for x86_64 (no capabilities, this kernel) with
``seccomp_kit.algebra.resolving.resolve``, matched as runc would load it on x86_64.

1. Building a ``Matcher`` (median of warm runs), and the one-off cost of compiling libseccomp's
   program the first time an argument-dependent syscall is asked.
2. Scalar ``Matcher.match`` on syscall numbers drawn from the x86_64 table (no arguments),
   against a bare ``dict.get`` over a precomputed {number: return value} dict, same loop shape,
   same Python ints; the two loops alternate so that load from other jobs hits both alike.
3. Bulk ``Matcher.match_many`` on N events: (a) numbers without argument rules, (b) every event
   a syscall with argument rules (personality, clone, socket...) and random arguments drawn from
   the values those rules compare with; against a bare ``numpy.take`` on a table (a) and the
   table plus one masked 64-bit argument check (b); the one-off cost of building the tables
   (numbers, and the argument chains' comparison outcomes). Peak traced memory
   (``tracemalloc``, which numpy reports to) for two chunk sizes shows memory bounded by the
   chunk, not by N.
4. Side by side on a sample: a naive matcher that scans the profile's rules for every event,
   and ``seccomp_kit.bpf.emulate`` over the compiled filter.

Figures are CPU seconds of this process (``time.process_time``; the machine is shared), best of
``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import seccomp_kit as sk
from seccomp_kit.algebra.resolving import resolve
from seccomp_kit.libseccomp.compile import compile_translation
from seccomp_kit.match import Matcher
from seccomp_kit.match._bulk import BulkTable
from seccomp_kit.model import Action, Arch, Operator, Profile
from seccomp_kit.syscalls import table

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "profiles" / "moby-default.json"


def best(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return min(times)


def load_profile() -> Profile:
    return resolve(sk.load(CORPUS), arch="x86_64", capabilities=(), kernel="6.18")


def naive(profile: Profile, default: int) -> Callable[[int, tuple[int, ...]], int]:
    """Scan every rule for every event: the matcher a first attempt would write."""
    tbl = table(Arch.X86_64)
    rules = []
    for rule in profile.syscalls:
        value = Action(rule.action).kernel_base | (
            (rule.errno_ret if rule.errno_ret is not None else 1) & 0xFFFF
            if Action(rule.action).takes_errno
            else 0
        )
        rules.append(({tbl.number(n) for n in rule.names}, rule.args, value))

    def ok(c: Any, args: tuple[int, ...]) -> bool:
        a = args[c.index] if c.index < len(args) else 0
        op = c.op
        if op is Operator.EQ:
            return bool(a == c.value)
        if op is Operator.NE:
            return bool(a != c.value)
        if op is Operator.MASKED_EQ:
            return bool(a & c.value == c.effective_value_two)
        if op is Operator.GT:
            return bool(a > c.value)
        if op is Operator.GE:
            return bool(a >= c.value)
        if op is Operator.LT:
            return bool(a < c.value)
        return bool(a <= c.value)

    def match(nr: int, args: tuple[int, ...]) -> int:
        for names, conds, value in rules:
            if nr in names and all(ok(c, args) for c in conds):
                return value
        return default

    return match


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scalar", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000)
    opts = parser.parse_args()
    profile = load_profile()
    rng = np.random.default_rng(7)

    # 1. building
    builds = []
    walls = []
    for _ in range(max(opts.repeat, 15)):
        t, w = time.process_time(), time.perf_counter()
        m = Matcher(profile, arch=Arch.X86_64)
        builds.append(time.process_time() - t)
        walls.append(time.perf_counter() - w)
    t = time.perf_counter()
    m.exact_code()
    first_exact = time.perf_counter() - t
    print(
        f"build: CPU median {statistics.median(builds) * 1e3:.2f} ms, min {min(builds) * 1e3:.2f}"
        f" ms; wall median {statistics.median(walls) * 1e3:.2f} ms, min"
        f" {min(walls) * 1e3:.2f} ms; first argument-dependent query compiles libseccomp's"
        " program:"
        f" {first_exact * 1e3:.1f} ms (once)"
    )

    tbl = table(Arch.X86_64)
    conditional = sorted(nr for nr in tbl.by_number if m.has_argument_rules(nr))
    plain = np.array(
        [nr for nr in sorted(tbl.by_number) if nr not in conditional and nr not in (335, 336)],
        dtype=np.uint32,
    )

    # 2. scalar
    nrs = [int(x) for x in rng.choice(plain, opts.scalar)]
    ret_dict = {nr: m.match(nr).ret for nr in tbl.by_number}
    lookup = ret_dict.get
    match = m.match

    def run_dict() -> None:
        for nr in nrs:
            lookup(nr)

    def run_match() -> None:
        for nr in nrs:
            match(nr)

    run_match()  # the first call for each number builds its verdict: not the steady state
    t_dict = t_match = float("inf")
    for _ in range(opts.repeat):
        t_dict = min(t_dict, best(run_dict, 1))
        t_match = min(t_match, best(run_match, 1))
    print(
        f"scalar: match {opts.scalar / t_match / 1e6:.2f} M calls/s, dict.get"
        f" {opts.scalar / t_dict / 1e6:.2f} M calls/s, ratio {t_match / t_dict:.2f}x"
    )

    # 3. bulk
    n = opts.events
    bulk_plain = rng.choice(plain, n).astype(np.uint32)
    values = sorted({c.value for r in profile.syscalls for c in r.args} | {0, 1, 0xFFFF_FFFF})
    pool = np.array(values, dtype=np.uint64)
    bulk_cond = rng.choice(np.array(conditional, dtype=np.uint32), n).astype(np.uint32)
    bulk_args = rng.choice(pool, (n, 6)).astype(np.uint64)
    # tables built once per architecture, outside the timing (measured here on their own)
    t = time.perf_counter()
    bulk = BulkTable(m, Arch.X86_64)
    t_table = time.perf_counter() - t
    t = time.perf_counter()
    decision = bulk.decision(m)
    t_decision = time.perf_counter() - t
    print(
        f"bulk tables: {t_table * 1e3:.1f} ms number table, {t_decision * 1e3:.1f} ms"
        f" argument-chain table ({'none' if decision is None else f'{decision.bits} bits'})"
    )
    m.match_many(bulk_plain[:1000])
    m.match_many(bulk_cond[:1000], bulk_args[:1000])
    flat = np.array([ret_dict.get(i, 0) for i in range(512)], dtype=np.uint32)

    t_plain = best(lambda: m.match_many(bulk_plain, chunk_size=1 << 18), opts.repeat)
    t_take = best(lambda: np.take(flat, np.minimum(bulk_plain, 511)), opts.repeat)
    t_cond = best(lambda: m.match_many(bulk_cond, bulk_args, chunk_size=1 << 18), opts.repeat)
    t_take_arg = best(
        lambda: np.where(
            (bulk_args[:, 0] & np.uint64(0xFFFF_FFFF)) == np.uint64(8),
            np.take(flat, np.minimum(bulk_cond, 511)),
            np.uint32(0x50001),
        ),
        opts.repeat,
    )
    print(
        f"bulk, no argument rules: {n / t_plain / 1e6:.0f} M events/s"
        f" (numpy.take alone: {n / t_take / 1e6:.0f} M/s)"
    )
    print(
        f"bulk, every event argument-dependent: {n / t_cond / 1e6:.0f} M events/s"
        f" (table + one masked 64-bit check: {n / t_take_arg / 1e6:.0f} M/s)"
    )
    for chunk in (1 << 14, 1 << 18):
        tracemalloc.start()
        out = m.match_many(bulk_cond, bulk_args, chunk_size=chunk)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        extra = peak - out.nbytes
        print(
            f"memory, chunk {chunk}: peak traced {peak / 2**20:.1f} MiB of which the"
            f" {out.nbytes / 2**20:.1f} MiB result; {extra / 2**20:.1f} MiB working memory"
            f" (input: {(bulk_cond.nbytes + bulk_args.nbytes) / 2**20:.0f} MiB)"
        )
        del out

    # 4. side by side on a sample
    k = opts.sample
    sample_nr = np.concatenate([bulk_plain[: k // 2], bulk_cond[: k // 2]])
    sample_args = np.concatenate([np.zeros((k // 2, 6), dtype=np.uint64), bulk_args[: k // 2]])
    events = [
        (int(a), tuple(int(x) for x in b)) for a, b in zip(sample_nr, sample_args, strict=True)
    ]
    slow = naive(profile, m.translation.default_action)
    program = compile_translation(m.translation).program()
    audit = 0xC000_003E
    t_naive = best(lambda: [slow(nr, args) for nr, args in events], 1)
    t_emul = best(lambda: [program.emulate(arch=audit, nr=nr, args=args) for nr, args in events], 1)
    t_scalar = best(lambda: [match(nr, args) for nr, args in events], 1)
    t_bulk = best(lambda: m.match_many(sample_nr, sample_args), 3)
    print(f"side by side on {k} events (half argument-dependent), events/s:")
    for label, secs in (
        ("naive rule scan", t_naive),
        ("bpf.emulate of the compiled filter", t_emul),
        ("Matcher.match, one by one", t_scalar),
        ("Matcher.match_many", t_bulk),
    ):
        print(f"  {label:38s} {k / secs:>14,.0f}")


if __name__ == "__main__":
    main()
