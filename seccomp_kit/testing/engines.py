"""Real container engines for the RuntimeDefault proof: containerd (``ctr``), Docker and Podman,
each started privately, and what they really handed their runtime and what it loaded.

Standard library only (it is also executed as a script: the runtime wrapper, see below), Linux
x86_64, needs root. ``tools/engines.sh`` installs Debian's ``containerd``, ``docker.io`` and
``podman``; the rootfs is ``busybox-static`` (``tools/runtimes.sh``).

Private daemons
    :class:`Containerd` starts ``containerd`` with its own config (root, state and socket in a
    temporary directory, the CRI plugin off); :class:`Docker` starts ``dockerd`` with its own
    data root, exec root, socket and pidfile, no bridge and no iptables rules (so the host's
    network is untouched); Podman has no daemon and runs with its own ``--root``/``--runroot``.
    Docker and Podman import the busybox rootfs as an image (``docker import``,
    ``podman import``): no registry is needed. Everything is stopped and removed on exit.

The runtime wrapper
    Every engine ends up calling an OCI runtime binary with ``create --bundle DIR ... ID``; each
    can be told which binary (``ctr run --runc-binary``, ``dockerd --add-runtime``,
    ``podman --runtime``). That binary is this file run as a script: on ``create`` it keeps a
    copy of the ``config.json`` the engine wrote (so the profile and capabilities the engine
    chose can be compared with ours), adds the ``createRuntime`` hook of
    :mod:`seccomp_kit.testing.runtimes` (which ptrace-reads the filters the container's init
    loads), then ``exec``\\ s the real runtime with the same arguments. crun runs in a private
    mount namespace without the hybrid layout's ``/sys/fs/cgroup/unified`` (as in
    :mod:`~seccomp_kit.testing.runtimes`).
"""

from __future__ import annotations

import json
import os
import sys


def _wrapper_main(argv: list[str]) -> None:
    """``engines.py --wrap RUNTIME OUTDIR HOOK... -- RUNTIME-ARGS``: see the module docstring."""
    split = argv.index("--")
    runtime, outdir, *hook = argv[:split]
    args = argv[split + 1 :]
    if "create" in args:
        bundle = os.getcwd()
        for i, arg in enumerate(args):
            if arg in {"--bundle", "-b"}:
                bundle = args[i + 1]
            elif arg.startswith("--bundle="):
                bundle = arg.split("=", 1)[1]
        cid = args[-1]
        config_path = os.path.join(bundle, "config.json")
        with open(config_path, encoding="utf-8") as f:
            config = json.load(f)
        with open(os.path.join(outdir, f"{cid}.config.json"), "w", encoding="utf-8") as f:
            json.dump(config, f)
        result = os.path.join(outdir, f"{cid}.filters.json")
        hooks = config.setdefault("hooks", {})
        entry = {"path": hook[0], "args": [*hook[:-1], result, hook[-1]], "timeout": 30}
        hooks.setdefault("createRuntime", []).insert(0, entry)
        with open(config_path, "w", encoding="utf-8") as f:
            json.dump(config, f)
    command = [runtime, *args]
    if os.path.basename(runtime) == "crun" and os.path.ismount("/sys/fs/cgroup/unified"):
        script = 'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$@"'
        command = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh"]
        command += [runtime, *args]
    os.execvp(command[0], command)


if __name__ == "__main__":
    if len(sys.argv) > 3 and sys.argv[1] == "--wrap":
        _wrapper_main(sys.argv[2:])
    sys.exit(f"usage: {sys.argv[0]} --wrap RUNTIME OUTDIR HOOK... -- ARGS (an OCI runtime)")

# ruff: noqa: E402
import contextlib
import itertools
import resource
import shutil
import signal
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seccomp_kit.testing import runtimes
from seccomp_kit.testing.runtimes import LoadedFilter, ReadbackError

__all__ = [
    "Containerd",
    "Docker",
    "Engine",
    "EngineRun",
    "Podman",
    "engine_versions",
]

IMAGE = "localhost/seccomp-kit-busybox:latest"
_ids = itertools.count()


@dataclass(frozen=True)
class EngineRun:
    """One container an engine started: the OCI config it wrote, the filters its init loaded."""

    engine: str
    exit_status: int
    output: str
    config: dict[str, Any]
    filters: tuple[LoadedFilter, ...]
    event: str

    @property
    def seccomp(self) -> dict[str, Any] | None:
        """The ``linux.seccomp`` the engine handed the runtime (None: unconfined)."""
        linux = self.config.get("linux") or {}
        value = linux.get("seccomp")
        return value if isinstance(value, dict) else None

    @property
    def bounding(self) -> tuple[str, ...]:
        caps = (self.config.get("process") or {}).get("capabilities") or {}
        return tuple(caps.get("bounding") or ())


def _rootfs_tar(directory: Path) -> Path:
    """A busybox rootfs as a tar (for ``import``) next to the unpacked tree (for ``--rootfs``)."""
    root = directory / "rootfs"
    for d in ("bin", "proc", "dev", "tmp", "sys", "etc"):
        (root / d).mkdir(parents=True, exist_ok=True)
    shutil.copy2(runtimes.BUSYBOX, root / "bin/busybox")
    for name in ("sh", "true", "false", "cat", "echo", "ls", "sleep", "id"):
        link = root / "bin" / name
        if not link.is_symlink():
            link.symlink_to("busybox")
    tar = directory / "rootfs.tar"
    with tarfile.open(tar, "w") as t:
        for entry in sorted(root.iterdir()):
            t.add(entry, arcname=entry.name)
    return tar


def _run(argv: Sequence[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, check=False)


def _wait_for(path: Path, proc: subprocess.Popen[bytes], log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise ReadbackError(f"{proc.args!r} did not start: {log.read_text(errors='replace')}")
        time.sleep(0.1)


def _stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _umount_below(directory: Path) -> None:
    """Lazily unmount whatever a daemon left mounted below ``directory`` (deepest first)."""
    prefix = str(directory) + "/"
    with open("/proc/self/mounts", encoding="utf-8") as f:
        points = [line.split()[1] for line in f if line.split()[1].startswith(prefix)]
    for point in sorted(points, key=len, reverse=True):
        _run(["umount", "-l", point], timeout=30)


class Engine:
    """A private engine instance; use as a context manager. Subclasses say how to start a
    container; :meth:`run` returns what it wrote and loaded."""

    name = ""
    runtime = "/usr/sbin/runc"

    def __init__(self, *, runtime: str | None = None) -> None:
        if os.geteuid() != 0:
            raise ReadbackError("the engines need root")
        if runtime is not None:
            self.runtime = runtime
        self.dir = Path(tempfile.mkdtemp(prefix=f"seccomp-kit-{self.name}-"))
        self.out = self.dir / "out"
        self.out.mkdir()
        self.tar = _rootfs_tar(self.dir)
        self.wrapper = self.dir / "runtime"
        hook = [
            sys.executable,
            "-I",
            "-S",
            os.path.abspath(runtimes.__file__),
            "--hook",
            "exec",
        ]
        here = os.path.abspath(__file__)
        argv = [sys.executable, "-I", "-S", here, "--wrap", self.runtime, str(self.out), *hook]
        quoted = " ".join(_sh_quote(a) for a in argv)
        self.wrapper.write_text(f'#!/bin/sh\nexec {quoted} -- "$@"\n', encoding="utf-8")
        self.wrapper.chmod(0o755)

    def __enter__(self) -> Engine:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Start the daemon (if any) and import the image."""

    def stop(self) -> None:
        """Stop the daemon (if any)."""

    def close(self) -> None:
        try:
            self.stop()
        finally:
            _umount_below(self.dir)
            shutil.rmtree(self.dir, ignore_errors=True)

    def start_container(
        self, cid: str, cap_add: Sequence[str], cap_drop: Sequence[str], privileged: bool
    ) -> subprocess.CompletedProcess[str]:
        raise NotImplementedError

    def run(
        self,
        *,
        cap_add: Sequence[str] = (),
        cap_drop: Sequence[str] = (),
        privileged: bool = False,
    ) -> EngineRun:
        """Start ``/bin/true`` with the engine's default seccomp profile and these capability
        changes (written as the engine's CLI takes them, e.g. ``SYS_ADMIN``, ``ALL``)."""
        cid = f"sk{os.getpid()}x{next(_ids)}"
        proc = self.start_container(cid, cap_add, cap_drop, privileged)
        configs = sorted(self.out.glob("*.config.json"), key=lambda p: p.stat().st_mtime)
        if not configs:
            raise ReadbackError(
                f"{self.name}: the runtime wrapper saw no create: {proc.stdout}{proc.stderr}"
            )
        config_path = configs[-1]
        full_id = config_path.name.removesuffix(".config.json")
        config = json.loads(config_path.read_text(encoding="utf-8"))
        result = self.out / f"{full_id}.filters.json"
        data = json.loads(result.read_text(encoding="utf-8")) if result.exists() else {}
        for p in (config_path, result):
            p.unlink(missing_ok=True)
        if data.get("error"):
            raise ReadbackError(f"{self.name}: tracer failed: {data['error']}")
        filters = tuple(
            LoadedFilter(bytes.fromhex(f["bpf_hex"]), int(f["flags"]))
            for f in data.get("filters", ())
        )
        return EngineRun(
            self.name,
            proc.returncode,
            proc.stdout + proc.stderr,
            config,
            filters,
            str(data.get("event", "none")),
        )


def _sh_quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\\''") + "'"


class Containerd(Engine):
    """``containerd`` 's own default profile through ``ctr run --seccomp --rootfs``."""

    name = "containerd"

    def start(self) -> None:
        self.socket = self.dir / "containerd.sock"
        config = self.dir / "containerd.toml"
        config.write_text(
            "version = 2\n"
            f'root = "{self.dir}/root"\n'
            f'state = "{self.dir}/state"\n'
            f'[grpc]\n  address = "{self.socket}"\n'
            '[plugins."io.containerd.grpc.v1.cri"]\n  disable = true\n',
            encoding="utf-8",
        )
        log = self.dir / "containerd.log"
        with open(log, "wb") as out:
            self.proc: subprocess.Popen[bytes] | None = subprocess.Popen(
                ["containerd", "--config", str(config)],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _wait_for(self.socket, self.proc, log, 30)

    def stop(self) -> None:
        _stop(getattr(self, "proc", None))

    def start_container(
        self, cid: str, cap_add: Sequence[str], cap_drop: Sequence[str], privileged: bool
    ) -> subprocess.CompletedProcess[str]:
        argv = ["ctr", "--address", str(self.socket), "run", "--rm", "--seccomp"]
        argv += ["--runc-binary", str(self.wrapper)]
        argv += [f"--cap-add={_cap(c)}" for c in cap_add]
        argv += [f"--cap-drop={_cap(c)}" for c in cap_drop]
        if privileged:
            argv.append("--privileged")
        argv += ["--rootfs", str(self.dir / "rootfs"), cid, "/bin/true"]
        return _run(argv)


def _cap(name: str) -> str:
    return name if name == "ALL" or name.startswith("CAP_") else "CAP_" + name


class Docker(Engine):
    """``dockerd`` (which starts its own containerd) with the wrapper as an added runtime."""

    name = "docker"
    client = "/usr/bin/docker"  # Debian's; another ``docker`` may come first on $PATH

    def start(self) -> None:
        self.socket = self.dir / "docker.sock"
        log = self.dir / "dockerd.log"
        argv = [
            "dockerd",
            f"--data-root={self.dir}/data",
            f"--exec-root={self.dir}/exec",
            f"--pidfile={self.dir}/dockerd.pid",
            f"--host=unix://{self.socket}",
            "--bridge=none",
            "--iptables=false",
            "--ip6tables=false",
            "--ip-masq=false",
            "--storage-driver=vfs",
            f"--add-runtime=seccompkit={self.wrapper}",
        ]
        with open(log, "wb") as out:
            self.proc: subprocess.Popen[bytes] | None = subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        _wait_for(self.socket, self.proc, log, 60)
        deadline = time.monotonic() + 60
        while self.docker("version").returncode != 0:
            if time.monotonic() > deadline:
                raise ReadbackError(f"dockerd did not answer: {log.read_text(errors='replace')}")
            time.sleep(0.2)
        imported = self.docker("import", str(self.tar), IMAGE)
        if imported.returncode != 0:
            raise ReadbackError(f"docker import failed: {imported.stderr}")

    def docker(self, *args: str) -> subprocess.CompletedProcess[str]:
        return _run([self.client, "--host", f"unix://{self.socket}", *args])

    def stop(self) -> None:
        _stop(getattr(self, "proc", None))

    def start_container(
        self, cid: str, cap_add: Sequence[str], cap_drop: Sequence[str], privileged: bool
    ) -> subprocess.CompletedProcess[str]:
        args = ["run", "--rm", "--name", cid, "--runtime", "seccompkit", "--network", "none"]
        args += [f"--cap-add={c}" for c in cap_add]
        args += [f"--cap-drop={c}" for c in cap_drop]
        if privileged:
            args.append("--privileged")
        return self.docker(*args, IMAGE, "/bin/true")


class Podman(Engine):
    """``podman`` (no daemon) with private storage and the wrapper as ``--runtime``."""

    name = "podman"
    runtime = "/usr/bin/crun"

    def podman(self, *args: str) -> subprocess.CompletedProcess[str]:
        return _run(
            [
                "podman",
                f"--root={self.dir}/storage",
                f"--runroot={self.dir}/run",
                f"--tmpdir={self.dir}/tmp",
                "--storage-driver=vfs",
                "--cgroup-manager=cgroupfs",
                "--events-backend=file",
                f"--runtime={self.wrapper}",
                *args,
            ]
        )

    def start(self) -> None:
        imported = self.podman("import", str(self.tar), IMAGE)
        if imported.returncode != 0:
            raise ReadbackError(f"podman import failed: {imported.stderr}")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.podman("rm", "--all", "--force")

    def start_container(
        self, cid: str, cap_add: Sequence[str], cap_drop: Sequence[str], privileged: bool
    ) -> subprocess.CompletedProcess[str]:
        # Podman raises RLIMIT_NOFILE/NPROC to its own defaults, which a host (or an enclosing
        # container) with lower hard limits refuses: ask for low ones.
        args = ["run", "--rm", "--name", cid, "--network", "none"]
        for name, limit in (("nofile", resource.RLIMIT_NOFILE), ("nproc", resource.RLIMIT_NPROC)):
            low = min(1024, resource.getrlimit(limit)[0])
            args.append(f"--ulimit={name}={low}:{low}")
        args += [f"--cap-add={c}" for c in cap_add]
        args += [f"--cap-drop={c}" for c in cap_drop]
        if privileged:
            args.append("--privileged")
        return self.podman(*args, IMAGE, "/bin/true")


def engine_versions() -> dict[str, str]:
    """The installed engines' versions as they report them (``containerd``, ``docker``,
    ``podman``, and the runtimes they run)."""
    out: dict[str, str] = {}
    probes = {
        "containerd": ["containerd", "--version"],
        "docker": ["dockerd", "--version"],
        "podman": ["podman", "--version"],
        "runc": ["runc", "--version"],
        "crun": ["crun", "--version"],
    }
    for name, argv in probes.items():
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            text = _run(argv, timeout=30).stdout
            out[name] = text.splitlines()[0] if text else ""
    return out
