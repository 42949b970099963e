"""The wheel carries schemas/ and profiles/, readable through importlib.resources when installed
as a plain (non-editable) package, the console script and typing marker are declared, and it
carries the audit parser's C extension (built by hatch_build.py) under a platform tag."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from seccomp_kit import resources
from tests.conftest import ROOT, build_wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))


def test_wheel_contains_data_typing_marker_and_entry_points(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for folder in ("schemas", "profiles", "engines"):
        shipped = sorted(p.name for p in (ROOT / folder).iterdir() if not p.name.startswith("."))
        assert shipped, f"{folder}/ is empty"
        for name in shipped:
            assert f"seccomp_kit/{folder}/{name}" in names
    assert "seccomp_kit/py.typed" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "seccomp-kit = seccomp_kit.cli:main" in text
    assert "[hypothesis]" in text


def _extension_expected() -> bool:
    """The build must produce the extension under SECCOMP_KIT_REQUIRE_NATIVE=1 (tools/test.sh)
    and wherever a C compiler is at hand; elsewhere it may ship pure Python."""
    compiler = str(sysconfig.get_config_var("CC") or "cc").split()[0]
    return os.environ.get("SECCOMP_KIT_REQUIRE_NATIVE") == "1" or bool(
        shutil.which(compiler) or shutil.which("cc")
    )


def test_wheel_carries_the_c_extension_under_a_platform_tag(wheel: Path) -> None:
    if not _extension_expected():
        pytest.skip("no C compiler: the wheel is pure Python")
    names = zipfile.ZipFile(wheel).namelist()
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    assert f"seccomp_kit/audit/_scan{suffix}" in names
    assert "seccomp_kit/audit/_scan.pyi" in names
    assert not wheel.name.endswith("-py3-none-any.whl")  # a platform wheel, not pure
    meta = next(n for n in names if n.endswith(".dist-info/WHEEL"))
    assert "Root-Is-Purelib: false" in zipfile.ZipFile(wheel).read(meta).decode()


def test_installed_wheel_reads_data_through_importlib_resources(
    wheel: Path, tmp_path: Path
) -> None:
    target = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(target)  # a wheel is a zip laid out as site-packages
    probe = (
        "import json, seccomp_kit, seccomp_kit.io.resources as r, seccomp_kit.audit as a;"
        "print(json.dumps({'file': seccomp_kit.__file__,"
        " 'schemas': sorted(p.name for p in r.schemas_dir().iterdir()),"
        " 'profiles': r.profile_names(), 'native': a.AuditParser().native,"
        " 'engines': __import__('seccomp_kit.kubernetes').kubernetes.modelled_engines()}))"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    env.pop("SECCOMP_KIT_NO_NATIVE", None)
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
    assert len(found["engines"]) == len(list((ROOT / "engines").glob("*.json")))
    # The installed copy's extension loads (not the checkout's: the path above is the wheel's).
    assert found["native"] is _extension_expected()


def test_checkout_reads_the_same_data() -> None:
    assert sorted(p.name for p in resources.schemas_dir().iterdir()) == sorted(
        p.name for p in (ROOT / "schemas").iterdir()
    )
    for name in resources.profile_names():
        assert resources.read_profile_text(name) == (ROOT / "profiles" / f"{name}.json").read_text()
