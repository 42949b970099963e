"""One meaning per option: --arch, --cap, --kernel, --runtime and --libseccomp are defined once
and read alike by every subcommand, and every FILE argument takes ``-`` for standard input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from click.testing import CliRunner

import seccomp_kit as sk
from seccomp_kit.cli import cli
from seccomp_kit.cli._common import target_kwargs
from seccomp_kit.syscalls.arches import native_arch

ROOT = Path(__file__).resolve().parents[2]
MOBY = ROOT / "profiles" / "runtime-default.json"  # includes/excludes on capabilities
LOG_ALL = ROOT / "profiles" / "log-all.json"
SHARED = ("--arch", "--cap", "--kernel", "--runtime", "--libseccomp")


def commands() -> dict[str, click.Command]:
    """Every subcommand by its full name ('k8s export'), from the click tree itself."""
    found: dict[str, click.Command] = {}
    ctx = click.Context(cli)

    def walk(group: click.Group, prefix: str) -> None:
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None
            if isinstance(command, click.Group):
                walk(command, f"{prefix}{name} ")
            else:
                found[f"{prefix}{name}"] = command

    walk(cli, "")
    return found


def option(command: click.Command, flag: str) -> click.Option | None:
    for param in command.params:
        if isinstance(param, click.Option) and flag in param.opts:
            return param
    return None


def invoke(*args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)


def test_shared_options_have_one_definition() -> None:
    """Same help, default, metavar and callback wherever the option appears; record's --arch
    is the one exception: it filters records by the architecture they came from."""
    seen: dict[str, list[tuple[str, click.Option]]] = {flag: [] for flag in SHARED}
    for name, command in commands().items():
        for flag in SHARED:
            found = option(command, flag)
            if found is not None and not (name == "record" and flag == "--arch"):
                seen[flag].append((name, found))
    for flag, uses in seen.items():
        assert len(uses) >= 2, flag
        first = uses[0][1]
        for name, other in uses[1:]:
            assert (other.help, other.default, other.metavar, other.callback) == (
                first.help,
                first.default,
                first.metavar,
                first.callback,
            ), (flag, name)


@pytest.mark.parametrize(
    "name",
    ["compile", "check", "diff", "merge", "normalize", "resolve", "k8s export"],
)
def test_commands_that_need_a_host_take_every_host_option(name: str) -> None:
    command = commands()[name]
    assert all(option(command, flag) is not None for flag in SHARED), name


def test_every_target_option_is_offered_wherever_a_runtime_is() -> None:
    for name, command in commands().items():
        if option(command, "--runtime") is not None:
            assert option(command, "--libseccomp") is not None, name


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--runtime", "docker"], "unknown runtime 'docker'"),
        (["--runtime", "runc@0.1"], "not a modelled version"),
        (["--libseccomp", "1.0.0"], "libseccomp 1.0.0 is not a modelled version"),
        (["--kernel", "six"], "not of the form X.Y"),
        (["--cap", "CAP_SYS_ADMN"], "did you mean 'CAP_SYS_ADMIN'"),
        (["--arch", "pdp11"], "pdp11"),
    ],
)
@pytest.mark.parametrize("name", ["compile", "diff", "resolve", "k8s export", "check"])
def test_bad_values_are_one_line_usage_errors(name: str, args: list[str], message: str) -> None:
    if option(commands()[name], args[0]) is None:
        pytest.skip(f"{name} has no {args[0]}")  # every listed command has them: see above
    extra = {
        "diff": [str(LOG_ALL)],
        "k8s export": ["--name", "x"],
        "check": ["getpid"],
    }.get(name, [])
    result = invoke(*name.split(), str(LOG_ALL), *extra, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_the_libseccomp_value_is_forwarded_where_the_library_takes_it() -> None:
    def takes(profile: object, *, runtime: str = "runc", libseccomp: str = "installed") -> None:
        """A library function that models libseccomp versions."""

    def older(profile: object, *, runtime: str = "runc") -> None:
        """One that does not (yet)."""

    def neither(profile: object) -> None:
        """One that knows no target at all."""

    assert target_kwargs(takes, "crun", "2.5.4") == {"runtime": "crun", "libseccomp": "2.5.4"}
    assert target_kwargs(older, "crun", "installed") == {"runtime": "crun"}
    assert target_kwargs(neither, "runc", "installed") == {}
    with pytest.raises(click.UsageError, match=r"--libseccomp 2\.5\.4: older"):
        target_kwargs(older, "runc", "2.5.4")
    with pytest.raises(click.UsageError, match=r"--runtime crun: neither"):
        target_kwargs(neither, "crun", "installed")

    def optional(
        profile: object, *, runtime: str | None = None, libseccomp: str | None = None
    ) -> None:
        """One that reads profiles on their own terms unless given a target."""

    assert target_kwargs(optional, "runc", "installed", frozenset()) == {}
    assert target_kwargs(optional, "runc", "2.5.4", frozenset({"libseccomp"})) == {
        "libseccomp": "2.5.4"
    }
    assert target_kwargs(optional, "runc", "installed", frozenset({"runtime"})) == {
        "runtime": "runc"
    }


# -- moby profiles are resolved for the host by diff, merge and k8s export ------------------------


def test_diff_resolves_moby_profiles_with_the_capabilities() -> None:
    result = invoke("diff", str(MOBY), str(MOBY), "--cap", "CAP_SYS_ADMIN")
    assert result.exit_code == 0, result.output
    # The same file with and without CAP_SYS_ADMIN: mount is allowed only with it.
    plain = sk.resolve(MOBY, arch=native_arch(), kernel=os.uname().release)
    plain_path = ROOT / "profiles" / "runtime-default.json"
    assert plain_path.exists()
    admin = sk.resolve(
        MOBY, arch=native_arch(), kernel=os.uname().release, capabilities=["CAP_SYS_ADMIN"]
    )
    expected = sk.diff(plain, admin)
    assert expected, "CAP_SYS_ADMIN must change the resolved runtime-default profile"
    result = invoke("diff", str(MOBY), "-", "--cap", "CAP_SYS_ADMIN", stdin=MOBY.read_text())
    assert result.exit_code == 0  # both sides resolved with the same capabilities


def test_merge_and_export_take_moby_profiles() -> None:
    merged = invoke("merge", str(MOBY), str(LOG_ALL), "--strategy", "intersection")
    assert merged.exit_code == 0, merged.output
    resolved = sk.resolve(MOBY, arch=native_arch(), kernel=os.uname().release)
    assert sk.dumps(sk.loads(merged.output)) == sk.dumps(
        sk.merge(resolved, LOG_ALL, strategy="intersection")
    )
    exported = invoke("k8s", "export", str(MOBY), "--name", "rd", "--cap", "CAP_SYS_ADMIN")
    assert exported.exit_code == 0, exported.output
    spec = yaml.safe_load(exported.output)["spec"]
    allowed = {n for r in spec["syscalls"] if r["action"] == "SCMP_ACT_ALLOW" for n in r["names"]}
    assert "mount" in allowed  # CAP_SYS_ADMIN's rule, resolved in


# -- '-' for every FILE ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "-"],
        ["fmt", "-"],
        ["normalize", "-"],
        ["resolve", "-"],
        ["merge", "-", str(LOG_ALL)],
        ["diff", "-", str(LOG_ALL)],
        ["compile", "-", "--pfc"],
        ["check", "-", "getpid"],
        ["k8s", "export", "-", "--name", "web"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_every_file_argument_reads_stdin(args: list[str]) -> None:
    result = invoke(*args, stdin=LOG_ALL.read_text())
    assert result.exit_code == 0, result.output


def test_install_reads_stdin(tmp_path: Path) -> None:
    result = invoke(
        "install", "-", "--name", "web/log.json", "--root", str(tmp_path), stdin=LOG_ALL.read_text()
    )
    assert result.exit_code == 0, result.output
    assert sk.load(tmp_path / "web" / "log.json") == sk.load(LOG_ALL)


def test_resolve_pipes_into_k8s_export() -> None:
    """The issue's pipeline, through the real entry point."""
    command = [sys.executable, "-m", "seccomp_kit"]
    resolved = subprocess.run(
        [*command, "resolve", str(MOBY), "--arch", "amd64", "--kernel", "6.8"],
        capture_output=True,
        check=True,
    ).stdout
    exported = subprocess.run(
        [*command, "k8s", "export", "-", "--name", "web"],
        input=resolved,
        capture_output=True,
        check=False,
    )
    assert exported.returncode == 0, exported.stderr
    resource = yaml.safe_load(exported.stdout)
    assert resource["kind"] == "SeccompProfile" and resource["metadata"]["name"] == "web"


def test_record_refine_reads_the_profile_from_stdin(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_text(
        'type=1326 audit(1795556796.855:1): auid=0 uid=0 gid=0 ses=7 pid=1 comm="app"'
        ' exe="/usr/bin/app" sig=0 arch=c000003e syscall=257 compat=0 ip=0x1 code=0x50001\n'
    )
    base = (
        '{"defaultAction": "SCMP_ACT_ERRNO",'
        ' "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}'
    )
    out = tmp_path / "refined.json"
    result = invoke("record", "--from", str(log), "--refine", "-", "-o", str(out), stdin=base)
    assert result.exit_code == 0, result.output
    allowed = {n for r in sk.load(out).syscalls for n in r.names}
    assert {"read", "openat"} <= allowed
    both = invoke("record", "--from", "-", "--refine", "-", stdin=base)
    assert both.exit_code == 2 and "cannot both read standard input" in both.output
