#!/usr/bin/env bash
# Install seccomp_kit with its test tools into .venv and run every check: ruff, mypy,
# import-linter, the documentation site (built strictly), pytest.
# Needs: Linux, Python >= 3.11, root for the kernel tests (seccomp filters in forked children).
set -euo pipefail
cd "$(dirname "$0")/.."
# The audit parser's C extension must build (warnings are errors) and be what the tests load;
# without this a failed compile would quietly leave only the pure-Python fallback tested.
export SECCOMP_KIT_REQUIRE_NATIVE=1
bash tools/system-deps.sh
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
.venv/bin/ruff check seccomp_kit tests benchmarks tools docs hatch_build.py
.venv/bin/ruff format --check seccomp_kit tests benchmarks tools docs hatch_build.py
.venv/bin/mypy
.venv/bin/mypy --strict -m tools.fuzz.targets -m tools.fuzz.run
.venv/bin/lint-imports --no-cache
# The site is built into a scratch directory: the build is the check, the output is not kept.
site_dir="$(mktemp -d)"
trap 'rm -rf "$site_dir"' EXIT
NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict --quiet --site-dir "$site_dir"
.venv/bin/python -m pytest -q "$@"
# A bounded fuzzing run: every loader for 15 s (atheris, or Hypothesis where it has no wheel).
.venv/bin/python -m tools.fuzz.run all --seconds 15
if [ "${CI:-}" = "true" ]; then
  # The thorough Hypothesis profile runs the property tests again with many more examples.
  .venv/bin/python -m pytest -q --property-only --hypothesis-profile=thorough tests
fi
