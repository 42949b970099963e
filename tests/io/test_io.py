"""Loading and writing profiles: corpus round trips and canonical output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import seccomp_kit as sk
from seccomp_kit.errors import ProfileError
from tests.conftest import NOT_PROFILES


def _real(paths: list[Path]) -> list[Path]:
    return [p for p in paths if p.name not in NOT_PROFILES]


def test_corpus_round_trip_equal_model_and_idempotent_text(corpus_profiles: list[Path]) -> None:
    profiles = _real(corpus_profiles)
    assert len(profiles) >= 10
    for path in profiles:
        profile = sk.load(path)
        text = sk.dumps(profile)
        again = sk.loads(text)
        assert again == profile, path.name
        assert sk.dumps(again) == text, path.name


def test_corpus_round_trip_keeps_every_json_value(corpus_profiles: list[Path]) -> None:
    """The canonical text says the same as the input, modulo nulls and empty containers."""

    def prune(value: object) -> object:
        if isinstance(value, dict):
            return {
                k: prune(v) for k, v in value.items() if v not in (None, [], {}) or k == "names"
            }
        if isinstance(value, list):
            return [prune(v) for v in value]
        return value

    for path in _real(corpus_profiles):
        original = json.loads(path.read_text())
        written = json.loads(sk.dumps(sk.load(path)))
        assert prune(written) == prune(original), path.name


def test_corpus_non_profiles_are_refused_with_reason(corpus_profiles: list[Path]) -> None:
    for path in corpus_profiles:
        if path.name in NOT_PROFILES:
            with pytest.raises(ProfileError, match="defaultAction") as info:
                sk.load(path)
            assert info.value.source == str(path)
            assert info.value.line == 1


def test_legacy_name_round_trips_as_written() -> None:
    profile = sk.loads(
        '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"name": "read",'
        ' "action": "SCMP_ACT_ALLOW"}]}'
    )
    assert profile.syscalls[0].names == ("read",)
    assert profile.dialect is sk.Dialect.MOBY
    assert '"name": "read"' in sk.dumps(profile)
    converted, dropped = sk.convert(profile, "oci")
    assert dropped == []
    assert '"names": [' in sk.dumps(converted)


def test_load_and_validate_read_resources_inside_a_zip(tmp_path: Path) -> None:
    """Inside an installed wheel the shipped profiles are zip members, not filesystem paths."""
    import zipfile

    from seccomp_kit.validation import validate

    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("p.json", '{"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRett": 1}')
    member = zipfile.Path(archive, "p.json")
    assert sk.load(member).extras == (("defaultErrnoRett", "1"),)
    [diag] = validate(member)
    assert (diag.code, diag.line, diag.column) == ("SK105", 1, 37)
    assert diag.file == str(member)


def test_canonical_text_is_idempotent_for_drawn_profiles() -> None:
    from hypothesis import given

    from seccomp_kit.testing.strategies import profiles

    @given(profiles(dialect="containers", max_rules=4))
    def round_trip(profile: sk.Profile) -> None:
        text = sk.dumps(profile)
        assert sk.loads(text) == profile
        assert sk.dumps(sk.loads(text)) == text

    round_trip()
