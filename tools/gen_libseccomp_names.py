#!/usr/bin/env python3
"""Measure which syscall names a libseccomp build resolves, per architecture, and write a module.

Usage:
    python tools/gen_libseccomp_names.py LIBSECCOMP_SO [-o OUT] [--loader PREFIX] [--python EXE]

Examples (the two shipped modules):
    python tools/gen_libseccomp_names.py /lib/x86_64-linux-gnu/libseccomp.so.2
    python tools/gen_libseccomp_names.py /tmp/x/usr/lib/x86_64-linux-gnu/libseccomp.so.2.6.0

The library is loaded with ctypes in a child process (one per library, so two versions never
share a process). ``--loader`` is a command prefix for that child (for instance
``chroot /var/cache/seccomp-kit/trixie`` or ``/path/ld-linux-x86-64.so.2 --library-path DIR``)
for a build that needs a newer C library than the host's; the child then runs ``--python``
(default ``python3`` with a loader, else this interpreter). The child gets its work on stdin,
so nothing of this script has to exist inside a chroot.

For every architecture name libseccomp has ever had, the child asks
``seccomp_arch_resolve_name``; for each one the library accepts it asks
``seccomp_syscall_resolve_name_arch(token, name)`` for every name of our own table
(``seccomp_kit/syscalls/_generated.py``, read as data, not imported). The answers are stored as a
sparse difference against our table, see the header of the generated module.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Our syscall table module.
TABLES = (ROOT / "seccomp_kit" / "syscalls" / "_generated.py",)
OUT_DIR = ROOT / "seccomp_kit" / "libseccomp"

# Every architecture name libseccomp's seccomp_arch_resolve_name has accepted up to 2.6.
ARCH_NAMES = (
    "x86",
    "x86_64",
    "x32",
    "arm",
    "aarch64",
    "loongarch64",
    "m68k",
    "mips",
    "mips64",
    "mips64n32",
    "mipsel",
    "mipsel64",
    "mipsel64n32",
    "parisc",
    "parisc64",
    "ppc",
    "ppc64",
    "ppc64le",
    "riscv64",
    "s390",
    "s390x",
    "sh",
    "sheb",
)

# Which of our tables each libseccomp architecture uses, and what the kernel adds to the raw
# table number (x32's __X32_SYSCALL_BIT, the MIPS ABIs' 4000/5000/6000).
TABLE_OF = {
    "mipsel": "mips",
    "mipsel64": "mips64",
    "mipsel64n32": "mips64n32",
    "ppc64le": "ppc64",
    "sheb": "sh",
}
NR_BASE = {
    "x32": 0x4000_0000,
    "mips": 4000,
    "mipsel": 4000,
    "mips64": 5000,
    "mipsel64": 5000,
    "mips64n32": 6000,
    "mipsel64n32": 6000,
}

# Runs in the child: reads {"lib", "arches", "names"} on stdin, prints the answers as JSON.
CHILD = r"""
import ctypes, json, sys
job = json.load(sys.stdin)
lib = ctypes.CDLL(job["lib"])
class Version(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint), ("minor", ctypes.c_uint), ("micro", ctypes.c_uint)]
lib.seccomp_version.restype = ctypes.POINTER(Version)
v = lib.seccomp_version().contents
lib.seccomp_arch_resolve_name.restype = ctypes.c_uint32
lib.seccomp_arch_resolve_name.argtypes = [ctypes.c_char_p]
lib.seccomp_arch_native.restype = ctypes.c_uint32
lib.seccomp_syscall_resolve_name_arch.restype = ctypes.c_int
lib.seccomp_syscall_resolve_name_arch.argtypes = [ctypes.c_uint32, ctypes.c_char_p]
lib.seccomp_syscall_resolve_name.restype = ctypes.c_int
lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
out = {"version": [v.major, v.minor, v.micro], "native": lib.seccomp_arch_native(),
       "tokens": {}, "numbers": {},
       "bogus": lib.seccomp_syscall_resolve_name(b"no_such_syscall_xyz")}
for arch in job["arches"]:
    token = lib.seccomp_arch_resolve_name(arch.encode())
    if not token:
        continue
    out["tokens"][arch] = token
    out["numbers"][arch] = {
        name: lib.seccomp_syscall_resolve_name_arch(token, name.encode())
        for name in job["names"]
    }
json.dump(out, sys.stdout)
"""


def read_table(path: Path) -> tuple[str, dict[str, dict[str, int]]]:
    """Our table, executed as plain data (the package is not imported)."""
    namespace: dict[str, Any] = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return str(namespace["TABLE_VERSION"]), namespace["NUMBERS"]


def measure(lib: str, loader: list[str], python: str, names: list[str]) -> dict[str, Any]:
    job = json.dumps({"lib": lib, "arches": list(ARCH_NAMES), "names": names})
    proc = subprocess.run(
        [*loader, python, "-c", CHILD], input=job, capture_output=True, text=True, check=False
    )
    if proc.returncode:
        raise SystemExit(f"measuring {lib} failed ({proc.returncode}):\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def expected(numbers: dict[str, dict[str, int]], arch: str, name: str) -> int | None:
    nr = numbers[TABLE_OF.get(arch, arch)].get(name)
    return None if nr is None else nr + NR_BASE.get(arch, 0)


ERROR = -1  # __NR_SCMP_ERROR


@dataclass
class Encoded:
    """The measurement as a sparse difference against our table (see the module header)."""

    unknown: list[str]
    pseudo: dict[str, int]
    multiplexed: dict[str, list[str]]
    different: dict[str, dict[str, int]]
    resolved: dict[str, int]


def encode(measured: dict[str, Any], numbers: dict[str, dict[str, int]]) -> Encoded:
    answers: dict[str, dict[str, int]] = measured["numbers"]
    names = sorted(next(iter(answers.values())))
    unknown = [n for n in names if all(answers[a][n] == ERROR for a in answers)]
    pseudo: dict[str, int] = {}
    for arch, table in answers.items():
        for name, nr in table.items():
            if nr < ERROR and pseudo.setdefault(name, nr) != nr:
                raise SystemExit(f"{name}: two pseudo numbers ({pseudo[name]}, {nr}), on {arch}")
    enc = Encoded(unknown, dict(sorted(pseudo.items())), {}, {}, {})
    for arch, table in answers.items():
        enc.multiplexed[arch] = []
        enc.different[arch] = {}
        enc.resolved[arch] = sum(1 for nr in table.values() if nr >= 0)
        for name in names:
            got = table[name]
            want = expected(numbers, arch, name)
            if want is not None and -10000 < got < ERROR and got == pseudo[name]:
                enc.multiplexed[arch].append(name)
            elif got != decode(enc, numbers, arch, name):
                enc.different[arch][name] = got
    for arch, table in answers.items():
        for name, nr in table.items():
            if decode(enc, numbers, arch, name) != nr:
                raise AssertionError(f"encoding does not reproduce {arch} {name} = {nr}")
    return enc


def decode(enc: Encoded, numbers: dict[str, dict[str, int]], arch: str, name: str) -> int:
    """The same rules as the generated module's ``resolve``."""
    other = enc.different.get(arch, {})
    if name in other:
        return other[name]
    if name in enc.unknown:
        return ERROR
    if name in enc.multiplexed.get(arch, ()):
        return enc.pseudo[name]
    nr = expected(numbers, arch, name)
    return nr if nr is not None else enc.pseudo.get(name, ERROR)


def _words(names: list[str], indent: int, width: int = 100) -> list[str]:
    """``names`` as one space-separated string literal, split over lines (implicit concat)."""
    lines: list[str] = []
    line = ""
    for name in names:
        piece = f" {name}" if line else name
        if indent + 2 + len(line) + len(piece) > width:
            lines.append(line)
            line = f" {name}"
        else:
            line += piece
    lines.append(line)
    pad = " " * indent
    return [f'{pad}"{text}"' for text in lines]


def _word_set(key: str, names: list[str], indent: int) -> list[str]:
    pad = " " * indent
    head = f"{pad}{key}_words(" if key else f"{pad}_words("
    one = f'{head}"{" ".join(names)}"),'
    if len(one) <= 100:
        return [one]
    return [head, *_words(names, indent + 4), f"{pad}),"]


def render(
    measured: dict[str, Any],
    source: str,
    table: tuple[str, str, str],
    numbers: dict[str, dict[str, int]],
) -> str:
    major, minor, micro = measured["version"]
    version = f"{major}.{minor}.{micro}"
    table_name, table_version, table_sha = table
    tokens: dict[str, int] = measured["tokens"]
    enc = encode(measured, numbers)
    head = f"# Generated by tools/gen_libseccomp_names.py from libseccomp {version}"
    lines = [
        head,
        f"# ({source}). Do not edit.",
        f'"""What libseccomp {version} resolves syscall names to, per architecture.',
        "",
        "Measured by calling the library's ``seccomp_syscall_resolve_name_arch(token, name)`` for",
        f"every name of our table ``{table_name}`` on every architecture whose name",
        "``seccomp_arch_resolve_name`` accepts. Stored as a sparse difference against that table",
        "(``TABLE_VERSION``, ``TABLE_SHA256``); ``resolve`` decodes it:",
        "",
        "- ``ARCHES``: every architecture name this version accepts, with its token;",
        "- ``TABLE`` / ``NR_BASE``: which of our tables an architecture uses and what is added to",
        "  its raw number (x32's syscall bit, the MIPS ABI bases); a missing key means the",
        "  architecture's own table and 0;",
        "- ``UNKNOWN``: names this version does not know at all: ``SCMP_ERROR``",
        "  (``__NR_SCMP_ERROR``) on every architecture;",
        "- ``PSEUDO``: the version's negative pseudo number for a name (``__PNR_*``): the answer",
        "  on an architecture where our table has no number for it; -101... are the socketcall(2)",
        "  calls, -201... the ipc(2) ones, -10000... the rest;",
        "- ``MULTIPLEXED[arch]``: names answered with their pseudo number although our table has",
        "  a direct number there (libseccomp then places the rule on socketcall/ipc, and on the",
        "  direct number where the architecture has one);",
        "- ``DIFFERENT[arch]``: any other answer the rules above do not give;",
        "- otherwise: our number plus the base, or ``SCMP_ERROR`` for a name not in our table.",
        "",
        "``RESOLVED[arch]`` counts the names of our table that resolve to a number >= 0 there.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from collections.abc import Mapping",
        "",
        f"LIBSECCOMP_VERSION = ({major}, {minor}, {micro})",
        f'TABLE_VERSION = "{table_version}"',
        f'TABLE_SHA256 = "{table_sha}"',
        f"SCMP_ERROR = {ERROR}",
        "",
        "",
        "def _words(text: str) -> frozenset[str]:",
        "    return frozenset(text.split())",
        "",
        "",
        "ARCHES: dict[str, int] = {",
        *[f'    "{a}": 0x{t:08X},' for a, t in tokens.items()],
        "}",
        "TABLE: dict[str, str] = {",
        *[f'    "{a}": "{t}",' for a, t in TABLE_OF.items() if a in tokens],
        "}",
        "NR_BASE: dict[str, int] = {",
        *[f'    "{a}": {b},' for a, b in NR_BASE.items() if a in tokens],
        "}",
        "RESOLVED: dict[str, int] = {",
        *[f'    "{a}": {n},' for a, n in enc.resolved.items()],
        "}",
    ]
    unknown = _word_set("", enc.unknown, 0)
    unknown[0] = "UNKNOWN = " + unknown[0]
    unknown[-1] = unknown[-1].rstrip(",")
    lines += unknown
    lines.append("PSEUDO: dict[str, int] = {")
    lines += [f'    "{n}": {v},' for n, v in enc.pseudo.items()]
    lines.append("}")
    lines.append("MULTIPLEXED: dict[str, frozenset[str]] = {")
    for arch, names in enc.multiplexed.items():
        if names:
            lines += _word_set(f'"{arch}": ', names, 4)
    lines.append("}")
    lines.append("DIFFERENT: dict[str, dict[str, int]] = {")
    for arch, other in enc.different.items():
        if other:
            lines.append(f'    "{arch}": {{')
            lines += [f'        "{n}": {v},' for n, v in other.items()]
            lines.append("    },")
    lines.append("}")
    lines += [
        "",
        "",
        "def resolve(numbers: Mapping[str, Mapping[str, int]], arch: str, name: str) -> int:",
        f'    """libseccomp {version}\'s answer for ``name`` on ``arch``; ``numbers``: our table.',
        "",
        "    Raises KeyError for an architecture name this version does not accept.",
        '    """',
        "    if arch not in ARCHES:",
        "        raise KeyError(arch)",
        "    other = DIFFERENT.get(arch, {})",
        "    if name in other:",
        "        return other[name]",
        "    if name in UNKNOWN:",
        "        return SCMP_ERROR",
        "    if name in MULTIPLEXED.get(arch, ()):",
        "        return PSEUDO[name]",
        "    nr = numbers[TABLE.get(arch, arch)].get(name)",
        "    if nr is not None:",
        "        return nr + NR_BASE.get(arch, 0)",
        "    return PSEUDO.get(name, SCMP_ERROR)",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lib", help="path of the libseccomp shared object to measure")
    parser.add_argument("-o", "--out", type=Path, help="default: seccomp_kit/libseccomp/")
    parser.add_argument("--build", default="", help="where the library came from (header)")
    parser.add_argument("--loader", default="", help="command prefix for the measuring child")
    parser.add_argument("--python", help="interpreter for the child (default: see above)")
    parser.add_argument("--table", type=Path, help="our syscall table module (default: found)")
    parser.add_argument("--json", type=Path, help="also write the raw measurement here")
    args = parser.parse_args(argv)

    if args.table is None:
        args.table = next((t for t in TABLES if t.exists()), TABLES[0])
    table_version, numbers = read_table(args.table)
    names = sorted(set().union(*numbers.values()))
    loader = shlex.split(args.loader)
    python = args.python or ("python3" if loader else sys.executable)
    measured = measure(args.lib, loader, python, names)
    if measured["bogus"] != -1:
        raise SystemExit(f"unexpected answer {measured['bogus']} for an unknown name")
    lib_sha = hashlib.sha256(Path(args.lib).read_bytes()).hexdigest()
    table_sha = hashlib.sha256(args.table.read_bytes()).hexdigest()
    source = ", ".join(filter(None, [args.build, f"{Path(args.lib).name} sha256 {lib_sha[:16]}"]))
    table_path = args.table.resolve()
    table_name = str(
        table_path.relative_to(ROOT) if table_path.is_relative_to(ROOT) else table_path
    )
    text = render(measured, source, (table_name, table_version, table_sha), numbers)
    out = args.out or OUT_DIR / "_names_{}_{}_{}.py".format(*measured["version"])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    if args.json:
        args.json.write_text(json.dumps(measured, indent=1, sort_keys=True))
    version = ".".join(map(str, measured["version"]))
    print(f"libseccomp {version}: {len(measured['tokens'])} architectures -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
