"""Run the documentation's examples: every ```python block is executed and every ```console
block's ``$ command`` lines are run, their output compared with what the page shows.

One page is one session: its blocks run in order in a fresh directory (with a copy of ``profiles/``
from the repository beside them), Python blocks share one namespace, and console commands see the
files earlier blocks wrote. In expected output a line ``...`` stands for any number of lines and
``...`` inside a line for any text; ``$ echo $?`` prints the previous command's status.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import attrs

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
_FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```\s*$", re.M | re.S)
_HEREDOC = re.compile(r"<<-?\s*'?(\w+)'?")


@attrs.frozen
class Block:
    page: str
    line: int
    language: str
    text: str


@attrs.frozen
class Command:
    line: int
    command: str
    expected: tuple[str, ...]


def blocks(page: Path) -> Iterator[Block]:
    text = page.read_text(encoding="utf-8")
    for match in _FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        yield Block(page.name, line, match.group(1), match.group(2))


def commands(block: Block) -> list[Command]:
    """The ``$ `` commands of a console block, heredocs included, with their output lines."""
    lines = block.text.splitlines()
    out: list[Command] = []
    i = 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            raise AssertionError(f"{block.page}:{block.line + 1 + i}: output before any command")
        start = i
        command = [lines[i][2:]]
        while command[-1].endswith("\\") and i + 1 < len(lines):
            i += 1
            command.append(lines[i])
        heredoc = _HEREDOC.search(command[0])
        if heredoc:
            while i + 1 < len(lines):
                i += 1
                command.append(lines[i])
                if lines[i].strip() == heredoc.group(1):
                    break
        i += 1
        expected: list[str] = []
        while i < len(lines) and not lines[i].startswith("$ "):
            expected.append(lines[i])
            i += 1
        out.append(Command(block.line + 1 + start, "\n".join(command), tuple(expected)))
    return out


def _pattern(expected: tuple[str, ...]) -> re.Pattern[str]:
    parts = []
    for line in expected:
        if line.strip() == "...":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(".*?".join(re.escape(p) for p in line.split("...")) + r"[ \t]*\n")
    return re.compile("".join(parts) + r"\Z", re.S)


def matches(expected: tuple[str, ...], actual: str) -> bool:
    if actual and not actual.endswith("\n"):
        actual += "\n"
    return bool(_pattern(expected).match(actual))


class Session:
    """One page's directory, environment, Python namespace and last exit status."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        # a copy, so an example that writes there never touches the checkout
        shutil.copytree(ROOT / "profiles", workdir / "profiles")
        bindir = str(Path(sys.executable).parent)
        self.env = {
            **os.environ,
            "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONUNBUFFERED": "1",  # stdout and stderr interleave as on a terminal
            "NO_COLOR": "1",
            "COLUMNS": "100",
        }
        self.namespace: dict[str, object] = {"__name__": "docs_example"}
        self.status = 0

    def console(self, block: Block) -> None:
        for cmd in commands(block):
            done = subprocess.run(
                ["bash", "-c", f"(exit {self.status}); {cmd.command}"],
                cwd=self.workdir,
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=300,
                check=False,
            )
            self.status = done.returncode
            where = f"{block.page}:{cmd.line}: $ {cmd.command.splitlines()[0]}"
            assert matches(cmd.expected, done.stdout), (
                f"{where}\n--- the page shows:\n"
                + "\n".join(cmd.expected)
                + f"\n--- the command printed (status {done.returncode}):\n{done.stdout}"
            )

    def python(self, block: Block) -> None:
        old = Path.cwd()
        os.chdir(self.workdir)
        try:
            code = compile(block.text, f"{block.page}:{block.line}", "exec")
            exec(code, self.namespace)
        finally:
            os.chdir(old)


RUNNABLE = {"console", "python"}
