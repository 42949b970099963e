"""The recorder's runtime baselines against what real runc and crun call after installing the
filter (Debian 12's runc 1.1.5 / crun 1.8.1, Debian 13's runc 1.1.15 / crun 1.21), with and
without noNewPrivileges. A profile recorded outside a container plus the baseline must start
the container; without the baseline it must not (so the baseline is what makes it work)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from seccomp_kit.record import RUNTIME_BASELINES, baseline_names
from seccomp_kit.testing.baselines import measure_calls
from seccomp_kit.testing.runtimes import RuntimeSession
from tests.conftest import runtime_build

pytestmark = pytest.mark.runtime

BUILDS = [("host", "runc"), ("host", "crun"), ("trixie", "runc"), ("trixie", "crun")]


@pytest.fixture(scope="module", params=BUILDS, ids=lambda k: f"{k[0]}-{k[1]}")
def session(request: pytest.FixtureRequest) -> Iterator[RuntimeSession]:
    with RuntimeSession(runtime_build(request.param)) as s:
        yield s


def _allowing(names: frozenset[str]) -> dict[str, object]:
    return {
        "defaultAction": "SCMP_ACT_ERRNO",
        "architectures": ["SCMP_ARCH_X86_64"],
        "syscalls": [{"names": sorted(names), "action": "SCMP_ACT_ALLOW"}],
    }


@pytest.mark.parametrize("nnp", [True, False], ids=["noNewPrivileges", "privileges"])
def test_the_baseline_covers_what_the_runtime_calls_and_is_what_makes_a_recording_work(
    session: RuntimeSession, nnp: bool
) -> None:
    build = session.build
    measured = measure_calls(session, no_new_privileges=nnp)
    assert measured.exit_status == 0, measured.stderr
    assert "execve" in measured.runtime  # the runtime's last call: the workload's exec
    assert measured.workload, "no record of the workload: is audit reaching us?"
    baseline = baseline_names(f"{build.name}@{build.version.split('+')[0]}")
    assert baseline == RUNTIME_BASELINES[build.name]
    assert measured.runtime <= baseline, sorted(measured.runtime - baseline)
    # The workload's own calls, as a recording outside the container would have them, plus
    # the baseline: the container runs. Without the baseline it does not.
    works = session.run(_allowing(measured.workload | baseline), ["/bin/true"],
                        no_new_privileges=nnp)  # fmt: skip
    assert works.exit_status == 0, works.stderr
    fails = session.run(_allowing(measured.workload), ["/bin/true"], no_new_privileges=nnp)
    assert fails.exit_status != 0
