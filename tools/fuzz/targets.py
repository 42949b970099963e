"""One fuzz target per loader: each takes arbitrary bytes and must either succeed or raise a
:class:`~seccomp_kit.errors.SeccompKitError`. Anything else (another exception, a disagreement
between the C and Python audit paths, a write outside the kubelet root, a traceback from the
CLI) is a fault: the target raises :class:`Fault` or lets the exception through.

The targets are plain functions so the fuzzing driver (``tools/fuzz/run.py``, atheris) and the
test suite (``tests/test_fuzz_targets.py``, their seeds) run the same code.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from seccomp_kit.errors import SeccompKitError

__all__ = ["TARGETS", "Fault", "seeds"]

ROOT = Path(__file__).resolve().parents[2]


class Fault(AssertionError):
    """A target found a fault that is not an exception of the code under test."""


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


# -- profile text, every dialect ------------------------------------------------------------


def profile(data: bytes) -> None:
    """Load (any dialect), validate, and for a profile that loads: write it back in every
    dialect, normalize, translate for runc and crun. Writing is canonical: writing what was
    read back gives the same text."""
    from seccomp_kit.algebra import normalize
    from seccomp_kit.io import convert, dumps, loads
    from seccomp_kit.libseccomp.translate import translate
    from seccomp_kit.model import Dialect
    from seccomp_kit.validation import validate_text

    with contextlib.suppress(SeccompKitError):
        validate_text(data)
    try:
        loaded = loads(data)
    except SeccompKitError:
        return
    text = dumps(loaded)
    text.encode("utf-8")  # every writer gets valid Unicode
    if dumps(loads(text)) != text:
        raise Fault("writing what was read back changed the text")
    for dialect in Dialect:
        with contextlib.suppress(SeccompKitError):
            dumps(convert(loaded, dialect)[0]).encode("utf-8")
    with contextlib.suppress(SeccompKitError):
        dumps(normalize(loaded)).encode("utf-8")
    for runtime in ("runc", "crun"):
        with contextlib.suppress(SeccompKitError):
            translate(loaded, runtime=runtime, host_arch="x86_64")


# -- audit lines, C and Python (the differential oracle) ------------------------------------


def _shape(event: Any) -> list[tuple[str, str, Any]]:
    return [(k, type(v).__name__, v) for k, v in event.__dict__.items()]


def audit(data: bytes) -> None:
    """The C scanner and the pure-Python parser give the same events, field by field and type
    by type, and the same accounting; counting gives the counts of those events."""
    from seccomp_kit.audit import AuditParser, TallyKey
    from seccomp_kit.audit import _parser as parser_module

    native = parser_module._NATIVE is not None
    block = 1 << 20 if not data or data[0] & 1 else 64
    pure = AuditParser(native=False)
    events = list(pure.parse_stream(io.BytesIO(data), block_size=block))
    shapes = [_shape(e) for e in events]
    for event in events:
        for value in event.__dict__.values():
            if isinstance(value, str):
                value.encode("utf-8")
    expected = Counter(TallyKey(e.arch, e.syscall_nr, e.syscall, e.code) for e in events)
    for use_native in (True, False) if native else (False,):
        if use_native:
            fast = AuditParser(native=True)
            got = [_shape(e) for e in fast.parse_stream(io.BytesIO(data), block_size=block)]
            if got != shapes or fast.stats != pure.stats:
                raise Fault("the C scanner and the Python parser disagree")
        counter = AuditParser(native=use_native)
        counts = counter.tally_stream(io.BytesIO(data), block_size=block)
        if counts != expected or counter.stats != pure.stats:
            raise Fault(f"counting (native={use_native}) disagrees with the events")


# -- BPF programs ---------------------------------------------------------------------------


def bpf(data: bytes) -> None:
    """Check, disassemble and emulate a program; the syscalls to ask about come from the
    first bytes, the program from the rest."""
    from seccomp_kit.bpf import Program, disassemble, longest_path
    from seccomp_kit.model import Arch

    head, program_bytes = data[:8], data[8:]
    try:
        program = Program(program_bytes)
    except SeccompKitError:
        return
    disassemble(program.instructions)
    longest_path(program.instructions)
    arches = list(Arch)
    for i in range(0, len(head) - 1, 2):
        arch = arches[head[i] % len(arches)]
        nr = head[i + 1] * 7
        value = program.emulate(arch=arch, nr=nr, args=(head[i], nr, 0, 1, 2, 3))
        if not 0 <= value <= 0xFFFF_FFFF:
            raise Fault(f"emulate returned {value}")


# -- Kubernetes YAML ------------------------------------------------------------------------


@contextlib.contextmanager
def _scratch() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="seccomp-kit-fuzz-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def kubernetes(data: bytes) -> None:
    """Load YAML documents, check them as manifests (Localhost profiles under a root with
    links and a loop), import SeccompProfile resources and write them back."""
    from seccomp_kit.kubernetes import (
        check_manifests,
        dumps_seccomp_profiles,
        import_seccomp_profiles,
        load_documents,
    )

    try:
        documents = load_documents(io.BytesIO(data))
    except SeccompKitError:
        return
    with contextlib.suppress(SeccompKitError):
        check_manifests(documents, root=_checked_root())
    try:
        found = import_seccomp_profiles(io.BytesIO(data))
    except SeccompKitError:
        return
    dumps_seccomp_profiles(found.resources).encode("utf-8")


_ROOTS: list[Path] = []


def _checked_root() -> Path:
    """One hostile root per process for the checks (they only read)."""
    if not _ROOTS:
        root = Path(tempfile.mkdtemp(prefix="seccomp-kit-fuzz-root-"))
        atexit.register(shutil.rmtree, root, True)
        _hostile_root(root)
        _ROOTS.append(root / "seccomp")
    return _ROOTS[0]


def _hostile_root(root: Path) -> None:
    """A kubelet root with a profile, a link out of it, a link loop and a dangling link."""
    (root / "seccomp").mkdir()
    (root / "outside").mkdir()
    base = root / "seccomp"
    (base / "p.json").write_text('{"defaultAction": "SCMP_ACT_ERRNO"}')
    (base / "out").symlink_to(root / "outside")
    (base / "loop1").symlink_to("loop2")
    (base / "loop2").symlink_to("loop1")
    (base / "gone").symlink_to("missing")


# -- install --------------------------------------------------------------------------------


def install(data: bytes) -> None:
    """Install under a root full of traps: the name is the first line, the profile the rest.
    Nothing may appear outside the root."""
    from seccomp_kit.io import loads
    from seccomp_kit.kubernetes import install as install_profile

    name, _, rest = data.partition(b"\n")
    try:
        loaded = loads(rest) if rest.strip() else loads('{"defaultAction": "SCMP_ACT_ERRNO"}')
    except SeccompKitError:
        return
    with _scratch() as scratch:
        _hostile_root(scratch)
        with contextlib.suppress(SeccompKitError):
            install_profile(loaded, _text(name), root=scratch / "seccomp")
        if any((scratch / "outside").iterdir()):
            raise Fault(f"install wrote outside the root for name {name!r}")
        stray = {p.name for p in scratch.iterdir()} - {"seccomp", "outside"}
        if stray:
            raise Fault(f"install wrote {stray} beside the root")


# -- the CLI --------------------------------------------------------------------------------

_OUTPUTS = ["-", "{tmp}/out", "", "{tmp}/missing/out", "{tmp}/" + "x" * 300, "/proc/self/status"]


def _commands(file: str, tmp: str, out: str) -> list[list[str]]:
    return [
        ["validate", file],
        ["validate", "--format", "json", file],
        ["validate", file, "--kernel", "5.10"],
        ["fmt", file, "-o", out],
        ["normalize", file, "-o", out],
        ["merge", file, file, "-o", out],
        ["diff", file, file],
        ["resolve", file, "--arch", "x86_64", "--kernel", "6.1", "-o", out],
        ["compile", file, "--arch", "x86_64", "-o", out],
        ["check", file, "read"],
        ["record", "--from", file, "-o", out],
        ["install", file, "--name", "x.json", "--root", tmp + "/root"],
        ["k8s", "check", file, "--root", tmp],
        ["k8s", "import", file, "-o", tmp + "/imported"],
        ["k8s", "export", file, "--name", "x"],
    ]


def cli(data: bytes) -> None:
    """One subcommand (chosen by the first byte, the output path by the second) on a file
    holding the rest: exit status 0, 1 or 2 (3: ``record`` found nothing to record), and never
    a traceback."""
    from seccomp_kit.cli import main

    if len(data) < 2:
        return
    with _scratch() as tmp:
        file = tmp / "input"
        file.write_bytes(data[2:])
        out = _OUTPUTS[data[1] % len(_OUTPUTS)].format(tmp=tmp)
        commands = _commands(str(file), str(tmp), out)
        argv = commands[data[0] % len(commands)]
        # Real text streams over bytes: commands write bytes to sys.stdout.buffer too.
        stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
        stderr = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
        cwd = os.getcwd()
        try:
            os.chdir(tmp)
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                main(argv)
        except SystemExit as exc:
            code = exc.code
        else:
            code = 0
        finally:
            os.chdir(cwd)
        stderr.flush()
        errors = stderr.buffer.getvalue().decode("utf-8")
        allowed = (0, 1, 2, 3, None) if argv[0] == "record" else (0, 1, 2, None)
        if code not in allowed or "Traceback" in errors:
            raise Fault(f"{argv}: exit {code!r}: {errors[-300:]}")


TARGETS: dict[str, Callable[[bytes], None]] = {
    "profile": profile,
    "audit": audit,
    "bpf": bpf,
    "kubernetes": kubernetes,
    "install": install,
    "cli": cli,
}


def seeds(target: str) -> list[bytes]:
    """Inputs from the repository to start each target from."""
    profiles = [p.read_bytes() for p in sorted((ROOT / "profiles").glob("*.json"))]
    logs = [p.read_bytes()[:4000] for p in sorted((ROOT / "tests/data/audit").glob("*"))]
    yaml = [p.read_bytes() for p in sorted((ROOT / "tests/data/k8s").glob("*.yaml"))]
    if target == "profile":
        return profiles
    if target == "audit":
        return logs
    if target == "bpf":
        return [bytes(range(8)) + _compiled()]
    if target == "kubernetes":
        return yaml
    if target == "install":
        return [b"a/b.json\n" + p for p in profiles[:2]] + [b"out/x.json\n", b"loop1/x\n"]
    if target == "cli":
        return [bytes([i, i]) + profiles[0] for i in range(15)]
    raise KeyError(target)


def _compiled() -> bytes:
    """A real filter (libseccomp's code for a small profile), or a hand-made one without it."""
    from seccomp_kit.bpf import RET_K, Instruction, encode

    try:
        from seccomp_kit.io import loads
        from seccomp_kit.libseccomp.compile import compile_profile

        small = loads(
            '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action":'
            ' "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 3, "op": "SCMP_CMP_GT"}]}]}'
        )
        return compile_profile(small, arch="x86_64").bpf
    except (SeccompKitError, OSError):
        return encode([Instruction(RET_K, 0, 0, 0x7FFF0000)])


if __name__ == "__main__":  # pragma: no cover - run the seeds once
    for name, target in TARGETS.items():
        for seed in seeds(name):
            target(seed)
        print(name, "ok", file=sys.stderr)
