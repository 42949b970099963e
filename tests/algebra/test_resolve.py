"""resolve: moby's and containers/common's includes/excludes, archMap and minKernel."""

from __future__ import annotations

from pathlib import Path

import pytest

from seccomp_kit import io
from seccomp_kit.algebra.resolving import parse_kernel, resolve
from seccomp_kit.errors import InputError
from seccomp_kit.match import Matcher
from seccomp_kit.model import (
    Action,
    Arch,
    ArchMapEntry,
    CapFilter,
    Dialect,
    Profile,
    SyscallRule,
)
from seccomp_kit.syscalls.capabilities import CAPABILITIES, parse_capabilities, parse_capability
from tests.conftest import corpus_dir

ALLOW = 0x7FFF_0000
EPERM = 0x0005_0001
ENOSYS = 0x0005_0026


@pytest.fixture(scope="module")
def moby_default() -> Profile:
    return io.load(corpus_dir("profiles") / "moby-default.json")


def names_with(profile: Profile, action: Action = Action.ALLOW) -> set[str]:
    return {n for r in profile.syscalls if r.action is action and not r.args for n in r.names}


def test_moby_default_with_cap_sys_admin(moby_default: Profile) -> None:
    admin = resolve(moby_default, arch="amd64", capabilities=["CAP_SYS_ADMIN"], kernel="6.18")
    assert admin.dialect is Dialect.OCI
    assert admin.architectures == (Arch.X86_64, Arch.X86, Arch.X32)
    assert {"mount", "umount2", "unshare", "setns", "clone", "clone3"} <= names_with(admin)
    assert not any(r.includes or r.excludes or r.comment for r in admin.syscalls)
    m = Matcher(admin, runtime="crun")
    assert m.match("mount").ret == ALLOW
    # clone loses its MASKED_EQ restriction: namespace flags are allowed.
    assert m.match("clone", (0x2000_0000,)).ret == ALLOW  # CLONE_NEWCGROUP
    assert m.match("clone3").ret == ALLOW


def test_moby_default_without_cap_sys_admin(moby_default: Profile) -> None:
    plain = resolve(moby_default, arch="amd64", kernel="6.18")
    allowed = names_with(plain)
    assert not {"mount", "umount2", "unshare", "setns", "clone", "clone3"} & allowed
    clone = [r for r in plain.syscalls if "clone" in r.names]
    assert [r.args[0].op for r in clone] == ["SCMP_CMP_MASKED_EQ"]
    assert clone[0].args[0].index == 0  # not the s390 variant (arguments swapped)
    m = Matcher(plain, runtime="crun")
    assert m.match("clone", (0x2000_0000,)).ret == EPERM
    assert m.match("clone", (0x11,)).ret == ALLOW  # SIGCHLD: a plain fork
    assert m.match("clone3").ret == ENOSYS
    assert m.match("mount").ret == EPERM


def test_arches_select_rules_in_native_names(moby_default: Profile) -> None:
    arm = resolve(moby_default, arch="SCMP_ARCH_AARCH64", kernel="6.18")
    assert arm.architectures == (Arch.AARCH64, Arch.ARM)
    assert {"cacheflush", "set_tls"} <= names_with(arm)
    assert "arch_prctl" not in names_with(arm)
    s390 = resolve(moby_default, arch="s390x", kernel="6.18")
    clone = [r for r in s390.syscalls if "clone" in r.names]
    assert [r.args[0].index for r in clone] == [1]  # s390 passes flags second
    amd = resolve(moby_default, arch="x86_64", kernel="6.18")
    assert {"arch_prctl", "modify_ldt"} <= names_with(amd)


def test_min_kernel_compares_major_minor_and_unknown_kernel_is_an_error(
    moby_default: Profile,
) -> None:
    old = resolve(moby_default, arch="amd64", kernel="4.4.0-210-generic")
    new = resolve(moby_default, arch="amd64", kernel="4.8")
    assert "process_vm_readv" not in names_with(old)
    assert {"process_vm_readv", "ptrace"} <= names_with(new)
    assert resolve(moby_default, arch="amd64", kernel=(4, 8)) == new
    with pytest.raises(InputError, match=r"minKernel 4\.8.*--kernel") as info:
        resolve(moby_default, arch="amd64")
    assert info.value.json_path == "$.syscalls[1].includes.minKernel"
    assert info.value.source is not None and info.value.source.endswith("moby-default.json")
    with pytest.raises(InputError, match=r"not of the form X\.Y"):
        resolve(moby_default, arch="amd64", kernel="latest")


def rule(names: tuple[str, ...], **kw: object) -> SyscallRule:
    return SyscallRule(names=names, action=Action.ALLOW, **kw)  # type: ignore[arg-type]


def test_excludes_any_cap_skips_and_includes_needs_all() -> None:
    p = Profile(
        default_action=Action.ERRNO,
        syscalls=(
            rule(("a1",), includes=CapFilter(caps=("CAP_SYS_ADMIN", "CAP_NET_ADMIN"))),
            rule(("e1",), excludes=CapFilter(caps=("CAP_SYS_ADMIN", "CAP_NET_ADMIN"))),
            rule(("x1",), excludes=CapFilter(min_kernel="5.0")),
            rule(("k1",), includes=CapFilter(arches=("amd64",), min_kernel="")),
        ),
        dialect=Dialect.MOBY,
    )

    def names(*caps: str, kernel: str = "6.1") -> list[str]:
        out = resolve(p, arch="amd64", capabilities=caps, kernel=kernel)
        return [n for r in out.syscalls for n in r.names]

    assert names() == ["e1", "k1"]
    assert names("SYS_ADMIN") == ["k1"]
    assert names("CAP_SYS_ADMIN", "net_admin") == ["a1", "k1"]
    assert names(kernel="4.19") == ["e1", "x1", "k1"]
    assert resolve(p, arch="arm64", kernel="6.1").syscalls == (rule(("e1",)),)


def test_containers_dialect_ignores_min_kernel_and_resolves_errno_names() -> None:
    p = Profile(
        default_action=Action.ERRNO,
        default_errno_name="ENOSYS",
        syscalls=(
            SyscallRule(names=("clone3",), action=Action.ERRNO, errno_name="EPERM"),
            rule(("new",), includes=CapFilter(min_kernel="9.9")),
            rule(("admin",), includes=CapFilter(caps=("CAP_SYS_ADMIN",))),
        ),
        arch_map=(ArchMapEntry(Arch.X86_64, (Arch.X86,)), ArchMapEntry(Arch.ARM, ())),
        dialect=Dialect.CONTAINERS,
    )
    out = resolve(p, arch="amd64")
    assert out.default_errno_ret == 38 and out.default_errno_name is None
    assert out.syscalls[0].errno_ret == 1 and out.syscalls[0].errno_name is None
    assert [r.names for r in out.syscalls] == [("clone3",), ("new",)]
    assert out.architectures == (Arch.X86_64, Arch.X86)
    # containers/common expands archMap only on amd64, arm64, mips64* and s390x hosts.
    assert resolve(p, arch="arm").architectures == ()
    # moby ignores errno names (not part of its format), as its JSON decoder does.
    moby = resolve(p, arch="amd64", engine="moby", kernel="6.1")
    assert moby.default_errno_ret is None
    assert [r.names for r in moby.syscalls] == [("clone3",)]


def test_moby_arch_name_tables_are_reproduced_with_their_gaps() -> None:
    p = Profile(
        default_action=Action.ERRNO,
        arch_map=(ArchMapEntry(Arch.LOONGARCH64, ()), ArchMapEntry(Arch.X86, ())),
        syscalls=(rule(("x",), includes=CapFilter(arches=("loong64",))),),
    )
    # GOARCH loong64 is "loongarch64" in moby's goToNative, which nativeToSeccomp lacks.
    loong = resolve(p, arch="loongarch64", kernel="6.1")
    assert loong.architectures == () and loong.syscalls == ()
    assert resolve(p, arch="x86", kernel="6.1").architectures == (Arch.X86,)
    with pytest.raises(InputError, match="moby does not run on SCMP_ARCH_X32"):
        resolve(p, arch="x32")


def test_profile_errors_name_the_field() -> None:
    both = Profile(
        default_action=Action.ERRNO,
        architectures=(Arch.X86_64,),
        arch_map=(ArchMapEntry(Arch.X86_64, ()),),
    )
    with pytest.raises(InputError, match="both 'architectures' and 'archMap'") as info:
        resolve(both, arch="amd64")
    assert info.value.json_path == "$.archMap"
    bad = Profile(
        default_action=Action.ERRNO,
        syscalls=(rule(("x",), includes=CapFilter(min_kernel="4")),),
    )
    with pytest.raises(InputError, match=r"invalid minKernel '4'") as info:
        resolve(bad, arch="amd64", kernel="5.4")
    assert info.value.json_path == "$.syscalls[0].includes.minKernel"
    with pytest.raises(InputError, match="unknown engine"):
        resolve(bad, arch="amd64", engine="podman")  # type: ignore[arg-type]


def test_legacy_name_and_names_together_is_refused_by_moby(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(
        '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"name": "read", "names": ["write"],'
        ' "action": "SCMP_ACT_ALLOW"}]}'
    )
    with pytest.raises(InputError, match="both 'name' and 'names'") as info:
        resolve(io.load(path), arch="amd64")
    assert info.value.json_path == "$.syscalls[0].name"


def test_capabilities_suggest_close_names() -> None:
    assert parse_capability("sys_admin") == "CAP_SYS_ADMIN"
    assert parse_capabilities(["CAP_BPF", "bpf", "PERFMON"]) == ("CAP_BPF", "CAP_PERFMON")
    assert len(CAPABILITIES) == 41
    with pytest.raises(InputError, match=r"unknown capability 'CAP_SYS_ADMN'; did you mean"):
        parse_capability("CAP_SYS_ADMN")
    with pytest.raises(InputError, match=r"did you mean 'CAP_NET_RAW'"):
        resolve(Profile(default_action=Action.ERRNO), arch="amd64", capabilities=["NET_RAWW"])


def test_parse_kernel_reads_major_minor() -> None:
    assert parse_kernel("6.18.0-rc1") == (6, 18)
    assert parse_kernel("3.12-1-amd64") == (3, 12)


def test_every_corpus_profile_resolves(corpus_profiles: list[Path]) -> None:
    from tests.conftest import NOT_PROFILES

    for path in corpus_profiles:
        if path.name in NOT_PROFILES:
            continue
        p = io.load(path)
        out = resolve(p, arch="amd64", capabilities=["CAP_SYS_ADMIN"], kernel="6.18")
        assert out.dialect is Dialect.OCI
        assert not any(r.includes or r.excludes for r in out.syscalls)
        assert io.loads(io.dumps(out)) == out
