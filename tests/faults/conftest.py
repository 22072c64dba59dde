"""Fixtures of the daemon-fault tests: a containerd of the test's own, to SIGKILL at will.

The session's ``containerd`` fixture only chooses the series (and lets the
``containerd_series`` marker skip); each test gets a fresh daemon of that series, so a kill
never disturbs another test.
"""

from __future__ import annotations

import secrets
from typing import Iterator

import pytest
from harness.daemon import ContainerdDaemon


@pytest.fixture
def killable_containerd(containerd: ContainerdDaemon) -> Iterator[ContainerdDaemon]:
    daemon = ContainerdDaemon(containerd.series)
    try:
        daemon.start()
    except BaseException:
        daemon.stop(keep_files=True)
        raise
    yield daemon
    daemon.stop()


@pytest.fixture
def fault_namespace() -> str:
    return f"ocirt-fault-{secrets.token_hex(4)}"
