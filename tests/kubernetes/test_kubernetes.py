"""Kubernetes integration: installing under the kubelet root, SPO resources, manifest checks."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

import attrs
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import seccomp_kit as sk
from seccomp_kit import kubernetes as k8s
from seccomp_kit.errors import InputError, ParseError, ProfileError, ValidationFailedError
from tests.conftest import DATA_DIR, ROOT

DATA = DATA_DIR / "k8s"

GOOD = sk.loads(
    '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": ['
    '{"names": ["exit", "exit_group", "read", "write"], "action": "SCMP_ACT_ALLOW"}]}'
)
INVALID = sk.loads(
    '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": ['
    '{"names": ["read"], "action": "SCMP_ACT_BOGUS"}]}'
)


def _tree(path: Path) -> list[str]:
    """Every entry below ``path`` (relative), to prove nothing else was written."""
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


# -- install -----------------------------------------------------------------------------------


def test_install_writes_canonical_text_with_mode_0644_and_returns_the_value(
    tmp_path: Path,
) -> None:
    root = tmp_path / "kubelet" / "seccomp"
    old = os.umask(0o077)
    try:
        value = k8s.install(GOOD, "team/web.json", root=root)
    finally:
        os.umask(old)
    assert value == "team/web.json"
    target = root / "team" / "web.json"
    assert target.read_text() == sk.dumps(GOOD)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert _tree(root) == ["team", "team/web.json"]
    assert sk.load(target) == GOOD


def test_install_accepts_a_path_and_replaces_the_old_file_atomically(tmp_path: Path) -> None:
    src = tmp_path / "p.json"
    src.write_text(sk.dumps(GOOD))
    root = tmp_path / "root"
    k8s.install(src, "p.json", root=root)
    first_inode = (root / "p.json").stat().st_ino
    other = sk.loads('{"defaultAction": "SCMP_ACT_LOG"}')
    k8s.install(other, "p.json", root=root)
    assert sk.load(root / "p.json") == other
    # rename() put a new inode in place: readers saw either the old file or the new one.
    assert (root / "p.json").stat().st_ino != first_inode
    assert _tree(root) == ["p.json"]


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("/etc/passwd", "absolute"),
        ("../escape.json", "'..'"),
        ("a/../../escape.json", "'..'"),
        ("a/..", "'..'"),
        ("./a.json", "'.' components"),
        ("a//b.json", "empty or '.'"),
        ("a/", "empty or '.'"),
        ("", "empty"),
        ("a\x00b.json", "control characters"),
        ("a\nb.json", "control characters"),
        ("x" * 256 + ".json", "longer than 255 bytes"),
        ("bad\udc80.json", "not valid Unicode"),
    ],
)
def test_install_refuses_hostile_names_and_writes_nothing(
    tmp_path: Path, name: str, fragment: str
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    with pytest.raises(InputError, match="profile name") as info:
        k8s.install(GOOD, name, root=root)
    assert fragment in str(info.value)
    assert _tree(tmp_path) == ["root"]


def test_install_refuses_non_string_names(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="must be a string"):
        k8s.install(GOOD, 42, root=tmp_path)  # type: ignore[arg-type]


def test_install_refuses_a_directory_symlink_that_leads_out(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "link").symlink_to(outside)
    with pytest.raises(InputError, match="out of the seccomp root"):
        k8s.install(GOOD, "link/x.json", root=root)
    assert _tree(outside) == []


def test_install_refuses_a_final_symlink_that_leads_out(tmp_path: Path) -> None:
    root, victim = tmp_path / "root", tmp_path / "victim.txt"
    root.mkdir()
    victim.write_text("keep me")
    (root / "evil.json").symlink_to(victim)
    with pytest.raises(InputError, match="out of the seccomp root"):
        k8s.install(GOOD, "evil.json", root=root)
    assert victim.read_text() == "keep me"
    assert (root / "evil.json").is_symlink()


def test_install_follows_a_symlink_that_stays_inside_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "real").mkdir(parents=True)
    (root / "alias").symlink_to("real")
    assert k8s.install(GOOD, "alias/p.json", root=root) == "alias/p.json"
    assert sk.load(root / "real" / "p.json") == GOOD


def test_install_refuses_a_symlink_swapped_in_after_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The path check and the write are separate steps: the write must not follow a link."""
    import seccomp_kit.kubernetes._install as impl

    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "sub").symlink_to(outside)
    # Pretend the component was a plain directory when the path was checked.
    monkeypatch.setattr(impl, "resolve_under_root", lambda r, n: Path(r) / n)
    with pytest.raises(InputError, match="is a symlink"):
        k8s.install(GOOD, "sub/x.json", root=root)
    assert _tree(outside) == []


def test_install_never_writes_a_profile_that_fails_validation(tmp_path: Path) -> None:
    root = tmp_path / "root"
    with pytest.raises(ValidationFailedError) as info:
        k8s.install(INVALID, "bad.json", root=root)
    assert info.value.diagnostics
    assert not root.exists()


def test_install_validates_for_the_chosen_runtime(tmp_path: Path) -> None:
    # crun refuses errnoRet on an action other than ERRNO/TRACE; runc ignores it.
    profile = sk.loads(
        '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["exit", "exit_group"],'
        ' "action": "SCMP_ACT_ALLOW", "errnoRet": 5}]}'
    )
    assert k8s.install(profile, "p.json", root=tmp_path, runtime="runc") == "p.json"
    with pytest.raises(ValidationFailedError):
        k8s.install(profile, "q.json", root=tmp_path, runtime="crun")
    assert not (tmp_path / "q.json").exists()


@pytest.mark.parametrize("where", ["write", "fsync", "rename", "fchmod"])
def test_install_failures_leave_no_partial_file_and_keep_the_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    root = tmp_path / "root"
    k8s.install(GOOD, "p.json", root=root)
    before = (root / "p.json").read_bytes()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, where, broken)
    with pytest.raises(k8s.InstallError, match="No space left"):
        k8s.install(sk.loads('{"defaultAction": "SCMP_ACT_LOG"}'), "p.json", root=root)
    monkeypatch.undo()
    assert (root / "p.json").read_bytes() == before
    assert _tree(root) == ["p.json"]


def test_install_reports_a_directory_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "p.json").mkdir()
    with pytest.raises(k8s.InstallError, match="directory"):
        k8s.install(GOOD, "p.json", root=tmp_path)
    assert _tree(tmp_path) == ["p.json"]


def test_install_reports_a_root_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "root").write_text("")
    with pytest.raises(k8s.InstallError, match="not a directory"):
        k8s.install(GOOD, "p.json", root=tmp_path / "root")


@given(
    name=st.lists(
        st.one_of(
            st.sampled_from(["..", ".", "", "a", "b.json", "link", "out", "/"]),
            st.text(min_size=1, max_size=4),
        ),
        min_size=1,
        max_size=4,
    ).map("/".join)
)
def test_install_never_writes_outside_the_root(name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        root, outside = base / "root", base / "out"
        root.mkdir()
        outside.mkdir()
        (root / "link").symlink_to(outside)
        (root / "out").symlink_to("../out")
        try:
            value = k8s.install(GOOD, name, root=root)
        except InputError:
            pass
        except k8s.InstallError:
            pass  # e.g. a component is a file already: the file system refused
        else:
            assert value == name
            written = (root / name).resolve()
            assert root.resolve() in written.parents
            assert sk.load(written) == GOOD
        assert _tree(outside) == []
        assert not any(p.name.startswith(".seccomp-kit-") for p in root.rglob("*"))


def test_security_context_snippets_select_the_installed_profile() -> None:
    docs = list(yaml.safe_load_all(k8s.security_context_snippets("team/web.json")))
    expected = {"type": "Localhost", "localhostProfile": "team/web.json"}
    assert docs[0]["spec"]["securityContext"]["seccompProfile"] == expected
    assert docs[1]["spec"]["containers"][0]["securityContext"]["seccompProfile"] == expected


# -- Security Profiles Operator ------------------------------------------------------------------


def _corpus_spo(corpus: Path) -> Path:
    return corpus / "kubernetes" / "spo-seccompprofile.yaml"


def test_import_reads_every_seccompprofile_of_the_corpus(corpus: Path) -> None:
    found = k8s.import_seccomp_profiles(_corpus_spo(corpus))
    assert [r.name for r in found.resources] == [
        "profile-block-all",
        "profile-complain-unsafe",
        "profile-allow-unsafe",
        "profile-complain-block-high-risk",
    ]
    high_risk = found.resources[3].profile
    assert high_risk.default_action == sk.Action.LOG
    assert high_risk.architectures == (sk.Arch.X86_64,)
    assert "kexec_load" in high_risk.syscalls[1].names
    assert found.resources[0].annotations == (("description", "Blocks all syscalls."),)
    recording = k8s.import_seccomp_profiles(
        corpus / "kubernetes" / "spo-profilerecording-seccomp-logs.yaml"
    )
    assert recording.resources == ()
    assert recording.skipped == ((0, "kind 'ProfileRecording', not a SeccompProfile"),)


def test_corpus_resources_round_trip_exactly(corpus: Path) -> None:
    """Import then export gives back each original document, field for field."""
    originals = [d for d in yaml.safe_load_all(_corpus_spo(corpus).read_text()) if d]
    found = k8s.import_seccomp_profiles(_corpus_spo(corpus))
    assert [k8s.resource_data(r) for r in found.resources] == originals
    text = k8s.dumps_seccomp_profiles(found.resources)
    again = k8s.import_seccomp_profiles(text=text)
    assert again.resources == found.resources
    assert k8s.dumps_seccomp_profiles(again.resources) == text


def test_from_resource_reads_one_parsed_object() -> None:
    data = {
        "apiVersion": "security-profiles-operator.x-k8s.io/v1",
        "kind": "SeccompProfile",
        "metadata": {"name": "p", "namespace": "team", "labels": {"app": "web"}},
        "spec": {"defaultAction": "SCMP_ACT_LOG", "disabled": True},
    }
    res = k8s.from_resource(data)
    assert (res.name, res.namespace, res.labels, res.disabled) == (
        "p",
        "team",
        (("app", "web"),),
        True,
    )
    assert k8s.resource_data(res) == data
    with pytest.raises(ProfileError, match="not a SeccompProfile"):
        k8s.from_resource({"kind": "Pod"})
    with pytest.raises(ProfileError, match="disabled must be true or false"):
        k8s.from_resource({**data, "spec": {"defaultAction": "SCMP_ACT_LOG", "disabled": "yes"}})


def test_from_resource_blames_the_field_that_is_wrong_and_leaves_the_input_alone() -> None:
    import copy

    data = {
        "apiVersion": "security-profiles-operator.x-k8s.io/v1",
        "kind": "SeccompProfile",
        "metadata": {"name": "p", "namespace": "Not_Valid"},
        "spec": {"defaultAction": "SCMP_ACT_LOG"},
    }
    with pytest.raises(ProfileError, match=r"metadata\.namespace") as info:
        k8s.from_resource(data)
    assert info.value.path == ("metadata", "namespace")
    data["metadata"] = {"name": "Not_Valid", "namespace": "team"}
    with pytest.raises(ProfileError, match=r"metadata\.name") as info:
        k8s.from_resource(data)
    assert info.value.path == ("metadata", "name")
    # the operator's zero values (errnoRet 0, a missing arg value) are read as it installs
    # them, without touching the caller's document
    data["metadata"] = {"name": "p"}
    data["spec"] = {
        "defaultAction": "SCMP_ACT_ERRNO",
        "syscalls": [
            {"names": ["read"], "action": "SCMP_ACT_ALLOW", "errnoRet": 0,
             "args": [{"index": 0, "op": "SCMP_CMP_EQ"}]},
        ],
    }  # fmt: skip
    before = copy.deepcopy(data)
    res = k8s.from_resource(data)
    assert data == before
    (rule,) = res.profile.syscalls
    assert rule.errno_ret is None and rule.args[0].value == 0


def test_export_produces_the_operator_resource() -> None:
    text = k8s.export_seccomp_profile(GOOD, "web", base_profile_name="runc-v1.2.0")
    (doc,) = yaml.safe_load_all(text)
    assert doc == {
        "apiVersion": "security-profiles-operator.x-k8s.io/v1",
        "kind": "SeccompProfile",
        "metadata": {"name": "web"},
        "spec": {
            "baseProfileName": "runc-v1.2.0",
            "defaultAction": "SCMP_ACT_ERRNO",
            "syscalls": [
                {"names": ["exit", "exit_group", "read", "write"], "action": "SCMP_ACT_ALLOW"}
            ],
        },
    }
    (back,) = k8s.import_seccomp_profiles(text=text).resources
    assert back.profile == GOOD
    assert back.base_profile_name == "runc-v1.2.0"


def test_import_defaults_a_missing_arg_value_to_zero_like_the_operator() -> None:
    text = """
apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata: {name: p}
spec:
  defaultAction: SCMP_ACT_ERRNO
  syscalls:
  - names: [personality]
    action: SCMP_ACT_ALLOW
    args: [{index: 0, op: SCMP_CMP_EQ}]
"""
    (res,) = k8s.import_seccomp_profiles(text=text).resources
    assert res.profile.syscalls[0].args[0].value == 0
    assert res.api_version.endswith("/v1beta1")


def test_import_reads_zero_values_as_the_operator_installs_them() -> None:
    text = """
apiVersion: security-profiles-operator.x-k8s.io/v1
kind: SeccompProfile
metadata: {name: p}
spec:
  defaultAction: SCMP_ACT_ALLOW
  listenerPath: ""
  syscalls:
  - {names: [mkdir], action: SCMP_ACT_ERRNO, errnoRet: 0}
"""
    (res,) = k8s.import_seccomp_profiles(text=text).resources
    # errnoRet 0 is "unset" for the operator (EPERM), not "return success".
    assert res.profile.syscalls[0].errno_ret is None
    assert res.profile.listener_path is None


def test_import_reads_list_kinds_and_skips_other_documents() -> None:
    text = """
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
---
apiVersion: security-profiles-operator.x-k8s.io/v1
kind: SeccompProfileList
items:
- apiVersion: security-profiles-operator.x-k8s.io/v1
  kind: SeccompProfile
  metadata: {name: a}
  spec: {defaultAction: SCMP_ACT_LOG}
- apiVersion: v1
  kind: Secret
  metadata: {name: s}
---
- just a list
"""
    found = k8s.import_seccomp_profiles(text=text)
    assert [r.name for r in found.resources] == ["a"]
    assert found.skipped == (
        (0, "kind 'ConfigMap', not a SeccompProfile"),
        (1, "items[1] is not a SeccompProfile"),
        (2, "not a mapping"),
    )


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("kind: SeccompProfile\n  bad: [", "invalid YAML", 2),
        (
            "apiVersion: security-profiles-operator.x-k8s.io/v1\nkind: SeccompProfile\n"
            "metadata: {name: Bad_Name}\nspec: {defaultAction: SCMP_ACT_LOG}\n",
            "not a valid Kubernetes object name",
            3,
        ),
        (
            "apiVersion: security-profiles-operator.x-k8s.io/v1\nkind: SeccompProfile\n"
            "metadata: {name: p}\nspec:\n  syscalls: []\n",
            "lacks the required field 'defaultAction'",
            5,
        ),
        (
            "apiVersion: security-profiles-operator.x-k8s.io/v1\nkind: SeccompProfile\n"
            "metadata: {name: p}\nspec:\n  defaultAction: SCMP_ACT_LOG\n  archMap: []\n",
            "unknown SeccompProfile field 'archMap'",
            6,
        ),
        (
            "apiVersion: security-profiles-operator.x-k8s.io/v1\nkind: SeccompProfile\n"
            "metadata: {name: p}\nspec:\n  defaultAction: SCMP_ACT_LOG\n  syscalls:\n"
            "  - names: [read, on]\n    action: SCMP_ACT_ALLOW\n",
            "expected a string, got a boolean",
            7,
        ),
        (
            "apiVersion: v9\nkind: SeccompProfile\nmetadata: {name: p}\nspec: {}\n",
            "apiVersion 'v9'",
            1,
        ),
    ],
)
def test_import_errors_name_the_document_field_and_line(text: str, message: str, line: int) -> None:
    with pytest.raises((ParseError, ProfileError)) as info:
        k8s.import_seccomp_profiles(text=text, name="in.yaml")
    assert message in str(info.value)
    assert info.value.source == "in.yaml"
    assert info.value.line == line


@pytest.mark.parametrize(
    ("profile", "problem"),
    [
        ('{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38}', "defaultErrnoRet"),
        (
            '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"],'
            ' "action": "SCMP_ACT_ERRNO", "errnoRet": 0}]}',
            "$.syscalls[0].errnoRet: 0 is outside 1..4095",
        ),
        (
            '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"],'
            ' "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 18446744073709551615,'
            ' "op": "SCMP_CMP_EQ"}]}]}',
            "does not fit SPO's int64",
        ),
        ('{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_SH"]}', "SCMP_ARCH_SH"),
        (
            '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read", "read"],'
            ' "action": "SCMP_ACT_ALLOW"}]}',
            "$.syscalls[0].names[1]: read repeats",
        ),
        (
            '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["mount"],'
            ' "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}}]}',
            "includes/excludes",
        ),
        ('{"defaultAction": "SCMP_ACT_ERRNO", "x-extra": 1}', "$['x-extra']: unknown field"),
        (
            '{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/tmp/agent.sock"}',
            "listenerPath",
        ),
    ],
)
def test_export_refuses_what_a_seccompprofile_cannot_hold(profile: str, problem: str) -> None:
    with pytest.raises(ProfileError) as info:
        k8s.to_resource(sk.loads(profile), "p", runtime=None)
    assert problem in str(info.value)


def test_export_refuses_bad_names_and_invalid_profiles() -> None:
    with pytest.raises(InputError, match="not a valid Kubernetes object name"):
        k8s.to_resource(GOOD, "Web Server")
    with pytest.raises(InputError, match="baseProfileName"):
        k8s.to_resource(GOOD, "web", base_profile_name="../base")
    with pytest.raises(ValidationFailedError):
        k8s.to_resource(INVALID, "web")


def test_export_converts_other_dialects_to_plain_oci() -> None:
    moby = sk.loads(
        '{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrno": "EPERM", "syscalls": ['
        '{"names": ["exit", "exit_group"], "action": "SCMP_ACT_ALLOW", "comment": "ok"},'
        '{"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errno": "ENOSYS"}]}'
    )
    # containers/common: errno names become numbers; defaultErrno EPERM is what the resource's
    # default gets anyway, so it is dropped, but another default errno cannot be said.
    res = k8s.to_resource(moby, "p", runtime=None)
    assert res.profile.default_errno_ret is None
    enosys = sk.loads(sk.dumps(moby).replace('"defaultErrno": "EPERM"', '"defaultErrno": "ENOSYS"'))
    with pytest.raises(ProfileError, match=r"defaultErrnoRet.*38 would become EPERM"):
        k8s.to_resource(enosys, "p", runtime=None)
    assert res.profile.dialect is sk.Dialect.OCI
    assert res.profile.syscalls[1].errno_ret == 38
    assert res.profile.syscalls[0].comment is None


@given(st.data())
def test_export_import_round_trip_is_exact_for_generated_profiles(data: st.DataObject) -> None:
    from seccomp_kit.testing.strategies import profiles

    profile = data.draw(profiles(dialect="oci"))
    problems = k8s.spo_problems(profile)
    if problems:
        with pytest.raises(ProfileError):
            k8s.to_resource(profile, "generated", runtime=None)
        return
    resource = k8s.to_resource(profile, "generated", runtime=None)
    text = k8s.dumps_seccomp_profiles([resource])
    (back,) = k8s.import_seccomp_profiles(text=text).resources
    assert back == resource
    eperm = profile.default_errno_ret == 1 and profile.default_action in (
        sk.Action.ERRNO,
        sk.Action.TRACE,
    )
    # An explicit EPERM default errno is what the resource says by saying nothing.
    assert back.profile == (attrs.evolve(profile, default_errno_ret=None) if eperm else profile)


def test_every_profile_we_produce_exports() -> None:
    """Recorded, resolved, normalized and formatted profiles carry defaultErrnoRet: 1 (EPERM);
    the resource's default is EPERM anyway, so they export."""
    from seccomp_kit.record import record

    recorded = record([]).profile
    assert recorded.default_errno_ret == 1
    resolved = sk.resolve(ROOT / "profiles" / "runtime-default.json", arch="amd64", kernel="6.8")
    for profile in (recorded, resolved, sk.normalize(resolved), sk.loads(sk.dumps(resolved))):
        res = k8s.to_resource(profile, "ours", runtime=None)
        assert res.profile.default_errno_ret is None
        assert not sk.diff(res.profile, profile)


def test_what_cannot_be_said_is_one_short_summary() -> None:
    rules = ",".join(
        f'{{"names": ["s{i}"], "action": "SCMP_ACT_ALLOW", "includes": {{"caps": ["CAP_BPF"]}}}}'
        for i in range(300)
    )
    big = sk.loads(
        '{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38, "syscalls": [' + rules + "]}"
    )
    assert len(k8s.spo_problems(big)) == 301
    with pytest.raises(ProfileError) as info:
        k8s.to_resource(big, "big", runtime=None)
    message = str(info.value)
    assert "\n" not in message and len(message) < 400, message
    assert "301 problems" in message and "and 297 more" in message
    assert "defaultErrnoRet" in message and "includes/excludes" in message


# -- manifest check ----------------------------------------------------------------------------


def _root_with_web(tmp_path: Path) -> Path:
    root = tmp_path / "seccomp"
    k8s.install(GOOD, "profiles/web.json", root=root)
    return root


def _effective(report: k8s.CheckReport) -> list[tuple[str, str, str, str, str | None, str]]:
    return [
        (pod.kind, pod.name, c.container, c.type, c.localhost_profile, c.origin)
        for pod in report.pods
        for c in pod.containers
    ]


def test_check_resolves_every_container_of_every_workload_kind(tmp_path: Path) -> None:
    report = k8s.check_manifests([DATA / "workloads.yaml"], root=_root_with_web(tmp_path))
    assert _effective(report) == [
        ("Pod", "mixed", "setup", "RuntimeDefault", None, "pod field"),
        ("Pod", "mixed", "app", "Localhost", "profiles/web.json", "container field"),
        ("Pod", "mixed", "debug", "Unconfined", None, "container field"),
        ("Deployment", "web", "web", "Localhost", "profiles/web.json", "container field"),
        ("CronJob", "nightly", "report", "Unconfined", None, "kubelet default"),
        ("DaemonSet", "agent", "agent", "Unconfined", None, "privileged"),
        ("Job", "legacy", "worker", "Localhost", "profiles/missing.json", "container annotation"),
        ("Job", "legacy", "helper", "RuntimeDefault", None, "pod annotation"),
        ("StatefulSet", "db", "db", "RuntimeDefault", None, "pod field"),
        ("StatefulSet", "db", "shell", "RuntimeDefault", None, "container field"),
        ("ReplicaSet", "rs", "main", "Unconfined", None, "kubelet default"),
    ]
    verdicts = [(p.name, p.baseline, p.restricted) for p in report.pods]
    assert verdicts == [
        ("mixed", False, False),
        ("web", True, True),
        ("nightly", True, False),
        ("agent", True, True),
        ("legacy", True, True),
        ("db", True, True),
        ("rs", True, False),
    ]
    errors = [(d.code, d.line) for d in report.diagnostics if d.is_error]
    # Explicit Unconfined breaks baseline; the Job's annotated profile is not on disk.
    assert errors == [("K8S050", 25), ("K8S030", 90)]
    assert report.pods[0].namespace == "shop"


def test_seccomp_default_turns_the_kubelet_default_into_runtime_default(tmp_path: Path) -> None:
    report = k8s.check_manifests(
        [DATA / "workloads.yaml"], root=_root_with_web(tmp_path), seccomp_default=True
    )
    changed = [e for e in _effective(report) if e[5] == "kubelet default"]
    assert [e[3] for e in changed] == ["RuntimeDefault", "RuntimeDefault"]
    # Pod Security judges what is declared, not the kubelet's default.
    assert [p.restricted for p in report.pods if p.name in ("nightly", "rs")] == [False, False]


def _pod(spec: dict[str, Any], annotations: dict[str, str] | None = None) -> str:
    doc = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", **({"annotations": annotations} if annotations else {})},
        "spec": spec,
    }
    return yaml.safe_dump(doc, sort_keys=False)


def _check_text(tmp_path: Path, text: str, **kw: Any) -> k8s.CheckReport:
    path = tmp_path / "m.yaml"
    path.write_text(text)
    kw.setdefault("root", tmp_path / "no-root")
    return k8s.check_manifests([path], **kw)


def _codes(report: k8s.CheckReport, severity: str = "error") -> list[str]:
    return [d.code for d in report.diagnostics if d.severity == severity]


RD = {"seccompProfile": {"type": "RuntimeDefault"}}
UNC = {"seccompProfile": {"type": "Unconfined"}}


def test_container_annotation_beats_pod_field_as_the_api_server_syncs_it(tmp_path: Path) -> None:
    text = _pod(
        {"securityContext": RD, "containers": [{"name": "c", "image": "x"}]},
        {"container.seccomp.security.alpha.kubernetes.io/c": "unconfined"},
    )
    report = _check_text(tmp_path, text)
    (c,) = report.pods[0].containers
    assert (c.type, c.origin) == ("Unconfined", "container annotation")
    # The synced field is an explicit Unconfined: baseline fails.
    assert report.pods[0].baseline is False
    assert "K8S050" in _codes(report)


def test_annotation_and_field_that_disagree_are_an_error(tmp_path: Path) -> None:
    text = _pod(
        {"securityContext": RD, "containers": [{"name": "c", "image": "x"}]},
        {"seccomp.security.alpha.kubernetes.io/pod": "unconfined"},
    )
    report = _check_text(tmp_path, text)
    assert _codes(report) == ["K8S025"]
    assert report.pods[0].containers[0].type == "RuntimeDefault"


def test_docker_default_annotation_means_runtime_default(tmp_path: Path) -> None:
    text = _pod(
        {"containers": [{"name": "c", "image": "x"}]},
        {"seccomp.security.alpha.kubernetes.io/pod": "docker/default"},
    )
    report = _check_text(tmp_path, text)
    assert report.pods[0].containers[0].type == "RuntimeDefault"
    assert report.pods[0].restricted is True


@pytest.mark.parametrize(
    ("spec", "annotations", "code", "fragment"),
    [
        (
            {
                "containers": [
                    {"name": "c", "securityContext": {"seccompProfile": {"type": "runtimedefault"}}}
                ]
            },
            None,
            "K8S020",
            "did you mean 'RuntimeDefault'?",
        ),
        (
            {"containers": [{"name": "c", "securityContext": {"seccompProfile": {}}}]},
            None,
            "K8S020",
            "has no 'type'",
        ),
        (
            {
                "securityContext": {"seccompProfile": {"type": "Localhost"}},
                "containers": [{"name": "c"}],
            },
            None,
            "K8S021",
            "needs localhostProfile",
        ),
        (
            {
                "containers": [
                    {
                        "name": "c",
                        "securityContext": {
                            "seccompProfile": {
                                "type": "RuntimeDefault",
                                "localhostProfile": "x.json",
                            }
                        },
                    }
                ]
            },
            None,
            "K8S022",
            "only with type Localhost",
        ),
        (
            {
                "containers": [
                    {
                        "name": "c",
                        "securityContext": {
                            "seccompProfile": {
                                "type": "Localhost",
                                "localhostProfile": "../../etc/shadow",
                            }
                        },
                    }
                ]
            },
            None,
            "K8S023",
            "contains '..'",
        ),
        (
            {
                "containers": [
                    {
                        "name": "c",
                        "securityContext": {
                            "seccompProfile": {
                                "type": "Localhost",
                                "localhostProfile": "/etc/shadow",
                            }
                        },
                    }
                ]
            },
            None,
            "K8S023",
            "is absolute",
        ),
        (
            {"containers": [{"name": "c"}]},
            {"seccomp.security.alpha.kubernetes.io/pod": "localhost/../x"},
            "K8S023",
            "contains '..'",
        ),
        (
            {"containers": [{"name": "c"}]},
            {"seccomp.security.alpha.kubernetes.io/pod": "runtime-default"},
            "K8S024",
            "invalid value 'runtime-default'",
        ),
        ({"containers": [{"image": "x"}]}, None, "K8S010", "has no name"),
        ({"containers": "c"}, None, "K8S003", "containers must be a list"),
        ({"initContainers": [{"name": "i"}]}, None, "K8S003", "has no containers"),
        (
            {"containers": [{"name": "c", "securityContext": "privileged"}]},
            None,
            "K8S003",
            "securityContext must be a mapping",
        ),
    ],
)
def test_bad_pod_fields_are_reported_with_their_path(
    tmp_path: Path,
    spec: dict[str, Any],
    annotations: dict[str, str] | None,
    code: str,
    fragment: str,
) -> None:
    report = _check_text(tmp_path, _pod(spec, annotations))
    found = [d for d in report.diagnostics if d.code == code]
    assert found, report.diagnostics
    assert fragment in str(found[0])
    assert found[0].line is not None
    assert found[0].json_path.startswith("$.")


def test_restricted_needs_the_pod_or_every_container_including_init_and_ephemeral(
    tmp_path: Path,
) -> None:
    every = {
        "initContainers": [{"name": "i", "securityContext": RD}],
        "containers": [{"name": "c", "securityContext": RD}],
        "ephemeralContainers": [{"name": "e", "securityContext": RD}],
    }
    assert _check_text(tmp_path, _pod(every)).pods[0].restricted is True
    init_unset = {**every, "initContainers": [{"name": "i"}]}
    report = _check_text(tmp_path, _pod(init_unset))
    assert report.pods[0].restricted is False
    assert "'i'" in next(str(d) for d in report.diagnostics if d.code == "K8S051")
    ephemeral_unset = {**every, "ephemeralContainers": [{"name": "e"}]}
    assert _check_text(tmp_path, _pod(ephemeral_unset)).pods[0].restricted is False
    pod_level = {
        "securityContext": RD,
        "containers": [{"name": "c"}],
        "initContainers": [{"name": "i"}],
    }
    assert _check_text(tmp_path, _pod(pod_level)).pods[0].restricted is True
    # A container's explicit Unconfined breaks both levels even with a pod-level profile.
    override = {"securityContext": RD, "containers": [{"name": "c", "securityContext": UNC}]}
    report = _check_text(tmp_path, _pod(override))
    assert (report.pods[0].baseline, report.pods[0].restricted) == (False, False)
    pod_unconfined = {"securityContext": UNC, "containers": [{"name": "c"}]}
    assert _check_text(tmp_path, _pod(pod_unconfined)).pods[0].baseline is False


def test_levels_decide_which_violations_are_errors(tmp_path: Path) -> None:
    text = _pod({"containers": [{"name": "c"}]})
    assert _codes(_check_text(tmp_path, text)) == []
    # Restricted also wants drop: [ALL] (K8S055, the capability rule beside the seccomp one).
    assert _codes(_check_text(tmp_path, text, level="restricted")) == ["K8S051", "K8S055"]
    unconfined = _pod({"securityContext": UNC, "containers": [{"name": "c"}]})
    assert _codes(_check_text(tmp_path, unconfined, level="privileged")) == []
    assert "K8S050" in _codes(_check_text(tmp_path, unconfined, level="privileged"), "warning")
    with pytest.raises(InputError, match="Pod Security level"):
        _check_text(tmp_path, text, level="strict")


def test_windows_pods_are_exempt_from_the_restricted_seccomp_rule(tmp_path: Path) -> None:
    report = _check_text(tmp_path, _pod({"os": {"name": "windows"}, "containers": [{"name": "c"}]}))
    assert report.pods[0].windows is True
    assert report.pods[0].restricted is True
    assert "K8S052" in _codes(report, "info")


def test_localhost_profiles_are_found_validated_and_kept_inside_the_root(tmp_path: Path) -> None:
    root = tmp_path / "seccomp"
    root.mkdir()
    (root / "bad.json").write_text(sk.dumps(INVALID))
    (root / "broken.json").write_text("{not json")
    (tmp_path / "secret.json").write_text(sk.dumps(GOOD))
    (root / "escape.json").symlink_to(tmp_path / "secret.json")
    k8s.install(GOOD, "ok.json", root=root)

    def local(name: str) -> dict[str, Any]:
        return {"seccompProfile": {"type": "Localhost", "localhostProfile": name}}

    names = ["ok.json", "bad.json", "broken.json", "escape.json", "gone.json"]
    spec = {
        "containers": [{"name": f"c{i}", "securityContext": local(n)} for i, n in enumerate(names)]
    }
    report = _check_text(tmp_path, _pod(spec), root=root)
    by_code = {d.code: str(d) for d in report.diagnostics if d.is_error}
    assert set(by_code) == {"K8S032", "K8S033", "K8S034", "K8S030"}
    assert "'bad.json' fails validation" in by_code["K8S032"]
    assert "'broken.json' cannot be read" in by_code["K8S033"]
    assert "out of the seccomp root" in by_code["K8S034"]
    assert "'gone.json' does not exist" in by_code["K8S030"]
    # Without the root on this machine the files are not checked, and that is said.
    missing = _check_text(tmp_path, _pod(spec), root=tmp_path / "absent")
    assert _codes(missing) == []
    assert _codes(missing, "warning").count("K8S031") == len(names)


@pytest.mark.parametrize(
    ("text", "code", "severity", "fragment"),
    [
        ("- a\n- b\n", "K8S001", "error", "not a Kubernetes object"),
        ("apiVersion: v1\nmetadata: {name: x}\n", "K8S001", "error", "has no 'kind'"),
        (
            "kind: Pod\nmetadata: {name: x}\nspec: {containers: [{name: c}]}\n",
            "K8S001",
            "error",
            "has no 'apiVersion'",
        ),
        (
            "apiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: x}\n",
            "K8S002",
            "error",
            "did you mean 'Deployment'?",
        ),
        (
            "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: x}\n",
            "K8S002",
            "warning",
            "not checked",
        ),
        (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replicas: 1}\n",
            "K8S003",
            "error",
            "missing required field $.spec.template",
        ),
        (
            "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: x}\n"
            "spec: {jobTemplate: {spec: []}}\n",
            "K8S003",
            "error",
            "must be a mapping",
        ),
        ("apiVersion: v1\nkind: List\nitems: {a: 1}\n", "K8S003", "error", "items is not a list"),
    ],
)
def test_bad_documents_are_reported_not_raised(
    tmp_path: Path, text: str, code: str, severity: str, fragment: str
) -> None:
    report = _check_text(tmp_path, text)
    found = [d for d in report.diagnostics if d.code == code]
    assert found, report.diagnostics
    assert found[0].severity == severity
    assert fragment in str(found[0])


def test_known_kinds_without_pods_are_skipped_quietly(tmp_path: Path) -> None:
    text = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n---\n---\n"
    report = _check_text(tmp_path, text)
    assert report.diagnostics == ()
    assert report.pods == ()


def test_unparseable_manifests_raise_with_position(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("apiVersion: v1\nkind: Pod\nspec: {containers: [\n")
    with pytest.raises(ParseError) as info:
        k8s.check_manifests([path])
    assert info.value.source == str(path)
    assert info.value.line == 4
    path.write_bytes(b"kind: \xff\xfe\n")
    with pytest.raises(sk.LoadError, match="not UTF-8"):
        k8s.check_manifests([path])


def test_alias_bombs_and_recursive_aliases_are_refused(tmp_path: Path) -> None:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for n, name in enumerate("bcdefgh"):
        prev = "abcdefgh"[n]
        levels.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    with pytest.raises(ParseError, match="expand to more than"):
        _check_text(tmp_path, "\n".join(levels) + "\n")
    with pytest.raises(ParseError, match="refers to itself"):
        _check_text(tmp_path, "a: &a [1, *a]\n")


_TYPES = st.sampled_from([None, "RuntimeDefault", "Unconfined", "Localhost"])


@st.composite
def _pods(draw: st.DrawFn) -> dict[str, Any]:
    def context(kind: str | None, privileged: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"privileged": True} if privileged else {}
        if kind is not None:
            out["seccompProfile"] = {"type": kind}
            if kind == "Localhost":
                out["seccompProfile"]["localhostProfile"] = "p.json"
        return out

    spec: dict[str, Any] = {"securityContext": context(draw(_TYPES))}
    for key in ("initContainers", "containers", "ephemeralContainers"):
        count = draw(st.integers(1 if key == "containers" else 0, 3))
        spec[key] = [
            {"name": f"{key}-{i}", "securityContext": context(draw(_TYPES), draw(st.booleans()))}
            for i in range(count)
        ]
    return spec


@given(spec=_pods(), seccomp_default=st.booleans())
def test_verdicts_and_effective_profiles_agree(spec: dict[str, Any], seccomp_default: bool) -> None:
    doc = k8s.YamlDocument(0, yaml.safe_load(_pod(spec)), None, "gen.yaml")
    report = k8s.check_manifests([doc], root="/nonexistent", seccomp_default=seccomp_default)
    (pod,) = report.pods
    declared = [
        c["securityContext"].get("seccompProfile", {}).get("type")
        for key in ("initContainers", "containers", "ephemeralContainers")
        for c in spec[key]
    ]
    pod_type = spec["securityContext"].get("seccompProfile", {}).get("type")
    assert len(pod.containers) == len(declared)
    # restricted implies baseline
    assert not pod.restricted or pod.baseline
    assert pod.baseline == ("Unconfined" not in [pod_type, *declared])
    for c, own in zip(pod.containers, declared, strict=True):
        if c.origin == "privileged":
            assert c.type == "Unconfined"
        elif own is not None:
            assert (c.type, c.origin) == (own, "container field")
        elif pod_type is not None:
            assert (c.type, c.origin) == (pod_type, "pod field")
        else:
            assert c.origin == "kubelet default"
            assert c.type == ("RuntimeDefault" if seccomp_default else "Unconfined")
        if pod.restricted and c.origin != "privileged":
            assert c.type in ("RuntimeDefault", "Localhost")
