"""Fixtures of the daemon-fault tests: a containerd of the test's own, to SIGKILL at will.

The session's ``containerd`` fixture only chooses the series (and lets the
``containerd_series`` marker skip); each test gets a fresh daemon of that series, so a kill
never disturbs another test.
"""

from __future__ import annotations

import secrets
from typing import Iterator

import pytest
from harness.daemon import ContainerdDaemon, running


@pytest.fixture
def killable_containerd(containerd: ContainerdDaemon) -> Iterator[ContainerdDaemon]:
    with running(ContainerdDaemon(containerd.series)) as daemon:
        yield daemon


@pytest.fixture
def fault_namespace() -> str:
    return f"ocirt-fault-{secrets.token_hex(4)}"
