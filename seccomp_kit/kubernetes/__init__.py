"""Kubernetes integration: the kubelet seccomp root, the Security Profiles Operator, manifests.

- :func:`install` writes a profile under the kubelet's seccomp root (atomically, mode 0644,
  never outside the root, never an invalid profile) and returns the ``localhostProfile`` value.
- :func:`to_resource` / :func:`export_seccomp_profile` turn a profile into the Security Profiles
  Operator's ``SeccompProfile`` resource; :func:`import_seccomp_profiles` reads them back from
  multi-document YAML. The round trip is exact for every profile the resource can hold
  (:func:`spo_problems` says what it cannot).
- :func:`check_manifests` tells, for every container of Pods and workload templates, which
  profile it really runs with, checks Localhost profiles on disk, and gives the Pod Security
  baseline and restricted verdicts for seccomp and capabilities (``_podsecurity``).
- :func:`effective_manifests` gives every container's effective capabilities and seccomp profile
  on nodes of one engine version (``_effective``), from the engines' defaults shipped as data
  (``_engines``, :func:`engine_defaults`).

Owns the modules ``_install``, ``_spo``, ``_check``, ``_podsecurity``, ``_engines``,
``_effective`` and ``_yaml`` (safe YAML loading).
May import: ``model`` … ``validation``, ``algebra``; never ``record`` or ``cli``.
"""

from __future__ import annotations

from seccomp_kit.kubernetes._check import (
    CONTAINER_ANNOTATION_PREFIX,
    POD_ANNOTATION,
    CheckReport,
    ContainerProfile,
    PodReport,
    check_manifests,
)
from seccomp_kit.kubernetes._effective import (
    CapabilityChange,
    EffectiveContainer,
    EffectiveReport,
    effective_capabilities,
    effective_manifests,
    write_profiles,
)
from seccomp_kit.kubernetes._engines import (
    ENGINES,
    EngineDefaults,
    engine_defaults,
    modelled_engines,
)
from seccomp_kit.kubernetes._install import (
    DEFAULT_ROOT,
    InstallError,
    check_localhost_path,
    install,
    resolve_under_root,
)
from seccomp_kit.kubernetes._podsecurity import (
    BASELINE_ALLOWED,
    RESTRICTED_ADD,
    baseline_problems,
    restricted_problems,
)
from seccomp_kit.kubernetes._spo import (
    SPO_API_VERSION,
    SPO_GROUP,
    SeccompProfileResource,
    SPOImport,
    check_object_name,
    dumps_seccomp_profiles,
    export_seccomp_profile,
    from_resource,
    import_seccomp_profiles,
    resource_data,
    spo_problems,
    summarize_problems,
    to_resource,
)
from seccomp_kit.kubernetes._yaml import YamlDocument, load_documents

__all__ = [
    "BASELINE_ALLOWED",
    "CONTAINER_ANNOTATION_PREFIX",
    "DEFAULT_ROOT",
    "ENGINES",
    "POD_ANNOTATION",
    "RESTRICTED_ADD",
    "SPO_API_VERSION",
    "SPO_GROUP",
    "CapabilityChange",
    "CheckReport",
    "ContainerProfile",
    "EffectiveContainer",
    "EffectiveReport",
    "EngineDefaults",
    "InstallError",
    "PodReport",
    "SPOImport",
    "SeccompProfileResource",
    "YamlDocument",
    "baseline_problems",
    "check_localhost_path",
    "check_manifests",
    "check_object_name",
    "dumps_seccomp_profiles",
    "effective_capabilities",
    "effective_manifests",
    "engine_defaults",
    "export_seccomp_profile",
    "from_resource",
    "import_seccomp_profiles",
    "install",
    "load_documents",
    "modelled_engines",
    "resolve_under_root",
    "resource_data",
    "restricted_problems",
    "security_context_snippets",
    "spo_problems",
    "summarize_problems",
    "to_resource",
    "write_profiles",
]


def security_context_snippets(localhost_profile: str) -> str:
    """YAML for the pod-level and the container-level ``securityContext`` that select
    ``localhost_profile`` (as printed by ``seccomp-kit install``)."""
    import yaml

    check_localhost_path(localhost_profile)
    context = {
        "securityContext": {
            "seccompProfile": {"type": "Localhost", "localhostProfile": localhost_profile}
        }
    }
    body = yaml.safe_dump(context, sort_keys=False, default_flow_style=False)
    indented = "".join("  " + line for line in body.splitlines(keepends=True))
    return (
        "# Pod: every container of the pod (spec.securityContext)\n"
        "spec:\n"
        f"{indented}"
        "---\n"
        "# One container (spec.containers[*].securityContext); overrides the pod's\n"
        "spec:\n"
        "  containers:\n"
        "  - name: CONTAINER\n" + "".join("    " + line for line in body.splitlines(keepends=True))
    )
