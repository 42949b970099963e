"""Hostile profile text (issue 17): numbers are bounded before int()/float(), and a lone
surrogate is refused at load with its position, so every writer gets valid Unicode."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seccomp_kit import io
from seccomp_kit.errors import ParseError
from seccomp_kit.numbers import decimal, kernel_release


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("1" * 5000, "has 5000 characters"),
        ("1e400", "beyond a 64-bit float"),
        ("-1e400", "beyond a 64-bit float"),
        ("1" + "0" * 400 + ".5", "has 403 characters"),
    ],
)
def test_hostile_numbers_are_located_parse_errors(number: str, message: str) -> None:
    text = '{"defaultAction": "SCMP_ACT_ERRNO",\n "x": "' + number + '", "y": ' + number + "}"
    with pytest.raises(ParseError, match=message) as info:
        io.loads(text)
    assert (info.value.line, info.value.column) == (2, 16 + len(number))
    assert len(str(info.value)) < 200


@given(st.integers(0, 2**64 - 1))
def test_every_uint64_still_loads(value: int) -> None:
    text = (
        '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action":'
        f' "SCMP_ACT_ALLOW", "args": [{{"index": 0, "value": {value}, "op": "SCMP_CMP_EQ"}}]}}]}}'
    )
    assert io.loads(text).syscalls[0].args[0].value == value


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ('{"defaultAction": "SCMP_ACT_ERRNO", "comment": "\\ud800"}', "$.comment"),
        ('{"defaultAction": "SCMP_ACT_ERRNO", "\\udc00": 1}', "$['\\\\udc00']"),
        (
            '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["a\\udfffb"],'
            ' "action": "SCMP_ACT_ALLOW"}]}',
            "$.syscalls[0].names[0]",
        ),
        ('{"defaultAction": "SCMP_ACT_ERRNO", "comment": "\ud800"}', "$.comment"),
    ],
)
def test_lone_surrogates_are_refused_at_load(text: str, path: str) -> None:
    with pytest.raises(ParseError, match="lone UTF-16 surrogate") as info:
        io.loads(text)
    assert info.value.json_path == path
    assert info.value.line == 1


def test_a_surrogate_pair_is_a_character_and_round_trips() -> None:
    profile = io.loads('{"defaultAction": "SCMP_ACT_ERRNO", "comment": "\\ud83d\\ude00"}')
    assert io.loads(io.dumps(profile)) == profile
    io.dumps(profile).encode("utf-8")


@pytest.mark.parametrize(
    ("text", "digits", "value"),
    [("12", 2, 12), ("123", 2, None), ("", 3, None), ("²", 3, None), ("1_0", 3, None)],
)
def test_decimal(text: str, digits: int, value: int | None) -> None:
    assert decimal(text, digits=digits) == value


@pytest.mark.parametrize(
    ("text", "exact", "value"),
    [
        ("6.8.0-45-generic", False, (6, 8)),
        ("5.10", True, (5, 10)),
        ("5.10.1", True, None),
        ("5." + "1" * 10, False, None),
        ("5." + "1" * 5000, True, None),
        ("\u0665.\u0661\u0660", False, None),  # Arabic-Indic digits
    ],
)
def test_kernel_release(text: str, exact: bool, value: tuple[int, int] | None) -> None:
    assert kernel_release(text, exact=exact) == value
