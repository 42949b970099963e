"""validate reports every problem at once: a value the model cannot hold (a schema error) does
not hide what the rest of the document gets wrong."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given

from seccomp_kit.io import to_data
from seccomp_kit.model import Profile
from seccomp_kit.testing.strategies import profiles
from seccomp_kit.validation import validate_text


def findings(doc: Any) -> set[tuple[str, tuple[Any, ...]]]:
    return {(d.code, d.path) for d in validate_text(json.dumps(doc, indent=1), name="p.json")}


def test_the_issue_example_reports_all_three_problems() -> None:
    doc = {
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": -1,
        "defaultAcion": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["opn", "read", "exit_group", "exit"], "action": "SCMP_ACT_ALLOW"}],
    }
    found = findings(doc)
    assert ("SK003", ("defaultErrnoRet",)) in found
    assert ("SK105", ("defaultAcion",)) in found
    assert ("SK110", ("syscalls", 0, "names", 0)) in found


def test_a_broken_rule_does_not_hide_the_others_and_invents_nothing() -> None:
    doc = {
        "defaultAction": "SCMP_ACT_ERRNO",
        "syscalls": [
            {"names": ["exit_group", "exit"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": "not a list"},
            {"names": ["wirte"], "action": "SCMP_ACT_ALLOW"},
        ],
    }
    found = findings(doc)
    assert any(code == "SK001" and path[:2] == ("syscalls", 1) for code, path in found)
    assert ("SK110", ("syscalls", 2, "names", 0)) in found
    # Nothing but the schema's finding about the broken rule, and no new conflicts.
    assert {c for c, p in found if p[:2] == ("syscalls", 1)} == {"SK001"}
    assert {c for c, _ in found} == {"SK001", "SK110"}


def test_without_a_default_action_only_the_schema_speaks() -> None:
    doc = {"defaultAction": 5, "syscalls": [{"names": ["opn"], "action": "SCMP_ACT_ALLOW"}]}
    assert {code for code, _ in findings(doc)} <= {"SK001", "SK005", "SK006"}


@given(profiles(max_rules=4))
def test_a_bad_default_errno_adds_its_error_and_hides_nothing(profile: Profile) -> None:
    doc = to_data(profile)
    doc.pop("defaultErrnoRet", None)
    doc.pop("defaultErrno", None)
    clean = findings(doc)
    bad = findings({**doc, "defaultErrnoRet": -1})
    assert bad - clean == {("SK003", ("defaultErrnoRet",))}
    assert clean <= bad


def test_junk_in_names_does_not_break_the_salvage() -> None:
    doc = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": None, "action": None, "name": []}, {"names": [[1], {"a": 2}]}],
    }
    assert any(code == "SK001" for code, _ in findings(doc))
