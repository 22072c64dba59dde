"""Fixtures of the pod tests: a private containerd per series with its CRI ready for
pods offline (harness/cri.py), a busybox image in namespace k8s.io, a CRI connection, and
a unique pod name whose pods are removed afterwards."""

from __future__ import annotations

import secrets
from typing import Iterator

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.cri import sandboxes
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    Connection,
)
from harness.cri import cri_daemon, import_image
from harness.daemon import ContainerdDaemon
from harness.images import busybox_image
from harness.plugin import selected_series

#: The workload image of the tests, already in k8s.io (pull: missing finds it there).
BUSYBOX = "localhost/ocirt-test/busybox:1"


@pytest.fixture(scope="session", params=selected_series(), ids=str)
def cri(request: pytest.FixtureRequest) -> Iterator[ContainerdDaemon]:
    for daemon in cri_daemon(request.param):
        import_image(daemon, busybox_image(), BUSYBOX)
        yield daemon


@pytest.fixture
def cri_conn(cri: ContainerdDaemon) -> Iterator[Connection]:
    with Connection(cri.address, namespace="k8s.io") as conn:
        yield conn


@pytest.fixture
def pod_name(cri_conn: Connection) -> Iterator[str]:
    name = f"pod-{secrets.token_hex(3)}"
    yield name
    for s in sandboxes.list_pod_sandboxes(cri_conn):
        if (s["metadata"] or {}).get("name") == name:
            sandboxes.stop_pod_sandbox(cri_conn, s["id"])
            sandboxes.remove_pod_sandbox(cri_conn, s["id"])
