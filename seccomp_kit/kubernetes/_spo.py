"""The Security Profiles Operator's ``SeccompProfile`` resource: export and import.

The resource (``security-profiles-operator.x-k8s.io/v1``, kind ``SeccompProfile``) carries the
OCI profile fields in ``spec``: ``defaultAction``, ``architectures``, ``listenerPath``,
``listenerMetadata``, ``syscalls`` (``names``, ``action``, ``errnoRet``, ``args`` with ``index``,
``value``, ``valueTwo``, ``op``) and ``flags``, plus ``baseProfileName`` (a profile unioned into
this one by the operator) and ``disabled``. Its CRD is stricter than the OCI schema: no
``defaultErrnoRet``, ``errnoRet`` 1..4095 (0 means "unset", i.e. EPERM), at most six ``args``
with index 0..5 and values that fit an int64, no duplicates in ``names``/``architectures``/
``flags``, a fixed set of architectures. Export checks all of that up front and names every
problem, so nothing is silently changed by the API server or the operator.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import IO, Any

import attrs
import yaml

from seccomp_kit.errors import InputError, JSONPath, ProfileError, json_path
from seccomp_kit.io import convert, from_data, load, to_data
from seccomp_kit.io._dialects import PathLike
from seccomp_kit.kubernetes._yaml import YamlDocument, load_documents
from seccomp_kit.model import Action, Arch, Dialect, Profile

__all__ = [
    "SPO_API_VERSION",
    "SPO_GROUP",
    "SPOImport",
    "SeccompProfileResource",
    "dumps_seccomp_profiles",
    "export_seccomp_profile",
    "from_resource",
    "import_seccomp_profiles",
    "spo_problems",
    "summarize_problems",
    "to_resource",
]

SPO_GROUP = "security-profiles-operator.x-k8s.io"
SPO_API_VERSION = f"{SPO_GROUP}/v1"
_VERSIONS = frozenset({f"{SPO_GROUP}/v1", f"{SPO_GROUP}/v1beta1", f"{SPO_GROUP}/v1alpha1"})
_SPO_ARCHES = frozenset(Arch) - {Arch.LOONGARCH64, Arch.M68K, Arch.SH, Arch.SHEB}
_INT64_MAX = (1 << 63) - 1
_ERRNO_MAX = 4095
_EPERM = 1
_LISTENER_PATH = re.compile(r"/var/run/security-profiles-operator/[a-zA-Z0-9_\-.]+")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_SPEC_KEYS = frozenset(
    {
        "baseProfileName",
        "defaultAction",
        "architectures",
        "listenerPath",
        "listenerMetadata",
        "syscalls",
        "flags",
        "disabled",
    }
)
_RULE_KEYS = frozenset({"names", "action", "errnoRet", "args"})
_ARG_KEYS = frozenset({"index", "value", "valueTwo", "op"})


@attrs.frozen
class SeccompProfileResource:
    """A ``SeccompProfile`` custom resource: a name, the profile, and the operator's extras."""

    name: str
    profile: Profile
    base_profile_name: str | None = None
    namespace: str | None = None
    labels: tuple[tuple[str, str], ...] = ()
    annotations: tuple[tuple[str, str], ...] = ()
    disabled: bool | None = None
    api_version: str = SPO_API_VERSION


@attrs.frozen
class SPOImport:
    """What an import found: the resources, and the documents it skipped with the reason."""

    resources: tuple[SeccompProfileResource, ...]
    skipped: tuple[tuple[int, str], ...] = ()
    """(document index, why) for each document that is not a ``SeccompProfile``."""


def check_object_name(name: object, what: str = "name") -> str:
    """A Kubernetes object name (RFC 1123 DNS subdomain): lower-case, digits, ``-`` and ``.``."""
    if not isinstance(name, str):
        raise InputError(f"{what} must be a string, not {type(name).__name__}")
    if not name or len(name) > 253 or not _DNS_SUBDOMAIN.fullmatch(name):
        raise InputError(
            f"{what} {name!r} is not a valid Kubernetes object name (lower-case letters, digits,"
            " '-' and '.', starting and ending alphanumeric, at most 253 characters)"
        )
    return name


def spo_problems(profile: Profile) -> list[str]:
    """Everything in ``profile`` that a ``SeccompProfile`` cannot hold, each with its path.

    moby and containers/common profiles are read as their plain-OCI conversion (errno names
    become numbers, ``archMap`` is flattened, comments are dropped); rules that depend on
    capabilities, architectures or kernel versions cannot be said and are reported.
    """
    return _problems(*_plain(profile))


def _problems(plain: Profile, dropped: Sequence[str]) -> list[str]:
    """:func:`spo_problems` of a profile already converted to plain OCI."""
    problems: list[str] = []
    problems.extend(
        f"{d} (SeccompProfile has no includes/excludes)" for d in dropped if "comment" not in d
    )
    if plain.default_errno_ret is not None:
        problems.append(
            f"$.defaultErrnoRet: SeccompProfile has no defaultErrnoRet; the default errno"
            f" {plain.default_errno_ret} would become EPERM"
        )
    if plain.default_action == Action.NOTIFY:
        problems.append("$.defaultAction: SCMP_ACT_NOTIFY cannot be the default action")
    elif not isinstance(plain.default_action, Action):
        problems.append(f"$.defaultAction: unknown action {plain.default_action!r}")
    for i, arch in enumerate(plain.architectures):
        if arch not in _SPO_ARCHES:
            problems.append(f"$.architectures[{i}]: {arch} is not an architecture SPO accepts")
    problems.extend(_duplicates(plain.architectures, "$.architectures"))
    problems.extend(_duplicates(plain.flags, "$.flags"))
    if plain.listener_path is not None and (
        len(plain.listener_path) > 107 or not _LISTENER_PATH.fullmatch(plain.listener_path)
    ):
        problems.append(
            "$.listenerPath: must be /var/run/security-profiles-operator/<name> (at most 107"
            " characters)"
        )
    for key, _ in plain.extras:
        problems.append(f"{json_path((key,))}: unknown field; SeccompProfile cannot hold it")
    for r, rule in enumerate(plain.syscalls):
        at = f"$.syscalls[{r}]"
        if not rule.names:
            problems.append(f"{at}.names: SeccompProfile needs at least one name")
        problems.extend(_duplicates(rule.names, f"{at}.names"))
        if not isinstance(rule.action, Action):
            problems.append(f"{at}.action: unknown action {rule.action!r}")
        if rule.errno_ret is not None and not 1 <= rule.errno_ret <= _ERRNO_MAX:
            problems.append(
                f"{at}.errnoRet: {rule.errno_ret} is outside 1..{_ERRNO_MAX} (SPO treats 0 as"
                " unset)"
            )
        if len(rule.args) > 6:
            problems.append(f"{at}.args: SeccompProfile allows at most 6 conditions")
        for a, arg in enumerate(rule.args):
            if arg.index > 5:
                problems.append(f"{at}.args[{a}].index: {arg.index} is outside 0..5")
            if arg.value > _INT64_MAX:
                problems.append(f"{at}.args[{a}].value: {arg.value} does not fit SPO's int64")
            if arg.value_two is not None and arg.value_two > _INT64_MAX:
                problems.append(
                    f"{at}.args[{a}].valueTwo: {arg.value_two} does not fit SPO's int64"
                )
        for key, _ in rule.extras:
            problems.append(f"{at}.{key}: unknown field; SeccompProfile cannot hold it")
    return problems


def _duplicates(values: Sequence[object], at: str) -> list[str]:
    seen: set[object] = set()
    out: list[str] = []
    for i, value in enumerate(values):
        if value in seen:
            out.append(f"{at}[{i}]: {value} repeats (SeccompProfile keeps these as a set)")
        seen.add(value)
    return out


def _plain(profile: Profile) -> tuple[Profile, list[str]]:
    """The plain OCI profile the resource holds, and what converting to OCI dropped."""
    plain, dropped = (profile, []) if profile.dialect is Dialect.OCI else convert(profile, "oci")
    if plain.default_errno_ret == _EPERM and plain.default_action in (Action.ERRNO, Action.TRACE):
        # What a SeccompProfile's default gets anyway: saying it is no reason to refuse.
        plain = attrs.evolve(plain, default_errno_ret=None)
    return plain, dropped


_SUMMARY_KINDS = 4
_SUMMARY_PATHS = 3


def summarize_problems(problems: Sequence[str]) -> str:
    """:func:`spo_problems` in one short line: problems of one kind together, a few of their
    paths each, however large the profile."""
    kinds: dict[str, tuple[str, list[str]]] = {}
    for problem in problems:
        path, _, reason = problem.partition(": ")
        # One kind whatever the value ("12345 is outside 1..4095", "0 is outside ...") or the
        # syscall names ("$.syscalls[3] (ptrace, ...)"): the first one's words stand for all.
        kind = re.sub(r"\d+", "N", reason)
        kinds.setdefault(kind, (reason, []))[1].append(path)
    parts = []
    for reason, paths in list(kinds.values())[:_SUMMARY_KINDS]:
        shown = ", ".join(paths[:_SUMMARY_PATHS])
        if len(paths) > _SUMMARY_PATHS:
            shown += f" and {len(paths) - _SUMMARY_PATHS} more"
        parts.append(f"{shown}: {reason}")
    if len(kinds) > _SUMMARY_KINDS:
        parts.append(f"{len(kinds) - _SUMMARY_KINDS} more kind(s) of problem")
    count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
    return f"cannot be a SeccompProfile ({count}): " + "; ".join(parts)


def to_resource(
    profile: Profile | PathLike,
    name: str,
    *,
    base_profile_name: str | None = None,
    namespace: str | None = None,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    runtime: str | None = "runc",
) -> SeccompProfileResource:
    """Wrap ``profile`` as a ``SeccompProfile`` after checking it fits the CRD.

    With ``runtime`` set (the default) the profile is also validated for that runtime and
    refused if validation finds errors; ``runtime=None`` skips that (the CRD check stays).
    """
    if not isinstance(profile, Profile):
        profile = load(profile)
    check_object_name(name)
    if namespace is not None:
        check_object_name(namespace, "namespace")
    if base_profile_name is not None and not base_profile_name.startswith("oci://"):
        check_object_name(base_profile_name, "baseProfileName")
    if runtime is not None:
        from seccomp_kit.validation import check

        check(profile, runtime=runtime)
    plain, dropped = _plain(profile)
    problems = _problems(plain, dropped)
    if problems:
        raise ProfileError(
            summarize_problems(problems),
            source=profile.source.name if profile.source else None,
        )
    return SeccompProfileResource(
        name=name,
        profile=plain,
        base_profile_name=base_profile_name,
        namespace=namespace,
        labels=tuple((labels or {}).items()),
        annotations=tuple((annotations or {}).items()),
    )


def resource_data(resource: SeccompProfileResource) -> dict[str, Any]:
    """The resource as a Kubernetes object (dicts and lists), keys in the usual order."""
    metadata: dict[str, Any] = {"name": resource.name}
    if resource.namespace is not None:
        metadata["namespace"] = resource.namespace
    if resource.labels:
        metadata["labels"] = dict(resource.labels)
    if resource.annotations:
        metadata["annotations"] = dict(resource.annotations)
    spec: dict[str, Any] = {}
    if resource.base_profile_name is not None:
        spec["baseProfileName"] = resource.base_profile_name
    if resource.disabled is not None:
        spec["disabled"] = resource.disabled
    spec.update(to_data(resource.profile, Dialect.OCI))
    return {
        "apiVersion": resource.api_version,
        "kind": "SeccompProfile",
        "metadata": metadata,
        "spec": spec,
    }


def _yaml_dump(documents: Sequence[Mapping[str, Any]]) -> str:
    return yaml.safe_dump_all(
        documents,
        explicit_start=True,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100,
    )


def dumps_seccomp_profiles(resources: Sequence[SeccompProfileResource]) -> str:
    """Multi-document YAML text of ``resources`` (each starts with ``---``)."""
    return _yaml_dump([resource_data(r) for r in resources])


def export_seccomp_profile(
    profile: Profile | PathLike,
    name: str,
    *,
    base_profile_name: str | None = None,
    namespace: str | None = None,
    runtime: str | None = "runc",
) -> str:
    """YAML text of ``profile`` as one ``SeccompProfile`` resource (see :func:`to_resource`)."""
    resource = to_resource(
        profile,
        name,
        base_profile_name=base_profile_name,
        namespace=namespace,
        runtime=runtime,
    )
    return _yaml_dump([resource_data(resource)])


class _Importer:
    def __init__(self, doc: YamlDocument) -> None:
        self.doc = doc

    def fail(self, message: str, path: Sequence[str | int]) -> ProfileError:
        line, column = self.doc.position(path)
        return ProfileError(
            f"document {self.doc.index}: {message}",
            path=path,
            source=self.doc.source,
            line=line,
            column=column,
        )

    def mapping(self, value: Any, path: Sequence[str | int], what: str) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(f"{what} must be a mapping", path)
        return value

    def known_keys(
        self, value: Mapping[str, Any], allowed: frozenset[str], what: str, path: JSONPath
    ) -> None:
        for key in value:
            if key not in allowed:
                raise self.fail(f"unknown {what} {key!r}", (*path, key))

    def str_map(self, value: Any, path: Sequence[str | int]) -> tuple[tuple[str, str], ...]:
        if value is None:
            return ()
        items = self.mapping(value, path, "this field")
        for key, item in items.items():
            if not isinstance(key, str) or not isinstance(item, str):
                raise self.fail("keys and values must be strings", (*path, str(key)))
        return tuple(items.items())

    def resource(self, data: Mapping[str, Any]) -> SeccompProfileResource:
        api_version = data.get("apiVersion")
        if not isinstance(api_version, str) or api_version not in _VERSIONS:
            raise self.fail(
                f"apiVersion {_short(api_version)} is not one of {', '.join(sorted(_VERSIONS))}",
                ("apiVersion",),
            )
        meta = self.mapping(data.get("metadata"), ("metadata",), "metadata")
        name = meta.get("name")
        for key in ("name", "namespace"):
            if key == "name" or meta.get(key) is not None:
                try:
                    check_object_name(meta.get(key), f"metadata.{key}")
                except InputError as exc:
                    raise self.fail(exc.message, ("metadata", key)) from None
        spec = self.mapping(data.get("spec"), ("spec",), "spec")
        self.known_keys(spec, _SPEC_KEYS, "SeccompProfile field", ("spec",))
        base = spec.get("baseProfileName")
        if base is not None and not isinstance(base, str):
            raise self.fail("baseProfileName must be a string", ("spec", "baseProfileName"))
        disabled = spec.get("disabled")
        if disabled is not None and not isinstance(disabled, bool):
            raise self.fail("disabled must be true or false", ("spec", "disabled"))
        profile = self.profile(spec)
        return SeccompProfileResource(
            name=str(name),
            profile=profile,
            base_profile_name=base,
            namespace=meta.get("namespace"),
            labels=self.str_map(meta.get("labels"), ("metadata", "labels")),
            annotations=self.str_map(meta.get("annotations"), ("metadata", "annotations")),
            disabled=disabled,
            api_version=str(api_version),
        )

    def profile(self, spec: Mapping[str, Any]) -> Profile:
        if "defaultAction" not in spec:
            raise self.fail("spec lacks the required field 'defaultAction'", ("spec",))
        body = {k: v for k, v in spec.items() if k not in ("baseProfileName", "disabled")}
        # The operator reads the spec into Go fields where zero means unset; it then writes the
        # profile without them. Read what it installs: "" listener fields and errnoRet 0 are
        # absent (errnoRet 0 would otherwise make a runtime return success).
        for key in ("listenerPath", "listenerMetadata"):
            if body.get(key) == "":
                del body[key]
        rules = body.get("syscalls")
        if isinstance(rules, list):
            # Edited below: work on copies, never on the caller's document.
            body["syscalls"] = rules = [dict(r) if isinstance(r, dict) else r for r in rules]
            for r, rule in enumerate(rules):
                if not isinstance(rule, dict):
                    continue
                self.known_keys(rule, _RULE_KEYS, "syscall rule field", ("spec", "syscalls", r))
                if rule.get("errnoRet") == 0 and not isinstance(rule.get("errnoRet"), bool):
                    del rule["errnoRet"]
                args = rule.get("args")
                if isinstance(args, list):
                    rule["args"] = args = [dict(x) if isinstance(x, dict) else x for x in args]
                    for a, arg in enumerate(args):
                        if not isinstance(arg, dict):
                            continue
                        self.known_keys(
                            arg, _ARG_KEYS, "argument field", ("spec", "syscalls", r, "args", a)
                        )
                        # The operator's Go types omit a zero value; absent means 0.
                        arg.setdefault("value", 0)
        try:
            profile = from_data(body)
        except ProfileError as exc:
            raise self.fail(exc.message, ("spec", *exc.path)) from None
        if profile.dialect is not Dialect.OCI:  # pragma: no cover - unknown keys refused above
            raise self.fail("spec holds fields of another profile dialect", ("spec",))
        return profile


def from_resource(doc: YamlDocument | Mapping[str, Any]) -> SeccompProfileResource:
    """Read one ``SeccompProfile`` object (already parsed) into a resource."""
    if not isinstance(doc, YamlDocument):
        doc = YamlDocument(0, doc, None)
    data = doc.data
    if not isinstance(data, dict) or data.get("kind") != "SeccompProfile":
        raise _Importer(doc).fail("not a SeccompProfile resource", ("kind",))
    return _Importer(doc).resource(data)


def import_seccomp_profiles(
    source: PathLike | IO[str] | IO[bytes] | None = None,
    *,
    text: str | None = None,
    name: str = "<string>",
) -> SPOImport:
    """Every ``SeccompProfile`` in a multi-document YAML stream (``List`` kinds included).

    Other documents are skipped and listed with the reason; a malformed ``SeccompProfile``
    raises :class:`~seccomp_kit.errors.ProfileError` naming the document, field, line and column.
    """
    docs = load_documents(source, text=text, name=name)
    found: list[SeccompProfileResource] = []
    skipped: list[tuple[int, str]] = []
    for doc in docs:
        data = doc.data
        if data is None:
            continue
        if not isinstance(data, dict):
            skipped.append((doc.index, "not a mapping"))
            continue
        kind = data.get("kind")
        if kind == "SeccompProfile":
            found.append(_Importer(doc).resource(data))
        elif (
            isinstance(kind, str) and kind.endswith("List") and isinstance(data.get("items"), list)
        ):
            for i, item in enumerate(data["items"]):
                if isinstance(item, dict) and item.get("kind") == "SeccompProfile":
                    sub = YamlDocument(doc.index, item, _item_node(doc, i), doc.source)
                    found.append(_Importer(sub).resource(item))
                else:
                    skipped.append((doc.index, f"items[{i}] is not a SeccompProfile"))
        else:
            what = f"kind {kind!r}" if isinstance(kind, str) else "no kind"
            skipped.append((doc.index, f"{what}, not a SeccompProfile"))
    return SPOImport(tuple(found), tuple(skipped))


def _item_node(doc: YamlDocument, index: int) -> yaml.Node | None:
    node = doc.node
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == "items" and isinstance(value, yaml.SequenceNode):
                return value.value[index] if index < len(value.value) else None
    return None


def _short(value: Any) -> str:
    """``repr(value)`` cut to a length an error message can carry."""
    text = repr(value)
    return text if len(text) <= 60 else text[:56] + " ..."
