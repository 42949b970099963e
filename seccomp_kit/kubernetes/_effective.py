"""The effective seccomp filter of every container: its capabilities, its node's engine, its
architecture and kernel, turned into one plain OCI profile.

For each container found by :func:`~seccomp_kit.kubernetes.check_manifests` (same kinds, same
precedence of fields and annotations):

capabilities (the bounding set the engine gives the container)
    As containerd's and CRI-O's CRI code computes it: the engine's default set; ``add: [ALL]``
    makes it every capability; ``drop: [ALL]`` then empties it; then every other ``add`` is
    added and every other ``drop`` removed, so a name in both lists ends up dropped. A
    privileged container gets every capability (every one the engine knows; Podman gives those
    of its own process).
profile
    ``RuntimeDefault``: the engine's default profile resolved for those capabilities, the
    architecture and (moby's ``minKernel``) the kernel, as the engine does it
    (:func:`~seccomp_kit.algebra.resolve`). ``Localhost``: the file under the kubelet root; CRI-O,
    Podman and Docker resolve its moby / containers/common extensions the same way, containerd
    reads it as plain OCI (its decoder ignores ``includes``/``excludes``, ``archMap``, errno names
    and comments: conditional rules then apply unconditionally). ``Unconfined`` and privileged
    containers: no profile.
what the capabilities changed
    For ``RuntimeDefault``, each capability added to or dropped from the engine's default set is
    compared alone against the plain default: the syscalls whose rules it changes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import attrs

from seccomp_kit.algebra import resolve
from seccomp_kit.algebra.resolving import Engine
from seccomp_kit.diagnostics import Diagnostic, Severity, has_errors, sort_diagnostics
from seccomp_kit.errors import InputError, JSONPath, SeccompKitError
from seccomp_kit.io import load, to_data
from seccomp_kit.kubernetes._check import (
    LOCALHOST,
    RUNTIME_DEFAULT,
    ContainerProfile,
    PodReport,
    check_manifests,
)
from seccomp_kit.kubernetes._engines import EngineDefaults, engine_defaults
from seccomp_kit.kubernetes._install import DEFAULT_ROOT, resolve_under_root
from seccomp_kit.kubernetes._yaml import YamlDocument, load_documents
from seccomp_kit.model import Action, Arch, CapFilter, Dialect, Profile
from seccomp_kit.syscalls.arches import native_arch, parse_arch
from seccomp_kit.syscalls.capabilities import CAPABILITIES, parse_capability

__all__ = [
    "CapabilityChange",
    "EffectiveContainer",
    "EffectiveReport",
    "effective_capabilities",
    "effective_manifests",
    "write_profiles",
]


@attrs.frozen
class CapabilityChange:
    """What one capability, added to or dropped from the engine's default set, changes in the
    default profile: the syscalls it opens (``mount``, ``clone (unrestricted)``...) or closes."""

    capability: str
    added: bool
    opened: tuple[str, ...]
    closed: tuple[str, ...]

    def describe(self) -> str:
        """``SYS_ADMIN adds mount, umount2, ...`` / ``SYS_CHROOT dropped: removes chroot``."""
        short = self.capability.removeprefix("CAP_")
        gained = ", ".join(self.opened) or "no syscall"
        lost = ", ".join(self.closed) or "no syscall"
        if self.added:
            return f"{short} adds {gained}" + (f"; removes {lost}" if self.closed else "")
        return f"{short} dropped: removes {lost}" + (f"; adds {gained}" if self.opened else "")


@attrs.frozen
class EffectiveContainer:
    """One container's effective capabilities and seccomp profile."""

    file: str
    document: int
    kind: str
    name: str
    namespace: str | None
    container: str
    container_kind: str
    """``container``, ``initContainer`` or ``ephemeralContainer``."""
    type: str
    """``Unconfined``, ``RuntimeDefault`` or ``Localhost`` (privileged: ``Unconfined``)."""
    localhost_profile: str | None
    origin: str
    capabilities: tuple[str, ...]
    """The bounding set, ``CAP_*`` names in kernel bit order."""
    profile: Profile | None
    """The plain OCI profile the runtime gets; None: no seccomp filter (or Windows)."""
    source: str
    changes: tuple[CapabilityChange, ...]
    path: JSONPath

    @property
    def file_name(self) -> str:
        """``<kind>-<name>-<container>.json`` (what ``--out`` writes)."""
        return f"{self.kind.lower()}-{self.name or 'unnamed'}-{self.container}.json"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "namespace": self.namespace,
            "container": self.container,
            "containerKind": self.container_kind,
            "capabilities": list(self.capabilities),
            "profile": None if self.profile is None else to_data(self.profile),
            "source": self.source,
            "seccompProfile": {"type": self.type, "localhostProfile": self.localhost_profile},
            "origin": self.origin,
            "changes": [
                {
                    "capability": c.capability,
                    "added": c.added,
                    "opened": list(c.opened),
                    "closed": list(c.closed),
                }
                for c in self.changes
            ],
            "file": self.file,
            "document": self.document,
        }


@attrs.frozen
class EffectiveReport:
    """Everything :func:`effective_manifests` found."""

    engine: EngineDefaults
    arch: Arch
    kernel: str | None
    containers: tuple[EffectiveContainer, ...]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def has_errors(self) -> bool:
        return has_errors(self.diagnostics)


def effective_capabilities(
    default: Iterable[str], add: Sequence[str] = (), drop: Sequence[str] = ()
) -> tuple[str, ...]:
    """The bounding set from the engine's ``default`` and a container's ``add``/``drop`` (CRI
    order: ``add: [ALL]``, then ``drop: [ALL]``, then each add, then each drop). Names may be
    written with or without ``CAP_``, in any case; an unknown one raises :class:`InputError`
    with the closest known name."""
    caps = {parse_capability(c) for c in default}
    if any(c.upper() == "ALL" for c in add):
        caps = set(CAPABILITIES)
    if any(c.upper() == "ALL" for c in drop):
        caps = set()
    caps |= {parse_capability(c) for c in add if c.upper() != "ALL"}
    caps -= {parse_capability(c) for c in drop if c.upper() != "ALL"}
    return tuple(c for c in CAPABILITIES if c in caps)


class _Resolver:
    """Resolved profiles per capability set, cached (one engine, arch and kernel)."""

    def __init__(self, engine: EngineDefaults, arch: Arch, kernel: str | None) -> None:
        self.engine = engine
        self.arch = arch
        self.kernel = kernel
        self.cache: dict[tuple[int, frozenset[str]], Profile] = {}

    def resolve(self, profile: Profile, caps: Iterable[str]) -> Profile:
        key = (id(profile), frozenset(caps))
        if key not in self.cache:
            dialect: Engine = "moby" if self.engine.dialect == "moby" else "containers"
            self.cache[key] = resolve(
                profile, arch=self.arch, capabilities=key[1], kernel=self.kernel, engine=dialect
            )
        return self.cache[key]

    def default(self, caps: Iterable[str]) -> Profile:
        return self.resolve(self.engine.profile, caps)

    def changes(self, caps: tuple[str, ...]) -> tuple[CapabilityChange, ...]:
        default = frozenset(self.engine.capabilities)
        base = _treatments(self.default(default))
        out = []
        for cap in CAPABILITIES:
            if (cap in caps) == (cap in default):
                continue
            added = cap in caps
            other = _treatments(self.default(default | {cap} if added else default - {cap}))
            opened, closed = _compare(base, other)
            out.append(CapabilityChange(cap, added, tuple(opened), tuple(closed)))
        return tuple(out)


def _treatments(profile: Profile) -> dict[str, tuple[tuple[str, int | None, str], ...]]:
    """Per syscall name, the rules that name it (action, errno, arguments)."""
    out: dict[str, list[tuple[str, int | None, str]]] = {}
    for rule in profile.syscalls:
        action = rule.action.value if isinstance(rule.action, Action) else str(rule.action)
        args = ", ".join(f"arg{a.index} {a.op} {a.value:#x}" for a in rule.args)
        for name in rule.names:
            out.setdefault(name, []).append((action, rule.errno_ret, args))
    return {k: tuple(v) for k, v in out.items()}


def _allows(rules: Sequence[tuple[str, int | None, str]]) -> tuple[bool, bool]:
    """(allowed at all, allowed whatever the arguments)."""
    allow = [r for r in rules if r[0] in ("SCMP_ACT_ALLOW", "SCMP_ACT_LOG")]
    return bool(allow), any(not r[2] for r in allow)


def _compare(
    base: Mapping[str, tuple[tuple[str, int | None, str], ...]],
    other: Mapping[str, tuple[tuple[str, int | None, str], ...]],
) -> tuple[list[str], list[str]]:
    """Names ``other`` opens and closes relative to ``base`` (with a note when only the
    argument conditions change)."""
    opened: list[str] = []
    closed: list[str] = []
    for name in sorted(set(base) | set(other)):
        before, after = base.get(name, ()), other.get(name, ())
        if before == after:
            continue
        (was, was_free), (now, now_free) = _allows(before), _allows(after)
        if now_free and not was_free:
            opened.append(name if not was else f"{name} (unrestricted)")
        elif was_free and not now_free:
            closed.append(name if not now else f"{name} (restricted to some arguments)")
        elif now and not was:
            opened.append(f"{name} (some arguments)")
        elif was and not now:
            closed.append(f"{name} (some arguments)")
        else:
            opened.append(f"{name} (other rules)")
    return opened, closed


def _plain_oci(profile: Profile) -> Profile:
    """A profile as containerd decodes a Localhost file: OCI fields only."""
    rules = tuple(
        attrs.evolve(r, includes=CapFilter(), excludes=CapFilter(), comment=None, errno_name=None)
        for r in profile.syscalls
    )
    return attrs.evolve(
        profile,
        syscalls=rules,
        arch_map=(),
        default_errno_name=None,
        dialect=Dialect.OCI,
        extras=(),
        source=None,
    )


def _cap_list(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


class _Effective:
    def __init__(
        self,
        engine: EngineDefaults,
        arch: Arch,
        kernel: str | None,
        root: Path,
        docs: Mapping[tuple[str, int], YamlDocument],
    ) -> None:
        self.engine = engine
        self.resolver = _Resolver(engine, arch, kernel)
        self.root = root
        self.docs = docs
        self.diags: list[Diagnostic] = []
        self.localhost: dict[str, Profile | None] = {}

    def report(
        self,
        doc: YamlDocument,
        severity: Severity,
        code: str,
        message: str,
        path: JSONPath,
    ) -> None:
        line, column = doc.position(path)
        self.diags.append(Diagnostic(severity, code, message, path, line, column, doc.source))

    def capabilities(
        self, doc: YamlDocument, who: str, data: Mapping[str, Any], cpath: JSONPath
    ) -> tuple[str, ...]:
        sc = data.get("securityContext")
        caps = sc.get("capabilities") if isinstance(sc, dict) else None
        at: JSONPath = (*cpath, "securityContext", "capabilities")
        if caps is not None and not isinstance(caps, dict):
            self.report(doc, Severity.ERROR, "K8S003", f"{who}: capabilities must be a mapping", at)
        caps = caps if isinstance(caps, dict) else {}
        for key in ("add", "drop"):
            value = caps.get(key)
            if value is not None and not (
                isinstance(value, list) and all(isinstance(v, str) for v in value)
            ):
                self.report(
                    doc,
                    Severity.ERROR,
                    "K8S003",
                    f"{who}: capabilities.{key} must be a list of names",
                    (*at, key),
                )
        add = _cap_list(caps.get("add"))
        drop = _cap_list(caps.get("drop"))
        good: dict[str, list[str]] = {"add": [], "drop": []}
        for key, names in (("add", add), ("drop", drop)):
            for i, name in enumerate(names):
                if name.upper() == "ALL":
                    good[key].append(name)
                    continue
                try:
                    parse_capability(name)
                except InputError as exc:
                    self.report(
                        doc,
                        Severity.ERROR,
                        "K8S061",
                        f"{who}: capabilities.{key}: {exc.message}; the runtime refuses to"
                        " start the container",
                        (*at, key, i),
                    )
                else:
                    good[key].append(name)
        if any(n.upper() == "ALL" for n in add):
            self.report(
                doc,
                Severity.WARNING,
                "K8S062",
                f"{who}: capabilities.add: [ALL] grants every capability (as privileged does,"
                " but with the seccomp filter kept); Pod Security baseline refuses it: add only"
                " the capabilities the container needs",
                (*at, "add"),
            )
        added = {parse_capability(n) for n in good["add"] if n.upper() != "ALL"}
        for key in ("add", "drop"):
            named = {parse_capability(n) for n in good[key] if n.upper() != "ALL"}
            for cap in [c for c in CAPABILITIES if c in named and c in self.engine.refuses]:
                self.report(
                    doc,
                    Severity.ERROR,
                    "K8S064",
                    f"{who}: capabilities.{key}: {self.engine.label} does not know"
                    f" {cap.removeprefix('CAP_')} and refuses to create the container",
                    (*at, key),
                )
        dropped = {parse_capability(n) for n in good["drop"] if n.upper() != "ALL"}
        for cap in [c for c in CAPABILITIES if c in added & dropped]:
            self.report(
                doc,
                Severity.WARNING,
                "K8S063",
                f"{who}: {cap.removeprefix('CAP_')} is both added and dropped; the engines apply"
                " drops last, so the container does not get it",
                (*at, "drop"),
            )
        caps = effective_capabilities(self.engine.capabilities, good["add"], good["drop"])
        return tuple(c for c in caps if c not in self.engine.refuses)

    def localhost_profile(self, name: str) -> Profile | None:
        if name not in self.localhost:
            try:
                target = resolve_under_root(self.root, name)
                self.localhost[name] = load(target) if target.is_file() else None
            except SeccompKitError:
                self.localhost[name] = None  # reported by the check (K8S030, K8S033, K8S034)
        return self.localhost[name]

    def container(self, pod: PodReport, cp: ContainerProfile) -> EffectiveContainer:
        doc = self.docs[(pod.file, pod.document)]
        data = _at(doc.data, cp.path)
        who = f"{pod.label}: {cp.kind} {cp.container!r}"
        privileged = cp.origin == "privileged"
        everything = tuple(c for c in CAPABILITIES if c not in self.engine.refuses)
        caps = everything if privileged else self.capabilities(doc, who, data, cp.path)
        changes: tuple[CapabilityChange, ...] = ()
        profile: Profile | None = None
        label = self.engine.label
        if pod.windows:
            source = "Windows pod: seccomp does not apply"
        elif privileged:
            source = "Unconfined: privileged containers run without seccomp"
        elif cp.type == RUNTIME_DEFAULT:
            profile = self.resolver.default(caps)
            changes = self.resolver.changes(caps)
            source = (
                f"RuntimeDefault ({cp.origin}): {label}'s default profile for"
                f" {self.resolver.arch.value}, resolved for these capabilities"
            )
        elif cp.type == LOCALHOST and cp.localhost_profile is not None:
            found = self.localhost_profile(cp.localhost_profile)
            where = self.root / cp.localhost_profile
            if found is None:
                source = f"Localhost ({cp.origin}): {where} is missing or unreadable"
            elif self.engine.engine == "containerd":
                profile = _plain_oci(found)
                source = f"Localhost ({cp.origin}): {where}, read as plain OCI by {label}"
            else:
                profile = self.resolver.resolve(found, caps)
                source = f"Localhost ({cp.origin}): {where}, resolved by {label}"
        else:
            source = f"Unconfined ({cp.origin}): no seccomp filter"
        return EffectiveContainer(
            file=pod.file,
            document=pod.document,
            kind=pod.kind,
            name=pod.name,
            namespace=pod.namespace,
            container=cp.container,
            container_kind=cp.kind,
            type=cp.type,
            localhost_profile=cp.localhost_profile,
            origin=cp.origin,
            capabilities=caps,
            profile=profile,
            source=source,
            changes=changes,
            path=cp.path,
        )


def _at(data: Any, path: JSONPath) -> Mapping[str, Any]:
    for part in path:
        data = data[part]
    return data if isinstance(data, dict) else {}


def effective_manifests(
    sources: Iterable[str | os.PathLike[str] | IO[str] | IO[bytes] | YamlDocument],
    *,
    engine: str | EngineDefaults = "containerd",
    arch: Arch | str | None = None,
    kernel: str | None = None,
    root: str | os.PathLike[str] = DEFAULT_ROOT,
    seccomp_default: bool = False,
) -> EffectiveReport:
    """The effective capabilities and seccomp profile of every container in ``sources``.

    ``engine``: ``containerd``, ``cri-o``, ``docker`` or ``podman``, optionally ``@VERSION``
    (default: the newest modelled); ``arch``: the node's architecture (default: this machine's);
    ``kernel``: the node's release (``"6.1"``), needed when the engine's profile has
    ``minKernel`` rules; ``root``: the kubelet's seccomp root for Localhost profiles;
    ``seccomp_default``: the kubelet's ``SeccompDefault`` (RuntimeDefault when nothing is set).

    Unreadable or non-YAML manifests raise; an unmodelled engine, version or architecture raises
    :class:`InputError`; everything about the manifests is reported as diagnostics (those of
    :func:`check_manifests` at warning level and above, plus the capability findings).
    """
    defaults = engine if isinstance(engine, EngineDefaults) else engine_defaults(engine)
    target = native_arch() if arch is None else parse_arch(arch)
    if defaults.arches is not None and target not in defaults.arches:
        covered = ", ".join(a.value for a in defaults.arches)
        raise InputError(
            f"{defaults.label}'s defaults are modelled for {covered} only ({defaults.source});"
            f" {target.value} is not"
        )
    docs: dict[tuple[str, int], YamlDocument] = {}
    per_file: dict[str, int] = {}
    for source in sources:
        loaded = [source] if isinstance(source, YamlDocument) else load_documents(source)
        for doc in loaded:
            docs[(doc.source, doc.index)] = doc
            per_file.setdefault(doc.source, 0)
    checked = check_manifests(
        list(docs.values()),
        root=root,
        seccomp_default=seccomp_default,
        runtime=defaults.runtime_name,
        level="privileged",
    )
    work = _Effective(defaults, target, kernel, Path(os.fspath(root)), docs)
    work.diags.extend(d for d in checked.diagnostics if d.severity is not Severity.INFO)
    containers = []
    for pod in checked.pods:
        for cp in pod.containers:
            containers.append(work.container(pod, cp))
            per_file[pod.file] += 1
    for file, count in per_file.items():
        if count == 0:
            work.diags.append(
                Diagnostic(
                    Severity.ERROR,
                    "K8S060",
                    f"{file}: no container found (no Pod or workload with containers)",
                    file=file,
                )
            )
    return EffectiveReport(
        defaults, target, kernel, tuple(containers), tuple(sort_diagnostics(work.diags))
    )


def write_profiles(report: EffectiveReport, directory: str | os.PathLike[str]) -> list[Path]:
    """Write each container's profile as ``DIR/<kind>-<name>-<container>.json`` (containers
    without a filter get no file); return the paths. Two containers that would share a file
    name raise :class:`InputError` before anything is written."""
    from seccomp_kit.io import dumps

    out = Path(os.fspath(directory))
    chosen: dict[str, EffectiveContainer] = {}
    for c in report.containers:
        if c.profile is None:
            continue
        other = chosen.get(c.file_name)
        if other is not None:
            raise InputError(
                f"{c.file_name} would hold two containers: {other.namespace or '-'}/{other.name}"
                f" ({other.file}) and {c.namespace or '-'}/{c.name} ({c.file}); run them"
                " separately"
            )
        chosen[c.file_name] = c
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, c in chosen.items():
        assert c.profile is not None
        path = out / name
        tmp = path.with_name(f".{name}.tmp")
        tmp.write_text(dumps(c.profile), encoding="utf-8")
        os.replace(tmp, path)
        paths.append(path)
    return paths
