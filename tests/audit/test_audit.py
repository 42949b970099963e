"""seccomp_kit.audit: every record shape, exact accounting, never the wrong syscall."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from seccomp_kit.audit import AuditEvent, AuditParser, AuditStats, Reason, parse, parse_line
from seccomp_kit.errors import LoadError
from seccomp_kit.model import Action, Arch
from seccomp_kit.testing._audit_records import FORMATS, AuditLine, audit_records
from tests.conftest import DATA_DIR, corpus_dir

DATA = DATA_DIR / "audit"

BODY = (
    'auid=4294967295 uid=0 gid=0 ses=4294967295 pid=6463 comm="true" exe="/usr/bin/true" '
    "sig=0 arch=c000003e syscall=12 compat=0 ip=0x7f997767bc47 code=0x7ffc0000"
)
KERNEL = f"audit: type=1326 audit(1795555952.515:3): {BODY}"


def one(line: str | bytes) -> AuditEvent:
    event = parse_line(line)
    assert event is not None, line
    return event


def run(lines: list[str] | list[bytes]) -> tuple[list[AuditEvent], AuditStats]:
    stats = AuditStats()
    return list(parse(lines, stats=stats)), stats


# -- fields --------------------------------------------------------------------------------


def test_kernel_record_fields() -> None:
    e = one(KERNEL)
    assert (e.timestamp, e.serial, e.node) == (1795555952.515, 3, None)
    assert (e.auid, e.uid, e.gid, e.ses, e.subj) == (4294967295, 0, 0, 4294967295, None)
    assert (e.pid, e.comm, e.exe, e.sig) == (6463, "true", "/usr/bin/true", 0)
    assert (e.arch, e.arch_code, e.syscall_nr, e.syscall) == (Arch.X86_64, 0xC000003E, 12, "brk")
    assert (e.compat, e.ip, e.code) == (False, 0x7F997767BC47, 0x7FFC0000)
    assert e.action is Action.LOG
    assert e.action_data == 0
    assert e.time is not None and e.time.year == 2026


@pytest.mark.parametrize(
    ("prefix", "node"),
    [
        ("", None),
        ("[  522.117919] ", None),
        ("<5>[  522.117919] ", None),
        ("kern  :notice: [  522.117919] ", None),
        ("[Tue Nov 24 21:32:32 2026] ", None),
        ("[22734288.221628][   T55] ", None),
        ("5,352,522117916,-;", None),
        ("5,352,522117916,-,caller=T55;", None),
        ("Jul  8 10:31:23 ubuntu2004 kernel: [  270.853767] ", "ubuntu2004"),
        ("<5>Jan 15 16:27:18 n37-031-068 kernel: [22734288.221628][   T55] ", "n37-031-068"),
        ("2026-11-24T21:32:32+0000 vm kernel: ", "vm"),
        ("Nov 24 21:32:32 vm kernel: ", "vm"),
    ],
)
def test_kernel_log_prefixes(prefix: str, node: str | None) -> None:
    e = one(prefix + KERNEL)
    assert (e.syscall, e.serial, e.pid, e.node) == ("brk", 3, 6463, node)


def test_auditd_raw_node_and_enriched() -> None:
    raw = f"type=SECCOMP msg=audit(1795555952.515:3): {BODY}"
    assert one(raw) == one(KERNEL)
    assert one("node=web-1 " + raw).node == "web-1"
    enriched = raw + '\x1dAUID="unset" UID="root" GID="root" ARCH=x86_64 SYSCALL=brk'
    assert one(enriched) == one(KERNEL)


def test_ausearch_interpreted() -> None:
    line = (
        "type=SECCOMP msg=audit(11/24/2026 21:32:32.515:3) : auid=unset uid=root gid=root "
        "ses=unset pid=6463 comm=true exe=/usr/bin/true sig=0 arch=x86_64 syscall=brk "
        "compat=0 ip=0x7f997767bc47 code=log"
    )
    e = one(line)
    assert (e.arch, e.syscall, e.syscall_nr, e.code) == (Arch.X86_64, "brk", 12, 0x7FFC0000)
    assert (e.auid, e.uid, e.gid, e.ses, e.comm, e.exe) == (
        4294967295,
        0,
        0,
        4294967295,
        "true",
        "/usr/bin/true",
    )
    # ausearch prints local time; the timestamp is that local time, to the millisecond.
    expected = time.mktime(time.strptime("11/24/2026 21:32:32", "%m/%d/%Y %H:%M:%S")) + 0.515
    assert e.timestamp == pytest.approx(expected)
    # Names of other users cannot be mapped back to numbers: None, not a guess.
    assert one(line.replace("uid=root", "uid=alice")).uid is None
    # Two-digit years (C locale %x) and i386 names in an interpreted x86_64 record.
    short = line.replace("11/24/2026", "11/24/26").replace("arch=x86_64", "arch=i386")
    e32 = one(short.replace("syscall=brk", "syscall=socketcall").replace("compat=0", "compat=1"))
    assert (e32.arch, e32.syscall_nr, e32.syscall) == (Arch.X86, 102, "socketcall")


SUBJECTS = [
    "=unconfined",
    "cri-containerd.apparmor.d (enforce)",
    "system_u:system_r:container_t:s0:c1,c2",
    "=varmor//null-/bin/sleep (complain) x=y",
]


@pytest.mark.parametrize(
    ("field", "expected"), [("subj=?", None)] + [(f"subj={s}", s) for s in SUBJECTS]
)
def test_subj_labels(field: str, expected: str | None) -> None:
    line = KERNEL.replace(" pid=6463", f" {field} pid=6463")
    e = one(line)
    assert e.subj == expected
    assert (e.pid, e.syscall) == (6463, "brk")


@pytest.mark.parametrize(
    ("old", "new", "attr", "expected"),
    [
        ('comm="true"', "comm=6D7920636F6D6D", "comm", "my comm"),
        ('comm="true"', "comm=22712200", "comm", '"q"\x00'),
        ('comm="true"', "comm=C3A9", "comm", "é"),
        ('exe="/usr/bin/true"', "exe=2F746D702F6120622F78", "exe", "/tmp/a b/x"),
        ('exe="/usr/bin/true"', "exe=(null)", "exe", None),
        ("uid=0 gid=0 ", "", "uid", None),
        ("uid=0 gid=0 ", "", "gid", None),
        ("uid=0", "uid=invalid", "uid", None),
        ("compat=0 ", "", "compat", None),
    ],
)
def test_field_variants(old: str, new: str, attr: str, expected: object) -> None:
    line = KERNEL.replace(old, new)
    assert line != KERNEL
    e = one(line)
    assert getattr(e, attr) == expected
    assert e.syscall == "brk"


def test_corpus_samples_resolve_in_their_own_table() -> None:
    stats = AuditStats()
    events = list(parse(corpus_dir("audit") / "kernel-and-auditd-samples.log", stats=stats))
    assert [e.syscall for e in events] == [
        "rt_sigaction",
        "write",
        "read",
        "faccessat2",
        "munmap",
        "fcntl",
        "fchmodat",
        "unshare",
        "fchmodat",
        "fchmodat",
    ]
    assert stats.lines == 11
    assert stats.records == 11
    assert stats.skipped == {Reason.DUPLICATE: 1}  # the same serial twice, once without ids
    subjects = {e.subj for e in events}
    assert "=varmor-cluster-varmor-demo-4//null-/bin/sleep (complain)" in subjects
    assert "=cri-containerd.apparmor.d (enforce)" in subjects
    # Syslog lines name their host: serials are counted per machine.
    assert {e.node for e in events} >= {"ubuntu2004", "n37-031-068"}


# -- architectures -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arch", "nr", "compat", "expected_arch", "name"),
    [
        ("40000003", 102, 1, Arch.X86, "socketcall"),
        ("40000003", 5, 1, Arch.X86, "open"),
        ("c000003e", 5, 1, Arch.X86, "open"),  # compat on x86_64 -> the i386 table
        ("c000003e", 5, 0, Arch.X86_64, "fstat"),
        ("c000003e", 0x40000000, 1, Arch.X32, "read"),
        ("c00000b7", 56, 0, Arch.AARCH64, "openat"),
        ("40000028", 5, 1, Arch.ARM, "open"),
        ("80000016", 5, 0, Arch.S390X, "open"),
        ("c00000f3", 56, 0, Arch.RISCV64, "openat"),
    ],
)
def test_syscall_resolved_in_the_records_arch(
    arch: str, nr: int, compat: int, expected_arch: Arch, name: str
) -> None:
    line = KERNEL.replace(
        "arch=c000003e syscall=12 compat=0", f"arch={arch} syscall={nr} compat={compat}"
    )
    e = one(line)
    assert (e.arch, e.syscall_nr, e.syscall) == (expected_arch, nr, name)


def test_unknown_arch_is_counted_never_guessed() -> None:
    events, stats = run([KERNEL.replace("arch=c000003e", "arch=deadbeef")] * 2)
    assert events == []
    assert stats.records == 2
    assert stats.skipped == {Reason.UNKNOWN_ARCH: 2}
    assert stats.unknown_arch_codes == {"deadbeef": 2}


def test_unknown_syscall_number_keeps_no_name() -> None:
    events, stats = run([KERNEL.replace("syscall=12", "syscall=4000")])
    assert [(e.syscall_nr, e.syscall) for e in events] == [(4000, None)]
    assert stats.unknown_syscalls == 1


# -- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (KERNEL[:60], Reason.TRUNCATED),
        (KERNEL[: KERNEL.index(" syscall=")], Reason.TRUNCATED),
        (KERNEL.replace("syscall=12", "syscall=99999999999999999999999"), Reason.MALFORMED),
        (KERNEL.replace("syscall=12", "syscall=-1"), Reason.MALFORMED),
        (KERNEL.replace("ip=0x7f997767bc47", "ip=0xzz"), Reason.MALFORMED),
        (KERNEL.replace("code=0x7ffc0000", "code=0x1ffffffff"), Reason.MALFORMED),
        (KERNEL.replace('comm="true"', "comm=true"), Reason.MALFORMED),
        (KERNEL.replace("pid=6463", "pid=6463 pid=7"), Reason.MALFORMED),
        (KERNEL.replace("audit(1795555952.515:3)", "audit(1795555952.515)"), Reason.MALFORMED),
        (KERNEL.replace("audit(1795555952.515:3)", "audit(17955x5952.515:3)"), Reason.MALFORMED),
        ("audit: type=1326 audit(1795555952.5", Reason.TRUNCATED),
    ],
)
def test_damaged_records_are_counted_by_reason(line: str, reason: str) -> None:
    events, stats = run([line])
    assert events == []
    assert (stats.lines, stats.records) == (1, 1)
    assert stats.skipped == {reason: 1}


def test_merged_lines_never_borrow_fields() -> None:
    # Console output merged a cut-off record with the next one: the first is truncated, the
    # second is whole; the cut one must not get the second's syscall.
    cut = KERNEL[: KERNEL.index(" sig=0")]
    second = KERNEL.replace("audit(1795555952.515:3)", "audit(1795555952.515:4)").replace(
        "syscall=12", "syscall=59"
    )
    events, stats = run([cut + second])
    assert [(e.serial, e.syscall) for e in events] == [(4, "execve")]
    assert (stats.lines, stats.records, stats.events) == (1, 2, 1)
    assert stats.skipped == {Reason.TRUNCATED: 1}


def test_binary_junk_is_skipped_and_counted() -> None:
    junk = [b"\x00\xff\xfe garbage \x1b[31m", bytes(range(256)), b"type=1326 audit(\xff\xfe): \x00"]
    events, stats = run([*junk, KERNEL.encode()])
    assert [e.syscall for e in events] == ["brk"]
    assert stats.lines == 5  # bytes(range(256)) holds a newline: two lines
    assert stats.records == 2
    assert stats.skipped == {Reason.MALFORMED: 1}


@given(st.lists(st.binary(max_size=300), max_size=20))
def test_arbitrary_bytes_never_crash_and_lines_are_counted(chunks: list[bytes]) -> None:
    stats = AuditStats()
    events = list(parse(chunks, stats=stats))
    expected_lines = sum(c.count(b"\n") + (0 if c.endswith(b"\n") else 1) for c in chunks)
    assert stats.lines == expected_lines
    assert stats.records == stats.events + sum(stats.skipped.values()) - stats.skipped.get(
        Reason.BAD_JSON, 0
    )
    assert len(events) == stats.events


# -- accounting ----------------------------------------------------------------------------


def _line(serial: int, syscall: int = 12, node: str | None = None) -> str:
    text = KERNEL.replace("audit(1795555952.515:3)", f"audit(1795555952.515:{serial})")
    text = text.replace("syscall=12", f"syscall={syscall}")
    return f"node={node} {text}" if node else text


def test_serial_gaps_counted_and_late_arrivals_uncounted() -> None:
    events, stats = run([_line(10), _line(11), _line(15), _line(13), _line(16)])
    assert [e.serial for e in events] == [10, 11, 15, 13, 16]
    assert stats.serial_gaps == 2  # 12 and 14 never came; 13 came late
    assert stats.lost == 2


def test_serial_gaps_are_per_node_and_reset_after_reboot() -> None:
    lines = [_line(100, node="a"), _line(5, node="b"), _line(101, node="a"), _line(6, node="b")]
    assert run(lines)[1].serial_gaps == 0
    assert run([_line(9_000_000), _line(1), _line(2)])[1].serial_gaps == 0


def test_other_audit_records_fill_serials() -> None:
    syscall = "audit: type=1300 audit(1795555952.515:11): arch=c000003e syscall=59 success=yes"
    _, stats = run([_line(10), syscall, _line(12)])
    assert stats.serial_gaps == 0
    assert stats.records == 2


def test_duplicates_skipped() -> None:
    events, stats = run([_line(10), _line(10), _line(11)])
    assert [e.serial for e in events] == [10, 11]
    assert stats.skipped == {Reason.DUPLICATE: 1}
    assert len(list(parse([_line(10), _line(10)], dedupe=False))) == 2


def test_loss_notes() -> None:
    lines = [
        "[ 1402.452781] kauditd_printk_skb: 1425 callbacks suppressed",
        "[   10.000000] audit_printk_skb: 3 callbacks suppressed",
        "[   11.000000] net_ratelimit: 99 callbacks suppressed",  # not audit's: ignored
        "audit: printk limit exceeded",
        "audit: printk limit exceeded",
        "audit: audit_lost=5 audit_rate_limit=0 audit_backlog_limit=64",
        "audit: audit_lost=9 audit_rate_limit=0 audit_backlog_limit=64",
    ]
    _, stats = run(lines)
    assert stats.callbacks_suppressed == 1428
    assert stats.printk_limit == 2
    assert stats.audit_lost == 1 + 4
    assert stats.lost == 1428 + 2 + 5
    assert stats.records == 0
    assert stats.other_lines == 7
    assert any(line.startswith("LOST") for line in stats.summary())


@pytest.mark.parametrize(
    "name", ["dmesg.log", "dmesg-T.log", "dmesg-r.log", "dmesg-x.log", "kmsg.log"]
)
def test_real_kernel_log_shapes_agree_and_account_for_the_rate_limit(name: str) -> None:
    # Captured on this project's test machine: one run of `sh`, then `ls` recorded; printk
    # dropped 1425 records between serials 3781 and 5207 and said so.
    stats = AuditStats()
    events = list(parse(DATA / name, stats=stats))
    reference = list(parse(DATA / "dmesg.log"))
    assert events == reference
    assert (stats.lines, stats.records, stats.events) == (12, 11, 11)
    assert stats.callbacks_suppressed == 1425
    assert stats.serial_gaps == 1425
    assert stats.lost == 1425
    assert [e.syscall for e in events[:2]] == ["read", "execve"]


def test_real_netlink_recording_is_complete() -> None:
    stats = AuditStats()
    events = list(parse(DATA / "netlink-ls.log", stats=stats))
    assert (stats.lines, stats.records, stats.events, stats.lost) == (154, 154, 154, 0)
    assert {e.comm for e in events} == {"seccomp-kit", "ls"}
    assert events[-1].syscall == "exit_group"
    assert all(e.arch is Arch.X86_64 and e.action is Action.LOG for e in events)


# -- journald ------------------------------------------------------------------------------


def test_journald_shapes() -> None:
    body = BODY
    kernel_json = json.dumps({"MESSAGE": KERNEL, "_TRANSPORT": "kernel", "_HOSTNAME": "vm"})
    audit_json = json.dumps(
        {
            "MESSAGE": "SECCOMP " + body,
            "_AUDIT_TYPE": "1326",
            "_AUDIT_TYPE_NAME": "SECCOMP",
            "_AUDIT_ID": "3",
            "_SOURCE_REALTIME_TIMESTAMP": "1795555952515000",
            "_HOSTNAME": "vm",
        }
    )
    bytes_json = json.dumps({"MESSAGE": list(KERNEL.encode()), "_HOSTNAME": "vm"})
    short_audit = f"Nov 24 21:32:32 vm audit[6463]: SECCOMP {body}"
    iso_audit = f"2026-11-24T21:32:32+0000 vm audit[6463]: SECCOMP {body}"
    for line in (kernel_json, audit_json, bytes_json):
        e = one(line)
        assert (e.syscall, e.serial, e.timestamp, e.node) == ("brk", 3, 1795555952.515, "vm")
    e = one(short_audit)
    assert (e.syscall, e.serial, e.timestamp, e.pid) == ("brk", None, None, 6463)
    assert one(iso_audit).timestamp == 1795555952.0
    other = json.dumps({"MESSAGE": "eth0: link up", "_TRANSPORT": "kernel"})
    notes = json.dumps({"MESSAGE": "kauditd_printk_skb: 7 callbacks suppressed"})
    broken = ['{"MESSAGE": "audit: type=1326 audit(', '{"MESSAGE": [1, 2,']
    events, stats = run([other, notes, *broken])
    assert events == []
    assert stats.callbacks_suppressed == 7
    assert stats.skipped == {Reason.BAD_JSON: 2}


# -- inputs --------------------------------------------------------------------------------


def test_inputs_agree(tmp_path: Path) -> None:
    lines = (DATA / "netlink-ls.log").read_text().splitlines()
    from_path = list(parse(DATA / "netlink-ls.log"))
    assert list(parse(lines)) == from_path
    assert list(parse([x.encode() for x in lines])) == from_path
    assert list(parse(io.BytesIO((DATA / "netlink-ls.log").read_bytes()))) == from_path
    assert list(parse(io.StringIO((DATA / "netlink-ls.log").read_text()))) == from_path
    # Blocks that cut lines anywhere give the same result.
    parser = AuditParser()
    raw = io.BytesIO((DATA / "netlink-ls.log").read_bytes())
    assert list(parser.parse_stream(raw, block_size=97)) == from_path
    assert parser.stats.lines == 154
    no_newline = tmp_path / "last.log"
    no_newline.write_text(KERNEL)
    assert [e.syscall for e in parse(no_newline)] == ["brk"]


def test_missing_file_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="cannot read audit log") as info:
        parse(tmp_path / "nope.log")
    assert info.value.source == str(tmp_path / "nope.log")


def test_events_are_frozen_and_hashable() -> None:
    e = one(KERNEL)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        e.pid = 1  # type: ignore[misc]
    assert len({e, one(KERNEL)}) == 1
    assert attrs.evolve(e, pid=1).pid == 1


# -- properties ----------------------------------------------------------------------------


@given(audit_records())
def test_every_generated_shape_parses_to_its_event(line: AuditLine) -> None:
    expected = line.event
    assert isinstance(line, str)
    parser = AuditParser(dedupe=False)
    assert parser.feed(line) == [expected]
    # The second time the fast path (taught by the first) must agree exactly.
    assert parser.feed(line) == [expected]
    assert parser.stats.records == 2


@given(st.lists(audit_records(formats=["netlink", "auditd"]), min_size=1, max_size=30), st.data())
def test_dropped_records_show_as_serial_gaps(pairs: list[AuditLine], data: st.DataObject) -> None:
    # Renumber the records 1..n, drop some, and check the gap count is the number dropped
    # (records after the first one kept).
    lines = []
    for i, line in enumerate(pairs, start=1):
        assert line.event.serial is not None
        lines.append(line.replace(f":{line.event.serial}): ", f":{i}): ", 1))
    keep = data.draw(st.lists(st.booleans(), min_size=len(lines), max_size=len(lines)))
    kept = [i for i, k in enumerate(keep, start=1) if k]
    stats = AuditStats()
    events = list(parse([line for line, k in zip(lines, keep, strict=True) if k], stats=stats))
    assert [e.serial for e in events] == kept
    expected_gaps = (kept[-1] - kept[0] + 1 - len(kept)) if kept else 0
    assert stats.serial_gaps == expected_gaps


def test_strategy_arguments_are_checked() -> None:
    with pytest.raises(InvalidArgument):
        audit_records(formats=["nope"]).example()
    with pytest.raises(InvalidArgument):
        audit_records(formats="netlink").example()
    with pytest.raises(InvalidArgument):
        audit_records(formats=[]).example()
    assert set(FORMATS) >= {"netlink", "auditd", "journal-json"}


@given(st.data())
def test_reexported_from_seccomp_kit_strategies(data: st.DataObject) -> None:
    from seccomp_kit import strategies

    line = data.draw(strategies.audit_records(formats=["kmsg"]))
    assert isinstance(line, AuditLine)
    assert parse_line(line) == line.event


def test_ausearch_raw_output() -> None:
    lines = [
        "----",
        "time->Tue Nov 24 21:32:32 2026",
        f"type=SECCOMP msg=audit(1795555952.515:3): {BODY}",
        "----",
        "time->Tue Nov 24 21:32:33 2026",
        f"type=SECCOMP msg=audit(1795555953.001:4): {BODY}".replace("syscall=12", "syscall=0"),
    ]
    events, stats = run(lines)
    assert [(e.serial, e.syscall) for e in events] == [(3, "brk"), (4, "read")]
    assert (stats.lines, stats.records, stats.other_lines, stats.lost) == (6, 2, 4, 0)


def _numbered_record(serial: int, pid: int) -> str:
    return (
        f"type=SECCOMP msg=audit(1700000000.{serial % 1000:03d}:{serial}): auid=4294967295"
        f' uid=0 gid=0 ses=4294967295 pid={pid} comm="sh" exe="/bin/sh" sig=0 arch=c000003e'
        " syscall=1 compat=0 ip=0x7f code=0x7ffc0000"
    )


@settings(max_examples=12)  # each example parses 18,000 records; a few cover the window rule
@given(
    st.lists(st.integers(min_value=1, max_value=40_000), min_size=1, max_size=300),
    st.integers(min_value=0, max_value=20_000),
)
def test_duplicates_depend_on_the_serials_alone(repeats: list[int], start: int) -> None:
    """Records of one process take the inline path, records of many processes the careful one;
    both must count the same duplicates, gaps and events for the same serial sequence."""
    serials = [start + i for i in range(1, 9_001)] + [start + r for r in repeats]
    results = []
    for same_process in (True, False):
        parser = AuditParser()
        events = list(
            parser.parse(_numbered_record(s, 7 if same_process else 1000 + s) for s in serials)
        )
        results.append((len(events), dict(parser.stats.skipped), parser.stats.serial_gaps))
    assert results[0] == results[1]


def test_a_repeat_inside_the_window_is_a_duplicate_on_both_paths() -> None:
    serials = [*range(1, 9_001), 8_000]
    for pid_of in (lambda s: 7, lambda s: 1000 + s):
        parser = AuditParser()
        events = list(parser.parse(_numbered_record(s, pid_of(s)) for s in serials))
        assert len(events) == 9_000
        assert parser.stats.skipped[Reason.DUPLICATE] == 1


# Characters str.isdigit() accepts that int() refuses (superscripts, circled) or reads as another
# script's digits: a kernel record never holds them, so the record is malformed, never a crash.
@pytest.mark.parametrize("digit", ["²", "⑦", "١٢", "\uff11\uff12"])
@pytest.mark.parametrize("field", ["auid", "uid", "gid", "ses", "pid", "syscall"])
@pytest.mark.parametrize("native", [False, None])
def test_non_ascii_digits_make_a_record_malformed(field: str, digit: str, native: bool) -> None:
    start = BODY.index(f"{field}=") + len(field) + 1
    end = BODY.index(" ", start)
    line = f"audit: type=1326 audit(1795555952.515:3): {BODY[:start]}{digit}{BODY[end:]}"
    parser = AuditParser(native=native)
    assert list(parser.parse([KERNEL, line])) == [one(KERNEL)]
    assert parser.stats.skipped == {Reason.MALFORMED: 1}


def test_non_ascii_digits_in_journald_fields_are_ignored() -> None:
    entry = {"MESSAGE": f"SECCOMP {BODY}", "_AUDIT_TYPE": "1326", "_AUDIT_ID": "²",
             "__REALTIME_TIMESTAMP": "١٢"}  # fmt: skip
    (event,) = parse([json.dumps(entry)])
    assert event.serial is None and event.timestamp is None and event.syscall == "brk"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("ip=0x7f997767bc47", "ip=-0x5"),
        ("ip=0x7f997767bc47", "ip=0x_7f"),
        ("ip=0x7f997767bc47", "ip=0x7fg"),
        ("ip=0x7f997767bc47", "ip=0x11112222333344445"),
        ("audit(1795555952.515:3)", "audit(1e5:3)"),
        ("audit(1795555952.515:3)", "audit( 1.5:3)"),
        ("audit(1795555952.515:3)", "audit(1.5:1_0)"),
        ("audit(1795555952.515:3)", "audit(1.5:+4)"),
        ("audit(1795555952.515:3)", "audit(1.:4)"),
        ("audit(1795555952.515:3)", "audit(1795555952:4)"),
        ("audit(1795555952.515:3)", "audit(1.5:99999999999999999999)"),
    ],
)
@pytest.mark.parametrize("native", [False, None])
def test_a_line_means_the_same_whatever_came_before(old: str, new: str, native: bool) -> None:
    """The fast path knows a record's texts once an earlier line taught it; the numbers it then
    reads must be judged as the careful path judges them on first sight."""
    odd = KERNEL.replace(old, new)
    teacher = KERNEL.replace("audit(1795555952.515:3)", "audit(1795555952.515:2)")
    alone = AuditParser(native=native, dedupe=False)
    first = list(alone.parse([odd]))
    after = AuditParser(native=native, dedupe=False)
    events = list(after.parse([teacher, odd]))
    assert events[1:] == first
    assert after.stats.skipped == alone.stats.skipped
