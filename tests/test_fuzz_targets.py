"""The fuzz targets (tools/fuzz/targets.py) on their seeds and on the inputs of every fault
issue 17 lists: the harness the fuzzing runs use stays working, and each fault stays fixed
through the same entry points the campaign found it in."""

from __future__ import annotations

import json

import pytest

from tools.fuzz.targets import TARGETS, Fault, cli, install, seeds

_ISSUE_INPUTS: dict[str, list[bytes]] = {
    "audit": [
        b"audit: type=1326 audit(0000000000001.5:2): arch=c000003e syscall=1 code=0x7ffc0000\n",
        b"type=SYSCALL msg=audit(1.5:" + b"9" * 5000 + b"): x\n",
        b"2024-02-30T00:00:00Z vm audit[1]: SECCOMP arch=c000003e syscall=1 code=0x7ffc0000\n",
        json.dumps(
            {
                "MESSAGE": "SECCOMP arch=c000003e syscall=1 code=0x7ffc0000",
                "_AUDIT_TYPE": "1326",
                "_AUDIT_ID": "9" * 5000,
            }
        ).encode(),
        json.dumps(
            {"MESSAGE": "x", "_AUDIT_TYPE": "1326", "__REALTIME_TIMESTAMP": "9" * 400}
        ).encode(),
        b'{"MESSAGE": "\\ud800"}\n',
    ],
    "profile": [
        b'{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":'
        b'"SCMP_ACT_ALLOW","includes":{"minKernel":"4.' + b"1" * 5000 + b'"}}]}',
        b'{"defaultAction":"SCMP_ACT_ERRNO","comment":"\\ud800"}',
        b'{"defaultAction":"SCMP_ACT_ERRNO","x":1e400}',
    ],
    "kubernetes": [
        b"apiVersion: {a: 1}\nkind: SeccompProfile\nmetadata: {name: x}\nspec: {}\n",
        b"kind: Pod\nmetadata: {name: !!int abc}\n",
        b"kind: Pod\nmetadata: {name: !!timestamp x}\n",
        b"kind: Pod\nmetadata: {name: 2024-02-30}\n",
    ],
    "install": [b"loop1/x.json\n", b"out/x.json\n", b"\n"],
    "cli": [
        bytes([i, j]) + b'{"defaultAction":"SCMP_ACT_ERRNO"}' for i in range(15) for j in range(6)
    ],
}


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_every_target_passes_its_seeds(target: str) -> None:
    for seed in seeds(target):
        TARGETS[target](seed)


@pytest.mark.parametrize(
    ("target", "data"), [(t, d) for t, inputs in _ISSUE_INPUTS.items() for d in inputs]
)
def test_the_inputs_of_the_issue(target: str, data: bytes) -> None:
    TARGETS[target](data)


def test_the_cli_target_lets_an_unexpected_exception_through(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The oracle works: a command that raises is a fault, not a pass."""
    import seccomp_kit.io as skio

    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(skio, "dumps", broken)
    with pytest.raises(RuntimeError, match="boom"):
        cli(bytes([3, 0]) + b'{"defaultAction":"SCMP_ACT_ERRNO"}')  # fmt FILE -o -


def test_install_reports_a_write_outside_the_root(monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    import seccomp_kit.kubernetes as k8s

    def escaping(profile: object, name: str, *, root: Path, **kw: object) -> str:
        (root.parent / "outside" / "escaped").write_text("x")
        return name

    monkeypatch.setattr(k8s, "install", escaping)
    with pytest.raises(Fault, match="outside the root"):
        install(b"x.json\n")
