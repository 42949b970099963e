"""The documentation site: it builds strictly, the CLI reference is complete, and every
example on every page runs and prints what the page says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from seccomp_kit.cli import cli
from seccomp_kit.cli._reference import iter_commands, reference_markdown
from tests.docs_examples import DOCS, ROOT, RUNNABLE, Session, blocks

PAGES = sorted(DOCS.glob("*.md"))
README = ROOT / "README.md"


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    cli_page = (tmp_path / "cli" / "index.html").read_text()
    for name, command in iter_commands(cli):
        assert f"seccomp-kit {name}" in cli_page, name
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("-"):
                    assert f"<code>{opt}</code>" in cli_page, (name, opt)


def test_every_nav_entry_exists_and_every_page_is_in_the_nav() -> None:
    import yaml

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text().replace("!!python", "python"))

    def files(entry: object) -> list[str]:
        if isinstance(entry, str):
            return [entry]
        if isinstance(entry, dict):
            return [f for v in entry.values() for f in files(v)]
        if isinstance(entry, list):
            return [f for v in entry for f in files(v)]
        return []

    listed = files(config["nav"])
    assert sorted(listed) == sorted(p.name for p in PAGES)


def test_the_cli_reference_lists_every_option_of_every_subcommand() -> None:
    text = reference_markdown(cli)
    for name, command in iter_commands(cli):
        section = text.split(f"## `seccomp-kit {name}`\n", 1)[1].split("\n## ", 1)[0]
        for param in command.params:
            if "--help" in param.opts:
                continue
            shown = param.opts if param.param_type_name == "option" else [param.human_readable_name]
            for opt in shown:
                assert f"`{opt}`" in section, (name, opt)
    assert "(docs/cli.md)" not in text
    assert "<!-- cli-reference -->" in (DOCS / "cli.md").read_text()


@pytest.mark.parametrize("page", [*PAGES, README], ids=lambda p: p.name)
def test_every_example_on_the_page_runs(page: Path, tmp_path: Path) -> None:
    session = Session(tmp_path)
    ran = 0
    for block in blocks(page):
        if block.language == "console":
            session.console(block)
        elif block.language == "python":
            session.python(block)
        elif page == README and block.language == "sh":
            continue  # installing and the whole test suite: they set up this very run
        else:
            assert block.language in {"text", "json", "yaml"}, (
                f"{page.name}:{block.line}: a ```{block.language} block is neither run (console,"
                " python) nor plain data (text, json, yaml)"
            )
            continue
        ran += 1
    assert ran or not any(b.language in RUNNABLE for b in blocks(page))
