"""The public API of the flat layout still imports, from the same paths, as the same objects.

``OLD_API`` is every module users were told about before the packages, with its ``__all__`` as
it was then (a fixed list: the layout must keep it, whatever the modules say about themselves
now). The same objects must come from the canonical paths, so the stable aliases are no copies.
"""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

OLD_API: dict[str, tuple[str, ...]] = {
    "seccomp_kit": (
        "Action",
        "Arch",
        "ArchMapEntry",
        "ArgCondition",
        "CapFilter",
        "CompileError",
        "CompiledFilter",
        "Diagnostic",
        "Dialect",
        "Flag",
        "InputError",
        "LibseccompUnavailableError",
        "LoadError",
        "Matcher",
        "Operator",
        "ParseError",
        "Profile",
        "ProfileError",
        "SeccompKitError",
        "Severity",
        "SyscallRule",
        "ValidationFailedError",
        "Verdict",
        "__version__",
        "compile_profile",
        "convert",
        "diff",
        "dump",
        "dumps",
        "extend",
        "load",
        "loads",
        "merge",
        "normalize",
        "resolve",
        "run",
        "validate",
    ),
    "seccomp_kit.arches": (
        "ArchInfo",
        "RUNC_UNSUPPORTED",
        "X32_SYSCALL_BIT",
        "arch_info",
        "by_audit",
        "by_native",
        "native_arch",
        "parse_arch",
    ),
    "seccomp_kit.audit": (
        "AuditEvent",
        "AuditParser",
        "AuditStats",
        "Reason",
        "TallyKey",
        "action_for_code",
        "parse",
        "parse_line",
        "tally",
    ),
    "seccomp_kit.bpf": (
        "BPFError",
        "Instruction",
        "MAX_INSTRUCTIONS",
        "Program",
        "SECCOMP_DATA_SIZE",
        "action_text",
        "check",
        "decode",
        "disassemble",
        "emulate",
        "encode",
        "kernel_arch_code",
        "longest_path",
        "seccomp_data",
        "trace",
    ),
    "seccomp_kit.capabilities": (
        "CAPABILITIES",
        "parse_capabilities",
        "parse_capability",
    ),
    "seccomp_kit.compile": (
        "CompiledFilter",
        "FILTER_FLAG_LOG",
        "FILTER_FLAG_NEW_LISTENER",
        "FILTER_FLAG_SPEC_ALLOW",
        "FILTER_FLAG_TSYNC",
        "FILTER_FLAG_WAIT_KILLABLE_RECV",
        "KILL_THREAD",
        "compile_profile",
        "compile_translation",
        "enosys_stub",
        "missing_rules",
    ),
    "seccomp_kit.diagnostics": (
        "Diagnostic",
        "Severity",
        "has_errors",
        "render",
        "render_text",
        "sort_diagnostics",
        "to_json_text",
    ),
    "seccomp_kit.diffing": (
        "ArgumentCase",
        "Change",
        "ProfileDiff",
        "SyscallChange",
        "boundary_arguments",
        "diff",
    ),
    "seccomp_kit.errnos": (
        "EPERM",
        "errno_name",
        "errno_number",
    ),
    "seccomp_kit.errors": (
        "CompileError",
        "InputError",
        "JSONPath",
        "LibseccompUnavailableError",
        "LoadError",
        "ParseError",
        "ProfileError",
        "SeccompKitError",
        "ValidationFailedError",
        "json_path",
        "json_pointer",
    ),
    "seccomp_kit.io": (
        "MAX_DEPTH",
        "MAX_DOCUMENT_BYTES",
        "convert",
        "detect_dialect",
        "dump",
        "dumps",
        "from_data",
        "load",
        "loads",
        "parse_json",
        "read_path_bytes",
        "read_source",
        "to_data",
    ),
    "seccomp_kit.kernel": (
        "BYPASS_SECCOMP",
        "Event",
        "HarnessError",
        "RealOutcome",
        "Rewrite",
        "observe",
        "observe_real",
        "rewrite",
        "run_events",
    ),
    "seccomp_kit.kubernetes": (
        "CONTAINER_ANNOTATION_PREFIX",
        "CheckReport",
        "ContainerProfile",
        "DEFAULT_ROOT",
        "InstallError",
        "POD_ANNOTATION",
        "PodReport",
        "SPOImport",
        "SPO_API_VERSION",
        "SPO_GROUP",
        "SeccompProfileResource",
        "YamlDocument",
        "check_localhost_path",
        "check_manifests",
        "check_object_name",
        "dumps_seccomp_profiles",
        "export_seccomp_profile",
        "from_resource",
        "import_seccomp_profiles",
        "install",
        "load_documents",
        "resolve_under_root",
        "resource_data",
        "security_context_snippets",
        "spo_problems",
        "to_resource",
    ),
    "seccomp_kit.match": (
        "BAD_ARCH_ACTION",
        "DecidedBy",
        "LibseccompLoopError",
        "Matcher",
        "Verdict",
        "action_of",
        "build_groups",
        "check_finishes",
        "kernel_audit",
    ),
    "seccomp_kit.merging": (
        "MAX_BASE_DEPTH",
        "Strategy",
        "extend",
        "extend_chain",
        "merge",
        "normalize",
    ),
    "seccomp_kit.model": (
        "Action",
        "Arch",
        "ArchMapEntry",
        "ArgCondition",
        "CapFilter",
        "Dialect",
        "Flag",
        "Operator",
        "Profile",
        "SourceText",
        "SyscallRule",
        "UINT32_MAX",
        "UINT64_MAX",
    ),
    "seccomp_kit.record": (
        "EventFilter",
        "LiveRecording",
        "RUNTIME_BASELINES",
        "Recording",
        "Refinement",
        "build_profile",
        "parse_time",
        "record",
        "record_command",
        "record_counts",
        "record_log",
        "refine",
    ),
    "seccomp_kit.resolving": (
        "Engine",
        "parse_kernel",
        "resolve",
    ),
    "seccomp_kit.resources": (
        "profile_names",
        "profiles_dir",
        "read_profile_text",
        "schemas_dir",
    ),
    "seccomp_kit.runner": (
        "Blocked",
        "CallOutcome",
        "RunReport",
        "for_this_host",
        "run",
        "run_callable",
    ),
    "seccomp_kit.schema": (
        "SCHEMA_FILES",
        "schema_errors",
        "schema_for",
        "validator_for",
    ),
    "seccomp_kit.semantics": (
        "CODES",
        "RUNTIMES",
        "Runtime",
        "parse_kernel",
        "semantic_checks",
    ),
    "seccomp_kit.strategies": (
        "DEFAULT_FLAGS",
        "RUNTIMES",
        "SyscallEvent",
        "arch_map_entries",
        "arg_conditions",
        "audit_records",
        "cap_filters",
        "profiles",
        "syscall_events",
        "syscall_rules",
    ),
    "seccomp_kit.syscalls": (
        "SyscallTable",
        "TABLE_VERSION",
        "all_names",
        "kernel_version",
        "resolve",
        "suggest",
        "table",
    ),
    "seccomp_kit.testing": (
        "SeccompViolation",
        "assert_runs_under",
        "run_under_profile",
    ),
    "seccomp_kit.translate": (
        "ERRNO_ENOSYS",
        "MAX_ARG_INDEX",
        "RUNTIMES",
        "RuleAdd",
        "Skip",
        "SkipReason",
        "Translation",
        "action_value",
        "translate",
    ),
    "seccomp_kit.validation": (
        "check",
        "validate",
        "validate_text",
    ),
}

# Where each name lives now (a module whose __all__ grew keeps its old names).
CANONICAL = {
    "seccomp_kit.arches": "seccomp_kit.syscalls.arches",
    "seccomp_kit.errnos": "seccomp_kit.syscalls.errnos",
    "seccomp_kit.capabilities": "seccomp_kit.syscalls.capabilities",
    "seccomp_kit.resources": "seccomp_kit.io.resources",
    "seccomp_kit.schema": "seccomp_kit.validation.schema",
    "seccomp_kit.semantics": "seccomp_kit.validation.semantics",
    "seccomp_kit.translate": "seccomp_kit.libseccomp.translate",
    "seccomp_kit.compile": "seccomp_kit.libseccomp.compile",
    "seccomp_kit.merging": "seccomp_kit.algebra.merging",
    "seccomp_kit.diffing": "seccomp_kit.algebra.diffing",
    "seccomp_kit.resolving": "seccomp_kit.algebra.resolving",
    "seccomp_kit.runner": "seccomp_kit.record.runner",
    "seccomp_kit.strategies": "seccomp_kit.testing.strategies",
    "seccomp_kit.kernel": "seccomp_kit.testing.kernel",
}


@pytest.mark.parametrize("module", sorted(OLD_API))
def test_every_old_name_still_imports(module: str) -> None:
    mod = importlib.import_module(module)
    missing = [name for name in OLD_API[module] if not hasattr(mod, name)]
    assert not missing, f"{module} lost {missing}"
    assert set(OLD_API[module]) <= set(mod.__all__)


@pytest.mark.parametrize("alias", sorted(CANONICAL))
def test_aliases_give_the_canonical_objects(alias: str) -> None:
    old = importlib.import_module(alias)
    new = importlib.import_module(CANONICAL[alias])
    for name in OLD_API[alias]:
        assert getattr(old, name) is getattr(new, name), f"{alias}.{name}"


def test_import_seccomp_kit_loads_only_the_model_and_errors() -> None:
    code = (
        "import sys, seccomp_kit;"
        "print(sorted(m for m in sys.modules if m.startswith('seccomp_kit')));"
        "print(sorted(m for m in ('numpy', 'jsonschema', 'yaml', 'pyseccomp', 'hypothesis')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    ours, heavy = out.stdout.splitlines()
    assert ours == "['seccomp_kit', 'seccomp_kit.errors', 'seccomp_kit.model']"
    assert heavy == "[]"


def test_each_package_says_what_it_owns_and_may_import() -> None:
    for name in ("algebra", "audit", "bpf", "io", "kubernetes", "libseccomp", "match", "record",
                 "syscalls", "testing", "validation"):  # fmt: skip
        doc = importlib.import_module(f"seccomp_kit.{name}").__doc__ or ""
        assert "May import" in doc or "may import" in doc, name
