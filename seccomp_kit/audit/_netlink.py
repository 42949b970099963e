"""Reading audit records from the kernel's audit netlink multicast group.

``socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT)`` bound to group ``AUDIT_NLGRP_READLOG`` receives
a copy of every audit record kauditd emits, without printk's rate limit and without taking the
records away from auditd. It needs CAP_AUDIT_READ. Each datagram holds netlink messages
(``struct nlmsghdr`` then the record text); we hand them on as ``type=N <text>`` lines, the shape
:mod:`seccomp_kit.audit` reads. When the socket's buffer overflows the kernel drops records and
the next read fails with ENOBUFS: that is counted in :attr:`AuditMulticast.overruns`, never
ignored.
"""

from __future__ import annotations

import errno
import select
import socket
import struct

__all__ = ["AUDIT_NLGRP_READLOG", "NETLINK_AUDIT", "AuditMulticast"]

NETLINK_AUDIT = 9
AUDIT_NLGRP_READLOG = 1
_SO_RCVBUFFORCE = 33
_HEADER = struct.Struct("=IHHII")  # nlmsg_len, nlmsg_type, nlmsg_flags, nlmsg_seq, nlmsg_pid
_BUFFER = 64 << 20


class AuditMulticast:
    """A subscription to the audit multicast group; :meth:`read` returns record lines."""

    def __init__(self, *, buffer: int = _BUFFER) -> None:
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_AUDIT)
        try:
            try:
                # Root may exceed rmem_max; a large buffer rides out bursts while we parse.
                sock.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, buffer)
            except OSError:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, buffer)
            sock.bind((0, AUDIT_NLGRP_READLOG))
        except BaseException:
            sock.close()
            raise
        self._sock = sock
        self.overruns = 0

    def fileno(self) -> int:
        return self._sock.fileno()

    def read(self, timeout: float | None) -> list[bytes] | None:
        """Lines of the datagrams available within ``timeout`` seconds ([] when none came);
        None once the socket is closed."""
        if self._sock.fileno() < 0:
            return None
        ready, _, _ = select.select([self._sock], [], [], timeout)
        if not ready:
            return []
        lines: list[bytes] = []
        while True:
            try:
                data = self._sock.recv(1 << 20, socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
            except OSError as exc:
                if exc.errno == errno.ENOBUFS:
                    self.overruns += 1
                    continue
                raise
            lines.extend(split_messages(data))
        return lines

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> AuditMulticast:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def split_messages(data: bytes) -> list[bytes]:
    """``type=N text`` lines from one datagram of netlink messages (a cut-off message is
    returned as far as it goes, so the parser counts it as truncated)."""
    out: list[bytes] = []
    offset = 0
    size = len(data)
    while offset + _HEADER.size <= size:
        length, kind, _flags, _seq, _pid = _HEADER.unpack_from(data, offset)
        if length < _HEADER.size:
            break
        body = data[offset + _HEADER.size : min(offset + length, size)]
        text = body.split(b"\0", 1)[0].rstrip(b"\n")
        out.append(b"type=%d %s" % (kind, text))
        offset += (length + 3) & ~3  # NLMSG_ALIGN
    return out


AUDIT_GET = 1000
_NLM_F_REQUEST = 1


def kernel_lost_counter(timeout: float = 1.0) -> int | None:
    """The kernel's count of audit records it could not queue (``audit_lost``, as
    ``auditctl -s`` shows it), or None when the status cannot be read (needs
    CAP_AUDIT_CONTROL). Records dropped that way never get a serial, so comparing this counter
    before and after a recording is the only way to see them."""
    try:
        with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_AUDIT) as sock:
            sock.bind((0, 0))
            sock.settimeout(timeout)
            sock.send(_HEADER.pack(_HEADER.size, AUDIT_GET, _NLM_F_REQUEST, 1, 0))
            data = sock.recv(1 << 16)
    except OSError:
        return None
    if len(data) < _HEADER.size + 32:
        return None
    _length, kind, _flags, _seq, _pid = _HEADER.unpack_from(data)
    if kind != AUDIT_GET:
        return None
    # struct audit_status: mask, enabled, failure, pid, rate_limit, backlog_limit, lost, ...
    return int(struct.unpack_from("=7I", data, _HEADER.size)[6])
