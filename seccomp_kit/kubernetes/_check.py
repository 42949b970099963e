"""Which seccomp profile each container of a manifest really gets, and Pod Security verdicts.

Resolution follows what a Pod goes through on its way to a node:

1. a privileged container runs without seccomp whatever is set (container runtimes skip the
   filter for privileged containers);
2. the API server copies a deprecated annotation into the matching field when only the
   annotation is set (``applySeccompVersionSkew`` in kubernetes ``pkg/api/pod/util.go``), and
   refuses a pod whose annotation and field disagree; so the container's field comes first, then
   its annotation ``container.seccomp.security.alpha.kubernetes.io/<name>``, then the pod's
   field, then the pod annotation ``seccomp.security.alpha.kubernetes.io/pod``;
3. with nothing set, the kubelet uses Unconfined, or RuntimeDefault when its ``SeccompDefault``
   option is on.

Pod Security Standards (``pod-security-admission``, checks ``seccompProfile_baseline`` and
``seccompProfile_restricted`` for v1.19 and later) are judged on the fields after step 2:
baseline forbids an explicit ``Unconfined`` anywhere; restricted needs ``RuntimeDefault`` or
``Localhost`` on the pod, or on every container (init and ephemeral included), and no container
may set anything else. Windows pods are exempt from the restricted seccomp check.

Why one file of this length: the resolution above is one walk over each workload (pod fields,
annotations, every container kind) that the verdicts, the Localhost checks and the JSON
fields all read from; the YAML loading, installing and SPO handling live in their own modules.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import attrs

from seccomp_kit.diagnostics import Diagnostic, Severity, has_errors, sort_diagnostics
from seccomp_kit.errors import InputError, JSONPath, SeccompKitError, json_path
from seccomp_kit.kubernetes._install import DEFAULT_ROOT, check_localhost_path, resolve_under_root
from seccomp_kit.kubernetes._podsecurity import baseline_problems, restricted_problems
from seccomp_kit.kubernetes._yaml import YamlDocument, load_documents

__all__ = [
    "CONTAINER_ANNOTATION_PREFIX",
    "POD_ANNOTATION",
    "CheckReport",
    "ContainerProfile",
    "PodReport",
    "check_manifests",
]

POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
CONTAINER_ANNOTATION_PREFIX = "container.seccomp.security.alpha.kubernetes.io/"
UNCONFINED = "Unconfined"
RUNTIME_DEFAULT = "RuntimeDefault"
LOCALHOST = "Localhost"
_TYPES = (UNCONFINED, RUNTIME_DEFAULT, LOCALHOST)

# kind -> path from the document root to the pod template (its metadata and spec below it).
_TEMPLATE_PATHS: dict[str, JSONPath] = {
    "Pod": (),
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
    "PodTemplate": ("template",),
}
# Kinds commonly found beside workloads that embed no pod: skipped quietly.
_NO_POD_KINDS = frozenset(
    {
        "APIService",
        "ClusterRole",
        "ClusterRoleBinding",
        "ConfigMap",
        "ControllerRevision",
        "CSIDriver",
        "CustomResourceDefinition",
        "Endpoints",
        "EndpointSlice",
        "Event",
        "HorizontalPodAutoscaler",
        "Ingress",
        "IngressClass",
        "Lease",
        "LimitRange",
        "MutatingWebhookConfiguration",
        "Namespace",
        "NetworkPolicy",
        "Node",
        "PersistentVolume",
        "PersistentVolumeClaim",
        "PodDisruptionBudget",
        "PriorityClass",
        "ProfileBinding",
        "ProfileRecording",
        "ResourceQuota",
        "Role",
        "RoleBinding",
        "RuntimeClass",
        "SeccompProfile",
        "Secret",
        "Service",
        "ServiceAccount",
        "StorageClass",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
    }
)
_CONTAINER_LISTS = (
    ("initContainers", "initContainer"),
    ("containers", "container"),
    ("ephemeralContainers", "ephemeralContainer"),
)


@attrs.frozen
class ContainerProfile:
    """The profile one container runs with, and where that came from."""

    container: str
    kind: str
    """``container``, ``initContainer`` or ``ephemeralContainer``."""
    type: str
    """``Unconfined``, ``RuntimeDefault`` or ``Localhost``."""
    localhost_profile: str | None
    origin: str
    """``privileged``, ``container field``, ``container annotation``, ``pod field``,
    ``pod annotation`` or ``kubelet default``."""
    path: JSONPath


@attrs.frozen
class PodReport:
    """One pod (or pod template) of a manifest."""

    file: str
    document: int
    kind: str
    name: str
    namespace: str | None
    path: JSONPath
    containers: tuple[ContainerProfile, ...]
    baseline: bool
    """Pod Security baseline's seccomp rule holds (``capabilities_baseline``: its capability
    rule)."""
    restricted: bool
    """Pod Security restricted's seccomp rule holds (``capabilities_restricted``: its capability
    rule)."""
    windows: bool = False
    capabilities_baseline: bool = True
    capabilities_restricted: bool = True

    @property
    def label(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {ns}{self.name}"


@attrs.frozen
class CheckReport:
    """Everything :func:`check_manifests` found."""

    pods: tuple[PodReport, ...]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def has_errors(self) -> bool:
        return has_errors(self.diagnostics)


@attrs.frozen
class _Declared:
    """A seccompProfile as declared (field or annotation), after syntax checks."""

    type: str
    localhost_profile: str | None
    path: JSONPath
    origin: str


class _Checker:
    def __init__(
        self,
        *,
        root: str | os.PathLike[str],
        seccomp_default: bool,
        runtime: str,
        level: str,
    ) -> None:
        self.root = Path(os.fspath(root))
        self.seccomp_default = seccomp_default
        self.runtime = runtime
        self.level = level
        self.diags: list[Diagnostic] = []
        self.pods: list[PodReport] = []
        self.profile_cache: dict[Path, list[tuple[Severity, str, str]]] = {}
        self.doc = YamlDocument(0, None, None)

    # -- reporting ------------------------------------------------------------------------

    def report(
        self,
        severity: Severity,
        code: str,
        message: str,
        path: Sequence[str | int],
        suggestion: str | None = None,
    ) -> None:
        doc = self.doc
        line, column = doc.position(path)
        self.diags.append(
            Diagnostic(
                severity=severity,
                code=code,
                message=message,
                path=tuple(path),
                line=line,
                column=column,
                file=doc.source,
                suggestion=suggestion,
            )
        )

    # -- documents ------------------------------------------------------------------------

    def document(self, doc: YamlDocument) -> None:
        self.doc = doc
        data = doc.data
        if data is None:
            return
        first = len(self.diags)
        self.object(data, (), f"document {doc.index}")
        kind = data.get("kind") if isinstance(data, dict) else None
        for i in range(first, len(self.diags)):
            if not self.diags[i].context:  # outside any pod: the document's own fields
                self.diags[i] = attrs.evolve(
                    self.diags[i],
                    context=_context(
                        doc.index, kind if isinstance(kind, str) else None, None, None, None
                    ),
                )

    def object(self, data: Any, at: JSONPath, where: str) -> None:
        if not isinstance(data, dict):
            self.report(
                Severity.ERROR, "K8S001", f"{where}: not a Kubernetes object (a mapping)", at
            )
            return
        kind = data.get("kind")
        if not isinstance(kind, str) or not kind:
            self.report(Severity.ERROR, "K8S001", f"{where}: has no 'kind'", at)
            return
        if not isinstance(data.get("apiVersion"), str):
            self.report(Severity.ERROR, "K8S001", f"{where}: {kind} has no 'apiVersion'", at)
        if kind.endswith("List") and "items" in data:
            items = data["items"]
            if not isinstance(items, list):
                self.report(
                    Severity.ERROR,
                    "K8S003",
                    f"{where}: {kind}.items is not a list",
                    (*at, "items"),
                )
                return
            for i, item in enumerate(items):
                self.object(item, (*at, "items", i), f"{where} items[{i}]")
            return
        template = _TEMPLATE_PATHS.get(kind)
        if template is None:
            self.unknown_kind(kind, at, where)
            return
        meta = data.get("metadata")
        name = meta.get("name") if isinstance(meta, dict) else None
        namespace = meta.get("namespace") if isinstance(meta, dict) else None
        label = f"{kind} {name}" if isinstance(name, str) else f"{kind} (unnamed)"
        self.pod(
            data,
            at,
            template,
            kind=kind,
            name=name if isinstance(name, str) else "",
            namespace=namespace if isinstance(namespace, str) else None,
            where=f"{where} {label}",
        )

    def unknown_kind(self, kind: str, at: JSONPath, where: str) -> None:
        if kind in _NO_POD_KINDS:
            return
        close = difflib.get_close_matches(kind, list(_TEMPLATE_PATHS), n=1, cutoff=0.8)
        if close:
            self.report(
                Severity.ERROR,
                "K8S002",
                f"{where}: unknown kind {kind!r}",
                (*at, "kind"),
                suggestion=f"did you mean {close[0]!r}?",
            )
        else:
            self.report(
                Severity.WARNING,
                "K8S002",
                f"{where}: kind {kind!r} holds no pod template seccomp-kit knows; not checked",
                (*at, "kind"),
            )

    def walk(self, data: Any, path: JSONPath, start: JSONPath, where: str) -> Any:
        """The value at ``path`` below ``data`` (``start`` is data's own path), or None after
        reporting the first missing or mistyped step."""
        value = data
        for n, part in enumerate(path):
            if not isinstance(value, dict):
                self.report(
                    Severity.ERROR,
                    "K8S003",
                    f"{where}: {json_path(path[:n]) or '$'} must be a mapping",
                    (*start, *path[:n]),
                )
                return None
            if part not in value or value[part] is None:
                self.report(
                    Severity.ERROR,
                    "K8S003",
                    f"{where}: missing required field {json_path(path[: n + 1])}",
                    (*start, *path[:n]),
                )
                return None
            value = value[part]
        return value

    # -- pods -----------------------------------------------------------------------------

    def pod(
        self,
        data: Mapping[str, Any],
        at: JSONPath,
        relative: JSONPath,
        *,
        kind: str,
        name: str,
        namespace: str | None,
        where: str,
    ) -> None:
        template: JSONPath = (*at, *relative)
        first = len(self.diags)
        tpl = self.walk(data, relative, at, where)
        if tpl is None:
            return
        if not isinstance(tpl, dict):
            self.report(
                Severity.ERROR, "K8S003", f"{where}: pod template must be a mapping", template
            )
            return
        spec_path = (*template, "spec")
        spec = self.walk(tpl, ("spec",), template, where)
        if spec is None:
            return
        if not isinstance(spec, dict):
            self.report(Severity.ERROR, "K8S003", f"{where}: pod spec must be a mapping", spec_path)
            return
        meta = tpl.get("metadata")
        annotations = meta.get("annotations") if isinstance(meta, dict) else None
        ann_path: JSONPath = (*template, "metadata", "annotations")
        if annotations is not None and not isinstance(annotations, dict):
            self.report(
                Severity.ERROR, "K8S003", f"{where}: annotations must be a mapping", ann_path
            )
            annotations = None
        annotations = annotations or {}

        windows = _windows(spec)
        pod_sc_path: JSONPath = (*spec_path, "securityContext", "seccompProfile")
        pod_field = self.field(spec.get("securityContext"), pod_sc_path, where, "pod")
        pod_ann = self.annotation(annotations, POD_ANNOTATION, ann_path, where)
        self.agree(pod_field, pod_ann, where, "the pod")

        containers = list(self.containers(spec, spec_path, where))
        if not spec.get("containers"):
            self.report(
                Severity.ERROR,
                "K8S003",
                f"{where}: the pod has no containers",
                spec_path,
            )
        results: list[ContainerProfile] = []
        # Fields after the API server's annotation -> field copy: what Pod Security judges.
        pod_synced = pod_field or pod_ann
        synced: list[tuple[str, _Declared | None]] = []
        caps_found: list[tuple[str, JSONPath, list[str], list[str]]] = []
        for cname, ckind, cpath, cdata in containers:
            sc = cdata.get("securityContext")
            caps = sc.get("capabilities") if isinstance(sc, dict) else None
            caps_found.append(
                (
                    f"{ckind} {cname!r}",
                    (*cpath, "securityContext", "capabilities"),
                    baseline_problems(caps),
                    restricted_problems(caps),
                )
            )
            field = self.field(
                sc, (*cpath, "securityContext", "seccompProfile"), where, f"{ckind} {cname!r}"
            )
            ann = self.annotation(annotations, CONTAINER_ANNOTATION_PREFIX + cname, ann_path, where)
            self.agree(field, ann, where, f"{ckind} {cname!r}")
            synced.append((cname, field or ann))
            privileged = isinstance(sc, dict) and sc.get("privileged") is True
            chosen = field or ann or pod_field or pod_ann
            if privileged:
                profile = ContainerProfile(cname, ckind, UNCONFINED, None, "privileged", cpath)
            elif chosen is not None:
                profile = ContainerProfile(
                    cname, ckind, chosen.type, chosen.localhost_profile, chosen.origin, cpath
                )
            else:
                default = RUNTIME_DEFAULT if self.seccomp_default else UNCONFINED
                profile = ContainerProfile(cname, ckind, default, None, "kubelet default", cpath)
            results.append(profile)
            self.effective(profile, chosen, where, windows)

        baseline, restricted = self.verdicts(
            where, spec_path=spec_path, pod=pod_synced, containers=synced, windows=windows
        )
        caps_baseline, caps_restricted = self.capability_verdicts(where, caps_found, windows)
        self.place(first, kind=kind, name=name, namespace=namespace, containers=results)
        self.pods.append(
            PodReport(
                file=self.doc.source,
                document=self.doc.index,
                kind=kind,
                name=name,
                namespace=namespace,
                path=template,
                containers=tuple(results),
                baseline=baseline,
                restricted=restricted,
                windows=windows,
                capabilities_baseline=caps_baseline,
                capabilities_restricted=caps_restricted,
            )
        )

    def place(
        self,
        first: int,
        *,
        kind: str,
        name: str,
        namespace: str | None,
        containers: Sequence[ContainerProfile],
    ) -> None:
        """Give the pod's findings (from index ``first``) the fields that place them: the
        document, the object and, for a container's own findings, the container and the
        profile it runs with."""
        for i in range(first, len(self.diags)):
            diag = self.diags[i]
            owner = next((c for c in containers if diag.path[: len(c.path)] == c.path), None)
            if owner is None:
                owner = next(
                    (
                        c
                        for c in containers
                        if diag.path[-1:] == (CONTAINER_ANNOTATION_PREFIX + c.container,)
                    ),
                    None,
                )
            self.diags[i] = attrs.evolve(
                diag,
                context=_context(self.doc.index, kind, namespace, name, owner),
            )

    def containers(
        self, spec: Mapping[str, Any], spec_path: JSONPath, where: str
    ) -> Iterator[tuple[str, str, JSONPath, Mapping[str, Any]]]:
        for key, ckind in _CONTAINER_LISTS:
            items = spec.get(key)
            if items is None:
                continue
            if not isinstance(items, list):
                self.report(
                    Severity.ERROR,
                    "K8S003",
                    f"{where}: {key} must be a list",
                    (*spec_path, key),
                )
                continue
            for i, item in enumerate(items):
                cpath: JSONPath = (*spec_path, key, i)
                if not isinstance(item, dict):
                    self.report(
                        Severity.ERROR,
                        "K8S003",
                        f"{where}: {key}[{i}] must be a mapping",
                        cpath,
                    )
                    continue
                cname = item.get("name")
                if not isinstance(cname, str) or not cname:
                    self.report(Severity.ERROR, "K8S010", f"{where}: {key}[{i}] has no name", cpath)
                    continue
                sc = item.get("securityContext")
                if sc is not None and not isinstance(sc, dict):
                    self.report(
                        Severity.ERROR,
                        "K8S003",
                        f"{where}: {ckind} {cname!r}: securityContext must be a mapping",
                        (*cpath, "securityContext"),
                    )
                    yield (
                        cname,
                        ckind,
                        cpath,
                        {k: v for k, v in item.items() if k != "securityContext"},
                    )
                    continue
                yield cname, ckind, cpath, item

    def field(self, sc: Any, path: JSONPath, where: str, owner: str) -> _Declared | None:
        if sc is None:
            return None
        if not isinstance(sc, dict):
            self.report(
                Severity.ERROR,
                "K8S003",
                f"{where}: {owner} securityContext must be a mapping",
                path[:-1],
            )
            return None
        value = sc.get("seccompProfile")
        if value is None:
            return None
        if not isinstance(value, dict):
            self.report(
                Severity.ERROR,
                "K8S003",
                f"{where}: {owner} seccompProfile must be a mapping",
                path,
            )
            return None
        kind = value.get("type")
        if kind is None:
            self.report(
                Severity.ERROR,
                "K8S020",
                f"{where}: {owner} seccompProfile has no 'type'",
                path,
                suggestion="set type to RuntimeDefault, Localhost or Unconfined",
            )
            return None
        if kind not in _TYPES:
            close = difflib.get_close_matches(str(kind), _TYPES, n=1, cutoff=0.6)
            self.report(
                Severity.ERROR,
                "K8S020",
                f"{where}: {owner} seccompProfile.type {kind!r} is not one of {', '.join(_TYPES)}",
                (*path, "type"),
                suggestion=f"did you mean {close[0]!r}?" if close else None,
            )
            return None
        local = value.get("localhostProfile")
        origin = "container field" if owner != "pod" else "pod field"
        if kind == LOCALHOST:
            if local is None or local == "":
                self.report(
                    Severity.ERROR,
                    "K8S021",
                    f"{where}: {owner} seccompProfile type Localhost needs localhostProfile",
                    path,
                )
                return None
            if not self.localhost_name(local, (*path, "localhostProfile"), where, owner):
                return None
            return _Declared(kind, local, path, origin)
        if local is not None:
            self.report(
                Severity.ERROR,
                "K8S022",
                f"{where}: {owner} sets localhostProfile with type {kind}; the API server"
                " accepts it only with type Localhost",
                (*path, "localhostProfile"),
            )
        return _Declared(kind, None, path, origin)

    def localhost_name(self, local: Any, path: JSONPath, where: str, owner: str) -> bool:
        try:
            check_localhost_path(local)
        except InputError as exc:
            self.report(Severity.ERROR, "K8S023", f"{where}: {owner}: {exc.message}", path)
            return False
        return True

    def annotation(
        self,
        annotations: Mapping[str, Any],
        key: str,
        ann_path: JSONPath,
        where: str,
    ) -> _Declared | None:
        if key not in annotations:
            return None
        value = annotations[key]
        path = (*ann_path, key)
        origin = "pod annotation" if key == POD_ANNOTATION else "container annotation"
        if value == "unconfined":
            return _Declared(UNCONFINED, None, path, origin)
        if value in ("runtime/default", "docker/default"):
            return _Declared(RUNTIME_DEFAULT, None, path, origin)
        if isinstance(value, str) and value.startswith("localhost/"):
            local = value.removeprefix("localhost/")
            if not self.localhost_name(local, path, where, f"annotation {key}"):
                return None
            return _Declared(LOCALHOST, local, path, origin)
        self.report(
            Severity.ERROR,
            "K8S024",
            f"{where}: annotation {key} has the invalid value {value!r}; the API server"
            " accepts runtime/default, docker/default, unconfined or localhost/<path>",
            path,
        )
        return None

    def agree(
        self,
        field: _Declared | None,
        ann: _Declared | None,
        where: str,
        owner: str,
    ) -> None:
        if field is None or ann is None:
            return
        if (field.type, field.localhost_profile) != (ann.type, ann.localhost_profile):
            self.report(
                Severity.ERROR,
                "K8S025",
                f"{where}: {owner}: the seccompProfile field ({_describe(field)}) and the"
                f" deprecated annotation ({_describe(ann)}) disagree; the API server refuses"
                " such a pod",
                ann.path,
            )

    # -- effective profiles and their files -----------------------------------------------

    def effective(
        self,
        profile: ContainerProfile,
        chosen: _Declared | None,
        where: str,
        windows: bool,
    ) -> None:
        owner = f"{profile.kind} {profile.container!r}"
        if windows:
            self.report(
                Severity.INFO,
                "K8S052",
                f"{where}: {owner}: a Windows pod; seccomp does not apply",
                profile.path,
            )
            return
        text = f"{where}: {owner} runs {_describe(profile)} ({profile.origin})"
        if profile.type == UNCONFINED:
            self.report(
                Severity.WARNING,
                "K8S041",
                f"{text}: no seccomp filter",
                profile.path,
                suggestion=None
                if profile.origin == "privileged"
                else "set securityContext.seccompProfile.type: RuntimeDefault",
            )
            return
        self.report(Severity.INFO, "K8S040", text, profile.path)
        if profile.type == LOCALHOST and chosen is not None and profile.localhost_profile:
            self.localhost_file(profile.localhost_profile, chosen.path, where, owner)

    def localhost_file(self, local: str, path: JSONPath, where: str, owner: str) -> None:
        if not self.root.is_dir():
            self.report(
                Severity.WARNING,
                "K8S031",
                f"{where}: {owner}: Localhost profile {local!r} not checked: the seccomp root"
                f" {self.root} does not exist here",
                path,
                suggestion="pass --root with a copy of the node's seccomp root",
            )
            return
        try:
            target = resolve_under_root(self.root, local)
        except InputError as exc:
            self.report(Severity.ERROR, "K8S034", f"{where}: {owner}: {exc.message}", path)
            return
        if not target.is_file():
            self.report(
                Severity.ERROR,
                "K8S030",
                f"{where}: {owner}: Localhost profile {local!r} does not exist under"
                f" {self.root}; the kubelet fails to create the container",
                path,
            )
            return
        for severity, code, message in self.profile_findings(target):
            self.report(
                severity,
                code,
                f"{where}: {owner}: Localhost profile {local!r} {message}",
                path,
            )

    def profile_findings(self, target: Path) -> list[tuple[Severity, str, str]]:
        if target in self.profile_cache:
            return self.profile_cache[target]
        from seccomp_kit.io import load
        from seccomp_kit.validation import validate

        found: list[tuple[Severity, str, str]] = []
        try:
            diags = validate(load(target), runtime=self.runtime)
        except SeccompKitError as exc:
            found.append((Severity.ERROR, "K8S033", f"cannot be read: {exc}"))
        else:
            errors = [d for d in diags if d.severity is Severity.ERROR]
            warnings = [d for d in diags if d.severity is Severity.WARNING]
            if errors:
                first = errors[0]
                found.append(
                    (
                        Severity.ERROR,
                        "K8S032",
                        f"fails validation for {self.runtime} with {len(errors)} error(s),"
                        f" first: {first.code} {first.message} at {first.json_path}",
                    )
                )
            elif warnings:
                found.append(
                    (
                        Severity.INFO,
                        "K8S032",
                        f"validates for {self.runtime} with {len(warnings)} warning(s)"
                        " (run 'seccomp-kit validate' on it)",
                    )
                )
        self.profile_cache[target] = found
        return found

    # -- Pod Security ---------------------------------------------------------------------

    def verdicts(
        self,
        where: str,
        *,
        spec_path: JSONPath,
        pod: _Declared | None,
        containers: Sequence[tuple[str, _Declared | None]],
        windows: bool,
    ) -> tuple[bool, bool]:
        # baseline: nothing may explicitly set Unconfined.
        offenders = [("the pod", pod)] if pod is not None and pod.type == UNCONFINED else []
        offenders += [
            (f"container {name!r}", d)
            for name, d in containers
            if d is not None and d.type == UNCONFINED
        ]
        bad = [f"{who} ({d.origin})" for who, d in offenders]
        baseline = not bad
        restricted_reasons: list[str] = []
        if offenders:
            first = offenders[0][1].path
            severity = (
                Severity.ERROR if self.level in ("baseline", "restricted") else Severity.WARNING
            )
            self.report(
                severity,
                "K8S050",
                f"{where}: violates Pod Security baseline: seccompProfile.type Unconfined is"
                f" set on {', '.join(bad)}",
                first,
                suggestion="use RuntimeDefault or a Localhost profile",
            )
            restricted_reasons.append(f"Unconfined set on {', '.join(bad)}")
        if not windows:
            pod_ok = pod is not None and pod.type in (RUNTIME_DEFAULT, LOCALHOST)
            if not pod_ok:
                unset = [name for name, d in containers if d is None]
                if unset:
                    restricted_reasons.append(
                        "neither the pod nor container(s) "
                        + ", ".join(repr(n) for n in unset)
                        + " set RuntimeDefault or Localhost"
                    )
        restricted = not restricted_reasons
        if restricted_reasons:
            severity = Severity.ERROR if self.level == "restricted" else Severity.WARNING
            self.report(
                severity,
                "K8S051",
                f"{where}: violates Pod Security restricted: {'; '.join(restricted_reasons)}",
                spec_path,
                suggestion="set spec.securityContext.seccompProfile.type: RuntimeDefault",
            )
        else:
            self.report(
                Severity.INFO,
                "K8S053",
                f"{where}: meets the seccomp rules of Pod Security baseline and restricted",
                spec_path,
            )
        return baseline, restricted

    def capability_verdicts(
        self,
        where: str,
        found: Sequence[tuple[str, JSONPath, list[str], list[str]]],
        windows: bool,
    ) -> tuple[bool, bool]:
        """Pod Security's capability rules (K8S054 baseline, K8S055 restricted)."""
        baseline = restricted = True
        strict = self.level in ("baseline", "restricted")
        for who, path, base_bad, restricted_bad in found:
            if base_bad:
                baseline = False
                self.report(
                    Severity.ERROR if strict else Severity.WARNING,
                    "K8S054",
                    f"{where}: violates Pod Security baseline: {who} {'; '.join(base_bad)}",
                    path,
                    suggestion="add only AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL,"
                    " MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT",
                )
            if restricted_bad and not windows:
                restricted = False
                self.report(
                    Severity.ERROR if self.level == "restricted" else Severity.WARNING,
                    "K8S055",
                    f"{where}: violates Pod Security restricted: {who} {'; '.join(restricted_bad)}",
                    path,
                    suggestion="set capabilities.drop: [ALL]; add at most NET_BIND_SERVICE",
                )
        return baseline, restricted


def _windows(spec: Mapping[str, Any]) -> bool:
    os_field = spec.get("os")
    return isinstance(os_field, dict) and os_field.get("name") == "windows"


def _describe(profile: _Declared | ContainerProfile) -> str:
    if profile.type == LOCALHOST:
        return f"Localhost {profile.localhost_profile}"
    return profile.type


def check_manifests(
    sources: Iterable[str | os.PathLike[str] | IO[str] | IO[bytes] | YamlDocument],
    *,
    root: str | os.PathLike[str] = DEFAULT_ROOT,
    seccomp_default: bool = False,
    runtime: str = "runc",
    level: str = "baseline",
) -> CheckReport:
    """Check every pod and pod template in ``sources`` (paths, open files or parsed documents).

    ``level`` is the Pod Security level whose violations are errors: ``baseline`` (restricted
    violations are then warnings), ``restricted`` (both are errors) or ``privileged`` (both are
    warnings). Unreadable files and YAML that does not parse raise
    :class:`~seccomp_kit.errors.LoadError` / :class:`~seccomp_kit.errors.ParseError`; everything
    else is reported as diagnostics.
    """
    if level not in ("baseline", "restricted", "privileged"):
        raise InputError(
            f"unknown Pod Security level {level!r}; use baseline, restricted or privileged"
        )
    checker = _Checker(root=root, seccomp_default=seccomp_default, runtime=runtime, level=level)
    for source in sources:
        docs = [source] if isinstance(source, YamlDocument) else load_documents(source)
        for doc in docs:
            checker.document(doc)
    return CheckReport(tuple(checker.pods), tuple(sort_diagnostics(checker.diags)))


_CONTAINER_KINDS = {
    "initContainer": "init",
    "container": "regular",
    "ephemeralContainer": "ephemeral",
}


def _context(
    document: int,
    kind: str | None,
    namespace: str | None,
    name: str | None,
    container: ContainerProfile | None,
) -> tuple[tuple[str, str | int | None], ...]:
    """The fields every ``k8s check --format json`` finding carries (null where they do not
    apply), so a pipeline can select by object and container without parsing messages."""
    return (
        ("document", document),
        ("kind", kind),
        ("namespace", namespace),
        ("name", name or None),
        ("container", container.container if container else None),
        ("container_kind", _CONTAINER_KINDS[container.kind] if container else None),
        ("profile_type", container.type if container else None),
        ("profile_origin", container.origin if container else None),
        ("localhost_profile", container.localhost_profile if container else None),
    )
