"""The ``seccomp-kit`` command: thin over the library.

Subcommands live in their own modules and are imported only when invoked, so ``--help`` and
simple commands start fast. Exit status: 0 success, 1 a finding (validation errors, a
difference), 2 usage errors and unreadable input.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from seccomp_kit import __version__
from seccomp_kit.errors import SeccompKitError

__all__ = ["main", "cli"]

# command name -> (module, attribute, one-line help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "validate": ("seccomp_kit.cli._validate", "command", "Check profiles; report every problem."),
    "fmt": ("seccomp_kit.cli._fmt", "command", "Write profiles in canonical form."),
    "merge": ("seccomp_kit.cli._merge", "merge_command", "Merge profiles (union/intersection)."),
    "diff": ("seccomp_kit.cli._merge", "diff_command", "Semantic difference of two profiles."),
    "normalize": ("seccomp_kit.cli._merge", "normalize_command", "Smallest equivalent profile."),
    "resolve": ("seccomp_kit.cli._merge", "resolve_command", "Plain OCI profile for one host."),
    "compile": ("seccomp_kit.cli._compile", "compile_command", "Compile a profile to BPF."),
    "run": ("seccomp_kit.cli._compile", "run_command", "Run a command under a profile."),
    "check": ("seccomp_kit.cli._check", "command", "What a profile does to a syscall."),
    "port": ("seccomp_kit.cli._port", "command", "Port a profile to other architectures."),
    "record": ("seccomp_kit.cli._record", "command", "Build a profile from SCMP_ACT_LOG records."),
    "agent": ("seccomp_kit.cli._agent", "command", "Record containers on an OCI listenerPath."),
    "install": ("seccomp_kit.cli._k8s", "install_command", "Install under the kubelet root."),
    "k8s": ("seccomp_kit.cli._k8s", "k8s_group", "Kubernetes: export, import, check."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module, attr, _ = spec
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="seccomp-kit")
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="Print results and problems only: no summaries, progress or notes on stderr.",
)
def cli(quiet: bool) -> None:
    """Model, validate, merge, compile, match and record Linux seccomp profiles.

    Colour is used only on a terminal, never with NO_COLOR set. Shell completion: see
    the CLI reference (eval "$(_SECCOMP_KIT_COMPLETE=bash_source seccomp-kit)").
    """


def main(argv: list[str] | None = None) -> None:
    """Console entry point: library errors become one-line messages with exit status 2."""
    try:
        # Without standalone mode click returns the exit status of ctx.exit() instead of exiting.
        status = cli.main(
            args=argv,
            prog_name="seccomp-kit",
            standalone_mode=False,
            # https://no-color.org: any non-empty NO_COLOR turns colour off; otherwise click
            # colours only a terminal and strips styles from pipes and files.
            color=False if os.environ.get("NO_COLOR") else None,
        )
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except SeccompKitError as exc:
        click.echo(f"seccomp-kit: {exc}", err=True)
        sys.exit(2)
    except BrokenPipeError:
        sys.exit(0)
    except OSError as exc:
        # Whatever the library did not wrap (a write to a full disk, a file that vanished):
        # one line naming the path, never a traceback.
        where = f"{exc.filename}: " if exc.filename is not None else ""
        click.echo(f"seccomp-kit: {where}{exc.strerror or exc}", err=True)
        sys.exit(2)
    sys.exit(status if isinstance(status, int) else 0)
