"""Bad input never produces a traceback or a hang: a SeccompKitError naming file, line and
column from the library, one line and exit status 2 from the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import seccomp_kit as sk
from seccomp_kit.cli import main
from seccomp_kit.errors import LoadError, ParseError, ProfileError, SeccompKitError
from seccomp_kit.io import MAX_DEPTH, MAX_DOCUMENT_BYTES
from seccomp_kit.validation import validate, validate_text

# name -> (bytes, error class, line, column, words in the message)
CASES: dict[str, tuple[bytes, type[SeccompKitError], int | None, int | None, str]] = {
    "invalid-json": (
        b'{\n  "defaultAction": "SCMP_ACT_ALLOW",\n  "syscalls": [,]\n}\n',
        ParseError,
        3,
        16,
        "invalid JSON",
    ),
    "trailing-garbage": (b'{"defaultAction": "SCMP_ACT_ALLOW"} x', ParseError, 1, 37, "Extra data"),
    "deep-nesting": (b"[" * 100_000, ParseError, 1, MAX_DEPTH + 1, "nested"),
    "deep-but-closed": (
        b'{"defaultAction": "SCMP_ACT_ALLOW", "x": ' + b"[" * 500 + b"]" * 500 + b"}",
        ParseError,
        1,
        41 + MAX_DEPTH,
        "nested",
    ),
    "binary-junk": (bytes(range(256)) * 4, LoadError, 1, 1, "binary data"),
    "png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", LoadError, 1, 1, "not UTF-8"),
    "latin-1": (
        '{\n  "defaultAction": "SCMP_ACT_ALLOW", "x": "é"}'.encode("latin-1"),
        LoadError,
        2,
        44,
        "0xe9",
    ),
    "utf-16": ('{"defaultAction": "SCMP_ACT_ALLOW"}'.encode("utf-16"), LoadError, 1, 1, "UTF-16"),
    "empty": (b"", ParseError, 1, 1, "empty document"),
    "blank": (b" \n\t\n", ParseError, 1, 1, "empty document"),
    "nan": (
        b'{"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": NaN}',
        ParseError,
        None,
        None,
        "NaN",
    ),
}


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("name", sorted(CASES))
def test_library_raises_a_located_seccomp_kit_error(tmp_path: Path, name: str) -> None:
    data, error, line, column, words = CASES[name]
    path = _write(tmp_path, f"{name}.json", data)
    for call in (sk.load, validate):
        with pytest.raises(error) as info:
            call(path)  # type: ignore[operator]
        assert isinstance(info.value, ValueError)
        assert info.value.source == str(path)
        assert (info.value.line, info.value.column) == (line, column)
        assert words in info.value.message
    with pytest.raises(error):
        sk.loads(data, name=name)


@pytest.mark.parametrize("name", sorted(CASES))
def test_cli_prints_one_line_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    data, _, line, column, words = CASES[name]
    path = _write(tmp_path, f"{name}.json", data)
    where = str(path) if line is None else f"{path}:{line}:{column}"
    for command in ("validate", "fmt"):
        with pytest.raises(SystemExit) as info:
            main([command, str(path)])
        out, err = capsys.readouterr()
        assert info.value.code == 2
        [message] = [x for x in err.splitlines() if x.startswith("seccomp-kit:")]
        assert message.startswith(f"seccomp-kit: {where}: ")
        assert words in message
        assert "Traceback" not in err
        assert out == ""
    assert path.read_bytes() == data  # fmt left the bad file alone


@pytest.mark.timeout(60)  # a hang fails; speed itself is measured in benchmarks/
def test_a_100_mb_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as fh:
        fh.write(b'{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [')
        rule = b'{"names": ["read"], "action": "SCMP_ACT_LOG"},'
        chunk = rule * (1024 * 1024 // len(rule))
        for _ in range(101):
            fh.write(chunk)
        fh.write(b'{"names": ["read"], "action": "SCMP_ACT_LOG"}]}')
    assert path.stat().st_size > 100 * 1024 * 1024
    for call in (sk.load, validate):
        with pytest.raises(LoadError, match="larger than 16 MiB") as info:
            call(path)  # type: ignore[operator]
        assert info.value.source == str(path)
    with path.open("rb") as fh, pytest.raises(LoadError, match="larger than"):
        sk.load(fh)


def test_a_document_just_under_the_limit_still_loads(tmp_path: Path) -> None:
    text = '{"defaultAction": "SCMP_ACT_ALLOW", "comment": "' + "a" * (2 * 1024 * 1024) + '"}'
    assert len(text) < MAX_DOCUMENT_BYTES
    assert sk.loads(text).extras[0][0] == "comment"


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no such file"):
        validate(tmp_path / "nope.json")
    with pytest.raises(LoadError, match="directory"):
        sk.load(tmp_path)


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, "secret.json", b"{}")
    real_open = open

    def refuse(file: Any, *args: Any, **kw: Any) -> Any:
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied")
        return real_open(file, *args, **kw)

    monkeypatch.setattr("builtins.open", refuse)
    with pytest.raises(LoadError, match="cannot read: Permission denied") as info:
        sk.load(path)
    assert info.value.source == str(path)


def test_wrong_types_are_diagnostics_for_validate_and_errors_for_load() -> None:
    text = (
        '{\n  "defaultAction": "SCMP_ACT_ALLOW",\n  "syscalls": [{"names": "read", "action": 5}]\n}'
    )
    diags = validate_text(text, name="t.json")
    assert [(d.code, d.pointer, d.line) for d in diags] == [
        ("SK001", "/syscalls/0/names", 3),
        ("SK001", "/syscalls/0/action", 3),
    ]
    with pytest.raises(ProfileError) as info:
        sk.loads(text, name="t.json")
    assert (info.value.line, info.value.pointer) == (3, "/syscalls/0/names")


@pytest.mark.parametrize("doc", ["[]", '"profile"', "3", "null", "{}"])
def test_documents_that_are_not_objects_or_lack_everything(doc: str) -> None:
    [diag] = validate_text(doc)
    assert diag.code in ("SK002", "SK007")
    assert diag.is_error
    with pytest.raises(ProfileError):
        sk.loads(doc)


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
_profile_like = st.fixed_dictionaries(
    {"defaultAction": st.sampled_from(["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", 1, None])},
    optional={
        "syscalls": st.lists(
            st.fixed_dictionaries(
                {"names": _json | st.just(["read"]), "action": _json | st.just("SCMP_ACT_LOG")},
                optional={"args": _json, "errnoRet": _json, "name": _json, "includes": _json},
            ),
            max_size=3,
        ),
        "archMap": _json,
        "defaultErrno": _json,
        "architectures": _json,
    },
)


@given(st.one_of(_json, _profile_like))
def test_validate_never_raises_for_any_json_document(doc: Any) -> None:
    diags = validate_text(json.dumps(doc))
    assert all(d.code and d.message for d in diags)
    loads_ok = True
    try:
        sk.loads(json.dumps(doc))
    except ProfileError:
        loads_ok = False
    if not loads_ok:  # what the model cannot hold, validation reports as an error
        assert any(d.is_error for d in diags)


@given(st.binary(max_size=200))
def test_any_bytes_give_a_profile_or_a_seccomp_kit_error(data: bytes) -> None:
    try:
        sk.loads(data)
    except SeccompKitError as exc:
        assert exc.message
    try:
        validate_text(data)
    except SeccompKitError as exc:
        assert isinstance(exc, (LoadError, ParseError))


def test_non_ascii_digits_in_user_input_are_clear_errors() -> None:
    """str.isdigit() accepts "²", which int() refuses: such input must be an error naming it,
    not a traceback."""
    from seccomp_kit.algebra.resolving import resolve
    from seccomp_kit.errors import InputError
    from seccomp_kit.record import build_profile

    profile = sk.Profile(default_action="SCMP_ACT_ALLOW")
    with pytest.raises(InputError, match="kernel version"):
        resolve(profile, arch="x86_64", kernel="².6")
    with pytest.raises(InputError, match="errno"):
        build_profile({}, default_errno="²")
