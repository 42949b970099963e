"""Running a workload so that it always stops cleanly and never outlives the recorder.

The workload runs in a process group of its own. While it runs:

- SIGINT, SIGTERM and SIGHUP sent to the recorder are forwarded to that group (when the
  recorder waits in the main thread, where Python lets us catch them); the workload then has
  ``grace`` seconds to exit before the group gets SIGKILL;
- ``timeout`` sends ``stop_signal`` (SIGTERM by default) first, with the same grace, so the
  shutdown path runs (and is recorded) too;
- when the command itself has exited, whatever it left running in its group or its audit
  session gets ``stop_signal``, then SIGKILL after the grace;
- a watchdog process, forked before the workload, kills the group and the session with
  SIGKILL if the recorder itself dies (even by SIGKILL), so nothing is left behind.

When standard input is a terminal whose foreground group is ours, the terminal is handed to
the workload's group for the run (so an interactive workload can read it, and Ctrl-C reaches
it directly) and taken back afterwards.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator

import attrs

__all__ = ["Exit", "Watchdog", "forwarded_signals", "signal_name", "stop_workload", "wait_workload"]

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


@attrs.frozen
class Exit:
    """How the workload ended, shell style, and why."""

    status: int
    """The exit status, or 128 + N when signal N ended it."""
    reason: str
    """One line: how it ended and who asked it to."""
    stopped_by: str | None = None
    """``"timeout"`` or the name of the signal the recorder received; None when it ended on
    its own."""
    leftovers: int = 0
    """Processes that outlived the command and were stopped."""


def _status(wait_status: int) -> int:
    if os.WIFSIGNALED(wait_status):
        return 128 + os.WTERMSIG(wait_status)
    return os.waitstatus_to_exitcode(wait_status)


def _describe(wait_status: int) -> str:
    if os.WIFSIGNALED(wait_status):
        return f"killed by {signal_name(os.WTERMSIG(wait_status))}"
    return f"exited with status {os.waitstatus_to_exitcode(wait_status)}"


def session_members(session: int | None) -> list[int]:
    """Pids whose audit session is ``session`` (none for None)."""
    if session is None:
        return []
    own = os.getpid()
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == own:
            continue
        try:
            with open(f"/proc/{entry}/sessionid", "rb") as f:
                if int(f.read() or b"-1") == session:
                    out.append(int(entry))
        except (OSError, ValueError):
            continue
    return out


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_all(pgid: int, session: int | None, sig: int) -> int:
    """Send ``sig`` to the group and to every process of the audit session; how many got it
    (at least one for a live group)."""
    hit = 0
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)
        hit += 1
    for pid in session_members(session):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)
            hit += 1
    return hit


def _reap_zombies() -> None:
    # Descendants re-parented to us (a subreaper) must not stay zombies.
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass


class Watchdog:
    """A forked process that kills the workload's group and audit session with SIGKILL when
    the recorder dies without saying goodbye. :meth:`arm` tells it what to guard;
    :meth:`disarm` lets it exit quietly."""

    def __init__(self) -> None:
        read_fd, self._write = os.pipe2(os.O_CLOEXEC)
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the watchdog
            self._serve(read_fd)
        os.close(read_fd)
        self.pid = pid

    def _serve(self, read_fd: int) -> None:  # pragma: no cover - runs in the watchdog
        try:
            for sig in FORWARDED:
                signal.signal(sig, signal.SIG_IGN)
            os.setsid()  # out of the recorder's group: its signals are not ours
            os.closerange(0, read_fd)
            os.closerange(read_fd + 1, 1 << 16)
            data = b""
            while chunk := os.read(read_fd, 64):
                data += chunk
                if data.endswith(b"done\n"):
                    os._exit(0)
            for line in data.decode().splitlines():
                pgid, _, session = line.partition(" ")
                ses = int(session) if session.isdigit() else None
                # Twice: a process may fork between the group kill and the session scan.
                for _ in range(2):
                    _signal_all(int(pgid), ses, signal.SIGKILL)
        finally:
            os._exit(0)

    def arm(self, pgid: int, session: int | None) -> None:
        os.write(self._write, f"{pgid} {session if session is not None else '-'}\n".encode())

    def disarm(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self._write, b"done\n")
        os.close(self._write)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


@contextlib.contextmanager
def forwarded_signals() -> Iterator[list[int]]:
    """Catch SIGINT, SIGTERM and SIGHUP while the block runs (main thread only; elsewhere
    nothing is caught) and list them, in arrival order, in the yielded list."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return
    previous = {}
    for sig in FORWARDED:
        previous[sig] = signal.signal(sig, lambda n, _f: received.append(n))
    try:
        yield received
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def terminal_for(pgid: int) -> Iterator[None]:
    """Hand the controlling terminal on stdin to ``pgid`` while the block runs, when it is
    ours to give."""
    try:
        ours = os.isatty(0) and os.tcgetpgrp(0) == os.getpgrp()
    except OSError:
        ours = False
    if ours:
        with contextlib.suppress(OSError):
            os.tcsetpgrp(0, pgid)
            # It may have touched the terminal before it was its own, and been stopped for it.
            os.killpg(pgid, signal.SIGCONT)
    try:
        yield
    finally:
        if ours:
            # Taking it back from the background would stop us with SIGTTOU: block it.
            old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTTOU})
            with contextlib.suppress(OSError):
                os.tcsetpgrp(0, os.getpgrp())
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


def wait_workload(
    pid: int,
    *,
    received: list[int],
    session: int | None = None,
    timeout: float | None = None,
    grace: float = 10.0,
    stop_signal: int = signal.SIGTERM,
    poll: Callable[[float], object] | None = None,
) -> Exit:
    """Wait for the workload ``pid`` (leader of its own group), forwarding each signal that
    arrives in ``received`` and enforcing ``timeout`` and ``grace`` (see the module notes).
    ``poll(seconds)`` is called while waiting (to read records); without it we sleep."""
    start = time.monotonic()
    forwarded = 0
    stopped_by: str | None = None
    reason_extra = ""
    kill_at: float | None = None
    while True:
        done, wait_status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        now = time.monotonic()
        if forwarded < len(received):
            for sig in received[forwarded:]:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, sig)
                if stopped_by is None:
                    stopped_by = signal_name(sig)
                    reason_extra = f" after {signal_name(sig)} to the recorder was forwarded"
            forwarded = len(received)
            kill_at = kill_at if kill_at is not None else now + grace
        elif timeout is not None and stopped_by is None and now - start >= timeout:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, stop_signal)
            stopped_by = "timeout"
            reason_extra = f" after the {timeout:g} s timeout sent {signal_name(stop_signal)}"
            kill_at = now + grace
        elif kill_at is not None and now >= kill_at:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            reason_extra += f", still running {grace:g} s later: SIGKILL"
            kill_at = float("inf")
        if poll is not None:
            poll(0.05)
        else:
            time.sleep(0.02)
    status = _status(wait_status)
    reason = _describe(wait_status) + reason_extra
    leftovers = stop_workload(pid, session=session, grace=grace, stop_signal=stop_signal, poll=poll)
    if leftovers:
        reason += f"; {leftovers} process(es) it left running were stopped"
    return Exit(status, reason, stopped_by, leftovers)


def stop_workload(
    pgid: int,
    *,
    session: int | None = None,
    grace: float = 10.0,
    stop_signal: int = signal.SIGTERM,
    poll: Callable[[float], object] | None = None,
) -> int:
    """Stop what is left of the group ``pgid`` and the audit ``session``: ``stop_signal``,
    then SIGKILL after ``grace``. Returns how many processes were still there."""
    left = len(session_members(session)) or int(_group_alive(pgid))
    if not left:
        return 0
    _signal_all(pgid, session, stop_signal)
    end = time.monotonic() + grace
    while time.monotonic() < end and (_group_alive(pgid) or session_members(session)):
        _reap_zombies()
        if poll is not None:
            poll(0.05)
        else:
            time.sleep(0.02)
    while _signal_all(pgid, session, signal.SIGKILL):
        _reap_zombies()
        time.sleep(0.01)
    return left
