"""The porting proof: record busybox applets on x86_64, port the profile, and compare with what
Debian's busybox-static for the target really calls there.

Targets: aarch64 and armhf under qemu-user's ``-strace``, and i386 natively under ``strace -f``
(the x86_64 kernel runs i386 binaries through its compat entry points, which a seccomp filter
sees as ``SCMP_ARCH_X86``). ``tools/foreign-busybox.sh`` installs the three binaries and qemu.
Run ``python -m tests.algebra.port_proof`` for the tables in benchmarks/README.md.

Busybox's shell runs applets by exec'ing ``/proc/self/exe``; under qemu-user (no binfmt_misc
registration) that fails with ENOEXEC and the shell searches PATH, so PATH starts with a
directory of wrappers that exec the same applet under qemu with the same strace log: every
process of the arm64 run is traced.
"""

from __future__ import annotations

import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs

from seccomp_kit import syscalls
from seccomp_kit.algebra.porting import port
from seccomp_kit.model import Action, Arch, Profile
from seccomp_kit.record import record, record_command

__all__ = [
    "FOREIGN",
    "WORKLOADS",
    "Comparison",
    "compare",
    "enforce_i386",
    "main",
    "missing_tools",
]

FOREIGN = Path(os.environ.get("SECCOMP_KIT_FOREIGN_ROOT", "/var/cache/seccomp-kit/foreign"))
HOST_BUSYBOX = Path("/bin/busybox")
DEBIAN = ("arm64", "armhf", "i386")
QEMU = {Arch.AARCH64: "qemu-aarch64-static", Arch.ARM: "qemu-arm-static"}

# name -> applet argv (after "busybox"); {tree}, {work}, {url} are filled in per run.
WORKLOADS: dict[str, tuple[str, ...]] = {
    "ls -R": ("ls", "-lR", "{tree}"),
    "tar": ("sh", "-c", "cd {work} && tar -cf out.tar -C {tree} . && mkdir -p x && "
            "tar -xf out.tar -C x && tar -tvf out.tar > /dev/null"),
    "sh -c pipeline": ("sh", "-c", "ls {tree} | sort -r | wc -l > /dev/null; "
                       "echo a b c | tr ' ' '\\n' | grep -c b > /dev/null; cat {tree}/f1 | "
                       "head -n 3 | md5sum > /dev/null"),
    "wget": ("wget", "-q", "-O", "{work}/got", "{url}/f1"),
}  # fmt: skip


def missing_tools() -> list[str]:
    out = [str(p) for p in (HOST_BUSYBOX, *(FOREIGN / d / "bin/busybox" for d in DEBIAN))
           if not p.exists()]  # fmt: skip
    out += [t for t in (*QEMU.values(), "strace") if shutil.which(t) is None]
    return out


@attrs.frozen
class Comparison:
    workload: str
    target: Arch
    recorded: Profile
    """What the x86_64 recording produced."""
    needed: frozenset[str]
    """Names the target's run really called."""

    def allowed(self, *, vdso_fallback: bool) -> frozenset[str]:
        """Names the ported profile allows on the target."""
        ported = port(self.recorded, to=self.target, from_=Arch.X86_64,
                      vdso_fallback=vdso_fallback)  # fmt: skip
        return allowed_names(ported.profile, self.target)

    def missed(self, *, vdso_fallback: bool) -> frozenset[str]:
        return self.needed - self.allowed(vdso_fallback=vdso_fallback)

    def unneeded(self, *, vdso_fallback: bool) -> frozenset[str]:
        return self.allowed(vdso_fallback=vdso_fallback) - self.needed


@contextmanager
def _fixture(root: Path) -> Iterator[dict[str, str]]:
    tree = root / "tree"
    for i, sub in enumerate(("", "a", "a/b", "c")):
        d = tree / sub
        d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i}").write_text("line\n" * (i + 5))
    (tree / "f1").write_text("".join(f"row {n}\n" for n in range(50)))
    os.symlink("f1", tree / "link")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(tree), **kwargs)  # type: ignore[arg-type]

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            # The body comes late, after the headers, so wget always waits for it (poll) on
            # every architecture: the recorded and the traced runs then do the same thing.
            body = (tree / self.path.lstrip("/")).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.flush()
            time.sleep(0.2)
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"tree": str(tree), "url": f"http://127.0.0.1:{server.server_address[1]}"}
    finally:
        server.shutdown()
        server.server_close()


def _argv(workload: str, values: dict[str, str]) -> list[str]:
    return [a.format(**values) for a in WORKLOADS[workload]]


def _fresh(root: Path, name: str) -> Path:
    work = root / name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    return work


def record_x86_64(argv: list[str]) -> Profile:
    """The least-privilege profile of the host's busybox running ``argv``."""
    live = record_command([str(HOST_BUSYBOX), *argv], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, timeout=60)  # fmt: skip
    if not live.complete:
        raise RuntimeError(f"recording of {argv} lost records: {live.warnings}")
    return record(live.events, default_action=Action.ERRNO).profile


_CALL = re.compile(r"(?:^|[\s\]])([a-z_][a-z0-9_]*)\(", re.MULTILINE)
_UNKNOWN = re.compile(r"Unknown syscall (\d+)")


def names_in_trace(text: str, arch: Arch) -> frozenset[str]:
    """Syscall names in qemu -strace or strace -f output (numbers qemu does not know by name
    are looked up in ``arch``'s table)."""
    table = syscalls.table(arch)
    names = {m for m in _CALL.findall(text) if m in table}
    for nr in _UNKNOWN.findall(text):
        name = table.name(int(nr))
        if name is not None:
            names.add(name)
    return frozenset(names)


def trace_qemu(argv: list[str], root: Path, *, debian: str, arch: Arch) -> frozenset[str]:
    """The names the ``debian`` build of busybox calls for ``argv`` under qemu-user's strace."""
    qemu = QEMU[arch]
    busybox = FOREIGN / debian / "bin/busybox"
    log = root / "qemu.log"
    log.unlink(missing_ok=True)
    wrappers = _fresh(root, f"{debian}-path")
    applets = subprocess.run([qemu, str(busybox), "--list"], capture_output=True, text=True,
                             check=True).stdout.split()  # fmt: skip
    for applet in applets:
        w = wrappers / applet
        w.write_text(f'#!/bin/sh\nexec {qemu} -strace -0 {applet} {busybox} "$@" 2>>{log}\n')
        w.chmod(0o755)
    env = {**os.environ, "PATH": f"{wrappers}:/usr/bin:/bin"}
    with log.open("ab") as err:
        subprocess.run([qemu, "-strace", str(busybox), *argv], env=env, stdout=subprocess.DEVNULL,
                       stderr=err, timeout=120, check=True)  # fmt: skip
    # qemu-user loads the program itself, so the program's own execve never shows in its log;
    # the recording (whose filter is in place before that execve) and strace both see it.
    return names_in_trace(log.read_text(errors="replace"), arch) | {"execve"}


def trace_arm64(argv: list[str], root: Path) -> frozenset[str]:
    return trace_qemu(argv, root, debian="arm64", arch=Arch.AARCH64)


def trace_armhf(argv: list[str], root: Path) -> frozenset[str]:
    return trace_qemu(argv, root, debian="armhf", arch=Arch.ARM)


def trace_i386(argv: list[str], root: Path) -> frozenset[str]:
    busybox = FOREIGN / "i386/bin/busybox"
    log = root / "strace.log"
    subprocess.run(["strace", "-f", "-qq", "-o", str(log), str(busybox), *argv],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120,
                   check=True)  # fmt: skip
    return names_in_trace(log.read_text(errors="replace"), Arch.X86)


def allowed_names(profile: Profile, arch: Arch) -> frozenset[str]:
    """Names the profile allows unconditionally on ``arch`` (recordings have no conditions)."""
    table = syscalls.table(arch)
    return frozenset(n for r in profile.syscalls if r.action is Action.ALLOW and not r.args
                     for n in r.names if n in table)  # fmt: skip


TRACERS = ((Arch.AARCH64, trace_arm64), (Arch.ARM, trace_armhf), (Arch.X86, trace_i386))


def compare(root: Path) -> list[Comparison]:
    """Record each workload on x86_64 and trace it on each target."""
    out = []
    with _fixture(root) as values:
        for workload in WORKLOADS:
            work = _fresh(root, "x86_64")
            recorded = record_x86_64(_argv(workload, {**values, "work": str(work)}))
            for target, tracer in TRACERS:
                work = _fresh(root, target.name)
                needed = tracer(_argv(workload, {**values, "work": str(work)}), root)
                out.append(Comparison(workload, target, recorded, needed))
    return out


def enforce_i386(root: Path, results: list[Comparison]) -> dict[str, tuple[Any, Any]]:
    """Run each workload's i386 busybox under the kernel's filter: the port of its x86_64
    recording, and the recording itself unported (declared for x86). Returns the two
    :class:`~seccomp_kit.record.runner.RunReport` per workload."""
    from seccomp_kit.record.runner import run

    busybox = str(FOREIGN / "i386/bin/busybox")
    out = {}
    with _fixture(root) as values:
        for c in results:
            if c.target is not Arch.X86:
                continue
            ported = port(c.recorded, to=Arch.X86, from_=Arch.X86_64).profile
            unported = attrs.evolve(c.recorded, architectures=(Arch.X86,))
            reports = []
            for profile in (ported, unported):
                work = _fresh(root, "enforced")
                argv = [busybox, *_argv(c.workload, {**values, "work": str(work)})]
                reports.append(run(profile, argv, report=True))
            out[c.workload] = (reports[0], reports[1])
    return out


def main() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        results = compare(Path(tmp))
    for fallback in (False, True):
        print(f"\nvdso_fallback={fallback}\n")
        print("| workload | target | recorded (x86_64) | ported allows | target run called | "
              "missed | allowed, never called |")  # fmt: skip
        print("|---|---|---|---|---|---|---|")
        for c in results:
            rec = allowed_names(c.recorded, Arch.X86_64)
            allowed = c.allowed(vdso_fallback=fallback)
            missed = sorted(c.needed - allowed)
            extra = sorted(allowed - c.needed)
            print(f"| {c.workload} | {c.target.value} | {len(rec)} | {len(allowed)} | "
                  f"{len(c.needed)} | {len(missed)} {' '.join(missed)} | "
                  f"{len(extra)} {' '.join(extra)} |")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        enforced = enforce_i386(Path(tmp), results)
    print("\n| workload | i386 under the port: exit, blocked | under the unported recording |")
    print("|---|---|---|")
    for workload, (ported, unported) in enforced.items():
        blocked = " ".join(b.name for b in unported.blocked)
        print(f"| {workload} | {ported.status}, {len(ported.blocked)} | "
              f"{unported.status}, {blocked} |")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
