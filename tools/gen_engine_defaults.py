"""Generate engines/*.json: each container engine's default seccomp profile and capability set.

    python tools/gen_engine_defaults.py            # the files from packages and the corpus
    python tools/gen_engine_defaults.py --observe  # also containerd and Docker (root, engines)

Sources, one per file (each file names its own):

* Podman 4.3.1: Debian 12's ``golang-github-containers-common`` package
  (``/usr/share/containers/seccomp.json`` and the ``default_capabilities`` of
  ``/usr/share/containers/containers.conf``), which Debian's ``podman`` reads.
* CRI-O and the newest Podman/Docker: the containers/common and moby/profiles default profiles in
  the shared corpus (``../shared/corpus/profiles``, commits in its README), with the engines'
  default capability sets.
* containerd 1.6.20 and Docker 20.10.24 build their profile in Go, so it is OBSERVED with
  ``--observe``: each engine (Debian 12's packages, started privately by
  :mod:`seccomp_kit.testing.engines`) starts a container with its default capabilities, with
  every other capability added one at a time, with each default one dropped, with none and with
  all; the ``linux.seccomp`` it writes into the OCI bundle is recorded each time. The rules are
  merged into one ordered list and each rule gets the one condition that explains every
  observation (always, ``includes.caps: [C]`` or ``excludes.caps: [C]``); the script fails if
  none does, and checks that resolving the result reproduces every observation exactly. Only
  the host architecture (x86_64) can be observed, so those files cover x86_64 only.
"""

from __future__ import annotations

import argparse
import difflib
import itertools
import json
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "engines"
CORPUS = ROOT.parent / "shared" / "corpus" / "profiles"
GENERATOR = "tools/gen_engine_defaults.py"
CONTAINERS_CONF = Path("/usr/share/containers/containers.conf")

# The 14 capabilities moby/containerd give a container by default (both engines' defaults,
# confirmed by the bounding set they wrote into the bundle when observed here).
MOBY_CAPS = (
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
)
# CRI-O's default_capabilities (crio.conf, unchanged since CRI-O 1.18).
CRIO_CAPS = (
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_KILL",
)


def _dpkg_version(package: str) -> str:
    return subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", package],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _corpus_commit(name: str) -> tuple[str, str]:
    """(repository, commit) of a corpus profile, from the corpus README's table."""
    for line in (CORPUS.parent / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 4 and cells[0] == name:
            return cells[1], cells[3]
    raise SystemExit(f"{name} is not listed in the corpus README")


def _containers_conf_caps(path: Path) -> tuple[str, ...]:
    text = path.read_text(encoding="utf-8")
    found = re.search(r"^default_capabilities\s*=\s*\[(.*?)\]", text, re.MULTILINE | re.DOTALL)
    if found is None:
        raise SystemExit(f"no default_capabilities in {path}")
    return tuple("CAP_" + c for c in re.findall(r'"([A-Z_]+)"', found.group(1)))


def _write(name: str, data: dict[str, Any]) -> None:
    OUT.mkdir(exist_ok=True)
    body = {"generated": f"by {GENERATOR}; do not edit", **data}
    path = OUT / f"{name}.json"
    path.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)}")


def from_packages_and_corpus() -> None:
    common = _dpkg_version("golang-github-containers-common")
    podman = _dpkg_version("podman")
    _write(
        "podman-4.3.1",
        {
            "engine": "podman",
            "version": "4.3.1",
            "runtime": "crun@1.8.1",
            "dialect": "containers",
            "arches": None,
            "capabilities": list(
                _containers_conf_caps(Path("/usr/share/containers/containers.conf"))
            ),
            "source": (
                f"Debian 12 podman {podman} reads /usr/share/containers/seccomp.json and the"
                " default_capabilities of /usr/share/containers/containers.conf from"
                f" golang-github-containers-common {common}; it runs crun (1.8.1 in Debian 12)"
            ),
            "profile": json.loads(Path("/usr/share/containers/seccomp.json").read_text()),
        },
    )
    repo, commit = _corpus_commit("containers-common-seccomp.json")
    newest_common = json.loads((CORPUS / "containers-common-seccomp.json").read_text())
    _write(
        "cri-o-latest",
        {
            "engine": "cri-o",
            "version": "latest",
            "runtime": "crun",
            "dialect": "containers",
            "arches": None,
            "capabilities": list(CRIO_CAPS),
            "source": (
                f"{repo} pkg/seccomp/seccomp.json at {commit} (the containers/common default"
                " CRI-O uses); CRI-O's default_capabilities"
            ),
            "profile": newest_common,
        },
    )
    _write(
        "podman-latest",
        {
            "engine": "podman",
            "version": "latest",
            "runtime": "crun",
            "dialect": "containers",
            "arches": None,
            "capabilities": list(
                _containers_conf_caps(Path("/usr/share/containers/containers.conf"))
            ),
            "source": (
                f"{repo} pkg/seccomp/seccomp.json at {commit}; default_capabilities as in"
                " containers.conf since Podman 4"
            ),
            "profile": newest_common,
        },
    )
    repo, commit = _corpus_commit("moby-default.json")
    _write(
        "docker-latest",
        {
            "engine": "docker",
            "version": "latest",
            "runtime": "runc",
            "dialect": "moby",
            "arches": None,
            "capabilities": list(MOBY_CAPS),
            "source": f"{repo} seccomp/default.json at {commit}; moby's 14 default capabilities",
            "profile": json.loads((CORPUS / "moby-default.json").read_text()),
        },
    )


# --- observation --------------------------------------------------------------------------------


def _key(rule: dict[str, Any]) -> str:
    return json.dumps(rule, sort_keys=True)


def _merge(master: list[str], seen: Sequence[str]) -> list[str]:
    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=master, b=list(seen), autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        out += master[a1:a2]
        if op in ("insert", "replace"):
            out += seen[b1:b2]
    return out


def _topological(hint: list[str], orders: Sequence[Sequence[str]]) -> list[str]:
    """An order of every rule consistent with each observed order (each observation lists
    its rules in profile order); ``hint`` (the merged sequence) breaks ties."""
    after: dict[str, set[str]] = {k: set() for k in hint}
    before_count = dict.fromkeys(hint, 0)
    for order in orders:
        for a, b in itertools.pairwise(order):
            if b not in after[a]:
                after[a].add(b)
                before_count[b] += 1
    rank = {k: i for i, k in enumerate(hint)}
    ready = sorted((k for k, n in before_count.items() if n == 0), key=rank.__getitem__)
    out: list[str] = []
    while ready:
        key = ready.pop(0)
        out.append(key)
        for nxt in after[key]:
            before_count[nxt] -= 1
            if before_count[nxt] == 0:
                ready.append(nxt)
        ready.sort(key=rank.__getitem__)
    if len(out) != len(hint):
        stuck = [k for k in hint if k not in out][:4]
        raise SystemExit(f"the observed rule orders contradict each other around {stuck}")
    return out


def conditional_profile(
    observations: Sequence[tuple[frozenset[str], dict[str, Any]]],
) -> dict[str, Any]:
    """One moby-dialect profile whose resolution for each observed capability set gives the
    observed profile (see the module docstring)."""
    first = observations[0][1]
    head = {k: v for k, v in first.items() if k != "syscalls"}
    for caps, seccomp in observations:
        if {k: v for k, v in seccomp.items() if k != "syscalls"} != head:
            raise SystemExit(f"the profile's header changes with capabilities {sorted(caps)}")
    rules: dict[str, dict[str, Any]] = {}
    master: list[str] = []
    for _, seccomp in sorted(observations, key=lambda o: -len(o[1]["syscalls"])):
        keys = [_key(r) for r in seccomp["syscalls"]]
        if len(set(keys)) != len(keys):
            raise SystemExit("an observed profile repeats a rule; cannot align")
        rules.update(zip(keys, seccomp["syscalls"], strict=True))
        master = _merge(master, keys)
    hint = list(dict.fromkeys(master))  # a "replace" in the merge can repeat a rule
    master = _topological(hint, [[_key(r) for r in s["syscalls"]] for _, s in observations])
    every = sorted({c for caps, _ in observations for c in caps})
    out: list[dict[str, Any]] = []
    for key in master:
        present = [(caps, key in {_key(r) for r in s["syscalls"]}) for caps, s in observations]
        rule = dict(rules[key])
        if all(p for _, p in present):
            out.append(rule)
            continue
        for cap in every:
            if all(p == (cap in caps) for caps, p in present):
                out.append({**rule, "includes": {"caps": [cap]}})
                break
            if all(p == (cap not in caps) for caps, p in present):
                out.append({**rule, "excludes": {"caps": [cap]}})
                break
        else:
            raise SystemExit(f"no single-capability condition explains rule {key}")
    profile = {**head, "syscalls": out}
    _check(profile, observations)
    return profile


def _check(profile: dict[str, Any], observations: Sequence[tuple[frozenset[str], Any]]) -> None:
    from seccomp_kit.algebra import resolve
    from seccomp_kit.io import from_data, to_data

    model = from_data(profile)
    for caps, seccomp in observations:
        got = to_data(resolve(model, arch="x86_64", capabilities=caps))
        want = to_data(from_data(seccomp))
        if got != want:
            rules = list(zip(got["syscalls"], want["syscalls"], strict=False))
            first = next((i for i, (a, b) in enumerate(rules) if a != b), len(rules))
            raise SystemExit(
                f"resolving for {sorted(caps)} does not give what was observed: rule {first}"
                f" {got['syscalls'][first : first + 1]} vs {want['syscalls'][first : first + 1]}"
            )


def observe(engine_name: str) -> tuple[list[tuple[frozenset[str], dict[str, Any]]], list[str]]:
    """The observations, and the capabilities the engine refuses to add (Docker 20.10 does not
    know CAP_PERFMON, CAP_BPF, CAP_CHECKPOINT_RESTORE)."""
    from seccomp_kit.syscalls.capabilities import CAPABILITIES
    from seccomp_kit.testing.engines import Containerd, Docker
    from seccomp_kit.testing.runtimes import ReadbackError

    engine_cls = {"containerd": Containerd, "docker": Docker}[engine_name]
    found: list[tuple[frozenset[str], dict[str, Any]]] = []
    refused: list[str] = []
    with engine_cls() as engine:

        def one(add: Sequence[str], drop: Sequence[str]) -> bool:
            # The config is written (and kept by the wrapper) before the runtime applies it: a
            # capability the host itself lacks fails the start, not the observation.
            try:
                run = engine.run(cap_add=add, cap_drop=drop)
            except ReadbackError as exc:
                if len(add) == 1 and "unknown capability" in str(exc):
                    return False
                raise
            if run.seccomp is None:
                raise SystemExit(f"{engine_name} add={add} drop={drop}: {run.output}")
            found.append((frozenset(run.bounding), run.seccomp))
            return True

        one((), ())
        for cap in CAPABILITIES:
            if cap not in MOBY_CAPS and not one((cap,), ()):
                refused.append(cap)
        for cap in MOBY_CAPS:
            one((), (cap,))
        known = tuple(c for c in CAPABILITIES if c not in refused)
        one((), tuple(CAPABILITIES if engine_name == "containerd" else ("ALL",)))
        one(known, ())
    if found[0][0] != frozenset(MOBY_CAPS):
        raise SystemExit(f"{engine_name}'s default capabilities are {sorted(found[0][0])}")
    return found, refused


def from_observation(only: Sequence[str] = ()) -> None:
    from seccomp_kit.testing.engines import engine_versions

    versions = engine_versions()
    kernel = Path("/proc/sys/kernel/osrelease").read_text().strip()
    for engine, version, package, runtime in (
        ("containerd", "1.6.20", "containerd", "runc@1.1.5"),
        ("docker", "20.10.24", "docker.io", "runc@1.1.5"),
    ):
        if only and engine not in only:
            continue
        reported = versions.get(engine, "")
        if version not in reported:
            raise SystemExit(f"{engine} {version} is not what is installed: {reported!r}")
        observations, refused = observe(engine)
        _write(
            f"{engine}-{version}",
            {
                "engine": engine,
                "version": version,
                "runtime": runtime,
                "dialect": "moby",
                "arches": ["x86_64"],
                "capabilities": list(MOBY_CAPS),
                "refuses": refused,
                "source": (
                    f"observed from Debian 12 {package} {_dpkg_version(package)} on x86_64"
                    f" (Linux {kernel.split('-')[0]}): the linux.seccomp it wrote into the OCI"
                    f" bundle for {len(observations)} capability sets, merged by {GENERATOR}"
                ),
                "profile": conditional_profile(observations),
            },
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--observe", action="store_true", help="also observe containerd, Docker")
    parser.add_argument("--only", action="append", default=[], help="observe only this engine")
    args = parser.parse_args(argv)
    from_packages_and_corpus()
    if args.observe:
        from_observation(args.only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
