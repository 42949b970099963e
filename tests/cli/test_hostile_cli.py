"""Hostile command lines (issues 16 and 17): every write failure, every hostile number and
every lone surrogate is one line on stderr with exit status 2, never a traceback."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

from tests.cli.test_merge import allow, run, write

LONG = "x" * 300

AUDIT = (
    "audit: type=1326 audit(1795555952.515:3): auid=4294967295 uid=0 gid=0 ses=4294967295"
    ' pid=6463 comm="true" exe="/usr/bin/true" sig=0 arch=c000003e syscall=12 compat=0'
    " ip=0x7f997767bc47 code=0x7ffc0000\n"
)


def _writers(tmp_path: Path) -> dict[str, list[str]]:
    """Each subcommand that writes a file, with its -o last."""
    profile = write(tmp_path, "p.json", allow("read", "exit_group"))
    log = tmp_path / "audit.log"
    log.write_text(AUDIT)
    return {
        "compile": ["compile", profile, "--arch", "x86_64", "-o"],
        "fmt": ["fmt", profile, "-o"],
        "normalize": ["normalize", profile, "-o"],
        "merge": ["merge", profile, profile, "-o"],
        "resolve": ["resolve", profile, "--arch", "x86_64", "-o"],
        "record": ["record", "--from", str(log), "-o"],
        "k8s import": ["k8s", "import", str(tmp_path / "none.yaml"), "-o"],
        "install": ["install", profile, "--name", "p.json", "--root"],
    }


_TARGETS = {
    "missing directory": "{tmp}/missing/out.json",
    "name too long": "{tmp}/" + LONG,
    "empty": "",
    "proc file": "/proc/self/status",
    "a directory": "{tmp}",
}


@pytest.mark.parametrize("target", sorted(_TARGETS))
@pytest.mark.parametrize(
    "command",
    ["compile", "fmt", "normalize", "merge", "resolve", "record", "k8s import", "install"],
)
def test_write_failures_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, target: str
) -> None:
    argv = _writers(tmp_path)[command]
    (tmp_path / "none.yaml").write_text("kind: SeccompProfile\n")
    code, _, err = run(capsys, *argv, _TARGETS[target].format(tmp=tmp_path))
    if command in ("install", "k8s import") and target in ("a directory", "missing directory"):
        assert code in (0, 2)  # these write into a directory, created when missing
        assert "Traceback" not in err
        return
    assert code == 2, err
    assert "Traceback" not in err
    # One error line (click adds its usage lines above a usage error).
    errors = [line for line in err.splitlines() if line.startswith(("seccomp-kit", "Error:"))]
    assert len(errors) == 1, err


def test_a_write_error_names_the_target_not_the_temporary_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = write(tmp_path, "p.json", allow("read"))
    target = tmp_path / "missing" / "out.json"
    code, _, err = run(capsys, "fmt", profile, "-o", str(target))
    assert code == 2
    assert err.strip() == f"seccomp-kit: cannot write {target}: No such file or directory"


def test_main_turns_any_oserror_into_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Whatever the library leaves unwrapped: one line naming the path."""
    import seccomp_kit.cli._merge as merge_cli

    def disk_full(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", "/data/out.json")

    monkeypatch.setattr(merge_cli, "replace_file", disk_full)
    profile = write(tmp_path, "p.json", allow("read"))
    code, _, err = run(capsys, "normalize", profile, "-o", str(tmp_path / "o.json"))
    assert code == 2
    assert err.strip() == "seccomp-kit: /data/out.json: No space left on device"


def test_record_refuses_a_default_errno_beyond_32_bits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "audit.log"
    log.write_text(AUDIT)
    for value in ("4294967296", "9" * 5000):
        code, _, err = run(capsys, "record", "--from", str(log), "--default-errno", value)
        assert code == 2
        assert "outside 0..4294967295" in err and len(err) < 200
    code, out, _ = run(capsys, "record", "--from", str(log), "--default-errno", "4294967295")
    assert code == 0 and json.loads(out)["defaultErrnoRet"] == 4294967295


@pytest.mark.parametrize("command", ["validate", "resolve"])
def test_a_5000_digit_kernel_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    profile = write(tmp_path, "p.json", allow("read"))
    extra = ["--arch", "x86_64"] if command == "resolve" else []
    code, _, err = run(capsys, command, profile, *extra, "--kernel", "5." + "1" * 5000)
    assert code == 2
    assert "not of the form X.Y" in err and len(err) < 300


def test_a_5000_digit_min_kernel(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = allow("read")
    data["syscalls"][0]["includes"] = {"minKernel": "4." + "1" * 5000}  # type: ignore[index]
    data["archMap"] = [{"architecture": "SCMP_ARCH_X86_64"}]
    del data["architectures"]
    profile = write(tmp_path, "p.json", data)
    code, out, _ = run(capsys, "validate", profile)
    assert code == 1
    assert "SK503" in out and len(out.splitlines()[-2]) < 300
    code, _, err = run(capsys, "resolve", profile, "--arch", "x86_64", "--kernel", "6.1")
    assert code == 2
    assert "invalid minKernel" in err and len(err) < 300


LONE = (
    '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"],\n'
    ' "action": "SCMP_ACT_ALLOW", "comment": "\\ud800"}]}'
)


@pytest.mark.parametrize(
    "argv",
    [
        ["fmt", "{p}"],
        ["validate", "--format", "json", "{p}"],
        ["normalize", "{p}"],
        ["install", "{p}", "--name", "x.json", "--root", "{tmp}/root"],
        ["k8s", "export", "{p}", "--name", "x"],
    ],
)
def test_a_lone_surrogate_is_refused_at_load_with_its_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    path = tmp_path / "p.json"
    path.write_text(LONE)
    code, out, err = run(capsys, *(a.format(p=path, tmp=tmp_path) for a in argv))
    assert code == 2, (out, err)
    text = err if err.strip() else out
    assert f"{path}:2:41" in text and "surrogate" in text
    assert not (tmp_path / "root" / "x.json").exists()
