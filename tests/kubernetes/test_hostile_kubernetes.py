"""Hostile Kubernetes input (issue 17): every fault the fuzzing campaign found stays fixed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from seccomp_kit import kubernetes as k8s
from seccomp_kit.errors import InputError, ParseError, ProfileError, SeccompKitError
from seccomp_kit.kubernetes._yaml import MAX_EXPANDED_NODES, expansion_budget
from tests.kubernetes.test_kubernetes import GOOD


def test_an_spo_api_version_that_is_a_mapping() -> None:
    text = "apiVersion: {a: 1}\nkind: SeccompProfile\nmetadata: {name: x}\nspec: {}\n"
    with pytest.raises(ProfileError, match=r"apiVersion \{'a': 1\} is not one of") as info:
        k8s.import_seccomp_profiles(text=text)
    assert info.value.line == 1


@pytest.mark.parametrize(
    ("value", "line"),
    [
        ("!!int abc", 3),
        ("!!float x", 3),
        ("!!timestamp x", 3),
        ("2024-02-30", 3),
        ("!!int " + "1" * 5000, 3),
        ("1:" * 3000 + "1", 3),
    ],
)
def test_scalars_pyyaml_cannot_construct_are_located_parse_errors(value: str, line: int) -> None:
    text = f"kind: Pod\napiVersion: v1\nmetadata: {{name: {value}}}\n"
    with pytest.raises(ParseError, match="invalid YAML") as info:
        k8s.load_documents(text=text)
    assert info.value.line == line
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("text", ['a: "\\ud800"\n', 'a: ["\\udfff"]\n', '"\\ud83d": 1\n'])
def test_lone_surrogates_in_yaml_are_refused_with_their_position(text: str) -> None:
    with pytest.raises(ParseError, match="surrogate") as info:
        k8s.load_documents(text=text)
    assert info.value.line == 1


def test_a_surrogate_pair_is_text() -> None:
    (doc,) = k8s.load_documents(text='a: "\\ud83d\\ude00"\n')
    assert doc.data == {"a": "\U0001f600"}


def _symlink_loop(root: Path) -> None:
    (root / "a").symlink_to("b")
    (root / "b").symlink_to("a")


def test_install_through_a_symlink_loop(tmp_path: Path) -> None:
    _symlink_loop(tmp_path)
    with pytest.raises(SeccompKitError, match="symbolic links"):
        k8s.install(GOOD, "a/profile.json", root=tmp_path)
    with pytest.raises(InputError, match="symbolic links"):
        k8s.resolve_under_root(tmp_path, "a/x.json")


def test_check_through_a_symlink_loop(tmp_path: Path) -> None:
    _symlink_loop(tmp_path)
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  securityContext:\n"
        "    seccompProfile: {type: Localhost, localhostProfile: a/x.json}\n"
        "  containers: [{name: c, image: i}]\n"
    )
    report = k8s.check_manifests([manifest], root=tmp_path)
    messages = [d.message for d in report.diagnostics if d.code == "K8S034"]
    assert len(messages) == 1 and "symbolic links" in messages[0]


def _alias_pod_list(levels: int) -> str:
    """A 10**levels-container pod from a text of a few hundred bytes per level."""
    lines = ["x: &c0 {name: c, image: i}"]
    for n in range(1, levels + 1):
        lines.append(f"x{n}: &c{n} [" + ", ".join([f"*c{n - 1}"] * 10) + "]")
    lines += ["kind: Pod", "apiVersion: v1", "metadata: {name: p}"]
    lines.append(f"spec: {{containers: *c{levels}}}")
    return "\n".join(lines) + "\n"


def test_aliases_count_toward_a_budget_linear_in_the_text(tmp_path: Path) -> None:
    text = _alias_pod_list(5)  # 100,000 containers from a few hundred bytes
    assert len(text) < 5000
    path = tmp_path / "m.yaml"
    path.write_text(text)
    with pytest.raises(ParseError, match="expand to more than") as info:
        k8s.check_manifests([path], root=tmp_path)
    assert info.value.source == str(path) and info.value.line is not None


def test_a_little_alias_use_is_fine() -> None:
    text = _alias_pod_list(2)  # 10 lists of 10 containers: within the budget of its text
    (doc,) = k8s.load_documents(text=text)
    assert len(doc.data["spec"]["containers"]) == 10
    assert doc.data["spec"]["containers"][0][0] == {"name": "c", "image": "i"}


def test_the_budget_spans_the_stream() -> None:
    """Many documents each under the budget still share one."""
    block = "a: &a [" + ", ".join(["x"] * 50) + "]\nb: [" + ", ".join(["*a"] * 50) + "]\n"
    nodes = 1 + 1 + 51 + 1 + 1 + 50 * 51  # mapping, key, a's list, key, b's list, 50 copies
    assert nodes < expansion_budget(block)
    k8s.load_documents(text=block)  # one document fits
    count = 1
    while count * nodes <= expansion_budget("---\n".join([block] * count)):
        count += 1
    k8s.load_documents(text="---\n".join([block] * (count - 1)))
    with pytest.raises(ParseError, match="expand to more than"):
        k8s.load_documents(text="---\n".join([block] * count))


@given(
    st.recursive(
        st.text(st.characters(codec="utf-8"), max_size=5) | st.integers() | st.booleans(),
        lambda children: (
            st.lists(children, max_size=5)
            | st.dictionaries(st.text(max_size=5), children, max_size=5)
        ),
        max_leaves=40,
    )
)
def test_yaml_without_aliases_always_fits_the_budget(data: object) -> None:
    for flow in (True, False):
        text = yaml.safe_dump({"d": data}, default_flow_style=flow)
        assert expansion_budget(text) <= MAX_EXPANDED_NODES
        (doc,) = k8s.load_documents(text=text)
        assert doc.data == {"d": data}
