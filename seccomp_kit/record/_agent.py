"""A seccomp agent on an OCI ``listenerPath``: record containers through the notify fds that
runtimes hand over.

A runtime whose profile names ``listenerPath`` connects to that Unix socket after loading the
filter and sends one message: the container state as JSON (``ociVersion``, ``fds``, ``pid``,
``metadata``, ``state`` with the container ``id``) with the fds ``fds`` names attached as
SCM_RIGHTS (``seccompFd`` is the listener). The :class:`Agent` serves any number of such
connections at once: each valid one gets a :class:`~._notify.NotifySupervisor` thread that
counts every notified call (and, with ``args``, its table arguments, :mod:`._args`) and
continues it; when the container's last process exits (the listener hangs up) or the agent
stops, ``OUT/<id>.json`` is written. Bad peers are logged and refused; the others go on.

:func:`oci_seccomp` builds the ``linux.seccomp`` object that makes a runtime report every
syscall to the agent, for a target: only names the target's libseccomp resolves are listed
(runtimes warn about, and drop, the others).
"""

from __future__ import annotations

import array
import contextlib
import json
import os
import re
import socket
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

import attrs

from seccomp_kit.errors import InputError
from seccomp_kit.io import dumps
from seccomp_kit.libseccomp.names import knows_arch, knows_name
from seccomp_kit.libseccomp.targets import Target, target
from seccomp_kit.model import Action, Arch, Dialect, Profile, SyscallRule
from seccomp_kit.record._args import ArgObserver
from seccomp_kit.record._notify import NotifySupervisor, is_listener
from seccomp_kit.record._recorder import RUNTIME_BASELINES, record
from seccomp_kit.syscalls import table
from seccomp_kit.syscalls.arches import native_arch, parse_arch

__all__ = ["Agent", "ContainerRecording", "oci_seccomp"]

MAX_STATE = 1 << 20
"""Largest state document accepted (runtimes send a few KiB, annotations included)."""
_MAX_FDS = 16
_ID = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_.+-]{0,1023}\Z")
# Never notified: NOTIFY on write is refused by runc (and the agent's own logging may need it).
_NEVER = frozenset({"write"})


def oci_seccomp(
    socket_path: str,
    *,
    metadata: str | None = None,
    arches: Iterable[Arch | str] | None = None,
    runtimes: Iterable[str] = ("runc", "crun"),
    runtime: str | Target = "runc",
    libseccomp: str = "installed",
) -> Profile:
    """The profile that makes a runtime report every syscall to the agent at ``socket_path``:
    NOTIFY for every syscall of ``arches`` (default: this machine's) that the target's
    libseccomp resolves (``runtime``/``libseccomp``, see
    :func:`~seccomp_kit.libseccomp.targets.target`), except ``write`` and what the ``runtimes``
    call after loading the filter (their baseline: notifying those would stall the runtime
    before it can hand the fd over), which are allowed; the default action is ALLOW (NOTIFY
    may not be the default).

    The baselines of both runtimes are allowed by default whatever the target: a node's
    profile may be handed to either, and a runtime stalled on its own call never hands the fd
    over, while allowing a few calls outright only leaves them unobserved (the agent's
    recordings allow them anyway)."""
    if not socket_path.startswith("/"):
        raise InputError(f"listenerPath must be an absolute path, not {socket_path!r}")
    goal = target(runtime, libseccomp)
    chosen = [parse_arch(a) for a in arches] if arches is not None else [native_arch()]
    for arch in chosen:
        refused = goal.runtime is not None and arch in goal.runtime.unsupported
        if refused or not knows_arch(goal.libseccomp, arch):
            raise InputError(f"{goal} cannot build a filter for {arch.value}")
    allowed = set(_NEVER)
    for name in runtimes:
        if name not in RUNTIME_BASELINES:
            raise InputError(f"unknown runtime {name!r}; known: runc, crun")
        allowed |= RUNTIME_BASELINES[name]
    # A name the target's libseccomp cannot resolve is dropped by the runtime (crun warns):
    # listing it would only add noise, and its calls would be allowed unobserved either way.
    names = sorted(
        {n for arch in chosen for n in table(arch).by_name if knows_name(goal.libseccomp, n)}
        - allowed
    )
    return Profile(
        default_action=Action.ALLOW,
        architectures=tuple(chosen),
        listener_path=socket_path,
        listener_metadata=metadata,
        syscalls=(SyscallRule(names=names, action=Action.NOTIFY),),
        dialect=Dialect.OCI,
    )


@attrs.frozen
class ContainerRecording:
    """One container's recording, as written."""

    id: str
    pid: int | None
    path: Path
    complete: bool
    """False when the agent stopped before the container exited."""
    calls: int


class _Container:
    def __init__(self, cid: str, pid: int | None, fd: int, args: bool) -> None:
        self.id = cid
        self.pid = pid
        self.fd = fd
        self.args = args
        self.observer = ArgObserver()
        self.supervisor = NotifySupervisor(fd, self.observer)
        self.thread: threading.Thread | None = None


class Agent:
    """Serve ``socket_path``; write each container's profile to ``out_dir/<id>.json``.

    :meth:`serve` blocks until :meth:`stop` (or, with ``once``, until the first container's
    profile is written); every open recording is written on the way out. ``log`` receives one
    line per event (connections, refusals, profiles written).
    """

    def __init__(
        self,
        socket_path: str | os.PathLike[str],
        out_dir: str | os.PathLike[str],
        *,
        args: bool = False,
        once: bool = False,
        max_values: int = 16,
        runtimes: Iterable[str] = ("runc", "crun"),
        log: Callable[[str], None] = lambda _line: None,
        handshake_timeout: float = 5.0,
    ) -> None:
        self.socket_path = Path(socket_path)
        self.out_dir = Path(out_dir)
        self.args = args
        self.once = once
        self.max_values = max_values
        self.baseline = set(_NEVER).union(*(RUNTIME_BASELINES[r] for r in runtimes))
        self.log = log
        self.handshake_timeout = handshake_timeout
        self.written: list[ContainerRecording] = []
        self._containers: dict[str, _Container] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: socket.socket | None = None

    # -- serving ------------------------------------------------------------------------------

    def bind(self) -> None:
        """Create the socket (replacing a stale one) so runtimes can connect."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            if self.socket_path.is_socket():
                self.socket_path.unlink()
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(self.socket_path))
        server.listen(64)
        server.settimeout(0.1)
        self._server = server

    def serve(self) -> None:
        if self._server is None:
            self.bind()
        assert self._server is not None
        try:
            while not self._stop.is_set():
                try:
                    conn, _ = self._server.accept()
                except TimeoutError:
                    continue
                threading.Thread(
                    target=self._handshake, args=(conn,), name="seccomp-kit-agent", daemon=True
                ).start()
        finally:
            self._server.close()
            with contextlib.suppress(OSError):
                self.socket_path.unlink()
            self._finish_all()

    def stop(self) -> None:
        self._stop.set()

    # -- one connection -----------------------------------------------------------------------

    def _handshake(self, conn: socket.socket) -> None:
        try:
            with conn:
                conn.settimeout(self.handshake_timeout)
                data, fds = self._receive(conn)
                container = self._accept(data, fds)
        except _Refused as exc:
            self.log(f"refused a connection: {exc}")
            for fd in exc.fds:
                with contextlib.suppress(OSError):
                    os.close(fd)
            return
        self._run(container)

    def _receive(self, conn: socket.socket) -> tuple[bytes, list[int]]:
        data = b""
        fds: list[int] = []
        space = socket.CMSG_SPACE(_MAX_FDS * 4)
        while True:
            try:
                chunk, ancdata, flags, _ = conn.recvmsg(65536, space)
            except TimeoutError:
                raise _Refused(
                    f"no complete state within {self.handshake_timeout:g} s", fds
                ) from None
            except OSError as exc:
                raise _Refused(f"receive failed: {exc.strerror or exc}", fds) from exc
            for level, kind, payload in ancdata:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    got = array.array("i")
                    got.frombytes(payload[: len(payload) - len(payload) % 4])
                    fds += got.tolist()
            if flags & socket.MSG_CTRUNC:
                raise _Refused("too many file descriptors", fds)
            if not chunk:
                return data, fds
            data += chunk
            if len(data) > MAX_STATE:
                raise _Refused(f"state document larger than {MAX_STATE} bytes", fds)
            if _complete_json(data):
                return data, fds

    def _accept(self, data: bytes, fds: list[int]) -> _Container:
        try:
            state = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise _Refused("the state is not JSON", fds) from None
        if not isinstance(state, dict):
            raise _Refused("the state is not a JSON object", fds)
        names = state.get("fds")
        inner = state.get("state")
        cid = inner.get("id") if isinstance(inner, dict) else None
        if not isinstance(cid, str) or not _ID.match(cid):
            raise _Refused(f"no usable container id in the state ({cid!r})", fds)
        if not isinstance(names, list) or "seccompFd" not in names:
            raise _Refused(f"{cid}: the state names no seccompFd", fds)
        index = names.index("seccompFd")
        if index >= len(fds):
            raise _Refused(f"{cid}: seccompFd was not sent with the state", fds)
        fd = fds[index]
        if not is_listener(f"/proc/self/fd/{fd}"):
            raise _Refused(f"{cid}: seccompFd is not a seccomp listener", fds)
        for other in fds:
            if other != fd:
                with contextlib.suppress(OSError):
                    os.close(other)
        pid = state.get("pid")
        container = _Container(cid, pid if isinstance(pid, int) else None, fd, self.args)
        with self._lock:
            if cid in self._containers or self._stop.is_set():
                why = "already being recorded" if cid in self._containers else "agent stopping"
                raise _Refused(f"{cid}: {why}", [fd])
            self._containers[cid] = container
        self.log(f"{cid}: recording (pid {container.pid})")
        return container

    def _run(self, container: _Container) -> None:
        container.thread = threading.current_thread()
        try:
            container.supervisor.run()
        finally:
            complete = not self._stop.is_set()
            self._write(container, complete)
            if self.once:
                self.stop()

    def _write(self, container: _Container, complete: bool) -> None:
        with self._lock:
            if self._containers.pop(container.id, None) is None:
                return  # written already
        os.close(container.fd)
        obs = container.observer
        recording = record(
            [],
            notified=obs.calls,
            baseline=self.baseline,
            arguments={n: dict(c) for n, c in obs.counts.items()} if container.args else None,
            clone3_unknown=obs.clone3_unknown,
            max_values=self.max_values,
        )
        path = self.out_dir / f"{container.id}.json"
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(dumps(recording.profile), encoding="utf-8")
        tmp.replace(path)
        self.written.append(
            ContainerRecording(container.id, container.pid, path, complete, obs.calls.total())
        )
        state = "" if complete else " (the agent stopped before the container exited)"
        self.log(f"{container.id}: wrote {path}, {obs.calls.total()} calls{state}")
        for warning in obs.warnings():
            self.log(f"{container.id}: {warning}")

    def _finish_all(self) -> None:
        with self._lock:
            open_ones = list(self._containers.values())
        for container in open_ones:
            container.supervisor.stop()
        for container in open_ones:
            if container.thread is not None:
                container.thread.join()
            self._write(container, complete=False)


class _Refused(Exception):
    def __init__(self, why: str, fds: list[int]) -> None:
        super().__init__(why)
        self.fds = fds


def _complete_json(data: bytes) -> bool:
    try:
        json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return False
    return True
