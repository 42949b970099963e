"""``seccomp-kit agent``: record containers through the OCI ``listenerPath`` notify fd.

``seccomp-kit agent --socket PATH --out DIR [--args] [--once]`` serves runtimes until SIGINT or
SIGTERM (every open recording is then written); ``--oci-seccomp`` prints the ``linux.seccomp``
object that reports every syscall to the agent (listing only the names the ``--runtime`` /
``--libseccomp`` target resolves), ``--bundle DIR`` writes it into a bundle's ``config.json``.
Exit status: 0 served (or printed); 2 usage errors and unusable paths.
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Any

import click

from seccomp_kit.cli._common import (
    libseccomp_option,
    replace_file,
    runtime_option,
    target_kwargs,
)
from seccomp_kit.errors import SeccompKitError

__all__ = ["command"]


@click.command("agent", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--socket", "socket_path", required=True, metavar="PATH", help="Unix socket.")
@click.option("--out", "out_dir", metavar="DIR", help="Where <container-id>.json are written.")
@click.option("--args", "record_args", is_flag=True, help="Also record arguments (--args).")
@click.option("--max-values", type=click.IntRange(min=1), default=16, show_default=True)
@click.option("--once", is_flag=True, help="Exit after the first container's profile.")
@click.option("--oci-seccomp", is_flag=True, help="Print the linux.seccomp object for this agent.")
@click.option("--metadata", help="With --oci-seccomp: listenerMetadata.")
@click.option(
    "--bundle",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="With --oci-seccomp: write it into DIR/config.json instead.",
)
@runtime_option
@libseccomp_option
@click.pass_context
def command(ctx: click.Context, /, **opts: Any) -> None:
    """Record containers as a seccomp agent on an OCI listenerPath."""
    from seccomp_kit.record._agent import Agent, oci_seccomp

    try:
        if opts["oci_seccomp"]:
            from seccomp_kit.io import dumps

            goal = target_kwargs(oci_seccomp, opts["runtime"], opts["libseccomp"])
            text = dumps(oci_seccomp(opts["socket_path"], metadata=opts["metadata"], **goal))
            if opts["bundle"] is None:
                click.echo(text, nl=False)
                ctx.exit(0)
            config_path = opts["bundle"] / "config.json"
            try:
                config = json.loads(config_path.read_text())
            except (OSError, ValueError) as exc:
                raise click.UsageError(f"cannot read {config_path}: {exc}") from exc
            config.setdefault("linux", {})["seccomp"] = json.loads(text)
            replace_file(config_path, json.dumps(config, indent=2) + "\n")
            click.echo(f"seccomp-kit agent: wrote linux.seccomp into {config_path}", err=True)
            ctx.exit(0)
        if opts["out_dir"] is None:
            raise click.UsageError("--out DIR is needed to serve (or use --oci-seccomp)")
        if (opts["runtime"], opts["libseccomp"]) != ("runc", "installed"):
            # Serving records whatever any runtime sends: a target would be silently ignored.
            raise click.UsageError("--runtime and --libseccomp go with --oci-seccomp")
        agent = Agent(
            opts["socket_path"],
            opts["out_dir"],
            args=opts["record_args"],
            once=opts["once"],
            max_values=opts["max_values"],
            log=lambda line: click.echo(f"seccomp-kit agent: {line}", err=True),
        )
        try:
            agent.bind()
        except OSError as exc:
            raise click.UsageError(
                f"cannot listen on {opts['socket_path']}: {exc.strerror or exc}"
            ) from exc
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda _n, _f: agent.stop())
        click.echo(f"seccomp-kit agent: listening on {opts['socket_path']}", err=True)
        sys.stderr.flush()
        agent.serve()
    except SeccompKitError as exc:
        click.echo(f"seccomp-kit agent: {exc}", err=True)
        ctx.exit(2)
