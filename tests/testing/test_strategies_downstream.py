"""The strategies in another project's suite: the wheel installed into a fresh virtual
environment, a small pytest suite there drawing every option combination with Hypothesis'
default settings (health checks on, the default deadline). No health check may fire.

Only the number of examples is lowered, to ten per combination: Hypothesis judges data
generation (the too_slow, filter_too_much and large_base_example checks) on the first valid
examples of a run, so ten see what the default hundred would, in a tenth of the time."""

from __future__ import annotations

import itertools
import os
import subprocess
import venv
from pathlib import Path

import pytest

from tests.conftest import build_wheel

COMBINATIONS = [
    (runtime, dialect, conflicts, repeated, caps)
    for runtime, dialect, conflicts, repeated, caps in itertools.product(
        ("runc", "crun", "oci"),
        ("oci", "moby", "containers"),
        (False, True),
        (False, True),
        (False, True),
    )
    if not (caps and dialect == "oci")
]

SUITE = f"""
import pytest
from hypothesis import given, settings, strategies as st

from seccomp_kit import Profile, dumps, loads
from seccomp_kit.testing.strategies import (
    arch_map_entries, arg_conditions, audit_records, cap_filters, profiles, syscall_events,
    syscall_rules,
)

COMBINATIONS = {COMBINATIONS!r}


@pytest.mark.parametrize("runtime, dialect, conflicts, repeated, caps", COMBINATIONS)
def test_profiles(runtime, dialect, conflicts, repeated, caps):
    strategy = profiles(
        runtime=runtime, dialect=dialect, conflicts=conflicts, repeated_indices=repeated,
        cap_filters=caps,
    )

    @settings(max_examples=10)
    @given(strategy)
    def check(profile):
        assert loads(dumps(profile)) == profile

    check()


@pytest.mark.parametrize(
    "strategy",
    [
        syscall_rules(), syscall_rules(dialect="moby"), arg_conditions(), cap_filters(),
        arch_map_entries(), syscall_events(), audit_records(), st.from_type(Profile),
        profiles().flatmap(lambda p: syscall_events(profile=p)),
    ],
)
def test_other_strategies(strategy):
    @settings(max_examples=10)
    @given(strategy)
    def check(value):
        assert value is not None

    check()
"""


@pytest.mark.slow
@pytest.mark.timeout(3600)  # a wheel build, a virtual environment and some 70 small suites
def test_no_health_check_fires_in_a_users_suite(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    wheel = build_wheel(dist)
    env_dir = tmp_path / "user-venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(wheel), "pytest"],
        check=True,
        capture_output=True,
        timeout=900,
    )
    project = tmp_path / "user-project"
    project.mkdir()
    (project / "test_with_seccomp_kit.py").write_text(SUITE)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HYPOTHESIS", "PYTEST"))}
    done = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", str(project)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "FailedHealthCheck" not in done.stdout
