"""Messages that need privilege name it: recording without root says root / CAP_AUDIT_READ."""

from __future__ import annotations

import errno

import pytest
from click.testing import CliRunner

from seccomp_kit.cli import cli
from seccomp_kit.record import _live


def _denied(*args: object, **kwargs: object) -> None:
    raise PermissionError(errno.EPERM, "Operation not permitted")


@pytest.fixture
def unprivileged(monkeypatch: pytest.MonkeyPatch) -> None:
    """What an ordinary user meets: neither the audit group nor /dev/kmsg can be opened."""
    monkeypatch.setattr(_live._Netlink, "__init__", _denied)
    monkeypatch.setattr(_live._Kmsg, "__init__", _denied)


def _record(*args: str) -> tuple[int, str]:
    argv = ["record", "-o", "/dev/null", *args, "--", "true"]
    result = CliRunner().invoke(cli, argv, catch_exceptions=False)
    return result.exit_code, result.output


def test_netlink_only_names_the_privilege(unprivileged: None) -> None:
    code, out = _record("--source", "netlink")
    assert code == 2
    assert "needs root (CAP_AUDIT_READ)" in out and "Traceback" not in out
    assert len(out.strip().splitlines()) == 1


def test_falling_back_names_the_privilege_of_both_sources(unprivileged: None) -> None:
    code, out = _record()
    assert code == 2
    assert "CAP_AUDIT_READ" in out and "root" in out and "CAP_SYSLOG" in out
