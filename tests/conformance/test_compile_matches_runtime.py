"""Our compile and matcher against the filters real runc and crun load, per runtime build.

For every build tools/runtimes.sh installs (Debian 12: runc 1.1.5, crun 1.8.1, libseccomp 2.5.4;
Debian 13: runc 1.1.15, crun 1.21, libseccomp 2.6.0) and every case (the corpus, moby's and
containers/common's resolved for this host; every shipped profile; profiles drawn from our own
strategy): the runtime's loaded filter is read back from the container's init, and
``compile_profile`` for that build's target must produce the same program, byte for byte or up to
runc's stub order (seccomp_kit.testing.conformance); where the runtime refuses a profile, we must
refuse it too; the matcher must agree with the loaded program on the profile's boundary events.
``benchmarks/bench_conformance.py`` runs the same with more generated profiles and prints the
matrix.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seccomp_kit.io import load, loads, to_data
from seccomp_kit.io.resources import profile_names, read_profile_text
from seccomp_kit.model import Action, Arch, Profile
from seccomp_kit.testing import strategies
from seccomp_kit.testing.conformance import plain, run_case
from seccomp_kit.testing.runtimes import RuntimeBuild, RuntimeSession, available_builds
from tests.conftest import corpus_dir

pytestmark = [pytest.mark.runtime, pytest.mark.kernel]

HOST = Arch.X86_64
GENERATED = int(os.environ.get("SECCOMP_KIT_CONFORMANCE_EXAMPLES", "200"))


def _builds() -> list[RuntimeBuild]:
    builds = available_builds()
    if len(builds) < 4 and os.environ.get("SECCOMP_KIT_NO_RUNTIMES") != "1":
        pytest.fail("the four runtime builds are missing: run tools/runtimes.sh as root")
    return builds


BUILDS = _builds() if os.geteuid() == 0 else []


@pytest.fixture(scope="module", params=BUILDS, ids=lambda b: b.id)
def session(request: pytest.FixtureRequest) -> Iterator[RuntimeSession]:
    with RuntimeSession(request.param, timeout=15) as s:
        yield s


def check(session: RuntimeSession, profile: Profile) -> str:
    """One case; its outcome ("identical", "equal" up to runc's map order, "refused" by both),
    failing the test otherwise."""
    result = run_case(session, profile, host=HOST)
    text = json.dumps(to_data(plain(profile, HOST)))
    assert result.outcome != "failing", f"{session.build.id}: {result.detail}\n{text}"
    if result.outcome != "refused":
        assert result.events > 0
    return result.outcome


def _corpus() -> list[Profile]:
    return [
        load(path)
        for path in sorted(corpus_dir().glob("profiles/*.json"))
        # one file there is an OCI hooks configuration, not a profile
        if "defaultAction" in path.read_text(encoding="utf-8")
    ]


def test_every_corpus_profile(session: RuntimeSession) -> None:
    outcomes = [check(session, p) for p in _corpus()]
    assert outcomes.count("refused") < len(outcomes)


@pytest.mark.parametrize("name", profile_names())
def test_every_shipped_profile(session: RuntimeSession, name: str) -> None:
    assert check(session, loads(read_profile_text(name))) != "refused"


_LITTLE = [
    Arch.X86_64, Arch.X86, Arch.X32, Arch.AARCH64, Arch.ARM, Arch.RISCV64, Arch.MIPSEL,
    Arch.MIPSEL64, Arch.PPC64LE,
]  # fmt: skip


@settings(
    max_examples=GENERATED,
    database=None,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
def test_generated_profiles(session: RuntimeSession, data: st.DataObject) -> None:
    runtime = session.build.name
    # NOTIFY needs an agent on listenerPath, which the runtime connects to before loading the
    # filter (the agent's own tests cover it).
    actions = [a for a in Action if a is not Action.NOTIFY]
    profile = data.draw(
        strategies.profiles(architectures=_LITTLE, actions=actions, runtime=runtime, max_rules=6)
    )
    if runtime == "runc":  # runc 1.1 refuses any flags (a refusal the other cases cover)
        profile = attrs.evolve(profile, flags=())
    check(session, profile)


def test_dropped_names_and_the_stub(session: RuntimeSession) -> None:
    """The causes the first measurements found, each as one case."""
    cases = [
        # mseal: unknown to libseccomp 2.5.4, so dropped (the default applies) and it no longer
        # sets runc's stub limit.
        '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read", "mseal"],'
        ' "action": "SCMP_ACT_ALLOW"}]}',
        # multiplexed-only calls on x86 (the 2.5 pseudo-syscall section) and a declared
        # architecture that names no syscall (runc keeps its jump-table entry).
        '{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64",'
        ' "SCMP_ARCH_X86"], "syscalls": [{"names": ["accept", "semop"],'
        ' "action": "SCMP_ACT_ALLOW"}]}',
        # flags: refused by runc before 1.2, loaded by crun
        '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOG"],'
        ' "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ERRNO"}]}',
        # switch_endian and sys_debug_setcontext share a pseudo number on x86_64: on ppc64le
        # the rule lands on the name libseccomp finds first (2.6.0: sys_debug_setcontext)
        '{"defaultAction": "SCMP_ACT_KILL", "architectures": ["SCMP_ARCH_PPC64LE"],'
        ' "syscalls": [{"names": ["switch_endian"], "action": "SCMP_ACT_KILL_PROCESS"}]}',
        # big- and little-endian together: libseccomp refuses, so do both runtimes
        '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_S390X"],'
        ' "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ERRNO"}]}',
    ]
    outcomes = [check(session, loads(text)) for text in cases]
    expected_flags = "refused" if session.build.name == "runc" else "identical"
    assert outcomes[2] == expected_flags
    assert outcomes[4] == "refused"


def test_the_matrix_benchmark_runs_every_build(capsys: pytest.CaptureFixture[str]) -> None:
    """benchmarks/bench_conformance.py (the figures in benchmarks/README.md) with one generated
    profile per build: one row per build, nothing failing."""
    import importlib.util

    path = Path(__file__).parents[2] / "benchmarks" / "bench_conformance.py"
    spec = importlib.util.spec_from_file_location("bench_conformance", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--generated", "1"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + len(available_builds())  # the header and one row per build
    for row in rows[1:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[5] == "0" and cells[7] == "0", row  # failing, disagreements


def test_a_repeated_argument_index(session: RuntimeSession) -> None:
    """runc and crun both add each condition of a rule that repeats an index as a rule of its
    own (OR); libseccomp would refuse the repetition within one rule. Byte for byte with crun."""
    text = (
        '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["personality"],'
        ' "action": "SCMP_ACT_ERRNO", "errnoRet": 22, "args": ['
        '{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"},'
        ' {"index": 0, "value": 4294967295, "op": "SCMP_CMP_EQ"},'
        ' {"index": 1, "value": 3, "op": "SCMP_CMP_GT"}]}]}'
    )
    outcome = check(session, loads(text))
    # runc orders its stub sections as Go's maps come; crun's program must be ours to the byte.
    assert outcome in (("identical",) if session.build.name == "crun" else ("identical", "equal"))
