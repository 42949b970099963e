"""seccomp_kit.record (from events and logs) and ``seccomp-kit record --from``."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seccomp_kit.audit import AuditEvent, parse, parse_line
from seccomp_kit.cli import main
from seccomp_kit.errors import InputError
from seccomp_kit.io import dumps, loads
from seccomp_kit.model import Action, Arch, Dialect, Flag, Profile, SyscallRule
from seccomp_kit.record import (
    RUNTIME_BASELINES,
    EventFilter,
    build_profile,
    parse_time,
    record,
    refine,
)
from seccomp_kit.syscalls import table
from seccomp_kit.testing._audit_records import AuditLine, audit_records
from tests.conftest import DATA_DIR

DATA = DATA_DIR / "audit"
LINE = (
    "type=1326 audit(1795555952.515:{serial}): auid=1000 uid={uid} gid=0 ses=3 pid={pid} "
    'comm="{comm}" exe="{exe}" sig=0 arch={arch} syscall={nr} compat={compat} '
    "ip=0x7f997767bc47 code={code}"
)


def ev(
    nr: int,
    *,
    arch: str = "c000003e",
    compat: int = 0,
    pid: int = 10,
    uid: int = 0,
    comm: str = "app",
    exe: str = "/usr/bin/app",
    serial: int = 1,
    stamp: str = "1795555952.515",
    code: str = "0x7ffc0000",
) -> AuditEvent:
    line = LINE.format(
        serial=serial,
        uid=uid,
        pid=pid,
        comm=comm,
        exe=exe,
        arch=arch,
        nr=nr,
        compat=compat,
        code=code,
    ).replace("1795555952.515", stamp)
    event = parse_line(line)
    assert event is not None
    return event


def names(profile: Profile) -> list[str]:
    assert len(profile.syscalls) == 1
    return list(profile.syscalls[0].names)


# -- building --------------------------------------------------------------------------------


def test_least_privilege_profile_is_exactly_the_recorded_names() -> None:
    events = [ev(0), ev(1), ev(0), ev(59), ev(231)]
    rec = record(events)
    p = rec.profile
    assert p.default_action == Action.ERRNO
    assert p.default_errno_ret == 1
    assert p.architectures == (Arch.X86_64,)
    assert names(p) == ["execve", "exit_group", "read", "write"]
    assert p.syscalls[0].action == Action.ALLOW
    assert rec.events == 5
    assert rec.syscalls == {Arch.X86_64: frozenset({"read", "write", "execve", "exit_group"})}
    text = dumps(p)
    assert dumps(loads(text)) == text
    assert json.loads(text)["syscalls"][0]["names"] == sorted(names(p))


def test_compat_callers_get_i386_names_under_scmp_arch_x86() -> None:
    events = [ev(1), ev(102, arch="40000003", compat=1), ev(5, arch="40000003", compat=1)]
    rec = record(events)
    # Listed in the spec's order of architectures, so the output is canonical.
    assert rec.profile.architectures == (Arch.X86, Arch.X86_64)
    assert rec.syscalls == {
        Arch.X86_64: frozenset({"write"}),
        Arch.X86: frozenset({"socketcall", "open"}),
    }
    assert names(rec.profile) == ["open", "socketcall", "write"]
    # OCI names apply on every architecture: "open" recorded on x86 is allowed on x86_64 too
    # ("socketcall" does not exist there), and the recording says so.
    assert rec.cross_arch == {Arch.X86_64: frozenset({"open"}), Arch.X86: frozenset({"write"})}
    assert any("also allows" in line for line in rec.summary())


def test_x32_names() -> None:
    rec = record([ev(0x40000000, compat=1), ev(0)])
    assert rec.syscalls == {Arch.X86_64: frozenset({"read"}), Arch.X32: frozenset({"read"})}
    assert rec.profile.architectures == (Arch.X86_64, Arch.X32)


def test_unnamed_numbers_are_reported_not_allowed() -> None:
    rec = record([ev(4000), ev(0)])
    assert names(rec.profile) == ["read"]
    assert rec.unnamed == {(Arch.X86_64, 4000): 1}
    assert any("4000 has no name" in line for line in rec.summary())


def test_default_action_and_errno() -> None:
    p = record([ev(0)], default_action="SCMP_ACT_KILL_PROCESS").profile
    assert (p.default_action, p.default_errno_ret) == (Action.KILL_PROCESS, None)
    assert record([ev(0)], default_errno="ENOSYS").profile.default_errno_ret == 38
    assert record([ev(0)], default_errno=13).profile.default_errno_ret == 13
    assert record([ev(0)], default_action="errno").profile.default_action == Action.ERRNO
    with pytest.raises(InputError, match="allow all"):
        record([ev(0)], default_action=Action.ALLOW)
    with pytest.raises(InputError, match="unknown errno"):
        record([ev(0)], default_errno="EPRM")
    with pytest.raises(InputError, match="unknown action"):
        record([ev(0)], default_action="SCMP_ACT_NOPE")


def test_nothing_recorded_gives_a_deny_everything_profile() -> None:
    p = record([]).profile
    assert (p.syscalls, p.architectures, p.default_action) == ((), (), Action.ERRNO)


def test_runtime_baseline() -> None:
    rec = record([ev(0), ev(1)], baseline="runc")
    allowed = set(names(rec.profile))
    assert allowed == {"read", "write"} | RUNTIME_BASELINES["runc"]
    assert rec.baseline[Arch.X86_64] == RUNTIME_BASELINES["runc"] - {"read", "write"}
    assert rec.syscalls[Arch.X86_64] == frozenset({"read", "write"})
    both = set(names(record([ev(0)], baseline="runc,crun").profile))
    assert both == {"read"} | RUNTIME_BASELINES["runc"] | RUNTIME_BASELINES["crun"]
    own = set(names(record([ev(0)], baseline=["getcwd"]).profile))
    assert own == {"read", "getcwd"}
    with pytest.raises(InputError, match="unknown runtime baseline 'docker'"):
        record([ev(0)], baseline="docker")
    for runtime, baseline in RUNTIME_BASELINES.items():
        assert baseline <= set(table(Arch.X86_64).by_name), runtime


def test_build_profile_directly() -> None:
    p = build_profile({"SCMP_ARCH_AARCH64": ["openat"], Arch.X86_64: ["open"]})
    assert p.architectures == (Arch.X86_64, Arch.AARCH64)
    assert (names(p), p.dialect) == (["open", "openat"], Dialect.OCI)


@given(st.lists(audit_records(), max_size=25))
def test_profile_allows_exactly_the_recorded_names(lines: list[AuditLine]) -> None:
    events = [line.event for line in lines]
    rec = record(events, where=EventFilter(actions=list(Action)))
    expected: dict[Arch, set[str]] = {}
    for e in events:
        assert e.syscall is not None
        expected.setdefault(e.arch, set()).add(e.syscall)
    assert rec.syscalls == {a: frozenset(n) for a, n in expected.items()}
    assert set(rec.profile.architectures) == set(expected)
    allowed = set(rec.profile.syscalls[0].names) if rec.profile.syscalls else set()
    assert allowed == set().union(*expected.values())
    assert dumps(loads(dumps(rec.profile))) == dumps(rec.profile)


@given(
    st.lists(
        st.tuples(
            audit_records(formats=["netlink"]),
            st.sampled_from([None, 0x7FFF_0000, 0x0005_0026]),
            st.booleans(),
        ),
        max_size=25,
    ),
    st.sets(st.sampled_from(["log", "errno", "allow", "kill", "trap"])),
    st.one_of(st.none(), st.sets(st.sampled_from(list(Arch)), max_size=3)),
)
def test_action_only_filters_take_a_shortcut_with_the_same_result(
    drawn: list[tuple[AuditLine, int | None, bool]],
    actions: set[str],
    arches: set[Arch] | None,
) -> None:
    # A filter that only looks at the action is decided once per code; the result must be
    # what judging every event on its own gives (an opaque callable takes the general loop).
    events = []
    for line, code, unnamed in drawn:
        e = line.event if code is None else attrs.evolve(line.event, code=code)
        if unnamed:
            e = attrs.evolve(e, syscall=None, syscall_nr=0xFFFF)
        events.append(e)
    flt = EventFilter(actions=actions)
    assert flt.plain

    def each(event: AuditEvent) -> bool:
        return flt(event)

    fast = record(events, where=flt, arches=arches)
    slow = record(events, where=each, arches=arches)
    assert fast == slow
    assert fast.events + fast.filtered_out == len(events)
    assert not EventFilter(pids=[1]).plain
    assert not EventFilter(since=0).plain


# -- filtering -------------------------------------------------------------------------------


def test_event_filter_conditions() -> None:
    a = ev(0, pid=1, uid=0, comm="a", exe="/a", stamp="100.000")
    b = ev(1, pid=2, uid=1000, comm="b", exe="/b", stamp="200.000")
    c = ev(2, pid=3, uid=1000, comm="b", exe="/c", stamp="300.000", code="0x50001")
    every = [a, b, c]

    def kept(f: EventFilter) -> list[int]:
        return [e.syscall_nr for e in every if f(e)]

    assert kept(EventFilter()) == [0, 1, 2]
    assert kept(EventFilter(pids=[2, 3])) == [1, 2]
    assert kept(EventFilter(comms=["b"])) == [1, 2]
    assert kept(EventFilter(exes=["/a", "/c"])) == [0, 2]
    assert kept(EventFilter(uids=[1000], comms=["b"], exes=["/b"])) == [1]
    assert kept(EventFilter(since=200.0)) == [1, 2]
    assert kept(EventFilter(until=200.0)) == [0, 1]
    assert kept(EventFilter(since=150, until=250)) == [1]
    assert kept(EventFilter(actions=["log"])) == [0, 1]
    assert kept(EventFilter(actions=["SCMP_ACT_ERRNO"])) == [2]
    allow = ev(3, code="0x7fff0000")
    assert not EventFilter()(allow)
    assert EventFilter(actions=["allow"])(allow)
    no_time = attrs.evolve(a, timestamp=None)
    assert EventFilter()(no_time)
    assert not EventFilter(since=0)(no_time)
    rec = record(every, where=EventFilter(comms=["b"]))
    assert (rec.events, rec.filtered_out) == (2, 1)
    assert record(every, arches=["x86"]).events == 0


def test_parse_time() -> None:
    assert parse_time("100.5") == 100.5
    assert parse_time(7) == 7.0
    assert parse_time("1970-01-01T00:01:40Z") == 100.0
    assert parse_time("1970-01-01T00:01:40") == 100.0  # naive means UTC
    assert parse_time("1970-01-01T01:01:40+01:00") == 100.0
    with pytest.raises(InputError, match="ISO 8601"):
        parse_time("yesterday")


# -- refine ----------------------------------------------------------------------------------


def test_refine_adds_what_the_profile_blocked_and_shows_the_diff() -> None:
    base = Profile(
        default_action=Action.ERRNO,
        default_errno_ret=1,
        flags=[Flag.LOG],
        syscalls=[SyscallRule(names=["read", "write"], action=Action.ALLOW)],
    )
    blocked = [ev(257, code="0x50001"), ev(3, code="0x50001"), ev(0, code="0x50001")]
    result = refine(base, blocked)
    assert result.added == {Arch.X86_64: frozenset({"openat", "close"})}
    assert list(result.after.syscalls[0].names) == ["close", "openat", "read", "write"]
    assert result.after.flags == base.flags
    text = result.to_text()
    assert "openat" in text and "close" in text and "newly-allowed" in text
    assert "read" not in text
    assert result.diff is not None and len(result.diff.syscalls) == 2
    # Nothing blocked: the same profile, no difference.
    same = refine(base, [ev(0)])
    assert same.after == base
    assert "no difference" in same.to_text()


def test_refine_without_an_allow_rule_appends_one_and_lists_new_arches() -> None:
    base = Profile(
        default_action=Action.LOG,
        architectures=[Arch.X86_64],
        syscalls=[SyscallRule(names=["ptrace"], action=Action.ERRNO, errno_ret=1)],
    )
    result = refine(base, [ev(1), ev(5, arch="40000003", compat=1)])
    assert result.after.syscalls[0] == base.syscalls[0]
    assert list(result.after.syscalls[1].names) == ["open", "write"]
    assert result.after.architectures == (Arch.X86_64, Arch.X86)


# -- CLI -------------------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 0), out, err


def test_cli_from_file(tmp_path: Path, capsys: Any) -> None:
    out_file = tmp_path / "p.json"
    code, out, err = run(
        capsys,
        "record",
        "--from",
        str(DATA / "netlink-ls.log"),
        "--comm",
        "ls",
        "-o",
        str(out_file),
    )
    assert (code, out) == (0, "")
    profile = loads(out_file.read_text())
    assert "getdents64" in names(profile)
    assert "execve" not in names(profile)  # execve was made by the launcher (comm seccomp-kit)
    assert "SECCOMP records: 154" in err
    assert "lost: none seen" in err
    code, out, _ = run(capsys, "record", "--from", str(DATA / "netlink-ls.log"))
    assert code == 0
    assert "execve" in names(loads(out))


def test_cli_exit_1_and_loud_when_records_were_lost(capsys: Any) -> None:
    code, out, err = run(capsys, "record", "--from", str(DATA / "dmesg.log"))
    assert code == 1
    assert loads(out).syscalls
    assert "LOST: at least 1425 records" in err
    assert "callbacks suppressed 1425" in err


def test_cli_filters_and_options(capsys: Any) -> None:
    src = str(DATA / "netlink-ls.log")
    code, out, _ = run(
        capsys,
        "record",
        "--from",
        src,
        "--exe",
        "/usr/bin/ls",
        "--since",
        "2026-11-24T00:00:00Z",
        "--until",
        "2100-01-01T00:00:00Z",
        "--action",
        "log",
        "--arch",
        "x86_64",
        "--uid",
        "0",
        "--default-action",
        "SCMP_ACT_KILL_PROCESS",
        "--baseline",
        "runc",
    )
    assert code == 0
    p = loads(out)
    assert p.default_action == Action.KILL_PROCESS
    assert RUNTIME_BASELINES["runc"] <= set(names(p))
    # A filter that keeps nothing is not a profile (issue: never silently empty) ...
    code, out, err = run(capsys, "record", "--from", src, "--pid", "1")
    assert (code, out) == (3, "")
    assert "filtered out" in err and "by --pid" in err
    # ... unless asked for.
    code, out, _ = run(capsys, "record", "--from", src, "--pid", "1", "--allow-empty")
    assert code == 0
    assert loads(out).syscalls == ()


def test_cli_stdin(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    data = (DATA / "kmsg.log").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, out, err = run(capsys, "record", "--from", "-")
    assert code == 1  # the kernel log admits 1425 lost records
    assert "read" in names(loads(out))
    assert "lines read: 12" in err


def test_cli_refine(tmp_path: Path, capsys: Any) -> None:
    base = tmp_path / "base.json"
    base.write_text(
        dumps(Profile(default_action=Action.LOG, syscalls=[SyscallRule(["read"], Action.ALLOW)]))
    )
    out_file = tmp_path / "after.json"
    code, out, _ = run(
        capsys,
        "record",
        "--from",
        str(DATA / "netlink-ls.log"),
        "--comm",
        "ls",
        "--refine",
        str(base),
        "-o",
        str(out_file),
    )
    assert code == 0
    assert "getdents64 (217): changed: SCMP_ACT_LOG -> SCMP_ACT_ALLOW" in out
    assert "getdents64" in loads(out_file.read_text()).syscalls[0].names


def test_cli_usage_and_input_errors(tmp_path: Path, capsys: Any) -> None:
    code, _, err = run(capsys, "record")
    assert code == 2 and "either --from" in err
    code, _, err = run(capsys, "record", "--from", "x.log", "--", "true")
    assert code == 2 and "not both" in err
    code, _, err = run(capsys, "record", "--from", str(tmp_path / "missing.log"))
    assert code == 2 and "cannot read audit log" in err and "Traceback" not in err
    code, _, err = run(capsys, "record", "--from", str(DATA / "dmesg.log"), "--since", "soon")
    assert code == 2 and "ISO 8601" in err
    code, _, err = run(capsys, "record", "--from", str(DATA / "dmesg.log"), "--arch", "x86-64")
    assert code == 2 and "did you mean" in err
    code, _, err = run(capsys, "record", "--from", str(DATA / "dmesg.log"), "--baseline", "podman")
    assert code == 2 and "unknown runtime baseline" in err


def test_netlink_datagrams_become_record_lines() -> None:
    import struct

    from seccomp_kit.audit._netlink import split_messages

    def msg(kind: int, text: bytes) -> bytes:
        body = text + b"\0"
        pad = b"\0" * (-(16 + len(body)) % 4)
        return struct.pack("=IHHII", 16 + len(body), kind, 0, 0, 0) + body + pad

    record = b'audit(1795555952.515:2): auid=0 uid=0 gid=0 ses=1 pid=5 comm="x" exe="/x"'
    record += b" sig=0 arch=c000003e syscall=0 compat=0 ip=0x1 code=0x7ffc0000"
    data = msg(1326, record) + msg(1300, b"audit(1795555952.515:3): arch=c000003e")
    lines = split_messages(data + msg(1326, record)[:30])
    assert lines[0] == b"type=1326 " + record
    assert lines[1].startswith(b"type=1300 audit(")
    assert len(lines) == 3  # the cut-off third message is passed on, to be counted truncated
    events = list(parse(lines))
    assert [e.syscall for e in events] == ["read"]


def test_cli_progress_bar_on_a_terminal(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    code, out, err = run(capsys, "record", "--from", str(DATA / "netlink-ls.log"))
    assert code == 0
    assert "reading" in err and "netlink-ls.log" in err
    assert "execve" in names(loads(out))


def test_cli_several_logs_are_one_stream(tmp_path: Path, capsys: Any) -> None:
    # A log split in two files: serials continue across the boundary, no gap is invented.
    lines = (DATA / "netlink-ls.log").read_text().splitlines(keepends=True)
    first, second = tmp_path / "a.log", tmp_path / "b.log"
    first.write_text("".join(lines[:50]))
    second.write_text("".join(lines[50:]))
    code, _, err = run(capsys, "record", "--from", str(first), "--from", str(second))
    assert code == 0
    assert "SECCOMP records: 154" in err
    assert "lost: none seen" in err
