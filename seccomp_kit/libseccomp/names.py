"""Which syscalls one libseccomp version can name, and where it places them, per architecture.

Runtimes resolve a profile's names through the libseccomp they link
(``seccomp_syscall_resolve_name``) and drop those it does not know; libseccomp then places each
rule on every architecture of the filter: on the syscall's own number, and on x86, s390,
s390x, ppc, ppc64, ppc64le, mips and
mipsel (and, from 2.6, m68k, sh, sheb) also through ``socketcall(2)``/``ipc(2)`` for the socket
and SysV IPC calls. Where such a call has no number of its own on an architecture, libseccomp
keeps a pseudo-syscall entry for it (which 2.5's code generator mishandles, see
:attr:`~seccomp_kit.libseccomp.targets.LibseccompModel.pseudo_section_bug`).

The answers come from the measured tables of :mod:`._names_2_5_4` and :mod:`._names_2_6_0`
(``tools/gen_libseccomp_names.py``), not from the installed library, so they hold for a target
whose libseccomp is not on this machine.
"""

from __future__ import annotations

from functools import cache

import attrs

from seccomp_kit.libseccomp.targets import LibseccompModel
from seccomp_kit.model import Arch
from seccomp_kit.syscalls import _generated

__all__ = [
    "MUX_CALLS",
    "Placement",
    "knows_arch",
    "knows_name",
    "libseccomp_arch_name",
    "placement",
    "resolved_number",
]

# libseccomp's sub-call numbers (the first argument of socketcall(2) and ipc(2)).
_SOCKET_CALLS = (
    "socket", "bind", "connect", "listen", "accept", "getsockname", "getpeername", "socketpair",
    "send", "recv", "sendto", "recvfrom", "shutdown", "setsockopt", "getsockopt", "sendmsg",
    "recvmsg", "accept4", "recvmmsg", "sendmmsg",
)  # fmt: skip
_IPC_CALLS = {
    "semop": 1, "semget": 2, "semctl": 3, "semtimedop": 4, "msgsnd": 11, "msgrcv": 12,
    "msgget": 13, "msgctl": 14, "shmat": 21, "shmdt": 22, "shmget": 23, "shmctl": 24,
}  # fmt: skip
MUX_CALLS: dict[str, tuple[str, int]] = {
    **{name: ("socketcall", i + 1) for i, name in enumerate(_SOCKET_CALLS)},
    **{name: ("ipc", sub) for name, sub in _IPC_CALLS.items()},
}
"""Multiplexed call -> (multiplexer, sub-call number)."""


@attrs.frozen
class Placement:
    """Where libseccomp puts a rule for one name on one architecture."""

    number: int | None
    """The syscall's own number there (None: it has none)."""
    multiplexed: bool
    """Also (or only) through socketcall/ipc with argument 0 equal to the sub-call number."""

    @property
    def placed(self) -> bool:
        return self.number is not None or self.multiplexed


_ABSENT = Placement(None, False)


def libseccomp_arch_name(arch: Arch) -> str:
    """libseccomp's name of an architecture: ``SCMP_ARCH_X86_64`` -> ``x86_64``."""
    return arch.value.removeprefix("SCMP_ARCH_").lower()


def knows_arch(lib: LibseccompModel, arch: Arch) -> bool:
    """Whether this libseccomp version can build a filter for ``arch``."""
    return libseccomp_arch_name(arch) in lib.names().ARCHES


def knows_name(lib: LibseccompModel, name: str) -> bool:
    """Whether this libseccomp version resolves ``name`` at all (runtimes drop it otherwise)."""
    return _resolve(lib, "x86_64", name) != -1


@cache
def _resolve(lib: LibseccompModel, arch_name: str, name: str) -> int:
    return int(lib.names().resolve(_generated.NUMBERS, arch_name, name))


def resolved_number(lib: LibseccompModel, arch: Arch, name: str) -> int | None:
    """``seccomp_syscall_resolve_name_arch``'s answer when it is a real number: what runc's stub
    counts. A multiplexed call answers with its pseudo number even where it also has a number
    of its own, so it never raises the stub's limit."""
    nr = _resolve(lib, libseccomp_arch_name(arch), name)
    return nr if nr >= 0 else None


@cache
def placement(
    lib: LibseccompModel, arch: Arch, name: str, native: Arch | None = None
) -> Placement | None:
    """Where ``lib`` places a rule for ``name`` on ``arch`` of a filter built on ``native`` (the
    runtime's host: runtimes resolve names there); None for a name it does not know at all (the
    runtime drops it everywhere). Raises KeyError for an architecture it does not know (see
    :func:`knows_arch`).

    A name without a number on ``native`` is handed over as its pseudo number, which
    libseccomp turns back into a name to place it elsewhere: where two names share that pseudo
    number, the rule lands on the one libseccomp finds first
    (:attr:`~seccomp_kit.libseccomp.targets.LibseccompModel.pseudo_aliases`)."""
    if native is not None and arch is not native and lib.pseudo_aliases:
        alias = dict(lib.pseudo_aliases).get(name)
        if alias is not None and _resolve(lib, libseccomp_arch_name(native), name) < -1:
            name = alias
    arch_name = libseccomp_arch_name(arch)
    nr = _resolve(lib, arch_name, name)
    if nr == -1 and not knows_name(lib, name):
        return None
    if nr >= 0:
        return Placement(nr, False)
    mux = MUX_CALLS.get(name)
    if mux is None or _resolve(lib, arch_name, mux[0]) < 0:
        return _ABSENT  # a pseudo number: the call does not exist on this architecture
    names = lib.names()
    direct = None
    if name in names.MULTIPLEXED.get(arch_name, ()):
        table = _generated.NUMBERS[names.TABLE.get(arch_name, arch_name)]
        raw = table.get(name)
        direct = None if raw is None else raw + names.NR_BASE.get(arch_name, 0)
    return Placement(direct, True)
