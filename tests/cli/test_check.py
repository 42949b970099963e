"""``seccomp-kit check``: one syscall with its deciding rule, or a replay of many events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seccomp_kit.cli import main
from tests.conftest import corpus_dir

PROFILE = """{
  "defaultAction": "SCMP_ACT_ERRNO",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
  "syscalls": [
    {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
    {
      "names": ["personality"],
      "action": "SCMP_ACT_ALLOW",
      "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]
    },
    {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}
  ]
}
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    code = info.value.code
    assert isinstance(code, int)
    return code, out, err


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    path = tmp_path / "p.json"
    path.write_text(PROFILE)
    return path


def test_allowed_syscall_names_rule_and_location(
    profile: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "check", str(profile), "personality", "8", "--arch", "x86_64")
    assert code == 0
    first, second = out.splitlines()
    assert first == "personality (135) on SCMP_ARCH_X86_64 with args [0x8]: SCMP_ACT_ALLOW"
    assert f"$.syscalls[1] at {profile}:6:5" in second
    assert "arg0 == 0x8" in second


def test_blocked_syscall_exits_1(profile: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", str(profile), "personality", "0x9", "--arch", "amd64")
    assert code == 1
    assert "SCMP_ACT_ERRNO(1 EPERM)" in out and "defaultAction" in out
    code, out, _ = run(capsys, "check", str(profile), "mkdir", "--arch", "x86_64")
    assert code == 1 and "SCMP_ACT_ERRNO(13 EACCES)" in out and "$.syscalls[2]" in out
    code, out, _ = run(capsys, "check", str(profile), "1000", "--arch", "x86_64")
    assert code == 1 and "ENOSYS" in out


def test_abi_and_json_output(profile: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "check",
        str(profile),
        "read",
        "--arch",
        "x86_64",
        "--abi",
        "x86",
        "--format",
        "json",
    )
    data = json.loads(out)
    assert code == 0
    assert data["arch"] == "SCMP_ARCH_X86" and data["nr"] == 3 and data["syscall"] == "read"
    assert data["action"] == "SCMP_ACT_ALLOW" and data["rule"] == "$.syscalls[0]"
    assert data["location"] == f"{profile}:5:5"
    code, out, _ = run(
        capsys, "check", str(profile), "read", "--arch", "x86_64", "--abi", "aarch64"
    )
    assert code == 1 and "bad-architecture" in out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["readd"], "did you mean 'read'"),
        (["read", "12abc"], "not an integer"),
        (["read", "1", "2", "3", "4", "5", "6", "7"], "at most 6"),
        ([], "give either SYSCALL"),
        (["read", "--abi", "vax"], "unknown architecture"),
    ],
)
def test_usage_errors_exit_2(
    profile: Path, capsys: pytest.CaptureFixture[str], args: list[str], words: str
) -> None:
    code, out, err = run(capsys, "check", str(profile), *args, "--arch", "x86_64")
    assert code == 2
    assert words in err and "Traceback" not in err and out == ""


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check", str(tmp_path / "nope.json"), "read")
    assert code == 2 and "nope.json" in err


def test_replay_json_lines(
    profile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text(
        "\n".join(
            json.dumps(e)
            for e in [
                {"syscall": "read"},
                {"syscall": "personality", "args": [8]},
                {"syscall": "personality", "args": [9]},
                {"syscall": 83},
                {"syscall": "mkdir"},
                {"syscall": "read", "arch": "x86"},
            ]
        )
        + "\n"
    )
    code, out, _ = run(capsys, "check", str(profile), "--events", str(events), "--arch", "x86_64")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "6 events, 4 syscalls; 2 syscalls would be blocked (3 events)"
    assert "BLOCKED mkdir (83) on SCMP_ARCH_X86_64: 2 of 2 events" in out
    assert "2 x SCMP_ACT_ERRNO(13 EACCES) by $.syscalls[2]" in out
    assert "BLOCKED personality (135) on SCMP_ARCH_X86_64: 1 of 2 events" in out
    code, out, _ = run(
        capsys,
        "check",
        str(profile),
        "--events",
        str(events),
        "--arch",
        "x86_64",
        "--format",
        "json",
    )
    data = json.loads(out)
    assert data["events"] == 6 and data["blocked_events"] == 3
    read = [s for s in data["syscalls"] if s["syscall"] == "read"]
    assert {s["arch"] for s in read} == {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}


def test_replay_everything_allowed_exits_0(
    profile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = tmp_path / "ok.jsonl"
    events.write_text('{"syscall": "read"}\n{"syscall": "write", "args": [1, 2, 3]}\n')
    code, out, _ = run(capsys, "check", str(profile), "--events", str(events), "--arch", "x86_64")
    assert code == 0 and "0 syscalls would be blocked" in out


def test_replay_bad_event_names_the_line(
    profile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = tmp_path / "bad.jsonl"
    events.write_text('{"syscall": "read"}\n{"syscall": "read", "args": ["x"]}\n')
    code, _, err = run(capsys, "check", str(profile), "--events", str(events), "--arch", "x86_64")
    assert code == 2 and f"{events}:2" in err and "args" in err


def test_replay_audit_log_of_the_corpus(capsys: pytest.CaptureFixture[str]) -> None:
    moby = corpus_dir("profiles") / "moby-default.json"
    log = corpus_dir("audit") / "kernel-and-auditd-samples.log"
    code, out, _ = run(
        capsys, "check", str(moby), "--events", str(log), "--arch", "x86_64", "--kernel", "6.18"
    )
    assert out.startswith("10 audit records, 8 syscalls; 1 syscalls would be blocked")
    assert "BLOCKED unshare (272)" in out
    assert code == 1


def test_moby_profile_points_at_the_file(capsys: pytest.CaptureFixture[str]) -> None:
    moby = corpus_dir("profiles") / "moby-default.json"
    code, out, _ = run(
        capsys, "check", str(moby), "personality", "8", "--arch", "x86_64", "--kernel", "6.18"
    )
    assert code == 0
    assert f"$.syscalls[6].names[0] at {moby}:" in out


def test_the_profile_can_come_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io as _io
    import json as _json

    profile = {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
               "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}  # fmt: skip
    stdin = _io.TextIOWrapper(_io.BytesIO(_json.dumps(profile).encode()))
    monkeypatch.setattr("sys.stdin", stdin)
    code, out, _ = run(capsys, "check", "-", "read", "--arch", "x86_64")
    assert code == 0 and "ALLOW" in out
