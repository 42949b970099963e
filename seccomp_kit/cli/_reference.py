"""The CLI reference: every option of every subcommand, read from the click command tree.

The documentation site renders :func:`reference_markdown` in place of a marker (a MkDocs hook,
``docs/hooks.py``), so the table cannot fall behind the commands.
"""

from __future__ import annotations

from collections.abc import Iterator

import click

__all__ = ["iter_commands", "reference_markdown"]


def iter_commands(group: click.Group, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    """``(full name, command)`` for every subcommand below ``group``, groups descended."""
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None:
            continue
        if isinstance(command, click.Group):
            yield from iter_commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _option_row(param: click.Parameter) -> tuple[str, str, str]:
    names = ", ".join(f"`{n}`" for n in (*param.opts, *param.secondary_opts))
    if isinstance(param, click.Argument):
        names = f"`{param.human_readable_name}`" + (" …" if param.nargs == -1 else "")
    help_text = getattr(param, "help", None) or ""
    if isinstance(param.type, click.Choice):
        help_text += f" One of: {', '.join(f'`{c}`' for c in param.type.choices)}."
    default = ""
    if isinstance(param, click.Option) and not param.is_flag and param.default not in (None, ()):
        default = f"`{param.default}`"
    return names, _cell(help_text), default


def reference_markdown(group: click.Group) -> str:
    """A Markdown section per subcommand: its usage line, first help line and a table of its
    arguments and options (help and default)."""
    out: list[str] = []
    root = click.Context(group, info_name="seccomp-kit")
    out.append("## Global options\n")
    out.append("| option | meaning | default |\n|---|---|---|")
    for param in group.params:
        out.append("| {} | {} | {} |".format(*_option_row(param)))
    out.append("| `-h`, `--help` | Show the help of the command and exit. | |\n")
    for name, command in iter_commands(group):
        ctx = click.Context(command, info_name=f"seccomp-kit {name}", parent=root)
        usage = " ".join(command.collect_usage_pieces(ctx))
        summary = (command.help or "").strip().split("\n\n")[0]
        out.append(f"## `seccomp-kit {name}`\n")
        out.append(f"```text\nseccomp-kit {name} {usage}\n```\n")
        out.append(_cell(summary) + "\n")
        out.append("| argument or option | meaning | default |\n|---|---|---|")
        for param in command.params:
            if isinstance(param, click.Option) and "--help" in param.opts:
                continue
            out.append("| {} | {} | {} |".format(*_option_row(param)))
        out.append("")
    return "\n".join(out)
