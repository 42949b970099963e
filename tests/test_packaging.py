"""The wheel carries schemas/ and profiles/, readable through importlib.resources when installed
as a plain (non-editable) package, and the console script and typing marker are declared."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from seccomp_kit import resources
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("seccomp_kit-*.whl")
    return built


def test_wheel_contains_data_typing_marker_and_entry_points(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for folder in ("schemas", "profiles"):
        shipped = sorted(p.name for p in (ROOT / folder).iterdir() if not p.name.startswith("."))
        assert shipped, f"{folder}/ is empty"
        for name in shipped:
            assert f"seccomp_kit/{folder}/{name}" in names
    assert "seccomp_kit/py.typed" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "seccomp-kit = seccomp_kit.cli:main" in text
    assert "[hypothesis]" in text


def test_installed_wheel_reads_data_through_importlib_resources(
    wheel: Path, tmp_path: Path
) -> None:
    target = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(target)  # a wheel is a zip laid out as site-packages
    probe = (
        "import json, seccomp_kit, seccomp_kit.resources as r;"
        "print(json.dumps({'file': seccomp_kit.__file__,"
        " 'schemas': sorted(p.name for p in r.schemas_dir().iterdir()),"
        " 'profiles': r.profile_names()}))"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(target)!r}); {probe}"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=tmp_path,
    )
    found = json.loads(result.stdout)
    assert found["file"].startswith(str(target))
    assert found["schemas"] == sorted(
        p.name for p in (ROOT / "schemas").iterdir() if not p.name.startswith(".")
    )
    assert found["profiles"] == sorted(p.stem for p in (ROOT / "profiles").glob("*.json"))


def test_checkout_reads_the_same_data() -> None:
    assert sorted(p.name for p in resources.schemas_dir().iterdir()) == sorted(
        p.name for p in (ROOT / "schemas").iterdir()
    )
    for name in resources.profile_names():
        assert resources.read_profile_text(name) == (ROOT / "profiles" / f"{name}.json").read_text()
