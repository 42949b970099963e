"""libseccomp's own simulator decision tables, replayed through the matcher.

``tests/data/libseccomp-sim/*.json`` hold, per libseccomp test, our translation of its filter
into an OCI profile (libseccomp's fake syscall numbers 1000... mapped to real syscalls) and its
``bpf-sim`` lines: architecture set, syscall, six arguments (``N`` = unused = 0, ``a-b`` =
every value in the range) and the expected action. Every line is checked on each of our test
architectures it names (x86_64, x86, aarch64, s390x), with the profile compiled for that
architecture alone, as crun would (no runc ENOSYS stub: libseccomp's tables expect the default
action for unnamed numbers).

Translated: 03 basic_chains, 04 multilevel_chains, 08 subtree_checks, 12 basic_masked_ops,
43 a2_order, 48 32b_args, 49 64b_comparisons. Not translated, and why:

- 01, 02, 18, 34 (allow/deny lists of plain syscalls), 05 long_jumps, 22 chains_array,
  25 multilevel_chains_adv, 42 adv_chains, 45 chain_code_coverage, 27 bpf_blk_state,
  50 hash_collision, 53 binary_tree: generated with loops over raw syscall numbers or hundreds of
  fake syscalls; the behaviour they pin (chains, long jumps, blocks) is covered by the property
  tests of ``test_match.py`` against libseccomp itself;
- 06 actions, 40 log, 46 kill_process: TRAP/ERRNO/TRACE with data and per-syscall actions are
  covered the same way; 06 needs TRAP data, which no OCI profile can express;
- 07 db_bug_looping, 14 reset, 09/10/41 syscall_priority: libseccomp API calls (rule re-adds
  after reset, seccomp_syscall_priority) that have no OCI profile equivalent;
- 16/17/23/26/28 arch tests, 19 missing_syscalls, 29 pseudo_syscall, 30/33 socket, 36/37 ipc,
  35 negative_one: raw and pseudo syscall numbers (-1, -10xxx), per-architecture rule adds and
  big-endian multiplexing that a profile, which names syscalls, cannot express; the x86
  socketcall rewrite is tested in ``test_match.py``;
- ``-basic-`` and ``-live-`` tests are not decision tables.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

import seccomp_kit.io
import seccomp_kit.syscalls
from seccomp_kit.match import Matcher
from seccomp_kit.model import Arch
from tests.conftest import DATA_DIR

DATA = DATA_DIR / "libseccomp-sim"
OURS = {"x86_64": Arch.X86_64, "x86": Arch.X86, "aarch64": Arch.AARCH64, "s390x": Arch.S390X}
SETS = {
    "all": {"x86_64", "x86", "aarch64", "s390x"},
    "all_64": {"x86_64", "aarch64", "s390x"},
    "all_le": {"x86_64", "x86", "aarch64"},
    "all_be": {"s390x"},
}
RESULTS = {
    "ALLOW": 0x7FFF_0000,
    "KILL": 0x0000_0000,
    "KILL_PROCESS": 0x8000_0000,
    "TRAP": 0x0003_0000,
    "LOG": 0x7FFC_0000,
}
# (test, architecture set) lines that need a different profile than the one translated
SKIP = {
    ("04-sim-multilevel_chains", "x86"): "the filter compares with Python's sys.maxsize, which is"
    " 2**31-1 where the test runs on x86: another profile"
}


def arches(spec: str) -> set[str]:
    out: set[str] = set()
    for token in spec.split(","):
        if token in SETS:
            out |= SETS[token]
        elif token.startswith("-"):
            out.discard(token[1:])
        elif token.lstrip("+") in OURS:
            out.add(token.lstrip("+"))
    return out


def values(field: str) -> list[int]:
    if field == "N":
        return [0]
    if "-" in field[1:]:
        lo, hi = field.split("-")
        return list(range(int(lo, 0), int(hi, 0) + 1))
    return [int(field, 0)]


def expected(result: str) -> int:
    if result.startswith("ERRNO("):
        return 0x0005_0000 | int(result[6:-1])
    return RESULTS[result]


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


FILES = sorted(DATA.glob("*.json"))


def test_all_translated_tables_are_present() -> None:
    assert [f.stem for f in FILES] == [
        "03-sim-basic_chains",
        "04-sim-multilevel_chains",
        "08-sim-subtree_checks",
        "12-sim-basic_masked_ops",
        "43-sim-a2_order",
        "48-sim-32b_args",
        "49-sim-64b_comparisons",
    ]


@pytest.mark.parametrize("engine", ["code", "tree"])
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_libseccomp_sim_table(path: Path, engine: str) -> None:
    """``code``: the matcher as shipped (libseccomp's generated code decides argument chains);
    ``tree``: its own rebuild of libseccomp's rule tree alone, the answer without libseccomp."""
    data = load(path)
    profile = seccomp_kit.io.from_data(data["profile"])
    matchers = {
        name: Matcher(
            seccomp_kit.io.from_data({**data["profile"], "architectures": [arch.value]}),
            arch=arch,
            runtime="crun",
        )
        for name, arch in OURS.items()
    }
    if engine == "tree":
        for m in matchers.values():
            m._exact = None
    assert profile.syscalls
    checked = 0
    for spec, call, *fields in data["cases"]:
        *arg_fields, result = fields
        assert len(arg_fields) == 6
        if (path.stem, spec) in SKIP:
            continue
        want = expected(result)
        for name in sorted(arches(spec)):
            arch = OURS[name]
            m = matchers[name]
            if call[0].isdigit():
                numbers = values(call)
            else:
                nr = seccomp_kit.syscalls.table(arch).number(call)
                if nr is None:
                    continue  # the syscall does not exist there (open on aarch64)
                numbers = [nr]
            for nr in numbers:
                for args in itertools.product(*(values(f) for f in arg_fields)):
                    got = m.match(nr, args, arch=arch)
                    assert got.ret == want, (
                        f"{path.stem}: {spec} {call} {fields} on {name}: {got.explain()}"
                    )
                    checked += 1
    assert checked > len(data["cases"])
