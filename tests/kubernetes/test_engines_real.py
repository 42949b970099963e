"""RuntimeDefault for real: Debian's containerd (``ctr run --seccomp --rootfs``), Docker and
Podman start a busybox container with a pod's capabilities; the capabilities and the profile
the engine handed its runtime, and the filter the container's init really loaded (read back with
ptrace), are compared with ``effective_manifests`` for that engine.

- the bounding set equals our effective capabilities;
- the ``linux.seccomp`` the engine wrote equals our effective profile (as data);
- compiling our profile for the engine's runtime gives the loaded filter byte for byte
  (runc 1.1.5, which containerd and Docker run here, never sets libseccomp's binary tree; until
  compile takes ``runc@1.1.5`` targets we compile its translation with the tree off, see
  :func:`_compiled`);
- the Matcher's answer equals the loaded filter's (emulated) on boundary events: every
  syscall number of each architecture of the filter, arguments around the ``clone`` flag mask,
  the ``personality`` values, and numbers just past the tables.

Needs root and ``tools/engines.sh`` (``tools/system-deps.sh`` runs it); each engine is started
privately by the fixture and stopped afterwards. ``SECCOMP_KIT_NO_RUNTIMES=1`` skips. This is a
sample (3 capability sets per engine and privileged, ~30 s); ``SECCOMP_KIT_ENGINE_MATRIX=full``
runs every capability alone added, dropped, and added after ``drop: [ALL]`` (381 cases, about
14 minutes on two cores).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from seccomp_kit import bpf
from seccomp_kit.io import from_data, to_data
from seccomp_kit.kubernetes import (
    EffectiveContainer,
    EffectiveReport,
    effective_manifests,
    engine_defaults,
)
from seccomp_kit.libseccomp.compile import CompiledFilter, compile_profile
from seccomp_kit.match import Matcher
from seccomp_kit.model import Arch, Profile
from seccomp_kit.syscalls import table
from seccomp_kit.syscalls.capabilities import CAPABILITIES
from seccomp_kit.testing.conformance import compare_programs
from seccomp_kit.testing.engines import Containerd, Docker, Engine, EngineRun, Podman
from seccomp_kit.testing.runtimes import ReadbackError

pytestmark = pytest.mark.runtime

NO_RUNTIMES = os.environ.get("SECCOMP_KIT_NO_RUNTIMES") == "1"
FULL = os.environ.get("SECCOMP_KIT_ENGINE_MATRIX") == "full"
# The capability the host running these tests lacks makes the start fail (after the engine
# wrote its config, so the profile is still compared, not the loaded filter).
_HOST_CAPS: set[str] = set()

ENGINES: dict[str, tuple[type[Engine], str]] = {
    "containerd": (Containerd, "containerd@1.6.20"),
    "docker": (Docker, "docker@20.10.24"),
    "podman": (Podman, "podman@4.3.1"),
}

# (add, drop) as a pod's securityContext.capabilities says them.
SAMPLE: list[tuple[tuple[str, ...], tuple[str, ...]]] = [
    ((), ()),
    (("SYS_ADMIN", "NET_ADMIN"), ()),
    (("NET_BIND_SERVICE",), ("ALL",)),
]


def _matrix() -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    if not FULL:
        return SAMPLE
    out = list(SAMPLE)
    out += [((c.removeprefix("CAP_"),), ()) for c in CAPABILITIES]
    out += [((), (c.removeprefix("CAP_"),)) for c in CAPABILITIES]
    out += [((c.removeprefix("CAP_"),), ("ALL",)) for c in CAPABILITIES]
    return out


def _host_caps() -> set[str]:
    if not _HOST_CAPS:
        with open("/proc/self/status", encoding="ascii") as f:
            bits = next(int(line.split()[1], 16) for line in f if line.startswith("CapBnd:"))
        _HOST_CAPS.update(c for i, c in enumerate(CAPABILITIES) if bits >> i & 1)
    return _HOST_CAPS


@pytest.fixture(scope="module", params=sorted(ENGINES))
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    if NO_RUNTIMES:
        pytest.skip("SECCOMP_KIT_NO_RUNTIMES=1")
    if os.geteuid() != 0:
        pytest.fail("the engine tests need root (or set SECCOMP_KIT_NO_RUNTIMES=1)")
    needed = {"containerd": "ctr", "docker": "dockerd", "podman": "podman"}[request.param]
    if shutil.which(needed) is None:
        pytest.fail(f"{needed} is not installed: run tools/engines.sh as root")
    cls, _ = ENGINES[request.param]
    with cls() as started:
        yield started


def _known_by(engine: Engine) -> tuple[str, ...]:
    """The capabilities the engine can grant (Docker 20.10 knows neither CAP_PERFMON, CAP_BPF
    nor CAP_CHECKPOINT_RESTORE)."""
    refused = set(engine_defaults(ENGINES[engine.name][1]).refuses)
    return tuple(c for c in CAPABILITIES if c not in refused)


def _pod(add: tuple[str, ...], drop: tuple[str, ...]) -> str:
    caps: dict[str, Any] = {}
    if add:
        caps["add"] = list(add)
    if drop:
        caps["drop"] = list(drop)
    container: dict[str, Any] = {"name": "c", "image": "busybox"}
    if caps:
        container["securityContext"] = {"capabilities": caps}
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p"},
            "spec": {
                "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [container],
            },
        }
    )


def _report(label: str, add: tuple[str, ...], drop: tuple[str, ...], tmp: Any) -> EffectiveReport:
    path = tmp / "pod.yaml"
    path.write_text(_pod(add, drop))
    return effective_manifests([path], engine=label, arch="x86_64")


def _ours(label: str, add: tuple[str, ...], drop: tuple[str, ...], tmp: Any) -> EffectiveContainer:
    report = _report(label, add, drop, tmp)
    assert not report.has_errors, report.diagnostics
    (container,) = report.containers
    return container


def _start(engine: Engine, ours: EffectiveContainer, add: tuple[str, ...], drop: tuple[str, ...]):
    if isinstance(engine, Containerd):
        # ctr applies --cap-add, then --cap-drop, and takes no ALL: ask for the bounding set.
        default = set(engine_defaults(ENGINES["containerd"][1]).capabilities)
        want = set(ours.capabilities)
        return engine.run(
            cap_add=[c for c in CAPABILITIES if c in want - default],
            cap_drop=[c for c in CAPABILITIES if c in default - want],
        )
    return engine.run(cap_add=add, cap_drop=drop)


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    """Profile data with ``valueTwo: 0`` left out (the engines write it, it means no value)."""
    rules = [
        {
            **r,
            "args": [
                {k: v for k, v in a.items() if not (k == "valueTwo" and v == 0)}
                for a in r.get("args", ())
            ],
        }
        for r in data.get("syscalls", ())
    ]
    return {**data, "syscalls": rules}


def _compiled(profile: Profile, runtime: str) -> CompiledFilter:
    """Our profile compiled for the target the engine runs (``runc@1.1.5`` or ``crun@1.8.1``,
    with the installed libseccomp 2.5.4)."""
    return compile_profile(profile, arch=Arch.X86_64, runtime=runtime)


def _assert_same_filter(loaded: bytes, ours: CompiledFilter) -> None:
    """Byte for byte; for runc, up to its ENOSYS stub's Go map order (the one documented
    nondeterminism, see seccomp_kit.testing.conformance)."""
    result = compare_programs(ours, loaded)
    assert result.equal, result.detail


def _boundary_events(profile: Profile) -> Iterator[tuple[Arch, int, tuple[int, ...]]]:
    ns = 0x7E020000  # CLONE_NEWNS|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWCGROUP
    for arch in (Arch.X86_64, Arch.X86, Arch.X32):
        numbers = sorted(table(arch).by_number)
        for nr in [*numbers, numbers[-1] + 1, numbers[-1] + 100]:
            yield arch, nr, ()
        clone = table(arch).number("clone")
        assert clone is not None
        for flags in (0, 0x11, ns, 0x10000000, 0x20000, 0x40000000, 0x7E020011, 1 << 32):
            yield arch, clone, (flags, flags)
        personality = table(arch).number("personality")
        assert personality is not None
        for value in (0, 8, 0x20000, 0x20008, 0xFFFFFFFF, 1, 0x400000, 1 << 32):
            yield arch, personality, (value,)


def _agree(loaded: bytes, profile: Profile, runtime: str) -> int:
    matcher = Matcher(profile, arch="x86_64", runtime=runtime.split("@", maxsplit=1)[0])
    count = 0
    for arch, nr, args in _boundary_events(profile):
        got = bpf.emulate(loaded, arch=arch, nr=nr, args=args)
        verdict = matcher.match(nr, list(args), arch=arch)
        assert verdict.ret == got, (arch, nr, args, hex(verdict.ret), hex(got))
        count += 1
    return count


@pytest.mark.parametrize(
    "caps", _matrix(), ids=lambda c: f"add={','.join(c[0])}-drop={','.join(c[1])}"
)
def test_engine_loads_exactly_our_effective_profile(
    engine: Engine, caps: tuple[tuple[str, ...], tuple[str, ...]], tmp_path: Any
) -> None:
    add, drop = caps
    _, label = ENGINES[engine.name]
    if "K8S064" in {d.code for d in _report(label, add, drop, tmp_path).diagnostics}:
        # We say the engine does not know the capability: it refuses the container.
        with pytest.raises(ReadbackError, match="unknown capability"):
            engine.run(cap_add=add, cap_drop=drop)
        return
    ours = _ours(label, add, drop, tmp_path)
    run: EngineRun = _start(engine, ours, add, drop)
    if isinstance(engine, Podman):
        # Podman leaves out what its own process lacks (so does the host running these tests,
        # e.g. SYS_RESOURCE inside a container); a node's root podman has every capability.
        assert set(run.bounding) == set(ours.capabilities) & _host_caps()
    else:
        assert set(run.bounding) == set(ours.capabilities)
    assert run.seccomp is not None and ours.profile is not None
    assert _plain(to_data(from_data(run.seccomp))) == _plain(to_data(ours.profile))
    if not set(run.bounding) <= _host_caps():
        assert run.exit_status != 0  # the host cannot grant it: nothing was loaded
        return
    assert run.exit_status == 0, run.output
    assert run.event == "exec"
    (loaded,) = run.filters
    runtime = engine_defaults(label).runtime
    _assert_same_filter(loaded.bpf, _compiled(ours.profile, runtime))
    assert _agree(loaded.bpf, ours.profile, runtime) > 500


def test_privileged_containers_load_no_filter(engine: Engine, tmp_path: Any) -> None:
    if isinstance(engine, Containerd):
        # ctr applies --seccomp whatever --privileged says; it is containerd's CRI plugin (not
        # started here) that leaves privileged containers unconfined.
        run = engine.run(privileged=True)
        assert run.seccomp is not None
        return
    run = engine.run(privileged=True)
    if set(run.bounding) <= _host_caps():
        assert run.exit_status == 0, run.output
    known = set(_known_by(engine))
    # Docker grants every capability it knows; Podman every one its own process has.
    assert set(run.bounding) in (known, known & _host_caps())
    assert run.seccomp is None
    assert run.filters == ()
    ours = _ours(ENGINES[engine.name][1], (), (), tmp_path)
    assert ours.profile is not None  # the same pod without privileged: filtered
