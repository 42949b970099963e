"""Machine-readable output carries structure: fields, not sentences to parse."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from seccomp_kit.cli import cli

ROOT = Path(__file__).resolve().parents[2]
MOBY = ROOT / "profiles" / "runtime-default.json"

MANIFESTS = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      securityContext:
        seccompProfile:
          type: Localhost
          localhostProfile: web.json
      containers:
      - name: web
        image: nginx
        securityContext:
          seccompProfile:
            type: RuntimeDefault
      - name: side
        image: envoy
      initContainers:
      - name: setup
        image: busybox
        securityContext:
          privileged: true
---
apiVersion: v1
kind: Srvice
metadata:
  name: typo
"""

K8S_FIELDS = {
    "document",
    "kind",
    "namespace",
    "name",
    "container",
    "container_kind",
    "profile_type",
    "profile_origin",
    "localhost_profile",
}


def k8s_findings(tmp_path: Path) -> list[dict[str, object]]:
    manifest = tmp_path / "deploy.yaml"
    manifest.write_text(MANIFESTS)
    root = tmp_path / "root"
    root.mkdir()
    (root / "web.json").write_text((ROOT / "profiles" / "log-all.json").read_text())
    result = CliRunner().invoke(
        cli, ["k8s", "check", str(manifest), "--root", str(root), "--format", "json"]
    )
    assert result.exit_code in (0, 1), result.output
    data = json.loads(result.stdout)
    assert isinstance(data, list)
    return data


def test_k8s_check_json_places_every_finding(tmp_path: Path) -> None:
    findings = k8s_findings(tmp_path)
    for finding in findings:
        assert finding.keys() >= K8S_FIELDS, finding
    effective = {
        f["container"]: f for f in findings if f["code"] == "K8S040" or f["code"] == "K8S041"
    }
    web, side, setup = effective["web"], effective["side"], effective["setup"]
    assert (web["container_kind"], web["profile_type"], web["profile_origin"]) == (
        "regular",
        "RuntimeDefault",
        "container field",
    )
    assert (side["profile_type"], side["profile_origin"], side["localhost_profile"]) == (
        "Localhost",
        "pod field",
        "web.json",
    )
    assert (setup["container_kind"], setup["profile_type"], setup["profile_origin"]) == (
        "init",
        "Unconfined",
        "privileged",
    )
    for f in (web, side, setup):
        assert (f["document"], f["kind"], f["namespace"], f["name"]) == (
            0,
            "Deployment",
            "shop",
            "web",
        )
    typo = next(f for f in findings if f["code"] == "K8S002")
    assert (typo["document"], typo["kind"], typo["container"]) == (1, "Srvice", None)


def test_check_json_locates_the_rule_of_a_resolved_moby_profile() -> None:
    result = CliRunner().invoke(
        cli, ["check", str(MOBY), "mount", "--cap", "CAP_SYS_ADMIN", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["location"] is not None and data["original_rule"] is not None
    path, line, _ = data["location"].rsplit(":", 2)
    assert path == str(MOBY)
    # The line really is where the file names mount, inside the rule original_rule names.
    assert '"mount"' in MOBY.read_text().splitlines()[int(line) - 1]
    rule, name = re.fullmatch(
        r"\$\.syscalls\[(\d+)\]\.names\[(\d+)\]", data["original_rule"]
    ).groups()
    assert json.loads(MOBY.read_text())["syscalls"][int(rule)]["names"][int(name)] == "mount"


def test_check_json_has_the_same_keys_for_plain_profiles() -> None:
    plain = ROOT / "profiles" / "block-all.json"
    result = CliRunner().invoke(cli, ["check", str(plain), "getpid", "--format", "json"])
    data = json.loads(result.stdout)
    assert data["original_rule"] is None and "location" in data
