"""The porting proof against real programs: busybox recorded on x86_64, ported to aarch64, armhf
and i386, compared with what Debian's busybox-static for those architectures calls (qemu-user's
strace for arm64 and armhf, strace of the i386 binary through the x86_64 kernel's compat entry),
and the i386 binary run under the ported profile in the kernel."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from seccomp_kit.algebra._equivalents import VDSO
from seccomp_kit.model import Arch
from tests.algebra.port_proof import Comparison, compare, enforce_i386, missing_tools
from tests.conftest import IN_CI

pytestmark = [
    pytest.mark.kernel,
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform != "linux", reason="Linux only"),
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (CAP_AUDIT_READ, loginuid)"),
]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> list[Comparison]:
    missing = missing_tools()
    if missing:
        message = f"tools/foreign-busybox.sh installs these: {', '.join(missing)}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return compare(Path(tmp_path_factory.mktemp("port-proof")))


def _on(results: list[Comparison], arch: Arch) -> list[Comparison]:
    found = [c for c in results if c.target is arch]
    assert len(found) == 4
    return found


def test_the_i386_port_covers_every_call_the_i386_run_made(results: list[Comparison]) -> None:
    for c in _on(results, Arch.X86):
        assert c.missed(vdso_fallback=False) == frozenset(), c.workload
        # Few allowed beyond need: the 64-bit-offset and 16-bit forms kept beside their
        # 32-bit-ABI equivalents for programs built without large-file support.
        assert len(c.unneeded(vdso_fallback=False)) <= 10, (c.workload, c.unneeded)


def test_the_arm64_port_covers_every_call_the_arm64_run_made(results: list[Comparison]) -> None:
    for c in _on(results, Arch.AARCH64):
        # qemu-user 7.2 gives aarch64 programs no vDSO, so clock_gettime is a real syscall
        # there; the recording on x86_64 (vDSO) never saw it. vdso_fallback covers exactly that.
        assert c.missed(vdso_fallback=False) <= frozenset(VDSO[Arch.AARCH64]), c.workload
        assert c.missed(vdso_fallback=True) == frozenset(), c.workload
        assert len(c.unneeded(vdso_fallback=False)) <= 2, (c.workload, c.unneeded)


def test_the_armhf_port_covers_every_call_the_armhf_run_made(results: list[Comparison]) -> None:
    for c in _on(results, Arch.ARM):
        # As on aarch64: qemu-user gives arm programs no vDSO (clock_gettime64 becomes a
        # syscall). set_tls is allowed but never logged: qemu handles ARM's private calls
        # outside the path its strace prints.
        assert c.missed(vdso_fallback=False) <= frozenset(VDSO[Arch.ARM]), c.workload
        assert c.missed(vdso_fallback=True) == frozenset(), c.workload
        assert len(c.unneeded(vdso_fallback=False)) <= 10, (c.workload, c.unneeded)


def test_the_recordings_and_traces_are_not_empty(results: list[Comparison]) -> None:
    # The comparison means nothing if a run failed early: each trace saw the work itself.
    for c in results:
        assert {"execve", "exit_group", "write"} <= c.needed
        assert len(c.needed) >= 15, (c.workload, c.target)
    wget = [c for c in results if c.workload == "wget"]
    for c in wget:
        assert {"socket", "connect"} <= c.needed


def test_the_kernel_lets_the_i386_build_work_under_the_port(
    results: list[Comparison], tmp_path: Path
) -> None:
    enforced = enforce_i386(tmp_path, results)
    assert set(enforced) == {c.workload for c in results}
    for workload, (ported, unported) in enforced.items():
        # Under the ported profile (ERRNO default) nothing is blocked and the applet succeeds.
        assert (ported.status, ported.blocked) == (0, ()), workload
        # The x86_64 recording as it is would not do: i386 glibc dies setting up TLS.
        assert unported.status != 0, workload
        assert "set_thread_area" in {b.name for b in unported.blocked}, workload
