"""``seccomp-kit validate`` and ``seccomp-kit fmt``: output, exit statuses, files written."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import seccomp_kit as sk
import seccomp_kit.validation.semantics as semantics
from seccomp_kit.cli import main
from seccomp_kit.model import Arch

CLEAN = (
    '{"defaultAction": "SCMP_ACT_ALLOW",'
    ' "syscalls": [{"names": ["reboot"], "action": "SCMP_ACT_ERRNO"}]}'
)
WARNED = (
    '{"defaultAction": "SCMP_ACT_ALLOW",'
    ' "syscalls": [{"names": ["rebot"], "action": "SCMP_ACT_ERRNO"}]}'
)
BROKEN = (
    '{"defaultAction": "SCMP_ACT_ALLOW",\n'
    ' "syscalls": [{"names": ["read"], "action": "SCMP_ACT_NOPE"}]}'
)


@pytest.fixture(autouse=True)
def _x86_64_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(semantics, "native_arch", lambda: Arch.X86_64)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 0), out, err


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


# -- validate -----------------------------------------------------------------------------------


def test_exit_0_for_clean_and_warned_files(tmp_path: Path, capsys: Any) -> None:
    clean, warned = write(tmp_path, "c.json", CLEAN), write(tmp_path, "w.json", WARNED)
    code, out, err = run(capsys, "validate", clean)
    assert (code, out) == (0, "")
    assert "0 error(s), 0 warning(s)" in err
    code, out, _ = run(capsys, "validate", clean, warned)
    assert code == 0
    assert out == (
        f"{warned}:1:61: warning SK110 unknown syscall 'rebot': runtimes ignore it"
        " (did you mean 'reboot'?)\n"
    )


def test_exit_1_for_errors_and_every_file_is_reported(tmp_path: Path, capsys: Any) -> None:
    broken, warned = write(tmp_path, "b.json", BROKEN), write(tmp_path, "w.json", WARNED)
    code, out, _ = run(capsys, "validate", broken, warned)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(f"{broken}:2:45: error SK101 unknown action")
    assert lines[1].startswith(f"{warned}:1:61: warning SK110")


def test_exit_2_for_unreadable_input_with_one_line(tmp_path: Path, capsys: Any) -> None:
    bad = write(tmp_path, "bad.json", '{"defaultAction": "SCMP_ACT_ALLOW",\n "syscalls": [}')
    broken = write(tmp_path, "b.json", BROKEN)
    code, out, err = run(capsys, "validate", bad, str(tmp_path / "missing.json"), broken)
    assert code == 2  # unreadable input outranks validation errors
    assert "error SK101" in out  # the readable file was still checked
    messages = [line for line in err.splitlines() if line.startswith("seccomp-kit:")]
    assert messages == [
        f"seccomp-kit: {bad}:2:15: invalid JSON: Expecting value",
        f"seccomp-kit: {tmp_path / 'missing.json'}: no such file",
    ]


def test_json_format_is_one_array_over_all_files(tmp_path: Path, capsys: Any) -> None:
    broken, warned = write(tmp_path, "b.json", BROKEN), write(tmp_path, "w.json", WARNED)
    code, out, _ = run(capsys, "validate", "--format", "json", broken, warned)
    assert code == 1
    data = json.loads(out)
    assert [(d["file"], d["code"], d["severity"]) for d in data] == [
        (broken, "SK101", "error"),
        (warned, "SK110", "warning"),
    ]
    assert set(data[0]) == {
        "file", "severity", "code", "path", "pointer", "line", "column", "message", "suggestion",
    }  # fmt: skip
    assert (data[0]["path"], data[0]["pointer"], data[0]["line"]) == (
        "$.syscalls[0].action",
        "/syscalls/0/action",
        2,
    )
    code, out, _ = run(capsys, "validate", "--format", "json", write(tmp_path, "c.json", CLEAN))
    assert (code, json.loads(out)) == (0, [])


def test_runtime_arch_and_kernel_options(tmp_path: Path, capsys: Any) -> None:
    path = write(
        tmp_path,
        "p.json",
        '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["arch_prctl", "openat2"],'
        ' "action": "SCMP_ACT_LOG", "errnoRet": 1}]}',
    )
    assert run(capsys, "validate", path)[0] == 0  # runc ignores the errnoRet: a warning
    assert run(capsys, "validate", "--runtime", "crun", path)[0] == 1
    code, out, _ = run(capsys, "validate", "--arch", "arm64", "--kernel", "5.4", path)
    assert code == 0
    assert "SK110" in out  # arch_prctl does not exist on arm64
    assert "SK111" in out  # openat2 came with 5.6


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--arch", "amd65"], "did you mean 'amd64'"),
        (["--kernel", "five"], "X.Y"),
        (["--runtime", "youki"], "youki"),
        (["--format", "xml"], "xml"),
        ([], "Missing argument"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, capsys: Any, args: list[str], needle: str) -> None:
    files = [] if not args else [write(tmp_path, "c.json", CLEAN)]
    code, _, err = run(capsys, "validate", *args, *files)
    assert code == 2
    assert needle in err


def test_stdin(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(BROKEN.encode()), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    code, out, _ = run(capsys, "validate", "-")
    assert code == 1
    assert out.startswith("<stdin>:2:45: error SK101")


@pytest.mark.parametrize("command", ["validate", "fmt"])
def test_help(capsys: Any, command: str) -> None:
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    assert f"Usage: seccomp-kit {command}" in out
    assert "Exit status" in out


def test_console_script_prints_no_traceback(tmp_path: Path) -> None:
    exe = shutil.which("seccomp-kit", path=str(Path(sys.executable).parent))
    assert exe is not None
    bad = tmp_path / "junk.json"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    done = subprocess.run([exe, "validate", str(bad)], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == (
        f"seccomp-kit: {bad}:1:1: not UTF-8 text: byte 0x89 cannot be decoded"
    )
    assert "Traceback" not in done.stderr


# -- fmt -------------------------------------------------------------------------------------------


def test_fmt_rewrites_in_place_only_when_needed(tmp_path: Path, capsys: Any) -> None:
    path = Path(write(tmp_path, "p.json", WARNED))
    os.chmod(path, 0o640)
    code, _, err = run(capsys, "fmt", str(path))
    assert code == 0
    assert f"reformatted {path}" in err
    text = path.read_text()
    assert text == sk.dumps(sk.loads(WARNED))
    assert path.stat().st_mode & 0o777 == 0o640
    before = path.stat().st_mtime_ns
    code, _, err = run(capsys, "fmt", str(path))
    assert (code, err) == (0, "")
    assert path.stat().st_mtime_ns == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json"]  # no temporary left


def test_fmt_check(tmp_path: Path, capsys: Any) -> None:
    messy = write(tmp_path, "m.json", WARNED)
    tidy = write(tmp_path, "t.json", sk.dumps(sk.loads(CLEAN)))
    code, _, err = run(capsys, "fmt", "--check", messy, tidy)
    assert code == 1
    assert err.splitlines() == [f"would reformat {messy}"]
    assert Path(messy).read_text() == WARNED
    assert run(capsys, "fmt", "--check", tidy)[0] == 0


def test_fmt_output_and_dialect_conversion(corpus: Path, tmp_path: Path, capsys: Any) -> None:
    source = corpus / "profiles" / "moby-conditional-include.json"
    out_path = tmp_path / "oci.json"
    code, _, err = run(capsys, "fmt", "--dialect", "oci", "-o", str(out_path), str(source))
    assert code == 0
    dropped = [line for line in err.splitlines() if "dropped" in line]
    assert len(dropped) == 2
    assert "$.syscalls[1] (syslog)" in dropped[0]
    converted = sk.load(out_path)
    assert converted.dialect is sk.Dialect.OCI
    assert [r.names for r in converted.syscalls] == [("chmod",)]
    code, out, _ = run(capsys, "fmt", "-o", "-", str(source))
    assert out == sk.dumps(sk.load(source))


def test_fmt_is_idempotent_on_the_corpus(
    corpus_profiles: list[Path], tmp_path: Path, capsys: Any
) -> None:
    from tests.conftest import NOT_PROFILES

    copies = []
    for path in corpus_profiles:
        if path.name not in NOT_PROFILES:
            copies.append(tmp_path / path.name)
            shutil.copy(path, copies[-1])
            copies[-1].chmod(0o644)
    assert run(capsys, "fmt", *map(str, copies))[0] == 0
    first = {p: p.read_text() for p in copies}
    assert run(capsys, "fmt", "--check", *map(str, copies))[0] == 0
    assert {p: p.read_text() for p in copies} == first


def test_fmt_usage_and_unreadable(tmp_path: Path, capsys: Any) -> None:
    a, b = write(tmp_path, "a.json", CLEAN), write(tmp_path, "b.json", CLEAN)
    code, _, err = run(capsys, "fmt", "-o", "x.json", a, b)
    assert code == 2
    assert "exactly one input" in err
    bad = write(tmp_path, "bad.json", "")
    code, _, err = run(capsys, "fmt", bad, a)
    assert code == 2
    assert f"seccomp-kit: {bad}:1:1: empty document" in err
    assert Path(a).read_text() == sk.dumps(sk.loads(CLEAN))  # the good file was still formatted
