"""``seccomp-kit install`` and ``seccomp-kit k8s export|import|check`` end to end."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import seccomp_kit as sk
from tests.cli.test_json_output import K8S_FIELDS
from tests.conftest import DATA_DIR

DATA = DATA_DIR / "k8s"
GOOD = (
    '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": ['
    '{"names": ["exit", "exit_group", "read"], "action": "SCMP_ACT_ALLOW"}]}'
)
INVALID = '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "NOPE"}]}'


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The real console entry point in a subprocess: exit codes and streams as users see them."""
    return subprocess.run(
        [sys.executable, "-m", "seccomp_kit", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.json"
    path.write_text(GOOD)
    return path


def test_install_writes_the_file_and_prints_both_snippets(tmp_path: Path, good: Path) -> None:
    root = tmp_path / "seccomp"
    done = run("install", str(good), "--name", "apps/web.json", "--root", str(root))
    assert done.returncode == 0, done.stderr
    target = root / "apps" / "web.json"
    assert sk.load(target) == sk.loads(GOOD)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    pod, container = yaml.safe_load_all(done.stdout)
    expected = {"type": "Localhost", "localhostProfile": "apps/web.json"}
    assert pod["spec"]["securityContext"]["seccompProfile"] == expected
    assert container["spec"]["containers"][0]["securityContext"]["seccompProfile"] == expected
    assert str(target) in done.stderr


def test_install_refuses_an_invalid_profile_with_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(INVALID)
    done = run("install", str(bad), "--name", "bad.json", "--root", str(tmp_path / "root"))
    assert done.returncode == 1
    assert "not installed" in done.stderr
    assert "NOPE" in done.stderr
    assert not (tmp_path / "root").exists()


@pytest.mark.parametrize("name", ["../x.json", "/etc/x.json", "a/./b.json"])
def test_install_refuses_hostile_names_with_exit_2(tmp_path: Path, good: Path, name: str) -> None:
    done = run("install", str(good), "--name", name, "--root", str(tmp_path / "root"))
    assert done.returncode == 2
    assert done.stderr.startswith("seccomp-kit: ")
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "root").exists() or list((tmp_path / "root").iterdir()) == []


def test_install_reports_unreadable_input_with_exit_2(tmp_path: Path) -> None:
    done = run(
        "install", str(tmp_path / "missing.json"), "--name", "x.json", "--root", str(tmp_path)
    )
    assert done.returncode == 2
    assert "no such file" in done.stderr


def test_export_then_import_round_trips(tmp_path: Path, good: Path) -> None:
    exported = run("k8s", "export", str(good), "--name", "web", "--base", "runc-v1.2.0")
    assert exported.returncode == 0, exported.stderr
    doc = yaml.safe_load(exported.stdout)
    assert doc["kind"] == "SeccompProfile"
    assert doc["spec"]["baseProfileName"] == "runc-v1.2.0"
    manifest = tmp_path / "sp.yaml"
    manifest.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n" + exported.stdout)
    out = tmp_path / "out"
    imported = run("k8s", "import", str(manifest), "-o", str(out))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.split() == [str(out / "web.json")]
    assert sk.load(out / "web.json") == sk.loads(GOOD)
    assert "document 0 skipped: kind 'Namespace'" in imported.stderr
    assert "baseProfileName 'runc-v1.2.0'" in imported.stderr


def test_import_the_corpus_into_namespaced_folders(tmp_path: Path, corpus: Path) -> None:
    src = corpus / "kubernetes" / "spo-seccompprofile.yaml"
    text = src.read_text().replace(
        "name: profile-block-all\n", "name: profile-block-all\n  namespace: team\n"
    )
    manifest = tmp_path / "sp.yaml"
    manifest.write_text(text)
    out = tmp_path / "out"
    done = run("k8s", "import", str(manifest), "-o", str(out))
    assert done.returncode == 0, done.stderr
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*.json"))
    assert written == [
        "profile-allow-unsafe.json",
        "profile-complain-block-high-risk.json",
        "profile-complain-unsafe.json",
        "team/profile-block-all.json",
    ]
    assert sk.load(out / "team" / "profile-block-all.json") == sk.loads(
        '{"defaultAction": "SCMP_ACT_ERRNO"}'
    )
    assert "document 0" not in done.stderr


def test_import_refuses_invalid_profiles_and_writes_the_rest(tmp_path: Path) -> None:
    manifest = tmp_path / "sp.yaml"
    manifest.write_text(
        "apiVersion: security-profiles-operator.x-k8s.io/v1\nkind: SeccompProfile\n"
        "metadata: {name: bad}\nspec:\n  defaultAction: SCMP_ACT_ALLOW\n  syscalls:\n"
        "  - {names: [read], action: SCMP_ACT_ALLOW, errnoRet: 5}\n---\n"
        "apiVersion: security-profiles-operator.x-k8s.io/v1\nkind: SeccompProfile\n"
        "metadata: {name: good}\nspec: {defaultAction: SCMP_ACT_LOG}\n"
    )
    out = tmp_path / "out"
    done = run("k8s", "import", str(manifest), "-o", str(out), "--runtime", "crun")
    assert done.returncode == 1
    assert "SeccompProfile bad not written" in done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["good.json"]


def test_import_names_files_like_the_operator_and_skips_disabled(tmp_path: Path) -> None:
    head = "apiVersion: security-profiles-operator.x-k8s.io/v1\nkind: SeccompProfile\n"
    manifest = tmp_path / "sp.yaml"
    manifest.write_text(
        f"{head}metadata: {{name: web.json}}\nspec: {{defaultAction: SCMP_ACT_LOG}}\n---\n"
        f"{head}metadata: {{name: paused}}\nspec: {{defaultAction: SCMP_ACT_LOG, disabled: true}}\n"
    )
    out = tmp_path / "out"
    done = run("k8s", "import", str(manifest), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["web.json"]
    assert "paused skipped: spec.disabled is true" in done.stderr


def test_import_without_seccompprofiles_exits_1(tmp_path: Path) -> None:
    manifest = tmp_path / "m.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    done = run("k8s", "import", str(manifest), "-o", str(tmp_path / "out"))
    assert done.returncode == 1
    assert "no SeccompProfile" in done.stderr


def test_import_reports_bad_yaml_with_exit_2(tmp_path: Path) -> None:
    manifest = tmp_path / "m.yaml"
    manifest.write_text("kind: SeccompProfile\nspec: [\n")
    done = run("k8s", "import", str(manifest), "-o", str(tmp_path / "out"))
    assert done.returncode == 2
    assert f"{manifest}:3:1: invalid YAML" in done.stderr


def test_export_refuses_what_the_resource_cannot_hold(tmp_path: Path) -> None:
    profile = tmp_path / "p.json"
    profile.write_text(
        '{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38, "syscalls": '
        '[{"names": ["exit_group"], "action": "SCMP_ACT_ALLOW"}]}'
    )
    done = run("k8s", "export", str(profile), "--name", "p")
    assert done.returncode == 2
    assert "defaultErrnoRet" in done.stderr
    assert done.stdout == ""
    done = run("k8s", "export", str(profile), "--name", "Not A Name")
    assert done.returncode == 2
    assert "not a valid Kubernetes object name" in done.stderr


def _root(tmp_path: Path) -> Path:
    root = tmp_path / "seccomp"
    (root / "profiles").mkdir(parents=True)
    (root / "profiles" / "web.json").write_text(GOOD)
    return root


def test_check_text_output_and_exit_1_for_errors(tmp_path: Path) -> None:
    done = run("k8s", "check", str(DATA / "workloads.yaml"), "--root", str(_root(tmp_path)))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert any(
        "error K8S050" in line and "container 'debug'" in line and ":25:" in line for line in lines
    )
    assert any("K8S030" in line and "profiles/missing.json" in line for line in lines)
    assert any("container 'web' runs Localhost profiles/web.json" in line for line in lines)
    assert lines[-1] == (
        "7 pod(s), 11 container(s): Pod Security baseline 6/7 pass, restricted 4/7 pass;"
        " capabilities: baseline 7/7 pass, restricted 0/7 pass; 2 error(s)"
    )


def test_check_json_output_matches_the_diagnostics(tmp_path: Path) -> None:
    done = run(
        "k8s", "check", str(DATA / "workloads.yaml"), "--root", str(_root(tmp_path)),
        "--format", "json", "--seccomp-default",
    )  # fmt: skip
    assert done.returncode == 1
    found = json.loads(done.stdout)
    assert {d["severity"] for d in found} == {"error", "warning", "info"}
    keys = {
        "file",
        "severity",
        "code",
        "path",
        "pointer",
        "line",
        "column",
        "message",
        "suggestion",
        *K8S_FIELDS,  # where the finding is: document, object, container, effective profile
    }
    assert all(set(d) == keys for d in found)
    errors = [(d["code"], d["path"]) for d in found if d["severity"] == "error"]
    assert errors == [
        ("K8S050", "$.spec.containers[1].securityContext.seccompProfile"),
        (
            "K8S030",
            "$.spec.template.metadata.annotations"
            "['container.seccomp.security.alpha.kubernetes.io/worker']",
        ),
    ]
    defaults = [d["message"] for d in found if "kubelet default" in d["message"]]
    assert len(defaults) == 2
    assert all("runs RuntimeDefault" in m for m in defaults)


def test_check_exit_0_for_a_clean_manifest_and_stdin(tmp_path: Path) -> None:
    text = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  securityContext:\n"
        "    seccompProfile: {type: RuntimeDefault}\n  containers: [{name: c, image: x}]\n"
    )
    done = run("k8s", "check", "-", stdin=text)
    assert done.returncode == 0, done.stdout
    # The seccomp rules pass; restricted's capability rule wants drop: [ALL].
    assert (
        "restricted 1/1 pass; capabilities: baseline 1/1 pass, restricted 0/1 pass; 0 error(s)"
        in done.stdout
    )
    done = run(
        "k8s",
        "check",
        "-",
        "--level",
        "restricted",
        stdin=text.replace("RuntimeDefault", "Unconfined"),
    )
    assert done.returncode == 1


def test_check_unreadable_or_non_yaml_input_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: Pod\n\tspec: {}\n")
    done = run(
        "k8s", "check", str(bad), str(tmp_path / "missing.yaml"), str(DATA / "workloads.yaml")
    )
    assert done.returncode == 2
    assert f"{bad}:3:1: invalid YAML" in done.stderr
    assert "missing.yaml: no such file" in done.stderr
    assert "Traceback" not in done.stderr
    # The readable manifest is still reported.
    assert "Deployment web" in done.stdout


def test_commands_are_listed_in_help() -> None:
    done = run("k8s", "--help")
    assert done.returncode == 0
    for name in ("export", "import", "check"):
        assert name in done.stdout
