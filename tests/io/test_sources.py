"""Every library function that reads a profile takes what ``validate`` takes: a Profile, a path
(``str`` or ``Path``) or an open file (text or binary)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import seccomp_kit as sk
from seccomp_kit.errors import InputError, LoadError

ROOT = Path(__file__).resolve().parents[2]
LOG_ALL = ROOT / "profiles" / "log-all.json"
BLOCK_ALL = ROOT / "profiles" / "block-all.json"
MOBY = ROOT / "profiles" / "runtime-default.json"


def _forms(path: Path) -> list[Any]:
    text = path.read_text()
    return [sk.load(path), str(path), path, io.StringIO(text), io.BytesIO(text.encode())]


CALLS: dict[str, Callable[[Any], Any]] = {
    "compile_profile": lambda p: sk.compile_profile(p).bpf,
    "Matcher": lambda p: sk.Matcher(p).match("getpid").ret,
    "normalize": lambda p: sk.dumps(sk.normalize(p)),
    "merge": lambda p: sk.dumps(sk.merge(p, BLOCK_ALL)),
    "diff": lambda p: sk.diff(p, BLOCK_ALL).to_data(),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_every_form_gives_the_same_answer(name: str) -> None:
    call = CALLS[name]
    answers = [call(form) for form in _forms(LOG_ALL)]
    assert all(a == answers[0] for a in answers), name


def test_resolve_takes_a_path() -> None:
    from_model = sk.resolve(sk.load(MOBY), arch="amd64", kernel="6.8")
    assert sk.dumps(sk.resolve(str(MOBY), arch="amd64", kernel="6.8")) == sk.dumps(from_model)
    with MOBY.open("rb") as fh:
        assert sk.dumps(sk.resolve(fh, arch="amd64", kernel="6.8")) == sk.dumps(from_model)


def test_merge_takes_a_list_as_well_as_arguments() -> None:
    pair = sk.dumps(sk.merge(LOG_ALL, BLOCK_ALL, strategy="intersection"))
    assert sk.dumps(sk.merge([LOG_ALL, BLOCK_ALL], strategy="intersection")) == pair
    assert sk.dumps(sk.merge((str(LOG_ALL), sk.load(BLOCK_ALL)), strategy="intersection")) == pair


def test_diff_of_a_path_and_itself_is_empty() -> None:
    assert not sk.diff(str(LOG_ALL), LOG_ALL)


@pytest.mark.kernel
def test_run_takes_a_path() -> None:
    assert sk.run(str(LOG_ALL), ["true"]) == 0


def test_a_missing_path_is_a_load_error_naming_it() -> None:
    with pytest.raises(LoadError, match=r"nope\.json"):
        sk.compile_profile("nope.json")


@pytest.mark.parametrize("bad", [b'{"defaultAction": "SCMP_ACT_ALLOW"}', 42, None])
def test_other_types_are_refused_clearly(bad: object) -> None:
    with pytest.raises(InputError, match="expected a Profile, a path or an open file"):
        sk.normalize(bad)  # type: ignore[arg-type]
