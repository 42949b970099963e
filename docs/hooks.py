"""MkDocs hook: the CLI reference page is generated from the click command tree."""

from __future__ import annotations

from typing import Any

MARKER = "<!-- cli-reference -->"


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    if MARKER not in markdown:
        return markdown
    from seccomp_kit.cli import cli
    from seccomp_kit.cli._reference import reference_markdown

    return markdown.replace(MARKER, reference_markdown(cli))
