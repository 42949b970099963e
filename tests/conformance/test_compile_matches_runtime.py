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

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seccomp_kit.algebra.resolving import resolve
from seccomp_kit.errors import SeccompKitError
from seccomp_kit.io import convert, load, loads, to_data
from seccomp_kit.io.resources import profile_names, read_profile_text
from seccomp_kit.libseccomp.compile import compile_profile
from seccomp_kit.match import Matcher
from seccomp_kit.model import Action, Arch, Dialect, Profile
from seccomp_kit.testing import strategies
from seccomp_kit.testing.conformance import (
    boundary_events,
    compare_programs,
    matcher_disagreements,
)
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


def target_of(build: RuntimeBuild) -> tuple[str, str]:
    """The target (runtime, libseccomp) a build is: ``runc@1.1.5``, ``2.5.4``."""
    return f"{build.name}@{build.version.split('+')[0]}", build.libseccomp


@pytest.fixture(scope="module", params=BUILDS, ids=lambda b: b.id)
def session(request: pytest.FixtureRequest) -> Iterator[RuntimeSession]:
    with RuntimeSession(request.param, timeout=15) as s:
        yield s


def check(session: RuntimeSession, profile: Profile) -> str:
    """Run one case; return "equal", "identical" or "refused" (both refused); fail otherwise."""
    build = session.build
    runtime, libseccomp = target_of(build)
    profile = plain(profile)
    seccomp = json.loads(json.dumps(to_data(profile)))
    loaded = session.loaded_filters(seccomp, stop_after_load=True)
    try:
        compiled = compile_profile(profile, arch=HOST, runtime=runtime, libseccomp=libseccomp)
    except SeccompKitError as exc:
        assert loaded.refused, (
            f"{build.id} loaded the profile, we refused it: {exc}\n{json.dumps(seccomp)}"
        )
        return "refused"
    assert not loaded.refused, (
        f"{build.id} refused the profile ({loaded.error}), we compiled it\n{json.dumps(seccomp)}"
    )
    assert len(loaded.filters) == 1, loaded
    program = loaded.filters[0].bpf
    result = compare_programs(compiled, program)
    assert result.equal, f"{build.id}: {result.detail}\n{json.dumps(seccomp)}"
    assert loaded.filters[0].flags == _flags(compiled.load_flags)
    matcher = Matcher(profile, arch=HOST, runtime=runtime, libseccomp=libseccomp)
    wrong = matcher_disagreements(matcher, program, boundary_events(matcher.translation))
    assert not wrong, f"{build.id}: matcher disagrees on {wrong[:5]}\n{json.dumps(seccomp)}"
    return "identical" if result.identical else "equal"


def _flags(load_flags: int) -> int:
    # PTRACE_SECCOMP_GET_METADATA reports SECCOMP_FILTER_FLAG_LOG only (the kernel keeps no
    # other load flag with the filter).
    return load_flags & 2


def plain(profile: Profile) -> Profile:
    """What a runtime reads: moby and containers/common profiles resolved for this host (as
    the engine does, with its default capabilities left out), in the OCI dialect."""
    if any(r.includes or r.excludes for r in profile.syscalls) or profile.arch_map:
        profile = resolve(profile, arch=HOST, capabilities=(), kernel="6.1")
    return convert(profile, Dialect.OCI)[0]


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
        # big- and little-endian together: libseccomp refuses, so do both runtimes
        '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_S390X"],'
        ' "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ERRNO"}]}',
    ]
    outcomes = [check(session, loads(text)) for text in cases]
    expected_flags = "refused" if session.build.name == "runc" else "identical"
    assert outcomes[2] == expected_flags
    assert outcomes[3] == "refused"
