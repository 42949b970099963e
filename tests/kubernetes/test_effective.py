"""``effective_manifests`` / ``seccomp-kit k8s effective``, the engines' data and Pod Security's
capability rules. (The proof against the real engines is test_engines_real.py.)"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from seccomp_kit.cli import main
from seccomp_kit.errors import InputError
from seccomp_kit.io import dumps, from_data, load
from seccomp_kit.io.resources import engines_dir
from seccomp_kit.kubernetes import (
    EffectiveContainer,
    check_manifests,
    effective_capabilities,
    effective_manifests,
    engine_defaults,
    modelled_engines,
)
from seccomp_kit.model import Action, Arch

ROOT = Path(__file__).resolve().parents[2]
MOBY_DEFAULT = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}  # fmt: skip


def _pod(*containers: dict[str, Any], pod_sc: dict[str, Any] | None = None, **spec: Any) -> str:
    sc = {"seccompProfile": {"type": "RuntimeDefault"}} if pod_sc is None else pod_sc
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p", "namespace": "ns"},
            "spec": {"securityContext": sc, "containers": list(containers), **spec},
        }
    )


def _c(name: str = "c", add: list[str] | None = None, drop: list[str] | None = None, **sc: Any):
    caps: dict[str, Any] = {}
    if add is not None:
        caps["add"] = add
    if drop is not None:
        caps["drop"] = drop
    context = {**sc, **({"capabilities": caps} if caps else {})}
    return {"name": name, "image": "busybox", **({"securityContext": context} if context else {})}


def _effective(tmp_path: Path, text: str, **kw: Any):
    path = tmp_path / "m.yaml"
    path.write_text(text)
    kw.setdefault("arch", "x86_64")
    return effective_manifests([path], **kw)


def _one(tmp_path: Path, text: str, **kw: Any) -> EffectiveContainer:
    (container,) = _effective(tmp_path, text, **kw).containers
    return container


def _allowed_names(container: EffectiveContainer) -> set[str]:
    assert container.profile is not None
    return {
        n
        for r in container.profile.syscalls
        if r.action in (Action.ALLOW, "SCMP_ACT_ALLOW") and not r.args
        for n in r.names
    }


# -- the engines' data ---------------------------------------------------------------------------


def test_the_debian_versions_and_the_newest_are_modelled() -> None:
    labels = set(modelled_engines())
    assert {"containerd@1.6.20", "docker@20.10.24", "podman@4.3.1"} <= labels
    assert {"docker@latest", "podman@latest", "cri-o@latest"} <= labels
    for entry in engines_dir().iterdir():
        data = json.loads(entry.read_text())
        assert next(iter(data)) == "generated" and "gen_engine_defaults.py" in data["generated"]
        assert data["source"] and data["runtime"].split("@")[0] in ("runc", "crun")


def test_podman_4_3_1_is_debians_containers_common() -> None:
    seccomp = Path("/usr/share/containers/seccomp.json")
    conf = Path("/usr/share/containers/containers.conf")
    if not seccomp.exists():
        pytest.fail("golang-github-containers-common is not installed: run tools/engines.sh")
    podman = engine_defaults("podman@4.3.1")
    assert podman.profile == from_data(json.loads(seccomp.read_text()))
    block = re.search(r"^default_capabilities = \[(.*?)\]", conf.read_text(), re.M | re.S)
    assert block is not None
    assert podman.capabilities == tuple("CAP_" + c for c in re.findall(r'"(\w+)"', block[1]))
    assert podman.runtime_name == "crun"
    assert "golang-github-containers-common" in podman.source


def test_moby_engines_default_to_the_14_capabilities() -> None:
    for label in ("containerd@1.6.20", "docker@20.10.24", "docker@latest"):
        assert set(engine_defaults(label).capabilities) == MOBY_DEFAULT
    assert engine_defaults("docker@20.10.24").refuses == (
        "CAP_PERFMON",
        "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
    )


def test_engine_names_and_versions() -> None:
    assert engine_defaults("containerd").label == "containerd@1.6.20"
    assert engine_defaults("docker").label == "docker@latest"  # the newest
    assert engine_defaults("crio").engine == "cri-o"
    assert engine_defaults("docker@v20.10.24").version == "20.10.24"
    with pytest.raises(InputError, match=r"docker 19\.03 is not modelled.*20\.10\.24, latest"):
        engine_defaults("docker@19.03")
    with pytest.raises(InputError, match=r"did you mean 'containerd'\?.*modelled: "):
        engine_defaults("containrd")


# -- capabilities --------------------------------------------------------------------------------


def test_capabilities_follow_the_cri_order() -> None:
    default = sorted(MOBY_DEFAULT)
    assert effective_capabilities(default, ["NET_BIND_SERVICE"], ["ALL"]) == (
        "CAP_NET_BIND_SERVICE",
    )
    everything = effective_capabilities(default, ["ALL"], ["chown"])
    assert len(everything) == 40 and "CAP_CHOWN" not in everything  # 41 less one
    assert "CAP_SYS_ADMIN" not in effective_capabilities(default, ["SYS_ADMIN"], ["CAP_SYS_ADMIN"])
    assert effective_capabilities(default, ["SYS_ADMIN"], ["NET_RAW"]).count("CAP_SYS_ADMIN") == 1
    with pytest.raises(InputError, match="did you mean 'CAP_SYS_ADMIN'"):
        effective_capabilities(default, ["SYS_ADMN"])


def _sys_admin_names(engine: str) -> set[str]:
    """The names the engine's own profile data lists under ``includes.caps: [CAP_SYS_ADMIN]``
    (read from the JSON, not through our model)."""
    data = json.loads((engines_dir() / f"{engine.replace('@', '-')}.json").read_text())
    return {
        n
        for r in data["profile"]["syscalls"]
        if r.get("includes", {}).get("caps") == ["CAP_SYS_ADMIN"] and not r.get("args")
        for n in r["names"]
    }


@pytest.mark.parametrize("engine", ["containerd@1.6.20", "docker@20.10.24", "podman@4.3.1"])
def test_sys_admin_opens_what_its_rules_name(tmp_path: Path, engine: str) -> None:
    plain = _one(tmp_path, _pod(_c()), engine=engine)
    admin = _one(tmp_path, _pod(_c(add=["SYS_ADMIN", "NET_ADMIN"])), engine=engine)
    opened = _allowed_names(admin) - _allowed_names(plain)
    assert opened == _sys_admin_names(engine) - _allowed_names(plain)
    changes = {c.capability: c for c in admin.changes}
    assert set(changes) == {"CAP_SYS_ADMIN", "CAP_NET_ADMIN"}
    text = changes["CAP_SYS_ADMIN"].describe()
    assert text.startswith("SYS_ADMIN adds ")
    listed = {n.split(" ")[0] for n in changes["CAP_SYS_ADMIN"].opened}
    assert opened <= listed
    assert changes["CAP_NET_ADMIN"].opened == () and changes["CAP_NET_ADMIN"].closed == ()
    assert plain.changes == ()
    assert "CAP_SYS_ADMIN" in admin.capabilities and "CAP_NET_ADMIN" in admin.capabilities


@pytest.mark.parametrize("engine", ["containerd@1.6.20", "docker@20.10.24"])
def test_sys_admin_adds_mount_umount2_unshare_setns_on_moby_engines(
    tmp_path: Path, engine: str
) -> None:
    admin = _one(tmp_path, _pod(_c(add=["SYS_ADMIN"])), engine=engine)
    (change,) = admin.changes
    assert {"mount", "umount2", "unshare", "setns"} <= set(change.opened)
    plain = _one(tmp_path, _pod(_c()), engine=engine)
    assert not {"mount", "umount2", "unshare", "setns"} & _allowed_names(plain)


def test_podman_allows_mount_and_unshare_without_sys_admin(tmp_path: Path) -> None:
    # containers/common lists them unconditionally (the capability check is the kernel's).
    plain = _one(tmp_path, _pod(_c()), engine="podman@4.3.1")
    assert {"mount", "umount2", "unshare", "setns"} <= _allowed_names(plain)


def test_clone_becomes_unrestricted_with_sys_admin(tmp_path: Path) -> None:
    admin = _one(tmp_path, _pod(_c(add=["SYS_ADMIN"])), engine="containerd@1.6.20")
    (change,) = admin.changes
    assert "clone (unrestricted)" in change.opened


def test_dropping_all_removes_chroot(tmp_path: Path) -> None:
    c = _one(tmp_path, _pod(_c(add=["NET_BIND_SERVICE"], drop=["ALL"])), engine="containerd")
    assert c.capabilities == ("CAP_NET_BIND_SERVICE",)
    chroot = [ch for ch in c.changes if ch.closed]
    assert [(ch.capability, ch.closed) for ch in chroot] == [("CAP_SYS_CHROOT", ("chroot",))]
    assert chroot[0].describe() == "SYS_CHROOT dropped: removes chroot"
    assert "chroot" not in _allowed_names(c)


# -- profiles ------------------------------------------------------------------------------------


def test_runtime_default_is_a_plain_oci_profile_for_the_host(tmp_path: Path) -> None:
    c = _one(tmp_path, _pod(_c()), engine="podman@4.3.1", arch="aarch64")
    assert c.profile is not None
    data = json.loads(dumps(c.profile))
    assert "archMap" not in data and "defaultErrno" not in data
    assert data["defaultErrnoRet"] == 38  # containers/common's ENOSYS
    assert data["architectures"][0] == "SCMP_ARCH_AARCH64"
    assert all("includes" not in r and "excludes" not in r for r in data["syscalls"])
    assert c.source.startswith("RuntimeDefault (pod field): podman@4.3.1")


def test_observed_engines_cover_x86_64_only(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"containerd@1\.6\.20's defaults are modelled for"):
        _effective(tmp_path, _pod(_c()), engine="containerd@1.6.20", arch="aarch64")


def test_min_kernel_needs_the_kernel(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--kernel"):
        _effective(tmp_path, _pod(_c()), engine="docker@latest")
    assert _one(tmp_path, _pod(_c()), engine="docker@latest", kernel="6.1").profile is not None


def test_unconfined_privileged_and_windows_have_no_filter(tmp_path: Path) -> None:
    text = _pod(
        _c("priv", privileged=True),
        _c("free", seccompProfile={"type": "Unconfined"}),
        _c("dflt"),
    )
    by_name = {c.container: c for c in _effective(tmp_path, text).containers}
    assert by_name["priv"].profile is None and by_name["priv"].origin == "privileged"
    assert "CAP_SYS_ADMIN" in by_name["priv"].capabilities
    assert by_name["free"].profile is None and by_name["free"].type == "Unconfined"
    assert by_name["dflt"].profile is not None
    windows = _one(tmp_path, _pod(_c(), os={"name": "windows"}))
    assert windows.profile is None and "Windows" in windows.source


def test_every_container_of_every_kind(tmp_path: Path) -> None:
    cron = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "nightly"},
        "spec": {
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {
                            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                            "initContainers": [_c("i", drop=["ALL"])],
                            "containers": [_c("c")],
                            "ephemeralContainers": [_c("e", add=["SYS_PTRACE"])],
                        }
                    }
                }
            }
        },
    }
    report = _effective(tmp_path, yaml.safe_dump(cron), engine="docker@20.10.24")
    found = {(c.kind, c.name, c.container_kind, c.container) for c in report.containers}
    assert found == {
        ("CronJob", "nightly", "initContainer", "i"),
        ("CronJob", "nightly", "container", "c"),
        ("CronJob", "nightly", "ephemeralContainer", "e"),
    }
    ephemeral = next(c for c in report.containers if c.container == "e")
    plain = next(c for c in report.containers if c.container == "c")
    assert "kcmp" in _allowed_names(ephemeral) - _allowed_names(plain)  # SYS_PTRACE's rule
    assert next(c for c in report.containers if c.container == "i").capabilities == ()
    assert [c.file_name for c in report.containers if c.container == "e"] == [
        "cronjob-nightly-e.json"
    ]


def test_kubelet_default_without_and_with_seccomp_default(tmp_path: Path) -> None:
    text = _pod(_c(), pod_sc={})
    assert _one(tmp_path, text).profile is None
    assert _one(tmp_path, text, seccomp_default=True).type == "RuntimeDefault"


def test_localhost_is_read_as_each_engine_reads_it(tmp_path: Path) -> None:
    root = tmp_path / "seccomp"
    root.mkdir()
    (root / "mine.json").write_text(
        json.dumps(
            {
                "defaultAction": "SCMP_ACT_ERRNO",
                "syscalls": [
                    {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
                    {
                        "names": ["mount"],
                        "action": "SCMP_ACT_ALLOW",
                        "includes": {"caps": ["CAP_SYS_ADMIN"]},
                    },
                ],
            }
        )
    )
    sc = {"seccompProfile": {"type": "Localhost", "localhostProfile": "mine.json"}}
    text = _pod(_c(), pod_sc=sc)
    # containerd decodes the file as plain OCI: the condition is ignored, mount stays allowed.
    ctr = _one(tmp_path, text, engine="containerd", root=root)
    assert "mount" in _allowed_names(ctr)
    assert "plain OCI" in ctr.source
    # CRI-O resolves it for the container's capabilities: no SYS_ADMIN, no mount.
    crio = _one(tmp_path, text, engine="cri-o", root=root)
    assert _allowed_names(crio) == {"read", "write"}
    missing = _pod(_c(), pod_sc={"seccompProfile": {"type": "Localhost", "localhostProfile": "x"}})
    report = _effective(tmp_path, missing, root=root)
    assert report.containers[0].profile is None
    assert "K8S030" in {d.code for d in report.diagnostics} and report.has_errors


# -- bad input -----------------------------------------------------------------------------------


def _codes(report: Any, severity: str | None = None) -> list[str]:
    return [d.code for d in report.diagnostics if severity is None or d.severity == severity]


def test_bad_capabilities_are_reported(tmp_path: Path) -> None:
    report = _effective(tmp_path, _pod(_c(add=["SYS_ADMN"])))
    (diag,) = [d for d in report.diagnostics if d.code == "K8S061"]
    assert diag.severity == "error" and "did you mean 'CAP_SYS_ADMIN'" in diag.message
    assert diag.path[-2:] == ("add", 0)
    report = _effective(tmp_path, _pod(_c(add=["ALL"])))
    assert "K8S062" in _codes(report, "warning")
    assert len(report.containers[0].capabilities) == 41  # every capability Linux has
    report = _effective(tmp_path, _pod(_c(add=["NET_ADMIN"], drop=["NET_ADMIN"])))
    assert "K8S063" in _codes(report, "warning")
    assert "CAP_NET_ADMIN" not in report.containers[0].capabilities
    report = _effective(tmp_path, _pod(_c(add=["PERFMON"])), engine="docker@20.10.24")
    assert "K8S064" in _codes(report, "error")
    report = _effective(tmp_path, _pod(_c(drop=["BPF"])), engine="docker@20.10.24")
    assert "K8S064" in _codes(report, "error")
    report = _effective(tmp_path, _pod(_c(drop=["ALL"])), engine="docker@20.10.24")
    assert not report.has_errors
    report = _effective(tmp_path, _pod(_c(add=["PERFMON"])), engine="docker@latest", kernel="6.1")
    assert not report.has_errors


def test_malformed_capabilities(tmp_path: Path) -> None:
    report = _effective(tmp_path, _pod({"name": "c", "securityContext": {"capabilities": "ALL"}}))
    assert "K8S003" in _codes(report, "error")
    report = _effective(tmp_path, _pod(_c(add="SYS_ADMIN")))  # type: ignore[arg-type]
    (diag,) = [d for d in report.diagnostics if d.code == "K8S003"]
    assert "capabilities.add must be a list" in diag.message
    assert "CAP_SYS_ADMIN" not in report.containers[0].capabilities


def test_manifests_without_containers(tmp_path: Path) -> None:
    config_map = yaml.safe_dump(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}
    )
    report = _effective(tmp_path, config_map)
    assert report.containers == () and _codes(report, "error") == ["K8S060"]
    empty = _effective(tmp_path, _pod())
    assert "K8S003" in _codes(empty, "error")


# -- Pod Security's capability rules -------------------------------------------------------------


def _verdicts(tmp_path: Path, text: str) -> tuple[bool, bool]:
    path = tmp_path / "psa.yaml"
    path.write_text(text)
    (pod,) = check_manifests([path], root=tmp_path).pods
    return pod.capabilities_baseline, pod.capabilities_restricted


def test_pod_security_capabilities(tmp_path: Path) -> None:
    assert _verdicts(tmp_path, _pod(_c(add=["NET_BIND_SERVICE"], drop=["ALL"]))) == (True, True)
    assert _verdicts(tmp_path, _pod(_c())) == (True, False)
    assert _verdicts(tmp_path, _pod(_c(add=["CHOWN", "SYS_CHROOT"], drop=["ALL"]))) == (
        True,
        False,
    )
    assert _verdicts(tmp_path, _pod(_c(add=["SYS_ADMIN"], drop=["ALL"]))) == (False, False)
    # Names are compared as written.
    assert _verdicts(tmp_path, _pod(_c(add=["CAP_CHOWN"], drop=["ALL"])))[0] is False
    assert _verdicts(tmp_path, _pod(_c(drop=["all"])))[1] is False
    # Every container counts, init containers too; Windows pods skip the restricted rule.
    init = _pod(_c(drop=["ALL"]), initContainers=[_c("i", add=["SYS_CHROOT"])])
    assert _verdicts(tmp_path, init) == (True, False)
    # NET_RAW is a default of moby's engines but not on baseline's list.
    assert _verdicts(tmp_path, _pod(_c(add=["NET_RAW"])))[0] is False
    assert _verdicts(tmp_path, _pod(_c(), os={"name": "windows"})) == (True, True)


def test_check_reports_the_capability_rules(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(_pod(_c(add=["CAP_SYS_ADMIN"])))
    report = check_manifests([path], root=tmp_path, level="restricted")
    by_code = {d.code: d for d in report.diagnostics}
    assert by_code["K8S054"].severity == "error"
    assert "use 'SYS_ADMIN'" not in by_code["K8S054"].message  # not an allowed name either way
    assert "does not drop ALL" in by_code["K8S055"].message


# -- the command ----------------------------------------------------------------------------------


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def test_cli_text_json_and_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = tmp_path / "deploy.yaml"
    manifest.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "web"},
                "spec": {
                    "template": {
                        "spec": {
                            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                            "containers": [_c("admin", add=["SYS_ADMIN", "NET_ADMIN"])],
                            "initContainers": [_c("setup", privileged=True)],
                        }
                    }
                },
            }
        )
    )
    out = tmp_path / "out"
    args = ["k8s", "effective", str(manifest), "--engine", "containerd@1.6.20", "--arch", "amd64"]
    code, stdout, stderr = _run(capsys, *args, "--out", str(out))
    assert code == 0, stderr
    assert "  SYS_ADMIN adds " in stdout and "no syscall changes with: NET_ADMIN" in stdout
    assert sorted(p.name for p in out.iterdir()) == ["deployment-web-admin.json"]
    written = load(out / "deployment-web-admin.json")
    assert Arch.X86_64 in written.architectures
    code, stdout, _ = _run(capsys, *args, "--format", "json")
    data = json.loads(stdout)
    assert data["engine"] == "containerd@1.6.20" and data["runtime"] == "runc@1.1.5"
    admin = next(c for c in data["containers"] if c["container"] == "admin")
    assert {"kind", "name", "namespace", "container", "capabilities", "profile", "source"} <= set(
        admin
    )
    assert admin["kind"] == "Deployment" and admin["name"] == "web"
    assert from_data(admin["profile"]) == written
    setup = next(c for c in data["containers"] if c["container"] == "setup")
    assert setup["profile"] is None


def test_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = tmp_path / "m.yaml"
    manifest.write_text(_pod(_c(add=["SYS_ADMN"])))
    code, _, stderr = _run(capsys, "k8s", "effective", str(manifest), "--arch", "x86_64")
    assert code == 1
    assert "K8S061" in stderr and "did you mean 'CAP_SYS_ADMIN'" in stderr
    code, _, stderr = _run(capsys, "k8s", "effective", str(manifest), "--engine", "podman@3.0")
    assert code == 2
    assert "podman 3.0 is not modelled; modelled podman versions: 4.3.1, latest" in stderr
