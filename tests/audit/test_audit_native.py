"""seccomp_kit.audit._scan, the audit parser's C fast path: on every input it must give exactly
what the pure-Python parser gives (the same events in the same order, field by field and type
by type, and every counter), and the counting path (``tally``, ``record --from``) the same as
counting those events."""

from __future__ import annotations

import importlib.util
import io
import os
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seccomp_kit.audit import AuditEvent, AuditParser, AuditStats, TallyKey
from seccomp_kit.audit import _parser as audit
from seccomp_kit.cli import main
from seccomp_kit.model import Arch
from seccomp_kit.record import EventFilter, record, record_counts, record_log
from seccomp_kit.testing._audit_records import AuditLine, audit_records
from tests.conftest import DATA_DIR, ROOT, corpus_dir

DATA = DATA_DIR / "audit"
NATIVE = audit._NATIVE is not None
needs_native = pytest.mark.skipif(not NATIVE, reason="seccomp_kit.audit._scan is not built")

KERNEL = (
    "audit: type=1326 audit(1795555952.515:{serial}): auid=4294967295 uid=0 gid=0"
    ' ses=4294967295 pid={pid} comm="true" exe="/usr/bin/true" sig=0 arch=c000003e'
    " syscall={nr} compat=0 ip=0x7f997767bc47 code=0x7ffc0000"
)


def _kernel(serial: int, pid: int = 6463, nr: int = 12) -> str:
    return KERNEL.format(serial=serial, pid=pid, nr=nr)


# -- running both paths ----------------------------------------------------------------------


@contextmanager
def _limits(cache_max: int | None = None, window: int | None = None) -> Iterator[None]:
    """Smaller cache and duplicate-window limits (read by parsers made inside)."""
    with (
        mock.patch.object(audit, "_CACHE_MAX", cache_max or audit._CACHE_MAX),
        mock.patch.object(audit, "_WINDOW", window or audit._WINDOW),
    ):
        yield


def _shape(event: AuditEvent) -> list[tuple[str, str, Any]]:
    """The event's attributes in order, with their types (1 == 1.0 == True must not pass)."""
    return [(k, type(v).__name__, v) for k, v in event.__dict__.items()]


def _parse(data: bytes, native: bool, block_size: int, dedupe: bool) -> tuple[Any, AuditStats]:
    parser = AuditParser(native=native, dedupe=dedupe)
    assert parser.native is native
    events = list(parser.parse_stream(io.BytesIO(data), block_size=block_size))
    return [_shape(e) for e in events], parser.stats


def _tally(data: bytes, native: bool, block_size: int, dedupe: bool) -> tuple[Any, AuditStats]:
    parser = AuditParser(native=native, dedupe=dedupe)
    counts = parser.tally_stream(io.BytesIO(data), block_size=block_size)
    return counts, parser.stats


def agree(
    data: bytes,
    *,
    block_size: int = 1 << 20,
    dedupe: bool = True,
    cache_max: int | None = None,
    window: int | None = None,
) -> tuple[list[AuditEvent], AuditStats]:
    """Parse ``data`` both ways and by counting; assert all agree; return the pure result."""
    with _limits(cache_max, window):
        pure = AuditParser(native=False, dedupe=dedupe)
        events = list(pure.parse_stream(io.BytesIO(data), block_size=block_size))
        native_shapes, native_stats = _parse(data, True, block_size, dedupe)
        assert native_shapes == [_shape(e) for e in events]
        assert native_stats == pure.stats
        expected = Counter(TallyKey(e.arch, e.syscall_nr, e.syscall, e.code) for e in events)
        for native in (True, False):
            counts, stats = _tally(data, native, block_size, dedupe)
            assert counts == expected
            assert all(type(k) is TallyKey for k in counts)
            assert stats == pure.stats
    return events, pure.stats


# -- the extension is there when it must be ----------------------------------------------------


def test_the_extension_is_loaded_when_the_build_requires_it() -> None:
    if os.environ.get("SECCOMP_KIT_REQUIRE_NATIVE") != "1":
        pytest.skip("SECCOMP_KIT_REQUIRE_NATIVE is not set (tools/test.sh sets it)")
    from seccomp_kit.audit import _scan as _auditscan

    assert Path(_auditscan.__file__).parent == Path(audit.__file__).parent
    assert AuditParser().native


@needs_native
def test_native_is_the_default_and_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECCOMP_KIT_NO_NATIVE", raising=False)
    assert AuditParser().native
    assert not AuditParser(native=False).native
    monkeypatch.setenv("SECCOMP_KIT_NO_NATIVE", "1")
    assert not AuditParser().native
    assert AuditParser(native=True).native  # asking for it wins over the default
    monkeypatch.setenv("SECCOMP_KIT_NO_NATIVE", "0")
    assert AuditParser().native


def test_without_the_extension_everything_is_python(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit, "_NATIVE", None)
    assert not AuditParser().native
    with pytest.raises(ImportError, match="not built"):
        AuditParser(native=True)
    stats = AuditStats()
    assert [e.syscall for e in audit.parse(DATA / "dmesg.log", stats=stats)][:2] == [
        "read",
        "execve",
    ]
    assert stats.serial_gaps == 1425
    assert sum(audit.tally(DATA / "dmesg.log").values()) == 11


# -- fixed inputs ------------------------------------------------------------------------------


def _logs() -> list[Path]:
    return sorted(DATA.glob("*.log"))


@needs_native
@pytest.mark.parametrize("path", _logs(), ids=lambda p: p.name)
@pytest.mark.parametrize("block_size", [1 << 20, 333, 7])
def test_test_data_logs(path: Path, block_size: int) -> None:
    events, stats = agree(path.read_bytes(), block_size=block_size)
    assert stats.records > 0 and events


@needs_native
def test_corpus_logs() -> None:
    paths = sorted(corpus_dir("audit").glob("*.log"))
    assert paths
    for path in paths:
        data = path.read_bytes()
        for block_size in (1 << 20, 101):
            agree(data, block_size=block_size)
            agree(data, block_size=block_size, dedupe=False)
        # Twice in a row: the second copy is all repeats, parsed by the fast path.
        agree(data + data)


def _bench_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "bench_audit", ROOT / "benchmarks" / "bench_audit.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def mixed_log(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The benchmark's mixed log (dmesg and auditd records, node= machines, SYSCALL records,
    kernel messages, suppressed-callback notes with the serials they dropped), small."""
    path = tmp_path_factory.mktemp("bench") / "mixed.log"
    _bench_module().generate(path, 600_000)
    return path.read_bytes()


@needs_native
def test_the_benchmark_log(mixed_log: bytes) -> None:
    events, stats = agree(mixed_log)
    assert len(events) > 1000 and stats.serial_gaps > 0
    assert stats.callbacks_suppressed == stats.serial_gaps  # the generator drops what it says
    agree(mixed_log, block_size=4099)
    agree(mixed_log, cache_max=16)  # caches full and cleared over and over
    agree(mixed_log, window=3, dedupe=True)


@needs_native
def test_the_c_scanner_does_the_bulk_of_the_work(mixed_log: bytes) -> None:
    """Agreement would be trivial if every line went back to Python: it must not. Only lines
    with a text not cached yet and the loss notes may."""
    parser = AuditParser()
    handed_back: list[int] = []
    scan = parser._scan

    def counting(chunk: bytes, start: int, stop: int) -> Iterator[AuditEvent]:
        handed_back.append(start)
        return scan(chunk, start, stop)

    parser._scan = counting  # type: ignore[method-assign]
    events = sum(1 for _ in parser.parse_stream(io.BytesIO(mixed_log)))
    distinct = len(parser._idents) + len(parser._calls)
    assert events > 1000
    notes = mixed_log.count(b"callbacks suppressed")
    assert len(handed_back) <= distinct + notes
    assert len(handed_back) < events / 4


@needs_native
def test_caches_stay_bounded(mixed_log: bytes) -> None:
    # The log holds about 240 process texts and 335 syscall texts: more than the limit. (The C
    # scanner's own memo has a fixed number of slots.)
    with _limits(cache_max=64):
        parser = AuditParser()
        events = sum(1 for _ in parser.parse_stream(io.BytesIO(mixed_log)))
        assert max(len(parser._idents), len(parser._calls), len(parser._codes)) <= 64
        # Counting keeps at most a cache's worth of keys between folds, and loses none.
        counts = AuditParser().tally_stream(io.BytesIO(mixed_log))
        assert sum(counts.values()) == events


SERIAL_CASES = [
    [10, 11, 12, 13],
    [10, 12, 11, 13],  # late arrival
    [10, 10, 11, 11],  # duplicates
    [10, 11, 9_000_000, 1, 2],  # reboot
    [5, 6, 10**25, 10**25 + 1, 7],  # serials too long for the C code
    [0, 1, 2],
]


@needs_native
@pytest.mark.parametrize("serials", SERIAL_CASES)
@pytest.mark.parametrize("node", ["", "node=a ", "Jul  8 10:31:23 host kernel: "])
def test_serial_sequences(serials: list[int], node: str) -> None:
    other = "type=SYSCALL msg=audit(1795555952.515:{}): arch=c000003e syscall=59 success=yes"
    lines = []
    for i, serial in enumerate(serials):
        lines.append(node + _kernel(serial))
        lines.append(node + other.format(serial + 1 if i % 2 else serial + 10**6))
    data = ("\n".join(lines) + "\n").encode()
    for dedupe in (True, False):
        agree(data, dedupe=dedupe)
        agree(data + data, dedupe=dedupe, window=2)


@needs_native
def test_duplicate_window_pruning() -> None:
    """More serials than twice the window, with repeats inside and outside it."""
    serials = [*range(1, 40), *range(20, 50), 3, 45, *range(50, 90)]
    lines = [_kernel(s, pid=7) for s in serials] + [_kernel(s, pid=1000 + s) for s in serials]
    agree(("\n".join(lines) + "\n").encode(), window=8)


# Lines the C code must hand back (or get exactly right): stamps, serials, ips and codes that
# Python's float() and int() read differently from the plain kernel text, and broken structure.
VARIANTS = [
    ("audit(1795555952.515:", "audit(1e5:"),
    ("audit(1795555952.515:", "audit( 1.5:"),
    ("audit(1795555952.515:", "audit(+1.5:"),
    ("audit(1795555952.515:", "audit(1_0.5:"),
    ("audit(1795555952.515:", "audit(1.:"),
    ("audit(1795555952.515:", "audit(.5:"),
    ("audit(1795555952.515:", "audit(15:"),
    ("audit(1795555952.515:", "audit(1.5.5:"),
    ("audit(1795555952.515:", "audit(11/24/2026 21:32:32.515:"),
    ("audit(1795555952.515:", "audit(\u0661.\u0665:"),
    ("audit(1795555952.515:", "audit(" + "9" * 40 + ".5:"),
    ("audit(1795555952.515:", "audit(1795555952.515:1:"),
    (":3): ", ":03): "),
    (":3): ", ":+3): "),
    (":3): ", ": 3): "),
    (":3): ", ":1_0): "),
    (":3): ", ":" + "9" * 18 + "): "),
    (":3): ", ":" + "9" * 19 + "): "),
    (":3): ", ":): "),
    (":3): ", ":\u0663): "),
    (":3): ", ":3):"),
    (":3): ", ":3) : "),
    ("ip=0x7f997767bc47", "ip=0X7f"),
    ("ip=0x7f997767bc47", "ip=-0x5"),
    ("ip=0x7f997767bc47", "ip=0x_7f"),
    ("ip=0x7f997767bc47", "ip=0x" + "f" * 16),
    ("ip=0x7f997767bc47", "ip=0x" + "1" * 17),
    ("ip=0x7f997767bc47", "ip=7f"),
    ("ip=0x7f997767bc47", "ip= 0x7f"),
    ("ip=0x7f997767bc47", "ip=0x"),
    ("ip=0x7f997767bc47", "ip=0x7F"),
    ("ip=0x7f997767bc47", "ip=0x7f ip=0x8"),
    ("code=0x7ffc0000", "code=0x7ffc0000 "),
    ("code=0x7ffc0000", "code=0X7FFC0000"),
    ("code=0x7ffc0000", "code=0x7ffc0000\r"),
    ("code=0x7ffc0000", "code=0x7ffc0000 code=0x7ffc0000"),
    (" sig=0", " sig=0 sig=0"),
    (" sig=0", "sig=0"),
    ("audit: type", "{audit: type"),
    ("audit: type", "[audit: type"),
    ("audit: type", " kernel: audit: type"),
    ("audit: type", "node=x audit: type"),
    ("audit: type", "node= audit: type"),
    ("audit: type", "node=\xff\xfe audit: type"),
    ("audit: type", "h\xe9 kernel: audit: type"),
    ("audit: type", "x kernel: y kernel: audit: type"),
    ("audit: type", "node=a kernel: audit: type"),
    ("audit: type", "[ 1.0] h kernel: audit: type"),
    ("audit: type", "\x00audit: type"),
    ("audit: type", 'audit: "MESSAGE" type'),
    ("type=1326 audit(", "type=SECCOMP msg=audit("),
    ("type=1326 audit(", "type=1326 audit(1.1:1): type=1326 audit("),
    ("): auid", "): type=SECCOMP msg=audit(1.1:1): auid"),
]


@needs_native
@pytest.mark.parametrize(("old", "new"), VARIANTS)
def test_variants_of_a_cached_record(old: str, new: str) -> None:
    line = _kernel(3)
    changed = line.replace(old, new, 1)
    assert changed != line
    # Taught by the plain line first, so the caches hold its process, syscall and code texts.
    text = "\n".join([_kernel(1), _kernel(2), changed, _kernel(4), changed.replace(":3)", ":5)")])
    data = text.encode("utf-8", "surrogateescape")
    agree(data)
    agree(data, dedupe=False)


@needs_native
def test_a_line_over_16_mib() -> None:
    taught = _kernel(1).encode() + b"\n"
    huge = b"[ 1.0] " + b"audit(" * 3 + b"x" * (17 << 20) + b" " + _kernel(2).encode()
    data = taught + huge + b"\n" + _kernel(3).encode() + b"\n"
    events, stats = agree(data, block_size=1 << 20)
    # parse_stream judges a line over 16 MiB in pieces of at least 16 MiB (one more "line"
    # here); the record at the end of the long line is in the last piece, whole.
    assert [e.serial for e in events] == [1, 2, 3]
    assert (stats.lines, stats.records) == (4, 3)
    agree(taught + huge)  # no final newline


@needs_native
def test_a_long_line_saying_audit_ends() -> None:
    """Such a piece used to reach parse_block without its newline, which never returned."""
    data = b"audit " + b"x" * (17 << 20) + b"\n" + _kernel(3).encode() + b"\n"
    events, stats = agree(data)
    assert [e.serial for e in events] == [3]
    assert (stats.lines, stats.records) == (3, 1)


# -- generated logs -----------------------------------------------------------------------------

_OTHER = [
    "type=SYSCALL msg=audit(1795555952.515:{s}): arch=c000003e syscall=59 success=yes",
    "audit: type=1300 audit(1795555952.515:{s}): arch=c000003e syscall=59",
    "type=PATH msg=audit(11/24/2026 21:32:32.515:{s}) : item=0 name=/bin/sh",
    "type=CWD msg=audit(13/45/2026 99:99:99.515:{s}) : cwd=/",
    "type=PROCTITLE msg=audit(1795555952.515:{s}x): proctitle=sh",
    "[ 12.5] audit: type=1400 audit(1795555952.515:{s}): apparmor=DENIED",
]
_NOTES = [
    "[ 1402.452781] kauditd_printk_skb: {n} callbacks suppressed",
    "audit: printk limit exceeded",
    "audit: audit_lost={n} audit_rate_limit=0 audit_backlog_limit=64",
    '{{"MESSAGE": "kauditd_printk_skb: {n} callbacks suppressed"}}',
    '{{"MESSAGE": [1, 2,',
    "eth0: link up",
    "systemd[1]: Started auditd.service",
]
_PREFIXES = [
    "",
    "node=web-1 ",
    "node=web-2 ",
    "Jul  8 10:31:23 host kernel: ",
    "[ 9.1] h kernel: ",
    "[ 9.1] ",
    "{",
]
_SERIAL = re.compile(r":(\d+)\)")


def _renumber(line: str, serial: str) -> str:
    return _SERIAL.sub(lambda m: f":{serial})", line, count=1)


@st.composite
def mixed_logs(draw: st.DrawFn) -> bytes:
    """Records in every shape, repeated (so the fast path runs) with serials in order, late,
    repeated or absurd, under node and syslog prefixes, cut short, mutated, between other
    audit records, loss notes, journald JSON and junk."""
    pool: list[AuditLine] = draw(st.lists(audit_records(), min_size=1, max_size=5))
    serial = draw(st.integers(0, 2**40))
    out: list[bytes] = []
    for _ in range(draw(st.integers(1, 40))):
        kind = draw(st.sampled_from(["record"] * 6 + ["other", "note", "junk", "cut", "mutant"]))
        step = draw(st.sampled_from([1, 1, 1, 0, -1, -3, 2, 10**6, -(10**7)]))
        serial = max(serial + step, 0)
        text = _renumber(draw(st.sampled_from(pool)), str(serial))
        if draw(st.integers(0, 4)) == 0:
            text = _renumber(text, draw(st.sampled_from(["1" * 19, "1" * 25, "+5", "07", ""])))
        if kind == "record":
            text = draw(st.sampled_from(_PREFIXES)) + text if "{" not in text[:1] else text
        elif kind == "other":
            other = draw(st.sampled_from(_OTHER)).format(s=serial)
            text = draw(st.sampled_from(_PREFIXES)) + other
        elif kind == "note":
            text = draw(st.sampled_from(_NOTES)).format(n=draw(st.integers(0, 3000)))
        elif kind == "cut":
            text = text[: draw(st.integers(0, len(text)))]
        elif kind == "mutant":
            old, new = draw(st.sampled_from(VARIANTS))
            text = text.replace(old, new, 1)
        data = text.encode("utf-8", "surrogateescape")
        if kind == "junk":
            data = draw(st.binary(max_size=60))
        out.append(data)
    end = draw(st.sampled_from([b"\n", b"", b"\r\n"]))
    return b"\n".join(out) + end


@needs_native
@given(
    mixed_logs(),
    st.sampled_from([1 << 20, 1, 17, 256, 4096]),
    st.booleans(),
    st.sampled_from([None, 1, 2, 5]),
    st.sampled_from([None, 2, 5]),
)
def test_generated_logs_agree(
    data: bytes, block_size: int, dedupe: bool, cache_max: int | None, window: int | None
) -> None:
    agree(data, block_size=block_size, dedupe=dedupe, cache_max=cache_max, window=window)


@needs_native
@given(st.lists(audit_records(), min_size=1, max_size=20))
def test_generated_records_as_lines_agree(lines: list[AuditLine]) -> None:
    """Through parse(lines) (str lines, batches) as well as streams."""
    both = []
    for native in (True, False):
        parser = AuditParser(native=native, dedupe=False)
        events = list(parser.parse([*lines, *lines]))
        both.append(([_shape(e) for e in events], parser.stats))
    assert both[0] == both[1]
    # (The careful path builds its events' attributes in another order than the fast path;
    # both parsers do the same, compared above.)
    assert [sorted(_shape(e)) for e in AuditParser(dedupe=False).parse(lines)] == [
        sorted(_shape(line.event)) for line in lines
    ]


@needs_native
@given(st.lists(st.binary(max_size=300), max_size=20), st.sampled_from([1 << 20, 3, 64]))
def test_arbitrary_bytes_agree(chunks: list[bytes], block_size: int) -> None:
    agree(b"\n".join(chunks), block_size=block_size)


# Pieces of a record the parser has cached, to shuffle into hostile lines: the C code then
# finds known texts in unknown places.
_PIECES = [
    b"type=1326 audit(",
    b"type=SECCOMP msg=audit(",
    b"audit: ",
    b"1795555952.515:",
    b"7): ",
    b"): ",
    b'auid=4294967295 uid=0 gid=0 ses=4294967295 pid=6463 comm="true" exe="/usr/bin/true"',
    b" sig=0 arch=c000003e syscall=12 compat=0",
    b" ip=0x7f997767bc47",
    b" ip=0x",
    b" code=0x7ffc0000",
    b" code=",
    b"\n",
    b"audit(",
    b":",
    b")",
    b"node=",
    b" kernel: ",
    b'"MESSAGE"',
    b"{",
    b"[",
    b"/",
    b"\x00",
    b"\xff",
    b" ",
    b"9" * 20,
]


@needs_native
@given(st.lists(st.sampled_from(_PIECES) | st.binary(max_size=8), max_size=60))
def test_shuffled_record_pieces_agree(pieces: list[bytes]) -> None:
    taught = (_kernel(1) + "\n").encode()
    agree(taught + b"".join(pieces) + b"\n" + taught.replace(b":1)", b":2)"))


# -- the C scanner's own checks ------------------------------------------------------------------


@needs_native
def test_scanner_rejects_bad_arguments() -> None:
    parser = AuditParser()
    scanner = parser._scanner
    assert scanner is not None
    with pytest.raises(ValueError, match="newline"):
        scanner.events(b"audit: x", 0, -1, [], 10, True, 8, parser._serial, 0)
    with pytest.raises(ValueError, match="newline"):
        scanner.events(b"ab\ncd\n", 1, -1, [], 10, True, 8, parser._serial, 0)
    with pytest.raises(ValueError, match="newline"):
        scanner.events(b"ab\n", 4, -1, [], 10, True, 8, parser._serial, 0)
    with pytest.raises(TypeError):
        scanner.events("text\n", 0, -1, [], 10, True, 8, parser._serial, 0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        scanner.tally(b"x\n", 0, -1, [], 0, True, 8, parser._serial, 0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        scanner.events(b"x\n", 0, -1, [])  # type: ignore[call-arg]
    # parse_block supplies a missing final newline (the last line counts).
    assert [e.serial for e in parser.parse_block(_kernel(3).encode())] == [3]
    assert parser.stats.lines == 1


@needs_native
def test_events_are_handed_over_in_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """parse() stays lazy: the C code returns after a batch of events, not a whole block."""
    monkeypatch.setattr(audit, "_BATCH", 3)
    data = "".join(_kernel(s, nr=s % 300) + "\n" for s in range(1, 200)).encode()
    parser = AuditParser()
    events = parser.parse_block(data)
    first = next(events)
    assert first.serial == 1
    assert parser.stats.events <= 3 + 1
    assert [e.serial for e in [first, *events]] == list(range(1, 200))
    assert parser.stats.events == 199


# -- recording from counts ---------------------------------------------------------------------

FILTERS = [
    EventFilter(),
    EventFilter(actions={"log"}),
    EventFilter(actions={"errno", "kill_process"}),
    EventFilter(comms={"ls"}),
    EventFilter(pids={1}),
    EventFilter(since=1795555952.0, until=2100000000.0),
]


@needs_native
@pytest.mark.parametrize("where", FILTERS)
@pytest.mark.parametrize("arches", [None, [Arch.X86_64], ["x86"]])
def test_record_log_equals_record_of_parse(
    where: EventFilter, arches: list[Arch | str] | None, mixed_log: bytes
) -> None:
    for path in [*_logs(), None]:
        source: Any = io.BytesIO(mixed_log) if path is None else path
        stats = AuditStats()
        fast = record_log(source, where=where, arches=arches, baseline="runc", stats=stats)
        source = io.BytesIO(mixed_log) if path is None else path
        pure_stats = AuditStats()
        pure_events = audit.parse(source, stats=pure_stats, native=False)
        slow = record(pure_events, where=where, arches=arches, baseline="runc", stats=pure_stats)
        assert fast == slow
        assert fast.summary() == slow.summary()


def test_record_counts_needs_a_plain_filter() -> None:
    from seccomp_kit.errors import InputError

    counts = Counter({TallyKey(Arch.X86_64, 0, "read", 0x7FFC0000): 2})
    assert record_counts(counts).syscalls == {Arch.X86_64: frozenset({"read"})}
    with pytest.raises(InputError, match="need the events"):
        record_counts(counts, where=EventFilter(comms={"ls"}))
    # Counts of zero or less are not events.
    assert record_counts({TallyKey(Arch.X86_64, 1, "write", 0x7FFC0000): 0}).events == 0


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 0), out, err


@needs_native
@pytest.mark.parametrize(
    "options",
    [[], ["--action", "log"], ["--arch", "x86_64", "--baseline", "runc"], ["--comm", "ls"]],
)
def test_cli_record_from_logs_is_unchanged(
    options: list[str],
    tmp_path: Path,
    mixed_log: bytes,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    mixed = tmp_path / "mixed.log"
    mixed.write_bytes(mixed_log)
    sources = ["--from", str(DATA / "dmesg.log"), "--from", str(mixed)]
    results = []
    for disabled in ("", "1"):
        monkeypatch.setenv("SECCOMP_KIT_NO_NATIVE", disabled)
        results.append(_cli(capsys, "record", *sources, *options))
    assert results[0] == results[1]
    code, out, err = results[0]
    assert code == 1 and "LOST: at least" in err and '"names"' in out
