"""Which model a runtime or libseccomp version selects, and the errors for the rest."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from seccomp_kit.libseccomp.targets import TargetError, target

# (spelling, the model's label): every range boundary, and short spellings of each.
RUNTIMES = [
    ("runc@1.1.0", "runc 1.1.5"),
    ("runc@1.1.5", "runc 1.1.5"),
    ("runc@1.1.7", "runc 1.1.5"),
    ("runc@1.1.8", "runc 1.1.8"),
    ("runc@1.1.14", "runc 1.1.8"),
    ("runc@1.1.15", "runc 1.1.15"),
    ("runc@1.1", "runc 1.1.5"),
    ("runc@1.2", "runc 1.2.0"),
    ("runc@1.2.0", "runc 1.2.0"),
    ("runc@1.3.2", "runc 1.2.0"),
    ("runc@1.3", "runc 1.2.0"),
    ("runc", "runc 1.2.0"),
    ("crun@1.8", "crun 1.8.1"),
    ("crun@1.8.7", "crun 1.8.1"),
    ("crun@1.9", "crun 1.21"),
    ("crun@1.21", "crun 1.21"),
    ("crun@1.25.1", "crun 1.21"),
    ("crun", "crun 1.21"),
    ("runc@1.1.5+ds1", "runc 1.1.5"),
    (" crun@1.8.1 ", "crun 1.8.1"),
]


@pytest.mark.parametrize(("spec", "label"), RUNTIMES)
def test_each_version_selects_the_model_of_its_range(spec: str, label: str) -> None:
    assert target(spec, "2.6.0").label == f"{label} + libseccomp 2.6.0"


@pytest.mark.parametrize(
    ("lib", "label"),
    [
        ("2.5.4", "2.5.4"),
        ("2.5", "2.5.4"),
        ("2.5.5", "2.5.4"),
        ("2.6.0", "2.6.0"),
        ("2.6", "2.6.0"),
    ],
)
def test_libseccomp_versions_and_their_aliases(lib: str, label: str) -> None:
    assert target("crun", lib).libseccomp.label.startswith(f"libseccomp {label}")


@pytest.mark.parametrize(
    ("runtime", "lib", "message"),
    [
        ("runc@0.9", "2.6.0", "runc 0.9 is not a modelled version; modelled: runc >=1.1.0"),
        ("runc@1.4", "2.6.0", "runc 1.4 is not a modelled version"),
        ("crun@99", "2.6.0", "crun 99 is not a modelled version; modelled: "),
        ("crun@1.7.9", "2.6.0", "crun 1.7.9 is not a modelled version"),
        ("youki", "2.6.0", "unknown runtime 'youki'; expected runc, crun, oci or host"),
        ("oci@1.0", "2.6.0", "'oci' names the specification and takes no version"),
        ("runc@x", "2.6.0", "runc version: 'x' is not a version"),
        ("runc", "2.4.0", "libseccomp 2.4.0 is not a modelled version; modelled: 2.5.4, 2.6.0"),
        ("runc", "\udcff", "is not a version"),
    ],
)
def test_unknown_targets_are_one_line_errors_listing_the_modelled(
    runtime: str, lib: str, message: str
) -> None:
    with pytest.raises(TargetError) as info:
        target(runtime, lib)
    assert message in info.value.message
    assert "\n" not in str(info.value)


def test_host_without_a_runtime_names_the_binaries_it_looked_for(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(TargetError, match="looked for runc and crun on PATH and found neither"):
        target("host")


def test_host_reads_the_runtime_and_the_libseccomp_it_links(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = tmp_path / "runc"
    fake.write_text(
        "#!/bin/sh\necho 'runc version 1.1.12'\necho 'commit: v1.1.12'\n"
        "echo 'spec: 1.0.2-dev'\necho 'go: go1.21'\necho 'libseccomp: 2.5.5'\n"
    )
    os.chmod(fake, 0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    found = target("host")
    assert found.label == "runc 1.1.8 + libseccomp 2.5.4"  # 2.5.5 generates like 2.5.4
    assert found.runtime_path == str(fake)
