"""Hypothesis strategy for SCMP_ACT_LOG records as text, paired with the event they hold.

Every shape :mod:`seccomp_kit.audit` reads is generated from one random record. Each example is
an :class:`AuditLine`: a ``str`` (the line, usable wherever text is) whose ``event`` attribute is
the event parsing it must give, so a property test can assert exactly that, field by field. Values
cover what the kernel prints: comm/exe that need hex encoding, ``exe=(null)``, missing
uid/gid, subj labels with spaces and ``=``, compat callers, x32, foreign architectures, every
action code.
"""

from __future__ import annotations

import json
from collections.abc import Collection

import attrs
import hypothesis.strategies as st
from hypothesis.errors import InvalidArgument

from seccomp_kit.audit import AuditEvent
from seccomp_kit.model import Arch
from seccomp_kit.syscalls import table
from seccomp_kit.syscalls.arches import X32_SYSCALL_BIT, arch_info

__all__ = ["FORMATS", "AuditLine", "audit_records"]

FORMATS = (
    "netlink",  # type=1326 audit(…): … (what the multicast group delivers)
    "kernel",  # audit: type=1326 audit(…): … (dmesg without a prefix)
    "dmesg",  # [  123.456789] audit: …
    "dmesg-caller",  # [  123.456789][ T55] audit: …
    "kmsg",  # 5,352,522117916,-;audit: …
    "syslog",  # <5>Jul  8 10:31:23 host kernel: [  270.853767] audit: …
    "auditd",  # type=SECCOMP msg=audit(…): …
    "auditd-node",  # node=host type=SECCOMP msg=audit(…): …
    "enriched",  # auditd ENRICHED: … code=0x7ffc0000<GS>AUID="unset" …
    "journal-json",  # journalctl -o json, kernel transport
    "journal-json-audit",  # journalctl -o json, audit transport
    "journal-audit",  # journalctl short, audit transport: audit[PID]: SECCOMP auid=…
)


class AuditLine(str):
    """A generated record line; ``event`` is what :func:`seccomp_kit.audit.parse` must make
    of it."""

    event: AuditEvent

    def __new__(cls, text: str, event: AuditEvent) -> AuditLine:
        line = super().__new__(cls, text)
        line.event = event
        return line

    def __reduce__(self) -> tuple[type[AuditLine], tuple[str, AuditEvent]]:
        return (AuditLine, (str(self), self.event))


_ARCHES = (Arch.X86_64, Arch.X86, Arch.X32, Arch.AARCH64, Arch.ARM, Arch.S390X, Arch.RISCV64)
_CODES = (0x7FFC_0000, 0x0005_0001, 0x0005_0026, 0x8000_0000, 0, 0x0003_0000, 0x7FF0_0000)
_IDS = st.one_of(st.sampled_from((0, 1000, 0xFFFF_FFFF)), st.integers(0, 0xFFFF_FFFF))
_NEEDS_HEX = frozenset(range(0x21)) | {0x22, 0x7F} | frozenset(range(0x80, 0x100))


def _encode(value: str) -> str:
    raw = value.encode("utf-8", "surrogateescape")
    if any(b in _NEEDS_HEX for b in raw):
        return raw.hex().upper()
    return f'"{value}"'


# comm/exe: anything UTF-8 encodes but NUL (the kernel hex-encodes what is not plain printable
# ASCII). UTF-8 encodes all but the surrogates (category Cs); codec="utf-8" would say the same
# but makes Hypothesis scan all of Unicode, over a second inside a new project's first draw.
_TEXT = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), min_size=1, max_size=16
)
# Node names. The alphabet is given: from_regex's default (every character UTF-8 encodes) is
# given as a codec, with the same scan of Unicode as above.
_HOSTS = st.from_regex(
    r"[a-z][a-z0-9-]{0,15}",
    fullmatch=True,
    alphabet=st.characters(min_codepoint=0x2D, max_codepoint=0x7A),
)
_SUBJ = st.one_of(
    st.none(),
    st.sampled_from(
        (
            "unconfined",
            "=unconfined",
            "system_u:system_r:container_t:s0:c1,c2",
            "cri-containerd.apparmor.d (enforce)",
            "=varmor-demo//null-/bin/sleep (complain)",
        )
    ),
)


@st.composite
def _events(draw: st.DrawFn) -> AuditEvent:
    arch = draw(st.sampled_from(_ARCHES))
    names = sorted(table(arch).by_name)
    name = draw(st.sampled_from(names))
    nr = table(arch).number(name)
    assert nr is not None
    info = arch_info(arch)
    compat: bool | None = arch in (Arch.X86, Arch.ARM, Arch.X32)
    if arch is Arch.X32:
        assert nr & X32_SYSCALL_BIT
    has_ids = draw(st.booleans())
    seconds = draw(st.integers(1_000_000_000, 2_000_000_000))
    millis = draw(st.integers(0, 999))
    return AuditEvent(
        timestamp=float(f"{seconds}.{millis:03d}"),
        serial=draw(st.integers(1, 2**40)),
        node=None,
        pid=draw(st.integers(1, 4_194_304)),
        auid=draw(_IDS),
        uid=draw(_IDS) if has_ids else None,
        gid=draw(_IDS) if has_ids else None,
        ses=draw(_IDS),
        subj=draw(_SUBJ),
        comm=draw(_TEXT),
        exe=draw(st.one_of(st.none(), _TEXT.map(lambda s: "/usr/bin/" + s))),
        sig=0,
        arch=arch,
        arch_code=info.audit if arch is not Arch.X32 else arch_info(Arch.X86_64).audit,
        syscall_nr=nr,
        syscall=name,
        compat=compat,
        ip=draw(st.integers(0, 2**64 - 1)),
        code=draw(st.sampled_from(_CODES)),
    )


def _body(e: AuditEvent) -> str:
    parts = [f"auid={e.auid}"]
    if e.uid is not None:
        parts.append(f"uid={e.uid}")
    if e.gid is not None:
        parts.append(f"gid={e.gid}")
    parts.append(f"ses={e.ses}")
    if e.subj is not None:
        parts.append(f"subj={e.subj}")
    parts.append(f"pid={e.pid}")
    parts.append(f"comm={_encode(e.comm or '')}")
    parts.append("exe=(null)" if e.exe is None else f"exe={_encode(e.exe)}")
    parts.append(
        f"sig={e.sig} arch={e.arch_code:x} syscall={e.syscall_nr} compat={int(bool(e.compat))}"
        f" ip={e.ip:#x} code={e.code:#x}"
    )
    return " ".join(parts)


def _stamp(e: AuditEvent) -> str:
    assert e.timestamp is not None
    return f"{e.timestamp:.3f}:{e.serial}"


def _line(fmt: str, e: AuditEvent, host: str) -> AuditLine:
    text, event = _render(fmt, e, host)
    return AuditLine(text, event)


def _render(fmt: str, e: AuditEvent, host: str) -> tuple[str, AuditEvent]:
    record = f"audit({_stamp(e)}): {_body(e)}"
    kernel = f"audit: type=1326 {record}"
    if fmt == "netlink":
        return f"type=1326 {record}", e
    if fmt == "kernel":
        return kernel, e
    if fmt == "dmesg":
        return f"[ 1402.452785] {kernel}", e
    if fmt == "dmesg-caller":
        return f"[22734288.221628][   T55] {kernel}", e
    if fmt == "kmsg":
        return f"5,352,522117916,-;{kernel}", e
    if fmt == "syslog":
        return f"<5>Jul  8 10:31:23 {host} kernel: [  270.853767] {kernel}", attrs.evolve(
            e, node=host
        )
    if fmt == "auditd":
        return f"type=SECCOMP msg={record}", e
    if fmt == "auditd-node":
        return f"node={host} type=SECCOMP msg={record}", attrs.evolve(e, node=host)
    if fmt == "enriched":
        name = e.syscall or "unknown"
        return (
            f'type=SECCOMP msg={record}\x1dAUID="unset" UID="root" GID="root" ARCH=x86_64'
            f" SYSCALL={name}",
            e,
        )
    if fmt == "journal-json":
        entry = {"MESSAGE": kernel, "_TRANSPORT": "kernel", "_HOSTNAME": host}
        return json.dumps(entry), attrs.evolve(e, node=host)
    if fmt == "journal-json-audit":
        assert e.timestamp is not None
        micros = round(e.timestamp * 1000) * 1000
        entry = {
            "MESSAGE": f"SECCOMP {_body(e)}",
            "_TRANSPORT": "audit",
            "_AUDIT_TYPE": "1326",
            "_AUDIT_TYPE_NAME": "SECCOMP",
            "_AUDIT_ID": str(e.serial),
            "_SOURCE_REALTIME_TIMESTAMP": str(micros),
            "_HOSTNAME": host,
        }
        return json.dumps(entry), attrs.evolve(e, node=host, timestamp=micros / 1e6)
    if fmt == "journal-audit":
        return (
            f"Nov 24 21:32:32 {host} audit[{e.pid}]: SECCOMP {_body(e)}",
            attrs.evolve(e, serial=None, timestamp=None),
        )
    raise InvalidArgument(f"unknown audit record format {fmt!r}")  # pragma: no cover


def audit_records(*, formats: Collection[str] | None = None) -> st.SearchStrategy[AuditLine]:
    """One SECCOMP record per example, rendered in one of ``formats`` (default: all of
    :data:`FORMATS`), as an :class:`AuditLine` whose ``event`` is what parsing it must give."""
    chosen: tuple[str, ...]
    if formats is None:
        chosen = FORMATS
    else:
        if isinstance(formats, str) or not isinstance(formats, Collection):
            raise InvalidArgument(f"formats must be a collection of names, not {formats!r}")
        unknown = sorted(set(formats) - set(FORMATS))
        if unknown:
            raise InvalidArgument(f"unknown audit record formats {unknown}; known: {FORMATS}")
        if not formats:
            raise InvalidArgument("formats must not be empty")
        chosen = tuple(f for f in FORMATS if f in formats)
    return st.builds(_line, st.sampled_from(chosen), _events(), _HOSTS)
