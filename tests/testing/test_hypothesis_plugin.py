"""The ``hypothesis`` entry point: ``st.from_type`` knows the model after ``import hypothesis``."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

from seccomp_kit.model import (
    Action,
    ArchMapEntry,
    ArgCondition,
    CapFilter,
    Profile,
    SyscallRule,
)
from seccomp_kit.testing import _registry
from tests.conftest import ROOT


def _run(code: str, **env: str) -> str:
    """Run ``code`` in a fresh interpreter of this environment; return its stdout."""
    import os

    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_entry_point_is_declared() -> None:
    points = importlib.metadata.entry_points(group="hypothesis")
    ours = [p for p in points if p.value.startswith("seccomp_kit.")]
    assert [p.value for p in ours] == ["seccomp_kit.testing._plugin:_hypothesis_setup_hook"]


def test_import_hypothesis_registers_without_importing_the_heavy_parts() -> None:
    out = _run(
        """
        import sys
        import hypothesis
        import hypothesis.strategies as st
        heavy = [m for m in ("seccomp_kit.testing.strategies", "seccomp_kit.strategies",
                             "seccomp_kit.testing._assert", "seccomp_kit.io",
                             "seccomp_kit.syscalls", "seccomp_kit.syscalls._generated", "numpy",
                             "jsonschema", "pyseccomp") if m in sys.modules]
        assert not heavy, heavy
        from seccomp_kit import Profile
        profile = st.from_type(Profile).example()
        assert isinstance(profile, Profile), profile
        assert "seccomp_kit.testing.strategies" in sys.modules
        print("ok")
        """
    )
    assert out.strip() == "ok"


def test_the_documented_one_liner_works() -> None:
    out = _run(
        "import hypothesis.strategies as st; from seccomp_kit import Profile; "
        "print(st.from_type(Profile).example())"
    )
    assert out.startswith("Profile(default_action=")


@pytest.mark.parametrize(
    "first",
    [
        "import seccomp_kit.testing.strategies",
        "from seccomp_kit.testing.strategies import profiles",
        "import seccomp_kit; import hypothesis",
        "import hypothesis; import seccomp_kit.testing.strategies",
    ],
)
def test_no_circular_import_whatever_comes_first(first: str) -> None:
    out = _run(
        f"""
        {first}
        import hypothesis.strategies as st
        from seccomp_kit import SyscallRule
        from seccomp_kit.testing.strategies import profiles
        assert isinstance(st.from_type(SyscallRule).example(), SyscallRule)
        print(profiles().example().default_action)
        """
    )
    assert out.startswith("SCMP_ACT_")


def test_without_plugins_from_type_is_not_ours() -> None:
    # Hypothesis' documented switch turns the entry point off: the registration is the plugin's.
    out = _run(
        """
        import hypothesis.strategies as st
        from hypothesis.strategies._internal import types
        from seccomp_kit import Profile
        print(Profile in types._global_type_lookup)
        """,
        HYPOTHESIS_NO_PLUGINS="1",
    )
    assert out.strip() == "False"


def test_register_is_idempotent() -> None:
    _registry.register()
    _registry.register()


@settings(max_examples=60)
@given(st.from_type(Profile))
def test_from_type_profiles_are_drawn_by_our_strategy(profile: Profile) -> None:
    # builds() on the bare class would give names like '\\x00' and any action strings;
    # ours gives real actions and syscall names.
    assert isinstance(profile.default_action, Action)
    assert profile.default_action is not Action.NOTIFY
    for rule in profile.syscalls:
        assert all(isinstance(a, Action) for a in (rule.action,))
        assert all(n.isidentifier() for n in rule.names)


@pytest.mark.parametrize("cls", [SyscallRule, ArgCondition, CapFilter, ArchMapEntry])
def test_from_type_covers_every_model_class(cls: type) -> None:
    @settings(max_examples=30)
    @given(st.from_type(cls))
    def draw(value: object) -> None:
        assert isinstance(value, cls)
        if isinstance(value, ArgCondition):
            assert 0 <= value.index <= 5

    draw()


def test_one_liner_from_an_installed_wheel(tmp_path: Path) -> None:
    # A wheel unpacked as site-packages, ahead of the checkout: its own entry_points.txt is the
    # one Hypothesis finds, as after `pip install seccomp-kit`.
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path / "dist")],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = (tmp_path / "dist").glob("seccomp_kit-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    code = (
        f"import sys; sys.path.insert(0, {str(site)!r}); "
        "import hypothesis.strategies as st; from seccomp_kit import Profile; "
        "import seccomp_kit; assert seccomp_kit.__file__.startswith(sys.path[0]), seccomp_kit; "
        "print(st.from_type(Profile).example())"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Profile(default_action=")
