"""Hatch build hook: compile ``seccomp_kit/audit/_scan.c``, the audit parser's C fast path.

The extension is optional: without it :mod:`seccomp_kit.audit` runs its pure-Python path and
gives the same results, slower. So a failed compile warns loudly and the wheel ships pure
Python, unless ``SECCOMP_KIT_REQUIRE_NATIVE=1`` (CI, ``tools/test.sh``), which makes it an error
and also turns compiler warnings into errors.

The compiler is ``$CC`` or the one Python was built with (``sysconfig``), falling back to ``cc``;
``$CFLAGS`` and ``$LDFLAGS`` are added (e.g. ``CFLAGS=-fsanitize=address,undefined``). A normal
wheel gets the built file force-included and a platform tag; an editable install builds it
next to the sources in ``seccomp_kit/audit/``, where the checkout is imported from.
"""

from __future__ import annotations

import ast
import os
import shlex
import shutil
import subprocess
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

PACKAGE = Path("seccomp_kit") / "audit"
SOURCE = PACKAGE / "_scan.c"
STAMP = PACKAGE / "_stamp.py"
FLAGS = ["-O2", "-fPIC", "-shared", "-Wall", "-Wextra"]


def _compiler() -> list[str] | None:
    for text in (os.environ.get("CC"), sysconfig.get_config_var("CC"), "cc"):
        if text:
            argv = shlex.split(text)
            if argv and shutil.which(argv[0]):
                return argv
    return None


def stamp_defines(root: Path) -> list[str]:
    """``-D`` flags for the stamp limits in ``_stamp.py``, read without importing the package
    (the build may run before its dependencies are installed): one definition for C and
    Python."""
    tree = ast.parse((root / STAMP).read_text(encoding="utf-8"))
    defines = []
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id.endswith("_DIGITS")
            and isinstance(node.value, ast.Constant)
            and type(node.value.value) is int
        ):
            defines.append(f"-DSTAMP_{node.targets[0].id}={node.value.value}")
    return defines


def compile_extension(root: Path, target: Path, *, strict: bool) -> str | None:
    """Build the extension at ``target``; return None, or why it could not be built."""
    compiler = _compiler()
    if compiler is None:
        return "no C compiler found ($CC, Python's CC, cc)"
    include = sysconfig.get_paths()["include"]
    if not (Path(include) / "Python.h").is_file():
        return f"Python.h not found in {include} (install the Python development headers)"
    partial = target.with_name(target.name + ".tmp")
    argv = [
        *compiler,
        *FLAGS,
        *(["-Werror"] if strict else []),
        *shlex.split(os.environ.get("CFLAGS", "")),
        f"-I{include}",
        *stamp_defines(root),
        str(root / SOURCE),
        "-o",
        str(partial),
        *shlex.split(os.environ.get("LDFLAGS", "")),
    ]
    try:
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
    except OSError as exc:
        return f"{shlex.join(argv)}: {exc}"
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        return f"{shlex.join(argv)}\n{result.stdout}{result.stderr}"
    # Replace, never overwrite: a running process may have the old file mapped.
    os.replace(partial, target)
    return None


class NativeBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        name = "_scan" + str(sysconfig.get_config_var("EXT_SUFFIX"))
        strict = os.environ.get("SECCOMP_KIT_REQUIRE_NATIVE") == "1"
        if version == "editable":
            target = root / PACKAGE / name
        else:
            self._tmp = tempfile.mkdtemp(prefix="seccomp-kit-build-")
            target = Path(self._tmp) / name
        problem = compile_extension(root, target, strict=strict)
        if problem is not None:
            if strict:
                self._cleanup()
                raise RuntimeError(
                    f"SECCOMP_KIT_REQUIRE_NATIVE=1: cannot build {SOURCE}: {problem}"
                )
            banner = "=" * 72
            self.app.display_warning(
                f"{banner}\nWARNING: cannot build the C audit scanner ({SOURCE}); installing the"
                f" pure-Python parser (same results, several times slower).\n{problem}\n{banner}"
            )
            return
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        if version != "editable":
            build_data["force_include"][str(target)] = f"{PACKAGE.as_posix()}/{name}"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        self._cleanup()

    def _cleanup(self) -> None:
        tmp = getattr(self, "_tmp", None)
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
