"""validate stays linear (issue 17): positions come from one index of the text, and rules are
compared with a bounded index of earlier rules, while reporting what pairwise comparison did."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seccomp_kit.io._positions import Locator, line_column, locate
from seccomp_kit.model import Profile
from seccomp_kit.testing.strategies import profiles
from seccomp_kit.validation import validate_text
from seccomp_kit.validation.semantics import _Checker, _pair_code

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=4),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=3), children, max_size=4)
    ),
    max_leaves=30,
)
_PATHS = st.lists(st.integers(0, 4) | st.text(max_size=3), max_size=4)


@given(_JSON, st.lists(_PATHS, max_size=8), st.booleans())
def test_the_locator_answers_what_locate_answers(data: object, paths: list, pretty: bool) -> None:
    text = json.dumps(data, indent=2 if pretty else None)
    locator = Locator(text)
    for path in paths:
        offset = locate(text, path)
        assert locator.offset(path) == offset
        if offset is not None:
            assert locator.line_column(offset) == line_column(text, offset)


def _pairwise(profile: Profile) -> set[tuple[str, int]]:
    """The reference: every pair of entries per name, as validation compared them before."""
    checker = _Checker(profile, "runc", None, None)
    by_name: dict[str, list] = {}
    for i, rule in enumerate(profile.syscalls):
        entries = list(checker.entries(i, rule))
        for name in rule.names:
            by_name.setdefault(name, []).extend(entries)
    found = set()
    for entries in by_name.values():
        for j, b in enumerate(entries):
            for a in entries[:j]:
                code = _pair_code(a, b)
                if code is not None and a.rule != b.rule:
                    found.add((code, b.rule))
    return found


_CONFLICTS = {"SK402", "SK403", "SK404", "SK405", "SK406", "SK407"}


@given(profiles(runtime="runc", max_rules=12, names=st.sampled_from(["read", "write", "open"])))
def test_each_rule_gets_the_findings_pairwise_comparison_gave(profile: Profile) -> None:
    from seccomp_kit.io import dumps

    report = validate_text(dumps(profile))
    got = {
        (d.code, d.path[1])
        for d in report
        if d.code in _CONFLICTS and len(d.path) >= 2 and d.path[-1] != "names"
    }
    assert got == _pairwise(profile)


def _one_name_profile(count: int) -> str:
    rules = [
        {"names": ["read"], "action": "SCMP_ACT_ALLOW" if i % 2 else "SCMP_ACT_ERRNO"}
        for i in range(count)
    ]
    return json.dumps({"defaultAction": "SCMP_ACT_KILL", "syscalls": rules}, indent=1)


def test_work_per_rule_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Counted, not timed: rule comparisons and value skips grow linearly with the rules."""
    from seccomp_kit.io import _positions
    from seccomp_kit.validation import semantics

    calls = {"pairs": 0, "skips": 0}
    pair_code, skip_value = semantics._pair_code, _positions._skip_value

    def counted_pair(*args: Any) -> Any:
        calls["pairs"] += 1
        return pair_code(*args)

    def counted_skip(*args: Any) -> Any:
        calls["skips"] += 1
        return skip_value(*args)

    monkeypatch.setattr(semantics, "_pair_code", counted_pair)
    monkeypatch.setattr(_positions, "_skip_value", counted_skip)
    count = 2000
    report = validate_text(_one_name_profile(count))
    assert len([d for d in report if d.code in _CONFLICTS]) == 2 * count - 3  # SK402, SK406
    assert calls["pairs"] <= 4 * count
    assert calls["skips"] <= 8 * count
