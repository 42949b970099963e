"""``seccomp-kit record`` and friends never pass an empty recording off as a profile."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.cli.test_check import run

DATA = Path(__file__).parents[1] / "data" / "audit"


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"", "no SECCOMP records at all in the input (0 lines read)"),
        (bytes(range(256)) * 8, "no SECCOMP records at all in the input"),
        (b"type=1326 audit(1.0:1): truncated\n", "none of the 1 SECCOMP records could be used"),
    ],
)
def test_empty_input_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, why: str
) -> None:
    log, out = tmp_path / "in.log", tmp_path / "p.json"
    log.write_bytes(content)
    code, _, err = run(capsys, "record", "--from", str(log), "-o", str(out))
    assert code == 3
    assert why in err
    assert "no profile written" in err
    assert not out.exists()


def test_everything_filtered_out_names_the_filter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "p.json"
    code, _, err = run(
        capsys, "record", "--from", str(DATA / "netlink-ls.log"), "--comm", "sl", "-o", str(out)
    )
    assert code == 3
    assert "all 154 events were filtered out (154 by --comm)" in err
    assert not out.exists()
    code, _, err = run(
        capsys, "record", "--from", str(DATA / "netlink-ls.log"), "--arch", "aarch64", "-o",
        str(out),
    )  # fmt: skip
    assert code == 3 and "by --arch" in err


def test_allow_empty_writes_the_profile_and_warns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log, out = tmp_path / "in.log", tmp_path / "p.json"
    log.write_bytes(b"")
    code, _, err = run(capsys, "record", "--from", str(log), "--allow-empty", "-o", str(out))
    assert code == 0
    assert "WARNING: nothing recorded" in err
    assert '"syscalls"' not in out.read_text()
    code, validated, err = run(capsys, "validate", str(out))
    assert "SK411" in validated + err


def test_validate_and_install_warn_on_an_allowlist_of_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = tmp_path / "none.json"
    profile.write_text('{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": []}')
    code, out, err = run(capsys, "validate", str(profile))
    assert code == 0
    assert "warning SK411" in out + err
    assert "SK410" not in out + err
    code, out, err = run(capsys, "install", str(profile), "--name", "n.json", "--root",
                         str(tmp_path / "root"))  # fmt: skip
    assert code == 0
    assert "warning:" in err and "SK411" in err
    assert (tmp_path / "root" / "n.json").exists()


def test_check_events_without_events_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = tmp_path / "p.json"
    profile.write_text('{"defaultAction": "SCMP_ACT_ALLOW"}')
    for content in ("", "hello\nworld\n"):
        events = tmp_path / "events.log"
        events.write_text(content)
        code, _, err = run(capsys, "check", str(profile), "--events", str(events))
        assert code == 2
        assert "no events to replay" in err


def test_args_needs_a_live_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "record", "--args", "--from", os.devnull)
    assert code == 2 and "audit logs carry no arguments" in err
    code, _, err = run(capsys, "record", "--stop-signal", "SIGNOPE", "--", "true")
    assert code == 2 and "unknown signal 'SIGNOPE'" in err


def test_a_target_warns_about_recorded_names_its_libseccomp_drops(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    log = tmp_path / "audit.log"
    log.write_text(
        "".join(
            f'type=1326 audit(1795556796.855:{i}): auid=0 uid=0 gid=0 ses=7 pid=1 comm="app"'
            f' exe="/usr/bin/app" sig=0 arch=c000003e syscall={nr} compat=0 ip=0x1'
            " code=0x7ffc0000\n"
            for i, nr in enumerate((0, 462), 1)  # read, mseal
        )
    )
    out = tmp_path / "p.json"
    target = ["--runtime", "crun@1.8.1", "--libseccomp", "2.5.4"]
    code, _, err = run(capsys, "record", "--from", str(log), *target, "-o", str(out))
    assert code == 0
    assert (
        "WARNING: SK120 'mseal' is unknown to libseccomp 2.5.4: crun 1.8.1 drops it, so it gets"
        " the default action ERRNO(1)"
    ) in err
    assert "mseal" in out.read_text()  # the recording keeps what the workload did
    code, _, err = run(
        capsys, "record", "--from", str(log), "--libseccomp", "2.6.0", "-o", str(out)
    )
    assert code == 0
    assert "WARNING" not in err
    code, _, err = run(capsys, "record", "--from", str(log), "-o", str(out))
    assert (code, "WARNING" in err) == (0, False)
