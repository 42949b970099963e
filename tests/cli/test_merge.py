"""The merge, diff, normalize and resolve commands: output, exit status, error messages."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from seccomp_kit import io
from seccomp_kit.cli import main
from seccomp_kit.model import Action
from seccomp_kit.syscalls.arches import native_arch
from tests.conftest import corpus_dir


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out, err = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 0), out, err


def write(tmp_path: Path, name: str, data: object) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def allow(*names: str, default: str = "SCMP_ACT_ERRNO") -> dict[str, object]:
    return {
        "defaultAction": default,
        "architectures": ["SCMP_ARCH_X86_64"],
        "syscalls": [{"names": list(names), "action": "SCMP_ACT_ALLOW"}],
    }


def test_merge_writes_the_union_and_the_intersection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = write(tmp_path, "a.json", allow("read", "write"))
    b = write(tmp_path, "b.json", allow("write", "openat"))
    out = tmp_path / "out.json"
    code, _, err = run(capsys, "merge", a, b, "-o", str(out))
    assert (code, err) == (0, "")
    merged = io.load(out)
    assert merged.syscalls[0].names == ("openat", "read", "write")
    code, text, _ = run(capsys, "merge", a, b, "--strategy", "intersection")
    assert code == 0 and io.loads(text).syscalls[0].names == ("write",)


def test_merge_conflict_names_both_files_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = write(tmp_path, "a.json", {**allow("read"), "listenerPath": "/run/a.sock"})
    b = write(tmp_path, "b.json", {**allow("read"), "listenerPath": "/run/b.sock"})
    code, out, err = run(capsys, "merge", a, b)
    assert code == 2 and out == ""
    assert "a.json" in err and "b.json" in err and "listenerPath" in err
    assert "Traceback" not in err
    code, _, err = run(capsys, "merge", a, str(tmp_path / "missing.json"))
    assert code == 2 and "missing.json: no such file" in err


def test_diff_exit_status_is_like_diff1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write(tmp_path, "a.json", allow("read", "write"))
    same = write(tmp_path, "same.json", allow("write", "read", "read"))
    b = write(tmp_path, "b.json", allow("read", "openat"))
    code, out, _ = run(capsys, "diff", a, same)
    assert (code, out) == (0, "no difference in effect\n")
    code, out, _ = run(capsys, "diff", a, b, "--arch", "amd64")
    assert code == 1
    assert "+ openat (257): newly-allowed" in out and "- write (1): newly-denied" in out
    code, out, _ = run(capsys, "diff", a, b, "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["equal"] is False
    assert {s["name"] for s in data["syscalls"]} == {"openat", "write"}
    code, _, err = run(capsys, "diff", a, b, "--arch", "amd46")
    assert code == 2 and "did you mean" in err


def test_normalize_prints_the_canonical_smallest_profile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = allow("write", "read")
    data["syscalls"].append({"names": ["read"], "action": "SCMP_ACT_ALLOW"})  # type: ignore[attr-defined]
    data["syscalls"].append({"names": ["mount"], "action": "SCMP_ACT_ERRNO"})  # type: ignore[attr-defined]
    path = write(tmp_path, "p.json", data)
    code, out, _ = run(capsys, "normalize", path)
    p = io.loads(out)
    assert code == 0 and p.syscalls[0].names == ("read", "write")
    # mount's rule equals the default, but its number sets runc's ENOSYS-stub limit: kept.
    assert [(r.names, r.action) for r in p.syscalls[1:]] == [(("mount",), Action.ERRNO)]
    assert out == io.dumps(p)


def test_resolve_moby_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    moby = str(corpus_dir("profiles") / "moby-default.json")
    code, out, _ = run(
        capsys, "resolve", moby, "--arch", "amd64", "--cap", "CAP_SYS_ADMIN", "--kernel", "6.18"
    )
    p = io.loads(out)
    names = {n for r in p.syscalls if r.action is Action.ALLOW and not r.args for n in r.names}
    assert code == 0 and {"mount", "setns", "unshare"} <= names
    # Without --arch and --kernel the host is this machine, as everywhere else.
    code, out, _ = run(capsys, "resolve", moby)
    _, explicit, _ = run(
        capsys, "resolve", moby, "--arch", native_arch().value, "--kernel", os.uname().release
    )
    assert code == 0 and out == explicit
    code, _, err = run(
        capsys, "resolve", moby, "--arch", "amd64", "--cap", "SYS_ADMN", "--kernel", "6.1"
    )
    assert code == 2 and "did you mean 'CAP_SYS_ADMIN'" in err
    code, out, _ = run(capsys, "resolve", moby, "--arch", "arm64", "--kernel", "host")
    assert code == 0 and io.loads(out).architectures == ("SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM")


def test_outputs_get_the_usual_permissions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A new output file is created as open() would (0666 less the umask), not 0600; an
    existing one keeps its mode when it is replaced."""
    import os

    a = write(tmp_path, "a.json", allow("read"))
    new, kept = tmp_path / "new.json", tmp_path / "kept.json"
    kept.write_text("{}")
    kept.chmod(0o640)
    old = os.umask(0o022)
    try:
        assert run(capsys, "normalize", a, "-o", str(new))[0] == 0
        assert run(capsys, "merge", a, a, "-o", str(kept))[0] == 0
    finally:
        os.umask(old)
    assert new.stat().st_mode & 0o777 == 0o644
    assert kept.stat().st_mode & 0o777 == 0o640
    assert io.load(kept).syscalls[0].names == ("read",)


# -- a target: forwarded only when given, and what it drops is said ------------------------------


def test_a_target_is_forwarded_only_when_given_and_what_it_drops_is_said(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    a = write(tmp_path, "a.json", {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": []})
    b = write(tmp_path, "b.json", allow("mseal"))
    code, out, _ = run(capsys, "diff", "--arch", "x86_64", a, b)
    assert code == 1
    assert "+ mseal (462): newly-allowed" in out
    old = ["--runtime", "crun@1.8.1", "--libseccomp", "2.5.4"]
    code, out, _ = run(capsys, "diff", "--arch", "x86_64", *old, a, b)
    assert (code, out) == (0, "as crun 1.8.1 + libseccomp 2.5.4:\nno difference in effect\n")
    code, out, _ = run(capsys, "diff", "--arch", "x86_64", "--libseccomp", "2.6.0", a, b)
    assert code == 1
    assert out.startswith("as runc 1.2.0 + libseccomp 2.6.0:\n")
    code, out, err = run(capsys, "normalize", "--arch", "x86_64", "--libseccomp", "2.5.4", b)
    assert code == 0
    assert "mseal" not in out
    assert "left out, unknown to libseccomp 2.5.4 (the runtime drops them): mseal" in err
    assert "mseal" in run(capsys, "normalize", b)[1]
    code, out, _ = run(capsys, "merge", "--runtime", "runc@1.1.5", "--libseccomp", "2.5.4", a, b)
    assert code == 0
    assert "mseal" not in out
    flagged = write(
        tmp_path,
        "flags.json",
        {"defaultAction": "SCMP_ACT_ERRNO", "flags": ["SECCOMP_FILTER_FLAG_LOG"]},
    )
    code, out, err = run(capsys, "merge", "--runtime", "runc@1.1.5", a, flagged)
    assert (code, out) == (2, "")
    assert "flags.json $.flags[0]: runc 1.1.5 refuses any seccomp flags" in err
    assert "(as runc 1.1.5 + libseccomp " in err
    code, out, err = run(capsys, "resolve", "--arch", "x86_64", "--libseccomp", "2.5.4", b)
    assert code == 0
    assert "mseal" not in out and "mseal" in err
