"""Parse SCMP_ACT_LOG (SECCOMP, type 1326) audit records from every shape logs keep them in.

Shapes: auditd's log (raw, with a ``node=`` prefix, ENRICHED with the 0x1D separator),
``ausearch`` and ``ausearch -i`` output; the kernel log as ``dmesg`` (plain, ``-T``, ``-r``,
``-x``, caller ids), ``/dev/kmsg`` records and syslog lines (with or without ``<pri>``);
journald's ``journalctl`` short output (kernel and audit transports) and ``journalctl -o json``.
The record is found wherever it sits in the line, so other prefixes work too.

The common case, the kernel's own record text in a shape seen before, is handled by a C
extension (``seccomp_kit.audit._scan``) when it is built; every line it is not certain about goes
to the Python code here, which is the reference: both give the same events and accounting.
:func:`tally` counts events without building them, for recorders that need only the counts.

Every line is accounted for in :class:`AuditStats`: lines read, records parsed, events emitted,
records skipped per reason, and the evidence of loss the log carries (serial gaps, the kernel's
"callbacks suppressed" and "printk limit exceeded" notes, ``audit_lost=`` counters). Names are
resolved in the record's own architecture table (``seccomp_kit.syscalls``), never guessed:
an unknown ``arch=`` code is counted and skipped, an unknown syscall number keeps ``syscall``
None.

>>> from seccomp_kit.audit import parse
>>> line = ('audit: type=1326 audit(1795555952.515:2): auid=4294967295 uid=0 gid=0 '
...         'ses=4294967295 pid=6463 comm="true" exe="/usr/bin/true" sig=0 arch=c000003e '
...         'syscall=12 compat=0 ip=0x7f997767bc47 code=0x7ffc0000')
>>> [(e.pid, e.arch.value, e.syscall, e.action.value) for e in parse([line])]
[(6463, 'SCMP_ARCH_X86_64', 'brk', 'SCMP_ACT_LOG')]

Why one file of this length: the careful path and the fast path must account for every byte
the same way (serials, duplicates, loss notes); keeping them beside each other is what keeps
them from drifting apart (events and their accounting are in :mod:`._events`).
"""

from __future__ import annotations

import datetime
import io
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from seccomp_kit.audit import _stamp
from seccomp_kit.audit._events import AuditEvent, AuditStats, TallyKey, _event, action_for_code
from seccomp_kit.audit._fields import Reason, _Bad, parse_body, parse_stamp
from seccomp_kit.audit._stamp import plain_serial, plain_stamp
from seccomp_kit.errors import LoadError
from seccomp_kit.model import UINT64_MAX, Arch

if TYPE_CHECKING:
    from seccomp_kit.audit._scan import Scanner

__all__ = [
    "AuditEvent",
    "AuditParser",
    "AuditStats",
    "Reason",
    "TallyKey",
    "action_for_code",
    "parse",
    "parse_line",
    "tally",
]


_MARK_KERNEL = b"type=1326 audit("
_MARK_AUDITD = b"type=SECCOMP msg=audit("
_MARK_JOURNAL = b"SECCOMP auid="
_STAMP = re.compile(rb"audit\(([^)]{1,64})\)")
_SUPPRESSED = re.compile(rb"(?:kauditd|audit)_printk_skb: (\d{1,19}) callbacks suppressed")
_AUDIT_LOST = re.compile(rb"audit_lost=(\d{1,19})")
_ISO = re.compile(rb"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d))")
# Bounds on per-parser memory: caches are cleared when full, the duplicate window forgets the
# oldest serials, so memory does not grow with the input.
_CACHE_MAX = 1 << 12
_IDENT_FIELDS = ("pid", "auid", "uid", "gid", "ses", "subj", "comm", "exe")
_IDENT_KEYS = frozenset(_IDENT_FIELDS)
_CALL_KEYS = frozenset({"sig", "arch", "syscall", "compat"})
_CALL_FIELDS = ("sig", "arch", "arch_code", "syscall_nr", "syscall", "compat")
_KEY_NAMES = re.compile(rb"(?:^| )([a-z]+)=")
_RAW_ARCH = re.compile(rb" arch=[0-9a-f]{1,8} ")


def _keys(text: bytes) -> set[str]:
    return {k.decode() for k in _KEY_NAMES.findall(text)}


_MAX_LINE = 1 << 24
_WINDOW = 1 << 13
_RESET_DISTANCE = 1 << 20  # a serial this far below the last one means a reboot


class _Serials:
    """Serial bookkeeping for one node: gaps, late arrivals, duplicates."""

    __slots__ = ("last", "missing", "seen")

    def __init__(self) -> None:
        self.last = -1
        self.missing: set[int] = set()
        self.seen: set[int] = set()


def _remember(state: _Serials, serial: int) -> None:
    """Add ``serial`` to the duplicate window; forget serials more than the window behind the
    newest, in batches so the cost stays amortized O(1)."""
    seen = state.seen
    seen.add(serial)
    if len(seen) > 2 * _WINDOW:
        floor = max(state.last, serial) - _WINDOW
        state.seen = {s for s in seen if s > floor}


def _load_native() -> tuple[type[Scanner], Callable[[bytes], int]] | None:
    try:
        from seccomp_kit.audit import _scan
    except ImportError:  # built without a C compiler: the pure-Python path does everything
        return None
    # A scanner built from other stamp limits (a stale build) would disagree with this module.
    if (
        getattr(_scan, "STAMP_SECONDS_DIGITS", None),
        getattr(_scan, "STAMP_FRACTION_DIGITS", None),
        getattr(_scan, "STAMP_SERIAL_DIGITS", None),
    ) != (_stamp.SECONDS_DIGITS, _stamp.FRACTION_DIGITS, _stamp.SERIAL_DIGITS):
        return None
    return _scan.Scanner, _scan.newlines


_NATIVE = _load_native()
_BATCH = 128  # events the C scanner hands over at a time: parse() stays lazy, and few
# live events per batch keep the cyclic GC from traversing them


def _native_disabled() -> bool:
    """``SECCOMP_KIT_NO_NATIVE`` set (to anything but 0): parsers default to pure Python."""
    return os.environ.get("SECCOMP_KIT_NO_NATIVE", "") not in ("", "0")


def _newlines(chunk: bytes) -> int:
    return chunk.count(b"\n")


def _whole(chunk: bytes) -> bytes:
    """A block of whole lines: a missing final newline is supplied (the last line counts)."""
    return chunk if not chunk or chunk.endswith(b"\n") else chunk + b"\n"


class AuditParser:
    """A streaming parser: feed lines, get events; :attr:`stats` accounts for everything.

    One parser keeps serial state across calls, so feeding several files of one log in order
    counts gaps across their boundary.

    The per-line fast path runs in C (``seccomp_kit.audit._scan``) when the extension is built;
    ``native=False``, or ``SECCOMP_KIT_NO_NATIVE=1`` in the environment when ``native`` is not
    given, selects the pure-Python path, which gives the same events and the same accounting.
    ``native=True`` insists on the extension (ImportError without it). The C scanner hands its
    events over in batches, so while a consumer iterates the counters may run a batch ahead.
    """

    def __init__(
        self, *, stats: AuditStats | None = None, dedupe: bool = True, native: bool | None = None
    ) -> None:
        self.stats = AuditStats() if stats is None else stats
        self.dedupe = dedupe
        # Fast-path caches: text -> converted fields, for the process part of a record
        # ("auid=… exe=…"), its syscall part (" sig=… compat=…") and the text after "code=".
        self._idents: dict[bytes, dict[str, Any]] = {}
        self._calls: dict[bytes, dict[str, Any]] = {}
        self._codes: dict[bytes, int] = {}
        self._nodes: dict[str | None, _Serials] = {}
        self._lost_last: int | None = None  # the last audit_lost= value seen
        self._cache_max = _CACHE_MAX
        self._version = 0  # changes of the caches (the C scanner's memo of them is valid while
        # this stays the same)
        if native is None:
            native = _NATIVE is not None and not _native_disabled()
        elif native and _NATIVE is None:
            raise ImportError("seccomp_kit.audit._scan is not built (no C compiler at install?)")
        # The C scanner reads the same caches and serial state; whatever it is not sure of it
        # hands back, line by line, to the Python code below.
        self._scanner: Scanner | None = None
        self._newlines: Callable[[bytes], int] = _newlines
        if native and _NATIVE is not None:
            scanner, self._newlines = _NATIVE
            self._scanner = scanner(
                idents=self._idents,
                calls=self._calls,
                codes=self._codes,
                nodes=self._nodes,
                remember=_remember,
                event_type=AuditEvent,
            )

    @property
    def native(self) -> bool:
        """Whether this parser's fast path runs in C."""
        return self._scanner is not None

    # -- the entry points -------------------------------------------------------------------

    def parse(self, lines: Iterable[str | bytes]) -> Iterator[AuditEvent]:
        """Events from ``lines`` (str or bytes, with or without line ends), in input order.

        Lines are handled in batches of up to 1024, so a lazy consumer sees an event once its
        batch is read (use :meth:`feed` for one line at a time).
        """
        for block in _line_blocks(lines):
            yield from self.parse_block(block)

    def parse_stream(self, stream: IO[bytes], *, block_size: int = 1 << 20) -> Iterator[AuditEvent]:
        """Events from a binary stream, read in blocks (memory stays at about two blocks)."""
        for block in _stream_blocks(stream, block_size):
            yield from self.parse_block(block)

    def parse_block(self, chunk: bytes) -> Iterator[AuditEvent]:
        """Events from a block of whole lines (a missing final newline is supplied)."""
        chunk = _whole(chunk)
        stats = self.stats
        scanner = self._scanner
        stats.lines += self._newlines(chunk)
        if scanner is None:
            yield from self._scan(chunk, 0, len(chunk))
            return
        size = len(chunk)
        pos, upper = 0, -1
        out: list[AuditEvent] = []
        while pos < size:
            pos, upper, ls, le, nrec, nev = scanner.events(
                chunk, pos, upper, out, _BATCH, self.dedupe, _WINDOW, self._serial, self._version
            )
            stats.records += nrec
            stats.events += nev
            stats.record_lines += nrec
            if out:
                yield from out
                out.clear()
            if ls >= 0:  # a line the C code is not sure of: the Python path judges it
                yield from self._scan(chunk, ls, le)

    def tally(
        self, lines: Iterable[str | bytes], counts: Counter[TallyKey] | None = None
    ) -> Counter[TallyKey]:
        """Count the events of ``lines`` per :class:`TallyKey` (into ``counts`` if given),
        without building events; the accounting is the same as :meth:`parse` gives."""
        return self._tally(_line_blocks(lines), Counter() if counts is None else counts)

    def tally_stream(
        self,
        stream: IO[bytes],
        counts: Counter[TallyKey] | None = None,
        *,
        block_size: int = 1 << 20,
    ) -> Counter[TallyKey]:
        """:meth:`tally` for a binary stream, read in blocks like :meth:`parse_stream`."""
        blocks = _stream_blocks(stream, block_size)
        return self._tally(blocks, Counter() if counts is None else counts)

    def _tally(self, blocks: Iterable[bytes], counts: Counter[TallyKey]) -> Counter[TallyKey]:
        stats = self.stats
        scanner = self._scanner
        # The C scanner counts per (syscall text, code) -> [call fields, count], events from the
        # Python path are counted per key; both go into ``counts`` at the end (the first also
        # whenever it grows large), so the per-record work stays in C.
        by_text: dict[tuple[bytes, int], list[Any]] = {}
        by_key: dict[tuple[Arch, int, str | None, int], int] = {}

        def python(events: Iterable[AuditEvent]) -> None:
            for e in events:
                key = (e.arch, e.syscall_nr, e.syscall, e.code)
                by_key[key] = by_key.get(key, 0) + 1

        def fold() -> None:
            for (_text, code), (call, n) in by_text.items():
                counts[TallyKey(call["arch"], call["syscall_nr"], call["syscall"], code)] += n
            by_text.clear()

        for block in blocks:
            chunk = _whole(block)
            stats.lines += self._newlines(chunk)
            if scanner is None:
                python(self._scan(chunk, 0, len(chunk)))
                continue
            size = len(chunk)
            pos, upper = 0, -1
            while pos < size:
                pos, upper, ls, le, nrec, nev = scanner.tally(
                    chunk, pos, upper, by_text, 0, self.dedupe, _WINDOW, self._serial, self._version
                )
                stats.records += nrec
                stats.events += nev
                stats.record_lines += nrec
                if ls >= 0:  # a line the C code is not sure of: the Python path judges it
                    python(self._scan(chunk, ls, le))
            if len(by_text) > self._cache_max:
                fold()
        fold()
        for key, n in by_key.items():
            counts[TallyKey(*key)] += n
        return counts

    def _scan(self, chunk: bytes, start: int, stop: int) -> Iterator[AuditEvent]:
        """The pure-Python path over the lines of ``chunk`` from ``start`` (a line start) that
        begin before ``stop``: the whole block, or the one line the C scanner handed back."""
        stats = self.stats
        idents = self._idents
        calls = self._calls
        codes = self._codes
        nodes = self._nodes
        local = nodes.get(None)
        dedupe = self.dedupe
        serial_of = self._serial
        slow = self._slow
        find = chunk.find
        rfind = chunk.rfind
        new = object.__new__
        cls = AuditEvent
        mark_k = _MARK_KERNEL
        mark_a = _MARK_AUDITD
        nrec = nev = 0
        pos = start
        # Every line we need says "audit", except journald's JSON, whose MESSAGE may be a byte
        # array: lines with neither are skipped without looking at them.
        upper = find(b'"MESSAGE"', pos, stop)
        if upper < 0:
            upper = stop
        try:
            while True:
                a = find(b"audit", pos, stop)
                if a < 0 or upper < a:
                    a = upper
                    if a >= stop:
                        break
                ls = rfind(b"\n", 0, a) + 1
                le = find(b"\n", a)
                pos = le + 1
                if upper < pos:
                    upper = find(b'"MESSAGE"', pos, stop)
                    if upper < 0:
                        upper = stop
                p = find(mark_k, ls, le)
                if p >= 0:
                    q = p + 16
                else:
                    p = find(mark_a, ls, le)
                    if p < 0:
                        # Another audit record (SYSCALL, PATH, …): only its serial matters.
                        j = find(b"audit(", ls, le)
                        k = find(b")", j, le) if j >= 0 else -1
                        if k > 0 and chunk[ls] != 123:  # not journald JSON ("{")
                            head, sep, serial_b = chunk[j + 6 : k].rpartition(b":")
                            other = plain_serial(serial_b) if sep and b"/" not in head else None
                            if other is not None:
                                node = None
                                if j > ls and chunk[ls] != 91:  # not "[" (dmesg)
                                    node = _node(chunk[ls:j])
                                serial_of(node, other, False)
                                continue
                        yield from slow(chunk[ls:le])
                        continue
                    q = p + 23
                # Fast path: the kernel's own text, "audit(S.MS:SERIAL): auid=… code=0x…", in a
                # shape seen before (the careful path taught the caches what it means).
                r = find(b"): ", q, le)
                g = find(b" sig=", r, le) if r >= 0 else -1
                e = find(b" ip=", g, le) if g >= 0 else -1
                c = find(b" code=", e, le) if e >= 0 else -1
                if c < 0 or chunk[ls] == 123:  # journald JSON ("{") needs decoding first
                    yield from slow(chunk[ls:le])
                    continue
                ident = idents.get(chunk[r + 3 : g])
                call = calls.get(chunk[g:e])
                code = codes.get(chunk[c + 6 : le])
                head, _, serial_b = chunk[q:r].rpartition(b":")
                if ident is None or call is None or code is None or b"/" in head:
                    yield from slow(chunk[ls:le])
                    continue
                # Only the kernel's own spelling of the numbers; anything else (signs, spaces,
                # underscores, exponents, long numbers), which int() and float() would take,
                # goes to the careful path, so a line means the same whatever came before it.
                ip_b = chunk[e + 4 : c]
                serial = plain_serial(serial_b)
                if not (
                    ip_b[:2] == b"0x"
                    and 2 < len(ip_b) <= 18
                    and ip_b[2:].isalnum()
                    and serial is not None
                    and plain_stamp(head)
                ):
                    yield from slow(chunk[ls:le])
                    continue
                try:
                    ip = int(ip_b, 16)
                except ValueError:  # letters beyond f
                    yield from slow(chunk[ls:le])
                    continue
                stamp = float(head)
                if (
                    p > ls
                    and chunk[ls] != 91  # "[": dmesg's clock, never a host name
                    and (chunk.startswith(b"node=", ls) or find(b" kernel: ", ls, p) > 0)
                ):
                    node = _node(chunk[ls:p])
                    state = nodes.get(node)
                else:
                    node = None
                    state = local
                nrec += 1
                # The common case inline: the next serial, not seen before.
                if (
                    state is not None
                    and serial == state.last + 1
                    and not (dedupe and serial in state.seen)
                ):
                    state.last = serial
                    if dedupe:
                        _remember(state, serial)
                elif not serial_of(node, serial, True):
                    continue
                elif node is None:
                    local = nodes[None]
                nev += 1
                event = new(cls)
                d = event.__dict__
                d.update(ident)
                d.update(call)
                d["timestamp"] = stamp
                d["serial"] = serial
                d["node"] = node
                d["ip"] = ip
                d["code"] = code
                yield event
        finally:
            stats.records += nrec
            stats.events += nev
            stats.record_lines += nrec

    def feed(self, line: str | bytes) -> list[AuditEvent]:
        """The events of one line (usually zero or one)."""
        return list(self.parse((line,)))

    # -- the careful path -------------------------------------------------------------------

    def _skip(self, reason: str, record: bytes) -> None:
        self.stats.skipped[reason] += 1
        if reason == Reason.UNKNOWN_ARCH:
            m = re.search(rb"arch=(\S{1,32})", record)
            self.stats.unknown_arch_codes[m.group(1).decode("ascii", "replace") if m else "?"] += 1

    def _slow(self, line: bytes, host: str | None = None) -> Iterator[AuditEvent]:
        if line.lstrip().startswith(b"{"):
            yield from self._journal_json(line)
            return
        for mark in (_MARK_KERNEL, _MARK_AUDITD):
            if mark in line:
                self.stats.record_lines += 1
                # More than one record on a line: console output merged them; each part is
                # judged on its own (a cut-off part is "truncated", never completed from the next).
                positions = [m.start() for m in re.finditer(re.escape(mark), line)]
                for i, pos in enumerate(positions):
                    end = positions[i + 1] if i + 1 < len(positions) else len(line)
                    record = line[pos + len(mark) - 6 : end]
                    event = self._record(line, pos, record, host)
                    if event is not None:
                        yield event
                return
        j = line.find(_MARK_JOURNAL)
        if j >= 0:
            self.stats.record_lines += 1
            event = self._journal_short(line, j)
            if event is not None:
                yield event
            return
        if b"audit" in line:
            self._notes(line)

    def _notes(self, line: bytes) -> None:
        """Loss notes and other audit records' serials (the kernel numbers all of them)."""
        stats = self.stats
        m = _SUPPRESSED.search(line)
        if m:
            stats.callbacks_suppressed += int(m.group(1))
            return
        if b"printk limit exceeded" in line:
            stats.printk_limit += 1
            return
        m = _AUDIT_LOST.search(line)
        if m:
            self._audit_lost(int(m.group(1)))
            return
        m = _STAMP.search(line)
        if m:
            try:
                _, serial = parse_stamp(m.group(1).decode("ascii"))
            except (_Bad, UnicodeDecodeError):
                return
            self._serial(_node(line[: m.start()]), serial, False)

    def _audit_lost(self, value: int) -> None:
        last = self._lost_last
        if last is None or value < last:
            self.stats.audit_lost += 1 if last is None else value
        else:
            self.stats.audit_lost += value - last
        self._lost_last = value

    def _record(self, line: bytes, pos: int, record: bytes, host: str | None) -> AuditEvent | None:
        """One ``audit(STAMP)…: BODY`` record (``record`` starts at ``audit(``)."""
        stats = self.stats
        stats.records += 1
        close = record.find(b")")
        if close < 0:
            stats.skipped[Reason.TRUNCATED] += 1
            return None
        try:
            stamp_text = record[6:close].decode("ascii")
            body = record[close + 1 :].decode("utf-8", "backslashreplace")
        except UnicodeDecodeError:
            stats.skipped[Reason.MALFORMED] += 1
            return None
        rest = body.lstrip()
        if not rest.startswith(":"):
            stats.skipped[Reason.TRUNCATED if not rest else Reason.MALFORMED] += 1
            return None
        try:
            timestamp, serial = parse_stamp(stamp_text)
        except _Bad as bad:
            stats.skipped[bad.reason] += 1
            return None
        body_text = rest[1:].strip(" \r\n")
        interpreted = "/" in stamp_text or None
        fields = parse_body(body_text, interpreted=interpreted)
        node = _node(line[:pos]) or host
        return self._emit(
            fields, record, timestamp, serial, node=node, origin=(line, body_text, pos)
        )

    def _emit(
        self,
        fields: dict[str, Any] | str,
        record: bytes,
        timestamp: float | None,
        serial: int | None,
        *,
        node: str | None,
        origin: tuple[bytes, str, int] | None = None,
    ) -> AuditEvent | None:
        stats = self.stats
        if isinstance(fields, str):
            self._skip(fields, record)
            return None
        if serial is not None and not self._serial(node, serial, True):
            return None
        if fields["syscall"] is None:
            stats.unknown_syscalls += 1
        stats.events += 1
        values = dict(fields, timestamp=timestamp, serial=serial, node=node)
        if origin is not None:
            self._learn(*origin, fields)
        return _event(values)

    def _learn(self, line: bytes, body_text: str, pos: int, fields: dict[str, Any]) -> None:
        """Teach the fast path this record's shape: its process text (``auid=`` up to ``sig=``)
        and its syscall text (``sig=`` up to ``ip=``) map to these fields, the text after
        ``code=`` to this code."""
        if fields["syscall"] is None or fields["ip"] is None:
            return
        if not line.startswith((_MARK_KERNEL, _MARK_AUDITD), pos):
            return
        r = line.find(b"): ", pos)
        g = line.find(b" sig=", r)
        e = line.find(b" ip=", g)
        c = line.find(b" code=", e)
        if r < 0 or g < 0 or e < 0 or c < 0:
            return
        ident, call, tail = line[r + 3 : g], line[g:e], line[c + 6 :]
        # Each part is cached alone and combined with others later, so each must hold exactly
        # its own keys (a label containing " sig=" would not), in the kernel's raw form.
        if _keys(ident) - _IDENT_KEYS or _keys(call) != _CALL_KEYS or not _RAW_ARCH.search(call):
            return
        again = parse_body((ident + call + line[e:c] + b" code=" + tail).decode("utf-8", "replace"))
        if again != fields:
            return
        self._version += 1
        for cache in (self._idents, self._calls, self._codes):
            if len(cache) >= self._cache_max:
                cache.clear()
        self._idents[ident] = {k: fields[k] for k in _IDENT_FIELDS}
        self._calls[call] = {k: fields[k] for k in _CALL_FIELDS}
        self._codes[tail] = fields["code"]

    def _serial(self, node: str | None, serial: int, seccomp: bool) -> bool:
        """Account a serial; False if this SECCOMP record is a duplicate."""
        state = self._nodes.get(node)
        if state is None:
            state = self._nodes[node] = _Serials()
        if seccomp and self.dedupe:
            # A duplicate is a serial seen before within the window behind the newest one; the
            # rule depends on the serials alone, whichever path parsed the record.
            if serial in state.seen and serial > state.last - _WINDOW:
                self.stats.skipped[Reason.DUPLICATE] += 1
                return False
            _remember(state, serial)
        last = state.last
        if last < 0:
            state.last = serial
        elif serial > last:
            gap = serial - last - 1
            if gap:
                self.stats.serial_gaps += gap
                missing = state.missing
                if gap <= _WINDOW:
                    missing.update(range(last + 1, serial))
                if len(missing) > 2 * _WINDOW:
                    # Forget the oldest (in batches, so this stays cheap): a record arriving
                    # that late is not un-lost.
                    state.missing = set(sorted(missing)[-_WINDOW:])
            state.last = serial
        elif serial < last:
            if serial in state.missing:
                # A late arrival (logs merged out of order): it was not lost after all.
                state.missing.discard(serial)
                self.stats.serial_gaps -= 1
            elif last - serial > _RESET_DISTANCE:
                # The serials started again (a reboot): a new sequence, not a gap.
                state.missing.clear()
                state.seen = {serial} if seccomp and self.dedupe else set()
                state.last = serial
        return True

    # -- journald ---------------------------------------------------------------------------

    def _journal_json(self, line: bytes) -> Iterator[AuditEvent]:
        stats = self.stats
        try:
            entry = json.loads(line)
            if not isinstance(entry, dict):
                raise ValueError("not an object")
            message = entry.get("MESSAGE")
            if isinstance(message, list):  # journald stores non-UTF-8 messages as byte arrays
                message = bytes(message).decode("utf-8", "backslashreplace")
            if not isinstance(message, str):
                raise ValueError("no MESSAGE")
        except (ValueError, TypeError):
            stats.skipped[Reason.BAD_JSON] += 1
            return
        # JSON may spell lone surrogates ("\ud800"), which no writer can encode: escaped here,
        # like the bytes journald could not decode, so every event's text is valid Unicode.
        message = _valid(message)
        data = message.encode("utf-8")
        host = entry.get("_HOSTNAME")
        host = _valid(host) if isinstance(host, str) else None
        audit_type = str(entry.get("_AUDIT_TYPE", ""))
        if audit_type != "1326" and entry.get("_AUDIT_TYPE_NAME") != "SECCOMP":
            # The kernel transport: MESSAGE is the kernel's line (a record, a note, or other).
            yield from self._slow(data, host)
            return
        stats.records += 1
        stats.record_lines += 1
        body = message.split(" ", 1)[1] if message.startswith("SECCOMP ") else message
        serial = _journal_number(entry.get("_AUDIT_ID"))
        micros = _journal_number(
            entry.get("_SOURCE_REALTIME_TIMESTAMP", entry.get("__REALTIME_TIMESTAMP"))
        )
        timestamp = None if micros is None else micros / 1e6
        event = self._emit(parse_body(body.strip()), data, timestamp, serial, node=host)
        if event is not None:
            yield event

    def _journal_short(self, line: bytes, j: int) -> AuditEvent | None:
        """``audit[PID]: SECCOMP auid=…`` (journald's audit transport): no serial; the time only
        when the output format prints a full ISO timestamp (``-o short-iso``)."""
        self.stats.records += 1
        body = line[j + 8 :].decode("utf-8", "backslashreplace").strip(" \r\n")
        m = _ISO.match(line)
        timestamp = None
        if m:
            text = m.group(1).decode()
            if text[-5] in "+-" and text[-3] != ":":
                text = text[:-2] + ":" + text[-2:]
            try:
                when = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
                timestamp = when.timestamp()
            except (ValueError, OverflowError):  # a date no calendar has (February 30th)
                self.stats.skipped[Reason.MALFORMED] += 1
                return None
        return self._emit(parse_body(body), line, timestamp, None, node=None)


def _line_bytes(line: str) -> bytes:
    """A str line as the bytes it was read from: surrogateescape gives back undecodable bytes;
    any other lone surrogate is kept as its UTF-8-like bytes (and later read as escapes)."""
    try:
        return line.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return line.encode("utf-8", "surrogatepass")


def _journal_number(value: object) -> int | None:
    """A journald number field (a string of digits, or a JSON number) within 64 bits."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value) if 0 <= value <= UINT64_MAX else None
    return plain_serial(value) if isinstance(value, str) else None


def _valid(text: str) -> str:
    """``text`` with lone surrogates written as ``\\udXXX`` escapes (valid Unicode)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _line_blocks(lines: Iterable[str | bytes]) -> Iterator[bytes]:
    """Lines joined into blocks of up to 1024, each line ending with a newline."""
    batch: list[bytes] = []
    for item in lines:
        line = item if isinstance(item, bytes) else _line_bytes(item)
        batch.append(line if line.endswith(b"\n") else line + b"\n")
        if len(batch) >= 1024:
            yield b"".join(batch)
            batch.clear()
    if batch:
        yield b"".join(batch)


def _stream_blocks(stream: IO[bytes], block_size: int) -> Iterator[bytes]:
    """Blocks of whole lines read from ``stream`` (memory stays at about two blocks)."""
    read = getattr(stream, "read1", stream.read)
    rest = b""
    while True:
        block = read(block_size)
        if not block:
            break
        end = block.rfind(b"\n") + 1
        if end == 0:
            rest += block
            if len(rest) >= _MAX_LINE:
                # One absurdly long "line": judge it alone rather than hold it all.
                yield rest + b"\n"
                rest = b""
            continue
        if rest:
            # The line carried over and this block up to its last newline, copied once.
            yield b"".join((rest, memoryview(block)[:end]))
        else:
            yield block if end == len(block) else block[:end]
        rest = block[end:]
    if rest:
        yield rest + b"\n"


def _node(prefix: bytes) -> str | None:
    """The machine a record came from: auditd's ``node=``, or the host of a syslog line
    (``Jul  8 10:31:23 HOST kernel: …``); serials are counted per machine."""
    if prefix.startswith(b"node="):
        end = prefix.find(b" ")
        return prefix[5 : end if end > 0 else None].decode("utf-8", "backslashreplace")
    k = prefix.find(b" kernel: ")
    if k > 0:
        return prefix[:k].rpartition(b" ")[2].decode("utf-8", "backslashreplace") or None
    return None


def parse(
    source: str | os.PathLike[str] | IO[bytes] | IO[str] | Iterable[str | bytes],
    *,
    stats: AuditStats | None = None,
    dedupe: bool = True,
    native: bool | None = None,
) -> Iterator[AuditEvent]:
    """Stream the SECCOMP events of a path, an open file or any iterable of lines.

    Pass an :class:`AuditStats` to read the accounting while or after iterating. A path that
    cannot be opened raises :class:`~seccomp_kit.errors.LoadError`; nothing inside the text
    raises: bad records are counted in ``stats.skipped``. ``native`` as for
    :class:`AuditParser` (the C fast path unless disabled).
    """
    parser = AuditParser(stats=stats, dedupe=dedupe, native=native)
    if isinstance(source, (str, os.PathLike)):
        handle = _open_log(source)
        return _closing(parser.parse_stream(handle), handle)
    if _is_stream(source):
        return parser.parse_stream(source)  # type: ignore[arg-type]
    return parser.parse(source)


def _open_log(path: str | os.PathLike[str]) -> IO[bytes]:
    try:
        return Path(path).open("rb")
    except OSError as exc:
        message = f"cannot read audit log: {exc.strerror or exc}"
        raise LoadError(message, source=str(path)) from exc


def _is_stream(source: object) -> bool:
    """A binary file object (read in blocks), unlike text files and other iterables of lines."""
    return not isinstance(source, (io.TextIOBase, list, tuple)) and hasattr(source, "read")


def tally(
    source: str | os.PathLike[str] | IO[bytes] | IO[str] | Iterable[str | bytes],
    *,
    stats: AuditStats | None = None,
    dedupe: bool = True,
    native: bool | None = None,
) -> Counter[TallyKey]:
    """How many SECCOMP events ``source`` holds per (arch, syscall_nr, syscall, code).

    The same events and accounting as :func:`parse`, counted instead of built: with the C
    scanner no object is made per record, which is what :func:`seccomp_kit.record.record_log`
    uses when only the action decides. Sources and errors as for :func:`parse`.
    """
    parser = AuditParser(stats=stats, dedupe=dedupe, native=native)
    if isinstance(source, (str, os.PathLike)):
        with _open_log(source) as handle:
            return parser.tally_stream(handle)
    if _is_stream(source):
        return parser.tally_stream(source)  # type: ignore[arg-type]
    return parser.tally(source)


def _closing(events: Iterator[AuditEvent], handle: IO[bytes]) -> Iterator[AuditEvent]:
    with handle:
        yield from events


def parse_line(line: str | bytes) -> AuditEvent | None:
    """The event of a single line, or None when it holds none."""
    events = AuditParser(dedupe=False).feed(line)
    return events[0] if events else None
