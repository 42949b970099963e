"""Real runtimes load real filters: start containers with runc and crun (Debian 12's and Debian
13's builds) and read back, byte for byte, the filters their init loaded.

Needs root and the runtimes from ``tools/runtimes.sh``. Missing runtimes fail the tests (with a
pointer to that script) unless ``SECCOMP_KIT_NO_RUNTIMES=1``, which skips them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from seccomp_kit.bpf import decode, disassemble
from seccomp_kit.testing.runtimes import (
    LoadedFilters,
    RuntimeSession,
    run_in_container,
)
from tests.conftest import runtime_build

pytestmark = pytest.mark.runtime


# (origin, name) -> (version prefix as the binary reports it, libseccomp it uses)
EXPECTED = {
    ("host", "runc"): ("1.1.5", "2.5.4"),
    ("host", "crun"): ("1.8.1", "2.5.4"),
    ("trixie", "runc"): ("1.1.15", "2.6.0"),
    ("trixie", "crun"): ("1.21", "2.6.0"),
}

GETPID_ERRNO = {
    "defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}],
}
MSEAL_X86_64 = 462


@pytest.fixture(scope="module", params=sorted(EXPECTED), ids=lambda k: f"{k[0]}-{k[1]}")
def session(request: pytest.FixtureRequest) -> Iterator[RuntimeSession]:
    with RuntimeSession(runtime_build(request.param)) as s:
        yield s


def _loaded(outcome: LoadedFilters) -> LoadedFilters:
    assert outcome.exit_status == 0, (outcome.error, outcome.stderr)
    assert outcome.event == "exec"
    assert outcome.filters, "the runtime loaded no filter"
    return outcome


def _compares_nr(outcome: LoadedFilters, nr: int) -> bool:
    jeq_k = 0x15
    return any(i.code == jeq_k and i.k == nr for f in outcome.filters for i in decode(f.bpf))


def test_build_versions(session: RuntimeSession) -> None:
    build = session.build
    version, libseccomp = EXPECTED[(build.origin, build.name)]
    assert build.version.split("+")[0] == version
    assert build.libseccomp == libseccomp


def test_errno_rule_reads_back(session: RuntimeSession) -> None:
    outcome = _loaded(session.loaded_filters(GETPID_ERRNO))
    # Every runtime here loads exactly one filter for it (nothing else stacked on the init).
    assert len(outcome.filters) == 1
    (loaded,) = outcome.filters
    assert len(loaded.bpf) % 8 == 0
    assert loaded.flags == 0
    instructions = decode(loaded.bpf)
    assert any(i.code == 0x06 and i.k == 0x0005_0001 for i in instructions)
    assert "return ERRNO(1)" in disassemble(loaded.bpf)
    assert "return ALLOW" in disassemble(loaded.bpf)


def test_name_the_linked_libseccomp_cannot_resolve(session: RuntimeSession) -> None:
    build = session.build
    outcome = _loaded(
        session.loaded_filters(
            {
                "defaultAction": "SCMP_ACT_ALLOW",
                "syscalls": [{"names": ["mseal"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}],
            }
        )
    )
    warned = [w for w in outcome.warnings if "mseal" in w]
    if build.libseccomp == "2.5.4":
        # Dropped: the syscall keeps the default action, nothing compares with its number.
        assert not _compares_nr(outcome, MSEAL_X86_64)
        if build.name == "crun":
            assert warned == ["unknown seccomp syscall `mseal` ignored"]
            assert "unknown seccomp syscall `mseal` ignored" in outcome.stderr
        else:  # runc says so at debug level only
            assert not warned
            assert any(
                m.level == "debug" and m.msg == 'unknown seccomp syscall "mseal" ignored'
                for m in outcome.messages
            )
    else:
        assert _compares_nr(outcome, MSEAL_X86_64)
        assert not warned


def test_filter_flag_log(session: RuntimeSession) -> None:
    build = session.build
    outcome = session.loaded_filters({**GETPID_ERRNO, "flags": ["SECCOMP_FILTER_FLAG_LOG"]})
    if build.name == "runc":  # 1.1.x: any flags refused (supported from 1.2.0)
        assert outcome.refused
        assert outcome.exit_status != 0
        assert outcome.event == "none"
        assert outcome.error == "runc run failed: seccomp flags are not yet supported by runc"
    else:
        _loaded(outcome)
        assert [f.flags for f in outcome.filters] == [2]  # SECCOMP_FILTER_FLAG_LOG


def test_refusal_is_a_value(session: RuntimeSession) -> None:
    outcome = session.loaded_filters({"defaultAction": "SCMP_ACT_NO_SUCH_ACTION"})
    assert outcome.refused
    assert outcome.exit_status != 0
    assert outcome.error is not None
    assert "SCMP_ACT_NO_SUCH_ACTION" in outcome.error


def test_filter_that_kills_the_exec(session: RuntimeSession) -> None:
    profile = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["execve"], "action": "SCMP_ACT_KILL_PROCESS"}],
    }
    outcome = session.loaded_filters(profile, trace_syscalls=True)
    assert outcome.event == "killed"
    assert outcome.exit_status == 128 + 31  # SIGSYS
    assert not outcome.refused
    (loaded,) = outcome.filters  # the snapshot after its seccomp() call
    assert any(i.code == 0x06 and i.k == 0x8000_0000 for i in decode(loaded.bpf))


def test_run_in_container(session: RuntimeSession) -> None:
    profile = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}],
    }
    denied = session.run(profile, ["/bin/sh", "-c", "mkdir /tmp/x; echo status=$?"])
    assert denied.exit_status == 0, denied.stderr
    assert denied.stdout == b"status=1\n"
    assert "Operation not permitted" in denied.container_stderr
    allowed = session.run(None, ["/bin/sh", "-c", "mkdir /tmp/x && echo ok; exit 3"])
    assert allowed.exit_status == 3
    assert allowed.stdout == b"ok\n"


def test_run_in_container_with_extra_files() -> None:
    build = runtime_build(("host", "runc"))
    script = b"#!/bin/sh\necho extra\n"
    run = run_in_container(
        build, GETPID_ERRNO, ["/usr/local/bin/extra"], rootfs_extra={"/usr/local/bin/extra": script}
    )
    assert (run.exit_status, run.stdout) == (0, b"extra\n")
