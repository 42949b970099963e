"""Field-level parsing of SECCOMP audit records: the careful path every record shape can take.

The fast path in :mod:`seccomp_kit.audit` handles the kernel's own text (by far the most common
shape) and caches the results of this module, so the cost here is paid once per distinct
process/syscall combination, not once per record.
"""

from __future__ import annotations

import re
import time
from typing import Any

from seccomp_kit.audit._stamp import plain_serial, plain_stamp
from seccomp_kit.model import UINT32_MAX, UINT64_MAX, Arch
from seccomp_kit.syscalls import table
from seccomp_kit.syscalls.arches import X32_SYSCALL_BIT, arch_info, by_audit, by_native

__all__ = [
    "AUID_UNSET",
    "INTERPRETED_ARCHES",
    "INTERPRETED_CODES",
    "Reason",
    "parse_body",
    "parse_stamp",
    "resolve_syscall",
]

AUID_UNSET = 0xFFFF_FFFF


class Reason:
    """Why a record (or a line that looked like one) produced no event; these are the keys of
    :attr:`seccomp_kit.audit.AuditStats.skipped`."""

    TRUNCATED = "truncated"  # a required field is missing: the line was cut or merged
    MALFORMED = "malformed"  # a field holds a value the kernel never prints
    UNKNOWN_ARCH = "unknown architecture"  # an arch= code no architecture table has
    DUPLICATE = "duplicate"  # the same record (node, serial) seen again
    BAD_JSON = "bad journal JSON"  # a journald JSON line that does not parse


# The fields the kernel prints, in its order (kernel/auditsc.c audit_seccomp); ``subj`` is the
# one value that may contain spaces, so values run up to the next known key.
_KEY = re.compile(
    r"(?:^|(?<= ))(auid|uid|gid|ses|subj|pid|comm|exe|sig|arch|syscall|compat|ip|code)="
)
_REQUIRED = ("arch", "syscall", "code")

# audit userspace's machine names (lib/machinetab.h), as ``ausearch -i`` and ENRICHED logs print.
INTERPRETED_ARCHES: dict[str, Arch] = {
    "i386": Arch.X86, "i486": Arch.X86, "i586": Arch.X86, "i686": Arch.X86,
    "x86_64": Arch.X86_64,
    "armeb": Arch.ARM, "armv5tejl": Arch.ARM, "armv5tel": Arch.ARM, "armv6l": Arch.ARM,
    "armv7l": Arch.ARM, "arm": Arch.ARM, "aarch64": Arch.AARCH64,
    "ppc": Arch.PPC, "ppc64": Arch.PPC64, "ppc64le": Arch.PPC64LE,
    "s390": Arch.S390, "s390x": Arch.S390X,
    "mips": Arch.MIPS, "mipsel": Arch.MIPSEL, "mips64": Arch.MIPS64, "mips64el": Arch.MIPSEL64,
    "mips64n32": Arch.MIPS64N32, "mips64eln32": Arch.MIPSEL64N32,
    "riscv64": Arch.RISCV64, "loongarch64": Arch.LOONGARCH64,
}  # fmt: skip

# ``ausearch -i`` renders the action (auparse interpret.c print_seccomp_code).
INTERPRETED_CODES: dict[str, int] = {
    "kill": 0x0000_0000,
    "kill-thread": 0x0000_0000,
    "kill-process": 0x8000_0000,
    "trap": 0x0003_0000,
    "errno": 0x0005_0000,
    "user-notif": 0x7FC0_0000,
    "trace": 0x7FF0_0000,
    "log": 0x7FFC_0000,
    "allow": 0x7FFF_0000,
}

_HEX = frozenset("0123456789ABCDEFabcdef")


class _Bad(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


def _digits(value: str) -> bool:
    # str.isdigit() alone accepts superscripts and other digits int() refuses
    return value.isascii() and value.isdigit()


def _int(value: str, limit: int = UINT32_MAX) -> int:
    if not _digits(value) or len(value) > 20:
        raise _Bad(Reason.MALFORMED)
    number = int(value)
    if number > limit:
        raise _Bad(Reason.MALFORMED)
    return number


def _id(value: str | None, interpreted: bool) -> int | None:
    """auid/uid/gid/ses: a number, or what ``ausearch -i`` makes of one."""
    if value is None or value in ("invalid", "?", ""):
        return None
    if _digits(value):
        return _int(value)
    if value == "unset":
        return AUID_UNSET
    if interpreted and value == "root":
        return 0
    if interpreted:
        # A user or group name from the machine that ran ausearch: not a number we can trust.
        return None
    raise _Bad(Reason.MALFORMED)


def _text(value: str | None, interpreted: bool) -> str | None:
    """comm/exe: quoted, bare hex (spaces, quotes, control or non-ASCII bytes), or ``(null)``."""
    if value is None or value in ("(null)", "?", ""):
        return None
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return value[1:-1]
    if interpreted:
        return value
    if len(value) % 2 == 0 and _HEX.issuperset(value):
        return bytes.fromhex(value).decode("utf-8", "backslashreplace")
    # The kernel quotes or hex-encodes; anything else means the line was damaged.
    raise _Bad(Reason.MALFORMED)


def _hexnum(value: str, limit: int) -> int:
    digits = value[2:] if value[:2] in ("0x", "0X") else value
    if not digits or len(digits) > 16 or not _HEX.issuperset(digits):
        raise _Bad(Reason.MALFORMED)
    number = int(digits, 16)
    if number > limit:
        raise _Bad(Reason.MALFORMED)
    return number


def resolve_syscall(arch_code: int, nr: int, compat: bool | None) -> tuple[Arch, str | None]:
    """The architecture whose table ``nr`` belongs to, and its name there (None if unknown).

    The kernel reports a 32-bit caller on a 64-bit kernel with the 32-bit ``AUDIT_ARCH``
    (i386 on x86_64); a record that says x86_64 with ``compat=1`` is therefore either x32 (the
    syscall number carries ``__X32_SYSCALL_BIT``) or an i386 caller, and we read it that way.
    """
    info = by_audit(arch_code)
    if info is None:
        raise _Bad(Reason.UNKNOWN_ARCH)
    arch = info.arch
    if arch is Arch.X86_64:
        if nr & X32_SYSCALL_BIT:
            arch = Arch.X32
        elif compat:
            arch = Arch.X86
    return arch, table(arch).name(nr)


def parse_stamp(stamp: str) -> tuple[float | None, int]:
    """``SECONDS.MILLIS:SERIAL`` or ausearch -i's ``MM/DD/YY[YY] HH:MM:SS.mmm:SERIAL``.

    What is valid is :mod:`seccomp_kit.audit._stamp`'s, shared with the C scanner."""
    head, sep, serial = stamp.rpartition(":")
    number = plain_serial(serial)
    if not sep or number is None:
        raise _Bad(Reason.MALFORMED)
    if "/" not in head:
        if not plain_stamp(head):
            raise _Bad(Reason.MALFORMED)
        return float(head), number
    clock, dot, millis = head.partition(".")
    if dot and not plain_stamp("0." + millis):
        raise _Bad(Reason.MALFORMED)
    for fmt in ("%m/%d/%Y %H:%M:%S", "%m/%d/%y %H:%M:%S"):
        try:
            parsed = time.strptime(clock, fmt)
        except ValueError:
            continue
        # ausearch -i prints the time in the local zone of the machine that ran it.
        try:
            base = time.mktime(parsed)
        except (OverflowError, ValueError):
            raise _Bad(Reason.MALFORMED) from None
        frac = int(millis) / 10 ** len(millis) if dot else 0.0
        return base + frac, number
    raise _Bad(Reason.MALFORMED)


def parse_body(body: str, *, interpreted: bool | None = None) -> dict[str, Any] | str:
    """The fields of one record's body (the text after ``audit(…):``) as event keywords, or a
    :class:`Reason` string.

    ``interpreted`` says the text came from ``ausearch -i`` (names instead of numbers); None
    decides from the ``arch=`` field.
    """
    raw, _, _enriched = body.partition("\x1d")
    fields: dict[str, str] = {}
    matches = list(_KEY.finditer(raw))
    if not matches or raw[: matches[0].start()].strip():
        return Reason.TRUNCATED if not matches else Reason.MALFORMED
    for i, m in enumerate(matches):
        end = matches[i + 1].start() - 1 if i + 1 < len(matches) else len(raw)
        key = m.group(1)
        if key in fields:
            return Reason.MALFORMED
        fields[key] = raw[m.end() : end].strip()
    if any(key not in fields for key in _REQUIRED):
        return Reason.TRUNCATED
    try:
        return _fields(fields, interpreted)
    except _Bad as bad:
        return bad.reason


def _fields(fields: dict[str, str], interpreted: bool | None) -> dict[str, Any]:
    arch_text = fields["arch"]
    if interpreted is None:
        interpreted = arch_text in INTERPRETED_ARCHES or (
            arch_text not in ("", "0") and not _HEX.issuperset(arch_text)
        )
    syscall_text = fields["syscall"]
    compat_text = fields.get("compat")
    compat = None if compat_text is None else bool(_int(compat_text, 1))
    if interpreted:
        arch_enum = INTERPRETED_ARCHES.get(arch_text)
        if arch_enum is None:
            info = by_native(arch_text)
            if info is None:
                raise _Bad(Reason.UNKNOWN_ARCH)
            arch_enum = info.arch
        arch_code = arch_info(arch_enum).audit
        if _digits(syscall_text):
            nr = _int(syscall_text)
        else:
            # x32 callers show as x86_64 with the x32 name; try the tables the record could mean.
            candidates = [arch_enum]
            if arch_enum is Arch.X86_64:
                candidates = [Arch.X86, Arch.X86_64] if compat else [Arch.X86_64, Arch.X32]
            for cand in candidates:
                number = table(cand).number(syscall_text)
                if number is not None:
                    nr = number
                    break
            else:
                raise _Bad(Reason.MALFORMED)
        code_text = fields["code"]
        code = INTERPRETED_CODES.get(code_text)
        if code is None:
            code = _hexnum(code_text, UINT32_MAX)
    else:
        arch_code = _hexnum(arch_text, UINT32_MAX)
        nr = _int(syscall_text)
        code = _hexnum(fields["code"], UINT32_MAX)
    arch, name = resolve_syscall(arch_code, nr, compat)
    ip_text = fields.get("ip")
    subj = fields.get("subj")
    pid = fields.get("pid")
    sig = fields.get("sig")
    return {
        "pid": None if pid is None else _int(pid),
        "auid": _id(fields.get("auid"), interpreted),
        "uid": _id(fields.get("uid"), interpreted),
        "gid": _id(fields.get("gid"), interpreted),
        "ses": _id(fields.get("ses"), interpreted),
        "subj": None if subj in (None, "?") else subj,
        "comm": _text(fields.get("comm"), interpreted),
        "exe": _text(fields.get("exe"), interpreted),
        "sig": None if sig is None else _int(sig, 255),
        "arch": arch,
        "arch_code": arch_code,
        "syscall_nr": nr,
        "syscall": name,
        "compat": compat,
        "ip": None if ip_text is None else _hexnum(ip_text, UINT64_MAX),
        "code": code,
    }
