"""libseccomp's own simulator decision tables, for the libseccomp versions we target.

``tests/data/libseccomp-sim/v2.5.4/`` (39 tables) and ``v2.6.0/`` (42) hold every
``tests/*-sim-*.tests`` table of that libseccomp tag, translated (see the README there). Each row
of a table is checked on every architecture libseccomp's harness simulates it on, for every value
of its ranges (a range of more than ``RANGE_CAP`` values: both ends), three ways:

- ``bpf``: ``compile_profile(..., runtime="crun", libseccomp=VERSION)``, run by our emulator
  (``CompiledFilter.program()``, decoded once per filter, then ``Program.emulate``): libseccomp
  VERSION's own code for our translation of the test;
- ``code``: ``Matcher(..., runtime="crun", libseccomp=VERSION)`` as shipped;
- ``tree``: the same matcher on its rule tree alone (``_exact = None``).

The profile is compiled for the row's architecture alone, as the host's (crun: no runc ENOSYS
stub, so unnamed numbers get the default action, as libseccomp's tables expect). A row on an
architecture the table's profile does not list (28's ``+arm,+x32``) is asked of the profile as
written, built on its first architecture: the answer is libseccomp's bad-architecture action.

Rows are read as libseccomp's ``tests/regression`` reads them: ``all`` is the host's (native)
architecture; ``all_le``, ``all_be``, ``all_32``, ``all_64`` the host's when it is of that
kind; a bare name (``x86``) that architecture when it is the host; ``+name`` and ``+all_le``...
add architectures whatever the host; ``-name`` removes one. The suite runs on every host
libseccomp supports, so every architecture of that version (``ARCHES``, the harness's
little- and big-endian lists) is taken as the host in turn. A named syscall is resolved as the
harness does (``scmp_sys_resolver -a ARCH -t NAME``), with that version's
``seccomp_syscall_resolve_name_rewrite``: a socket or IPC name on a socketcall/ipc architecture
is the multiplexer (so 16's ``+x86 socket 1`` is ``socketcall(SYS_SOCKET)``), a name without a
number there is libseccomp's pseudo number, which no rule matches. ``SSIZE_MAX`` in 04 and 05 is
``2**31-1`` on a 32-bit host (the JSON holds the 64-bit value).

``KNOWN`` lists the rows where one check disagrees with libseccomp (``test_known_disagreement``,
strict xfail); ``HOST_EXCEPTIONS`` the rows libseccomp's own filter does not meet on one host.

Tables that cannot be written as an OCI profile (``expressible: false``), and why:

- 09-sim-syscall_priority_pre, 10-sim-syscall_priority_post: ``seccomp_syscall_priority()``
  has no profile field (it only orders the generated code); checked on ``equivalent_profile``;
- 14-sim-reset: ``seccomp_reset()`` between rule adds; checked on ``equivalent_profile`` (the
  filter left after the reset);
- 17-sim-arch_merge: ``seccomp_merge()`` of filters with different architectures gives each
  architecture its own rules, while a profile applies every rule to every listed architecture;
- 29-sim-pseudo_syscall: rules on raw negative (pseudo) syscall numbers, which a profile
  cannot name;
- 35-sim-negative_one: ``SCMP_FLTATR_API_TSKIP``, ``seccomp_syscall_priority()`` and a rule on
  syscall -1;
- 41-sim-syscall_priority_arch: ``seccomp_syscall_priority()`` and
  ``seccomp_rule_add_exact()`` on x86 socket (runtimes' ``seccomp_rule_add`` also adds
  ``socketcall(SYS_SOCKET)``);
- 61-sim-transactions, 62-sim-arch_transactions (2.6.0 only): filter transactions; checked on
  ``equivalent_profile`` (the filter the committed rules leave).
"""

from __future__ import annotations

import ctypes
import itertools
import json
from functools import cache
from typing import Any

import pytest

import seccomp_kit.io
from seccomp_kit import Arch, CompiledFilter, Matcher, Profile, compile_profile
from seccomp_kit.bpf import Program
from seccomp_kit.libseccomp import _ffi
from tests.conftest import DATA_DIR
from tests.match.test_libseccomp_sim import expected, load, values

DATA = DATA_DIR / "libseccomp-sim"
VERSIONS = ("2.5.4", "2.6.0")

# Every -sim- decision table of the tag (git ls-tree TAG:tests).
TABLES_2_5_4 = (
    "01-sim-allow",
    "02-sim-basic",
    "03-sim-basic_chains",
    "04-sim-multilevel_chains",
    "05-sim-long_jumps",
    "06-sim-actions",
    "07-sim-db_bug_looping",
    "08-sim-subtree_checks",
    "09-sim-syscall_priority_pre",
    "10-sim-syscall_priority_post",
    "12-sim-basic_masked_ops",
    "14-sim-reset",
    "16-sim-arch_basic",
    "17-sim-arch_merge",
    "18-sim-basic_allowlist",
    "19-sim-missing_syscalls",
    "22-sim-basic_chains_array",
    "23-sim-arch_all_le_basic",
    "25-sim-multilevel_chains_adv",
    "26-sim-arch_all_be_basic",
    "27-sim-bpf_blk_state",
    "28-sim-arch_x86",
    "29-sim-pseudo_syscall",
    "30-sim-socket_syscalls",
    "33-sim-socket_syscalls_be",
    "34-sim-basic_denylist",
    "35-sim-negative_one",
    "36-sim-ipc_syscalls",
    "37-sim-ipc_syscalls_be",
    "40-sim-log",
    "41-sim-syscall_priority_arch",
    "42-sim-adv_chains",
    "43-sim-a2_order",
    "45-sim-chain_code_coverage",
    "46-sim-kill_process",
    "48-sim-32b_args",
    "49-sim-64b_comparisons",
    "50-sim-hash_collision",
    "53-sim-binary_tree",
)
TABLES = {
    "2.5.4": TABLES_2_5_4,
    "2.6.0": (
        *TABLES_2_5_4,
        "60-sim-precompute",
        "61-sim-transactions",
        "62-sim-arch_transactions",
    ),
}
INEXPRESSIBLE = {
    "2.5.4": {
        "09-sim-syscall_priority_pre",
        "10-sim-syscall_priority_post",
        "14-sim-reset",
        "17-sim-arch_merge",
        "29-sim-pseudo_syscall",
        "35-sim-negative_one",
        "41-sim-syscall_priority_arch",
    },
}
INEXPRESSIBLE["2.6.0"] = INEXPRESSIBLE["2.5.4"] | {
    "61-sim-transactions",
    "62-sim-arch_transactions",
}
# Inexpressible tables whose rows hold for their equivalent_profile (README).
EQUIVALENT = {
    "09-sim-syscall_priority_pre",
    "10-sim-syscall_priority_post",
    "14-sim-reset",
    "61-sim-transactions",
    "62-sim-arch_transactions",
}

# libseccomp's tests/regression architecture groups at each tag.
_LE_2_5_4 = "x86 x86_64 x32 arm aarch64 mipsel mipsel64 mipsel64n32 ppc64le riscv64"
_BE_2_5_4 = "mips mips64 mips64n32 parisc parisc64 ppc ppc64 s390 s390x"
_32_2_5_4 = "x86 x32 arm mips mipsel mips64n32 mipsel64n32 parisc ppc s390"
_64_2_5_4 = "x86_64 aarch64 mips64 parisc64 ppc64 riscv64 s390x"
GROUPS: dict[str, dict[str, frozenset[str]]] = {
    "2.5.4": {
        "all_le": frozenset(_LE_2_5_4.split()),
        "all_be": frozenset(_BE_2_5_4.split()),
        "all_32": frozenset(_32_2_5_4.split()),
        "all_64": frozenset(_64_2_5_4.split()),
    },
    "2.6.0": {
        "all_le": frozenset(f"{_LE_2_5_4} loongarch64 sh".split()),
        "all_be": frozenset(f"m68k {_BE_2_5_4} sheb".split()),
        "all_32": frozenset(f"{_32_2_5_4} m68k sheb sh".split()),
        "all_64": frozenset(f"{_64_2_5_4} loongarch64".split()),
    },
}
ARCHES = {v: g["all_le"] | g["all_be"] for v, g in GROUPS.items()}
"""Every architecture of that libseccomp version: each is a host the tables must hold on."""
SSIZE_MAX_TABLES = {"04-sim-multilevel_chains", "05-sim-long_jumps"}
RANGE_CAP = 512
"""Ranges with more values are checked at both ends (RANGE_CAP // 2 values each)."""

CROSS_ENDIAN_RET = (
    "compile_profile: on this little-endian machine libseccomp builds a big-endian filter whose"
    " duplicated far RET (long-jump fix-up, _gen_bpf_build_jmp_ret) has its action byte-swapped"
    " twice: ALLOW 0x7fff0000 becomes 0x0000ff7f (KILL_THREAD). On a big-endian host the swap is"
    " a no-op, so the runtime's filter allows; the matcher says so, the compiled program does not"
)
_KNOWN_GROUPS: tuple[tuple[tuple[str, ...], str, tuple[str, ...], tuple[int, ...], str], ...] = (
    # every big-endian architecture: brk and close, reached through a duplicated far RET
    (("2.5.4",), "05-sim-long_jumps", tuple(sorted(GROUPS["2.5.4"]["all_be"])), (0, 8), "bpf"),
    (("2.6.0",), "05-sim-long_jumps", tuple(sorted(GROUPS["2.6.0"]["all_be"])), (0, 8), "bpf"),
)
KNOWN: dict[tuple[str, str, str], tuple[tuple[int, ...], str, str]] = {
    (version, stem, arch): (rows, check, CROSS_ENDIAN_RET)
    for versions, stem, arches, rows, check in _KNOWN_GROUPS
    for version in versions
    for arch in arches
}
"""Where the library disagrees with libseccomp: (version, table, architecture) -> (rows, the
check that is wrong, why)."""

# Rows libseccomp's own filter does not satisfy on one host: (version, table, row, host) ->
# (the answer libseccomp's filter gives, why). Not a library error: all three checks give it.
HOST_EXCEPTIONS: dict[tuple[str, str, int, str], tuple[str, str]] = {
    ("2.6.0", "60-sim-precompute", 0, "x32"): (
        "KILL",
        "the row 'all 0-10' lacks the '-x32' every other raw-number 'all' row of the suite has:"
        " on an x32 host, x86_64 numbers 0-10 meet libseccomp's bad-architecture action"
        " (libseccomp fixed the table after 2.6.0: commit 9b9ea8e, issue #472, 'all,-x32')",
    ),
}


class Disagreement(Exception):
    """A known disagreement between the library and libseccomp showed up (xfail raises=)."""


def arch_of(name: str) -> Arch:
    return Arch("SCMP_ARCH_" + name.upper())


def expected_ret(result: str) -> int:
    if result.startswith("TRACE("):
        return 0x7FF0_0000 | int(result[6:-1])
    return expected(result)


def expand(spec: str, version: str, host: str) -> set[str]:
    """The architectures the harness simulates a row on, on a host of architecture ``host``."""
    groups = GROUPS[version]
    out: set[str] = set()
    avoid: set[str] = set()
    for token in spec.split(","):
        if token == "all":
            out.add(host)
        elif token in groups:
            out |= {host} & groups[token]
        elif token.startswith("+"):
            out |= groups.get(token[1:], {token[1:]})
        elif token.startswith("-"):
            avoid.add(token[1:])
        elif token == host:
            out.add(token)
    return out - avoid


@cache
def row_arches(spec: str, version: str) -> tuple[str, ...]:
    """Every architecture a row is simulated on, over every host of ``version``."""
    found: set[str] = set()
    for host in ARCHES[version]:
        found |= expand(spec, version, host)
    unknown = found - ARCHES[version]
    assert not unknown, f"{spec}: libseccomp {version} has no {sorted(unknown)}"
    return tuple(sorted(found))


def capped(field: str) -> list[int]:
    found = values(field)
    if len(found) > RANGE_CAP:
        half = RANGE_CAP // 2
        return found[:half] + found[-half:]
    return found


@cache
def table(version: str, stem: str) -> dict[str, Any]:
    return load(DATA / f"v{version}" / f"{stem}.json")


def profile_key(version: str, stem: str) -> str | None:
    """Which profile the rows hold for: ``profile``, ``equivalent_profile`` or none."""
    if table(version, stem)["expressible"]:
        return "profile"
    return "equivalent_profile" if stem in EQUIVALENT else None


@cache
def _resolver(version: str) -> ctypes.CDLL:
    parts = tuple(int(p) for p in version.split("."))
    cdll = ctypes.CDLL(_ffi.for_version((parts[0], parts[1], parts[2])).path)
    cdll.seccomp_arch_resolve_name.argtypes = [ctypes.c_char_p]
    cdll.seccomp_arch_resolve_name.restype = ctypes.c_uint32
    cdll.seccomp_syscall_resolve_name_rewrite.argtypes = [ctypes.c_uint32, ctypes.c_char_p]
    cdll.seccomp_syscall_resolve_name_rewrite.restype = ctypes.c_int
    return cdll


@cache
def resolve(version: str, arch: str, name: str) -> int:
    """``scmp_sys_resolver -a ARCH -t NAME`` with libseccomp ``version``."""
    lib = _resolver(version)
    token = lib.seccomp_arch_resolve_name(arch.encode())
    assert token != 0, f"libseccomp {version} does not know {arch}"
    nr = int(lib.seccomp_syscall_resolve_name_rewrite(token, name.encode()))
    assert nr != -1, f"libseccomp {version} cannot resolve {name} on {arch}"
    return nr


@cache
def _profile(version: str, stem: str, arch: str) -> tuple[Profile, Arch]:
    """The profile a row on ``arch`` is checked with, and the host it is built for."""
    key = profile_key(version, stem)
    assert key is not None
    raw: dict[str, Any] = table(version, stem)[key]
    listed = raw.get("architectures")
    if listed is not None and arch_of(arch).value not in listed:
        return seccomp_kit.io.from_data(raw), Arch(listed[0])
    raw = {**raw, "architectures": [arch_of(arch).value]}
    if stem in SSIZE_MAX_TABLES and arch in GROUPS[version]["all_32"]:
        text = json.dumps(raw).replace(str(2**63 - 1), str(2**31 - 1))
        raw = json.loads(text)
    return seccomp_kit.io.from_data(raw), arch_of(arch)


@cache
def compiled(version: str, stem: str, arch: str) -> CompiledFilter:
    profile, host = _profile(version, stem, arch)
    return compile_profile(profile, arch=host, runtime="crun", libseccomp=version)


@cache
def matcher(version: str, stem: str, arch: str, engine: str) -> Matcher:
    profile, host = _profile(version, stem, arch)
    m = Matcher(profile, arch=host, runtime="crun", libseccomp=version)
    if engine == "tree":
        m._exact = None
    return m


@cache
def rows_on(version: str, stem: str, arch: str) -> tuple[int, ...]:
    """The rows of a table that the harness simulates on ``arch``."""
    cases = table(version, stem)["cases"]
    return tuple(i for i, row in enumerate(cases) if arch in row_arches(row[0], version))


@cache
def _program(version: str, stem: str, arch: str) -> Program:
    return compiled(version, stem, arch).program()


def check_row(version: str, stem: str, index: int, arch: str) -> tuple[int, list[tuple[str, str]]]:
    """Row ``index`` on ``arch`` for every value of its ranges: libseccomp's BPF (our emulator)
    and the matcher (shipped and tree-only). Returns the checks made and the wrong answers, as
    (check, text)."""
    spec, call, *fields = table(version, stem)["cases"][index]
    *arg_fields, result = fields
    assert len(arg_fields) == 6
    result = HOST_EXCEPTIONS.get((version, stem, index, arch), (result, ""))[0]
    want = expected_ret(result)
    a = arch_of(arch)
    numeric = call.lstrip("-")[:1].isdigit()
    numbers = capped(call) if numeric else [resolve(version, arch, call)]
    program = _program(version, stem, arch)
    engines = {e: matcher(version, stem, arch, e) for e in ("code", "tree")}
    wrong: list[tuple[str, str]] = []
    checked = 0
    for nr in numbers:
        nr32 = nr & 0xFFFF_FFFF
        for args in itertools.product(*(capped(x) for x in arg_fields)):
            got = {"bpf": program.emulate(arch=a, nr=nr32, args=args)}
            for name, m in engines.items():
                got[name] = m.match(nr32, args, arch=a).ret
            checked += 1
            wrong += [
                (name, f"{name}: nr={nr} args={args} -> {ret:#x}")
                for name, ret in got.items()
                if ret != want
            ]
    assert checked
    head = f"row {index} ({spec} {call} {' '.join(fields)}) on {arch}: want {want:#x}"
    return checked, [(name, f"{head}; {text}") for name, text in wrong]


@cache
def arches_of(version: str, stem: str) -> tuple[str, ...]:
    """Every architecture some row of the table is simulated on."""
    found: set[str] = set()
    for row in table(version, stem)["cases"]:
        found.update(row_arches(row[0], version))
    return tuple(sorted(found))


CHECKED = [
    pytest.param(version, stem, id=f"{version}-{stem}")
    for version in VERSIONS
    for stem in TABLES[version]
    if profile_key(version, stem) is not None
]
KNOWN_CASES = [
    pytest.param(
        *key,
        rows,
        id=f"{'-'.join(key)}-rows{'_'.join(map(str, rows))}",
        marks=pytest.mark.xfail(strict=True, raises=Disagreement, reason=f"{check}: {reason}"),
    )
    for key, (rows, check, reason) in KNOWN.items()
]


@pytest.mark.parametrize(("version", "stem"), CHECKED)
def test_table(version: str, stem: str) -> None:
    """Every row of the table on every architecture it names (the rows in ``KNOWN`` apart, see
    ``test_known_disagreement``)."""
    wrong: list[str] = []
    for arch in arches_of(version, stem):
        known = KNOWN.get((version, stem, arch), ((), "", ""))[0]
        for index in rows_on(version, stem, arch):
            if index not in known:
                wrong += [text for _, text in check_row(version, stem, index, arch)[1]]
    assert not wrong, f"libseccomp {version} {stem}: {len(wrong)} wrong\n" + "\n".join(wrong[:20])


@pytest.mark.parametrize(("version", "stem", "arch", "rows"), KNOWN_CASES)
def test_known_disagreement(version: str, stem: str, arch: str, rows: tuple[int, ...]) -> None:
    """Rows where one check disagrees with libseccomp (``KNOWN``): the other checks must still
    agree, and exactly these rows disagree (a plain failure otherwise: remove what got fixed);
    the disagreement raises :class:`Disagreement` (strict xfail: all fixed is an XPASS, which
    fails)."""
    check = KNOWN[version, stem, arch][1]
    disagree: list[int] = []
    texts: list[str] = []
    for index in rows:
        assert index in rows_on(version, stem, arch)
        wrong = check_row(version, stem, index, arch)[1]
        others = [text for name, text in wrong if name != check]
        assert not others, f"libseccomp {version} {stem}: " + "\n".join(others[:20])
        if wrong:
            disagree.append(index)
            texts += [text for _, text in wrong]
    if disagree:
        assert disagree == list(rows), f"rows {sorted(set(rows) - set(disagree))} now agree"
        raise Disagreement(f"libseccomp {version} {stem}: " + "\n".join(texts[:20]))


def test_exceptions_name_real_rows() -> None:
    for (version, stem, arch), (rows, check, _) in KNOWN.items():
        assert check in {"bpf", "code", "tree"}
        assert set(rows) <= set(rows_on(version, stem, arch)), (version, stem, arch)
    for version, stem, index, arch in HOST_EXCEPTIONS:
        assert index in rows_on(version, stem, arch)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_row_is_checked(version: str) -> None:
    """Each row of a checked table is simulated on some architecture we build."""
    for param in CHECKED:
        if param.values[0] == version:
            stem = str(param.values[1])
            for row in table(version, stem)["cases"]:
                assert row_arches(row[0], version), (stem, row)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_table_of_the_tag_is_translated(version: str) -> None:
    stems = sorted(p.stem for p in (DATA / f"v{version}").glob("*.json"))
    assert stems == list(TABLES[version])
    assert len(stems) == {"2.5.4": 39, "2.6.0": 42}[version]
    for stem in stems:
        data = table(version, stem)
        assert data["libseccomp"] == f"v{version}"
        assert data["cases"], stem


@pytest.mark.parametrize("version", VERSIONS)
def test_inexpressible_tables_say_why(version: str) -> None:
    for stem in TABLES[version]:
        data = table(version, stem)
        if stem in INEXPRESSIBLE[version]:
            assert data["expressible"] is False, stem
            assert data["profile"] is None, stem
            assert isinstance(data.get("reason"), str), stem
            assert data["reason"].strip(), stem
            assert (data.get("equivalent_profile") is not None) == (stem in EQUIVALENT), stem
            assert stem in (__doc__ or ""), stem
        else:
            assert data["expressible"] is True, stem
            assert data["profile"] is not None, stem
            assert not data.get("reason"), stem
