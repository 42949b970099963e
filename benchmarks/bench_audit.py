"""Parse a large mixed log of SECCOMP records; compare with a per-line regex parser in the same run.

Usage: .venv/bin/python benchmarks/bench_audit.py [--size-mb N] [--file PATH] [--keep]

Generates (unless ``--file`` names an existing one) a log of about N MB in /tmp mixing the
shapes records take (dmesg lines, auditd SECCOMP lines with a node= prefix, auditd SYSCALL/PATH
records, ordinary kernel messages, rate-limit notes), then times in one process, with the C
scanner (``seccomp_kit.audit._scan``) and with the pure-Python parser:

- ``seccomp-kit record --from FILE -o /dev/null``, the command line run in this process (what a
  user of the CLI gets: with the C scanner and the default filter, records are counted, not
  turned into events);
- ``record_log(FILE)``, the library's recorder straight from the log (the same counting);
- ``seccomp_kit.audit.parse`` over the file (events built, every line accounted);
- ``record(parse(FILE))``, the recorder on top of the events;
- a straightforward parser: one regex per line, ``key=value`` split into a dict, ints, and the
  syscall name from the same table.

Figures are CPU seconds of this process (``time.process_time``, steadier than wall time on a
shared machine) and records per CPU second, with the ratio to the regex parser. Peak RSS is
sampled after a run over the first tenth of the file and after the whole file (C scanner and
counting, then events): the parser keeps no per-line state, so the two must match. The native
and pure-Python runs must account for the file identically; the benchmark checks that.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

COMMS = [("nginx", "/usr/sbin/nginx"), ("python3", "/usr/bin/python3.11"), ("sh", "/bin/dash")]
OTHER = [
    "[{t:12.6f}] eth0: Link is Up - 10Gbps/Full - flow control rx/tx",
    "[{t:12.6f}] EXT4-fs (vda1): mounted filesystem with ordered data mode. Quota mode: none.",
    "[{t:12.6f}] systemd[1]: Started Session {n} of User root.",
    "[{t:12.6f}] IPv6: ADDRCONF(NETDEV_CHANGE): veth{n}: link becomes ready",
]


def generate(path: Path, size: int, seed: int = 7) -> tuple[int, int]:
    """Write about ``size`` bytes; return (lines, SECCOMP records)."""
    rng = random.Random(seed)
    serial = 1000  # this machine's audit serials (kernel log and local auditd records)
    remote = [5000, 90000, 700000]  # each node= machine counts its own
    lines = records = written = 0
    pids = [rng.randrange(1000, 4_000_000) for _ in range(40)]
    with path.open("w", encoding="ascii") as out:
        buf: list[str] = []
        while written < size:
            for _ in range(10_000):
                t = lines / 1000
                k = rng.random()
                if k < 0.45:
                    serial += 1
                    comm, exe = rng.choice(COMMS)
                    line = (
                        f"[{t:12.6f}] audit: type=1326"
                        f" audit(1795556000.{serial % 1000:03d}:{serial}):"
                        f" auid=4294967295 uid=0 gid=0 ses=4294967295 pid={rng.choice(pids)}"
                        f' comm="{comm}" exe="{exe}" sig=0 arch=c000003e'
                        f" syscall={rng.randrange(0, 335)} compat=0"
                        f" ip=0x7f{rng.randrange(16**10):010x} code=0x7ffc0000"
                    )
                    records += 1
                elif k < 0.60:
                    node = rng.randrange(3)
                    remote[node] += 1
                    comm, exe = rng.choice(COMMS)
                    line = (
                        f"node=web-{node} type=SECCOMP"
                        f" msg=audit(1795556000.{remote[node] % 1000:03d}:{remote[node]}):"
                        f" auid=1000 uid=1000 gid=1000 ses=3 subj=unconfined"
                        f' pid={rng.choice(pids)} comm="{comm}" exe="{exe}" sig=0'
                        f" arch=c000003e syscall={rng.randrange(0, 335)} compat=0"
                        f" ip=0x7f{rng.randrange(16**10):010x} code=0x50001"
                    )
                    records += 1
                elif k < 0.75:
                    serial += 1
                    line = (
                        f"type=SYSCALL msg=audit(1795556000.{serial % 1000:03d}:{serial}):"
                        f" arch=c000003e syscall=59 success=yes exit=0 a0=55d1 a1=55d2 a2=55d3"
                        f' a3=0 items=2 ppid=1 pid={rng.choice(pids)} auid=0 uid=0 comm="sh"'
                    )
                elif k < 0.999:
                    line = rng.choice(OTHER).format(t=t, n=lines % 97)
                else:
                    dropped = rng.randrange(1, 50)
                    serial += dropped
                    line = f"[{t:12.6f}] kauditd_printk_skb: {dropped} callbacks suppressed"
                buf.append(line)
                lines += 1
            text = "\n".join(buf) + "\n"
            out.write(text)
            written += len(text)
            buf.clear()
    return lines, records


def regex_parser(path: Path) -> Iterator[dict[str, object]]:
    """The straightforward way: one regex per line, split the body into a dict."""
    from seccomp_kit.syscalls import table
    from seccomp_kit.syscalls.arches import by_audit

    rx = re.compile(r"type=(?:1326|SECCOMP)(?: msg=)? ?audit\((\d+\.\d+):(\d+)\): (.*)$")
    with path.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            m = rx.search(line)
            if not m:
                continue
            fields = dict(kv.split("=", 1) for kv in m.group(3).split(" ") if "=" in kv)
            info = by_audit(int(fields["arch"], 16))
            nr = int(fields["syscall"])
            yield {
                "timestamp": float(m.group(1)),
                "serial": int(m.group(2)),
                "pid": int(fields["pid"]),
                "uid": int(fields.get("uid", "-1")),
                "comm": fields["comm"].strip('"'),
                "exe": fields["exe"].strip('"'),
                "arch": info.arch if info else None,
                "syscall": table(info.arch).name(nr) if info else None,
                "code": int(fields["code"], 16),
            }


def _cpu(fn: object) -> float:
    start = time.process_time()
    fn()  # type: ignore[operator]
    return time.process_time() - start


def _cli(path: Path, *, native: bool = True) -> None:
    """``seccomp-kit record --from PATH -o /dev/null`` in this process (its report discarded);
    ``native=False`` runs it as with ``SECCOMP_KIT_NO_NATIVE=1``."""
    import contextlib
    import io

    import click

    from seccomp_kit.cli import cli

    saved = os.environ.get("SECCOMP_KIT_NO_NATIVE")
    os.environ["SECCOMP_KIT_NO_NATIVE"] = "" if native else "1"
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            try:
                status = cli.main(
                    args=["record", "--from", str(path), "-o", os.devnull],
                    prog_name="seccomp-kit",
                    standalone_mode=False,
                )
            except click.exceptions.Exit as exc:
                status = exc.exit_code
    finally:
        if saved is None:
            del os.environ["SECCOMP_KIT_NO_NATIVE"]
        else:
            os.environ["SECCOMP_KIT_NO_NATIVE"] = saved
    if status not in (0, 1, None):
        raise SystemExit(f"seccomp-kit record failed with status {status}")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--file", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the generated file")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from seccomp_kit.audit import AuditParser, AuditStats, parse, tally
    from seccomp_kit.record import record, record_log

    if not AuditParser().native:
        raise SystemExit("the C scanner is not built (or SECCOMP_KIT_NO_NATIVE is set)")
    path = args.file or Path(f"/tmp/seccomp-kit-bench-{args.size_mb}mb.log")
    if not path.exists():
        t0 = time.perf_counter()
        lines, records = generate(path, args.size_mb << 20)
        print(
            f"generated {path} ({path.stat().st_size >> 20} MB, {lines} lines,"
            f" {records} SECCOMP records) in {time.perf_counter() - t0:.1f} s"
        )
    size = path.stat().st_size

    # Warm up (syscall tables, caches) on the first tenth of the file, copied in blocks so the
    # copy itself does not raise the peak RSS.
    head = path.with_suffix(".head")
    with path.open("rb") as src, head.open("wb") as dst:
        left = size // 10
        while left > 0:
            block = src.read(min(left, 1 << 20))
            dst.write(block)
            left -= len(block)
    rss_start = _rss_mb()
    tally(head)
    for _ in parse(head):
        pass
    rss_tenth = _rss_mb()

    counted = AuditStats()
    cpu_tally = _cpu(lambda: tally(path, stats=counted))
    stats = AuditStats()
    cpu_parse = _cpu(lambda: sum(1 for _ in parse(path, stats=stats)))
    rss_full = _rss_mb()
    n = stats.records
    cpu_cli = _cpu(lambda: _cli(path))
    cpu_record_log = _cpu(lambda: record_log(path))
    cpu_record = _cpu(lambda: record(parse(path)))
    pure = AuditStats()
    cpu_pure_parse = _cpu(lambda: sum(1 for _ in parse(path, stats=pure, native=False)))
    cpu_pure_cli = _cpu(lambda: _cli(path, native=False))
    count = [0]

    def naive() -> None:
        for _ in regex_parser(path):
            count[0] += 1

    cpu_naive = _cpu(naive)
    head.unlink()
    if not stats == counted == pure:
        raise SystemExit(f"the paths disagree:\n{stats}\n{counted}\n{pure}")
    print(
        f"file: {size / 2**20:.0f} MB, {stats.lines} lines, {n} SECCOMP records"
        f" ({stats.events} events, {sum(stats.skipped.values())} skipped,"
        f" {stats.serial_gaps} serial gaps, {stats.callbacks_suppressed} suppressed);"
        " C scanner and pure Python agree"
    )
    print(
        f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load"
        f" {os.getloadavg()[0]:.2f}"
    )
    rows = [
        ("seccomp-kit record --from FILE", cpu_cli, n),
        ("record_log(FILE) (profile)", cpu_record_log, n),
        ("seccomp_kit.audit.tally (counts)", cpu_tally, n),
        ("seccomp_kit.audit.parse (events)", cpu_parse, n),
        ("record(parse(FILE)) (profile)", cpu_record, n),
        ("pure Python: record --from FILE", cpu_pure_cli, n),
        ("pure Python: audit.parse (events)", cpu_pure_parse, n),
        ("per-line regex + dict (baseline)", cpu_naive, count[0]),
    ]
    print(f"{'parser':36} {'CPU s':>8} {'records/s':>12} {'MB/s':>8} {'vs regex':>9}")
    for name, cpu, k in rows:
        print(
            f"{name:36} {cpu:8.2f} {k / cpu:12,.0f} {size / 2**20 / cpu:8.1f}"
            f" {cpu_naive / cpu:8.2f}x"
        )
    print(
        f"peak RSS: {rss_start:.0f} MB before parsing, {rss_tenth:.0f} MB after a tenth of the"
        f" file, {rss_full:.0f} MB after all of it"
    )
    if not args.keep and args.file is None:
        path.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
