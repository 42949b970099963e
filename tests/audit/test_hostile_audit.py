"""Hostile audit input (issue 17): every fault the fuzzing campaign found stays fixed, and the
C scanner and the Python parser agree on what a valid stamp is, for any bytes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seccomp_kit.audit import AuditParser, Reason, _stamp, parse
from seccomp_kit.audit import _parser as audit
from seccomp_kit.audit._fields import _Bad, parse_stamp
from tests.audit.test_audit import BODY, KERNEL
from tests.audit.test_audit_native import agree, needs_native

# A record in the kernel's spelling, with its stamp replaced.
RECORD = "audit: type=1326 audit({stamp}): " + BODY


def test_thirteen_digit_seconds_are_malformed_on_both_paths() -> None:
    taught = (KERNEL + "\n").encode()
    line = RECORD.format(stamp="0000000000001.5:4").encode()
    for native in (False, True) if audit._NATIVE else (False,):
        parser = AuditParser(native=native)
        assert [e.serial for e in parser.parse_block(taught + line + b"\n")] == [3]
        assert parser.stats.skipped == {Reason.MALFORMED: 1}


@needs_native
def test_c_and_python_share_the_stamp_limits() -> None:
    from seccomp_kit.audit import _scan

    assert (
        _scan.STAMP_SECONDS_DIGITS,
        _scan.STAMP_FRACTION_DIGITS,
        _scan.STAMP_SERIAL_DIGITS,
    ) == (_stamp.SECONDS_DIGITS, _stamp.FRACTION_DIGITS, _stamp.SERIAL_DIGITS)


@pytest.mark.parametrize(
    "stamp",
    [
        "1." + "1" * 5000 + ":2",
        "02/03/2024 10:00:00." + "1" * 5000 + ":2",
        "1.5:" + "9" * 5000,
        "1" * 5000 + ":2",
    ],
)
def test_long_numbers_in_a_stamp_are_malformed(stamp: str) -> None:
    with pytest.raises(_Bad) as caught:
        parse_stamp(stamp)
    assert caught.value.reason == Reason.MALFORMED


def test_a_day_no_calendar_has_in_journal_short_output() -> None:
    parser = AuditParser()
    line = f"2024-02-30T00:00:00Z vm audit[6463]: SECCOMP {BODY}"
    assert list(parser.parse([line])) == []
    assert parser.stats.skipped == {Reason.MALFORMED: 1}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("_AUDIT_ID", "9" * 5000),
        ("_AUDIT_ID", "18446744073709551616"),
        ("__REALTIME_TIMESTAMP", "9" * 400),
        ("_SOURCE_REALTIME_TIMESTAMP", "9" * 21),
    ],
)
def test_long_numbers_in_journald_fields_are_ignored(field: str, value: str) -> None:
    entry = {"MESSAGE": f"SECCOMP {BODY}", "_AUDIT_TYPE": "1326", field: value}
    (event,) = parse([json.dumps(entry)])
    assert (event.serial, event.timestamp, event.syscall) == (None, None, "brk")


def test_journald_numbers_within_64_bits_are_read() -> None:
    entry = {"MESSAGE": f"SECCOMP {BODY}", "_AUDIT_TYPE": "1326", "_AUDIT_ID": 7,
             "__REALTIME_TIMESTAMP": "18446744073709551615"}  # fmt: skip
    (event,) = parse([json.dumps(entry)])
    assert (event.serial, event.timestamp) == (7, 18446744073709551615 / 1e6)


@pytest.mark.parametrize("native", [False, True])
def test_lone_surrogates_in_journald_json_are_escaped(native: bool) -> None:
    if native and audit._NATIVE is None:
        pytest.skip("the C scanner is not built")
    message = KERNEL.replace('comm="true"', 'comm="a\\ud800b"')
    lines = [
        json.dumps({"MESSAGE": "\ud800"}),
        json.dumps({"MESSAGE": message, "_HOSTNAME": "h\udc80"}),
    ]
    parser = AuditParser(native=native)
    (event,) = parser.parse(lines)
    assert event.comm == "a\\ud800b" and event.node == "h\\udc80"
    for text in (event.comm, event.node):
        text.encode("utf-8")  # valid Unicode: every writer can take it


@pytest.mark.parametrize("native", [False, True])
def test_a_5000_digit_serial_on_another_record(native: bool) -> None:
    if native and audit._NATIVE is None:
        pytest.skip("the C scanner is not built")
    line = "type=SYSCALL msg=audit(1795555952.515:" + "9" * 5000 + "): arch=c000003e"
    parser = AuditParser(native=native)
    assert list(parser.parse([KERNEL, line])) != []
    assert parser.stats.serial_gaps == 0


@needs_native
def test_a_scanner_whose_init_was_skipped_refuses_to_scan() -> None:
    from seccomp_kit.audit._scan import Scanner

    scanner = Scanner.__new__(Scanner)
    with pytest.raises(RuntimeError, match="__init__"):
        scanner.events(b"x\n", 0, -1, [], 10, True, 8, lambda *a: True, 0)
    with pytest.raises(RuntimeError, match="__init__"):
        scanner.tally(b"x\n", 0, -1, {}, 10, True, 8, lambda *a: True, 0)


# Stamps that sit on the edges of the grammar: digit runs around the limits, dots, signs,
# exponents, spaces, non-ASCII digits, and arbitrary text.
_STAMP_PART = st.one_of(
    st.integers(0, 22).map(lambda n: "1" * n),
    st.sampled_from([".", ":", "-", "+", "e5", " ", "_", "٣", "/", "0x1", "inf", "nan"]),
    st.text(max_size=4),
)


_STAMPS = st.one_of(
    st.from_regex(r"\A[0-9]{0,22}(\.[0-9]{0,14})?\Z"),
    st.lists(_STAMP_PART, max_size=6).map("".join),
)


@needs_native
@given(
    _STAMPS,
    st.binary(max_size=12),
    st.sampled_from([1, 2, 4]),
)
def test_c_and_python_agree_on_any_stamp(stamp: str, junk: bytes, serial: int) -> None:
    """The two paths agree on arbitrary bytes in the stamp's place, after the parser has been
    taught the record (so the C scanner does handle what it accepts)."""
    taught = (KERNEL + "\n").encode()
    line = RECORD.format(stamp=f"{stamp}:{serial}").encode("utf-8", "surrogatepass")
    raw = RECORD.encode().replace(b"{stamp}", junk + b":" + str(serial).encode())
    other = f"type=SYSCALL msg=audit({stamp}:{serial + 1}): x".encode("utf-8", "surrogatepass")
    agree(taught + b"\n".join([line, raw, other]) + b"\n")


@pytest.mark.parametrize("native", [False, True])
def test_str_lines_with_lone_surrogates(native: bool) -> None:
    """parse() of str lines: a lone surrogate outside surrogateescape's range is kept as
    escapes, never an encoding error."""
    if native and audit._NATIVE is None:
        pytest.skip("the C scanner is not built")
    line = KERNEL.replace('comm="true"', 'comm="a\ud800"')
    (event,) = AuditParser(native=native).parse([line])
    assert event.comm == "a\\xed\\xa0\\x80"
    assert event.comm.encode("utf-8")
