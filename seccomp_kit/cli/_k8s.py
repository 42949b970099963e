"""``seccomp-kit install`` and ``seccomp-kit k8s export|import|check``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from seccomp_kit.cli._common import (
    DIRECTORY,
    Host,
    arch_option,
    host_options,
    kernel_option,
    libseccomp_option,
    load_profile,
    note,
    runtime_option,
    stdin_or,
    target_kwargs,
)
from seccomp_kit.errors import SeccompKitError, ValidationFailedError

if TYPE_CHECKING:
    from seccomp_kit.diagnostics import Diagnostic
    from seccomp_kit.kubernetes import EffectiveReport, PodReport
    from seccomp_kit.model import Arch

__all__ = ["install_command", "k8s_group"]

_KUBELET_ROOT = click.option(
    "--root",
    type=DIRECTORY,
    default=None,
    help="Kubelet seccomp root to find Localhost profiles in.  [default: /var/lib/kubelet/seccomp]",
)
_SECCOMP_DEFAULT = click.option(
    "--seccomp-default",
    is_flag=True,
    help="The kubelet runs with SeccompDefault: containers without a profile get RuntimeDefault.",
)
_FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)


def _fail_validation(exc: ValidationFailedError, what: str) -> None:
    """Print why a profile was refused (each diagnostic on its own line)."""
    click.echo(f"seccomp-kit: {what}: {exc.message}", err=True)
    for diag in exc.diagnostics:
        click.echo(f"  {diag}", err=True)


@click.command("install")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--name", required=True, help="localhostProfile path, e.g. profiles/web.json.")
@click.option(
    "--root",
    type=DIRECTORY,
    default=None,
    help="Kubelet seccomp root.  [default: /var/lib/kubelet/seccomp]",
)
@runtime_option
@libseccomp_option
@click.pass_context
def install_command(  # noqa: PLR0917
    ctx: click.Context, file: str, name: str, root: Path | None, runtime: str, libseccomp: str
) -> None:
    """Install FILE under the kubelet seccomp root as NAME (atomically, mode 0644).

    The profile is validated first and never installed when validation finds errors. Prints
    the pod and container securityContext snippets that select it.
    """
    from seccomp_kit.kubernetes import DEFAULT_ROOT, install, security_context_snippets

    target = target_kwargs(install, runtime, libseccomp)
    target_root = DEFAULT_ROOT if root is None else root
    warnings: list[Diagnostic] = []
    try:
        value = install(load_profile(file), name, root=target_root, warnings=warnings, **target)
    except ValidationFailedError as exc:
        _fail_validation(exc, f"{file} not installed")
        ctx.exit(1)
    for diag in warnings:
        click.secho(f"warning: {file}: {diag.code} {diag.message}", err=True, fg="yellow")
    note(f"# installed {Path(target_root) / value}")
    click.echo(security_context_snippets(value), nl=False)


@click.group("k8s")
def k8s_group() -> None:
    """Kubernetes: Security Profiles Operator resources and manifest checks."""


@k8s_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--name", required=True, help="metadata.name of the SeccompProfile.")
@click.option("--base", "base", default=None, help="spec.baseProfileName (a SeccompProfile).")
@click.option("--namespace", default=None, help="metadata.namespace (older namespaced SPO).")
@host_options
@click.pass_context
def export_command(  # noqa: PLR0917
    ctx: click.Context,
    file: str,
    name: str,
    base: str | None,
    namespace: str | None,
    host: Host,
) -> None:
    """Print FILE as a Security Profiles Operator SeccompProfile resource (YAML).

    moby/containers profiles are first resolved for the host (--arch, --cap, --kernel): a
    SeccompProfile has no includes/excludes.
    """
    from seccomp_kit.kubernetes import export_seccomp_profile

    profile = host.load(file)
    try:
        text = export_seccomp_profile(
            profile,
            name,
            base_profile_name=base,
            namespace=namespace,
            **host.target(export_seccomp_profile),
        )
    except ValidationFailedError as exc:
        _fail_validation(exc, f"{file} not exported")
        ctx.exit(1)
    click.echo(text, nl=False)


@k8s_group.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=DIRECTORY,
    help="Directory to write <name>.json files into (<namespace>/<name>.json when namespaced).",
)
@runtime_option
@libseccomp_option
@click.pass_context
def import_command(
    ctx: click.Context, files: tuple[Path, ...], output: Path, runtime: str, libseccomp: str
) -> None:
    """Write every SeccompProfile in the YAML FILES as a profile JSON file under DIR.

    Other documents are skipped with a note. Each file is validated and written atomically.
    """
    from seccomp_kit.kubernetes import import_seccomp_profiles, install

    target = target_kwargs(install, runtime, libseccomp)
    status = 0
    written = 0
    for file in files:
        try:
            found = import_seccomp_profiles(stdin_or(file))
        except SeccompKitError as exc:
            click.echo(f"seccomp-kit: {exc}", err=True)
            status = 2
            continue
        for index, why in found.skipped:
            note(f"{file}: document {index} skipped: {why}")
        for resource in found.resources:
            if resource.disabled:
                note(f"{file}: {resource.name} skipped: spec.disabled is true")
                continue
            # The operator's own file name: the object name, ".json" added unless present.
            rel = resource.name if resource.name.endswith(".json") else f"{resource.name}.json"
            if resource.namespace:
                rel = f"{resource.namespace}/{rel}"
            try:
                install(resource.profile, rel, root=output, **target)
            except ValidationFailedError as exc:
                _fail_validation(exc, f"{file}: SeccompProfile {resource.name} not written")
                status = max(status, 1)
                continue
            written += 1
            click.echo(str(output / rel))
            if resource.base_profile_name:
                note(
                    f"{file}: note: {resource.name} has baseProfileName"
                    f" {resource.base_profile_name!r}; the file holds only its own rules, the"
                    " operator unions the base profile into it"
                )
    if written == 0 and status == 0:
        click.echo("seccomp-kit: no SeccompProfile resources found", err=True)
        status = 1
    ctx.exit(status)


@k8s_group.command("check")
@click.argument("manifests", nargs=-1, required=True, type=click.Path(path_type=Path))
@_KUBELET_ROOT
@_SECCOMP_DEFAULT
@click.option(
    "--level",
    type=click.Choice(["baseline", "restricted", "privileged"]),
    default="baseline",
    show_default=True,
    help="Pod Security level whose seccomp and capability violations are errors (exit 1).",
)
@_FORMAT
@runtime_option
@libseccomp_option
@click.pass_context
def check_command(  # noqa: PLR0917
    ctx: click.Context,
    manifests: tuple[Path, ...],
    root: Path | None,
    seccomp_default: bool,
    level: str,
    fmt: str,
    runtime: str,
    libseccomp: str,
) -> None:
    """Which seccomp profile every container in MANIFESTS gets, with Pod Security verdicts
    (seccomp and capabilities).

    Exit status: 0 nothing wrong, 1 errors found, 2 a manifest could not be read or parsed.
    """
    from seccomp_kit.diagnostics import has_errors, render_text, sort_diagnostics, to_json_text
    from seccomp_kit.kubernetes import DEFAULT_ROOT, check_manifests

    target = target_kwargs(check_manifests, runtime, libseccomp)
    diags: list[Diagnostic] = []
    pods: list[PodReport] = []
    unreadable = False
    for manifest in manifests:
        try:
            report = check_manifests(
                [stdin_or(manifest)],
                root=DEFAULT_ROOT if root is None else root,
                seccomp_default=seccomp_default,
                level=level,
                **target,
            )
        except SeccompKitError as exc:
            click.echo(f"seccomp-kit: {exc}", err=True)
            unreadable = True
            continue
        diags.extend(report.diagnostics)
        pods.extend(report.pods)
    diags = sort_diagnostics(diags)
    if fmt == "json":
        click.echo(to_json_text(diags))
    else:
        for line in render_text(diags):
            click.echo(line)
        containers = sum(len(p.containers) for p in pods)
        baseline = sum(1 for p in pods if p.baseline)
        restricted = sum(1 for p in pods if p.restricted)
        caps_baseline = sum(1 for p in pods if p.capabilities_baseline)
        caps_restricted = sum(1 for p in pods if p.capabilities_restricted)
        errors = sum(1 for d in diags if d.is_error)
        click.echo(
            f"{len(pods)} pod(s), {containers} container(s): Pod Security baseline"
            f" {baseline}/{len(pods)} pass, restricted {restricted}/{len(pods)} pass;"
            f" capabilities: baseline {caps_baseline}/{len(pods)} pass, restricted"
            f" {caps_restricted}/{len(pods)} pass; {errors} error(s)"
        )
    if unreadable:
        ctx.exit(2)
    ctx.exit(1 if has_errors(diags) else 0)


@k8s_group.command("effective")
@click.argument("manifests", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--engine",
    default="containerd",
    show_default=True,
    help="The nodes' container engine: containerd, cri-o, docker or podman, optionally"
    " @VERSION (default: the newest modelled).",
)
@arch_option
@kernel_option
@_KUBELET_ROOT
@_SECCOMP_DEFAULT
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write each container's profile as DIR/<kind>-<name>-<container>.json.",
)
@_FORMAT
@click.pass_context
def effective_command(  # noqa: PLR0917
    ctx: click.Context,
    manifests: tuple[Path, ...],
    engine: str,
    arch: Arch | None,
    kernel: str | None,
    root: Path | None,
    seccomp_default: bool,
    out: Path | None,
    fmt: str,
) -> None:
    """The effective capabilities and seccomp profile of every container in MANIFESTS, on
    nodes running ENGINE.

    Exit status: 0 nothing wrong, 1 errors found in the manifests, 2 a manifest could not be
    read or an option is wrong (unmodelled engine, version or architecture).
    """
    from seccomp_kit.diagnostics import render_text
    from seccomp_kit.kubernetes import DEFAULT_ROOT, effective_manifests, write_profiles

    try:
        report = effective_manifests(
            [stdin_or(m) for m in manifests],
            engine=engine,
            arch=arch,
            kernel=kernel,
            root=DEFAULT_ROOT if root is None else root,
            seccomp_default=seccomp_default,
        )
        written = write_profiles(report, out) if out is not None else []
    except SeccompKitError as exc:
        click.echo(f"seccomp-kit: {exc}", err=True)
        ctx.exit(2)
    if fmt == "json":
        data = {
            "engine": report.engine.label,
            "runtime": report.engine.runtime,
            "arch": report.arch.value,
            "kernel": report.kernel,
            "containers": [c.to_json() for c in report.containers],
            "diagnostics": [d.to_json() for d in report.diagnostics],
        }
        click.echo(json.dumps(data, indent=2))
    else:
        for line in _effective_text(report, {p.name: p for p in written}):
            click.echo(line)
        for line in render_text(report.diagnostics):
            click.echo(line, err=True)
    ctx.exit(1 if report.has_errors else 0)


def _effective_text(report: EffectiveReport, written: dict[str, Path]) -> list[str]:
    engine = report.engine
    lines = [
        f"# {engine.label} (runs {engine.runtime}), {report.arch.value}"
        + (f", kernel {report.kernel}" if report.kernel else "")
        + f"; default capabilities: {_caps(engine.capabilities)}"
    ]
    for c in report.containers:
        ns = f"{c.namespace}/" if c.namespace else ""
        lines.append(f"{c.kind} {ns}{c.name} {c.container_kind} {c.container!r}: {c.source}")
        lines.append(f"  capabilities: {_caps(c.capabilities)}")
        quiet = [
            ch.capability.removeprefix("CAP_") for ch in c.changes if not ch.opened + ch.closed
        ]
        lines += [f"  {ch.describe()}" for ch in c.changes if ch.opened or ch.closed]
        if quiet:
            lines.append(f"  no syscall changes with: {', '.join(quiet)}")
        if c.profile is None:
            lines.append("  profile: none (no seccomp filter)")
        else:
            allowed = len({n for r in c.profile.syscalls for n in r.names})
            where = written.get(c.file_name)
            lines.append(
                f"  profile: {len(c.profile.syscalls)} rule(s) naming {allowed} syscall(s)"
                + (f" -> {where}" if where else "")
            )
    return lines


def _caps(caps: tuple[str, ...]) -> str:
    return ", ".join(c.removeprefix("CAP_") for c in caps) or "none"
