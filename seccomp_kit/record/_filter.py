"""The recorder's own filters, loaded with pyseccomp in a forked child before ``execve``.

Two are needed: the LOG-everything filter a command is recorded under, and (for checking a
recording) a profile's plain allow list enforced with an errno default. Names are resolved with
:mod:`seccomp_kit.syscalls` (the installed libseccomp knows fewer), so rules are added by number
on the native architecture. Profiles with argument conditions or other actions are the business
of :mod:`seccomp_kit.libseccomp.compile`.
"""

from __future__ import annotations

import contextlib
from typing import Any

from seccomp_kit.errors import InputError, LibseccompUnavailableError
from seccomp_kit.model import Action, Arch, Profile
from seccomp_kit.syscalls import table
from seccomp_kit.syscalls.arches import native_arch

__all__ = ["load_allow_list", "load_log_filter"]


def _pyseccomp() -> Any:
    try:
        import pyseccomp
    except (ImportError, OSError) as exc:  # OSError: libseccomp.so missing
        raise LibseccompUnavailableError(f"libseccomp is not available: {exc}") from exc
    return pyseccomp


def load_log_filter() -> None:
    """Install a filter whose every verdict is SCMP_ACT_LOG (sets no_new_privs). On x86_64 the
    i386 and x32 ABIs are covered too, so 32-bit callers are logged rather than killed."""
    sc = _pyseccomp()
    f = sc.SyscallFilter(sc.LOG)
    if native_arch() is Arch.X86_64:
        for arch in (sc.Arch.X86, sc.Arch.X32):
            with contextlib.suppress(OSError):
                f.add_arch(arch)
    f.load()


def load_allow_list(profile: Profile) -> None:
    """Enforce a recorded profile (unconditional ALLOW rules, an ERRNO/KILL default) on this
    process, for the native architecture."""
    sc = _pyseccomp()
    default = profile.default_action
    if default == Action.ERRNO:
        errno_ret = 1 if profile.default_errno_ret is None else profile.default_errno_ret
        action = sc.ERRNO(errno_ret)
    elif default in (Action.KILL, Action.KILL_THREAD):
        action = sc.KILL
    elif default == Action.KILL_PROCESS:
        action = sc.KILL_PROCESS
    else:
        raise InputError(
            f"cannot enforce a default of {default}: use seccomp_kit.libseccomp.compile"
        )
    tbl = table(native_arch())
    f = sc.SyscallFilter(action)
    for rule in profile.syscalls:
        if rule.action != Action.ALLOW or rule.args:
            raise InputError("only unconditional ALLOW rules can be enforced here")
        for name in rule.names:
            nr = tbl.number(name)
            if nr is not None:
                f.add_rule(sc.ALLOW, nr)
    f.load()
