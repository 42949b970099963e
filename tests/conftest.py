"""Shared fixtures: the real-world corpus beside the project, and Hypothesis profiles.

The corpus lives in ``../shared/corpus`` (never copied into the repo). Under ``CI=true`` its
absence is an error; elsewhere the tests that need it skip with a reason.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
DATA_DIR = ROOT / "tests" / "data"
IN_CI = os.environ.get("CI") == "true"

settings.register_profile(
    "default",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def build_wheel(dest: Path) -> Path:
    """Build the project's wheel into ``dest`` (as a release would) and return its path."""
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(dest)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (built,) = dest.glob("seccomp_kit-*.whl")
    return built


def docs_page(name: str) -> str:
    """The text of the documentation page ``docs/<name>``."""
    return (ROOT / "docs" / name).read_text(encoding="utf-8")


def corpus_dir(*parts: str) -> Path:
    """A folder of the shared corpus; fails under CI, skips elsewhere, when it is missing."""
    path = CORPUS.joinpath(*parts)
    if not path.is_dir():
        if IN_CI:
            pytest.fail(f"the shared corpus is missing at {path}; CI must have ../shared beside it")
        pytest.skip(f"shared corpus not present at {path}")
    return path


@pytest.fixture(scope="session")
def corpus() -> Path:
    return corpus_dir()


@pytest.fixture(scope="session")
def corpus_profiles() -> list[Path]:
    return sorted(corpus_dir("profiles").glob("*.json"))


# Files in corpus/profiles that are not seccomp profiles at all (shipped beside them upstream):
# loading them must fail with a clear error, not succeed.
NOT_PROFILES = frozenset({"oci-seccomp-bpf-hook.json", "spo-json-enricher.json"})


def runtime_build(key: tuple[str, str]) -> Any:
    """The runtime build ``(origin, name)`` of ``tools/runtimes.sh`` (``("host", "runc")``,
    ``("trixie", "crun")``, ...): missing, it fails the test with a pointer to that script, or
    skips it under ``SECCOMP_KIT_NO_RUNTIMES=1``; without root it fails."""
    from seccomp_kit.testing.runtimes import available_builds

    if os.environ.get("SECCOMP_KIT_NO_RUNTIMES") == "1":
        pytest.skip("SECCOMP_KIT_NO_RUNTIMES=1")
    if os.geteuid() != 0:
        pytest.fail("the runtime tests need root (or set SECCOMP_KIT_NO_RUNTIMES=1)")
    for build in available_builds():
        if (build.origin, build.name) == key:
            return build
    pytest.fail(
        f"{key[1]} ({key[0]}) is not installed: run tools/runtimes.sh as root "
        "(or set SECCOMP_KIT_NO_RUNTIMES=1 to skip the runtime tests)"
    )


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--property-only",
        action="store_true",
        help="run only the Hypothesis property tests (CI reruns them with the thorough profile)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--property-only"):
        return
    keep, drop = [], []
    for item in items:
        target = getattr(item, "obj", None)
        # Real-runtime cases fix their own example count (the conformance matrix): once is enough.
        prop = getattr(target, "is_hypothesis_test", False) and not item.get_closest_marker(
            "runtime"
        )
        (keep if prop else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
